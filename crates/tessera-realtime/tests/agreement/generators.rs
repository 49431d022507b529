//! Random segments and operation sequences, adapted from the engine's `tests/differential.rs`.
//!
//! Segments cover every condition (trait tests, did, count, aggregates, recency) under every
//! window (none, `in last`, `from..to`), combined by and/or/not. Operations arrive relative to
//! a moving clock: event times sit on window bounds, slightly before or after the clock, days
//! late or in the future; the clock moves by amounts that land on and next to window bounds.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use tessera_lang::{
    AggFunc, AggregateCond, AgoRelation, CmpOp, CountCond, DistanceUnit, Duration, DurationUnit,
    EventQuery, Expr, GeoDistance, GeoTarget, Literal, NumCmp, PropFilter, Recency, RecencyCond,
    SequenceCond, Span, TraitCond, ValueCond, ValueFunc, ValueTest, Window,
};
use tessera_model::{parse_timestamp, GeoPoint, Millis, TraitValue, DAY_MS, HOUR_MS};

/// Where the clock starts; literals and `from..to` ranges are placed around it.
pub fn base() -> Millis {
    parse_timestamp("2026-10-01").expect("a date")
}

/// An offset around some instant that sits on, just inside and just outside the windows used.
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
            2 * DAY_MS,
            -30 * DAY_MS,
        ]),
        2 => -3 * DAY_MS..3 * DAY_MS,
    ]
}

/// An instant around the start; the clock moves on to about two months later at most.
fn time() -> impl Strategy<Value = Millis> {
    prop_oneof![
        3 => offset().prop_map(|o| base() + o),
        1 => (-10 * DAY_MS..60 * DAY_MS).prop_map(|o| base() + o),
    ]
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
    ]
}

fn trait_value() -> impl Strategy<Value = TraitValue> {
    prop_oneof![
        number().prop_map(TraitValue::Number),
        string().prop_map(TraitValue::String),
        any::<bool>().prop_map(TraitValue::Bool),
        time().prop_map(TraitValue::Timestamp),
        Just(TraitValue::Geo(GeoPoint {
            lat: 40.7,
            lon: -73.9
        })),
        prop::collection::vec(string(), 0..4).prop_map(TraitValue::StringList),
    ]
}

fn scalar_json() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        number().prop_map(|n| json!(n)),
        (-1i64..4).prop_map(|n| json!(n)),
        string().prop_map(Value::String),
        any::<bool>().prop_map(Value::Bool),
    ]
}

/// A small property pool: a scalar `p`, a mostly numeric `price`, a nested `a`, a `tags` list.
pub fn properties() -> impl Strategy<Value = Map<String, Value>> {
    let some = |s: BoxedStrategy<Value>| prop::option::weighted(0.6, s);
    (
        some(scalar_json().boxed()),
        some(prop_oneof![3 => number().prop_map(|n| json!(n)), 1 => scalar_json()].boxed()),
        some(
            (scalar_json(), scalar_json())
                .prop_map(|(b, d)| json!({ "b": b, "c": { "d": d } }))
                .boxed(),
        ),
        some(
            prop::collection::vec(scalar_json(), 0..3)
                .prop_map(Value::Array)
                .boxed(),
        ),
        // Segment's context with the sender's time zone and location, as the store hands it
        // over (a latitude off the Earth makes no point).
        (
            prop::option::weighted(0.4, zone()),
            prop::option::weighted(
                0.3,
                prop_oneof![(40.6..40.8f64, -74.1..-73.9f64), Just((95.0, -74.0))],
            ),
        )
            .prop_map(|(zone, point)| {
                let mut context = Map::new();
                if let Some(zone) = zone {
                    context.insert("timezone".into(), json!(zone));
                }
                if let Some((lat, lon)) = point {
                    context.insert(
                        "location".into(),
                        json!({ "latitude": lat, "longitude": lon }),
                    );
                }
                (!context.is_empty()).then_some(Value::Object(context))
            }),
    )
        .prop_map(|(p, price, a, tags, context)| {
            let mut properties = Map::new();
            for (key, value) in [
                ("p", p),
                ("price", price),
                ("a", a),
                ("tags", tags),
                ("context", context),
            ] {
                if let Some(value) = value {
                    properties.insert(key.to_string(), value);
                }
            }
            properties
        })
}

