//! The management REST API (profiles, segments) and its OpenAPI 3 document.
//!
//! [`ROUTES`] is the one list of the service's routes: the OpenAPI document is generated from
//! it, and a test requests every entry against the router, so the two cannot drift apart.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tessera_store::{Scope, Store};

use crate::{auth, ApiError, AppState};

/// One route of the service, as documented.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    /// `None`: no key needed; `Some(Write)` routes also accept the key in the body.
    pub scope: Option<Scope>,
    pub summary: &'static str,
}

const fn route(
    method: &'static str,
    path: &'static str,
    scope: Option<Scope>,
    summary: &'static str,
) -> Route {
    Route {
        method,
        path,
        scope,
        summary,
    }
}

/// Every route the router serves.
pub const ROUTES: &[Route] = &[
    route("post", "/v1/batch", Some(Scope::Write), "Send a batch of Segment messages (Segment's `batch` call)."),
    route("post", "/v1/import", Some(Scope::Write), "Alias of /v1/batch, as in Segment's API."),
    route("post", "/v1/track", Some(Scope::Write), "Send one track message."),
    route("post", "/v1/identify", Some(Scope::Write), "Send one identify message."),
    route("post", "/v1/page", Some(Scope::Write), "Send one page message."),
    route("post", "/v1/screen", Some(Scope::Write), "Send one screen message."),
    route("post", "/v1/group", Some(Scope::Write), "Send one group message."),
    route("post", "/v1/alias", Some(Scope::Write), "Send one alias message."),
    route("get", "/v1/profiles/{id}", Some(Scope::Read), "A profile by any identifier (`email:ana@example.com`, `user_id:42`, `#17`): identifiers, traits, consent, segments, merges and recent events."),
    route("delete", "/v1/profiles/{id}", Some(Scope::Admin), "Erase a profile and everything merged into it (GDPR Art. 17)."),
    route("get", "/v1/segments", Some(Scope::Read), "Stored segments with their stored member counts."),
    route("get", "/v1/segments/{name}", Some(Scope::Read), "One stored segment's definition and member count."),
    route("put", "/v1/segments/{name}", Some(Scope::Admin), "Create or replace a segment: `{\"condition\", \"description\", \"min_size\"}`; checked first (400 with located errors); members follow in real time."),
    route("delete", "/v1/segments/{name}", Some(Scope::Admin), "Delete a segment and its memberships."),
    route("get", "/v1/segments/{name}/members", Some(Scope::Read), "Members, paged (`after`, `limit`); with `at` (RFC 3339), the members at that instant from the membership history."),
    route("post", "/v1/segments/validate", Some(Scope::Read), "Parse and type-check a condition (text or JSON form): every error with line and column."),
    route("post", "/v1/segments/estimate", Some(Scope::Read), "Size of an unsaved condition `{\"condition\"}`, evaluated on an engine snapshot at most a minute old (`as_of` says when)."),
    route("get", "/v1/segments/overlap", Some(Scope::Read), "Pairwise overlaps of stored segments' current members (`?segments=a,b,c`): counts and Jaccard indexes."),
    route("get", "/v1/segments/{name}/size", Some(Scope::Read), "A stored segment's current size, share of all profiles and minimum-size guard."),
    route("get", "/v1/segments/{name}/explain/{id}", Some(Scope::Read), "Why a profile (any identifier) is or is not in a segment: each condition with what was found (`?at=` for another instant)."),
    route("get", "/v1/places", Some(Scope::Read), "Every place (name, lat, lon, tags)."),
    route("get", "/v1/places/{name}", Some(Scope::Read), "One place."),
    route("put", "/v1/places/{name}", Some(Scope::Admin), "Create or replace a place: `{\"lat\", \"lon\", \"tags\"}` (WGS 84 degrees)."),
    route("delete", "/v1/places/{name}", Some(Scope::Admin), "Delete a place."),
    route("get", "/v1/destinations", Some(Scope::Read), "Destinations of segment changes (signed webhooks)."),
    route("post", "/v1/destinations", Some(Scope::Admin), "Add a destination `{\"type\": \"webhook\", \"segment\", \"url\", \"on\": [\"enter\", \"exit\"]}`; the answer has its signing secret, shown once."),
    route("delete", "/v1/destinations/{id}", Some(Scope::Admin), "Remove a destination and its undelivered calls."),
    route("get", "/v1/destinations/{id}/dead", Some(Scope::Read), "Calls that failed too often (the dead-letter list)."),
    route("post", "/v1/destinations/{id}/replay", Some(Scope::Admin), "Deliver a destination's dead letters again."),
    route("get", "/v1/stream/memberships", Some(Scope::Read), "Server-Sent Events: every segment enter and exit as it is recorded (`?segment=NAME` to follow one), for dashboards."),
    route("get", "/healthz", None, "Liveness: the process answers."),
    route("get", "/readyz", None, "Readiness: 503 while draining at shutdown."),
    route("get", "/metrics", None, "Prometheus metrics (text exposition format)."),
    route("get", "/openapi.json", None, "This document."),
];

