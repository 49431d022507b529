//! The semantics of each condition at its edges, checked on the interpreter and the index alike.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use tessera_lang::{
    AggFunc, AggregateCond, AgoRelation, CmpOp, CountCond, Duration, DurationUnit, EventQuery,
    Expr, Literal, NumCmp, PropFilter, Recency, RecencyCond, Span, TraitCond, ValueTest, Window,
};
use tessera_model::{GeoPoint, Millis, TraitValue, DAY_MS};

use crate::{
    interpreter, BuildOptions, Error, EventData, IndexBuilder, ProfileData, Strategy, Tuning,
};

const AT: Millis = 20_000 * DAY_MS;

fn event(name: &str, ts: Millis, properties: Value) -> EventData {
    EventData::new(
        name,
        ts,
        properties.as_object().cloned().unwrap_or_default(),
    )
}

fn with_events(events: Vec<EventData>) -> ProfileData {
    ProfileData {
        traits: BTreeMap::new(),
        events,
    }
}

fn with_trait(name: &str, value: TraitValue) -> ProfileData {
    ProfileData {
        traits: BTreeMap::from([(name.to_string(), value)]),
        events: vec![],
    }
}

/// The indexes (0-based) of the profiles for which `expr` holds at `at`, after checking that
/// the interpreter and the index, under every build option and tuning, agree on them.
fn members(expr: &Expr, profiles: &[ProfileData], at: Millis) -> Vec<u32> {
    let expected: Vec<u32> = (0..profiles.len() as u32)
        .filter(|&i| interpreter::eval(expr, &profiles[i as usize], at))
        .collect();
    for postings in [Strategy::Auto, Strategy::Always, Strategy::Never] {
        let mut builder = IndexBuilder::with_options(BuildOptions { postings });
        for (key, profile) in profiles.iter().enumerate() {
            let ord = builder.add_profile(key as i64);
            for (name, value) in &profile.traits {
                builder.set_trait(ord, name, value.clone());
            }
            for e in &profile.events {
                builder.add_event(ord, &e.name, e.ts, &e.properties);
            }
        }
        let mut index = builder.finish();
        for probe in [Strategy::Always, Strategy::Never] {
            index.set_tuning(Tuning { probe, postings });
            let got: Vec<u32> = index.evaluate(expr, at).unwrap().iter().collect();
            assert_eq!(
                got, expected,
                "index ({postings:?}, probe {probe:?}) vs interpreter"
            );
        }
    }
    expected
}

fn query(event: &str) -> EventQuery {
    EventQuery {
        event: event.into(),
        filter: None,
        window: None,
        span: Span::default(),
    }
}

fn days(amount: u64) -> Duration {
    Duration {
        amount,
        unit: DurationUnit::Days,
    }
}

fn in_last(event: &str, d: Duration) -> EventQuery {
    EventQuery {
        window: Some(Window::Last(d)),
        ..query(event)
    }
}

fn test(name: &str, test: ValueTest) -> TraitCond {
    TraitCond {
        name: name.into(),
        test,
        span: Span::default(),
    }
}

fn cmp(op: CmpOp, value: Literal) -> ValueTest {
    ValueTest::Compare { op, value }
}

fn string(s: &str) -> Literal {
    Literal::String(s.into())
}

fn trait_is(name: &str, t: ValueTest) -> Expr {
    Expr::Trait(test(name, t))
}

fn count(query: EventQuery, op: CmpOp, value: f64) -> Expr {
    Expr::Count(CountCond {
        query,
        cmp: NumCmp::Compare { op, value },
    })
}

fn not(expr: Expr) -> Expr {
    Expr::Not(Box::new(expr))
}

fn where_(event: &str, filter: TraitCond) -> EventQuery {
    EventQuery {
        filter: Some(PropFilter::Test(filter)),
        ..query(event)
    }
}

#[test]
fn last_window_excludes_its_start_and_includes_at() {
    let profiles: Vec<ProfileData> = [-7 * DAY_MS, -7 * DAY_MS + 1, 0, 1]
        .iter()
        .map(|offset| with_events(vec![event("view", AT + offset, json!({}))]))
        .collect();
    assert_eq!(
        members(&Expr::Did(in_last("view", days(7))), &profiles, AT),
        [1, 2]
    );
    // An empty window selects nothing; an absurd one everything up to `at`.
    assert_eq!(
        members(&Expr::Did(in_last("view", days(0))), &profiles, AT),
        [] as [u32; 0]
    );
    let forever = Duration {
        amount: u64::MAX,
        unit: DurationUnit::Weeks,
    };
    assert_eq!(
        members(&Expr::Did(in_last("view", forever)), &profiles, AT),
        [0, 1, 2]
    );
}

