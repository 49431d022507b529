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
//!
//! Geo traits sit on rings around the targets the segments measure from (exactly on a target,
//! a hundred-thousandth and a hundredth inside and outside each distance, across the
//! antimeridian, around the pole), so that a wrong radius or unit factor moves points.
//! The warehouse's `sin`/`cos`/`asin` may differ from Rust's in the last bit, so no point is
//! within a millionth (relative) of any distance from any target the segments use
//! ([`GEO_TARGETS`] × [`GEO_DISTANCES`]); a point exactly on a target is kept, because its
//! distance is exactly 0 in every engine (the differences of equal doubles are 0).
//!
//! Sequences need events close together: some profiles get journeys, a first event at an
//! instant on or next to a window edge (so that `A.ts + D` falls exactly on `at`, just before
//! or just after it) and a second one after [`FOLLOW_GAPS`] (0, the same millisecond, which
//! is not "after"; exactly `D`; `D ± 1 ms`), often with the first event's `product_id` (or
//! the same number written `7.0`), `category` or `shipping`.
//!
//! Value conditions (`first`, `last`, `most_frequent`, …) need ties: events are stored out of
//! time order, many share an instant (the offsets are few), and some profiles get bursts of
//! events of one name at one instant with values from a few, so that only the store order
//! (`seq`) decides `first` and `last`, and equally frequent values are common. `plan` mixes
//! the kinds a value can have (`"1"`, `1` and `1.0`, `0` and `-0.0`, booleans) with values
//! that take no part (arrays, objects, `null`); `context.campaign.source` is nested (and
//! sometimes a dotted top-level key).

#![allow(dead_code)] // the SQL-text tests use only the names and `at`, not the datasets

use std::collections::BTreeMap;
use std::path::Path;

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};
use tessera_engine::{EventData, ProfileData};
use tessera_lang::{Catalog, DistanceUnit, GeoDistance};
use tessera_model::{
    parse_timestamp, GeoPoint, Millis, TraitType, TraitValue, DAY_MS, EARTH_RADIUS_M, HOUR_MS,
};
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
    ("timezone", TraitType::String),
];