pub(crate) fn check_key(
    state: &AppState,
    headers: &HeaderMap,
    needed: Scope,
) -> Result<(), ApiError> {
    let key = auth::header_key(headers).ok_or(ApiError::Unauthorized)?;
    state.inner.keys.check(&key, needed).map(|_| ())
}

/// Runs a read on the reading connection without blocking the async workers.
pub(crate) async fn read<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let inner = state.inner.clone();
    tokio::task::spawn_blocking(move || {
        let store = inner
            .reader
            .lock()
            .map_err(|_| ApiError::Internal("reader poisoned".into()))?;
        f(&store)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("read task failed: {e}")))?
}

pub(crate) fn not_found(e: tessera_store::Error) -> ApiError {
    match e {
        tessera_store::Error::ProfileNotFound(id) => {
            ApiError::NotFound(format!("no profile has the identifier {id}"))
        }
        tessera_store::Error::SegmentNotFound(name) => {
            ApiError::NotFound(format!("no segment named `{name}`"))
        }
        tessera_store::Error::WebhookNotFound(id) => {
            ApiError::NotFound(format!("no destination with id {id}"))
        }
        other => other.into(),
    }
}

/// `at` as given in a query: an RFC 3339 instant.
pub(crate) fn parse_at(text: &str) -> Result<tessera_model::Millis, ApiError> {
    tessera_model::parse_timestamp(text).ok_or_else(|| ApiError::BadRequest {
        message: format!(
            "`at` = `{text}` is not an RFC 3339 timestamp such as 2026-10-01T00:00:00Z"
        ),
        errors: vec![],
    })
}

/// A 400 listing a condition's errors, each located as `condition:LINE:COLUMN`.
pub(crate) fn condition_errors(
    condition: &str,
    diagnostics: &[tessera_lang::Diagnostic],
    message: &str,
) -> ApiError {
    let errors = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let (line, column) = d.line_col(condition);
            crate::error::MessageError {
                index: 0,
                field: format!("condition:{line}:{column}"),
                reason: match &d.hint {
                    Some(hint) => format!("{} ({hint})", d.message),
                    None => d.message.clone(),
                },
            }
        })
        .collect();
    ApiError::BadRequest {
        message: message.into(),
        errors,
    }
}

#[derive(Deserialize)]
pub(crate) struct ProfileQuery {
    /// How many recent events to include (default 20, at most 1000).
    events: Option<usize>,
}

pub(crate) async fn get_profile(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<ProfileQuery>,
) -> Result<Json<Value>, ApiError> {
    check_key(&state, &headers, Scope::Read)?;
    let events = query.events.unwrap_or(20).min(1_000);
    let (view, computed) = read(&state, move |store| {
        let profile = store.resolve_profile(&id).map_err(not_found)?;
        let view = store.profile_view(profile, events).map_err(not_found)?;
        let now = tessera_store::now_millis();
        let computed = tessera_service::computed_values(store, profile, now)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok((view, computed))
    })
    .await?;
    let mut body = serde_json::to_value(view).map_err(|e| ApiError::Internal(e.to_string()))?;
    // Computed traits (and local time) as of now, beside the stored traits.
    body["computed"] = serde_json::to_value(computed).unwrap_or_default();
    Ok(Json(body))
}

