//! The management API and the OpenAPI document, through the router.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tessera_server::{app, openapi, AppState, ServerConfig, ROUTES};
use tessera_store::{Scope, Store};
use tower::ServiceExt;

struct Harness {
    _dir: tempfile::TempDir,
    state: AppState,
    write: String,
    read: String,
    admin: String,
    _writer: tessera_server::WriterThread,
}

fn harness() -> Harness {
    harness_with(ServerConfig::default())
}

fn harness_with(config: ServerConfig) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut store = Store::init(&data).unwrap();
    let (_, write) = store.create_api_key("w", Scope::Write).unwrap();
    let (_, read) = store.create_api_key("r", Scope::Read).unwrap();
    let (_, admin) = store.create_api_key("a", Scope::Admin).unwrap();
    let reader = Store::open(&data).unwrap();
    let (state, writer) = AppState::start(store, reader, config).unwrap();
    Harness {
        _dir: dir,
        state,
        write,
        read,
        admin,
        _writer: writer,
    }
}

async fn call(
    h: &Harness,
    method: Method,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(key) = key {
        request = request.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let response = app(h.state.clone())
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Sends a batch with the write key and requires a 200.
async fn post_batch(h: &Harness, batch: Value) {
    let (status, body) = call(h, Method::POST, "/v1/batch", Some(&h.write), Some(batch)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn profiles_are_read_by_any_identifier_and_erased_with_an_admin_key() {
    let h = harness();
    let batch = json!({"batch": [
        {"type": "identify", "userId": "u1", "traits": {"email": "ana@example.com", "plan": "pro"}},
        {"type": "track", "userId": "u1", "event": "Order Completed", "properties": {"revenue": 5}}
    ]});
    post_batch(&h, batch).await;

    let (status, view) = call(
        &h,
        Method::GET,
        "/v1/profiles/email:ana@example.com",
        Some(&h.read),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["traits"]["plan"], "pro");
    assert_eq!(view["event_count"], 2);
    let (status, _) = call(&h, Method::GET, "/v1/profiles/user_id:u1", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = call(
        &h,
        Method::GET,
        "/v1/profiles/user_id:u1",
        Some(&h.write),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a write key may not read profiles"
    );
    let (status, body) = call(
        &h,
        Method::GET,
        "/v1/profiles/user_id:nobody",
        Some(&h.read),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body["error"],
        "no profile has the identifier user_id:nobody"
    );

    let (status, _) = call(
        &h,
        Method::DELETE,
        "/v1/profiles/user_id:u1",
        Some(&h.read),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "erasure needs the admin scope"
    );
    let (status, body) = call(
        &h,
        Method::DELETE,
        "/v1/profiles/user_id:u1",
        Some(&h.admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["removed"]["events"], 2);
    let (status, _) = call(
        &h,
        Method::GET,
        "/v1/profiles/email:ana@example.com",
        Some(&h.read),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn conditions_are_validated_with_located_errors() {
    let h = harness();
    let batch =
        json!({"batch": [{"type": "identify", "userId": "u1", "traits": {"income": 90000}}]});
    post_batch(&h, batch).await;
    let (status, body) = call(
        &h,
        Method::POST,
        "/v1/segments/validate",
        Some(&h.read),
        Some(json!({"condition": "incme > 75000"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["valid"], false);
    assert_eq!(body["diagnostics"][0]["line"], 1);
    assert_eq!(body["diagnostics"][0]["column"], 1);
    assert_eq!(body["diagnostics"][0]["hint"], "did you mean `income`?");
    let (_, body) = call(
        &h,
        Method::POST,
        "/v1/segments/validate",
        Some(&h.read),
        Some(json!({"condition": "income>75000"})),
    )
    .await;
    assert_eq!(body["valid"], true);
    assert_eq!(body["canonical"], "income > 75000");
    let (status, body) = call(&h, Method::GET, "/v1/segments", Some(&h.read), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["segments"], json!([]));
    let (status, _) = call(&h, Method::GET, "/v1/segments/none", Some(&h.read), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Keeps the OpenAPI document and the router in sync: every documented route is served (not
/// 404/405), and the document served is the generated one.
#[tokio::test(flavor = "multi_thread")]
async fn every_documented_route_is_served_and_the_document_lists_them_all() {
    let h = harness();
    for route in ROUTES {
        let path = route
            .path
            .replace("{id}", "user_id:x")
            .replace("{name}", "x");
        let method = Method::from_bytes(route.method.to_uppercase().as_bytes()).unwrap();
        let body = (route.method == "post").then(|| json!({}));
        if route.path.starts_with("/v1/stream/") {
            // A stream never ends: only its status is read.
            let request = Request::builder()
                .method(method)
                .uri(path.as_str())
                .header(header::AUTHORIZATION, format!("Bearer {}", h.admin))
                .body(Body::empty())
                .unwrap();
            let status = app(h.state.clone())
                .oneshot(request)
                .await
                .unwrap()
                .status();
            assert_eq!(status, StatusCode::OK, "{} {}", route.method, route.path);
            continue;
        }
        let (status, answer) = call(&h, method, &path, Some(&h.admin), body).await;
        // A handler's 404 ("no such segment") is JSON; the router's own 404 has no body.
        assert!(
            status != StatusCode::NOT_FOUND || answer.get("error").is_some(),
            "{} {} is documented but not routed",
            route.method,
            route.path
        );
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{} {}",
            route.method,
            route.path
        );
    }
    let (status, served) = call(&h, Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(served, openapi());
    let paths = served["paths"].as_object().unwrap();
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(documented, ROUTES.len());
    assert_eq!(served["openapi"], "3.0.3");
}

#[tokio::test(flavor = "multi_thread")]
async fn segment_members_are_paged_and_answered_as_of_an_instant() {
    let h = harness();
    let data = h._dir.path().join("data");
    let mut store = Store::open(&data).unwrap();
    let segment = tessera_store::StoredSegment::new("vip", "age > 1");
    let at = |s: &str| tessera_model::parse_timestamp(s).unwrap();
    store
        .apply_segments(&[(segment.clone(), vec![1, 2, 3])], at("2026-10-01"))
        .unwrap();
    store
        .apply_segments(&[(segment, vec![3, 4])], at("2026-10-10"))
        .unwrap();
    let (status, body) = call(
        &h,
        Method::GET,
        "/v1/segments/vip/members?at=2026-10-05T00:00:00Z&limit=2",
        Some(&h.read),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["members"], json!([1, 2]));
    assert_eq!(body["next_after"], 2);
    let (_, body) = call(
        &h,
        Method::GET,
        "/v1/segments/vip/members?at=2026-10-05T00:00:00Z&limit=2&after=2",
        Some(&h.read),
        None,
    )
    .await;
    assert_eq!(body["members"], json!([3]));
    assert_eq!(body["next_after"], Value::Null);
    let (_, body) = call(
        &h,
        Method::GET,
        "/v1/segments/vip/members?at=2026-10-11",
        Some(&h.read),
        None,
    )
    .await;
    assert_eq!(body["members"], json!([3, 4]));
    let (status, body) = call(
        &h,
        Method::GET,
        "/v1/segments/vip/members?at=soon",
        Some(&h.read),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"].as_str().unwrap().contains("`at` = `soon`"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn segments_are_created_checked_evaluated_in_real_time_and_deleted() {
    let h = harness();
    let batch =
        json!({"batch": [{"type": "identify", "userId": "u1", "traits": {"income": 90000}}]});
    post_batch(&h, batch).await;

    let (status, body) = call(
        &h,
        Method::PUT,
        "/v1/segments/rich",
        Some(&h.admin),
        Some(json!({"condition": "incme > 1"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["field"], "condition:1:1");
    assert!(
        body["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("did you mean `income`?"),
        "{body}"
    );
    let (status, _) = call(
        &h,
        Method::PUT,
        "/v1/segments/rich",
        Some(&h.read),
        Some(json!({"condition": "income > 1"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, body) = call(
        &h,
        Method::PUT,
        "/v1/segments/rich",
        Some(&h.admin),
        Some(json!({"condition": "income>75000", "description": "high earners", "min_size": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["condition"], "income > 75000");
    // The running server picks the new definition up and records its members.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, body) = call(
            &h,
            Method::GET,
            "/v1/segments/rich/members",
            Some(&h.read),
            None,
        )
        .await;
        if body["members"].as_array().is_some_and(|m| m.len() == 1) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{body}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (status, _) = call(
        &h,
        Method::DELETE,
        "/v1/segments/rich",
        Some(&h.admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(&h, Method::GET, "/v1/segments/rich", Some(&h.read), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The binary hands a snapshot load's freed memory back to the OS through this hook: every
/// load runs inside it, and a snapshot still fresh is not loaded again.
#[tokio::test(flavor = "multi_thread")]
async fn snapshot_loads_run_inside_the_configured_wrapper() {
    static LOADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let h = harness_with(ServerConfig {
        wrap_snapshot_load: Some(|load| {
            LOADS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            load();
        }),
        ..ServerConfig::default()
    });
    post_batch(
        &h,
        json!({"batch": [
            {"type": "identify", "userId": "ana", "traits": {"plan": "pro"}},
            {"type": "identify", "userId": "bo", "traits": {"plan": "free"}}
        ]}),
    )
    .await;
    for _ in 0..2 {
        let (status, estimate) = call(
            &h,
            Method::POST,
            "/v1/segments/estimate",
            Some(&h.read),
            Some(json!({"condition": "plan = \"pro\""})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{estimate}");
        assert_eq!(estimate["size"], json!(1), "{estimate}");
    }
    assert_eq!(LOADS.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn sizes_explanations_overlaps_and_estimates_follow_the_data() {
    let h = harness();
    post_batch(
        &h,
        json!({"batch": [
            {"type": "identify", "userId": "ana", "traits": {"plan": "pro"}},
            {"type": "identify", "userId": "bo", "traits": {"plan": "free"}},
            {"type": "identify", "userId": "cy", "traits": {"plan": "pro"}},
            {"type": "track", "userId": "ana", "event": "Order Completed"},
            {"type": "track", "userId": "bo", "event": "Order Completed"}
        ]}),
    )
    .await;
    for (name, condition) in [
        ("buyers", "did(Order Completed)"),
        ("pro", "plan = \"pro\""),
    ] {
        let (status, body) = call(
            &h,
            Method::PUT,
            &format!("/v1/segments/{name}"),
            Some(&h.admin),
            Some(json!({"condition": condition, "min_size": 2})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // Segment definitions reach real-time evaluation at the writer's next tick.
    let mut size = Value::Null;
    for _ in 0..100 {
        let (_, body) = call(
            &h,
            Method::GET,
            "/v1/segments/pro/size",
            Some(&h.read),
            None,
        )
        .await;
        size = body;
        if size["size"] == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(size["size"], 2, "{size}");
    assert_eq!(size["over_segmented"], false);
    assert!((size["share"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);

    let (status, overlap) = call(
        &h,
        Method::GET,
        "/v1/segments/overlap?segments=buyers,pro",
        Some(&h.read),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{overlap}");
    assert_eq!(overlap["intersections"], json!([[2, 1], [1, 2]]));
    assert!((overlap["jaccard"][0][1].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12);
    let (status, _) = call(
        &h,
        Method::GET,
        "/v1/segments/overlap?segments=buyers,nope",
        Some(&h.read),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, why) = call(
        &h,
        Method::GET,
        "/v1/segments/pro/explain/user_id:bo",
        Some(&h.read),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{why}");
    assert_eq!(why["member"], false);
    assert_eq!(why["explanation"]["condition"], "plan = \"pro\"");
    assert!(
        why["explanation"]["found"]
            .as_str()
            .unwrap()
            .contains("free"),
        "{why}"
    );

    let (status, estimate) = call(
        &h,
        Method::POST,
        "/v1/segments/estimate",
        Some(&h.read),
        Some(json!({"condition": "plan = \"pro\" and not did(Order Completed)"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{estimate}");
    assert_eq!(
        (estimate["size"].clone(), estimate["population"].clone()),
        (json!(1), json!(3))
    );
    let (status, bad) = call(
        &h,
        Method::POST,
        "/v1/segments/estimate",
        Some(&h.read),
        Some(json!({"condition": "plna = \"pro\""})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["errors"][0]["field"], "condition:1:1", "{bad}");

    // Route names are not segment names: the router answers, not the segment handler.
    let (status, _) = call(
        &h,
        Method::PUT,
        "/v1/segments/overlap",
        Some(&h.admin),
        Some(json!({"condition": "plan = \"pro\""})),
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test(flavor = "multi_thread")]
async fn places_and_destinations_are_managed_with_validation() {
    let h = harness();
    let (status, body) = call(
        &h,
        Method::PUT,
        "/v1/places/downtown",
        Some(&h.admin),
        Some(json!({"lat": 41.8781, "lon": -87.6298, "tags": ["store", "urban"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = call(
        &h,
        Method::PUT,
        "/v1/places/swapped",
        Some(&h.admin),
        Some(json!({"lat": -122.4194, "lon": 37.7749})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["field"], "lat", "{body}");
    let (status, _) = call(
        &h,
        Method::PUT,
        "/v1/places/x",
        Some(&h.read),
        Some(json!({"lat": 1.0, "lon": 1.0})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, places) = call(&h, Method::GET, "/v1/places", Some(&h.read), None).await;
    assert_eq!(
        places["places"],
        json!([{"name": "downtown", "lat": 41.8781, "lon": -87.6298, "tags": ["store", "urban"]}])
    );
    let (status, _) = call(
        &h,
        Method::DELETE,
        "/v1/places/downtown",
        Some(&h.admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(&h, Method::GET, "/v1/places/downtown", Some(&h.read), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    call(
        &h,
        Method::PUT,
        "/v1/segments/vip",
        Some(&h.admin),
        Some(json!({"condition": "did(Order Completed)"})),
    )
    .await;
    let (status, added) = call(
        &h,
        Method::POST,
        "/v1/destinations",
        Some(&h.admin),
        Some(json!({"segment": "vip", "url": "http://127.0.0.1:9/hook", "on": ["enter"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{added}");
    assert_eq!(added["secret"].as_str().unwrap().len(), 48);
    assert_eq!(
        (added["on_enter"].clone(), added["on_exit"].clone()),
        (json!(true), json!(false))
    );
    let (status, bad) = call(
        &h,
        Method::POST,
        "/v1/destinations",
        Some(&h.admin),
        Some(json!({"segment": "vip", "url": "ftp://x", "on": ["enter", "leave"]})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["errors"][0]["field"], "on[1]", "{bad}");
    let (status, bad) = call(
        &h,
        Method::POST,
        "/v1/destinations",
        Some(&h.admin),
        Some(json!({"segment": "vip", "url": "ftp://x"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["errors"][0]["field"], "url", "{bad}");
    let (_, listed) = call(&h, Method::GET, "/v1/destinations", Some(&h.read), None).await;
    assert_eq!(listed["destinations"].as_array().unwrap().len(), 1);
    assert!(
        listed["destinations"][0].get("secret").is_none(),
        "{listed}"
    );
    let id = added["id"].as_u64().unwrap();
    let (status, dead) = call(
        &h,
        Method::GET,
        &format!("/v1/destinations/{id}/dead"),
        Some(&h.read),
        None,
    )
    .await;
    assert_eq!((status, dead["dead"].clone()), (StatusCode::OK, json!([])));
    let (status, replayed) = call(
        &h,
        Method::POST,
        &format!("/v1/destinations/{id}/replay"),
        Some(&h.admin),
        None,
    )
    .await;
    assert_eq!(
        (status, replayed["replayed"].clone()),
        (StatusCode::OK, json!(0))
    );
    let (status, _) = call(
        &h,
        Method::DELETE,
        &format!("/v1/destinations/{id}"),
        Some(&h.admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &h,
        Method::DELETE,
        &format!("/v1/destinations/{id}"),
        Some(&h.admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// docs/api.md lists every route the router serves, as `METHOD path`.
#[test]
fn the_api_reference_lists_every_route() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md")).unwrap();
    for route in ROUTES
        .iter()
        .filter(|r| !r.path.starts_with("/v1/") || !matches!(r.scope, Some(Scope::Write)))
    {
        let entry = format!("`{} {}", route.method.to_uppercase(), route.path);
        assert!(doc.contains(&entry), "docs/api.md does not list {entry}`");
    }
}
