//! The deferred event index (`tessera-index.db`): deduplication and per-profile reads must not
//! depend on how far the index has caught up, on reopening, on erasures or on a lost index.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use serde_json::{json, Map};
use tessera_model::{EventKind, Identifier};
use tessera_store::{LevelShape, Outcome, Record, Store, INDEX_FILE};

fn track(message_id: &str, ts: i64, user: &str) -> Record {
    Record {
        message_id: message_id.into(),
        kind: EventKind::Track,
        name: "Product Viewed".into(),
        timestamp: ts,
        received_at: ts,
        identifiers: vec![Identifier::new("user_id", user)],
        traits: vec![],
        consents: vec![],
        properties: json!({"id": message_id}).as_object().cloned().unwrap(),
        context: Map::new(),
    }
}

/// The index's levels (`profile_events_0` …).
const LEVELS: usize = 5;

/// `SELECT count(*)` of every level of a table, one term each.
fn count_all(table: &str) -> String {
    let terms: Vec<String> = (0..LEVELS)
        .map(|k| format!("(SELECT count(*) FROM {table}_{k})"))
        .collect();
    format!("SELECT {}", terms.join(" + "))
}

/// Deletes the index file (and its WAL) as a user or a lost disk would.
fn delete_index(dir: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.join(format!("{INDEX_FILE}{suffix}")));
    }
}

fn index_rows(dir: &std::path::Path) -> (i64, i64, i64) {
    let conn = rusqlite::Connection::open(dir.join(INDEX_FILE)).unwrap();
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    (
        count(&count_all("profile_events")),
        count(&count_all("message_keys")),
        count("SELECT indexed_through FROM index_state"),
    )
}

/// Per table and level: the entries there and the count `index_levels` keeps, after
/// asserting that no entry is in two levels.
fn levels(dir: &std::path::Path) -> BTreeMap<(String, i64), (i64, i64)> {
    let conn = rusqlite::Connection::open(dir.join(INDEX_FILE)).unwrap();
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    let mut levels = BTreeMap::new();
    for (table, key) in [("profile_events", "seq"), ("message_keys", "key")] {
        let union: Vec<String> = (0..LEVELS)
            .map(|k| format!("SELECT {key} FROM {table}_{k}"))
            .collect();
        let union = union.join(" UNION ALL ");
        assert_eq!(
            count(&format!("SELECT count(*) FROM ({union})")),
            count(&format!("SELECT count(DISTINCT {key}) FROM ({union})")),
            "an entry of {table} in two levels"
        );
        for level in 0..LEVELS {
            let n = count(&format!("SELECT count(*) FROM {table}_{level}"));
            if n > 0 {
                levels.insert((table.to_string(), level as i64), (n, 0));
            }
        }
    }
    let mut stmt = conn
        .prepare("SELECT tbl, level, rows FROM index_levels")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)))
        .unwrap();
    for row in rows {
        let (table, level, counted) = row.unwrap();
        levels.entry((table, level)).or_insert((0, 0)).1 = counted;
    }
    levels
}