pub(crate) async fn erase_profile(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    check_key(&state, &headers, Scope::Admin)?;
    let profile = read(&state, move |store| {
        store.resolve_profile(&id).map_err(not_found)
    })
    .await?;
    let erasure = state.inner.writer.erase(profile).await?;
    Ok(Json(json!({ "erased": profile, "removed": erasure })))
}

#[derive(Serialize)]
struct SegmentSummary {
    #[serde(flatten)]
    segment: tessera_store::StoredSegment,
    stored_members: usize,
    over_segmented: bool,
}

fn summary(
    store: &Store,
    segment: tessera_store::StoredSegment,
) -> Result<SegmentSummary, ApiError> {
    let stored_members = store.members(&segment.name)?.len();
    let over_segmented = (stored_members as u64) < segment.min_size;
    Ok(SegmentSummary {
        segment,
        stored_members,
        over_segmented,
    })
}

pub(crate) async fn list_segments(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    check_key(&state, &headers, Scope::Read)?;
    let segments = read(&state, |store| {
        store
            .segments()?
            .into_iter()
            .map(|s| summary(store, s))
            .collect::<Result<Vec<_>, _>>()
    })
    .await?;
    Ok(Json(json!({ "segments": segments })))
}

pub(crate) async fn get_segment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    check_key(&state, &headers, Scope::Read)?;
    let segment = read(&state, move |store| {
        summary(store, store.segment(&name).map_err(not_found)?)
    })
    .await?;
    Ok(Json(
        serde_json::to_value(segment).map_err(|e| ApiError::Internal(e.to_string()))?,
    ))
}

#[derive(Deserialize)]
pub(crate) struct MembersQuery {
    at: Option<String>,
    after: Option<u64>,
    limit: Option<usize>,
}

pub(crate) async fn segment_members(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(query): Query<MembersQuery>,
) -> Result<Json<Value>, ApiError> {
    check_key(&state, &headers, Scope::Read)?;
    let at = query.at.as_deref().map(parse_at).transpose()?;
    let limit = query.limit.unwrap_or(1_000).clamp(1, 10_000);
    let after = query.after.unwrap_or(0);
    let (members, more) = read(&state, move |store| {
        store.segment(&name).map_err(not_found)?;
        let all = match at {
            Some(at) => store.members_at(&name, at)?,
            None => store.members(&name)?,
        };
        let page: Vec<u64> = all
            .iter()
            .copied()
            .filter(|p| *p > after)
            .take(limit + 1)
            .collect();
        Ok((
            page.iter().copied().take(limit).collect::<Vec<u64>>(),
            page.len() > limit,
        ))
    })
    .await?;
    let next_after = if more { members.last().copied() } else { None };
    Ok(Json(json!({
        "at": at.map(tessera_model::format_millis),
        "members": members,
        "next_after": next_after,
    })))
}

#[derive(Deserialize)]
pub(crate) struct SegmentBody {
    condition: String,
    #[serde(default)]
    description: String,
    min_size: Option<u64>,
}

pub(crate) async fn put_segment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Json(body): Json<SegmentBody>,
) -> Result<Json<Value>, ApiError> {
    check_key(&state, &headers, Scope::Admin)?;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(ApiError::BadRequest {
            message: format!("segment name `{name}` must be letters, digits, `_`, `-` or `.`"),
            errors: vec![],
        });
    }

    let catalog = read(&state, |store| {
        tessera_service::catalog(store).map_err(|e| ApiError::Internal(e.to_string()))
    })
    .await?;
    let (expr, diagnostics) = tessera_service::analyse(&body.condition, &catalog);
    if tessera_lang::has_errors(&diagnostics) {
        return Err(condition_errors(
            &body.condition,
            &diagnostics,
            "the condition has errors; nothing was saved",
        ));
    }
    let segment = tessera_store::StoredSegment {
        name,
        description: body.description,
        condition: expr.to_string(),
        min_size: body.min_size.unwrap_or(tessera_service::DEFAULT_MIN_SIZE),
        updated_at: 0,
    };
    let saved = segment.clone();
    state
        .inner
        .writer
        .admin(move |store| Ok(store.save_segment_definition(&saved)?))
        .await?;
    Ok(Json(
        json!({ "saved": segment.name, "condition": segment.condition, "min_size": segment.min_size }),
    ))
}