#[test]
fn range_window_includes_from_excludes_to_and_stops_at_at() {
    let (from, to) = (AT - 2 * DAY_MS, AT - DAY_MS);
    let profiles: Vec<ProfileData> = [from - 1, from, to - 1, to, AT, AT + 1]
        .iter()
        .map(|&ts| with_events(vec![event("view", ts, json!({}))]))
        .collect();
    let range = |from, to| EventQuery {
        window: Some(Window::Range { from, to }),
        ..query("view")
    };
    assert_eq!(members(&Expr::Did(range(from, to)), &profiles, AT), [1, 2]);
    assert_eq!(
        members(&Expr::Did(range(AT, AT + DAY_MS)), &profiles, AT),
        [4]
    );
    assert_eq!(
        members(&Expr::Did(range(to, from)), &profiles, AT),
        [] as [u32; 0]
    );
}

#[test]
fn events_after_at_never_count() {
    let profiles = vec![
        with_events(vec![event("view", AT + 1, json!({}))]),
        with_events(vec![
            event("view", AT, json!({})),
            event("view", AT + 5, json!({})),
        ]),
    ];
    assert_eq!(members(&Expr::Did(query("view")), &profiles, AT), [1]);
    assert_eq!(
        members(&count(query("view"), CmpOp::Eq, 1.0), &profiles, AT),
        [1]
    );
    // Replaying later lets the later events in.
    assert_eq!(
        members(&count(query("view"), CmpOp::Eq, 2.0), &profiles, AT + 5),
        [1]
    );
}

#[test]
fn a_missing_trait_fails_every_test_but_is_null_and_not_complements() {
    let profiles = vec![
        with_trait("age", TraitValue::Number(31.0)),
        ProfileData::default(),
    ];
    let over_30 = trait_is("age", cmp(CmpOp::Gt, Literal::Number(30.0)));
    assert_eq!(members(&over_30, &profiles, AT), [0]);
    assert_eq!(members(&not(over_30), &profiles, AT), [1]);
    let not_30 = trait_is("age", cmp(CmpOp::Ne, Literal::Number(30.0)));
    assert_eq!(members(&not_30, &profiles, AT), [0]);
    assert_eq!(
        members(&trait_is("age", ValueTest::IsNull), &profiles, AT),
        [1]
    );
    assert_eq!(
        members(&trait_is("age", ValueTest::Exists), &profiles, AT),
        [0]
    );
    assert_eq!(
        members(&trait_is("nobody", ValueTest::IsNull), &profiles, AT),
        [0, 1]
    );
    assert_eq!(
        members(&trait_is("nobody", ValueTest::Exists), &profiles, AT),
        [] as [u32; 0]
    );
}

#[test]
fn counts_below_n_include_profiles_without_events() {
    let view = |days_ago: i64| event("view", AT - days_ago * DAY_MS, json!({}));
    let profiles = vec![
        with_events(vec![view(1), view(2), view(3)]),
        with_events(vec![view(1)]),
        with_events(vec![event("buy", AT, json!({}))]),
        ProfileData::default(),
        with_events(vec![view(30)]),
    ];
    let week = || in_last("view", days(7));
    assert_eq!(
        members(&count(week(), CmpOp::Lt, 2.0), &profiles, AT),
        [1, 2, 3, 4]
    );
    assert_eq!(
        members(&count(week(), CmpOp::Eq, 0.0), &profiles, AT),
        [2, 3, 4]
    );
    assert_eq!(members(&count(week(), CmpOp::Ge, 3.0), &profiles, AT), [0]);
    let between = Expr::Count(CountCond {
        query: week(),
        cmp: NumCmp::Between {
            low: 0.0,
            high: 1.0,
        },
    });
    assert_eq!(members(&between, &profiles, AT), [1, 2, 3, 4]);
    // did(q) is count(q) >= 1, and `did not` its complement.
    assert_eq!(members(&Expr::Did(week()), &profiles, AT), [0, 1]);
    assert_eq!(members(&not(Expr::Did(week())), &profiles, AT), [2, 3, 4]);
}

fn aggregate(func: AggFunc, op: CmpOp, value: f64) -> Expr {
    Expr::Aggregate(AggregateCond {
        func,
        query: query("buy"),
        property: "price".into(),
        cmp: NumCmp::Compare { op, value },
    })
}

