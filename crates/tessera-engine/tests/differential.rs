//! The bitmap engine against the reference interpreter, on random data and random segments.
//!
//! Every case builds the index three ways (posting lists always, never, by size) and evaluates
//! under every access-path tuning, so each path of the engine meets the interpreter. Data is
//! small but dense with edge cases: timestamps sit exactly on window bounds and after `at`,
//! trait types are mixed under one name, properties are missing, null, nested, arrays or
//! dotted keys.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use tessera_engine::{
    interpreter, BuildOptions, EventData, Index, IndexBuilder, ProfileData, Strategy as Choice,
    Tuning,
};
use tessera_lang::{
    AggFunc, AggregateCond, AgoRelation, CmpOp, CountCond, DistanceUnit, Duration, DurationUnit,
    EventQuery, Expr, GeoDistance, GeoTarget, Literal, NumCmp, PropFilter, Recency, RecencyCond,
    SequenceCond, Span, TraitCond, ValueCond, ValueFunc, ValueTest, Window,
};
use tessera_model::{parse_timestamp, GeoPoint, Millis, TraitValue, DAY_MS, HOUR_MS};

/// Batches through `Index::evaluate_all`, on the strategies and harness below.
#[path = "differential/batches.rs"]
mod batches;

fn base() -> Millis {
    parse_timestamp("2026-10-01").expect("a date")
}

/// Offsets from `at` that sit on, just inside and just outside the windows used below.
fn offset() -> impl Strategy<Value = Millis> {
    prop_oneof![
        3 => prop::sample::select(vec![
            0,
            -1,
            1,
            -HOUR_MS,
            -DAY_MS,
            -DAY_MS + 1,
            -DAY_MS - 1,
            -7 * DAY_MS,
            -7 * DAY_MS + 1,
            -7 * DAY_MS - 1,
            DAY_MS,
            -30 * DAY_MS,
        ]),
        1 => -10 * DAY_MS..2 * DAY_MS,
    ]
}

fn time() -> impl Strategy<Value = Millis> {
    offset().prop_map(|o| base() + o)
}

const STRINGS: &[&str] = &[
    "",
    "a",
    "ab",
    "b",
    "X",
    "2026-09-30",
    "2026-10-01T00:00:00Z",
];
const NUMBERS: &[f64] = &[-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 31.0, 100.25];

fn string() -> impl Strategy<Value = String> {
    prop::sample::select(STRINGS).prop_map(str::to_string)
}

fn number() -> impl Strategy<Value = f64> {
    prop::sample::select(NUMBERS)
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        number().prop_map(Literal::Number),
        string().prop_map(Literal::String),
        any::<bool>().prop_map(Literal::Bool),
        time().prop_map(|timestamp| Literal::Timestamp { timestamp }),
        Just(Literal::Timestamp {
            timestamp: base() - DAY_MS
        }),
    ]
}

fn trait_value() -> impl Strategy<Value = TraitValue> {
    prop_oneof![
        number().prop_map(TraitValue::Number),
        string().prop_map(TraitValue::String),
        any::<bool>().prop_map(TraitValue::Bool),
        time().prop_map(TraitValue::Timestamp),
        // Points scattered around New York (up to ~60 km), some near the poles and the
        // antimeridian, so that `within` tests hold for some profiles and not for others.
        (40.0..41.4f64, -74.6..-73.2f64)
            .prop_map(|(lat, lon)| TraitValue::Geo(GeoPoint { lat, lon })),
        prop::sample::select(vec![
            (89.9, 179.9),
            (-89.9, -179.9),
            (0.0, 180.0),
            (0.0, -179.99)
        ])
        .prop_map(|(lat, lon)| TraitValue::Geo(GeoPoint { lat, lon })),
        prop::collection::vec(string(), 0..4).prop_map(TraitValue::StringList),
    ]
}

fn scalar_json() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        number().prop_map(|n| json!(n)),
        // Integers are stored differently from floats by serde_json; they must compare equal.
        (-1i64..4).prop_map(|n| json!(n)),
        string().prop_map(Value::String),
        any::<bool>().prop_map(Value::Bool),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    scalar_json().prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec!["b", "c", "d", "b.c"]).prop_map(str::to_string),
                inner,
                0..3,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const PATHS: &[&str] = &[
    "p", "price", "a", "a.b", "a.c", "a.c.d", "a.b.c", "tags", "n", "zz",
];

