//! The persona statistics against SciPy (tests/reference/reference.json, made by
//! tests/reference/make_reference.py), and a persona built end to end on data whose columns
//! are the reference samples.

mod common;

use common::*;
use roaring::RoaringBitmap;
use serde_json::{json, Value};
use tessera_discover::features::{extract, FeatureSet};
use tessera_discover::persona::{Persona, PersonaOptions};
use tessera_discover::stats::{
    normal_cdf, student_t_two_sided, two_proportion_z_test, welch_t_test, Summary,
};
use tessera_engine::Index;
use tessera_model::HOUR_MS;

fn reference() -> Value {
    serde_json::from_str(include_str!("reference/reference.json")).unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn assert_close(got: f64, want: f64, what: &str) {
    let tolerance = 1e-10 * want.abs().max(1e-300);
    assert!(
        (got - want).abs() <= tolerance,
        "{what}: got {got:e}, SciPy {want:e}"
    );
}

#[test]
fn distributions_match_scipy() {
    let r = reference();
    for row in r["normal_cdf"].as_array().unwrap() {
        let (z, want) = (f(&row[0]), f(&row[1]));
        assert_close(normal_cdf(z), want, &format!("Φ({z})"));
    }
    for row in r["t_two_sided"].as_array().unwrap() {
        let (t, df, want) = (f(&row[0]), f(&row[1]), f(&row[2]));
        assert_close(student_t_two_sided(t, df), want, &format!("t={t}, df={df}"));
    }
}

#[test]
fn welch_and_z_tests_match_scipy() {
    let r = reference();
    for case in r["welch"].as_array().unwrap() {
        let sample = |k: &str| Summary::of(case[k].as_array().unwrap().iter().map(f));
        let test = welch_t_test(sample("a"), sample("b")).unwrap();
        assert_close(test.statistic, f(&case["t"]), "Welch t");
        assert_close(test.df.unwrap(), f(&case["df"]), "Welch df");
        assert_close(test.p_value, f(&case["p"]), "Welch p");
    }
    for case in r["z_tests"].as_array().unwrap() {
        let test = two_proportion_z_test(
            f(&case["x1"]),
            f(&case["n1"]),
            f(&case["x2"]),
            f(&case["n2"]),
        )
        .unwrap();
        assert_close(test.statistic, f(&case["z"]), "z");
        assert_close(test.p_value, f(&case["p"]), "z-test p");
    }
}

/// Members' ages are the first Welch sample and the rest's the second; 3 of 6 members and 1
/// of 8 others are urban (the first z-test case).
#[test]
fn a_persona_reports_scipys_numbers_and_plain_words() {
    let r = reference();
    let welch = &r["welch"][0];
    let ages = |k: &str| -> Vec<f64> { welch[k].as_array().unwrap().iter().map(f).collect() };
    let mut profiles = Vec::new();
    for (i, age) in ages("a").into_iter().enumerate() {
        let tier = if i < 3 { "urban" } else { "rural" };
        // Members buy athletic wear at 12:xx UTC on mobile.
        let events = vec![
            order(
                day(99.0) + 12 * HOUR_MS + i as i64 * 60_000,
                100.0,
                "athletic",
                "web",
            ),
            event(
                "Product Viewed",
                day(98.0),
                json!({"device": "mobile", "category": "athletic"}),
            ),
        ];
        profiles.push(profile(
            &[("age", number(age)), ("city_tier", string(tier))],
            events,
        ));
    }
    for (i, age) in ages("b").into_iter().enumerate() {
        let tier = if i < 1 { "urban" } else { "rural" };
        let events = vec![
            order(day(60.0) + 19 * HOUR_MS, 40.0, "home", "store"),
            event(
                "Product Viewed",
                day(50.0),
                json!({"device": "desktop", "category": "home"}),
            ),
        ];
        profiles.push(profile(
            &[("age", number(age)), ("city_tier", string(tier))],
            events,
        ));
    }
    let keyed: Vec<(i64, _)> = profiles
        .into_iter()
        .enumerate()
        .map(|(i, p)| (i as i64, p))
        .collect();
    let index = Index::from_profiles(&keyed);
    let set = FeatureSet::parse(
        "p.toml",
        "name = \"p\"\n[[feature]]\nkind = \"trait\"\ntrait = \"age\"\n[[feature]]\nkind = \"one_hot\"\ntrait = \"city_tier\"\nvalues = [\"urban\"]\n",
    )
    .unwrap();
    let matrix = extract(&index, AT, &set).unwrap();
    let members: RoaringBitmap = (0..6).collect();
    let persona = Persona::build(
        &index,
        AT,
        &members,
        Some(&matrix),
        &PersonaOptions::default(),
    )
    .unwrap();

    assert_eq!((persona.size, persona.population), (6, 14));
    let age = &persona.features[0];
    let t = age.test.unwrap();
    assert_close(t.statistic, f(&welch["t"]), "persona age t");
    assert_close(t.p_value, f(&welch["p"]), "persona age p");
    assert!(age.significant);
    let all: f64 = ages("a").iter().chain(&ages("b")).sum::<f64>() / 14.0;
    assert_close(age.population_mean, all, "population mean");
    assert_close(age.lift.unwrap(), age.mean / all, "lift");

    let urban = &persona.features[1];
    let z = &r["z_tests"][0];
    assert_close(urban.test.unwrap().statistic, f(&z["z"]), "persona urban z");
    assert_close(urban.test.unwrap().p_value, f(&z["p"]), "persona urban p");
    // p = 0.15: not significant, so the description does not say "mostly urban".
    assert!(!urban.significant);

    assert_eq!(persona.top_categories[0].value, "athletic");
    assert_close(
        persona.top_categories[0].lift.unwrap(),
        14.0 / 6.0,
        "category lift",
    );
    assert_eq!(persona.channels[0].value, "web");
    assert_eq!(persona.devices[0].value, "mobile");
    assert_eq!(persona.typical_hour, Some(12));
    // These profiles have no time zone: their purchases count in UTC, and say so.
    assert_eq!(persona.purchases_in_utc, persona.orders);
    assert_eq!(persona.orders, 6);
    assert_close(persona.average_order_value.unwrap(), 100.0, "AOV");
    assert_close(persona.spend_per_member, 100.0, "spend per member");
    // 14 buyers: the first tercile is the 5th smallest recency (nearest rank), so 5 of the 6
    // members (who bought a minute apart on day 99) are "recent" and the 6th "mid".
    assert_eq!(persona.rfm.non_buyers, 0.0);
    assert_eq!(persona.rfm.recency, [5.0 / 6.0, 1.0 / 6.0, 0.0]);
    assert_eq!(
        persona.description,
        "Mostly 25–34, mobile-first, buys athletic at lunchtime; 0.7× the average age.",
        "{:#?}",
        persona.features
    );
}

/// Purchase hours and weekdays are in each member's own zone: the `timezone` trait, else the
/// latest event's `context.timezone`; members without one count in UTC, and are counted.
#[test]
fn purchase_times_are_local_to_each_member() {
    // Day 99 after the epoch (1970-04-10) is a Friday; 17:30 UTC is 11:30 in Chicago (CST, UTC−6
    // in April 1970: no daylight saving until the 26th) and 18:30 in Paris (UTC+1).
    let at_1730 = day(99.0) + 17 * HOUR_MS + 30 * 60_000;
    let chicago_by_trait = profile(
        &[("timezone", string("America/Chicago"))],
        vec![order(at_1730, 10.0, "home", "web")],
    );
    let chicago_by_context = profile(
        &[],
        vec![
            event(
                "Page Viewed",
                day(98.0),
                json!({"context": {"timezone": "America/Chicago"}}),
            ),
            order(at_1730 + 60_000, 10.0, "home", "web"),
        ],
    );
    let paris = profile(
        &[("timezone", string("Europe/Paris"))],
        vec![order(at_1730, 10.0, "home", "web")],
    );
    let nowhere = profile(&[], vec![order(at_1730, 10.0, "home", "web")]);
    let keyed: Vec<(i64, _)> = [chicago_by_trait, chicago_by_context, paris, nowhere]
        .into_iter()
        .enumerate()
        .map(|(i, p)| (i as i64, p))
        .collect();
    let index = Index::from_profiles(&keyed);
    let everyone: RoaringBitmap = (0..4).collect();
    let persona = Persona::build(&index, AT, &everyone, None, &PersonaOptions::default()).unwrap();
    let mut expected = vec![0u64; 24];
    expected[11] = 2; // Chicago, by trait and by context
    expected[18] = 1; // Paris
    expected[17] = 1; // UTC, no zone
    assert_eq!(persona.purchase_hours, expected);
    assert_eq!(persona.typical_hour, Some(11));
    assert_eq!(persona.typical_weekday, Some("Friday"));
    assert_eq!(persona.purchases_in_utc, 1);
}