#[test]
fn sum_of_nothing_is_zero_but_avg_min_max_of_nothing_have_no_value() {
    let buy = |price: Value| event("buy", AT - DAY_MS, json!({ "price": price }));
    let profiles = vec![
        with_events(vec![buy(json!(10)), buy(json!(2.5))]),
        ProfileData::default(),
        // Not numbers: these events take no part in aggregates.
        with_events(vec![buy(json!("10")), buy(Value::Null), buy(json!([1]))]),
        with_events(vec![buy(json!(-3)), buy(json!(3))]),
    ];
    assert_eq!(
        members(&aggregate(AggFunc::Sum, CmpOp::Eq, 0.0), &profiles, AT),
        [1, 2, 3]
    );
    assert_eq!(
        members(&aggregate(AggFunc::Sum, CmpOp::Gt, 12.0), &profiles, AT),
        [0]
    );
    assert_eq!(
        members(&aggregate(AggFunc::Avg, CmpOp::Eq, 0.0), &profiles, AT),
        [3]
    );
    assert_eq!(
        members(&aggregate(AggFunc::Avg, CmpOp::Eq, 6.25), &profiles, AT),
        [0]
    );
    assert_eq!(
        members(&aggregate(AggFunc::Min, CmpOp::Le, 2.5), &profiles, AT),
        [0, 3]
    );
    assert_eq!(
        members(&aggregate(AggFunc::Max, CmpOp::Ge, 10.0), &profiles, AT),
        [0]
    );
    // With no value the condition is false, so its negation holds.
    assert_eq!(
        members(&not(aggregate(AggFunc::Avg, CmpOp::Ge, 0.0)), &profiles, AT),
        [1, 2]
    );
}

#[test]
fn dotted_paths_prefer_the_exact_key_then_walk_nested_objects() {
    let profiles = vec![
        with_events(vec![event("buy", AT, json!({"a": {"b": 1}}))]),
        with_events(vec![event("buy", AT, json!({"a.b": 2, "a": {"b": 1}}))]),
        with_events(vec![event("buy", AT, json!({"a.b": null, "a": {"b": 3}}))]),
        with_events(vec![event(
            "buy",
            AT,
            json!({"a": {"b.c": 4}, "x": {"y": {"z": 5}}}),
        )]),
    ];
    let a_b = |n: f64| {
        Expr::Did(where_(
            "buy",
            test("a.b", cmp(CmpOp::Eq, Literal::Number(n))),
        ))
    };
    assert_eq!(members(&a_b(1.0), &profiles, AT), [0]);
    assert_eq!(members(&a_b(2.0), &profiles, AT), [1]);
    assert_eq!(members(&a_b(3.0), &profiles, AT), [2]);
    let path =
        |p: &str, n: f64| Expr::Did(where_("buy", test(p, cmp(CmpOp::Eq, Literal::Number(n)))));
    assert_eq!(members(&path("a.b.c", 4.0), &profiles, AT), [] as [u32; 0]);
    assert_eq!(members(&path("x.y.z", 5.0), &profiles, AT), [3]);
    let a_exists = Expr::Did(where_("buy", test("a", ValueTest::Exists)));
    assert_eq!(members(&a_exists, &profiles, AT), [0, 1, 2, 3]);
}

#[test]
fn null_and_absent_properties_are_missing() {
    let profiles = vec![
        with_events(vec![event("buy", AT, json!({"p": null}))]),
        with_events(vec![event("buy", AT, json!({}))]),
        with_events(vec![event("buy", AT, json!({"p": "x"}))]),
    ];
    let is_null = Expr::Did(where_("buy", test("p", ValueTest::IsNull)));
    assert_eq!(members(&is_null, &profiles, AT), [0, 1]);
    let not_x = Expr::Did(where_("buy", test("p", cmp(CmpOp::Ne, string("x")))));
    assert_eq!(members(&not_x, &profiles, AT), [] as [u32; 0]);
}