/// An object for key `a`, so that dotted paths (`a.b`, `a.c.d`) find nested values.
fn nested() -> impl Strategy<Value = Value> {
    (
        prop::option::of(scalar_json()),
        prop::option::of(scalar_json()),
        prop::option::of(json_value()),
    )
        .prop_map(|(b, d, e)| {
            let mut object = Map::new();
            if let Some(b) = b {
                object.insert("b".into(), b);
            }
            if let Some(d) = d {
                object.insert("c".into(), json!({ "d": d }));
            }
            if let Some(e) = e {
                object.insert("b.c".into(), e);
            }
            Value::Object(object)
        })
}

fn properties() -> impl Strategy<Value = Map<String, Value>> {
    let some = |s: BoxedStrategy<Value>| prop::option::weighted(0.6, s);
    (
        some(scalar_json().boxed()),
        some(prop_oneof![number().prop_map(|n| json!(n)), scalar_json()].boxed()),
        some(prop_oneof![3 => nested(), 1 => json_value()].boxed()),
        prop::option::weighted(0.3, scalar_json()),
        some(
            prop_oneof![
                prop::collection::vec(scalar_json(), 0..3).prop_map(Value::Array),
                scalar_json()
            ]
            .boxed(),
        ),
        prop::option::weighted(0.3, json_value()),
    )
        .prop_map(|(p, price, a, dotted, tags, n)| {
            let mut properties = Map::new();
            for (key, value) in [
                ("p", p),
                ("price", price),
                ("a", a),
                ("a.b", dotted),
                ("tags", tags),
                ("n", n),
            ] {
                if let Some(value) = value {
                    properties.insert(key.to_string(), value);
                }
            }
            properties
        })
}

/// Zone names: real ones (with offsets of whole, half and three-quarter hours, and daylight
/// saving), a lower-case spelling and a name that is no zone.
const ZONES: &[&str] = &[
    "Europe/Paris",
    "America/Chicago",
    "Asia/Kathmandu",
    "Australia/Adelaide",
    "UTC",
    "europe/paris",
    "Mars/Base",
];

fn zone_json() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => prop::sample::select(ZONES).prop_map(|z| Value::String(z.to_string())),
        1 => scalar_json(),
    ]
}

/// `context.location`: points around New York (where the `within` tests measure from), and
/// coordinates that make no point (a string, off the Earth, one missing).
fn location_json() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => (40.0..41.4f64, -74.6..-73.2f64)
            .prop_map(|(lat, lon)| json!({ "latitude": lat, "longitude": lon })),
        1 => Just(json!({ "latitude": "40.7", "longitude": -74.0 })),
        1 => Just(json!({ "latitude": 95.0, "longitude": -74.0 })),
        1 => Just(json!({ "latitude": 40.7 })),
    ]
}

fn event() -> impl Strategy<Value = EventData> {
    (
        prop::sample::select(vec!["view", "buy"]),
        time(),
        properties(),
        // Segment's context, as the store hands it over under the property `context`.
        prop::option::weighted(0.5, zone_json()),
        prop::option::weighted(0.4, location_json()),
    )
        .prop_map(|(name, ts, mut props, zone, location)| {
            let mut context = Map::new();
            if let Some(zone) = zone {
                context.insert("timezone".into(), zone);
            }
            if let Some(location) = location {
                context.insert("location".into(), location);
            }
            if !context.is_empty() {
                props.insert("context".into(), Value::Object(context));
            }
            EventData::new(name, ts, props)
        })
}

/// A value for a trait: usually of the trait's usual type, sometimes of any type (sources
/// disagree in real data, and one name then has several typed columns).
fn trait_entry(name: &'static str) -> impl Strategy<Value = Option<(String, TraitValue)>> {
    let usual = match name {
        "age" => number().prop_map(TraitValue::Number).boxed(),
        "city" => string().prop_map(TraitValue::String).boxed(),
        "vip" => any::<bool>().prop_map(TraitValue::Bool).boxed(),
        "signup" => time().prop_map(TraitValue::Timestamp).boxed(),
        "timezone" => prop::sample::select(ZONES)
            .prop_map(|z| TraitValue::String(z.to_string()))
            .boxed(),
        _ => prop::collection::vec(string(), 0..4)
            .prop_map(TraitValue::StringList)
            .boxed(),
    };
    prop::option::weighted(0.7, prop_oneof![3 => usual, 1 => trait_value()])
        .prop_map(move |value| value.map(|v| (name.to_string(), v)))
}