pub(crate) async fn delete_segment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    check_key(&state, &headers, Scope::Admin)?;
    let deleted = name.clone();
    state
        .inner
        .writer
        .admin(move |store| store.delete_segment(&deleted).map_err(not_found))
        .await?;
    Ok(Json(json!({ "deleted": name })))
}

#[derive(Deserialize)]
pub(crate) struct ValidateBody {
    condition: String,
}

pub(crate) async fn validate_segment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<ValidateBody>,
) -> Result<Json<Value>, ApiError> {
    check_key(&state, &headers, Scope::Read)?;
    let catalog = read(&state, |store| {
        tessera_service::catalog(store).map_err(|e| ApiError::Internal(e.to_string()))
    })
    .await?;
    let (expr, diagnostics) = tessera_service::analyse(&body.condition, &catalog);
    let valid = !tessera_lang::has_errors(&diagnostics);
    let located: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let (line, column) = d.line_col(&body.condition);
            json!({ "severity": d.severity.as_str(), "line": line, "column": column, "message": d.message, "hint": d.hint })
        })
        .collect();
    Ok(Json(json!({
        "valid": valid,
        "canonical": valid.then(|| expr.to_string()),
        "json": if valid { serde_json::to_value(&expr).unwrap_or(Value::Null) } else { Value::Null },
        "diagnostics": located,
        "rendered": tessera_lang::render(&diagnostics, "condition", &body.condition),
    })))
}

#[derive(Deserialize)]
pub(crate) struct StreamQuery {
    segment: Option<String>,
}

/// `event: membership` with `{"type", "segment", "profile", "at"}` per change; `event: lagged`
/// with the number of changes missed when the subscriber fell behind.
pub(crate) async fn membership_stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<StreamQuery>,
) -> Result<Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>>, ApiError>
{
    check_key(&state, &headers, Scope::Read)?;
    let receiver = state.inner.stream.subscribe();
    let stream = futures_util::stream::unfold(
        (receiver, query.segment),
        |(mut receiver, only)| async move {
            loop {
                let event = match receiver.recv().await {
                Ok(change) if only.as_ref().is_some_and(|s| *s != change.segment) => continue,
                Ok(change) => Event::default().event("membership").data(
                    json!({
                        "type": if change.entered { "segment.entered" } else { "segment.exited" },
                        "segment": change.segment,
                        "profile": change.profile,
                        "at": tessera_model::format_millis(change.at),
                    })
                    .to_string(),
                ),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    Event::default().event("lagged").data(missed.to_string())
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            };
                return Some((Ok(event), (receiver, only)));
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// The OpenAPI 3 document, generated from [`ROUTES`].
pub fn openapi() -> Value {
    let mut paths = serde_json::Map::new();
    for r in ROUTES {
        let mut operation = json!({
            "summary": r.summary,
            "responses": {
                "200": { "description": "Success." },
                "400": { "description": "Invalid request: `{\"success\": false, \"error\": …, \"errors\": [{\"index\", \"field\", \"reason\"}]}`." },
                "401": { "description": "Missing or unknown key." },
                "403": { "description": "The key's scope does not allow this." },
                "404": { "description": "No such profile or segment." },
                "429": { "description": "The write queue is full; retry after `Retry-After` seconds." }
            }
        });
        if let Some(scope) = r.scope {
            operation["security"] = json!([{ "basic": [] }, { "bearer": [] }]);
            operation["x-tessera-scope"] = json!(scope.as_str());
        }
        let params: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|part| part.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        if !params.is_empty() {
            operation["parameters"] = Value::Array(params);
        }
        if r.method == "post" {
            operation["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "type": "object" } } } });
        }
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        entry[r.method] = operation;
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Tessera",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Collection API compatible with Segment's HTTP Tracking API, and the management API."
        },
        "components": { "securitySchemes": {
            "basic": { "type": "http", "scheme": "basic", "description": "The API key as user name, empty password (Segment's write-key scheme)." },
            "bearer": { "type": "http", "scheme": "bearer" }
        }},
        "paths": paths
    })
}

pub(crate) async fn openapi_json() -> Json<Value> {
    Json(openapi())
}
