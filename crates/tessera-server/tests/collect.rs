//! The collection API through the router (no socket), as Segment's libraries use it.

use std::io::Write;
use std::path::Path;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use base64::Engine;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tessera_server::{app, AppState, ServerConfig};
use tessera_store::{Scope, Store};
use tower::ServiceExt;

struct Harness {
    _dir: tempfile::TempDir,
    data: std::path::PathBuf,
    key: String,
    state: AppState,
    /// Runs for the whole test; it stops once the last state clone is dropped.
    _writer: tessera_server::WriterThread,
}

fn harness(config: ServerConfig) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut store = Store::init(&data).unwrap();
    let (_, key) = store.create_api_key("test", Scope::Write).unwrap();
    let reader = Store::open(&data).unwrap();
    let (state, writer) = AppState::start(store, reader, config).unwrap();
    Harness {
        _dir: dir,
        data,
        key,
        state,
        _writer: writer,
    }
}

fn basic(key: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    )
}

async fn post(
    h: &Harness,
    path: &str,
    auth: Option<&str>,
    body: Vec<u8>,
    gzip: bool,
) -> (StatusCode, Value, Option<String>) {
    let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    if let Some(auth) = auth {
        request = request.header(header::AUTHORIZATION, auth);
    }
    if gzip {
        request = request.header(header::CONTENT_ENCODING, "gzip");
    }
    let response = app(h.state.clone())
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let retry = response
        .headers()
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        retry,
    )
}

/// `POST /v1/batch` with the harness's key.
async fn post_batch(h: &Harness, body: &Value) -> (StatusCode, Value, Option<String>) {
    post(
        h,
        "/v1/batch",
        Some(&basic(&h.key)),
        body.to_string().into_bytes(),
        false,
    )
    .await
}

