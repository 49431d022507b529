//! Journey paths, transitions and the funnel on a hand-made dataset.

mod common;

use common::*;
use roaring::RoaringBitmap;
use serde_json::json;
use tessera_discover::journey::{JourneyOptions, Journeys, Transition};
use tessera_engine::Index;
use tessera_model::{Millis, MINUTE_MS};

fn history(steps: &[(&str, i64)]) -> Vec<tessera_engine::EventData> {
    steps
        .iter()
        .map(|(name, minute)| event(name, day(90.0) + minute * MINUTE_MS, json!({})))
        .collect()
}

fn dataset() -> Index {
    let m1 = history(&[
        ("View", 1),
        ("View", 2),
        ("Cart", 3),
        ("Buy", 4),
        ("Email", 5),
        ("Buy", 6),
    ]);
    let m2 = history(&[("View", 1), ("Cart", 2), ("Checkout", 3), ("Buy", 5)]);
    let m3 = history(&[("View", 1), ("Cart", 2)]);
    // Not a member: must not count anywhere.
    let other = history(&[("View", 1), ("Cart", 2), ("Buy", 3)]);
    Index::from_profiles(&[
        (1, profile(&[], m1)),
        (2, profile(&[], m2)),
        (3, profile(&[], m3)),
        (4, profile(&[], other)),
    ])
}

fn members() -> RoaringBitmap {
    (0..3).collect()
}

#[test]
fn paths_transitions_and_funnel_match_the_hand_count() {
    let mut options = JourneyOptions::new("Buy");
    options.steps = 2;
    options.funnel = Some(vec!["View".into(), "Cart".into(), "Buy".into()]);
    let j = Journeys::build(&dataset(), AT, &members(), &options).unwrap();
    assert_eq!((j.members, j.converters, j.conversions), (3, 2, 3));
    let paths: Vec<(Vec<&str>, u64)> = j
        .paths
        .iter()
        .map(|p| (p.steps.iter().map(String::as_str).collect(), p.count))
        .collect();
    // One each; ties in name order.
    assert_eq!(
        paths,
        [
            (vec!["Cart", "Checkout", "Buy"], 1),
            (vec!["Email", "Buy"], 1),
            (vec!["View", "Cart", "Buy"], 1),
        ]
    );
    let t = |position, from: &str, to: &str, minutes: i64| Transition {
        position,
        from: from.into(),
        to: to.into(),
        count: 1,
        median_ms: minutes * MINUTE_MS,
    };
    assert_eq!(
        j.transitions,
        [
            t(-1, "Cart", "Checkout", 1),
            t(-1, "View", "Cart", 1),
            t(0, "Cart", "Buy", 1),
            t(0, "Checkout", "Buy", 2),
            t(0, "Email", "Buy", 1),
        ]
    );
    let funnel: Vec<(&str, u64, u64, Option<Millis>)> = j
        .funnel
        .iter()
        .map(|s| {
            (
                s.event.as_str(),
                s.reached,
                s.drop_off,
                s.median_ms_from_previous,
            )
        })
        .collect();
    // View→Cart took 2, 1 and 1 minutes (median 1); Cart→Buy 1 and 3 minutes (median 2).
    assert_eq!(
        funnel,
        [
            ("View", 3, 0, None),
            ("Cart", 3, 0, Some(MINUTE_MS)),
            ("Buy", 2, 1, Some(2 * MINUTE_MS)),
        ]
    );
    assert!((j.funnel[2].drop_off_rate - 1.0 / 3.0).abs() < 1e-12);
}

#[test]
fn the_default_funnel_is_the_most_common_path_and_errors_name_the_fix() {
    let options = JourneyOptions::new("Buy");
    let j = Journeys::build(&dataset(), AT, &members(), &options).unwrap();
    let steps: Vec<&str> = j.funnel.iter().map(|s| s.event.as_str()).collect();
    // With 3 steps every path is different; the tie goes to the first in name order.
    assert_eq!(steps, ["Email", "Buy"]);

    let err =
        Journeys::build(&dataset(), AT, &members(), &JourneyOptions::new("Purchase")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid goal: no event is named `Purchase` in the data (events: Buy, Cart, Checkout, Email, View)"
    );
    let mut zero = JourneyOptions::new("Buy");
    zero.steps = 0;
    assert_eq!(
        Journeys::build(&dataset(), AT, &members(), &zero)
            .unwrap_err()
            .to_string(),
        "invalid steps: must be between 1 and 10"
    );
}