fn profile() -> impl Strategy<Value = ProfileData> {
    (
        (
            trait_entry("age"),
            trait_entry("city"),
            trait_entry("vip"),
            trait_entry("signup"),
            trait_entry("tags"),
            prop::option::weighted(0.3, trait_entry("timezone")).prop_map(Option::flatten),
        ),
        prop::collection::vec(event(), 0..8),
    )
        .prop_map(|((a, b, c, d, e, f), events)| ProfileData {
            traits: [a, b, c, d, e, f].into_iter().flatten().collect(),
            events,
        })
}

/// Profiles, each with whether to set a junk value before every trait (overwrite test).
fn dataset() -> impl Strategy<Value = Vec<(ProfileData, bool)>> {
    prop::collection::vec((profile(), any::<bool>()), 0..40)
}

/// Literals of the kind a trait or property usually holds, and sometimes of any kind.
fn literal_for(name: &str) -> BoxedStrategy<Literal> {
    let usual = match name {
        "age" | "price" => number().prop_map(Literal::Number).boxed(),
        "city" | "tags" | "p" => string().prop_map(Literal::String).boxed(),
        "vip" => any::<bool>().prop_map(Literal::Bool).boxed(),
        "signup" => time()
            .prop_map(|timestamp| Literal::Timestamp { timestamp })
            .boxed(),
        _ => literal().boxed(),
    };
    prop_oneof![3 => usual, 1 => literal()].boxed()
}

fn value_test(literal: BoxedStrategy<Literal>) -> impl Strategy<Value = ValueTest> {
    let op = prop::sample::select(vec![
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Gt,
        CmpOp::Ge,
    ]);
    prop_oneof![
        4 => (op, literal.clone()).prop_map(|(op, value)| ValueTest::Compare { op, value }),
        1 => (literal.clone(), literal.clone()).prop_map(|(low, high)| ValueTest::Between { low, high }),
        // Same-kind bounds, so that `between` often can hold.
        1 => (number(), number()).prop_map(|(a, b)| ValueTest::Between {
            low: Literal::Number(a.min(b)),
            high: Literal::Number(a.max(b)),
        }),
        2 => prop::collection::vec(literal.clone(), 0..3).prop_map(|values| ValueTest::In { values }),
        2 => literal.clone().prop_map(|value| ValueTest::Contains { value }),
        1 => literal.clone().prop_map(|value| ValueTest::StartsWith { value }),
        1 => Just(ValueTest::Exists),
        1 => Just(ValueTest::IsNull),
        2 => within(),
    ]
}

/// `within D of point(...)`: centres near the generated points, distances around their spread.
fn within() -> impl Strategy<Value = ValueTest> {
    let unit = prop::sample::select(vec![
        DistanceUnit::Metres,
        DistanceUnit::Kilometres,
        DistanceUnit::Miles,
    ]);
    let centre = prop_oneof![
        (40.0..41.4f64, -74.6..-73.2f64),
        Just((0.0, 179.995)),
        Just((89.95, -179.9)),
    ];
    (centre, 0.0..80.0f64, unit).prop_map(|((lat, lon), amount, unit)| {
        let amount = match unit {
            DistanceUnit::Metres => amount * 1_000.0,
            _ => amount,
        };
        ValueTest::Within {
            distance: GeoDistance { amount, unit },
            of: GeoTarget::Point { lat, lon },
        }
    })
}

fn cond(names: impl Strategy<Value = &'static str>) -> impl Strategy<Value = TraitCond> {
    names.prop_flat_map(|name| {
        value_test(literal_for(name)).prop_map(move |test| TraitCond {
            name: name.to_string(),
            test,
            span: Span::default(),
        })
    })
}

