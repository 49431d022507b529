//! Store behaviour through its public API: idempotency, identity, merge rules, erasure, as-of.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use tessera_model::{ConsentPurpose, EventKind, Identifier, TraitValue, DAY_MS};
use tessera_store::{Outcome, Record, Store, TraitInput};

fn record(message_id: &str, ts: i64, ids: &[(&str, &str)], traits: Value) -> Record {
    Record {
        message_id: message_id.into(),
        kind: EventKind::Identify,
        name: "Identify".into(),
        timestamp: ts,
        received_at: ts,
        identifiers: ids.iter().map(|(k, v)| Identifier::new(*k, *v)).collect(),
        traits: traits
            .as_object()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, TraitInput::Json(v)))
            .collect(),
        consents: vec![],
        properties: Map::new(),
        context: Map::new(),
    }
}

fn track(message_id: &str, ts: i64, user: &str, name: &str) -> Record {
    Record {
        kind: EventKind::Track,
        name: name.into(),
        properties: json!({"revenue": 10}).as_object().cloned().unwrap(),
        ..record(message_id, ts, &[("user_id", user)], json!({}))
    }
}

fn traits_of(store: &Store, profile: u64, at: Option<i64>) -> BTreeMap<String, TraitValue> {
    store.profile_data(profile, at).unwrap().0
}

/// A new store in `dir` with `config` as its configuration file.
fn store_with_config(dir: &std::path::Path, config: &str) -> Store {
    std::fs::write(dir.join(tessera_store::CONFIG_FILE), config).unwrap();
    Store::init(dir).unwrap()
}

fn stored_profile(outcome: &Outcome) -> u64 {
    match outcome {
        Outcome::Stored { profile, .. } => *profile,
        other => panic!("expected stored, got {other:?}"),
    }
}

#[test]
fn replayed_messages_are_stored_once_and_data_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path()).unwrap();
    let batch = vec![
        track("m1", 1, "u1", "Order Completed"),
        track("m2", 2, "u1", "Order Completed"),
    ];
    let first = store.ingest_batch(&batch).unwrap();
    assert!(first.iter().all(|o| matches!(o, Outcome::Stored { .. })));
    // The same batch again, and a duplicate inside one batch.
    let again = store
        .ingest_batch(&[batch[0].clone(), batch[1].clone(), batch[1].clone()])
        .unwrap();
    assert_eq!(again, vec![Outcome::Duplicate; 3]);
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.stats().unwrap().events, 2);
    assert_eq!(store.schema_version().unwrap(), 9);
}

#[test]
fn open_without_init_names_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let err = Store::open(&dir.path().join("nope"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("run `tessera init` first"), "{err}");
}

#[test]
fn shared_identifier_merges_profiles_and_records_why() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path()).unwrap();
    let out = store
        .ingest_batch(&[
            record("a", 1, &[("user_id", "u1")], json!({"city": "Lyon"})),
            record("b", 2, &[("email", "ana@x.com")], json!({"age": 30})),
            record(
                "c",
                3,
                &[("user_id", "u1"), ("email", "ana@x.com")],
                json!({}),
            ),
        ])
        .unwrap();
    let profile = stored_profile(&out[2]);
    assert!(
        matches!(&out[2], Outcome::Stored { merged, .. } if merged.len() == 1),
        "{:?}",
        out[2]
    );
    assert_eq!(store.stats().unwrap().profiles, 1);
    let view = store.profile_view(profile, 5).unwrap();
    assert_eq!(view.records.len(), 2);
    assert_eq!(view.merges.len(), 1);
    assert!(
        view.merges[0].reason.contains("ana@x.com"),
        "{:?}",
        view.merges
    );
    let traits = traits_of(&store, profile, None);
    assert_eq!(traits["city"], TraitValue::String("Lyon".into()));
    assert_eq!(traits["age"], TraitValue::Number(30.0));
}

#[test]
fn a_shared_device_does_not_merge_people_with_different_user_ids() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path()).unwrap();
    let records: Vec<Record> = (0..50)
        .map(|i| {
            record(
                &format!("m{i}"),
                i,
                &[("user_id", &format!("u{i}")), ("device_id", "kiosk")],
                json!({}),
            )
        })
        .collect();
    store.ingest_batch(&records).unwrap();
    let stats = store.stats().unwrap();
    assert_eq!(stats.profiles, 50);
    assert_eq!(stats.identity_conflicts, 49);
}

