//! The collection endpoints: Segment's HTTP Tracking API (`/v1/batch`, `/v1/track`, …).
//!
//! Follows Segment's published rules: the write key as the Basic-auth user name (or
//! `writeKey` in the body), at most 32 KB per message and 500 KB per batch (400 beyond),
//! `messageId` for de-duplication, `sentAt` for clock-skew correction, and `context`,
//! `integrations` and `traits` kept as sent. Batch-level `context` is merged into each
//! message's (the message's own keys win).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};
use tessera_identity::Normalizer;
use tessera_import::segment_spec::Receipt;
use tessera_import::{prepare_message, Prepared};
use tessera_model::{parse_timestamp, Millis};
use tessera_store::{Outcome, Scope};

use crate::error::MessageError;
use crate::{auth, ApiError, AppState, Metrics};

#[derive(Deserialize)]
struct BatchBody<'a> {
    #[serde(borrow)]
    batch: Vec<&'a RawValue>,
    #[serde(default, rename = "sentAt")]
    sent_at: Option<String>,
    #[serde(default, rename = "writeKey")]
    write_key: Option<String>,
    #[serde(default)]
    context: Option<Map<String, Value>>,
}

pub(crate) async fn batch(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let config = &state.inner.config;
    if body.len() > config.max_batch_bytes {
        return Err(bad_request(
            format!(
                "the batch is {} bytes; the limit is {} bytes",
                body.len(),
                config.max_batch_bytes
            ),
            vec![],
        ));
    }
    let parsed: BatchBody<'_> = serde_json::from_slice(&body).map_err(|e| invalid_json(&e))?;
    authenticate(&state, &headers, parsed.write_key.as_deref())?;
    let sent_at = parsed.sent_at.as_deref().and_then(parse_timestamp);
    let raw: Vec<(&RawValue, Option<&str>)> = parsed.batch.iter().map(|r| (*r, None)).collect();
    ingest(&state, &raw, sent_at, parsed.context.as_ref()).await
}

pub(crate) async fn track(
    state: State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    single(state, headers, body, "track").await
}
pub(crate) async fn identify(
    state: State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    single(state, headers, body, "identify").await
}
pub(crate) async fn page(
    state: State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    single(state, headers, body, "page").await
}
pub(crate) async fn screen(
    state: State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    single(state, headers, body, "screen").await
}
pub(crate) async fn group(
    state: State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    single(state, headers, body, "group").await
}
pub(crate) async fn alias(
    state: State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    single(state, headers, body, "alias").await
}

/// One message posted to its type's endpoint; the endpoint gives its `type`.
async fn single(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
    kind: &'static str,
) -> Result<Json<Value>, ApiError> {
    let raw: &RawValue = serde_json::from_slice(&body).map_err(|e| invalid_json(&e))?;
    let write_key = serde_json::from_str::<Map<String, Value>>(raw.get())
        .ok()
        .and_then(|m| {
            m.get("writeKey")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
    authenticate(&state, &headers, write_key.as_deref())?;
    ingest(&state, &[(raw, Some(kind))], None, None).await
}

fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    body_key: Option<&str>,
) -> Result<(), ApiError> {
    let key = auth::header_key(headers).or_else(|| body_key.map(str::to_string));
    let checked = match key {
        Some(key) => state.inner.keys.check(&key, Scope::Write).map(|_| ()),
        None => Err(ApiError::Unauthorized),
    };
    if matches!(checked, Err(ApiError::Unauthorized)) {
        Metrics::add(&state.metrics().requests_unauthorized, 1);
    }
    checked
}

/// Validates every message, then stores all of them or none: a request with an invalid
/// message is answered 400 listing each one, and nothing of it is stored.
async fn ingest(
    state: &AppState,
    raw: &[(&RawValue, Option<&'static str>)],
    batch_sent_at: Option<Millis>,
    batch_context: Option<&Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    let metrics = state.metrics();
    Metrics::add(&metrics.events_received, raw.len());
    let received_at = now_millis();
    let receipt = Receipt {
        received_at,
        trust_received_at: false,
        batch_sent_at,
        default_to_received: true,
    };
    let normalizer = Normalizer::new(&state.inner.identity);
    let mut prepared: Vec<Prepared> = Vec::with_capacity(raw.len());
    let mut errors = Vec::new();
    let mut blocked = 0;
    for (index, (message, kind)) in raw.iter().enumerate() {
        let text = message.get();
        if text.len() > state.inner.config.max_event_bytes {
            errors.push(MessageError {
                index,
                field: String::new(),
                reason: format!(
                    "the message is {} bytes; the limit is {} bytes",
                    text.len(),
                    state.inner.config.max_event_bytes
                ),
            });
            continue;
        }
        let mut value: Value = match serde_json::from_str(text) {
            Ok(value) => value,
            Err(e) => {
                errors.push(MessageError {
                    index,
                    field: String::new(),
                    reason: format!("invalid JSON: {e}"),
                });
                continue;
            }
        };
        if let Value::Object(map) = &mut value {
            if let Some(kind) = kind {
                map.entry("type")
                    .or_insert_with(|| Value::String((*kind).to_string()));
            }
            if let Some(batch_context) = batch_context {
                merge_context(map, batch_context);
            }
        }
        // Messages without an id cannot be told apart from retries; make one per receipt.
        let id_seed = format!("{received_at}:{index}:{text}");
        match prepare_message(&value, &id_seed, &receipt, &normalizer, &mut blocked) {
            Ok(p) => prepared.push(p),
            Err(e) => errors.push(MessageError {
                index,
                field: e.field,
                reason: e.reason,
            }),
        }
    }
    if !errors.is_empty() {
        Metrics::add(&metrics.events_rejected, raw.len());
        let message = format!(
            "{} of {} messages are invalid; nothing was stored",
            errors.len(),
            raw.len()
        );
        return Err(bad_request(message, errors));
    }
    let outcomes = state.inner.writer.write(prepared).await.inspect_err(|e| {
        if matches!(e, ApiError::Overloaded { .. }) {
            Metrics::add(&metrics.requests_overloaded, 1);
        }
    })?;
    let mut stored = 0;
    let mut rejected = Vec::new();
    for (index, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Outcome::Stored { .. } => stored += 1,
            Outcome::Duplicate => Metrics::add(&metrics.events_duplicate, 1),
            Outcome::Rejected { field, reason } => rejected.push(MessageError {
                index,
                field,
                reason,
            }),
        }
    }
    Metrics::add(&metrics.events_stored, stored);
    if !rejected.is_empty() {
        Metrics::add(&metrics.events_rejected, rejected.len());
        return Err(ApiError::PartlyStored {
            message: format!(
                "{} of {} messages were refused by the store; the others were stored",
                rejected.len(),
                raw.len()
            ),
            stored,
            errors: rejected,
        });
    }
    Ok(Json(json!({ "success": true })))
}

fn merge_context(message: &mut Map<String, Value>, batch_context: &Map<String, Value>) {
    let context = message
        .entry("context")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(context) = context {
        for (key, value) in batch_context {
            context.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
}

fn bad_request(message: String, errors: Vec<MessageError>) -> ApiError {
    ApiError::BadRequest { message, errors }
}

fn invalid_json(e: &serde_json::Error) -> ApiError {
    let message = if e.is_data() {
        format!("the body does not have the expected shape: {e}")
    } else {
        format!(
            "invalid JSON at line {} column {}: {e}",
            e.line(),
            e.column()
        )
    };
    bad_request(message, vec![])
}

fn now_millis() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