/// Property paths, weighted towards those that usually have values.
fn path() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        2 => prop::sample::select(vec!["p", "price", "tags", "a.b"]),
        1 => prop::sample::select(PATHS),
    ]
}

fn filter() -> BoxedStrategy<PropFilter> {
    cond(path())
        .prop_map(PropFilter::Test)
        .prop_recursive(2, 6, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..=3).prop_map(PropFilter::And),
                prop::collection::vec(inner.clone(), 2..=3).prop_map(PropFilter::Or),
                inner.prop_map(|f| PropFilter::Not(Box::new(f))),
            ]
        })
        .boxed()
}

fn duration() -> impl Strategy<Value = Duration> {
    let unit = prop::sample::select(vec![
        DurationUnit::Seconds,
        DurationUnit::Minutes,
        DurationUnit::Hours,
        DurationUnit::Days,
        DurationUnit::Weeks,
    ]);
    (prop::sample::select(vec![0u64, 1, 7, 30, u64::MAX]), unit)
        .prop_map(|(amount, unit)| Duration { amount, unit })
}

fn window() -> impl Strategy<Value = Option<Window>> {
    prop_oneof![
        1 => Just(None),
        2 => duration().prop_map(|d| Some(Window::Last(d))),
        1 => (time(), time()).prop_map(|(from, to)| Some(Window::Range { from, to })),
    ]
}

// Strategies used in several places are boxed: debug builds of deeply nested unions overflow
// the test thread's stack while generating.
fn query() -> BoxedStrategy<EventQuery> {
    (
        prop_oneof![4 => prop::sample::select(vec!["view", "buy"]), 1 => Just("nope")],
        prop::option::of(filter()),
        window(),
    )
        .prop_map(|(event, filter, window)| EventQuery {
            event: event.to_string(),
            filter,
            window,
            span: Span::default(),
        })
        .boxed()
}

fn num_cmp() -> impl Strategy<Value = NumCmp> {
    let op = prop::sample::select(vec![
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Gt,
        CmpOp::Ge,
    ]);
    let value = prop::sample::select(vec![-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 31.5, 101.25]);
    prop_oneof![
        3 => (op, value.clone()).prop_map(|(op, value)| NumCmp::Compare { op, value }),
        1 => (value.clone(), value).prop_map(|(low, high)| NumCmp::Between { low, high }),
    ]
}

fn leaf() -> impl Strategy<Value = Expr> {
    let func = prop::sample::select(vec![AggFunc::Sum, AggFunc::Avg, AggFunc::Min, AggFunc::Max]);
    let which = prop::sample::select(vec![Recency::First, Recency::Last]);
    let relation = prop::sample::select(vec![AgoRelation::MoreThan, AgoRelation::LessThan]);
    prop_oneof![
        3 => cond(prop::sample::select(vec!["age", "city", "vip", "signup", "tags", "unknown"])).prop_map(Expr::Trait),
        1 => query().prop_map(Expr::Did),
        2 => (query(), num_cmp()).prop_map(|(query, cmp)| Expr::Count(CountCond { query, cmp })),
        2 => (func, query(), prop_oneof![2 => Just("price"), 1 => path()], num_cmp()).prop_map(
            |(func, query, property, cmp)| Expr::Aggregate(AggregateCond {
                func,
                query,
                property: property.to_string(),
                cmp,
            })
        ),
        1 => (which, query(), relation, duration()).prop_map(|(which, query, relation, ago)| {
            Expr::Recency(RecencyCond { which, query, relation, ago })
        }),
        2 => sequence(),
        2 => value_cond(),
        2 => local_time(),
        2 => last_location(),
    ]
}

/// `last_location` tests: `within` a point, `exists`/`is null`, and the `or` of `within`
/// tests that `any place tagged` expands into.
fn last_location() -> BoxedStrategy<Expr> {
    let test = |test: ValueTest| {
        Expr::Trait(TraitCond {
            name: "last_location".to_string(),
            test,
            span: Span::default(),
        })
    };
    prop_oneof![
        3 => within().prop_map(test),
        1 => prop::sample::select(vec![ValueTest::Exists, ValueTest::IsNull]).prop_map(test),
        2 => prop::collection::vec(within(), 2..4)
            .prop_map(move |tests| Expr::Or(tests.into_iter().map(test).collect())),
    ]
    .boxed()
}

