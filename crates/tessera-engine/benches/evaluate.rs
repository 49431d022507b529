//! Evaluation benchmark: a synthetic index of 1M profiles and ~20M events, and the time to
//! evaluate representative segments on it. Run with
//! `cargo bench -p tessera-engine --bench evaluate`. Environment: `PROFILES` changes the size,
//! `ONLY` keeps the segments whose name contains it, `RUNS` sets the runs per segment (for
//! profiling one segment under `perf`).

use std::time::{Duration as Elapsed, Instant};

use serde_json::{Map, Value};
use tessera_engine::{Index, IndexBuilder};
use tessera_lang::{
    AggFunc, AggregateCond, AgoRelation, CmpOp, CountCond, Duration, DurationUnit, EventQuery,
    Expr, Literal, NumCmp, PropFilter, Recency, RecencyCond, Span, TraitCond, ValueTest, Window,
};
use tessera_model::{Millis, TraitValue, DAY_MS};

const AT: Millis = 20_000 * DAY_MS;

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

    /// Skewed towards 0: a few popular values and a long tail.
    fn skewed(&mut self, n: u64) -> u64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((u * u * u) * n as f64) as u64
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn build(profiles: usize) -> Index {
    let mut rng = Rng(42);
    let cities: Vec<String> = (0..200).map(|i| format!("City{i}")).collect();
    let tags: Vec<String> = (0..50).map(|i| format!("tag{i}")).collect();
    let products: Vec<Value> = (0..10_000)
        .map(|i| Value::String(format!("P{i}")))
        .collect();
    let categories: Vec<Value> = (0..50).map(|i| Value::String(format!("cat{i}"))).collect();
    let paths: Vec<Value> = (0..1_000)
        .map(|i| Value::String(format!("/page/{i}")))
        .collect();
    let mut builder = IndexBuilder::new();
    let mut props = Map::new();
    for key in 0..profiles {
        let ord = builder.add_profile(key as i64);
        builder.set_trait(ord, "age", TraitValue::Number((18 + rng.below(62)) as f64));
        builder.set_trait(
            ord,
            "city",
            TraitValue::String(cities[rng.skewed(200) as usize].clone()),
        );
        builder.set_trait(ord, "vip", TraitValue::Bool(rng.below(10) == 0));
        builder.set_trait(
            ord,
            "income",
            TraitValue::Number((20_000 + rng.below(150_000)) as f64),
        );
        let n_tags = rng.below(4) as usize;
        let list = (0..n_tags)
            .map(|_| tags[rng.skewed(50) as usize].clone())
            .collect();
        builder.set_trait(ord, "tags", TraitValue::StringList(list));
        // About 20 events per profile over 90 days: views, page views, a few orders.
        let when = |rng: &mut Rng| AT - (rng.unit() * 90.0 * DAY_MS as f64) as Millis;
        for _ in 0..rng.below(24) {
            props.clear();
            props.insert(
                "product_id".into(),
                products[rng.skewed(10_000) as usize].clone(),
            );
            props.insert(
                "category".into(),
                categories[rng.skewed(50) as usize].clone(),
            );
            props.insert("price".into(), Value::from(5 + rng.below(200)));
            let ts = when(&mut rng);
            builder.add_event(ord, "Product Viewed", ts, &props);
        }
        for _ in 0..rng.below(16) {
            props.clear();
            props.insert("path".into(), paths[rng.skewed(1_000) as usize].clone());
            let ts = when(&mut rng);
            builder.add_event(ord, "Page Viewed", ts, &props);
        }
        for _ in 0..rng.below(4) {
            props.clear();
            props.insert(
                "revenue".into(),
                Value::from((rng.below(40_000) as f64) / 100.0),
            );
            let ts = when(&mut rng);
            builder.add_event(ord, "Order Completed", ts, &props);
        }
    }
    builder.finish()
}

fn query(event: &str, filter: Option<PropFilter>, days: Option<u64>) -> EventQuery {
    EventQuery {
        event: event.into(),
        filter,
        window: days.map(|amount| {
            Window::Last(Duration {
                amount,
                unit: DurationUnit::Days,
            })
        }),
        span: Span::default(),
    }
}

fn test(name: &str, test: ValueTest) -> TraitCond {
    TraitCond {
        name: name.into(),
        test,
        span: Span::default(),
    }
}

fn eq(name: &str, value: &str) -> TraitCond {
    test(
        name,
        ValueTest::Compare {
            op: CmpOp::Eq,
            value: Literal::String(value.into()),
        },
    )
}

