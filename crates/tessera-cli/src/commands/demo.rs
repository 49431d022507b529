//! `tessera gen` and `tessera demo`: the synthetic retail chain, end to end.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use tessera_gen::{GenConfig, GenSummary};
use tessera_import::{Format, ImportOptions, MappingFile};
use tessera_model::{format_millis, parse_timestamp};
use tessera_service::{SegmentSize, Snapshot};
use tessera_store::Store;

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  tessera gen --customers 1000000 --seed 7 --out data/1m")]
pub struct GenArgs {
    /// Number of customers.
    #[arg(long, default_value_t = 100_000)]
    customers: u64,
    /// Random seed: the same seed gives byte-identical files.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The generated data's present: every event happens before it.
    #[arg(long, default_value = "2026-11-01T00:00:00Z")]
    now: String,
    /// Days of history before `now`.
    #[arg(long, default_value_t = 180)]
    days: u32,
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
    /// Write the data files gzip-compressed (`web_events.jsonl.gz`, …; about a tenth of the
    /// size); `tessera import` reads them as they are.
    #[arg(long)]
    gzip: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  tessera demo --customers 20000 --data /tmp/tessera-demo")]
pub struct DemoArgs {
    /// Number of customers in the generated chain.
    #[arg(long, default_value_t = 100_000)]
    customers: u64,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

pub fn gen(args: GenArgs) -> Result<ExitCode> {
    let now = parse_timestamp(&args.now)
        .with_context(|| format!("--now `{}` is not a date or RFC 3339 timestamp", args.now))?;
    let config = GenConfig {
        customers: args.customers,
        seed: args.seed,
        now,
        days: args.days,
        gzip: args.gzip,
    };
    let summary = generate_with_progress(&config, &args.out)?;
    print_gen_summary(&summary, &args.out);
    Ok(ExitCode::SUCCESS)
}

fn generate_with_progress(config: &GenConfig, out: &Path) -> Result<GenSummary> {
    let bar = ProgressBar::new(config.customers);
    bar.set_style(
        ProgressStyle::with_template("{msg:>28} [{bar:30}] {pos}/{len} customers, eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message("generating");
    let summary = tessera_gen::generate(config, out, &mut |p| bar.set_position(p.customers_done))
        .with_context(|| format!("writing generated data to {}", out.display()))?;
    bar.finish_and_clear();
    Ok(summary)
}

fn print_gen_summary(summary: &GenSummary, out: &Path) {
    outln!(
        "generated {} customers, {} stores, {} web messages, {} email events, {} POS transactions in {}",
        summary.customers,
        summary.stores,
        summary.web_events,
        summary.email_events,
        summary.pos_transactions,
        out.display()
    );
}

pub fn demo(data: &Path, args: DemoArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let config = GenConfig {
        customers: args.customers,
        seed: args.seed,
        ..GenConfig::default()
    };
    let input = data.join("demo-input");
    outln!(
        "== 1. generating a retail chain of {} customers (seed {})",
        config.customers,
        config.seed
    );
    let summary = generate_with_progress(&config, &input)?;
    print_gen_summary(&summary, &input);

    outln!("\n== 2. importing through the same path as `tessera import`");
    let mut store =
        Store::init(data).with_context(|| format!("initialising {}", data.display()))?;
    let mapping = |name: &str| -> Result<Format> {
        let path = input.join(name);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        Ok(Format::Csv(
            MappingFile::parse(&text).map_err(anyhow::Error::msg)?,
        ))
    };
    let files = [
        (
            tessera_gen::CUSTOMERS_FILE,
            mapping(tessera_gen::CUSTOMERS_MAPPING_FILE)?,
        ),
        (
            tessera_gen::POS_FILE,
            mapping(tessera_gen::POS_MAPPING_FILE)?,
        ),
        (tessera_gen::WEB_FILE, Format::SegmentJsonl),
        (tessera_gen::EMAIL_FILE, Format::SegmentJsonl),
    ];
    let options = ImportOptions {
        batch_size: 20_000,
        ..Default::default()
    };
    for (name, format) in &files {
        let path = input.join(name);
        let t = Instant::now();
        let report = super::import::import_one(&mut store, &path, format, &options, false)?;
        super::import::print_report(&path, &report);
        outln!("  ({:.1}s)", t.elapsed().as_secs_f64());
    }
    let places = tessera_import::places::read_places_csv(&input.join(tessera_gen::STORES_FILE))
        .map_err(|errors| anyhow::anyhow!("{}", errors[0]))?;
    store.upsert_places(&places.places)?;
    outln!(
        "{}: {} places",
        tessera_gen::STORES_FILE,
        places.places.len()
    );
    let stats = store.stats()?;
    outln!(
        "store: {} profiles ({} source records merged by identity resolution), {} identifiers, {} events, {} refused links",
        stats.profiles,
        stats.profile_records - stats.profiles,
        stats.identifiers,
        stats.events,
        stats.identity_conflicts
    );

    outln!(
        "\n== 3. applying the demo segments as of {} (the data's present)",
        format_millis(config.now)
    );
    let segments_dir = input.join("segments");
    std::fs::create_dir_all(&segments_dir)?;
    for (file, text) in tessera_gen::DEMO_SEGMENTS {
        std::fs::write(segments_dir.join(file), text)?;
    }
    let t = Instant::now();
    let snapshot = super::loading(|| Snapshot::load(&store, config.now))?;
    outln!(
        "loaded {} profiles into the engine in {:.2}s",
        snapshot.index.len(),
        t.elapsed().as_secs_f64()
    );
    let definitions = tessera_service::load_definitions(&segments_dir, &snapshot.catalog)?;
    let t = Instant::now();
    let entries = tessera_service::plan(&store, &snapshot, &definitions)?;
    let evaluation = t.elapsed();
    tessera_service::apply(&mut store, &snapshot, &definitions, &entries, false)?;
    outln!(
        "evaluated {} segments in {:.1} ms and stored their members",
        definitions.len(),
        evaluation.as_secs_f64() * 1e3
    );

    outln!("\n== 4. segment sizes");
    let population = snapshot.index.len() as u64;
    let sizes: Vec<SegmentSize> = entries
        .iter()
        .map(|e| SegmentSize::new(&e.name, e.size, population, e.min_size))
        .collect();
    super::segment::print_sizes(&sizes);

    outln!("\n== 5. overlap");
    let names: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
    let sets: Vec<_> = entries.iter().map(|e| e.members.clone()).collect();
    let overlap = tessera_service::Overlap::compute(names, &sets);
    out!("{}", super::segment::render_overlap(&overlap));

    outln!("\n== 6. the segments in one line each");
    for (def, size) in definitions.iter().zip(&sizes) {
        outln!(
            "- {} ({} people, {:.1}%): {}",
            def.name,
            size.size,
            size.share * 100.0,
            def.description
        );
    }
    outln!("\n== 7. report: personas, clusters and journeys, with charts");
    let t = Instant::now();
    let descriptions: Vec<(String, String)> = definitions
        .iter()
        .map(|d| (d.name.clone(), d.description.clone()))
        .collect();
    let report = super::report::write(
        &data.join("report"),
        &snapshot,
        &entries,
        &descriptions,
        &overlap,
    )?;
    outln!(
        "wrote {} in {:.1}s (open it in a browser)",
        report.display(),
        t.elapsed().as_secs_f64()
    );
    outln!(
        "\ndone in {:.1}s. Explore further, e.g.:\n  tessera segment explain {} '#1' --at {} --data {}\n  tessera profile show '#1' --data {}",
        started.elapsed().as_secs_f64(),
        definitions.first().map_or("SEGMENT", |d| d.name.as_str()),
        format_millis(config.now),
        data.display(),
        data.display()
    );
    Ok(ExitCode::SUCCESS)
}