fn events(data: &Path) -> u64 {
    Store::open(data).unwrap().stats().unwrap().events
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_is_stored_once_and_acknowledged_after_commit() {
    let h = harness(ServerConfig::default());
    let body = json!({"batch": [
        {"type": "identify", "userId": "u1", "messageId": "i1", "traits": {"email": "Ana@Example.com", "age": 31}},
        {"type": "track", "userId": "u1", "messageId": "t1", "event": "Order Completed", "properties": {"revenue": 10}},
        {"type": "page", "anonymousId": "a1", "messageId": "p1", "name": "Home"}
    ], "sentAt": "2026-10-01T00:00:00Z"});
    let (status, body_json, _) = post_batch(&h, &body).await;
    assert_eq!(status, StatusCode::OK, "{body_json}");
    assert_eq!(body_json, json!({"success": true}));
    // Acknowledged means committed: a fresh connection sees the messages.
    assert_eq!(events(&h.data), 3);
    let (status, _, _) = post_batch(&h, &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(events(&h.data), 3, "a replay is a no-op");
    let store = Store::open(&h.data).unwrap();
    assert!(store
        .find_profile(&tessera_model::Identifier::new("email", "ana@example.com"))
        .unwrap()
        .is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_messages_are_named_by_index_and_field_and_nothing_is_stored() {
    let h = harness(ServerConfig::default());
    let body = json!({"batch": [
        {"type": "track", "userId": "u1", "event": "Fine"},
        {"type": "track", "userId": "u1"},
        {"type": "track", "event": "No one"},
        {"type": "track", "userId": "u1", "event": "E", "timestamp": "yesterday"}
    ]});
    let (status, body, _) = post_batch(&h, &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let errors: Vec<(u64, String)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["index"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            (1, "event".into()),
            (2, "userId".into()),
            (3, "timestamp".into())
        ]
    );
    assert_eq!(
        body["error"],
        "3 of 4 messages are invalid; nothing was stored"
    );
    assert_eq!(events(&h.data), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_are_400_naming_the_message() {
    let h = harness(ServerConfig {
        max_event_bytes: 200,
        max_batch_bytes: 1_000,
        ..ServerConfig::default()
    });
    let big = "x".repeat(300);
    let body = json!({"batch": [{"type": "track", "userId": "u", "event": "E"}, {"type": "track", "userId": "u", "event": big}]});
    let (status, body, _) = post_batch(&h, &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["index"], 1);
    assert!(
        body["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("the limit is 200 bytes"),
        "{body}"
    );
    let many: Vec<Value> = (0..40)
        .map(|i| json!({"type": "track", "userId": "u", "event": format!("E{i}")}))
        .collect();
    let (status, body, _) = post(
        &h,
        "/v1/batch",
        Some(&basic(&h.key)),
        json!({"batch": many}).to_string().into_bytes(),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("the limit is 1000 bytes"),
        "{body}"
    );
    let (status, body, _) = post(
        &h,
        "/v1/batch",
        Some(&basic(&h.key)),
        b"{\"batch\": [".to_vec(),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("invalid JSON at line 1"),
        "{body}"
    );
    assert_eq!(events(&h.data), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_from_header_or_body_and_unknown_keys_are_401() {
    let h = harness(ServerConfig::default());
    let message = |key: Option<&str>| {
        let mut m = json!({"userId": "u1", "event": "Signed Up"});
        if let Some(key) = key {
            m["writeKey"] = json!(key);
        }
        m.to_string().into_bytes()
    };
    let (status, body, _) = post(&h, "/v1/track", None, message(None), false).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "missing or unknown write key");
    let (status, _, _) = post(
        &h,
        "/v1/track",
        Some(&basic("tsk_write_forged")),
        message(None),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = post(&h, "/v1/track", None, message(Some(&h.key)), false).await;
    assert_eq!(status, StatusCode::OK);
    let mut store = Store::open(&h.data).unwrap();
    let (_, reader_key) = store.create_api_key("dashboard", Scope::Read).unwrap();
    // A key created after the server started works without a restart (after the reload
    // interval), and a read key may not write.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let (status, _, _) = post(
        &h,
        "/v1/track",
        Some(&basic(&reader_key)),
        message(None),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(events(&h.data), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn gzip_bodies_and_every_single_message_endpoint() {
    let h = harness(ServerConfig::default());
    let gz = |value: Value| {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(value.to_string().as_bytes()).unwrap();
        encoder.finish().unwrap()
    };
    let auth = basic(&h.key);
    let cases = [
        (
            "/v1/track",
            json!({"userId": "u1", "event": "Order Completed"}),
        ),
        (
            "/v1/identify",
            json!({"userId": "u1", "traits": {"plan": "pro"}}),
        ),
        ("/v1/page", json!({"userId": "u1", "name": "Home"})),
        ("/v1/screen", json!({"userId": "u1", "name": "Settings"})),
        (
            "/v1/group",
            json!({"userId": "u1", "groupId": "acme", "traits": {"employees": 30}}),
        ),
        ("/v1/alias", json!({"userId": "u1", "previousId": "anon-7"})),
    ];
    for (path, message) in cases {
        let (status, body, _) = post(&h, path, Some(&auth), gz(message), true).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    let store = Store::open(&h.data).unwrap();
    let profile = store
        .find_profile(&tessera_model::Identifier::new("user_id", "u1"))
        .unwrap()
        .unwrap();
    let view = store.profile_view(profile, 10).unwrap();
    let names: Vec<&str> = view
        .recent_events
        .iter()
        .map(|(_, _, name, _)| name.as_str())
        .collect();
    for expected in [
        "Order Completed",
        "Identify",
        "Page Viewed",
        "Screen Viewed",
        "Group",
        "Alias",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    assert_eq!(view.traits["plan"], json!("pro"));
    assert!(
        view.identifiers
            .iter()
            .any(|i| i.to_string() == "anonymous_id:anon-7"),
        "{:?}",
        view.identifiers
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn clock_skew_is_corrected_with_the_batch_sent_at() {
    let h = harness(ServerConfig::default());
    // The device's clock is one hour ahead: it says it sent the batch at 11:00 when the
    // server receives it (now); the event happened 10 minutes before sending.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let device = |ms: i64| tessera_model::format_millis(ms + 3_600_000);
    let body = json!({"batch": [
        {"type": "track", "userId": "u1", "event": "Skewed", "messageId": "s1", "originalTimestamp": device(now - 600_000)}
    ], "sentAt": device(now)});
    let (status, _, _) = post_batch(&h, &body).await;
    assert_eq!(status, StatusCode::OK);
    let store = Store::open(&h.data).unwrap();
    let profile = store
        .find_profile(&tessera_model::Identifier::new("user_id", "u1"))
        .unwrap()
        .unwrap();
    let (_, events) = store.profile_data(profile, None).unwrap();
    let corrected = events[0].1;
    // Corrected to about ten minutes before receipt (allowing for the time the test took).
    assert!(
        (now - 600_000..now - 590_000).contains(&corrected),
        "{} vs {}",
        corrected,
        now - 600_000
    );
}

/// Holds SQLite's write lock from another connection, so the writer blocks in its commit.
fn hold_write_lock(data: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(data.join("tessera.db")).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    conn
}

fn commits(h: &Harness) -> u64 {
    let text = h.state.metrics().render();
    let line = text
        .lines()
        .find(|l| l.starts_with("tessera_commit_seconds_count"))
        .unwrap();
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

fn track(i: usize) -> Vec<u8> {
    json!({"batch": [{"type": "track", "userId": format!("u{i}"), "event": "E", "messageId": format!("m{i}")}]})
        .to_string()
        .into_bytes()
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_requests_share_commits_and_a_full_queue_answers_429() {
    let h = std::sync::Arc::new(harness(ServerConfig {
        queue_capacity: 64,
        ..ServerConfig::default()
    }));
    let lock = hold_write_lock(&h.data);
    let auth = basic(&h.key);
    let mut waiting = Vec::new();
    for i in 0..40 {
        let (h, auth) = (h.clone(), auth.clone());
        waiting.push(tokio::spawn(async move {
            post(&h, "/v1/batch", Some(&auth), track(i), false).await.0
        }));
    }
    // Sequencing only (no timing is asserted): let the requests reach the queue.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    lock.execute_batch("COMMIT").unwrap();
    for request in waiting {
        assert_eq!(request.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(events(&h.data), 40);
    // The writer was blocked while the requests queued, so they were committed together.
    assert!(
        commits(&h) <= 3,
        "{} commits for 40 concurrent requests",
        commits(&h)
    );

    let h = std::sync::Arc::new(harness(ServerConfig {
        queue_capacity: 1,
        ..ServerConfig::default()
    }));
    let lock = hold_write_lock(&h.data);
    let first = {
        let (h, auth) = (h.clone(), basic(&h.key));
        tokio::spawn(async move { post(&h, "/v1/batch", Some(&auth), track(1), false).await.0 })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await; // the writer takes it
    let second = {
        let (h, auth) = (h.clone(), basic(&h.key));
        tokio::spawn(async move { post(&h, "/v1/batch", Some(&auth), track(2), false).await.0 })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await; // it fills the queue
    let (status, body, retry_after) =
        post(&h, "/v1/batch", Some(&basic(&h.key)), track(3), false).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(retry_after.as_deref(), Some("1"));
    lock.execute_batch("COMMIT").unwrap();
    assert_eq!(first.await.unwrap(), StatusCode::OK);
    assert_eq!(second.await.unwrap(), StatusCode::OK);
    assert_eq!(events(&h.data), 2, "the refused request stored nothing");
}