/// The message ids of a profile's events, oldest first, as the per-profile read returns them.
fn events_of(store: &Store, user: &str) -> Vec<String> {
    let Ok(profile) = store.resolve_profile(&format!("user_id:{user}")) else {
        return Vec::new();
    };
    let (_, events) = store.profile_data(profile, None).unwrap();
    events
        .into_iter()
        .map(|(_, _, props)| props["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn replays_are_found_in_memory_in_the_index_and_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path()).unwrap();
    let batch = [track("m1", 1, "u1"), track("m2", 2, "u1")];
    assert!(store
        .ingest_batch(&batch)
        .unwrap()
        .iter()
        .all(|o| matches!(o, Outcome::Stored { .. })));
    // Not indexed yet: found among the recent messages.
    assert_eq!(index_rows(dir.path()), (0, 0, 0));
    assert_eq!(
        store.ingest_batch(&batch).unwrap(),
        vec![Outcome::Duplicate; 2]
    );
    // Indexed: found in the index.
    assert_eq!(store.catch_up_index().unwrap(), 2);
    assert_eq!(index_rows(dir.path()), (2, 2, 2));
    assert_eq!(
        store.ingest_batch(&batch).unwrap(),
        vec![Outcome::Duplicate; 2]
    );
    // A new message after the mark, then a fresh process: the tail is read back.
    store.ingest_batch(&[track("m3", 3, "u1")]).unwrap();
    drop(store);
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store.ingest_batch(&[track("m3", 3, "u1")]).unwrap(),
        vec![Outcome::Duplicate]
    );
    assert_eq!(events_of(&store, "u1"), ["m1", "m2", "m3"]);
    assert_eq!(store.stats().unwrap().events, 3);
}

#[test]
fn another_connection_storing_messages_is_seen_by_deduplication() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Store::init(dir.path()).unwrap();
    let mut second = Store::open(dir.path()).unwrap();
    first.ingest_batch(&[track("a", 1, "u1")]).unwrap();
    // `second` loads its recent messages before `first` stores `b`.
    second.ingest_batch(&[track("c", 1, "u2")]).unwrap();
    first.ingest_batch(&[track("b", 2, "u1")]).unwrap();
    assert_eq!(
        second
            .ingest_batch(&[track("a", 1, "u1"), track("b", 2, "u1")])
            .unwrap(),
        vec![Outcome::Duplicate; 2]
    );
}

#[test]
fn a_lost_or_foreign_index_is_rebuilt_and_the_log_never_reuses_a_sequence_number() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path()).unwrap();
    store
        .ingest_batch(&[track("m1", 1, "u1"), track("m2", 2, "u2")])
        .unwrap();
    store.catch_up_index().unwrap();
    drop(store);
    // Deleted: rebuilt empty, then filled in one pass.
    delete_index(dir.path());
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(index_rows(dir.path()), (0, 0, 0));
    assert_eq!(
        store.ingest_batch(&[track("m1", 1, "u1")]).unwrap(),
        vec![Outcome::Duplicate]
    );
    store.catch_up_index().unwrap();
    assert_eq!(index_rows(dir.path()), (2, 2, 2));
    drop(store);
    // Another store's index file: its mark means nothing here.
    let other = tempfile::tempdir().unwrap();
    let mut foreign = Store::init(other.path()).unwrap();
    foreign
        .ingest_batch(&[
            track("x1", 1, "u9"),
            track("x2", 1, "u9"),
            track("x3", 1, "u9"),
        ])
        .unwrap();
    foreign.catch_up_index().unwrap();
    drop(foreign);
    std::fs::copy(other.path().join(INDEX_FILE), dir.path().join(INDEX_FILE)).unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(index_rows(dir.path()), (0, 0, 0));
    assert_eq!(events_of(&store, "u2"), ["m2"]);
    // Erasing the newest event does not free its sequence number for the next one.
    let u2 = store.resolve_profile("user_id:u2").unwrap();
    store.erase_profile(u2).unwrap();
    store.ingest_batch(&[track("m4", 4, "u1")]).unwrap();
    let conn = rusqlite::Connection::open(dir.path().join(tessera_store::DB_FILE)).unwrap();
    let seqs: Vec<i64> = conn
        .prepare("SELECT seq FROM events ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(seqs, [1, 3]);
}

#[test]
fn a_writer_notices_that_the_index_was_rebuilt_under_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = Store::init(dir.path()).unwrap();
    writer
        .ingest_batch(&[track("m1", 1, "u1"), track("m2", 2, "u1")])
        .unwrap();
    writer.catch_up_index().unwrap();
    // Its next batch forgets m1 and m2 from memory: the index has them.
    writer.ingest_batch(&[track("m3", 3, "u1")]).unwrap();
    // Another process finds the index foreign and rebuilds it empty; the log is unchanged.
    let conn = rusqlite::Connection::open(dir.path().join(INDEX_FILE)).unwrap();
    conn.execute("UPDATE index_state SET store_id = store_id + 1", [])
        .unwrap();
    drop(Store::open(dir.path()).unwrap());
    assert_eq!(index_rows(dir.path()), (0, 0, 0));
    assert_eq!(
        writer
            .ingest_batch(&[track("m1", 1, "u1"), track("m3", 3, "u1")])
            .unwrap(),
        vec![Outcome::Duplicate; 2]
    );
    assert_eq!(events_of(&writer, "u1"), ["m1", "m2", "m3"]);
}

