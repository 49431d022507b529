//! Seeded random segments over the names and values of `data.rs`, well typed for its catalog
//! (as checked segments are), with every condition and test the compiler supports (geo tests
//! only from the targets and distances `data.rs` keeps its points clear of; value conditions
//! with the tests the checker accepts for each function).

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tessera_lang::{
    AggFunc, AggregateCond, AgoRelation, CmpOp, CountCond, Duration, DurationUnit, EventQuery,
    Expr, GeoTarget, Literal, NumCmp, PropFilter, Recency, RecencyCond, SequenceCond, Span,
    TraitCond, ValueCond, ValueFunc, ValueTest, Window,
};
use tessera_model::{Millis, TraitType, DAY_MS};

use crate::data::{
    at, AGES, CATEGORIES, EVENTS, GEO_DISTANCES, GEO_TARGETS, INCOMES, INTERESTS, OFFSETS, TIERS,
    TRAITS, TRICKY,
};

const OPS: &[CmpOp] = &[
    CmpOp::Eq,
    CmpOp::Ne,
    CmpOp::Lt,
    CmpOp::Le,
    CmpOp::Gt,
    CmpOp::Ge,
];
const PROPERTIES: &[&str] = &[
    "category",
    "revenue",
    "price",
    "product_id",
    "tags",
    "shipping",
    "shipping.cost",
    "coupon",
    "score",
    "a.b.c",
    "a.b",
    "k/y~z",
    "quo'te",
    "plan",
    "context.campaign.source",
    "missing",
];
/// Properties whose numbers are exact in any order of addition (see `data.rs`).
const SUMMABLE: &[&str] = &[
    "revenue",
    "price",
    "shipping.cost",
    "category",
    "a.b.c",
    "missing",
];
const PROPERTY_STRINGS: &[&str] = &[
    "X", "7", "12.5", "ground", "o", "s", "x", "it's", "v", "free",
];
const PROPERTY_NUMBERS: &[f64] = &[0.0, 1.0, 2.0, 2.5, 5.0, 7.0, 12.5, 0.1, 40.25, 1e21, -0.25];
const COUNTS: &[f64] = &[0.0, 1.0, 1.5, 2.0, 3.0, 10.0, 40.25, 100.0, -1.0];

fn pick<T: Clone>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    items.choose(rng).expect("non-empty").clone()
}

fn op(rng: &mut ChaCha8Rng) -> CmpOp {
    pick(rng, OPS)
}

fn trait_cond(name: &str, test: ValueTest) -> TraitCond {
    TraitCond {
        name: name.to_string(),
        test,
        span: Span::default(),
    }
}

fn string(rng: &mut ChaCha8Rng, pool: &[&str]) -> Literal {
    Literal::String(pick(rng, pool).to_string())
}

fn timestamp(rng: &mut ChaCha8Rng) -> Literal {
    Literal::Timestamp {
        timestamp: at() + pick(rng, OFFSETS),
    }
}

