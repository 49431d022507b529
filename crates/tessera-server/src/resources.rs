//! Places and destinations: the management API's resources besides profiles and segments.
//!
//! A destination is where a segment's enters and exits are sent. The kind served today is a
//! signed webhook (delivered through the outbox, see `webhook`); the resource is the same
//! webhook that `tessera webhook` manages, under the name the REST API's users expect.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_store::{Place, Scope};

use crate::api::{check_key, not_found, read};
use crate::error::MessageError;
use crate::{ApiError, AppState};

pub(crate) async fn list_places(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    check_key(&state, &headers, Scope::Read)?;
    let places = read(&state, |store| Ok(store.places()?)).await?;
    Ok(Json(json!({ "places": places })))
}

pub(crate) async fn get_place(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    check_key(&state, &headers, Scope::Read)?;
    let place = read(&state, move |store| {
        store
            .place(&name)?
            .ok_or_else(|| ApiError::NotFound(format!("no place named `{name}`")))
    })
    .await?;
    Ok(Json(json!(place)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlaceBody {
    lat: f64,
    lon: f64,
    #[serde(default)]
    tags: Vec<String>,
}

/// Creates or replaces a place: `{"lat", "lon", "tags"}`.
pub(crate) async fn put_place(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Json(body): Json<PlaceBody>,
) -> Result<Json<Value>, ApiError> {
    check_key(&state, &headers, Scope::Admin)?;
    let place = Place {
        name,
        lat: body.lat,
        lon: body.lon,
        tags: body.tags,
    };
    place.validate().map_err(|e| ApiError::BadRequest {
        message: format!("place `{}` is invalid; nothing was saved", place.name),
        errors: vec![MessageError {
            index: 0,
            field: e.field.to_string(),
            reason: e.reason,
        }],
    })?;
    let saved = place.clone();
    state
        .inner
        .writer
        .admin(move |store| Ok(store.upsert_places(&[saved])?))
        .await?;
    Ok(Json(json!({ "saved": place })))
}

pub(crate) async fn delete_place(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    check_key(&state, &headers, Scope::Admin)?;
    let removed = name.clone();
    let existed = state
        .inner
        .writer
        .admin(move |store| Ok(store.remove_place(&removed)?))
        .await?;
    if !existed {
        return Err(ApiError::NotFound(format!("no place named `{name}`")));
    }
    Ok(Json(json!({ "deleted": name })))
}

fn destination_json(hook: &tessera_store::Webhook) -> Value {
    json!({
        "id": hook.id,
        "type": "webhook",
        "segment": hook.segment,
        "url": hook.url,
        "on_enter": hook.on_enter,
        "on_exit": hook.on_exit,
        "created_at": tessera_model::format_millis(hook.created_at),
    })
}

pub(crate) async fn list_destinations(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    check_key(&state, &headers, Scope::Read)?;
    let hooks = read(&state, |store| Ok(store.webhooks()?)).await?;
    let destinations: Vec<Value> = hooks.iter().map(destination_json).collect();
    Ok(Json(json!({ "destinations": destinations })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DestinationBody {
    /// Only `webhook` for now.
    #[serde(rename = "type", default = "webhook_type")]
    kind: String,
    segment: String,
    url: String,
    /// Which changes to send: `enter`, `exit` (both by default).
    #[serde(default = "both")]
    on: Vec<String>,
}

fn webhook_type() -> String {
    "webhook".into()
}

fn both() -> Vec<String> {
    vec!["enter".into(), "exit".into()]
}

/// Adds a destination; the answer carries the signing secret, shown only this once.
pub(crate) async fn add_destination(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<DestinationBody>,
) -> Result<Json<Value>, ApiError> {
    check_key(&state, &headers, Scope::Admin)?;
    let field_error = |field: &str, reason: String| ApiError::BadRequest {
        message: "the destination is invalid; nothing was saved".into(),
        errors: vec![MessageError {
            index: 0,
            field: field.into(),
            reason,
        }],
    };
    if body.kind != "webhook" {
        return Err(field_error(
            "type",
            format!("`{}` is not a destination type; use `webhook`", body.kind),
        ));
    }
    let (mut on_enter, mut on_exit) = (false, false);
    for (i, on) in body.on.iter().enumerate() {
        match on.as_str() {
            "enter" => on_enter = true,
            "exit" => on_exit = true,
            other => {
                return Err(field_error(
                    &format!("on[{i}]"),
                    format!("`{other}` is not a change; use `enter` or `exit`"),
                ))
            }
        }
    }
    if !(on_enter || on_exit) {
        return Err(field_error(
            "on",
            "name at least one of `enter`, `exit`".into(),
        ));
    }
    let hook = state
        .inner
        .writer
        .admin(move |store| {
            store
                .add_webhook(&body.segment, &body.url, on_enter, on_exit)
                .map_err(|e| match e {
                    tessera_store::Error::SegmentNotFound(_) => not_found(e),
                    tessera_store::Error::InvalidInput(message) => field_error("url", message),
                    other => other.into(),
                })
        })
        .await?;
    let mut answer = destination_json(&hook);
    answer["secret"] = json!(hook.secret);
    Ok(Json(answer))
}

pub(crate) async fn delete_destination(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<u64>,
) -> Result<Json<Value>, ApiError> {
    check_key(&state, &headers, Scope::Admin)?;
    state
        .inner
        .writer
        .admin(move |store| store.remove_webhook(id).map_err(not_found))
        .await?;
    Ok(Json(json!({ "deleted": id })))
}

/// Calls to a destination that failed too often (the dead-letter list).
pub(crate) async fn dead_letters(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<u64>,
) -> Result<Json<Value>, ApiError> {
    check_key(&state, &headers, Scope::Read)?;
    let dead = read(&state, move |store| {
        store.webhook(id).map_err(not_found)?;
        Ok(store
            .dead_deliveries(10_000)?
            .into_iter()
            .filter(|d| d.webhook_id == id)
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(Json(json!({ "dead": dead })))
}

/// Puts a destination's dead letters back in the outbox, to be delivered again.
pub(crate) async fn replay(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<u64>,
) -> Result<Json<Value>, ApiError> {
    check_key(&state, &headers, Scope::Admin)?;
    let replayed = state
        .inner
        .writer
        .admin(move |store| {
            store.webhook(id).map_err(not_found)?;
            Ok(store.replay_dead_for_webhook(id)?)
        })
        .await?;
    Ok(Json(json!({ "replayed": replayed })))
}
