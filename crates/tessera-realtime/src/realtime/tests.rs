//! The real-time state on small, hand-checked cases: dependencies, merges, erasure, the clock.

use std::collections::BTreeMap;

use serde_json::{json, Map};
use tessera_engine::{EventData, ProfileData};
use tessera_model::{parse_timestamp, Millis, TraitValue, DAY_MS};

use super::Realtime;
use crate::{Change, ChangeKind};

fn t0() -> Millis {
    parse_timestamp("2026-10-01").expect("a date")
}

fn realtime(segments: &[&str]) -> Realtime {
    Realtime::new(
        segments
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let parsed = tessera_lang::parse(text);
                assert_eq!(parsed.diagnostics, vec![], "{text}");
                (format!("s{i}"), parsed.expr)
            })
            .collect(),
    )
}

fn event(name: &str, ts: Millis) -> EventData {
    EventData::new(name, ts, Map::new())
}

fn age(years: f64) -> BTreeMap<String, TraitValue> {
    BTreeMap::from([("age".to_string(), TraitValue::Number(years))])
}

fn enter(segment: usize, profile: u64, at: Millis) -> Change {
    Change {
        segment,
        profile,
        kind: ChangeKind::Enter,
        at,
    }
}

fn exit(segment: usize, profile: u64, at: Millis) -> Change {
    Change {
        segment,
        profile,
        kind: ChangeKind::Exit,
        at,
    }
}

#[test]
fn only_segments_reading_the_event_or_trait_are_evaluated() {
    let mut rt = realtime(&["did(View)", "did(Buy)", "age > 30", "not did(Buy)"]);
    assert_eq!(rt.segment_names(), ["s0", "s1", "s2", "s3"]);
    // A new profile is evaluated for every segment: `not did(Buy)` holds for it.
    let changes = rt.on_event(1, event("View", t0()), t0());
    assert_eq!(changes, [enter(0, 1, t0()), enter(3, 1, t0())]);
    assert_eq!(rt.evaluations(), 4);

    let changes = rt.on_event(1, event("Buy", t0()), t0() + 1);
    assert_eq!(changes, [enter(1, 1, t0() + 1), exit(3, 1, t0() + 1)]);
    assert_eq!(rt.evaluations(), 6, "only the two segments reading Buy");

    assert_eq!(rt.on_event(1, event("View", t0()), t0() + 2), []);
    assert_eq!(rt.evaluations(), 7, "only the segment reading View");

    assert_eq!(rt.on_event(1, event("Ping", t0()), t0() + 3), []);
    assert_eq!(rt.evaluations(), 7, "no segment reads Ping");

    assert_eq!(
        rt.on_traits(1, age(40.0), t0() + 4),
        [enter(2, 1, t0() + 4)]
    );
    assert_eq!(rt.evaluations(), 8, "only the segment testing age");
    assert_eq!(
        rt.on_traits(
            1,
            BTreeMap::from([("city".into(), TraitValue::String("x".into()))]),
            t0() + 5
        ),
        []
    );
    assert_eq!(rt.evaluations(), 8);
    assert_eq!(rt.profile(1).map(|p| p.events.len()), Some(4));
    assert_eq!(rt.members(0).collect::<Vec<_>>(), [1]);
    assert_eq!(rt.scheduled(), 0, "no windows, nothing to schedule");
}

#[test]
fn windows_slide_by_the_scheduler_and_changes_carry_their_own_instants() {
    let mut rt = realtime(&[
        "did(Order in last 7d)",
        "not did(Order in last 7d)",
        "last(Order) more than 30d ago",
    ]);
    let profile = ProfileData {
        traits: BTreeMap::new(),
        events: vec![event("Order", t0())],
    };
    assert_eq!(
        rt.load_profile(9, profile, t0() + DAY_MS),
        [enter(0, 9, t0() + DAY_MS)]
    );
    assert_eq!(rt.next_wakeup(), Some(t0() + 7 * DAY_MS));
    assert_eq!(rt.advance(t0() + 7 * DAY_MS - 1), []);
    // One call across both instants fires them in order, each stamped with its own time.
    assert_eq!(
        rt.advance(t0() + 40 * DAY_MS),
        [
            exit(0, 9, t0() + 7 * DAY_MS),
            enter(1, 9, t0() + 7 * DAY_MS),
            enter(2, 9, t0() + 30 * DAY_MS),
        ]
    );
    assert_eq!(rt.next_wakeup(), None);
    assert_eq!(rt.scheduled(), 0);
}