#[test]
fn erasure_removes_the_persons_index_entries_and_blocks_replays() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path()).unwrap();
    store
        .ingest_batch(&[track("m1", 1, "u1"), track("m2", 2, "u2")])
        .unwrap();
    store.catch_up_index().unwrap();
    // One event of u1 indexed, one still in the tail.
    store.ingest_batch(&[track("m3", 3, "u1")]).unwrap();
    let u1 = store.resolve_profile("user_id:u1").unwrap();
    assert_eq!(store.erase_profile(u1).unwrap().events, 2);
    assert_eq!(index_rows(dir.path()), (1, 1, 2));
    assert_eq!(
        store
            .ingest_batch(&[track("m1", 1, "u1"), track("m3", 3, "u1")])
            .unwrap(),
        vec![Outcome::Duplicate; 2]
    );
    assert_eq!(events_of(&store, "u2"), ["m2"]);
    assert!(events_of(&store, "u1").is_empty());
}

#[test]
fn full_levels_spill_into_the_next_and_every_read_sees_all_levels() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path()).unwrap();
    // Caps 2, 4, 8, 16, then open.
    store.set_index_shape(LevelShape { base: 2, ratio: 2 });
    let mut all = Vec::new();
    for b in 0..12 {
        let batch: Vec<Record> = (0..3)
            .map(|i| {
                track(
                    &format!("m{}", b * 3 + i),
                    b * 3 + i,
                    &format!("u{}", i % 2),
                )
            })
            .collect();
        all.extend(batch.clone());
        store.ingest_batch(&batch).unwrap();
        store.catch_up_index().unwrap();
        for ((_, level), (entries, counted)) in levels(dir.path()) {
            // No erasures here, so the counts are exact; and every capped level is within its
            // cap after a merge.
            assert_eq!(entries, counted, "level {level}");
            if level < 4 {
                assert!(entries <= 2 << level, "level {level} holds {entries}");
            }
        }
    }
    let used: BTreeSet<i64> = levels(dir.path())
        .into_iter()
        .filter(|(_, (entries, _))| *entries > 0)
        .map(|((_, level), _)| level)
        .collect();
    assert!(used.len() >= 2 && used.iter().any(|&l| l >= 3), "{used:?}");
    assert_eq!(index_rows(dir.path()), (36, 36, 36));
    assert_eq!(
        store.ingest_batch(&all).unwrap(),
        vec![Outcome::Duplicate; 36]
    );
    let u0: Vec<String> = (0..36)
        .filter(|m| m % 3 != 1)
        .map(|m| format!("m{m}"))
        .collect();
    assert_eq!(events_of(&store, "u0"), u0);
    // One pass from nothing goes straight into the lowest level that holds it.
    delete_index(dir.path());
    let mut store = Store::open(dir.path()).unwrap();
    store.set_index_shape(LevelShape { base: 2, ratio: 2 });
    store.catch_up_index().unwrap();
    let levels = levels(dir.path());
    assert_eq!(levels.len(), 2, "{levels:?}");
    assert!(levels
        .iter()
        .all(|((_, level), &n)| *level == 4 && n == (36, 36)));
    assert_eq!(events_of(&store, "u0"), u0);
}