#[test]
fn merge_rules_combine_values_of_merged_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_config(
        dir.path(),
        "[traits.merge]\npoints = \"sum\"\nfirst_channel = \"first\"\nbest = \"max\"\n",
    );
    let out = store
        .ingest_batch(&[
            record(
                "a",
                10,
                &[("user_id", "u1")],
                json!({"points": 10, "first_channel": "web", "best": 5, "city": "A"}),
            ),
            record(
                "b",
                20,
                &[("loyalty_id", "L1")],
                json!({"points": 20, "first_channel": "store", "best": 3, "city": "B"}),
            ),
            // Within one record a newer value replaces the older one, also for `sum`.
            record("c", 30, &[("loyalty_id", "L1")], json!({"points": 25})),
            record(
                "d",
                40,
                &[("user_id", "u1"), ("loyalty_id", "L1")],
                json!({}),
            ),
        ])
        .unwrap();
    let profile = stored_profile(&out[3]);
    let traits = traits_of(&store, profile, None);
    assert_eq!(traits["points"], TraitValue::Number(35.0));
    assert_eq!(traits["first_channel"], TraitValue::String("web".into()));
    assert_eq!(traits["best"], TraitValue::Number(5.0));
    assert_eq!(traits["city"], TraitValue::String("B".into()));
    // As of t=15 only the first record's values existed.
    let earlier = traits_of(&store, profile, Some(15));
    assert_eq!(earlier["points"], TraitValue::Number(10.0));
    assert_eq!(earlier["best"], TraitValue::Number(5.0));
}

/// The bulk read (the snapshot loader's, in two passes: people of one record, then merged
/// people) gives every person what reading that person alone gives, with records of merged
/// and unmerged people interleaved in id order, on the store's connection and on a
/// `TraitReader`.
#[test]
fn traits_read_in_bulk_are_those_read_one_person_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_config(
        dir.path(),
        "[traits.merge]\npoints = \"sum\"\nbest = \"max\"\n",
    );
    let out = store
        .ingest_batch(&[
            record(
                "a",
                10,
                &[("user_id", "u1")],
                json!({"points": 10, "best": 5}),
            ),
            record("e", 11, &[("user_id", "u5")], json!({"points": 1})),
            record(
                "y1",
                11,
                &[("user_id", "u2")],
                json!({"points": 7, "city": "Y"}),
            ),
            record(
                "b",
                20,
                &[("loyalty_id", "L1")],
                json!({"points": 20, "best": 3}),
            ),
            record("y2", 21, &[("user_id", "u2")], json!({"points": 8})),
            record("z", 22, &[("user_id", "u3")], json!({"city": "Z"})),
            record(
                "c",
                30,
                &[("loyalty_id", "L1")],
                json!({"points": 25, "city": "L"}),
            ),
            record(
                "d",
                40,
                &[("user_id", "u1"), ("loyalty_id", "L1")],
                json!({}),
            ),
            record("f", 23, &[("loyalty_id", "L2")], json!({"points": 2})),
            record("w", 50, &[("user_id", "u4")], json!({"best": 1})),
            record(
                "g",
                60,
                &[("user_id", "u5"), ("loyalty_id", "L2")],
                json!({}),
            ),
        ])
        .unwrap();
    let merged = stored_profile(&out[7]);
    let other_merged = stored_profile(&out[10]);
    let single = stored_profile(&out[2]);
    let reader = store.trait_reader().unwrap();
    for at in [None, Some(15), Some(25)] {
        let mut bulk: BTreeMap<u64, BTreeMap<String, TraitValue>> = BTreeMap::new();
        store
            .for_each_trait(at, |p, name, value| {
                let old = bulk.entry(p).or_default().insert(name.to_string(), value);
                assert!(old.is_none(), "{name} of {p} given twice");
            })
            .unwrap();
        let mut from_reader = BTreeMap::new();
        reader
            .for_each_trait(at, |p, name, value| {
                from_reader.insert((p, name.to_string()), value);
            })
            .unwrap();
        let flat: BTreeMap<(u64, String), TraitValue> = bulk
            .iter()
            .flat_map(|(p, t)| t.iter().map(|(n, v)| ((*p, n.clone()), v.clone())))
            .collect();
        assert_eq!(from_reader, flat, "as of {at:?}");
        for (person, traits) in &bulk {
            assert_eq!(
                traits,
                &traits_of(&store, *person, at),
                "{person} as of {at:?}"
            );
        }
        assert!(bulk.contains_key(&merged) && bulk.contains_key(&other_merged));
    }
    let mut all: BTreeMap<(u64, String), TraitValue> = BTreeMap::new();
    store
        .for_each_trait(None, |p, name, value| {
            all.insert((p, name.to_string()), value);
        })
        .unwrap();
    let of = |p: u64, name: &str| all[&(p, name.to_string())].clone();
    assert_eq!(of(merged, "points"), TraitValue::Number(35.0));
    assert_eq!(of(merged, "best"), TraitValue::Number(5.0));
    assert_eq!(of(merged, "city"), TraitValue::String("L".into()));
    assert_eq!(of(other_merged, "points"), TraitValue::Number(3.0));
    assert_eq!(of(single, "points"), TraitValue::Number(8.0));
    assert_eq!(of(single, "city"), TraitValue::String("Y".into()));
}

