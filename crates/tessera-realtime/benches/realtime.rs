//! Real-time benchmark: 100k profiles with ~20 events each and 10 segments; the cost of one
//! incoming event and of a simulated day of time-based changes. Run with
//! `cargo bench -p tessera-realtime --bench realtime`; `PROFILES` changes the size.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use serde_json::{json, Map};
use tessera_engine::{EventData, ProfileData};
use tessera_model::{Millis, TraitValue, DAY_MS, MINUTE_MS};
use tessera_realtime::Realtime;

const AT: Millis = 20_000 * DAY_MS;

const SEGMENTS: [&str; 10] = [
    "count(Product Viewed in last 7d) >= 3",
    "did(Order Completed in last 30d)",
    r#"did(Added to Cart where category = "athletic" in last 7d) and not did(Order Completed in last 7d)"#,
    "count(Email Opened in last 30d) >= 2 and not did(Order Completed in last 30d)",
    "sum(Order Completed.revenue in last 180d) > 800 and count(Order Completed in last 180d) <= 2",
    "count(Order Completed) >= 5 and last(Order Completed) more than 60d ago",
    "first(Order Completed) less than 30d ago",
    r#"count(Order Completed where channel = "store" in last 90d) >= 2 and not did(Order Completed where channel = "web")"#,
    "age between 25 and 35 and did(Page Viewed in last 1d)",
    "vip = true or count(Product Viewed in last 1d) >= 5",
];

/// splitmix64: a tiny deterministic generator, so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// An event of a realistic mix; only carts and orders carry properties, which keeps the
/// 2M-event dataset to a few hundred megabytes.
fn event(rng: &mut Rng, ts: Millis) -> EventData {
    let roll = rng.below(100);
    let (name, properties) = match roll {
        0..60 => ("Product Viewed", Map::new()),
        60..75 => {
            let category = ["athletic", "travel", "home", "tech"][rng.below(4) as usize];
            (
                "Added to Cart",
                Map::from_iter([("category".into(), json!(category))]),
            )
        }
        75..85 => {
            let channel = if rng.below(3) == 0 { "store" } else { "web" };
            let revenue = 20 + rng.below(600);
            let properties = [
                ("channel".into(), json!(channel)),
                ("revenue".into(), json!(revenue)),
            ];
            ("Order Completed", Map::from_iter(properties))
        }
        85..95 => ("Email Opened", Map::new()),
        _ => ("Page Viewed", Map::new()),
    };
    EventData::new(name, ts, properties)
}

fn profile(rng: &mut Rng) -> ProfileData {
    let traits = BTreeMap::from([
        (
            "age".to_string(),
            TraitValue::Number((18 + rng.below(62)) as f64),
        ),
        ("vip".to_string(), TraitValue::Bool(rng.below(10) == 0)),
    ]);
    let events = (0..10 + rng.below(21))
        .map(|_| {
            let ts = AT - (rng.below(180 * DAY_MS as u64) as Millis);
            event(rng, ts)
        })
        .collect();
    ProfileData { traits, events }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

fn main() {
    let profiles: u64 = std::env::var("PROFILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let segments = SEGMENTS
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let parsed = tessera_lang::parse(text);
            assert!(parsed.diagnostics.is_empty(), "{text}");
            (format!("segment {i}"), parsed.expr)
        })
        .collect();
    let mut realtime = Realtime::new(segments);
    let mut rng = Rng(42);

    let start = Instant::now();
    let mut events = 0usize;
    for key in 0..profiles {
        let data = profile(&mut rng);
        events += data.events.len();
        black_box(realtime.load_profile(key, data, AT));
    }
    let load = start.elapsed();
    let members: usize = (0..SEGMENTS.len())
        .map(|s| realtime.members(s).count())
        .sum();
    println!(
        "load: {profiles} profiles, {events} events, {} segments in {load:.2?} \
         ({:.2?} per profile); {members} memberships, {} scheduled",
        SEGMENTS.len(),
        load / profiles as u32,
        realtime.scheduled(),
    );

    // A stream of 100k events over ~17 minutes, a few arriving late; each call also fires
    // whatever time-based changes fall due before it, as it would in the server.
    let mut clock = AT;
    let mut times = Vec::with_capacity(100_000);
    let mut changes = 0usize;
    let evaluations = realtime.evaluations();
    for _ in 0..100_000 {
        clock += 10;
        let key = rng.below(profiles);
        let ts = if rng.below(20) == 0 {
            clock - rng.below(DAY_MS as u64) as Millis
        } else {
            clock
        };
        let event = event(&mut rng, ts);
        let start = Instant::now();
        let out = realtime.on_event(key, event, clock);
        times.push(start.elapsed());
        changes += out.len();
    }
    let total: Duration = times.iter().sum();
    times.sort_unstable();
    println!(
        "on_event: 100000 events, median {:.2?}, p99 {:.2?}, max {:.2?}, mean {:.2?}; \
         {} evaluations, {changes} changes",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times[times.len() - 1],
        total / times.len() as u32,
        realtime.evaluations() - evaluations,
    );

    // A simulated day with no new data, in one-minute timer ticks.
    let evaluations = realtime.evaluations();
    let mut ticks = Vec::with_capacity(1440);
    let mut changes = 0usize;
    let day = Instant::now();
    for _ in 0..1440 {
        clock += MINUTE_MS;
        let start = Instant::now();
        let out = realtime.advance(clock);
        ticks.push(start.elapsed());
        changes += out.len();
    }
    let day = day.elapsed();
    ticks.sort_unstable();
    let fired = realtime.evaluations() - evaluations;
    println!(
        "advance: one day in 1440 one-minute ticks in {day:.2?} (median tick {:.2?}, max {:.2?}); \
         {fired} scheduled evaluations ({:.2?} each), {changes} changes, {} still scheduled",
        percentile(&ticks, 0.5),
        ticks[ticks.len() - 1],
        day / fired.max(1) as u32,
        realtime.scheduled(),
    );
}