#[test]
fn an_index_from_before_levels_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path()).unwrap();
    store
        .ingest_batch(&[track("m1", 1, "u1"), track("m2", 2, "u1")])
        .unwrap();
    drop(store);
    // The layout of the first deferred index, with a mark that claims both events.
    delete_index(dir.path());
    let old = rusqlite::Connection::open(dir.path().join(INDEX_FILE)).unwrap();
    old.execute_batch(
        "CREATE TABLE profile_events (profile_id INTEGER NOT NULL, ts INTEGER NOT NULL,
             seq INTEGER NOT NULL, PRIMARY KEY (profile_id, ts, seq)) WITHOUT ROWID;
         CREATE TABLE message_keys (key BLOB PRIMARY KEY) WITHOUT ROWID;
         CREATE TABLE index_state (id INTEGER PRIMARY KEY CHECK (id = 0),
             store_id INTEGER NOT NULL, indexed_through INTEGER NOT NULL);",
    )
    .unwrap();
    drop(old);
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(index_rows(dir.path()), (0, 0, 0));
    assert_eq!(
        store.ingest_batch(&[track("m2", 2, "u1")]).unwrap(),
        vec![Outcome::Duplicate]
    );
    store.catch_up_index().unwrap();
    assert_eq!(index_rows(dir.path()), (2, 2, 2));
    assert_eq!(events_of(&store, "u1"), ["m1", "m2"]);
}

#[derive(Debug, Clone)]
enum Op {
    /// Messages (message number, user, time).
    Ingest(Vec<(u8, u8, i64)>),
    CatchUp,
    Reopen,
    Erase(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => prop::collection::vec((0u8..40, 0u8..5, 0i64..50), 1..8).prop_map(Op::Ingest),
        1 => Just(Op::CatchUp),
        1 => Just(Op::Reopen),
        1 => (0u8..5).prop_map(Op::Erase),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Against a plain model: a message is stored once, never again after its person was
    /// erased, and each person's events read back complete and in order, at every point.
    #[test]
    fn deduplication_and_reads_follow_the_model(
        ops in prop::collection::vec(op(), 1..25),
        shape in prop::option::of((1u64..4, 2u64..4)),
    ) {
        // Tiny levels (or the default, where everything stays in the lowest one).
        let shape = shape.map(|(base, ratio)| LevelShape { base, ratio }).unwrap_or_default();
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::init(dir.path()).unwrap();
        store.set_index_shape(shape);
        // message number -> (user, time, arrival); erased message numbers.
        let mut stored: BTreeMap<u8, (u8, i64, usize)> = BTreeMap::new();
        let mut erased: BTreeSet<u8> = BTreeSet::new();
        let mut arrival = 0;
        for op in ops {
            match op {
                Op::Ingest(messages) => {
                    let batch: Vec<Record> = messages
                        .iter()
                        .map(|&(m, u, ts)| track(&format!("m{m}"), ts, &format!("u{u}")))
                        .collect();
                    let outcomes = store.ingest_batch(&batch).unwrap();
                    for (&(m, u, ts), outcome) in messages.iter().zip(&outcomes) {
                        let known = stored.contains_key(&m) || erased.contains(&m);
                        prop_assert_eq!(matches!(outcome, Outcome::Duplicate), known, "m{}", m);
                        if !known {
                            stored.insert(m, (u, ts, arrival));
                            arrival += 1;
                        }
                    }
                }
                Op::CatchUp => {
                    store.catch_up_index().unwrap();
                }
                Op::Reopen => {
                    drop(store);
                    store = Store::open(dir.path()).unwrap();
                    store.set_index_shape(shape);
                }
                Op::Erase(u) => {
                    if let Ok(profile) = store.resolve_profile(&format!("user_id:u{u}")) {
                        store.erase_profile(profile).unwrap();
                        let gone: Vec<u8> =
                            stored.iter().filter(|(_, v)| v.0 == u).map(|(m, _)| *m).collect();
                        for m in gone {
                            stored.remove(&m);
                            erased.insert(m);
                        }
                    }
                }
            }
            // Erasures may leave a level's count above its entries, never below.
            for (place, (entries, counted)) in levels(dir.path()) {
                prop_assert!(counted >= entries, "{:?}: {} counted, {} there", place, counted, entries);
            }
            for u in 0..5u8 {
                let mut expected: Vec<(i64, usize, u8)> = stored
                    .iter()
                    .filter(|(_, v)| v.0 == u)
                    .map(|(m, v)| (v.1, v.2, *m))
                    .collect();
                expected.sort();
                let expected: Vec<String> =
                    expected.into_iter().map(|(_, _, m)| format!("m{m}")).collect();
                prop_assert_eq!(events_of(&store, &format!("u{u}")), expected, "u{}", u);
            }
        }
    }
}