/// `local_hour` and `local_weekday` tests, of the kinds they answer and sometimes any.
fn local_time() -> BoxedStrategy<Expr> {
    let hour = (0u8..24).prop_map(|h| Literal::Number(f64::from(h)));
    let weekday = prop::sample::select(tessera_model::local_time::WEEKDAYS.to_vec())
        .prop_map(|d| Literal::String(d.to_string()));
    prop_oneof![
        (
            Just("local_hour"),
            value_test(prop_oneof![4 => hour, 1 => literal()].boxed())
        ),
        (
            Just("local_weekday"),
            value_test(prop_oneof![4 => weekday, 1 => literal()].boxed())
        ),
    ]
    .prop_map(|(name, test)| {
        Expr::Trait(TraitCond {
            name: name.to_string(),
            test,
            span: Span::default(),
        })
    })
    .boxed()
}

/// `first`/`last`/`most_frequent`/`unique_count`/`distinct` of a property, with tests of the
/// kind each result answers (any test at all, sometimes: the evaluators must agree on those
/// too, even though the checker refuses them).
fn value_cond() -> BoxedStrategy<Expr> {
    let func = prop::sample::select(ValueFunc::ALL.to_vec());
    let property = prop_oneof![2 => Just("p"), 1 => Just("price"), 2 => path()];
    (func, query(), property)
        .prop_flat_map(|(func, query, property)| {
            let literal = match func {
                ValueFunc::UniqueCount => prop_oneof![
                    3 => (0u8..4).prop_map(|n| Literal::Number(f64::from(n))),
                    1 => literal_for(property),
                ]
                .boxed(),
                _ => literal_for(property),
            };
            value_test(literal).prop_map(move |test| {
                Expr::Value(ValueCond {
                    func,
                    query: query.clone(),
                    property: property.to_string(),
                    test,
                })
            })
        })
        .boxed()
}

/// Sequences of the generated events, with and without `with same`, and gaps from nothing to
/// everything (the `u64::MAX` duration).
fn sequence() -> impl Strategy<Value = Expr> {
    let same = prop_oneof![
        3 => Just(vec![]),
        1 => Just(vec!["p".to_string()]),
        1 => Just(vec!["price".to_string()]),
        1 => path().prop_map(|p| vec![p.to_string()]),
    ];
    (query(), any::<bool>(), query(), duration(), same).prop_map(
        |(first, followed, second, within, same)| {
            Expr::Sequence(SequenceCond {
                first,
                followed,
                second,
                within,
                same,
            })
        },
    )
}

fn expr() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..=3).prop_map(Expr::And),
            prop::collection::vec(inner.clone(), 2..=3).prop_map(Expr::Or),
            inner.prop_map(|e| Expr::Not(Box::new(e))),
        ]
    })
}

fn key(i: usize) -> i64 {
    i as i64 * 3 - 7
}

/// Builds through the streaming API: traits possibly overwritten, events interleaved across
/// profiles (each profile's own events stay in order, which is what fixes aggregate order).
fn build(data: &[(ProfileData, bool)], options: BuildOptions, seed: u64) -> Index {
    let mut builder = IndexBuilder::with_options(options);
    let ords: Vec<u32> = (0..data.len())
        .map(|i| builder.add_profile(key(i)))
        .collect();
    for (i, (profile, overwrite)) in data.iter().enumerate() {
        for (name, value) in &profile.traits {
            if *overwrite {
                builder.set_trait(ords[i], name, TraitValue::String("junk".into()));
            }
            builder.set_trait(ords[i], name, value.clone());
        }
    }
    let mut next = vec![0usize; data.len()];
    let mut state = seed | 1;
    let mut left: usize = data.iter().map(|(p, _)| p.events.len()).sum();
    while left > 0 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut i = state as usize % data.len();
        while next[i] == data[i].0.events.len() {
            i = (i + 1) % data.len();
        }
        let event = &data[i].0.events[next[i]];
        builder.add_event(ords[i], &event.name, event.ts, &event.properties);
        next[i] += 1;
        left -= 1;
    }
    builder.finish()
}