#[test]
fn a_record_with_a_badly_typed_trait_is_rejected_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path()).unwrap();
    store
        .ingest_batch(&[record("a", 1, &[("user_id", "u1")], json!({"age": 30}))])
        .unwrap();
    let before = store.stats().unwrap();
    let out = store
        .ingest_batch(&[record(
            "b",
            2,
            &[("user_id", "u2")],
            json!({"city": "Paris", "age": "thirty"}),
        )])
        .unwrap();
    assert_eq!(
        out[0],
        Outcome::Rejected {
            field: "traits.age".into(),
            reason: "trait `age` is number: expected number, found string \"thirty\"".into()
        }
    );
    let after = store.stats().unwrap();
    assert_eq!(
        (after.profiles, after.events, after.trait_observations),
        (before.profiles, before.events, before.trait_observations)
    );
    // Numbers written as strings are coerced (documented).
    let ok = store
        .ingest_batch(&[record("c", 3, &[("user_id", "u3")], json!({"age": "41"}))])
        .unwrap();
    assert!(matches!(ok[0], Outcome::Stored { .. }));
}

#[test]
fn erasure_removes_everything_and_blocks_replays() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path()).unwrap();
    let mut with_consent = record(
        "a",
        1,
        &[("user_id", "u1"), ("email", "e@x.com")],
        json!({"age": 30}),
    );
    with_consent.consents = vec![(ConsentPurpose::Advertising, true)];
    let out = store
        .ingest_batch(&[with_consent.clone(), track("t", 2, "u1", "Order Completed")])
        .unwrap();
    store
        .ingest_batch(&[record("o", 3, &[("user_id", "other")], json!({"age": 50}))])
        .unwrap();
    let profile = stored_profile(&out[0]);
    assert_eq!(
        store.consent_granted(ConsentPurpose::Advertising).unwrap(),
        vec![profile]
    );
    let erasure = store.erase_profile(profile).unwrap();
    assert_eq!(
        (
            erasure.profiles,
            erasure.identifiers,
            erasure.events,
            erasure.traits
        ),
        (1, 2, 2, 1)
    );
    assert_eq!(store.erasure_count().unwrap(), 1);
    assert!(store
        .find_profile(&Identifier::new("email", "e@x.com"))
        .unwrap()
        .is_none());
    assert!(store
        .consent_granted(ConsentPurpose::Advertising)
        .unwrap()
        .is_empty());
    assert_eq!(store.stats().unwrap().profiles, 1);
    // Replaying the erased messages does not bring them back.
    let replay = store
        .ingest_batch(&[with_consent, track("t", 2, "u1", "Order Completed")])
        .unwrap();
    assert_eq!(replay, vec![Outcome::Duplicate, Outcome::Duplicate]);
}

