//! Seeded random datasets, dense with the cases where SQL and Tessera could disagree.
//!
//! Events sit exactly on window bounds and after `at`; properties are missing, JSON `null`,
//! of the "wrong" kind (a number where a string is usual, `"12.5"` where a number is), arrays
//! of mixed elements, nested objects, dotted top-level keys (sometimes `null`, so that the walk
//! applies), and keys with `/`, `~` and quotes. Strings include the empty string, quotes,
//! backslashes, a newline, non-ASCII letters and capitals (byte order puts `"Shoes"` before
//! `"shoes"`). Each trait name has one type, as in the store (the checker relies on it).
//!
//! Numbers that aggregates add up are multiples of 0.25, so that every sum is exact whatever
//! the order of addition (a warehouse adds in any order; Tessera in time order): the compiled
//! SQL is exact, but a test on inexact sums would compare rounding, not semantics.

#![allow(dead_code)] // the SQL-text tests use only the names and `at`, not the datasets

use std::collections::BTreeMap;
use std::path::Path;

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};
use tessera_engine::{EventData, ProfileData};
use tessera_lang::Catalog;
use tessera_model::{parse_timestamp, GeoPoint, Millis, TraitType, TraitValue, DAY_MS, HOUR_MS};
use tessera_sql::warehouse::{Format, WarehouseWriter};

/// The instant every test evaluates at.
pub fn at() -> Millis {
    parse_timestamp("2026-10-01T00:00:00Z").expect("a date")
}

pub const TRAITS: &[(&str, TraitType)] = &[
    ("age", TraitType::Number),
    ("income", TraitType::Number),
    ("city_tier", TraitType::String),
    ("nickname", TraitType::String),
    ("vip", TraitType::Bool),
    ("signed_up_at", TraitType::Timestamp),
    ("interests", TraitType::StringList),
    ("home", TraitType::Geo),
];

pub const EVENTS: &[&str] = &[
    "Order Completed",
    "Product Viewed",
    "Email Opened",
    "Login",
    "Sign-up v2",
];

pub const AGES: &[f64] = &[15.0, 18.0, 25.0, 30.0, 30.5, 35.0, 42.0, 64.0, 65.0];
pub const INCOMES: &[f64] = &[
    0.0,
    0.1,
    50_000.0,
    75_000.0,
    75_000.5,
    1_000_000.0,
    123_456_789.123_456_78,
    -3.0,
];
pub const TIERS: &[&str] = &["urban", "suburban", "rural", "remote", "Urban", ""];
pub const TRICKY: &[&str] = &[
    "",
    "a",
    "B",
    "it's",
    "back\\slash",
    "quote\"d",
    "line\nbreak",
    "Zoë",
    "é",
    "a%b_c",
    "shoes",
];
pub const INTERESTS: &[&str] = &["running", "yoga", "chess", "", "it's"];
pub const CATEGORIES: &[&str] = &["shoes", "socks", "athletic", "Shoes", "", "it's", "Socks"];
/// Offsets from `at`: on, just inside and just outside the windows the segments use.
pub const OFFSETS: &[Millis] = &[
    0,
    -1,
    1,
    -HOUR_MS,
    -DAY_MS,
    -DAY_MS + 1,
    -7 * DAY_MS,
    -7 * DAY_MS + 1,
    -7 * DAY_MS - 1,
    -14 * DAY_MS,
    -30 * DAY_MS,
    -30 * DAY_MS + 1,
    DAY_MS,
    -45 * DAY_MS,
];

pub fn catalog() -> Catalog {
    let mut catalog = Catalog::default();
    for (name, ty) in TRAITS {
        catalog = catalog.with_trait(name, *ty);
    }
    for name in EVENTS {
        catalog = catalog.with_event(name, &[]);
    }
    catalog
}

/// A dataset: profiles 1..=n with their traits and events.
#[derive(Debug)]
pub struct Dataset {
    pub seed: u64,
    pub profiles: Vec<(u64, ProfileData)>,
}

fn time(rng: &mut ChaCha8Rng) -> Millis {
    if rng.random_bool(0.7) {
        at() + *OFFSETS.choose(rng).expect("offsets")
    } else {
        at() - rng.random_range(0..50 * DAY_MS)
    }
}

/// A multiple of 0.25 (exact in binary, so sums are exact in any order).
fn quarter(rng: &mut ChaCha8Rng, max: i64) -> f64 {
    rng.random_range(-8..=4 * max) as f64 / 4.0
}

fn pick<'a>(rng: &mut ChaCha8Rng, items: &[&'a str]) -> &'a str {
    items.choose(rng).expect("non-empty")
}

fn trait_value(rng: &mut ChaCha8Rng, name: &str, ty: TraitType) -> TraitValue {
    match ty {
        TraitType::Number if name == "age" => TraitValue::Number(*AGES.choose(rng).expect("ages")),
        TraitType::Number => TraitValue::Number(*INCOMES.choose(rng).expect("incomes")),
        TraitType::String if name == "city_tier" => TraitValue::String(pick(rng, TIERS).into()),
        TraitType::String => TraitValue::String(pick(rng, TRICKY).into()),
        TraitType::Bool => TraitValue::Bool(rng.random_bool(0.5)),
        TraitType::Timestamp => TraitValue::Timestamp(time(rng)),
        TraitType::StringList => TraitValue::StringList(
            (0..rng.random_range(0..4))
                .map(|_| pick(rng, INTERESTS).to_string())
                .collect(),
        ),
        TraitType::Geo => TraitValue::Geo(GeoPoint {
            lat: rng.random_range(-90.0..90.0),
            lon: rng.random_range(-180.0..180.0),
        }),
    }
}

