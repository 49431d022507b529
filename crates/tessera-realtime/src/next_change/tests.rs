//! Exact next-change instants for each construct of the language.

use std::collections::BTreeMap;

use serde_json::Map;
use tessera_engine::{EventData, ProfileData};
use tessera_lang::Expr;
use tessera_model::{parse_timestamp, Millis, TraitValue, DAY_MS};

use super::next_change;

fn t0() -> Millis {
    parse_timestamp("2026-10-01").expect("a date")
}

fn segment(text: &str) -> Expr {
    let parsed = tessera_lang::parse(text);
    assert_eq!(parsed.diagnostics, vec![], "{text}");
    parsed.expr
}

fn events(list: &[(&str, Millis)]) -> ProfileData {
    ProfileData {
        traits: BTreeMap::new(),
        events: list
            .iter()
            .map(|&(name, ts)| EventData::new(name, ts, Map::new()))
            .collect(),
    }
}

fn with_age(mut profile: ProfileData, age: f64) -> ProfileData {
    profile.traits.insert("age".into(), TraitValue::Number(age));
    profile
}

#[test]
fn a_window_changes_when_the_event_enters_and_when_it_leaves() {
    let expr = segment("count(E in last 7d) >= 1");
    let profile = events(&[("E", t0())]);
    assert_eq!(next_change(&expr, &profile, t0() - 1), Some(t0()));
    assert_eq!(next_change(&expr, &profile, t0()), Some(t0() + 7 * DAY_MS));
    assert_eq!(
        next_change(&expr, &profile, t0() + 7 * DAY_MS - 1),
        Some(t0() + 7 * DAY_MS)
    );
    assert_eq!(next_change(&expr, &profile, t0() + 7 * DAY_MS), None);
}

#[test]
fn not_did_in_a_window_becomes_true_when_the_event_leaves_it() {
    let expr = segment("not did(E in last 7d)");
    let profile = events(&[("E", t0())]);
    assert_eq!(next_change(&expr, &profile, t0()), Some(t0() + 7 * DAY_MS));
}

#[test]
fn recency_flips_after_the_duration() {
    let profile = events(&[("E", t0())]);
    for text in ["last(E) more than 30d ago", "first(E) less than 30d ago"] {
        let expr = segment(text);
        assert_eq!(
            next_change(&expr, &profile, t0() + DAY_MS),
            Some(t0() + 30 * DAY_MS),
            "{text}"
        );
        assert_eq!(next_change(&expr, &profile, t0() + 30 * DAY_MS), None);
    }
    // With a window too, the earlier of the two instants comes first.
    let expr = segment("last(E in last 7d) less than 30d ago");
    assert_eq!(next_change(&expr, &profile, t0()), Some(t0() + 7 * DAY_MS));
}

#[test]
fn a_future_event_changes_things_when_it_happens() {
    let expr = segment("did(E)");
    let profile = events(&[("E", t0())]);
    assert_eq!(next_change(&expr, &profile, t0() - 5 * DAY_MS), Some(t0()));
    assert_eq!(next_change(&expr, &profile, t0()), None);
}

#[test]
fn a_range_only_sees_events_inside_it() {
    let expr = segment("did(E from 2026-09-01 to 2026-10-01)");
    let inside = events(&[("E", t0() - DAY_MS)]);
    assert_eq!(
        next_change(&expr, &inside, t0() - 10 * DAY_MS),
        Some(t0() - DAY_MS)
    );
    assert_eq!(next_change(&expr, &inside, t0() - DAY_MS), None);
    // `to` is exclusive: an event at `to` is never visible, however long we wait.
    let at_end = events(&[("E", t0()), ("E", t0() + DAY_MS)]);
    assert_eq!(next_change(&expr, &at_end, t0() - 10 * DAY_MS), None);
}

#[test]
fn nothing_changes_without_events_or_with_traits_only() {
    let profile = with_age(events(&[]), 31.0);
    assert_eq!(
        next_change(&segment("did(E in last 7d)"), &profile, t0()),
        None
    );
    assert_eq!(
        next_change(&segment("not did(E in last 7d)"), &profile, t0()),
        None
    );
    assert_eq!(next_change(&segment("age > 30"), &profile, t0()), None);
    assert_eq!(next_change(&segment("age is null"), &profile, t0()), None);
}

#[test]
fn events_of_other_names_do_not_count() {
    let profile = events(&[("F", t0() + DAY_MS)]);
    assert_eq!(
        next_change(&segment("did(E in last 7d)"), &profile, t0()),
        None
    );
}

#[test]
fn the_earliest_candidate_wins() {
    let expr = segment("count(E in last 7d) >= 2 or last(F) more than 1d ago");
    let profile = events(&[
        ("E", t0() - 6 * DAY_MS),
        ("E", t0() - 2 * DAY_MS),
        ("F", t0() - 12 * 3_600_000),
        ("E", t0() + 3 * DAY_MS),
    ]);
    assert_eq!(
        next_change(&expr, &profile, t0()),
        Some(t0() + 12 * 3_600_000)
    );
}

#[test]
fn an_operand_that_never_changes_can_pin_and_and_or() {
    let profile = events(&[("E", t0())]);
    let and = segment("age > 30 and did(E in last 7d)");
    assert_eq!(
        next_change(&and, &with_age(profile.clone(), 20.0), t0()),
        None
    );
    assert_eq!(
        next_change(&and, &with_age(profile.clone(), 40.0), t0()),
        Some(t0() + 7 * DAY_MS)
    );
    let or = segment("age > 30 or did(E in last 7d)");
    assert_eq!(
        next_change(&or, &with_age(profile.clone(), 40.0), t0()),
        None
    );
    assert_eq!(
        next_change(&or, &with_age(profile.clone(), 20.0), t0()),
        Some(t0() + 7 * DAY_MS)
    );
    // A stable event condition pins too: nothing will ever make `did(F)` true.
    let stable = segment("did(F) and did(E in last 7d)");
    assert_eq!(next_change(&stable, &profile, t0()), None);
}

#[test]
fn instants_past_the_end_of_time_never_come() {
    let expr = segment("did(E in last 18446744073709551615w)");
    let profile = events(&[("E", t0())]);
    assert_eq!(next_change(&expr, &profile, t0() - 1), Some(t0()));
    assert_eq!(next_change(&expr, &profile, t0()), None);
    let recency = segment("last(E) more than 18446744073709551615d ago");
    assert_eq!(next_change(&recency, &profile, t0()), None);
}

#[test]
fn the_order_of_events_does_not_matter() {
    let expr = segment("did(E in last 7d) and not last(F) less than 2d ago");
    let times = [5, -3, 0, 9, -8, 2];
    let mut profile = events(&[]);
    for (i, days) in times.iter().enumerate() {
        let name = if i % 2 == 0 { "E" } else { "F" };
        profile
            .events
            .push(EventData::new(name, t0() + days * DAY_MS, Map::new()));
    }
    let mut sorted = profile.clone();
    sorted.events.sort_by_key(|e| e.ts);
    for at in (-12..12).map(|d| t0() + d * DAY_MS / 2) {
        assert_eq!(
            next_change(&expr, &profile, at),
            next_change(&expr, &sorted, at),
            "at {at}"
        );
    }
}