#[test]
fn lists_answer_contains_and_in_but_not_equality() {
    let tags = |items: &[&str]| {
        with_trait(
            "tags",
            TraitValue::StringList(items.iter().map(|s| s.to_string()).collect()),
        )
    };
    let profiles = vec![
        tags(&["vip", "new"]),
        tags(&[]),
        tags(&["old"]),
        ProfileData::default(),
    ];
    let contains = trait_is(
        "tags",
        ValueTest::Contains {
            value: string("vip"),
        },
    );
    assert_eq!(members(&contains, &profiles, AT), [0]);
    let any_of = trait_is(
        "tags",
        ValueTest::In {
            values: vec![string("x"), string("new"), string("old")],
        },
    );
    assert_eq!(members(&any_of, &profiles, AT), [0, 2]);
    assert_eq!(
        members(
            &trait_is("tags", cmp(CmpOp::Eq, string("vip"))),
            &profiles,
            AT
        ),
        [] as [u32; 0]
    );
    assert_eq!(
        members(
            &trait_is("tags", cmp(CmpOp::Ne, string("vip"))),
            &profiles,
            AT
        ),
        [] as [u32; 0]
    );
    assert_eq!(
        members(
            &trait_is("tags", ValueTest::StartsWith { value: string("v") }),
            &profiles,
            AT
        ),
        [] as [u32; 0]
    );
    assert_eq!(
        members(&trait_is("tags", ValueTest::Exists), &profiles, AT),
        [0, 1, 2]
    );
    // JSON arrays in properties behave the same way.
    let buys = vec![
        with_events(vec![event("buy", AT, json!({"tags": ["a", 2]}))]),
        with_events(vec![event("buy", AT, json!({"tags": "a"}))]),
    ];
    let has_a = Expr::Did(where_(
        "buy",
        test("tags", ValueTest::Contains { value: string("a") }),
    ));
    assert_eq!(members(&has_a, &buys, AT), [0, 1]);
    let in_2 = Expr::Did(where_(
        "buy",
        test(
            "tags",
            ValueTest::In {
                values: vec![Literal::Number(2.0)],
            },
        ),
    ));
    assert_eq!(members(&in_2, &buys, AT), [0]);
}

#[test]
fn strings_are_case_sensitive_and_kinds_never_coerce() {
    let profiles = vec![
        with_trait("city", TraitValue::String("Paris".into())),
        with_trait("city", TraitValue::String("paris".into())),
        with_trait("city", TraitValue::String("31".into())),
        with_trait("city", TraitValue::Number(31.0)),
    ];
    assert_eq!(
        members(
            &trait_is("city", cmp(CmpOp::Eq, string("Paris"))),
            &profiles,
            AT
        ),
        [0]
    );
    assert_eq!(
        members(
            &trait_is("city", ValueTest::StartsWith { value: string("P") }),
            &profiles,
            AT
        ),
        [0]
    );
    assert_eq!(
        members(
            &trait_is(
                "city",
                ValueTest::Contains {
                    value: string("ari")
                }
            ),
            &profiles,
            AT
        ),
        [0, 1]
    );
    assert_eq!(
        members(
            &trait_is("city", cmp(CmpOp::Eq, Literal::Number(31.0))),
            &profiles,
            AT
        ),
        [3]
    );
    assert_eq!(
        members(
            &trait_is("city", cmp(CmpOp::Eq, string("31"))),
            &profiles,
            AT
        ),
        [2]
    );
    assert_eq!(
        members(
            &trait_is("city", cmp(CmpOp::Ne, string("Paris"))),
            &profiles,
            AT
        ),
        [1, 2]
    );
}

#[test]
fn timestamps_compare_as_instants_and_date_strings_are_read() {
    let day = |d: i64| AT + d * DAY_MS;
    let profiles = vec![
        with_trait("signup", TraitValue::Timestamp(day(-1))),
        with_trait("signup", TraitValue::Timestamp(day(1))),
        with_events(vec![event(
            "buy",
            AT,
            json!({"when": tessera_model::format_millis(day(-1))}),
        )]),
        with_events(vec![event("buy", AT, json!({"when": "soon"}))]),
    ];
    let before = |ms| cmp(CmpOp::Lt, Literal::Timestamp { timestamp: ms });
    assert_eq!(members(&trait_is("signup", before(AT)), &profiles, AT), [0]);
    let between = ValueTest::Between {
        low: Literal::Timestamp { timestamp: day(-2) },
        high: Literal::Timestamp { timestamp: day(1) },
    };
    assert_eq!(members(&trait_is("signup", between), &profiles, AT), [0, 1]);
    assert_eq!(
        members(
            &Expr::Did(where_("buy", test("when", before(AT)))),
            &profiles,
            AT
        ),
        [2]
    );
}