/// A test that the checker accepts for a trait of type `ty`.
fn trait_test(rng: &mut ChaCha8Rng, name: &str, ty: TraitType) -> ValueTest {
    if rng.random_bool(0.15) {
        return if rng.random_bool(0.5) {
            ValueTest::Exists
        } else {
            ValueTest::IsNull
        };
    }
    let numbers = if name == "age" { AGES } else { INCOMES };
    let strings = if name == "city_tier" { TIERS } else { TRICKY };
    match ty {
        TraitType::Number => {
            let n = |rng: &mut ChaCha8Rng| Literal::Number(pick(rng, numbers));
            match rng.random_range(0..3) {
                0 => ValueTest::Between {
                    low: n(rng),
                    high: n(rng),
                },
                1 => ValueTest::In {
                    values: vec![n(rng), n(rng)],
                },
                _ => ValueTest::Compare {
                    op: op(rng),
                    value: n(rng),
                },
            }
        }
        TraitType::Timestamp => match rng.random_range(0..3) {
            0 => ValueTest::Between {
                low: timestamp(rng),
                high: timestamp(rng),
            },
            1 => ValueTest::In {
                values: vec![timestamp(rng), timestamp(rng)],
            },
            _ => ValueTest::Compare {
                op: op(rng),
                value: timestamp(rng),
            },
        },
        TraitType::String => match rng.random_range(0..4) {
            0 => ValueTest::In {
                values: vec![string(rng, strings), string(rng, strings)],
            },
            1 => ValueTest::Contains {
                value: string(rng, &["", "'", "\\", "a", "e", "\"", "\n"]),
            },
            2 => ValueTest::StartsWith {
                value: string(rng, &["", "a", "B", "it", "Z", "ur"]),
            },
            _ => ValueTest::Compare {
                op: pick(rng, &[CmpOp::Eq, CmpOp::Ne]),
                value: string(rng, strings),
            },
        },
        TraitType::Bool => ValueTest::Compare {
            op: pick(rng, &[CmpOp::Eq, CmpOp::Ne]),
            value: Literal::Bool(rng.random_bool(0.5)),
        },
        TraitType::StringList => {
            if rng.random_bool(0.5) {
                ValueTest::Contains {
                    value: string(rng, INTERESTS),
                }
            } else {
                ValueTest::In {
                    values: vec![string(rng, INTERESTS), string(rng, INTERESTS)],
                }
            }
        }
        TraitType::Geo => {
            let (lat, lon) = pick(rng, GEO_TARGETS);
            ValueTest::Within {
                distance: pick(rng, GEO_DISTANCES),
                of: GeoTarget::Point { lat, lon },
            }
        }
    }
}

/// A literal of any kind but timestamps (which the SQL refuses inside `where`).
fn property_literal(rng: &mut ChaCha8Rng) -> Literal {
    match rng.random_range(0..5) {
        0 => Literal::Bool(rng.random_bool(0.5)),
        1 | 2 => Literal::Number(pick(rng, PROPERTY_NUMBERS)),
        3 => string(rng, CATEGORIES),
        _ => string(rng, PROPERTY_STRINGS),
    }
}

fn property_test(rng: &mut ChaCha8Rng) -> ValueTest {
    scalar_test(rng, property_literal)
}

/// Any test but `within`, with literals from `literal`.
fn scalar_test(rng: &mut ChaCha8Rng, literal: impl Fn(&mut ChaCha8Rng) -> Literal) -> ValueTest {
    match rng.random_range(0..10) {
        0 => ValueTest::Exists,
        1 => ValueTest::IsNull,
        2 => ValueTest::Between {
            low: literal(rng),
            high: literal(rng),
        },
        3 => ValueTest::In {
            values: vec![literal(rng), literal(rng)],
        },
        4 => ValueTest::Contains {
            value: literal(rng),
        },
        5 => ValueTest::StartsWith {
            value: literal(rng),
        },
        _ => ValueTest::Compare {
            op: op(rng),
            value: literal(rng),
        },
    }
}

/// A property value conditions compute over, with literals like its values (of every kind
/// for `plan`, which mixes them; arrays of `tags` take no part; no event has `missing`).
fn value_property(rng: &mut ChaCha8Rng) -> (&'static str, Vec<Literal>) {
    use Literal::{Bool as B, Number as N};
    let s = |x: &str| Literal::String(x.to_string());
    match rng.random_range(0..28) {
        0..=5 => (
            "plan",
            vec![
                s("gold"),
                s("silver"),
                s("Gold"),
                s("1"),
                N(1.0),
                N(0.0),
                N(-0.0),
                B(true),
                B(false),
            ],
        ),
        6..=9 => (
            "category",
            vec![s("shoes"), s("socks"), s("Shoes"), s(""), s("it's"), N(5.0)],
        ),
        10..=13 => ("product_id", vec![s("X"), s("Y"), N(7.0), s("7")]),
        14 | 15 => ("coupon", vec![B(true), B(false)]),
        16 | 17 => ("price", vec![N(0.0), N(10.0), N(100.0), N(150.0), N(299.0)]),
        18 | 19 => ("score", vec![N(0.1), N(0.0), N(1e21), N(0.2)]),
        20..=22 => (
            "context.campaign.source",
            vec![s("google"), s("bing"), s(""), N(1.0), s("direct"), s("g")],
        ),
        23 | 24 => (
            "shipping.cost",
            vec![N(0.0), N(1.0), N(2.5), N(5.0), s("free")],
        ),
        25 => ("tags", vec![s("shoes"), s("x"), N(2.0)]),
        26 => ("a.b.c", vec![N(0.0), N(1.0), N(2.0)]),
        _ => ("missing", vec![s("x"), N(1.0)]),
    }
}

