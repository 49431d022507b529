//! Tessera's HTTP service: the Segment-compatible collection API with durable group commit.
//!
//! ```text
//!   SDK ──POST /v1/batch (gzip, Basic auth)──▶ collect: auth, limits, parse, normalise
//!                                                 │ WriteRequest (bounded queue; full → 429)
//!                                                 ▼
//!                                writer thread: group commit of every queued request
//!                                  in one store transaction (fsync) ──▶ replies ──▶ 200
//! ```
//!
//! Invariants:
//! - A 200 is sent only after the request's messages are committed to the store.
//! - The queue in front of the writer is bounded; when it is full the answer is 429 with
//!   `Retry-After`, never an unbounded buffer.
//! - A request with an invalid message stores nothing and is answered 400 with every
//!   offending message's index, field and reason.
//!
//! Build the router with [`app`] (tests drive it with `tower::ServiceExt::oneshot`) and run it
//! with [`serve`].

mod analysis;
mod api;
mod auth;
mod collect;
mod error;
mod live;
mod metrics;
mod resources;
pub mod webhook;
mod writer;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use tessera_store::Store;
use tower_http::decompression::RequestDecompressionLayer;

pub use api::{openapi, Route, ROUTES};
pub use error::ApiError;
pub use metrics::Metrics;
use writer::WriterHandle;
pub use writer::WriterThread;

/// Limits and sizes of the service. Every field has a default.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest accepted message, in bytes of JSON (Segment: 32 KB).
    pub max_event_bytes: usize,
    /// Largest accepted `/v1/batch` body after decompression (Segment: 500 KB).
    pub max_batch_bytes: usize,
    /// Requests that may wait for the writer before new ones get 429.
    pub queue_capacity: usize,
    /// Most messages committed in one transaction.
    pub max_group_records: usize,
    /// Runs a load of an engine snapshot (the closure given) the way the process's allocator
    /// needs: the `tessera` binary hands the memory a load frees back to the operating system
    /// (`commands::loading`), which a library cannot do for it. `None` runs the load as is.
    pub wrap_snapshot_load: Option<fn(&mut dyn FnMut())>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_event_bytes: 32 * 1024,
            max_batch_bytes: 500 * 1024,
            queue_capacity: 256,
            max_group_records: 20_000,
            wrap_snapshot_load: None,
        }
    }
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: ServerConfig,
    writer: WriterHandle,
    keys: auth::KeyCache,
    /// A second connection for reads (keys, profiles, segments); WAL lets it read beside the
    /// writer.
    reader: Arc<Mutex<Store>>,
    identity: tessera_identity::IdentityConfig,
    metrics: Arc<Metrics>,
    ready: AtomicBool,
    /// The data directory, for connections of their own (snapshots).
    dir: std::path::PathBuf,
    /// The engine snapshot behind estimates of unsaved conditions.
    snapshots: analysis::SnapshotCache,
    /// Membership changes as they are recorded, for the Server-Sent Events stream.
    stream: tokio::sync::broadcast::Sender<tessera_store::MembershipChange>,
}

impl AppState {
    /// Starts the writer thread on `store` (the only connection that writes) and reads keys
    /// through `reader` (a second connection to the same data directory).
    pub fn start(
        store: Store,
        reader: Store,
        config: ServerConfig,
    ) -> Result<(AppState, WriterThread), ApiError> {
        let metrics = Arc::new(Metrics::default());
        let identity = store.config().identity.clone();
        let dir = store.dir().to_path_buf();
        let deliverer = Store::open(store.dir())?;
        let (wake, woken) = std::sync::mpsc::sync_channel(1);
        let (results, delivery_results) = std::sync::mpsc::channel();
        // Slow subscribers that fall this far behind are told how many changes they missed.
        let (stream, _) = tokio::sync::broadcast::channel(10_000);
        let (writer, thread) = writer::spawn(
            store,
            config.queue_capacity,
            config.max_group_records,
            metrics.clone(),
            wake,
            delivery_results,
            stream.clone(),
        )?;
        // Stops after the writer (its wake-up sender) is gone.
        webhook::spawn(deliverer, woken, results, metrics.clone());
        let reader = Arc::new(Mutex::new(reader));
        let keys = auth::KeyCache::load(reader.clone())?;
        let state = AppState {
            inner: Arc::new(Inner {
                config,
                writer,
                keys,
                reader,
                identity,
                metrics,
                dir,
                snapshots: Default::default(),
                ready: AtomicBool::new(true),
                stream,
            }),
        };
        Ok((state, thread))
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }
}

/// The service's routes.
pub fn app(state: AppState) -> Router {
    let body_cap = state.inner.config.max_batch_bytes.saturating_mul(2);
    let collection = Router::new()
        .route("/v1/batch", post(collect::batch))
        .route("/v1/import", post(collect::batch))
        .route("/v1/track", post(collect::track))
        .route("/v1/identify", post(collect::identify))
        .route("/v1/page", post(collect::page))
        .route("/v1/screen", post(collect::screen))
        .route("/v1/group", post(collect::group))
        .route("/v1/alias", post(collect::alias))
        // Bodies are measured after gzip decompression; beyond twice the batch limit the
        // request is cut off before it is read whole.
        .layer(DefaultBodyLimit::max(body_cap))
        .layer(RequestDecompressionLayer::new());
    Router::new()
        .merge(collection)
        .route(
            "/v1/profiles/{id}",
            get(api::get_profile).delete(api::erase_profile),
        )
        .route("/v1/segments", get(api::list_segments))
        .route("/v1/segments/validate", post(api::validate_segment))
        .route("/v1/segments/estimate", post(analysis::estimate))
        .route("/v1/segments/overlap", get(analysis::overlap))
        .route("/v1/segments/{name}/size", get(analysis::segment_size))
        .route("/v1/segments/{name}/explain/{id}", get(analysis::explain))
        .route("/v1/places", get(resources::list_places))
        .route(
            "/v1/places/{name}",
            get(resources::get_place)
                .put(resources::put_place)
                .delete(resources::delete_place),
        )
        .route(
            "/v1/destinations",
            get(resources::list_destinations).post(resources::add_destination),
        )
        .route(
            "/v1/destinations/{id}",
            axum::routing::delete(resources::delete_destination),
        )
        .route("/v1/destinations/{id}/dead", get(resources::dead_letters))
        .route("/v1/destinations/{id}/replay", post(resources::replay))
        .route(
            "/v1/segments/{name}",
            get(api::get_segment)
                .put(api::put_segment)
                .delete(api::delete_segment),
        )
        .route("/v1/segments/{name}/members", get(api::segment_members))
        .route("/v1/stream/memberships", get(api::membership_stream))
        .route("/openapi.json", get(api::openapi_json))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::render))
        .with_state(state)
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.inner.ready.load(Ordering::Relaxed) {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "draining")
    }
}

/// Serves until `shutdown` completes, then stops accepting, drains in-flight requests, and
/// lets the writer commit everything it was given before returning.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    writer_thread: WriterThread,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let draining = state.clone();
    let router = app(state);
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        draining.inner.ready.store(false, Ordering::Relaxed);
        tracing::info!("shutting down: draining in-flight requests");
    })
    .await?;
    // The router and the shutdown future (and with them every sender to the writer) are
    // gone: the writer finishes the queue and exits.
    writer_thread.join();
    Ok(())
}
