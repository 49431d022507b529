//! `local_hour` and `local_weekday`: where the zone comes from, and the local time it gives,
//! on the interpreter and the index alike (through the parent module's `members`).

use std::collections::BTreeMap;

use serde_json::json;
use tessera_model::{parse_timestamp, TraitValue};

use super::{event, members, with_events, with_trait};
use crate::{interpreter, ProfileData};

fn parse(text: &str) -> tessera_lang::Expr {
    let parsed = tessera_lang::parse(text);
    assert!(parsed.diagnostics.is_empty(), "{text}");
    parsed.expr
}

#[test]
fn the_zone_is_the_trait_else_the_latest_event_context() {
    let at = parse_timestamp("2026-11-03T17:30:00Z").unwrap();
    let earlier = at - 3_600_000;
    let later = at + 60_000;
    let context = |zone: &str| json!({ "context": { "timezone": zone } });
    let profiles = vec![
        // 0: the trait: 18:30 in Paris (UTC+1 in November).
        with_trait("timezone", TraitValue::String("Europe/Paris".into())),
        // 1: the trait wins over events: 11:30 in Chicago (UTC-6).
        ProfileData {
            traits: BTreeMap::from([(
                "timezone".to_string(),
                TraitValue::String("America/Chicago".into()),
            )]),
            events: vec![event("Page Viewed", earlier, context("Europe/Paris"))],
        },
        // 2: no trait: the latest event up to `at` (Chicago), not a later one (Paris).
        with_events(vec![
            event("Page Viewed", earlier - 1, context("Asia/Tokyo")),
            event("Order Completed", earlier, context("America/Chicago")),
            event("Page Viewed", later, context("Europe/Paris")),
        ]),
        // 3: a timezone trait that is not a string names no zone, events or not.
        ProfileData {
            traits: BTreeMap::from([("timezone".to_string(), TraitValue::Number(1.0))]),
            events: vec![event("Page Viewed", earlier, context("Europe/Paris"))],
        },
        // 4: an unknown name, and 5: no zone at all.
        with_trait("timezone", TraitValue::String("europe/paris".into())),
        with_events(vec![event("Page Viewed", earlier, json!({}))]),
        // 6: equal times: the event name that sorts last wins (Page > Order).
        with_events(vec![
            event("Page Viewed", earlier, context("America/Chicago")),
            event("Order Completed", earlier, context("Europe/Paris")),
        ]),
        // 7: a zone value that is not a string is skipped: the earlier Chicago counts.
        with_events(vec![
            event("Page Viewed", earlier - 5, context("America/Chicago")),
            event(
                "Page Viewed",
                earlier,
                json!({ "context": { "timezone": 3 } }),
            ),
        ]),
    ];
    let lunchtime = parse("local_hour between 11 and 14");
    assert_eq!(members(&lunchtime, &profiles, at), [1, 2, 6, 7]);
    assert_eq!(
        members(&parse("local_hour = 18"), &profiles, at),
        [0],
        "Paris"
    );
    assert_eq!(
        members(&parse("local_hour is null"), &profiles, at),
        [3, 4, 5]
    );
    // At 05:30 UTC it is still Monday evening in Chicago, and Tuesday in Paris.
    let early = parse_timestamp("2026-11-03T05:30:00Z").unwrap();
    assert_eq!(
        members(&parse(r#"local_weekday = "Monday""#), &profiles, early),
        [1]
    );
    assert_eq!(
        members(&parse(r#"local_weekday = "Tuesday""#), &profiles, early),
        [0]
    );
    let explained = interpreter::explain(&lunchtime, &profiles[2], at);
    assert_eq!(
        explained.found,
        "local_hour = 11 (local time Tue 11:30 in America/Chicago)"
    );
    let explained = interpreter::explain(&lunchtime, &profiles[4], at);
    assert_eq!(
        explained.found,
        "no value: \"europe/paris\" is not a known time zone"
    );
}