fn segments() -> Vec<(&'static str, Expr)> {
    let no_order_7d = Expr::Not(Box::new(Expr::Did(query("Order Completed", None, Some(7)))));
    vec![
        (
            "viewed P0 2+ times in 7d, no order in 7d, aged 25-35",
            Expr::And(vec![
                Expr::Count(CountCond {
                    query: query(
                        "Product Viewed",
                        Some(PropFilter::Test(eq("product_id", "P0"))),
                        Some(7),
                    ),
                    cmp: NumCmp::Compare {
                        op: CmpOp::Ge,
                        value: 2.0,
                    },
                }),
                no_order_7d.clone(),
                Expr::Trait(test(
                    "age",
                    ValueTest::Between {
                        low: Literal::Number(25.0),
                        high: Literal::Number(35.0),
                    },
                )),
            ]),
        ),
        (
            "3+ cat0 views over 50 in 7d, no order in 7d, city in 3, income > 75k",
            Expr::And(vec![
                Expr::Count(CountCond {
                    query: query(
                        "Product Viewed",
                        Some(PropFilter::And(vec![
                            PropFilter::Test(eq("category", "cat0")),
                            PropFilter::Test(test(
                                "price",
                                ValueTest::Compare {
                                    op: CmpOp::Gt,
                                    value: Literal::Number(50.0),
                                },
                            )),
                        ])),
                        Some(7),
                    ),
                    cmp: NumCmp::Compare {
                        op: CmpOp::Ge,
                        value: 3.0,
                    },
                }),
                no_order_7d,
                Expr::Trait(test(
                    "city",
                    ValueTest::In {
                        values: ["City0", "City1", "City2"]
                            .map(|c| Literal::String(c.into()))
                            .to_vec(),
                    },
                )),
                Expr::Trait(test(
                    "income",
                    ValueTest::Compare {
                        op: CmpOp::Gt,
                        value: Literal::Number(75_000.0),
                    },
                )),
            ]),
        ),
        (
            "sum(Order Completed.revenue in last 90d) > 500",
            Expr::Aggregate(AggregateCond {
                func: AggFunc::Sum,
                query: query("Order Completed", None, Some(90)),
                property: "revenue".into(),
                cmp: NumCmp::Compare {
                    op: CmpOp::Gt,
                    value: 500.0,
                },
            }),
        ),
        (
            "last(Order Completed) more than 30d ago",
            Expr::Recency(RecencyCond {
                which: Recency::Last,
                query: query("Order Completed", None, None),
                relation: AgoRelation::MoreThan,
                ago: Duration {
                    amount: 30,
                    unit: DurationUnit::Days,
                },
            }),
        ),
        (
            "count(Page Viewed in last 30d) < 2",
            Expr::Count(CountCond {
                query: query("Page Viewed", None, Some(30)),
                cmp: NumCmp::Compare {
                    op: CmpOp::Lt,
                    value: 2.0,
                },
            }),
        ),
        (
            "micro: vip and city = City7 and did(Product Viewed where product_id = P5000 in 30d)",
            Expr::And(vec![
                Expr::Trait(test(
                    "vip",
                    ValueTest::Compare {
                        op: CmpOp::Eq,
                        value: Literal::Bool(true),
                    },
                )),
                Expr::Trait(eq("city", "City7")),
                Expr::Did(query(
                    "Product Viewed",
                    Some(PropFilter::Test(eq("product_id", "P5000"))),
                    Some(30),
                )),
            ]),
        ),
        (
            "tags contains tag3 and age > 60",
            Expr::And(vec![
                Expr::Trait(test(
                    "tags",
                    ValueTest::Contains {
                        value: Literal::String("tag3".into()),
                    },
                )),
                Expr::Trait(test(
                    "age",
                    ValueTest::Compare {
                        op: CmpOp::Gt,
                        value: Literal::Number(60.0),
                    },
                )),
            ]),
        ),
    ]
}

const MIB: f64 = 1024.0 * 1024.0;

/// The resident set now and at its peak, as the kernel reports them.
fn resident() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
    };
    Some(format!("{} (peak {})", field("VmRSS:")?, field("VmHWM:")?))
}

fn main() {
    let profiles: usize = std::env::var("PROFILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let started = Instant::now();
    let index = build(profiles);
    let events: usize = index.event_names().map(|e| index.event_count(e)).sum();
    println!(
        "built {} profiles, {events} events in {:.1} s",
        index.len(),
        started.elapsed().as_secs_f64()
    );
    let parts = index.memory_report();
    let engine: u64 = parts.iter().map(|p| p.bytes).sum();
    for (kind, bytes) in tessera_engine::memory::totals(&parts) {
        println!("  {kind}: {:.1} MiB", bytes as f64 / MIB);
    }
    println!(
        "engine {:.1} MiB = {:.1} bytes per event; process resident {} (Linux /proc/self/status)",
        engine as f64 / MIB,
        engine as f64 / events.max(1) as f64,
        resident().unwrap_or_else(|| "unknown".into()),
    );
    let only = std::env::var("ONLY").unwrap_or_default();
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    for (name, expr) in segments()
        .into_iter()
        .filter(|(name, _)| name.contains(&only))
    {
        let mut times: Vec<Elapsed> = Vec::new();
        let mut members = 0;
        for _ in 0..runs.max(1) {
            let started = Instant::now();
            members = index.evaluate(&expr, AT).expect("valid segment").len();
            times.push(started.elapsed());
        }
        times.sort();
        println!(
            "{:>9.2} ms (min {:>7.2})  {members:>8} members  {name}",
            times[times.len() / 2].as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3
        );
    }
}