fn category(rng: &mut ChaCha8Rng) -> Value {
    match rng.random_range(0..10) {
        0 => json!(5),
        1 => Value::Null,
        2 => json!(["shoes", "socks"]),
        3 => json!({"x": 1}),
        4 => json!(true),
        _ => json!(pick(rng, CATEGORIES)),
    }
}

fn tags(rng: &mut ChaCha8Rng) -> Value {
    let pool = [
        json!("shoes"),
        json!(2),
        json!(2.5),
        json!(true),
        Value::Null,
        json!(["x"]),
        json!({"k": "v"}),
        json!("x"),
        json!(""),
    ];
    match rng.random_range(0..6) {
        0 => json!("shoes"),
        1 => json!([]),
        _ => Value::Array(
            (0..rng.random_range(1..4))
                .map(|_| pool.choose(rng).expect("pool").clone())
                .collect(),
        ),
    }
}

fn properties(rng: &mut ChaCha8Rng) -> Map<String, Value> {
    fn maybe(
        rng: &mut ChaCha8Rng,
        p: &mut Map<String, Value>,
        key: &str,
        chance: f64,
        value: Value,
    ) {
        if rng.random_bool(chance) {
            p.insert(key.to_string(), value);
        }
    }
    let mut p = Map::new();
    let revenue = match rng.random_range(0..8) {
        0 => json!("12.5"),
        1 => Value::Null,
        _ => json!(quarter(rng, 120)),
    };
    maybe(rng, &mut p, "revenue", 0.8, revenue);
    let price = json!(rng.random_range(0..300));
    maybe(rng, &mut p, "price", 0.6, price);
    let cat = category(rng);
    maybe(rng, &mut p, "category", 0.8, cat);
    let product = [json!("X"), json!("Y"), json!(7), json!("7")]
        .choose(rng)
        .expect("products")
        .clone();
    maybe(rng, &mut p, "product_id", 0.6, product);
    let t = tags(rng);
    maybe(rng, &mut p, "tags", 0.5, t);
    let cost = match rng.random_range(0..5) {
        0 => json!("free"),
        1 => Value::Null,
        _ => json!(quarter(rng, 10)),
    };
    let shipping = match rng.random_range(0..6) {
        0 => json!([{"cost": 1}]),
        1 => json!("ground"),
        _ => json!({ "cost": cost }),
    };
    maybe(rng, &mut p, "shipping", 0.6, shipping);
    let dotted = if rng.random_bool(0.5) {
        Value::Null
    } else {
        json!(quarter(rng, 10))
    };
    maybe(rng, &mut p, "shipping.cost", 0.3, dotted);
    let coupon = [json!(true), json!(false), Value::Null]
        .choose(rng)
        .expect("coupons")
        .clone();
    maybe(rng, &mut p, "coupon", 0.5, coupon);
    let score = [
        json!(0.1),
        json!(0.2),
        json!(0.30000000000000004),
        json!(123_456_789.123_456_78),
        json!(1e21),
        json!(-0.0),
        json!(2.5e-7),
        json!(u64::MAX),
    ]
    .choose(rng)
    .expect("scores")
    .clone();
    maybe(rng, &mut p, "score", 0.5, score);
    let nested = json!({"b": {"c": rng.random_range(0..3)}});
    maybe(rng, &mut p, "a", 0.3, nested);
    let odd = json!(rng.random_range(0..3));
    maybe(rng, &mut p, "k/y~z", 0.3, odd);
    let quoted = json!(pick(rng, &["v", "it's", "w"]));
    maybe(rng, &mut p, "quo'te", 0.3, quoted);
    p
}

/// A dataset of 30 to 200 profiles.
pub fn dataset(seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = rng.random_range(30..=200);
    let profiles = (1..=n)
        .map(|id| {
            let mut traits = BTreeMap::new();
            for (name, ty) in TRAITS {
                if rng.random_bool(0.7) {
                    traits.insert(name.to_string(), trait_value(&mut rng, name, *ty));
                }
            }
            let events = (0..rng.random_range(0..14))
                .map(|_| {
                    let name = pick(&mut rng, EVENTS);
                    let ts = time(&mut rng);
                    EventData::new(name, ts, properties(&mut rng))
                })
                .collect();
            (id, ProfileData { traits, events })
        })
        .collect();
    Dataset { seed, profiles }
}

impl Dataset {
    /// Writes the dataset as the warehouse's files (with the exporter's writer).
    pub fn write(&self, dir: &Path, format: Format) {
        let mut out = WarehouseWriter::create(dir, format).expect("creating the files");
        for (id, profile) in &self.profiles {
            out.profile(*id).expect("writing");
            for (name, value) in &profile.traits {
                out.trait_value(*id, name, value).expect("writing");
            }
            out.identifier(*id, "user_id", &format!("U{id}"))
                .expect("writing");
            for event in &profile.events {
                let json = serde_json::to_string(&event.properties).expect("JSON");
                out.event(*id, &event.name, event.ts, &json)
                    .expect("writing");
            }
        }
        out.place("downtown", 41.8781, -87.6298, &["store".to_string()])
            .expect("writing");
        out.finish().expect("flushing");
    }

    /// The members by the reference interpreter, ascending.
    pub fn members(&self, segment: &tessera_lang::Expr) -> Vec<i64> {
        self.profiles
            .iter()
            .filter(|(_, p)| tessera_engine::interpreter::eval(segment, p, at()))
            .map(|(id, _)| *id as i64)
            .collect()
    }
}