/// Zones with whole, half and three-quarter hour offsets and daylight saving, and a name
/// that is no zone.
fn zone() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "Europe/Paris",
        "America/St_Johns",
        "Asia/Kathmandu",
        "Australia/Lord_Howe",
        "Mars/Base",
    ])
    .prop_map(str::to_string)
}

pub const TRAITS: &[&str] = &["age", "city", "vip", "signup", "tags", "timezone"];

/// A value for a trait: usually of the trait's usual type, sometimes of any type.
fn trait_entry(name: &'static str) -> impl Strategy<Value = (String, TraitValue)> {
    let usual = match name {
        "age" => number().prop_map(TraitValue::Number).boxed(),
        "city" => string().prop_map(TraitValue::String).boxed(),
        "vip" => any::<bool>().prop_map(TraitValue::Bool).boxed(),
        "signup" => time().prop_map(TraitValue::Timestamp).boxed(),
        "timezone" => zone().prop_map(TraitValue::String).boxed(),
        _ => prop::collection::vec(string(), 0..4)
            .prop_map(TraitValue::StringList)
            .boxed(),
    };
    prop_oneof![3 => usual, 1 => trait_value()].prop_map(move |v| (name.to_string(), v))
}

/// One to three traits set at once.
pub fn traits() -> impl Strategy<Value = BTreeMap<String, TraitValue>> {
    prop::collection::vec(prop::sample::select(TRAITS), 1..=3).prop_flat_map(|names| {
        names
            .into_iter()
            .map(trait_entry)
            .collect::<Vec<_>>()
            .prop_map(|entries| entries.into_iter().collect())
    })
}

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
        1 => (number(), number()).prop_map(|(a, b)| ValueTest::Between {
            low: Literal::Number(a.min(b)),
            high: Literal::Number(a.max(b)),
        }),
        2 => prop::collection::vec(literal.clone(), 0..3).prop_map(|values| ValueTest::In { values }),
        2 => literal.clone().prop_map(|value| ValueTest::Contains { value }),
        1 => literal.prop_map(|value| ValueTest::StartsWith { value }),
        1 => Just(ValueTest::Exists),
        1 => Just(ValueTest::IsNull),
    ]
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

fn filter() -> impl Strategy<Value = PropFilter> {
    let path = prop::sample::select(vec!["p", "price", "tags", "a.b", "a.c.d", "zz"]);
    cond(path)
        .prop_map(PropFilter::Test)
        .prop_recursive(1, 4, 2, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..=2).prop_map(PropFilter::And),
                prop::collection::vec(inner.clone(), 2..=2).prop_map(PropFilter::Or),
                inner.prop_map(|f| PropFilter::Not(Box::new(f))),
            ]
        })
}

/// Lengths on the scale of the clock's moves, plus the degenerate 0 and the saturating
/// `u64::MAX` (all of history).
fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        4 => (prop::sample::select(vec![1u64, 2, 7, 30]), Just(DurationUnit::Days)),
        2 => (prop::sample::select(vec![1u64, 12, 36]), Just(DurationUnit::Hours)),
        1 => (prop::sample::select(vec![1u64, 2]), Just(DurationUnit::Weeks)),
        1 => (prop::sample::select(vec![0u64, 1, 90]), prop::sample::select(vec![
            DurationUnit::Seconds,
            DurationUnit::Minutes,
        ])),
        1 => (Just(u64::MAX), Just(DurationUnit::Days)),
    ]
    .prop_map(|(amount, unit)| Duration { amount, unit })
}

