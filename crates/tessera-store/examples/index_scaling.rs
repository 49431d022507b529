//! How the deferred event index's merges scale as the store grows.
//!
//! Ingests synthetic messages shaped like live traffic (random message ids, as the SDKs make
//! them; arriving in time order from profiles picked at random) into a fresh store, merges the
//! index after every step, and prints per step the time the batches took and the time the
//! merge took. A merge whose cost grows with the index makes an import quadratic.
//!
//! ```sh
//! cargo run --release -p tessera-store --example index_scaling -- DIR [MESSAGES] [STEP] [PROFILES]
//! ```
//! Defaults: 20,000,000 messages, steps of 2,000,000, 1,000,000 profiles. DIR must not exist.

use std::path::PathBuf;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use serde_json::{Map, Value};
use tessera_model::{EventKind, Identifier};
use tessera_store::{Record, Store};

const BATCH: usize = 20_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .ok_or("usage: index_scaling DIR [MESSAGES] [STEP] [PROFILES]")?,
    );
    let number = |arg: Option<String>, default: u64| -> Result<u64, Box<dyn std::error::Error>> {
        Ok(arg
            .map(|a| a.replace('_', "").parse())
            .transpose()?
            .unwrap_or(default))
    };
    let messages = number(args.next(), 20_000_000)?;
    let step = number(args.next(), 2_000_000)?;
    let profiles = number(args.next(), 1_000_000)?;
    if dir.exists() {
        return Err(format!("{} exists; give a new directory", dir.display()).into());
    }
    let mut store = Store::init(&dir)?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(6);
    let start = 1_767_225_600_000_i64; // 2026-01-01
    let mut sent = 0_u64;
    println!("messages,batches_s,merge_s,index_bytes");
    while sent < messages {
        let in_step = step.min(messages - sent);
        let clock = Instant::now();
        let mut left = in_step;
        while left > 0 {
            let n = (BATCH as u64).min(left);
            let batch: Vec<Record> = (0..n)
                .map(|i| {
                    let seq = sent + in_step - left + i;
                    let id: u128 = rng.random();
                    let user = rng.random_range(0..profiles);
                    let mut properties = Map::new();
                    properties.insert(
                        "product_id".into(),
                        Value::from(format!("P{}", user % 5000)),
                    );
                    Record {
                        message_id: format!("{id:032x}"),
                        kind: EventKind::Track,
                        name: "Product Viewed".into(),
                        timestamp: start + seq as i64 * 100,
                        received_at: start + seq as i64 * 100,
                        identifiers: vec![Identifier::new("user_id", format!("u{user}"))],
                        traits: vec![],
                        consents: vec![],
                        properties,
                        context: Map::new(),
                    }
                })
                .collect();
            store.ingest_batch(&batch)?;
            left -= n;
        }
        let batches = clock.elapsed().as_secs_f64();
        let clock = Instant::now();
        store.catch_up_index()?;
        let merge = clock.elapsed().as_secs_f64();
        sent += in_step;
        let index_bytes = std::fs::metadata(dir.join(tessera_store::INDEX_FILE))?.len();
        println!("{sent},{batches:.2},{merge:.2},{index_bytes}");
    }
    Ok(())
}