#[test]
fn profiles_created_after_an_instant_are_not_in_its_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path()).unwrap();
    store
        .ingest_batch(&[
            record("a", DAY_MS, &[("user_id", "early")], json!({})),
            record("b", 10 * DAY_MS, &[("user_id", "late")], json!({})),
        ])
        .unwrap();
    let mut seen = Vec::new();
    store
        .for_each_profile(Some(5 * DAY_MS), |p| seen.push(p))
        .unwrap();
    assert_eq!(seen.len(), 1);
    let mut all = Vec::new();
    store.for_each_profile(None, |p| all.push(p)).unwrap();
    assert_eq!(all.len(), 2);
}

#[test]
fn cached_identity_lookups_follow_writes_of_other_connections_and_erasures() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = Store::init(dir.path()).unwrap();
    let mut b = Store::open(dir.path()).unwrap();
    let first = stored_profile(
        &a.ingest_batch(&[record("a1", 1, &[("user_id", "u1")], json!({}))])
            .unwrap()[0],
    );
    // Another connection erases the person: `a` must not attach new data to the old profile.
    b.erase_profile(first).unwrap();
    let second = stored_profile(
        &a.ingest_batch(&[record("a2", 2, &[("user_id", "u1")], json!({}))])
            .unwrap()[0],
    );
    assert_ne!(first, second);
    assert_eq!(
        a.find_profile(&Identifier::new("user_id", "u1")).unwrap(),
        Some(second)
    );
    // Another connection merges `u1` into a profile with an email: `a` follows the merge.
    b.ingest_batch(&[record("b1", 3, &[("email", "x@y.com")], json!({}))])
        .unwrap();
    let merged = stored_profile(
        &b.ingest_batch(&[record(
            "b2",
            4,
            &[("email", "x@y.com"), ("user_id", "u1")],
            json!({}),
        )])
        .unwrap()[0],
    );
    let third = stored_profile(
        &a.ingest_batch(&[record("a3", 5, &[("user_id", "u1")], json!({}))])
            .unwrap()[0],
    );
    assert_eq!(third, merged);
    // And the same connection's own erasure.
    a.erase_profile(merged).unwrap();
    let fourth = stored_profile(
        &a.ingest_batch(&[record("a4", 6, &[("user_id", "u1")], json!({}))])
            .unwrap()[0],
    );
    assert_ne!(fourth, merged);
    assert_eq!(a.stats().unwrap().profiles, 1);
}

#[test]
fn membership_history_answers_who_was_in_a_segment_when() {
    use tessera_store::{MembershipChange, StoredSegment};
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path()).unwrap();
    let segment = StoredSegment::new("vip", "age > 1");
    store
        .apply_segments(&[(segment.clone(), vec![1, 2])], 100)
        .unwrap();
    store.apply_segments(&[(segment, vec![2, 3])], 200).unwrap();
    store
        .record_membership_changes(&[
            MembershipChange::new("vip", 2, false, 300),
            MembershipChange::new("vip", 4, true, 300),
        ])
        .unwrap();
    assert_eq!(store.members_at("vip", 99).unwrap(), Vec::<u64>::new());
    assert_eq!(store.members_at("vip", 100).unwrap(), vec![1, 2]);
    assert_eq!(store.members_at("vip", 250).unwrap(), vec![2, 3]);
    assert_eq!(store.members_at("vip", 300).unwrap(), vec![3, 4]);
    assert_eq!(
        store.members("vip").unwrap(),
        Vec::<u64>::new(),
        "profiles 3 and 4 do not exist, so no canonical member"
    );
    let history = store.membership_history(2).unwrap();
    let entered: Vec<(bool, i64)> = history.iter().map(|c| (c.entered, c.at)).collect();
    assert_eq!(entered, vec![(true, 100), (false, 300)]);
}

