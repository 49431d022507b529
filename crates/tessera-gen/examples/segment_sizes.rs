//! Generates a data set and prints file sizes, timing and the size of every demo segment as
//! evaluated by the plain-Rust checks of the test suite (no engine needed).
//!
//! `cargo run --release -p tessera-gen --example segment_sizes -- [customers] [dir]`

// Shared with the tests, which use parts this example does not.
#[allow(dead_code)]
#[path = "../tests/support/profiles.rs"]
mod profiles;

use std::path::PathBuf;
use std::time::Instant;

use tessera_gen::{generate, GenConfig};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let customers = args
        .next()
        .map_or(100_000, |s| s.parse().expect("customers is a number"));
    let dir = args.next().map_or_else(
        || std::env::temp_dir().join("tessera-gen-sizes"),
        PathBuf::from,
    );
    let config = GenConfig {
        customers,
        ..GenConfig::default()
    };

    let started = Instant::now();
    let summary = generate(&config, &dir, &mut |p| {
        eprintln!(
            "  {} customers, {} events",
            p.customers_done, p.events_written
        )
    })?;
    let elapsed = started.elapsed();
    println!(
        "generated {customers} customers in {:.2?} into {}",
        elapsed,
        dir.display()
    );
    println!(
        "events: {} total = {} web + {} email + {} pos ({:.1} per customer)",
        summary.events(),
        summary.web_events,
        summary.email_events,
        summary.pos_transactions,
        summary.events() as f64 / customers as f64
    );
    println!(
        "web carts {} orders {} (abandonment {:.1}%)",
        summary.web_carts,
        summary.web_orders,
        100.0 * (1.0 - summary.web_orders as f64 / summary.web_carts as f64)
    );
    for file in &summary.files {
        let bytes = std::fs::metadata(file)?.len();
        println!(
            "  {:>10.1} MiB  {}",
            bytes as f64 / (1 << 20) as f64,
            file.display()
        );
    }

    let data = profiles::load(&dir);
    println!(
        "{} web messages, {} never tied to a customer",
        data.web_messages, data.anonymous_messages
    );
    for (name, check, (low, high)) in profiles::demo_checks() {
        let size = data
            .profiles
            .iter()
            .filter(|p| check(p, config.now))
            .count();
        let share = size as f64 / customers as f64;
        let flag = if (low..=high).contains(&share) {
            ""
        } else {
            "  <-- outside intended range"
        };
        println!("  {name:<28} {size:>7}  {:>6.2}%{flag}", 100.0 * share);
    }
    Ok(())
}
