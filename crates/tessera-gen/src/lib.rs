//! Deterministic synthetic retail data for Tessera's demo, tests and benchmarks.
//!
//! [`generate`] writes a retail chain's exports into a directory, customer by customer:
//!
//! ```text
//! customers.csv + customers.mapping.toml   CRM profiles (identifiers, traits, consent)
//! stores.csv                               the chain's stores (places for geo conditions)
//! pos_transactions.csv + pos.mapping.toml  in-store purchases, keyed by loyalty card
//! web_events.jsonl                         Segment-spec track/page/identify messages
//! email_events.jsonl                       Email Opened / Email Link Clicked
//! ```
//!
//! The same [`GenConfig`] always produces byte-identical files (on a given platform: the model
//! uses `ln`/`exp` from the system math library). Each customer draws from its own ChaCha
//! stream of the seed, so a customer is also the same person at any run size. Memory stays
//! constant: one customer's events are built, written and dropped before the next. Within a
//! file, rows are grouped by customer and in time order per customer.
//!
//! The behaviour model (module `behaviour`) plants the patterns that the demo segments
//! ([`DEMO_SEGMENTS`], from `crates/tessera-gen/segments/`) look for. `Product Viewed` events
//! repeat `context.device.type` as the property `device`, because segment property filters
//! read event properties only.

mod behaviour;
mod catalog;
mod clock;
mod crm;
mod email;
mod json;
mod mapping;
mod output;
mod places;
mod pos;
mod random;
mod web;

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tessera_model::{Millis, DAY_MS};

pub use clock::DEFAULT_NOW;

use behaviour::{Behaviour, History};
use catalog::Catalog;
use crm::Person;
use output::Output;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenConfig {
    pub customers: u64,
    pub seed: u64,
    /// The "as of" instant: every event happens before it. Default 2026-11-01T00:00:00Z.
    pub now: Millis,
    /// Length of the event history before `now`, in days.
    pub days: u32,
    /// Writes the four data files gzip-compressed, named with `.gz` added.
    pub gzip: bool,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            customers: 100_000,
            seed: 42,
            now: DEFAULT_NOW,
            days: 180,
            gzip: false,
        }
    }
}

/// Reported every [`PROGRESS_EVERY`] customers and once at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenProgress {
    pub customers_done: u64,
    /// Events (web, email and POS rows) written so far.
    pub events_written: u64,
}

pub const PROGRESS_EVERY: u64 = 10_000;

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenSummary {
    pub customers: u64,
    pub stores: u64,
    pub web_events: u64,
    pub email_events: u64,
    pub pos_transactions: u64,
    /// Web carts filled and web orders completed (their ratio is the cart conversion).
    pub web_carts: u64,
    pub web_orders: u64,
    /// Every file written, in the order listed in the crate docs.
    pub files: Vec<PathBuf>,
}

impl GenSummary {
    /// Events of all kinds: web messages, email events and POS transactions.
    pub fn events(&self) -> u64 {
        self.web_events + self.email_events + self.pos_transactions
    }
}

pub const CUSTOMERS_FILE: &str = "customers.csv";
pub const CUSTOMERS_MAPPING_FILE: &str = "customers.mapping.toml";
pub const STORES_FILE: &str = "stores.csv";
pub const POS_FILE: &str = "pos_transactions.csv";
pub const POS_MAPPING_FILE: &str = "pos.mapping.toml";
pub const WEB_FILE: &str = "web_events.jsonl";
pub const EMAIL_FILE: &str = "email_events.jsonl";

macro_rules! segment {
    ($name:literal) => {
        (
            concat!($name, ".toml"),
            include_str!(concat!("../segments/", $name, ".toml")),
        )
    };
}

/// The demo segment definitions (`file name`, TOML text), for the CLI to install.
pub const DEMO_SEGMENTS: &[(&str, &str)] = &[
    segment!("high_intent_no_purchase"),
    segment!("urban_young_affluent"),
    segment!("athletic_cart_abandoners"),
    segment!("high_value_low_frequency"),
    segment!("lapsed_loyal"),
    segment!("new_customers"),
    segment!("engaged_email_non_buyers"),
    segment!("store_only_shoppers"),
    segment!("young_mobile_runners"),
    segment!("affluent_travelers"),
    segment!("tech_professionals_gadget_browsers"),
    segment!("student_big_spenders"),
];