#[test]
fn webhook_outbox_is_written_with_the_change_and_dead_letters_can_be_replayed() {
    use tessera_store::{MembershipChange, StoredSegment};
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path()).unwrap();
    let segment = StoredSegment::new("vip", "age > 1");
    store.apply_segments(&[(segment, vec![])], 0).unwrap();
    let err = store
        .add_webhook("vip", "ftp://x", true, true)
        .unwrap_err()
        .to_string();
    assert!(err.contains("must start with http:// or https://"), "{err}");
    assert!(store
        .add_webhook("nope", "http://127.0.0.1:9/h", true, true)
        .is_err());
    let hook = store
        .add_webhook("vip", "http://127.0.0.1:9/h", true, false)
        .unwrap();
    store
        .record_membership_changes(&[
            MembershipChange::new("vip", 7, true, 10),
            MembershipChange::new("vip", 7, false, 20),
        ])
        .unwrap();
    // Only the enter: this webhook does not want exits.
    let due = store.due_deliveries(i64::MAX, 10).unwrap();
    assert_eq!(due.len(), 1);
    let payload: serde_json::Value = serde_json::from_str(&due[0].payload).unwrap();
    assert_eq!(payload["type"], "segment.entered");
    assert_eq!(payload["profile"], 7);
    assert_eq!(due[0].webhook_id, hook.id);
    store
        .mark_failed(due[0].id, "HTTP 500", Some(i64::MAX - 1))
        .unwrap();
    assert!(
        store.due_deliveries(i64::MAX - 2, 10).unwrap().is_empty(),
        "not due before its retry time"
    );
    store.mark_failed(due[0].id, "HTTP 500", None).unwrap();
    let dead = store.dead_deliveries(10).unwrap();
    assert_eq!(
        (dead.len(), dead[0].attempts, dead[0].last_error.as_deref()),
        (1, 2, Some("HTTP 500"))
    );
    assert_eq!(store.replay_dead(None).unwrap(), 1);
    assert_eq!(store.due_deliveries(i64::MAX, 10).unwrap().len(), 1);
    store.mark_delivered(dead[0].id, 30).unwrap();
    assert!(store.due_deliveries(i64::MAX, 10).unwrap().is_empty());
    assert_eq!(store.outbox_backlog(100).unwrap().0, 0);
}

#[test]
fn erasure_removes_membership_history_and_webhook_calls_about_the_person() {
    use tessera_store::{MembershipChange, StoredSegment};
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path()).unwrap();
    let out = store
        .ingest_batch(&[record("a", 1, &[("user_id", "u1")], json!({}))])
        .unwrap();
    let profile = stored_profile(&out[0]);
    let segment = StoredSegment::new("vip", "age > 1");
    store.apply_segments(&[(segment, vec![])], 0).unwrap();
    store
        .add_webhook("vip", "http://127.0.0.1:9/h", true, true)
        .unwrap();
    store
        .record_membership_changes(&[MembershipChange::new("vip", profile, true, 5)])
        .unwrap();
    let due = store.due_deliveries(i64::MAX, 10).unwrap();
    assert_eq!(due.len(), 1);
    assert!(
        due[0].payload.contains("\"user_id\":\"u1\""),
        "{}",
        due[0].payload
    );
    store.erase_profile(profile).unwrap();
    assert!(store.due_deliveries(i64::MAX, 10).unwrap().is_empty());
    assert!(store.membership_history(profile).unwrap().is_empty());
}

#[test]
fn membership_changes_derived_from_a_batch_commit_with_it_or_not_at_all() {
    use tessera_store::{Error, MembershipChange, StoredSegment};
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path()).unwrap();
    store
        .apply_segments(&[(StoredSegment::new("buyers", "did(Order)"), vec![])], 0)
        .unwrap();
    store
        .add_webhook("buyers", "http://127.0.0.1:9/h", true, true)
        .unwrap();

    // `follow` reads the batch's own writes inside the transaction.
    let (outcomes, changes) = store
        .ingest_batch_with(&[track("m1", 1_000, "ana", "Order")], |store, outcomes| {
            let profile = stored_profile(&outcomes[0]);
            let events = store.profile_view(profile, 10).unwrap().recent_events.len();
            assert_eq!(events, 1, "the uncommitted event is visible to `follow`");
            Ok(vec![MembershipChange::new("buyers", profile, true, 1_000)])
        })
        .unwrap();
    let ana = stored_profile(&outcomes[0]);
    assert_eq!(changes.len(), 1);
    assert_eq!(store.members("buyers").unwrap(), vec![ana]);
    assert_eq!(store.due_deliveries(i64::MAX, 10).unwrap().len(), 1);

    // A failing `follow` stores neither the messages nor the changes, and the identity
    // cache does not remember the profile the failed batch created.
    let failed = store.ingest_batch_with(&[track("m2", 2_000, "bo", "Order")], |_, outcomes| {
        let bo = stored_profile(&outcomes[0]);
        crate_error(bo)
    });
    assert!(failed.is_err());
    assert_eq!(store.members("buyers").unwrap(), vec![ana]);
    assert_eq!(store.due_deliveries(i64::MAX, 10).unwrap().len(), 1);
    let again = store
        .ingest_batch(&[track("m2", 2_000, "bo", "Order")])
        .unwrap();
    let bo = stored_profile(&again[0]);
    assert_ne!(bo, ana);
    assert_eq!(store.profile_view(bo, 10).unwrap().recent_events.len(), 1);

    fn crate_error(profile: u64) -> Result<Vec<MembershipChange>, Error> {
        Err(Error::Internal(format!("follow failed for {profile}")))
    }
}