/// Zone names of traits and of events' `context.timezone`: whole, half and three-quarter hour
/// offsets, a zone in daylight saving at `at` (Chicago), a lower-case spelling and a name that
/// is no zone.
const ZONES: &[&str] = &[
    "Europe/Paris",
    "America/Chicago",
    "Asia/Kathmandu",
    "Australia/Adelaide",
    "europe/paris",
    "Mars/Base",
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

/// The points geo segments measure from (latitude, longitude): two cities, one south of the
/// equator and east of Greenwich, one on the equator next to the antimeridian, the pole.
pub const GEO_TARGETS: &[(f64, f64)] = &[
    (41.8781, -87.6298),
    (40.7128, -74.006),
    (-33.8688, 151.2093),
    (0.0, 179.99),
    (90.0, 0.0),
];

const fn distance(amount: f64, unit: DistanceUnit) -> GeoDistance {
    GeoDistance { amount, unit }
}

/// The distances geo segments use.
pub const GEO_DISTANCES: &[GeoDistance] = &[
    distance(0.0, DistanceUnit::Metres),
    distance(800.0, DistanceUnit::Metres),
    distance(1.0, DistanceUnit::Kilometres),
    distance(3.0, DistanceUnit::Kilometres),
    distance(5.0, DistanceUnit::Miles),
    distance(10.0, DistanceUnit::Kilometres),
    distance(100.0, DistanceUnit::Kilometres),
    distance(1000.0, DistanceUnit::Kilometres),
];

/// How far (metres) generated points are from a target, besides on it and a hundred-thousandth
/// either side of each distance in [`GEO_DISTANCES`]: either side of each by 1 % or more.
const GEO_RINGS: &[f64] = &[
    0.0, 50.0, 500.0, 790.0, 810.0, 990.0, 1_010.0, 2_900.0, 3_100.0, 7_900.0, 8_200.0, 9_900.0,
    10_100.0, 50_000.0, 99_000.0, 101_000.0, 900_000.0,
];

/// Whether `metres` from `(lat, lon)` is a test the data is safe for (see the module docs).
pub fn geo_test_is_guarded(lat: f64, lon: f64, metres: f64) -> bool {
    GEO_TARGETS.contains(&(lat, lon)) && GEO_DISTANCES.iter().any(|d| d.metres() == metres)
}

/// Whether `point` is clear of every edge the segments test, so that rounding in the last
/// bits of a warehouse's trigonometry cannot move it across one.
fn clear_of_edges(point: GeoPoint) -> bool {
    GEO_TARGETS.iter().all(|&(lat, lon)| {
        let d = point.distance_m(GeoPoint { lat, lon });
        d == 0.0
            || GEO_DISTANCES
                .iter()
                .all(|edge| (d - edge.metres()).abs() > 1e-6 * edge.metres().max(1.0))
    })
}

/// The point `metres` from `from` in the direction `bearing` (radians), on the sphere.
fn destination(from: GeoPoint, metres: f64, bearing: f64) -> Option<GeoPoint> {
    if metres == 0.0 {
        return Some(from);
    }
    let (lat1, lon1) = (from.lat.to_radians(), from.lon.to_radians());
    let angle = metres / EARTH_RADIUS_M;
    let lat2 = (lat1.sin() * angle.cos() + lat1.cos() * angle.sin() * bearing.cos()).asin();
    let lon2 = lon1
        + (bearing.sin() * angle.sin() * lat1.cos()).atan2(angle.cos() - lat1.sin() * lat2.sin());
    let lon = (lon2.to_degrees() + 540.0).rem_euclid(360.0) - 180.0;
    GeoPoint::new(lat2.to_degrees(), lon)
}

fn geo_point(rng: &mut ChaCha8Rng) -> GeoPoint {
    if rng.random_bool(0.3) {
        let &(lat, lon) = GEO_TARGETS.choose(rng).expect("targets");
        return GeoPoint { lat, lon };
    }
    loop {
        let point = if rng.random_bool(0.15) {
            GeoPoint {
                lat: rng.random_range(-90.0..90.0),
                lon: rng.random_range(-180.0..180.0),
            }
        } else {
            let &(lat, lon) = GEO_TARGETS.choose(rng).expect("targets");
            let ring = if rng.random_bool(0.3) {
                // Close enough to an edge that a wrong constant (a radius, a unit) shows.
                let edge = GEO_DISTANCES.choose(rng).expect("distances").metres();
                edge * (1.0 + *[-1e-5, 1e-5].choose(rng).expect("sides"))
            } else {
                *GEO_RINGS.choose(rng).expect("rings")
            };
            let bearing = rng.random_range(0.0..std::f64::consts::TAU);
            match destination(GeoPoint { lat, lon }, ring, bearing) {
                Some(point) => point,
                None => continue,
            }
        };
        if clear_of_edges(point) {
            return point;
        }
    }
}

/// Where journeys start, from `at`: `A.ts + D` exactly at `at`, just before and just after it
/// for the durations the segments use.
pub const JOURNEY_STARTS: &[Millis] = &[
    0,
    -1,
    -1000,
    -1001,
    -999,
    -HOUR_MS,
    -HOUR_MS + 1,
    -HOUR_MS - 1,
    -DAY_MS,
    -DAY_MS + 1,
    -DAY_MS - 1,
    -7 * DAY_MS,
    -7 * DAY_MS + 1,
    -14 * DAY_MS,
    -30 * DAY_MS,
];

/// How long after a journey's first event the second one comes.
pub const FOLLOW_GAPS: &[Millis] = &[
    0,
    1,
    999,
    1000,
    1001,
    HOUR_MS - 1,
    HOUR_MS,
    HOUR_MS + 1,
    DAY_MS,
    DAY_MS + 1,
    3 * DAY_MS,
    7 * DAY_MS,
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
        .with_trait("local_hour", TraitType::Number)
        .with_trait("local_weekday", TraitType::String)
        .with_trait("last_location", TraitType::Geo)
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
        TraitType::String if name == "timezone" => TraitValue::String(pick(rng, ZONES).into()),
        TraitType::String => TraitValue::String(pick(rng, TRICKY).into()),
        TraitType::Bool => TraitValue::Bool(rng.random_bool(0.5)),
        TraitType::Timestamp => TraitValue::Timestamp(time(rng)),
        TraitType::StringList => TraitValue::StringList(
            (0..rng.random_range(0..4))
                .map(|_| pick(rng, INTERESTS).to_string())
                .collect(),
        ),
        TraitType::Geo => TraitValue::Geo(geo_point(rng)),
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
    let plan = plan(rng);
    maybe(rng, &mut p, "plan", 0.7, plan);
    let context = match rng.random_range(0..6) {
        0 => json!("web"),
        // Strings (one empty), a number, and values that take no part in value conditions.
        _ => {
            let sources = [
                json!("google"),
                json!("bing"),
                json!(""),
                json!(1),
                json!(["google"]),
                Value::Null,
            ];
            let mut context = json!({"campaign": {"source": pick_value(rng, &sources)}});
            if rng.random_bool(0.6) {
                // Mostly zone names; sometimes a value that is not a string, which names none.
                context["timezone"] = match rng.random_range(0..8) {
                    0 => json!(5),
                    _ => json!(pick(rng, ZONES)),
                };
            }
            if rng.random_bool(0.4) {
                // Where the event was sent from, on the geo traits' rings; sometimes no point.
                context["location"] = match rng.random_range(0..8) {
                    0 => json!({ "latitude": "41.8", "longitude": -87.6 }),
                    1 => json!({ "latitude": 41.8 }),
                    _ => {
                        let point = geo_point(rng);
                        json!({ "latitude": point.lat, "longitude": point.lon })
                    }
                };
            }
            context
        }
    };
    maybe(rng, &mut p, "context", 0.5, context);
    let dotted = pick_value(rng, &[json!("direct"), Value::Null]);
    maybe(rng, &mut p, "context.campaign.source", 0.15, dotted);
    p
}

fn pick_value(rng: &mut ChaCha8Rng, values: &[Value]) -> Value {
    values.choose(rng).expect("non-empty").clone()
}

/// A value of `plan`, the property value conditions read most: strings, the string `"1"` and
/// the numbers `1` and `1.0` (one value), `0` and `-0.0` (one value), booleans, and values
/// that take no part (an array, an object, `null`).
fn plan(rng: &mut ChaCha8Rng) -> Value {
    let plans = [
        json!("gold"),
        json!("silver"),
        json!("Gold"),
        json!("1"),
        json!(1),
        json!(1.0),
        json!(0),
        json!(-0.0),
        json!(true),
        json!(false),
        json!(["gold"]),
        json!({"tier": "gold"}),
        Value::Null,
    ];
    pick_value(rng, &plans)
}

/// Two events close together: the first at a [`JOURNEY_STARTS`] instant (or any recent
/// one), the second [`FOLLOW_GAPS`] later, sharing some properties.
fn journey(rng: &mut ChaCha8Rng) -> [EventData; 2] {
    /// Mostly the pairs the corpus asks about, so that each holds for some profiles.
    const PAIRS: &[(&str, &str)] = &[
        ("Product Viewed", "Order Completed"),
        ("Product Viewed", "Email Opened"),
        ("Order Completed", "Login"),
        ("Order Completed", "Email Opened"),
        ("Email Opened", "Login"),
        ("Email Opened", "Email Opened"),
        ("Login", "Login"),
        ("Login", "Product Viewed"),
        ("Login", "Email Opened"),
    ];
    let (first_name, second_name) = if rng.random_bool(0.7) {
        *PAIRS.choose(rng).expect("pairs")
    } else {
        (pick(rng, EVENTS), pick(rng, EVENTS))
    };
    let start = if rng.random_bool(0.8) {
        at() + *JOURNEY_STARTS.choose(rng).expect("starts")
    } else {
        time(rng)
    };
    let mut first = EventData::new(first_name, start, properties(rng));
    let mut second_properties = properties(rng);
    for key in [
        "product_id",
        "category",
        "shipping",
        "shipping.cost",
        "coupon",
    ] {
        if rng.random_bool(0.3) {
            // One fresh value (or none) on both.
            match properties(rng).remove(key) {
                Some(value) => {
                    first.properties.insert(key.to_string(), value.clone());
                    second_properties.insert(key.to_string(), value);
                }
                None => {
                    first.properties.remove(key);
                    second_properties.remove(key);
                }
            }
        } else if rng.random_bool(0.6) {
            match first.properties.get(key) {
                // The same number, written differently.
                Some(Value::Number(n)) if n.as_f64() == Some(7.0) && rng.random_bool(0.5) => {
                    second_properties.insert(key.to_string(), json!(7.0));
                }
                Some(value) => {
                    second_properties.insert(key.to_string(), value.clone());
                }
                None => {
                    second_properties.remove(key);
                }
            }
        }
    }
    let gap = *FOLLOW_GAPS.choose(rng).expect("gaps");
    let second = EventData::new(second_name, start + gap, second_properties);
    [first, second]
}

/// Two to four events of one name at one instant, each inserted anywhere among the profile's
/// events: ties in time that only the store order (`seq` in the warehouse) breaks, with values
/// from a few (`1` and `1.0` among them) so that `most_frequent` often has equally frequent
/// values.
fn burst(rng: &mut ChaCha8Rng, events: &mut Vec<EventData>) {
    let name = pick(rng, &["Product Viewed", "Order Completed", "Login"]);
    let ts = if rng.random_bool(0.8) {
        at() + *OFFSETS.choose(rng).expect("offsets")
    } else {
        time(rng)
    };
    let few: [(&str, Vec<Value>); 3] = [
        (
            "plan",
            vec![
                json!("gold"),
                json!("silver"),
                json!(1),
                json!(1.0),
                json!("1"),
            ],
        ),
        ("category", vec![json!("shoes"), json!("socks"), json!(5)]),
        (
            "product_id",
            vec![json!("X"), json!("Y"), json!(7), json!(7.0)],
        ),
    ];
    for _ in 0..rng.random_range(2..=4) {
        let mut properties = properties(rng);
        for (key, values) in &few {
            if rng.random_bool(0.7) {
                properties.insert(key.to_string(), pick_value(rng, values));
            }
        }
        let position = rng.random_range(0..=events.len());
        events.insert(position, EventData::new(name, ts, properties));
    }
}

/// A dataset of 30 to 200 profiles.
pub fn dataset(seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = rng.random_range(30..=200);
    let profiles = (1..=n)
        .map(|id| {
            let mut traits = BTreeMap::new();
            for (name, ty) in TRAITS {
                // Most profiles take their zone from their events.
                let share = if *name == "timezone" { 0.25 } else { 0.7 };
                if rng.random_bool(share) {
                    traits.insert(name.to_string(), trait_value(&mut rng, name, *ty));
                }
            }
            let mut events: Vec<EventData> = (0..rng.random_range(0..14))
                .map(|_| {
                    let name = pick(&mut rng, EVENTS);
                    let ts = time(&mut rng);
                    EventData::new(name, ts, properties(&mut rng))
                })
                .collect();
            if rng.random_bool(0.7) {
                for _ in 0..rng.random_range(1..=4) {
                    events.extend(journey(&mut rng));
                }
            }
            if rng.random_bool(0.6) {
                for _ in 0..rng.random_range(1..=3) {
                    burst(&mut rng, &mut events);
                }
            }
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
