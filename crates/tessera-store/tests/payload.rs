//! Event payloads through the public API: compressed rows (once the store has trained a
//! dictionary), plain rows (before) and rows stored before payloads existed all read back the
//! same, in the full scan and per profile, before and after reopening.

use serde_json::{json, Map, Value};
use tessera_model::{EventKind, Identifier};
use tessera_store::{EncodedRecord, Outcome, Record, Store};

fn product_view(i: i64) -> Record {
    let object = |v: Value| v.as_object().cloned().unwrap();
    let category = ["electronics", "beauty", "home"][i as usize % 3];
    Record {
        message_id: format!("m{i}"),
        kind: EventKind::Track,
        name: "Product Viewed".into(),
        timestamp: i,
        received_at: i,
        identifiers: vec![Identifier::new("user_id", format!("u{}", i % 40))],
        traits: vec![],
        consents: vec![],
        properties: object(json!({
            "category": category,
            "price": i as f64 / 7.0,
            "sku": format!("S{:03}", i % 70),
        })),
        context: object(json!({
            "campaign": {"source": "google", "medium": "cpc", "name": format!("c{}", i % 12)},
            "timezone": "Europe/Paris",
            "page": {"path": format!("/p/{}", i % 90), "referrer": "https://www.google.com/"},
        })),
    }
}

/// The properties a segment sees: the stored ones with the segment context under `context`.
fn seen(record: &Record) -> Map<String, Value> {
    let mut expected = record.properties.clone();
    if let Some(summary) = tessera_model::segment_context(&record.context) {
        expected.insert("context".into(), Value::Object(summary));
    }
    expected
}

fn scan(store: &Store) -> Vec<(u64, String, i64, Map<String, Value>)> {
    let mut rows = Vec::new();
    store
        .for_each_event(None, |p, name, ts, props| {
            rows.push((p, name.to_string(), ts, props.clone()))
        })
        .unwrap();
    rows
}

#[test]
fn compressed_plain_and_older_rows_read_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path()).unwrap();
    // About 2 MB of payload: the store trains a dictionary on the way.
    let records: Vec<Record> = (0..8000).map(product_view).collect();
    let mut profiles = Vec::new();
    for chunk in records.chunks(1000) {
        for outcome in store.ingest_batch(chunk).unwrap() {
            match outcome {
                Outcome::Stored { profile, .. } => profiles.push(profile),
                other => panic!("{other:?}"),
            }
        }
    }
    // An event as stored before payloads existed: three text columns, no payload.
    let db = rusqlite::Connection::open(dir.path().join(tessera_store::DB_FILE)).unwrap();
    db.execute(
        r#"INSERT INTO events (message_id, profile_id, kind, name, ts, received_at, properties, context, segment_context)
           SELECT 'older', profile_id, 'track', 'Product Viewed', 9000, 9000, '{"sku":"OLD"}', '{}',
                  '{"channel":"Direct"}'
           FROM events WHERE message_id = 'm0'"#,
        [],
    )
    .unwrap();
    let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(count("SELECT count(*) FROM payload_dicts"), 1);
    let packed = count("SELECT count(*) FROM events WHERE substr(payload, 1, 1) = x'01'");
    let plain = count("SELECT count(*) FROM events WHERE substr(payload, 1, 1) = x'00'");
    assert!(
        packed > 3000 && plain > 1000,
        "{packed} compressed, {plain} plain"
    );
    let stored: i64 =
        count("SELECT sum(length(payload)) FROM events WHERE substr(payload, 1, 1) = x'01'");
    // Against the three JSON texts as they were stored before (about 330 bytes an event).
    let texts: usize = records
        .iter()
        .map(|r| {
            let summary = tessera_model::segment_context(&r.context).map(Value::Object);
            Value::Object(r.properties.clone()).to_string().len()
                + Value::Object(r.context.clone()).to_string().len()
                + summary.map_or(0, |s| s.to_string().len())
        })
        .sum();
    let per_row = texts as i64 / records.len() as i64;
    assert!(
        stored * 4 < per_row * packed,
        "{stored} bytes for {packed} rows of {per_row}"
    );

    let mut expected: Vec<(u64, String, i64, Map<String, Value>)> = records
        .iter()
        .zip(&profiles)
        .map(|(r, &p)| (p, r.name.clone(), r.timestamp, seen(r)))
        .collect();
    let older = json!({"sku": "OLD", "context": {"channel": "Direct"}});
    expected.push((
        profiles[0],
        "Product Viewed".into(),
        9000,
        older.as_object().cloned().unwrap(),
    ));
    for store in [store, Store::open(dir.path()).unwrap()] {
        let rows = scan(&store);
        assert_eq!(rows.len(), expected.len());
        for (i, (row, want)) in rows.iter().zip(&expected).enumerate() {
            assert_eq!(row, want, "event {i}");
        }
        // Per profile, as `explain` and the real-time path read them.
        let (_, events) = store.profile_data(profiles[0], None).unwrap();
        let mine: Vec<_> = expected
            .iter()
            .filter(|e| e.0 == profiles[0])
            .map(|e| (e.1.clone(), e.2, e.3.clone()))
            .collect();
        assert_eq!(events, mine);
    }
}

/// Every column of every stored event, payload bytes included.
fn event_rows(dir: &std::path::Path) -> Vec<Vec<rusqlite::types::Value>> {
    let db = rusqlite::Connection::open(dir.join(tessera_store::DB_FILE)).unwrap();
    let mut stmt = db.prepare("SELECT * FROM events ORDER BY seq").unwrap();
    let columns = stmt.column_count();
    let rows = stmt
        .query_map([], |r| (0..columns).map(|i| r.get(i)).collect())
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    rows
}

#[test]
fn records_encoded_beforehand_are_stored_exactly_as_plain_records() {
    // Enough payload for a dictionary, a batch repeating a message of its own, and messages
    // sent again after the index has taken them over from the writer's memory.
    let mut records: Vec<Record> = (0..6000).map(product_view).collect();
    records.insert(3500, product_view(3400));
    records.extend((0..50).map(product_view));
    let (plain_dir, encoded_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut plain = Store::init(plain_dir.path()).unwrap();
    let mut encoded = Store::init(encoded_dir.path()).unwrap();
    let mut outcomes = (Vec::new(), Vec::new());
    for (i, chunk) in records.chunks(1000).enumerate() {
        if i == 4 {
            plain.catch_up_index().unwrap();
            encoded.catch_up_index().unwrap();
        }
        outcomes.0.extend(plain.ingest_batch(chunk).unwrap());
        let chunk: Vec<EncodedRecord> = chunk
            .iter()
            .map(|r| EncodedRecord::new(r.clone()).unwrap())
            .collect();
        outcomes.1.extend(encoded.ingest_encoded(&chunk).unwrap());
    }
    assert_eq!(outcomes.0, outcomes.1);
    let duplicates = outcomes
        .0
        .iter()
        .filter(|o| **o == Outcome::Duplicate)
        .count();
    assert_eq!(duplicates, 51);
    assert_eq!(scan(&plain), scan(&encoded));
    let rows = event_rows(plain_dir.path());
    assert_eq!(rows.len(), 6000);
    assert_eq!(rows, event_rows(encoded_dir.path()));
}