#[test]
fn events_carry_their_segment_context_unless_a_property_is_named_context() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path()).unwrap();
    let context = json!({
        "device": {"type": "mobile"},
        "campaign": {"source": "newsletter", "medium": "email"},
        "userAgent": "Mozilla/5.0"
    });
    let with_context = Record {
        context: context.as_object().cloned().unwrap(),
        ..track("m1", 1, "u1", "Page Viewed")
    };
    let own_property = Record {
        context: context.as_object().cloned().unwrap(),
        properties: json!({"context": "mine"}).as_object().cloned().unwrap(),
        ..track("m2", 2, "u1", "Page Viewed")
    };
    let without = track("m3", 3, "u1", "Page Viewed");
    let profile = stored_profile(
        &store
            .ingest_batch(&[with_context, own_property, without])
            .unwrap()[0],
    );
    let expected = [
        json!({"revenue": 10, "context": {"device": {"type": "mobile"}, "channel": "Email",
               "campaign": {"source": "newsletter", "medium": "email"}}}),
        json!({"context": "mine"}),
        json!({"revenue": 10}),
    ];
    // Batch reads and one profile's read see the same properties.
    let mut seen = Vec::new();
    store
        .for_each_event(None, |_, _, _, properties| {
            seen.push(Value::Object(properties.clone()))
        })
        .unwrap();
    assert_eq!(seen, expected);
    let (_, events) = store.profile_data(profile, None).unwrap();
    let one: Vec<Value> = events
        .into_iter()
        .map(|(_, _, p)| Value::Object(p))
        .collect();
    assert_eq!(one, expected);
}

#[test]
fn derived_traits_are_written_for_canonical_profiles_with_one_type() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path()).unwrap();
    let outcomes = store
        .ingest_batch(&[track("m1", 1, "u1", "View"), track("m2", 1, "u2", "View")])
        .unwrap();
    let (a, b) = (stored_profile(&outcomes[0]), stored_profile(&outcomes[1]));
    let values = [(a, TraitValue::Number(3.0)), (b, TraitValue::Number(-1.0))];
    assert_eq!(
        store.write_derived_traits("cluster", &values, 5).unwrap(),
        2
    );
    assert_eq!(
        traits_of(&store, a, Some(5)).get("cluster"),
        Some(&TraitValue::Number(3.0))
    );
    // Before its instant the trait does not exist yet.
    assert_eq!(traits_of(&store, a, Some(4)).get("cluster"), None);
    let missing = store
        .write_derived_traits("cluster", &[(999, TraitValue::Number(1.0))], 6)
        .unwrap_err()
        .to_string();
    assert!(missing.contains("profile #999 does not exist"), "{missing}");
    let other_type = store
        .write_derived_traits("cluster", &[(a, TraitValue::String("x".into()))], 6)
        .unwrap_err()
        .to_string();
    assert!(
        other_type.contains("already a number trait"),
        "{other_type}"
    );
    // Nothing of the refused writes was stored.
    assert_eq!(
        traits_of(&store, a, Some(10)).get("cluster"),
        Some(&TraitValue::Number(3.0))
    );
}