fn window() -> impl Strategy<Value = Option<Window>> {
    prop_oneof![
        1 => Just(None),
        3 => duration().prop_map(|d| Some(Window::Last(d))),
        1 => (time(), time()).prop_map(|(a, b)| Some(Window::Range { from: a.min(b), to: a.max(b) })),
    ]
}

/// Segments read `view` and `buy` (and sometimes `nope`, which never happens); events also
/// include `ping`, which no segment reads.
pub const EVENT_NAMES: &[&str] = &["view", "buy", "view", "ping"];

fn query() -> impl Strategy<Value = EventQuery> {
    (
        prop_oneof![6 => prop::sample::select(vec!["view", "buy"]), 1 => Just("nope")],
        prop::option::weighted(0.3, filter()),
        window(),
    )
        .prop_map(|(event, filter, window)| EventQuery {
            event: event.to_string(),
            filter,
            window,
            span: Span::default(),
        })
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
    let value = prop::sample::select(vec![0.0, 0.5, 1.0, 2.0, 3.0, 31.5, 101.25]);
    prop_oneof![
        3 => (op, value.clone()).prop_map(|(op, value)| NumCmp::Compare { op, value }),
        1 => (value.clone(), value).prop_map(|(a, b)| NumCmp::Between { low: a.min(b), high: a.max(b) }),
    ]
}

fn leaf() -> impl Strategy<Value = Expr> {
    let func = prop::sample::select(vec![AggFunc::Sum, AggFunc::Avg, AggFunc::Min, AggFunc::Max]);
    let which = prop::sample::select(vec![Recency::First, Recency::Last]);
    let relation = prop::sample::select(vec![AgoRelation::MoreThan, AgoRelation::LessThan]);
    let property = prop::sample::select(vec!["price", "price", "p", "a.c.d"]);
    prop_oneof![
        2 => cond(prop::sample::select(vec!["age", "city", "vip", "signup", "tags", "unknown"])).prop_map(Expr::Trait),
        2 => query().prop_map(Expr::Did),
        2 => (query(), num_cmp()).prop_map(|(query, cmp)| Expr::Count(CountCond { query, cmp })),
        1 => (func, query(), property, num_cmp()).prop_map(
            |(func, query, property, cmp)| Expr::Aggregate(AggregateCond {
                func,
                query,
                property: property.to_string(),
                cmp,
            })
        ),
        2 => (which, query(), relation, duration()).prop_map(|(which, query, relation, ago)| {
            Expr::Recency(RecencyCond { which, query, relation, ago })
        }),
        2 => (query(), any::<bool>(), query(), duration(), prop::option::weighted(0.3, Just("p")))
            .prop_map(|(first, followed, second, within, same)| {
                Expr::Sequence(SequenceCond {
                    first,
                    followed,
                    second,
                    within,
                    same: same.map(|p| vec![p.to_string()]).unwrap_or_default(),
                })
            }),
        2 => value_cond(),
        2 => local_time(),
        1 => (0.0..20.0f64).prop_map(|km| Expr::Trait(TraitCond {
            name: "last_location".to_string(),
            test: ValueTest::Within {
                distance: GeoDistance { amount: km, unit: DistanceUnit::Kilometres },
                of: GeoTarget::Point { lat: 40.7, lon: -74.0 },
            },
            span: Span::default(),
        })),
    ]
}