#[test]
fn late_and_future_events_count_as_of_their_own_time() {
    let mut rt = realtime(&["did(Order in last 7d)"]);
    rt.advance(t0());
    // Ten days late: already out of the window, so nothing happens and nothing is scheduled.
    assert_eq!(rt.on_event(1, event("Order", t0() - 10 * DAY_MS), t0()), []);
    assert_eq!(rt.next_wakeup(), None);
    // Dated tomorrow: invisible now, enters when it happens, leaves a week later.
    assert_eq!(rt.on_event(1, event("Order", t0() + DAY_MS), t0()), []);
    assert_eq!(rt.next_wakeup(), Some(t0() + DAY_MS));
    assert_eq!(rt.advance(t0() + DAY_MS), [enter(0, 1, t0() + DAY_MS)]);
    assert_eq!(rt.next_wakeup(), Some(t0() + 8 * DAY_MS));
}

#[test]
fn an_event_first_applies_what_time_already_changed() {
    let mut rt = realtime(&["did(Order in last 7d)", "did(View in last 1d)"]);
    rt.on_event(1, event("View", t0()), t0());
    // Arriving two days later, the Order first lets the View leave its window.
    assert_eq!(
        rt.on_event(1, event("Order", t0() + 2 * DAY_MS), t0() + 2 * DAY_MS),
        [exit(1, 1, t0() + DAY_MS), enter(0, 1, t0() + 2 * DAY_MS)]
    );
}

#[test]
fn merging_moves_data_and_the_surviving_profile_keeps_its_traits() {
    let mut rt = realtime(&["count(View) >= 2", "age > 30", "city exists", "did(View)"]);
    let at = t0();
    rt.on_event(1, event("View", at - 2), at);
    rt.on_traits(1, age(20.0), at);
    rt.on_traits(
        1,
        BTreeMap::from([("city".into(), TraitValue::String("x".into()))]),
        at,
    );
    rt.on_event(2, event("View", at - 1), at);
    rt.on_traits(2, age(50.0), at);
    let changes = rt.merge_profiles(1, 2, at + 1);
    assert_eq!(
        changes,
        [
            exit(2, 1, at + 1),
            exit(3, 1, at + 1),
            enter(0, 2, at + 1),
            enter(2, 2, at + 1),
        ]
    );
    let merged = rt.profile(2).expect("the surviving profile");
    assert_eq!(merged.traits["age"], TraitValue::Number(50.0));
    assert_eq!(merged.traits["city"], TraitValue::String("x".into()));
    assert_eq!(
        merged.events.iter().map(|e| e.ts).collect::<Vec<_>>(),
        [at - 2, at - 1]
    );
    assert!(rt.profile(1).is_none());
    assert_eq!(rt.merge_profiles(1, 2, at + 2), [], "1 is gone");
    assert_eq!(rt.merge_profiles(2, 2, at + 2), []);
}

#[test]
fn merged_events_at_equal_times_keep_the_survivor_first() {
    let mut rt = realtime(&["did(View)"]);
    let tagged =
        |tag: &str| EventData::new("View", t0(), Map::from_iter([("tag".into(), json!(tag))]));
    rt.on_event(1, tagged("from"), t0());
    rt.on_event(2, tagged("into"), t0());
    rt.merge_profiles(1, 2, t0());
    let tags: Vec<_> = rt
        .profile(2)
        .expect("merged")
        .events
        .iter()
        .map(|e| e.properties["tag"].clone())
        .collect();
    assert_eq!(tags, [json!("into"), json!("from")]);
}

#[test]
fn removal_exits_everything_and_drops_the_schedule() {
    let mut rt = realtime(&["did(Order in last 7d)", "age is null"]);
    rt.on_event(5, event("Order", t0()), t0());
    assert_eq!(rt.scheduled(), 1);
    assert_eq!(
        rt.remove_profile(5, t0() + 1),
        [exit(0, 5, t0() + 1), exit(1, 5, t0() + 1)]
    );
    assert_eq!(rt.scheduled(), 0);
    assert_eq!(rt.profile_count(), 0);
    assert_eq!(rt.remove_profile(5, t0() + 2), []);
}

#[test]
fn the_clock_never_goes_backwards() {
    let mut rt = realtime(&["did(Order in last 7d)"]);
    rt.advance(t0());
    assert_eq!(rt.advance(t0() - DAY_MS), []);
    assert_eq!(rt.clock(), t0());
    // An event reported with an older clock reading is evaluated as of the clock.
    assert_eq!(
        rt.on_event(1, event("Order", t0() - DAY_MS), t0() - 2 * DAY_MS),
        [enter(0, 1, t0())]
    );
    assert_eq!(rt.next_wakeup(), Some(t0() + 6 * DAY_MS));
}
