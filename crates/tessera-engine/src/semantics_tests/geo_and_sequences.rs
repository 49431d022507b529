//! Geography (`within`) and sequences (`then`, `not followed by`) at their edges, on the
//! interpreter and the index alike (through the parent module's `members`).

use serde_json::json;
use tessera_model::{GeoPoint, Millis, TraitValue};

use super::{event, members, with_events, with_trait, AT};
use crate::{interpreter, Error, IndexBuilder, ProfileData};

#[test]
fn within_is_great_circle_distance_inclusive_and_needs_expanded_places() {
    let chicago = GeoPoint {
        lat: 41.8781,
        lon: -87.6298,
    };
    let profiles = vec![
        with_trait("home", TraitValue::Geo(chicago)),
        with_trait("home", TraitValue::String("Chicago".into())),
        with_trait("elsewhere", TraitValue::Geo(chicago)),
    ];
    // Chicago to New York is 1,144,292.85 m on the IUGG mean sphere (see tessera-model).
    let within = |text: &str| tessera_lang::parse(text).expr;
    assert_eq!(
        members(
            &within("home within 1144.293 km of point(40.7128, -74.006)"),
            &profiles,
            AT
        ),
        [0]
    );
    assert_eq!(
        members(
            &within("home within 1144.292 km of point(40.7128, -74.006)"),
            &profiles,
            AT
        ),
        Vec::<u32>::new()
    );
    assert_eq!(
        members(
            &within("home within 711.031 mi of point(40.7128, -74.006)"),
            &profiles,
            AT
        ),
        [0],
        "1,144,292.85 m is 711.0306 international miles"
    );
    assert_eq!(
        members(
            &within("home within 0 m of point(41.8781, -87.6298)"),
            &profiles,
            AT
        ),
        [0],
        "a distance of zero holds at the point itself"
    );
    assert_eq!(
        members(&within("not home within 1 m of point(0, 0)"), &profiles, AT),
        [0, 1, 2],
        "two-valued logic: a string or a missing trait is not within"
    );
    let unexpanded = within("home within 1 km of place \"downtown\"");
    assert!(!interpreter::eval(&unexpanded, &profiles[0], AT));
    assert!(matches!(
        IndexBuilder::new().finish().evaluate(&unexpanded, AT),
        Err(Error::Invalid { .. })
    ));
    let why = interpreter::explain(
        &within("home within 1200 km of point(40.7128, -74.006)"),
        &profiles[0],
        AT,
    );
    assert!(
        why.held && why.found.contains("1144.293 km away"),
        "{}",
        why.found
    );
}

#[test]
fn sequences_follow_strictly_later_within_the_gap_and_abandonment_waits_for_it() {
    const H: Millis = 3_600_000;
    let cart = |ts: Millis, sku: &str| event("Added to Cart", ts, json!({"sku": sku}));
    let order = |ts: Millis, sku: &str| event("Order Completed", ts, json!({"sku": sku}));
    let profiles = vec![
        // 0: ordered the same item 1h later, exactly at the edge.
        with_events(vec![cart(AT - 10 * H, "a"), order(AT - 9 * H, "a")]),
        // 1: ordered another item 1h later.
        with_events(vec![cart(AT - 10 * H, "a"), order(AT - 9 * H, "b")]),
        // 2: an order at the same instant as the cart: not after it.
        with_events(vec![cart(AT - 10 * H, "a"), order(AT - 10 * H, "a")]),
        // 3: added to cart 30 minutes ago: the hour to follow up has not passed.
        with_events(vec![cart(AT - H / 2, "a")]),
        // 4: added 2h ago, never ordered.
        with_events(vec![cart(AT - 2 * H, "a")]),
    ];
    let parse = |text: &str| tessera_lang::parse(text).expr;
    assert_eq!(
        members(
            &parse("did(Added to Cart then Order Completed within 1h)"),
            &profiles,
            AT
        ),
        [0, 1]
    );
    assert_eq!(
        members(
            &parse("did(Added to Cart then Order Completed within 1h with same sku)"),
            &profiles,
            AT
        ),
        [0]
    );
    assert_eq!(
        members(
            &parse("did(Added to Cart then Order Completed within 59m)"),
            &profiles,
            AT
        ),
        Vec::<u32>::new(),
        "the gap is inclusive: 1h is not within 59m"
    );
    assert_eq!(
        members(
            &parse("did(Added to Cart not followed by Order Completed within 1h with same sku)"),
            &profiles,
            AT
        ),
        [1, 2, 4],
        "abandoned: followed by nothing of the same sku within the hour, and the hour is over"
    );
    assert_eq!(
        members(
            &parse("did(Added to Cart not followed by Order Completed within 1h with same sku)"),
            &profiles,
            AT + H
        ),
        [1, 2, 3, 4],
        "an hour later, profile 3 has abandoned too"
    );
    let why = interpreter::explain(
        &parse("did(Added to Cart then Order Completed within 1h with same sku)"),
        &profiles[0],
        AT,
    );
    assert!(
        why.held && why.found.contains("followed by Order Completed"),
        "{}",
        why.found
    );
}

#[test]
fn an_or_of_within_tests_is_one_pass_that_agrees_with_each_test() {
    // Deterministic points and targets around Chicago, some across the antimeridian.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = |span: f64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * span
    };
    let mut profiles: Vec<ProfileData> = (0..300)
        .map(|_| {
            with_trait(
                "home",
                TraitValue::Geo(GeoPoint {
                    lat: 41.88 + next(2.0),
                    lon: -87.63 + next(2.0),
                }),
            )
        })
        .collect();
    profiles.push(with_trait(
        "home",
        TraitValue::Geo(GeoPoint {
            lat: 0.0,
            lon: 179.99,
        }),
    ));
    profiles.push(with_trait("home", TraitValue::String("Chicago".into())));
    profiles.push(with_trait(
        "elsewhere",
        TraitValue::Geo(GeoPoint {
            lat: 41.88,
            lon: -87.63,
        }),
    ));
    let mut tests: Vec<String> = (0..20)
        .map(|i| {
            let unit = ["m", "km", "mi"][i % 3];
            let amount = match unit {
                "m" => 5_000.0 + next(8_000.0).abs(),
                _ => 5.0 + next(8.0).abs(),
            };
            format!(
                "home within {amount} {unit} of point({}, {})",
                41.88 + next(2.0),
                -87.63 + next(2.0)
            )
        })
        .collect();
    tests.push("home within 10 km of point(0, -179.99)".into());
    let fused = tessera_lang::parse(&tests.join(" or ")).expr;
    let held = members(&fused, &profiles, AT);
    assert!(
        held.len() > 30 && held.len() < 290,
        "{} of {}",
        held.len(),
        profiles.len()
    );
    assert!(
        held.contains(&300),
        "the antimeridian target holds across it"
    );
}