/// `local_hour` and `local_weekday`, which change with the clock alone.
fn local_time() -> BoxedStrategy<Expr> {
    let hour = (0u8..24)
        .prop_map(|h| Literal::Number(f64::from(h)))
        .boxed();
    let weekday = prop::sample::select(tessera_model::local_time::WEEKDAYS.to_vec())
        .prop_map(|d| Literal::String(d.to_string()))
        .boxed();
    let hours = (0u8..24, 0u8..24).prop_map(|(a, b)| ValueTest::Between {
        low: Literal::Number(f64::from(a.min(b))),
        high: Literal::Number(f64::from(a.max(b))),
    });
    prop_oneof![
        2 => (Just("local_hour"), prop_oneof![2 => hours, 2 => value_test(hour)]),
        1 => (Just("local_weekday"), value_test(weekday).boxed()),
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

/// Value conditions: windows slide values in and out, so `last(..)` and `most_frequent(..)`
/// change with time alone.
fn value_cond() -> BoxedStrategy<Expr> {
    let func = prop::sample::select(ValueFunc::ALL.to_vec());
    let property = prop::sample::select(vec!["p", "p", "price", "a.c.d"]);
    (func, query(), property)
        .prop_flat_map(|(func, query, property)| {
            let literal = match func {
                ValueFunc::UniqueCount => {
                    (0u8..4).prop_map(|n| Literal::Number(f64::from(n))).boxed()
                }
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

/// A segment tree of depth at most 3 (two levels of and/or/not above the conditions).
pub fn segment() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(2, 9, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..=3).prop_map(Expr::And),
            prop::collection::vec(inner.clone(), 2..=3).prop_map(Expr::Or),
            inner.prop_map(|e| Expr::Not(Box::new(e))),
        ]
    })
}

/// One thing that happens to the real-time state.
#[derive(Debug, Clone)]
pub enum Op {
    /// An event at `clock + offset`; with `stale_clock`, reported with a clock reading an hour
    /// behind (which must be read as the current clock).
    Event {
        profile: u64,
        name: &'static str,
        offset: Millis,
        properties: Map<String, Value>,
        stale_clock: bool,
    },
    Traits {
        profile: u64,
        traits: BTreeMap<String, TraitValue>,
    },
    Merge {
        from: u64,
        into: u64,
    },
    Remove {
        profile: u64,
    },
    /// The profile's full data is loaded again, as after a restart (an unknown profile is
    /// loaded empty).
    Reload {
        profile: u64,
    },
    Advance {
        by: Millis,
    },
    /// To the next scheduled instant, nudged by -1, 0 or +1 ms (never backwards).
    ToWakeup {
        nudge: Millis,
    },
    /// A clock reading from the past: must change nothing.
    Rewind {
        by: Millis,
    },
}

pub const PROFILES: u64 = 8;

fn advance_by() -> impl Strategy<Value = Millis> {
    prop_oneof![
        2 => prop::sample::select(vec![
            0,
            1,
            15 * 60_000,
            30 * 60_000,
            HOUR_MS,
            12 * HOUR_MS,
            DAY_MS - 1,
            DAY_MS,
            DAY_MS + 1,
            7 * DAY_MS,
            7 * DAY_MS + 1,
        ]),
        1 => 0..10 * DAY_MS,
    ]
}

/// An operation and how far the clock moved before it: events, traits, merges and erasures
/// often arrive with the clock already past scheduled instants, which they must apply first.
pub fn step() -> impl Strategy<Value = (Millis, Op)> {
    (prop_oneof![2 => Just(0), 1 => advance_by()], op())
}

fn op() -> impl Strategy<Value = Op> {
    let profile = || 1..=PROFILES;
    prop_oneof![
        8 => (profile(), prop::sample::select(EVENT_NAMES), offset(), properties(), prop::bool::weighted(0.1))
            .prop_map(|(profile, name, offset, properties, stale_clock)| Op::Event {
                profile,
                name,
                offset,
                properties,
                stale_clock,
            }),
        2 => (profile(), traits()).prop_map(|(profile, traits)| Op::Traits { profile, traits }),
        1 => (profile(), profile()).prop_map(|(from, into)| Op::Merge { from, into }),
        1 => profile().prop_map(|profile| Op::Remove { profile }),
        1 => profile().prop_map(|profile| Op::Reload { profile }),
        4 => advance_by().prop_map(|by| Op::Advance { by }),
        2 => (-1i64..=1).prop_map(|nudge| Op::ToWakeup { nudge }),
        1 => (1..3 * DAY_MS).prop_map(|by| Op::Rewind { by }),
    ]
}
