//! Analysis endpoints: sizes, estimates of unsaved conditions, explanations and overlaps.
//!
//! Sizes, explanations and overlaps of stored segments are exact and current: memberships
//! are kept in real time and committed with the messages that change them, and an
//! explanation evaluates the profile as stored. An *estimate* of an unsaved condition needs
//! every profile's history, so it is evaluated on an engine snapshot of the store that is
//! rebuilt when it is older than [`SNAPSHOT_MAX_AGE_MS`]; the answer says how old it is.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::Json;
use roaring::RoaringBitmap;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_engine::Explanation;
use tessera_service::{Overlap, SegmentSize, Snapshot};
use tessera_store::{Scope, Store};

use crate::api::{check_key, condition_errors, not_found, parse_at, read};
use crate::{ApiError, AppState};

/// How stale the snapshot behind `POST /v1/segments/estimate` may be.
pub const SNAPSHOT_MAX_AGE_MS: i64 = 60_000;

/// The last snapshot built, shared by estimate requests (built by one of them at a time).
#[derive(Default)]
pub(crate) struct SnapshotCache(Mutex<Option<Arc<Snapshot>>>);

impl SnapshotCache {
    /// A snapshot at most [`SNAPSHOT_MAX_AGE_MS`] old, building one on its own connection
    /// (so that other reads are not held up) when needed.
    fn fresh(
        &self,
        dir: &std::path::Path,
        wrap_load: Option<fn(&mut dyn FnMut())>,
    ) -> Result<Arc<Snapshot>, ApiError> {
        let mut cached = self
            .0
            .lock()
            .map_err(|_| ApiError::Internal("snapshot cache poisoned".into()))?;
        let now = tessera_store::now_millis();
        if let Some(snapshot) = cached.as_ref() {
            if now - snapshot.at <= SNAPSHOT_MAX_AGE_MS {
                return Ok(snapshot.clone());
            }
        }
        let store = Store::open(dir)?;
        let mut loaded = None;
        let mut load = || loaded = Some(Snapshot::load(&store, now));
        match wrap_load {
            Some(wrap) => wrap(&mut load),
            None => load(),
        }
        let snapshot = loaded
            .ok_or_else(|| ApiError::Internal("the snapshot load was never run".into()))?
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let snapshot = Arc::new(snapshot);
        *cached = Some(snapshot.clone());
        Ok(snapshot)
    }
}

/// A stored segment's current size, share of all profiles and minimum-size guard.
pub(crate) async fn segment_size(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    check_key(&state, &headers, Scope::Read)?;
    let size = read(&state, move |store| {
        let segment = store.segment(&name).map_err(not_found)?;
        let members = store.members(&name)?.len() as u64;
        let population = store.profile_count()?;
        Ok(SegmentSize::new(
            &name,
            members,
            population,
            segment.min_size,
        ))
    })
    .await?;
    Ok(Json(json!(size)))
}

#[derive(Deserialize)]
pub(crate) struct EstimateBody {
    condition: String,
}

/// Size of a condition that is not saved, on a snapshot at most a minute old.
pub(crate) async fn estimate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<EstimateBody>,
) -> Result<Json<Value>, ApiError> {
    check_key(&state, &headers, Scope::Read)?;
    let inner = state.inner.clone();
    let answer = tokio::task::spawn_blocking(move || -> Result<Value, ApiError> {
        let snapshot = inner
            .snapshots
            .fresh(&inner.dir, inner.config.wrap_snapshot_load)?;
        let (expr, diagnostics) = tessera_service::analyse(&body.condition, &snapshot.catalog);
        if tessera_lang::has_errors(&diagnostics) {
            return Err(condition_errors(
                &body.condition,
                &diagnostics,
                "the condition has errors",
            ));
        }
        let started = std::time::Instant::now();
        let members = snapshot
            .evaluate(&expr)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let population = snapshot.index.len() as u64;
        let size = SegmentSize::new(
            "estimate",
            members.len(),
            population,
            tessera_service::DEFAULT_MIN_SIZE,
        );
        Ok(json!({
            "condition": expr.to_string(),
            "size": size.size,
            "population": population,
            "share": size.share,
            "over_segmented": size.over_segmented,
            "as_of": tessera_model::format_millis(snapshot.at),
            "evaluation_ms": started.elapsed().as_secs_f64() * 1e3,
        }))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("estimate task failed: {e}")))??;
    Ok(Json(answer))
}

#[derive(Deserialize)]
pub(crate) struct ExplainQuery {
    at: Option<String>,
}

/// Why a profile is or is not in a stored segment: every condition with what was found.
pub(crate) async fn explain(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
    Query(query): Query<ExplainQuery>,
) -> Result<Json<Value>, ApiError> {
    check_key(&state, &headers, Scope::Read)?;
    let at = match &query.at {
        Some(text) => parse_at(text)?,
        None => tessera_store::now_millis(),
    };
    let answer = read(&state, move |store| {
        let segment = store.segment(&name).map_err(not_found)?;
        let profile = store.resolve_profile(&id).map_err(not_found)?;
        let parsed = tessera_lang::parse(&segment.condition);
        if tessera_lang::has_errors(&parsed.diagnostics) {
            return Err(ApiError::Internal(format!(
                "the stored condition of `{name}` does not parse"
            )));
        }
        let expr = tessera_service::References::load(store)
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .expand(&parsed.expr)
            .map_err(|e| ApiError::BadRequest {
                message: format!("segment `{name}` cannot be evaluated: {e}"),
                errors: vec![],
            })?;
        let data = tessera_service::load_profile_for(store, &expr, profile, at)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let explanation = tessera_engine::interpreter::explain(&expr, &data, at);
        Ok(json!({
            "segment": name,
            "profile": profile,
            "at": tessera_model::format_millis(at),
            "member": explanation.held,
            "explanation": explanation_json(&explanation),
            "text": explanation.to_string(),
        }))
    })
    .await?;
    Ok(Json(answer))
}

fn explanation_json(e: &Explanation) -> Value {
    json!({
        "condition": e.condition,
        "found": e.found,
        "held": e.held,
        "children": e.children.iter().map(explanation_json).collect::<Vec<_>>(),
    })
}

#[derive(Deserialize)]
pub(crate) struct OverlapQuery {
    /// Comma-separated segment names.
    segments: String,
}

/// Pairwise overlaps (counts and Jaccard indexes) of stored segments' current members.
pub(crate) async fn overlap(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<OverlapQuery>,
) -> Result<Json<Value>, ApiError> {
    check_key(&state, &headers, Scope::Read)?;
    let names: Vec<String> = query
        .segments
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if names.is_empty() || names.len() > 200 {
        return Err(ApiError::BadRequest {
            message: "`segments` must name 1 to 200 segments, comma-separated".into(),
            errors: vec![],
        });
    }
    let overlap = read(&state, move |store| {
        let mut sets = Vec::with_capacity(names.len());
        for name in &names {
            store.segment(name).map_err(not_found)?;
            // Profile ids are dense row ids, so a bitmap over them is compact.
            let members = store
                .members(name)?
                .into_iter()
                .map(|p| {
                    u32::try_from(p)
                        .map_err(|_| ApiError::Internal(format!("profile id {p} exceeds 32 bits")))
                })
                .collect::<Result<RoaringBitmap, _>>()?;
            sets.push(members);
        }
        Ok(Overlap::compute(names, &sets))
    })
    .await?;
    Ok(Json(json!(overlap)))
}