/// Writes the synthetic data set into `out` (created if missing), calling `progress` as it
/// goes. Files already in `out` with the same names are replaced.
pub fn generate(
    config: &GenConfig,
    out: &Path,
    progress: &mut dyn FnMut(GenProgress),
) -> io::Result<GenSummary> {
    fs::create_dir_all(out)?;
    let history = History {
        start: config.now - i64::from(config.days) * DAY_MS,
        now: config.now,
    };
    let catalog = Catalog::new();
    let calendar = email::calendar(history);
    let path = |name: &str| out.join(name);
    let create =
        |name: &str| File::create(path(name)).map(|f| BufWriter::with_capacity(1 << 20, f));
    let data_name = |name: &str| {
        if config.gzip {
            format!("{name}.gz")
        } else {
            name.to_string()
        }
    };
    let data_file = |name: &str| Output::create(&path(&data_name(name)), config.gzip);

    fs::write(path(CUSTOMERS_MAPPING_FILE), mapping::CUSTOMERS_MAPPING)?;
    fs::write(path(POS_MAPPING_FILE), mapping::POS_MAPPING)?;
    let mut stores_out = create(STORES_FILE)?;
    let stores = places::write_stores(&mut stores_out)?;
    stores_out.flush()?;

    let mut customers_out = csv::Writer::from_writer(data_file(CUSTOMERS_FILE)?);
    customers_out.write_record(crm::CUSTOMERS_HEADER)?;
    let mut pos_out = csv::Writer::from_writer(data_file(POS_FILE)?);
    pos_out.write_record(pos::POS_HEADER)?;
    let mut web_out = data_file(WEB_FILE)?;
    let mut email_out = data_file(EMAIL_FILE)?;

    let mut summary = GenSummary {
        customers: config.customers,
        stores,
        web_events: 0,
        email_events: 0,
        pos_transactions: 0,
        web_carts: 0,
        web_orders: 0,
        files: [
            data_name(CUSTOMERS_FILE),
            CUSTOMERS_MAPPING_FILE.to_string(),
            STORES_FILE.to_string(),
            data_name(POS_FILE),
            POS_MAPPING_FILE.to_string(),
            data_name(WEB_FILE),
            data_name(EMAIL_FILE),
        ]
        .iter()
        .map(|name| path(name))
        .collect(),
    };
    // Per-customer buffers, reused so the loop allocates little.
    let mut line = String::with_capacity(1024);
    let mut email_events = Vec::new();
    let mut pos_events = Vec::new();
    let mut web = web::WebBuffer::default();

    for index in 0..config.customers {
        let mut rng = random::customer_rng(config.seed, index);
        let person = Person::draw(&mut rng, config.seed, index);
        let behaviour = Behaviour::draw(&mut rng, &person, history);
        crm::write_row(
            &mut customers_out,
            &person,
            behaviour.signup_at,
            behaviour.updated_at,
        )?;

        email_events.clear();
        email::generate(
            &mut rng,
            &person,
            &behaviour,
            &calendar,
            history,
            &mut email_events,
        );
        let clicks = email_events
            .iter()
            .filter(|e| e.clicked)
            .map(|e| (e.at, &calendar[e.campaign]));
        web::generate(
            &mut rng, &person, &behaviour, &catalog, history, clicks, &mut web,
        );
        pos_events.clear();
        pos::generate(
            &mut rng,
            &person,
            &behaviour,
            &catalog,
            history,
            &mut pos_events,
        );

        summary.email_events +=
            email::write(&mut email_out, &mut line, &person, &email_events, &calendar)?;
        summary.web_events += web::write(&mut web_out, &mut line, &person, &behaviour, &web)?;
        summary.pos_transactions += pos::write(&mut pos_out, &person, &pos_events)?;
        summary.web_carts += u64::from(web.carts);
        summary.web_orders += u64::from(web.orders);

        let done = index + 1;
        if done % PROGRESS_EVERY == 0 && done < config.customers {
            progress(GenProgress {
                customers_done: done,
                events_written: summary.events(),
            });
        }
    }

    let into_inner = |out: csv::Writer<Output>| out.into_inner().map_err(|e| e.into_error());
    into_inner(customers_out)?.finish()?;
    into_inner(pos_out)?.finish()?;
    web_out.finish()?;
    email_out.finish()?;
    progress(GenProgress {
        customers_done: config.customers,
        events_written: summary.events(),
    });
    Ok(summary)
}