const UNIQUE_COUNTS: &[f64] = &[0.0, 1.0, 1.5, 2.0, 3.0, 4.0];

/// A value condition with a test the checker accepts for its function, mostly with literals
/// like the property's values.
fn value_cond(rng: &mut ChaCha8Rng) -> ValueCond {
    let func = pick(rng, &ValueFunc::ALL);
    let (property, literals) = value_property(rng);
    let literal = |rng: &mut ChaCha8Rng| {
        if rng.random_bool(0.9) {
            pick(rng, &literals)
        } else {
            property_literal(rng)
        }
    };
    let test = match func {
        ValueFunc::UniqueCount => {
            let n = |rng: &mut ChaCha8Rng| Literal::Number(pick(rng, UNIQUE_COUNTS));
            match rng.random_range(0..8) {
                0 => ValueTest::Exists,
                1 => ValueTest::IsNull,
                2 => ValueTest::Between {
                    low: n(rng),
                    high: n(rng),
                },
                3 => ValueTest::In {
                    values: vec![n(rng), n(rng)],
                },
                _ => ValueTest::Compare {
                    op: op(rng),
                    value: n(rng),
                },
            }
        }
        ValueFunc::Distinct => match rng.random_range(0..6) {
            0 => ValueTest::Exists,
            1 => ValueTest::IsNull,
            2 | 3 => ValueTest::Contains {
                value: literal(rng),
            },
            _ => ValueTest::In {
                values: vec![literal(rng), literal(rng)],
            },
        },
        ValueFunc::First | ValueFunc::Last | ValueFunc::MostFrequent => scalar_test(rng, literal),
    };
    let mut query = query(rng);
    // Fewer filters and windows, so that more profiles have values.
    if rng.random_bool(0.6) {
        query.filter = None;
    }
    if rng.random_bool(0.4) {
        query.window = None;
    }
    ValueCond {
        func,
        query,
        property: property.to_string(),
        test,
    }
}

fn filter(rng: &mut ChaCha8Rng, depth: u32) -> PropFilter {
    if depth == 0 || rng.random_bool(0.6) {
        return PropFilter::Test(trait_cond(pick(rng, PROPERTIES), property_test(rng)));
    }
    match rng.random_range(0..3) {
        0 => PropFilter::Not(Box::new(filter(rng, depth - 1))),
        1 => PropFilter::And(vec![filter(rng, depth - 1), filter(rng, depth - 1)]),
        _ => PropFilter::Or(vec![filter(rng, depth - 1), filter(rng, depth - 1)]),
    }
}

fn duration(rng: &mut ChaCha8Rng) -> Duration {
    pick(
        rng,
        &[
            Duration {
                amount: 1,
                unit: DurationUnit::Seconds,
            },
            Duration {
                amount: 1,
                unit: DurationUnit::Hours,
            },
            Duration {
                amount: 24,
                unit: DurationUnit::Hours,
            },
            Duration {
                amount: 7,
                unit: DurationUnit::Days,
            },
            Duration {
                amount: 2,
                unit: DurationUnit::Weeks,
            },
            Duration {
                amount: 30,
                unit: DurationUnit::Days,
            },
        ],
    )
}

/// How long a sequence's second step may come after the first: the journeys' gaps in
/// `data.rs` fall on, just inside and just outside these; two saturate or nearly.
fn within(rng: &mut ChaCha8Rng) -> Duration {
    let d = |amount, unit| Duration { amount, unit };
    pick(
        rng,
        &[
            d(0, DurationUnit::Seconds),
            d(1, DurationUnit::Seconds),
            d(1, DurationUnit::Hours),
            d(60, DurationUnit::Minutes),
            d(24, DurationUnit::Hours),
            d(1, DurationUnit::Days),
            d(3, DurationUnit::Days),
            d(1, DurationUnit::Weeks),
            d(60_000_000_000, DurationUnit::Days),
            d(u64::MAX, DurationUnit::Days),
        ],
    )
}

