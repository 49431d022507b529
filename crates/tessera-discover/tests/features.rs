//! Feature extraction against values computed by hand on a three-profile dataset.

mod common;

use common::*;
use serde_json::json;
use tessera_discover::features::{extract, ColumnKind, FeatureSet};
use tessera_engine::Index;
use tessera_model::MINUTE_MS;

const SET: &str = r#"
name = "hand"
missing = "impute_mean"

[[feature]]
kind = "recency"

[[feature]]
kind = "frequency"
window = "30d"

[[feature]]
kind = "monetary"

[[feature]]
kind = "average_order_value"

[[feature]]
kind = "count"
event = "Email Opened"
window = "30d"

[[feature]]
kind = "sessions"
window = "30d"

[[feature]]
kind = "share"
name = "device"
event = "Product Viewed"
property = "device"
values = ["mobile", "desktop"]

[[feature]]
kind = "share"
name = "cat"
event = "Order Completed"
property = "category"
top = 1
fill = 0

[[feature]]
kind = "trait"
trait = "age"

[[feature]]
kind = "one_hot"
trait = "city_tier"
values = ["urban", "rural"]
"#;

fn dataset() -> Index {
    let view = |ts, device: &str| {
        event(
            "Product Viewed",
            ts,
            json!({"device": device, "category": "shoes"}),
        )
    };
    let a = profile(
        &[("age", number(30.0)), ("city_tier", string("urban"))],
        vec![
            order(day(90.0), 50.0, "shoes", "web"),
            order(day(99.0), 30.0, "shoes", "store"),
            view(day(99.5), "mobile"),
            view(day(99.5) + 10 * MINUTE_MS, "desktop"),
        ],
    );
    let b = profile(
        &[("age", number(40.0)), ("city_tier", string("rural"))],
        vec![
            event("Email Opened", day(95.0), json!({})),
            // Exactly 30 days before `at`: outside `in last 30d` (the window's start is open).
            event("Email Opened", day(70.0), json!({})),
        ],
    );
    let c = profile(
        &[],
        vec![
            order(day(50.0), 20.0, "bags", "web"),
            // After `at`: never counted.
            order(day(101.0), 999.0, "shoes", "web"),
        ],
    );
    Index::from_profiles(&[(1, a), (2, b), (3, c)])
}

#[test]
fn values_match_the_hand_computation() {
    let set = FeatureSet::parse("hand.toml", SET).unwrap();
    let m = extract(&dataset(), AT, &set).unwrap();
    let names: Vec<&str> = m.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "recency_days",
            "frequency_30d",
            "monetary",
            "aov",
            "email_opened_30d",
            "sessions_30d",
            "device=mobile",
            "device=desktop",
            "cat=shoes",
            "age",
            "city_tier=urban",
            "city_tier=rural",
        ]
    );
    let nan = f64::NAN;
    #[rustfmt::skip]
    let expected = [
        // recency freq monetary aov  email sessions mobile desktop shoes age  urban rural
        [1.0,     2.0, 80.0,    40.0, 0.0,  3.0,     0.5,   0.5,    1.0,  30.0, 1.0,  0.0],
        [nan,     0.0, 0.0,     nan,  1.0,  1.0,     nan,   nan,    0.0,  40.0, 0.0,  1.0],
        [50.0,    0.0, 20.0,    20.0, 0.0,  0.0,     nan,   nan,    0.0,  nan,  0.0,  0.0],
    ];
    for (row, want) in expected.iter().enumerate() {
        for (col, w) in want.iter().enumerate() {
            let got = m.data[[row, col]];
            assert!(
                (w.is_nan() && got.is_nan()) || (got - w).abs() < 1e-12,
                "row {row} column {}: got {got}, want {w}",
                names[col]
            );
        }
    }
    assert_eq!(m.columns[10].kind, ColumnKind::Binary);
    assert_eq!(m.columns[6].kind, ColumnKind::Numeric);
    assert_eq!(m.columns[4].label, "Email Opened in 30 days");

    // impute_mean then standard scaling: no missing cell is left and columns are centred.
    let (_, scaled) = m.scaled().unwrap();
    assert_eq!(scaled.rows, [0, 1, 2]);
    assert!(scaled.data.iter().all(|v| v.is_finite()));
    for c in 0..scaled.data.ncols() {
        assert!(scaled.data.column(c).sum().abs() < 1e-9);
    }
}

#[test]
fn the_drop_policy_keeps_only_complete_rows() {
    let text = SET.replace("impute_mean", "drop");
    let set = FeatureSet::parse("hand.toml", &text).unwrap();
    let m = extract(&dataset(), AT, &set).unwrap();
    let (_, scaled) = m.scaled().unwrap();
    assert_eq!(scaled.rows, [0]);
}

#[test]
fn unknown_names_and_wrong_types_are_refused_with_the_fix() {
    let bad_trait = "name = \"x\"\n[[feature]]\nkind = \"trait\"\ntrait = \"agee\"\n";
    let err = extract(
        &dataset(),
        AT,
        &FeatureSet::parse("x.toml", bad_trait).unwrap(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid feature set: feature `agee`: no profile has a trait `agee` (traits: age, city_tier)"
    );
    let wrong_kind = "name = \"x\"\n[[feature]]\nkind = \"trait\"\ntrait = \"city_tier\"\n";
    let err = extract(
        &dataset(),
        AT,
        &FeatureSet::parse("x.toml", wrong_kind).unwrap(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid feature set: feature `city_tier`: trait `city_tier` holds string values; use kind = \"one_hot\" for strings and lists"
    );
    let bad_event = "name = \"x\"\n[[feature]]\nkind = \"count\"\nevent = \"Email Open\"\n";
    let err = extract(
        &dataset(),
        AT,
        &FeatureSet::parse("x.toml", bad_event).unwrap(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("no event is named `Email Open` in the data (events: Email Opened, Order Completed, Product Viewed)"), "{err}");
}

#[test]
fn the_documented_example_parses() {
    // docs/discovery.md shows this file; keep them identical.
    let docs = include_str!("../../../docs/discovery.md");
    let start = docs
        .find("```toml\n")
        .expect("a toml block in docs/discovery.md")
        + 8;
    let end = start + docs[start..].find("```").unwrap();
    let set = FeatureSet::parse("docs/discovery.md", &docs[start..end]).unwrap();
    assert_eq!(set.name, "retail");
    assert_eq!(set, FeatureSet::builtin("retail").unwrap());
}