const TUNINGS: [Tuning; 5] = [
    Tuning {
        probe: Choice::Auto,
        postings: Choice::Auto,
    },
    Tuning {
        probe: Choice::Always,
        postings: Choice::Always,
    },
    Tuning {
        probe: Choice::Never,
        postings: Choice::Never,
    },
    Tuning {
        probe: Choice::Never,
        postings: Choice::Always,
    },
    Tuning {
        probe: Choice::Always,
        postings: Choice::Never,
    },
];

/// The ordinals of the profiles for which the interpreter says `expr` holds.
fn interpreted_members(data: &[(ProfileData, bool)], expr: &Expr, at: Millis) -> Vec<u32> {
    data.iter()
        .enumerate()
        .filter(|(_, (profile, _))| interpreter::eval(expr, profile, at))
        .map(|(i, _)| i as u32)
        .collect()
}

/// The engine under every build option and tuning, the convenience constructor and the
/// rebuilt profiles, all against the interpreter.
fn check(
    data: &[(ProfileData, bool)],
    expr: &Expr,
    at: Millis,
    seed: u64,
) -> Result<(), TestCaseError> {
    let expected = interpreted_members(data, expr, at);
    for (profile, _) in data {
        prop_assert_eq!(
            interpreter::eval(expr, profile, at),
            interpreter::explain(expr, profile, at).held
        );
    }
    for postings in [Choice::Auto, Choice::Always, Choice::Never] {
        let mut index = build(data, BuildOptions { postings }, seed);
        for tuning in TUNINGS {
            index.set_tuning(tuning);
            let got: Vec<u32> = index.evaluate(expr, at).unwrap().iter().collect();
            prop_assert_eq!(&got, &expected, "build {:?}, tuning {:?}", postings, tuning);
        }
    }
    let profiles: Vec<(i64, ProfileData)> = data
        .iter()
        .enumerate()
        .map(|(i, (p, _))| (key(i), p.clone()))
        .collect();
    let index = Index::from_profiles(&profiles);
    let got: Vec<u32> = index.evaluate(expr, at).unwrap().iter().collect();
    prop_assert_eq!(&got, &expected);
    for (i, (profile, _)) in data.iter().enumerate() {
        let ord = index.ordinal(key(i)).unwrap();
        prop_assert_eq!(ord, i as u32);
        let rebuilt = index.profile_data(ord).unwrap();
        prop_assert_eq!(&rebuilt.traits, &profile.traits);
        prop_assert_eq!(rebuilt.events.len(), profile.events.len());
        prop_assert_eq!(
            interpreter::eval(expr, &rebuilt, at),
            expected.contains(&ord)
        );
    }
    Ok(())
}

fn at() -> impl Strategy<Value = Millis> {
    prop::sample::select(vec![0, -DAY_MS, 7 * DAY_MS, 13 * HOUR_MS + 1_800_000])
        .prop_map(|o| base() + o)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Whole segments: and/or/not over every kind of condition, depth up to 4.
    #[test]
    fn segments_agree(data in dataset(), expr in expr(), at in at(), seed in any::<u64>()) {
        check(&data, &expr, at, seed)?;
    }

    /// Single conditions, which hold for some profiles and not others far more often than
    /// whole trees do, so rare paths (nested properties, arrays, min/max) get exercised.
    #[test]
    fn conditions_agree(data in dataset(), expr in leaf(), at in at(), seed in any::<u64>()) {
        check(&data, &expr, at, seed)?;
    }
}

/// A fixed case through the same harness, so a failure of the harness itself shows plainly.
#[test]
fn harness_sees_a_simple_difference() {
    let profile = |age: f64| ProfileData {
        traits: BTreeMap::from([("age".to_string(), TraitValue::Number(age))]),
        events: vec![],
    };
    let data = vec![(profile(20.0), false), (profile(40.0), true)];
    let expr = Expr::Trait(TraitCond {
        name: "age".into(),
        test: ValueTest::Compare {
            op: CmpOp::Gt,
            value: Literal::Number(30.0),
        },
        span: Span::default(),
    });
    let index = build(&data, BuildOptions::default(), 7);
    assert_eq!(
        index
            .evaluate(&expr, base())
            .unwrap()
            .iter()
            .collect::<Vec<_>>(),
        [1]
    );
}