/// Properties for `with same`: strings, numbers (also as `7.0`), booleans, a nested path,
/// values that are sometimes arrays or objects (never the same), one no event has.
const SAME: &[&str] = &[
    "product_id",
    "category",
    "coupon",
    "shipping.cost",
    "shipping",
    "tags",
    "a.b.c",
    "missing",
];

fn sequence(rng: &mut ChaCha8Rng) -> SequenceCond {
    // Half the steps without a filter or window, so that sequences are common enough to hold.
    let step = |rng: &mut ChaCha8Rng| {
        let mut q = query(rng);
        if rng.random_bool(0.5) {
            q.filter = None;
            q.window = None;
        }
        q
    };
    SequenceCond {
        first: step(rng),
        followed: rng.random_bool(0.5),
        second: step(rng),
        within: within(rng),
        same: (0..pick(rng, &[0, 0, 1, 1, 2]))
            .map(|_| pick(rng, SAME).to_string())
            .collect(),
    }
}

fn query(rng: &mut ChaCha8Rng) -> EventQuery {
    let window = match rng.random_range(0..3) {
        0 => None,
        1 => Some(Window::Last(duration(rng))),
        _ => {
            let a: Millis = at() + pick(rng, OFFSETS);
            let b: Millis = at() + pick(rng, OFFSETS);
            Some(Window::Range {
                from: a.min(b) - DAY_MS * rng.random_range(0..3),
                to: a.max(b),
            })
        }
    };
    EventQuery {
        event: pick(rng, EVENTS).to_string(),
        filter: rng.random_bool(0.5).then(|| filter(rng, 2)),
        window,
        span: Span::default(),
    }
}

fn num_cmp(rng: &mut ChaCha8Rng) -> NumCmp {
    if rng.random_bool(0.2) {
        NumCmp::Between {
            low: pick(rng, COUNTS),
            high: pick(rng, COUNTS),
        }
    } else {
        NumCmp::Compare {
            op: op(rng),
            value: pick(rng, COUNTS),
        }
    }
}

fn leaf(rng: &mut ChaCha8Rng) -> Expr {
    match rng.random_range(0..8) {
        0 | 1 => {
            // Geo traits are one of eight; `within` is new enough to deserve more turns.
            let (name, ty) = if rng.random_bool(0.2) {
                ("home", TraitType::Geo)
            } else {
                pick(rng, TRAITS)
            };
            Expr::Trait(trait_cond(name, trait_test(rng, name, ty)))
        }
        2 => Expr::Did(query(rng)),
        3 => Expr::Count(CountCond {
            query: query(rng),
            cmp: num_cmp(rng),
        }),
        4 => Expr::Aggregate(AggregateCond {
            func: pick(
                rng,
                &[AggFunc::Sum, AggFunc::Avg, AggFunc::Min, AggFunc::Max],
            ),
            query: query(rng),
            property: pick(rng, SUMMABLE).to_string(),
            cmp: num_cmp(rng),
        }),
        5 => Expr::Sequence(sequence(rng)),
        6 => Expr::Value(value_cond(rng)),
        _ => Expr::Recency(RecencyCond {
            which: pick(rng, &[Recency::First, Recency::Last]),
            query: query(rng),
            relation: pick(rng, &[AgoRelation::MoreThan, AgoRelation::LessThan]),
            ago: duration(rng),
        }),
    }
}

fn segment(rng: &mut ChaCha8Rng, depth: u32) -> Expr {
    if depth == 0 || rng.random_bool(0.4) {
        return leaf(rng);
    }
    match rng.random_range(0..3) {
        0 => Expr::Not(Box::new(segment(rng, depth - 1))),
        1 => Expr::And(vec![segment(rng, depth - 1), segment(rng, depth - 1)]),
        _ => Expr::Or(vec![segment(rng, depth - 1), segment(rng, depth - 1)]),
    }
}

/// `n` random segments from `seed`.
pub fn segments(seed: u64, n: usize) -> Vec<Expr> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5e9_3e47);
    (0..n).map(|_| segment(&mut rng, 3)).collect()
}