#[test]
fn bools_and_geo_points() {
    let profiles = vec![
        with_trait("vip", TraitValue::Bool(true)),
        with_trait("vip", TraitValue::Bool(false)),
        with_trait("vip", TraitValue::Geo(GeoPoint { lat: 1.0, lon: 2.0 })),
    ];
    assert_eq!(
        members(
            &trait_is("vip", cmp(CmpOp::Eq, Literal::Bool(true))),
            &profiles,
            AT
        ),
        [0]
    );
    assert_eq!(
        members(
            &trait_is("vip", cmp(CmpOp::Ne, Literal::Bool(true))),
            &profiles,
            AT
        ),
        [1]
    );
    assert_eq!(
        members(&trait_is("vip", ValueTest::Exists), &profiles, AT),
        [0, 1, 2]
    );
}

fn recency(which: Recency, relation: AgoRelation, ago: u64) -> Expr {
    Expr::Recency(RecencyCond {
        which,
        query: query("buy"),
        relation,
        ago: days(ago),
    })
}

#[test]
fn recency_bounds_and_profiles_without_events() {
    let buy =
        |days_ago: i64, extra: Millis| event("buy", AT - days_ago * DAY_MS + extra, json!({}));
    let profiles = vec![
        with_events(vec![buy(30, 0)]),
        with_events(vec![buy(30, 1)]),
        ProfileData::default(),
        with_events(vec![buy(40, 0), buy(1, 0), event("buy", AT + 1, json!({}))]),
    ];
    use AgoRelation::{LessThan, MoreThan};
    use Recency::{First, Last};
    assert_eq!(members(&recency(Last, MoreThan, 30), &profiles, AT), [0]);
    assert_eq!(members(&recency(Last, LessThan, 30), &profiles, AT), [1, 3]);
    assert_eq!(
        members(&recency(First, MoreThan, 30), &profiles, AT),
        [0, 3]
    );
    // No event: neither more nor less than any time ago.
    assert_eq!(
        members(&not(recency(Last, LessThan, 30)), &profiles, AT),
        [0, 2]
    );
}

#[test]
fn trees_with_syntax_errors_are_refused() {
    let broken = Expr::And(vec![
        trait_is("age", ValueTest::Exists),
        Expr::Missing(Span::new(10, 12)),
    ]);
    let index = crate::Index::from_profiles(&[(1, ProfileData::default())]);
    assert_eq!(
        index.evaluate(&broken, AT),
        Err(Error::Invalid {
            reason: "the segment has a syntax error here".into(),
            span: Span::new(10, 12),
        })
    );
    let broken_filter = Expr::Did(EventQuery {
        filter: Some(PropFilter::Not(Box::new(PropFilter::Missing(Span::new(
            3, 4,
        ))))),
        ..query("buy")
    });
    assert!(matches!(
        index.evaluate(&broken_filter, AT),
        Err(Error::Invalid { .. })
    ));
    // The interpreter answers false, as documented.
    assert!(!interpreter::eval(
        &Expr::Missing(Span::default()),
        &ProfileData::default(),
        AT
    ));
}

#[test]
fn results_cross_bitmap_word_and_container_boundaries() {
    // More than 65,536 profiles: results span several Roaring containers, bit-set words and
    // batches of the bitmap builders.
    let profiles: Vec<ProfileData> = (0..70_000u32)
        .map(|i| {
            let mut profile = with_trait("age", TraitValue::Number(f64::from(i % 97)));
            profile
                .traits
                .insert("city".into(), TraitValue::String(format!("c{}", i % 13)));
            if i % 3 == 0 {
                let price = json!({ "price": i % 7 });
                profile
                    .events
                    .push(event("buy", AT - i64::from(i % 11) * DAY_MS, price));
            }
            profile
        })
        .collect();
    let old = trait_is("age", cmp(CmpOp::Ge, Literal::Number(60.0)));
    let city = trait_is(
        "city",
        ValueTest::In {
            values: vec![string("c1"), string("c12")],
        },
    );
    let recent = count(in_last("buy", days(7)), CmpOp::Lt, 1.0);
    let spend = aggregate(AggFunc::Sum, CmpOp::Gt, 3.0);
    for expr in [
        old.clone(),
        Expr::Or(vec![city.clone(), old.clone()]),
        Expr::And(vec![recent, not(city)]),
        Expr::And(vec![spend, old]),
    ] {
        let found = members(&expr, &profiles, AT);
        assert!(
            found.len() > 1_000 && found.last() > Some(&65_536),
            "{expr:?}"
        );
    }
}

/// Geography and sequences, at their edges.
mod geo_and_sequences;

/// Local time in the profile's zone.
mod local_time;
