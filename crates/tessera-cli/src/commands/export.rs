//! `tessera export warehouse`: the store's data as of an instant, in the warehouse schema that
//! compiled segments (`tessera sql`) read. The schema is described in `docs/warehouse.md`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use tessera_model::format_millis;
use tessera_sql::warehouse::{Format, WarehouseWriter, TABLES};
use tessera_store::Store;

use crate::table::Table;

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Write profiles, traits, identifiers, events and places as warehouse tables.
    #[command(
        after_help = "Examples:\n  tessera export warehouse --format csv warehouse/\n  tessera export warehouse --format parquet warehouse/\n  tessera export warehouse --format csv --at 2026-10-01 warehouse/\n\nThen load the files (see docs/warehouse.md) and run `tessera sql --dialect …` queries on them."
    )]
    Warehouse(WarehouseArgs),
}

#[derive(Debug, Args)]
pub struct WarehouseArgs {
    /// The directory to write one file per table into (created if needed).
    dir: PathBuf,
    #[arg(long, value_enum, default_value = "csv")]
    format: WarehouseFormat,
    /// Export as of this instant (RFC 3339 or date; default now): profiles that existed then,
    /// traits as they were then, events up to then.
    #[arg(long)]
    at: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum WarehouseFormat {
    /// One `<table>.csv` per table, with a header row.
    Csv,
    /// One Snappy-compressed `<table>.parquet` per table.
    Parquet,
}

impl From<WarehouseFormat> for Format {
    fn from(f: WarehouseFormat) -> Format {
        match f {
            WarehouseFormat::Csv => Format::Csv,
            WarehouseFormat::Parquet => Format::Parquet,
        }
    }
}

pub fn run(data: &Path, command: ExportCommand) -> Result<ExitCode> {
    match command {
        ExportCommand::Warehouse(args) => warehouse(data, args),
    }
}

fn warehouse(data: &Path, args: WarehouseArgs) -> Result<ExitCode> {
    let store = super::open(data)?;
    let at = super::at_or_now(args.at.as_deref())?;
    let started = std::time::Instant::now();
    let format = Format::from(args.format);
    let mut out = WarehouseWriter::create(&args.dir, format)
        .with_context(|| format!("creating the table files in {}", args.dir.display()))?;
    write_tables(&store, at, &mut out)?;
    let counts = out
        .finish()
        .with_context(|| format!("writing the table files in {}", args.dir.display()))?;
    let mut table = Table::new(&["table", "rows", "file"]);
    for (name, rows) in &counts.0 {
        let file = TABLES
            .iter()
            .find(|t| t.name == *name)
            .map(|t| {
                WarehouseWriter::path_in(&args.dir, t, format)
                    .display()
                    .to_string()
            })
            .unwrap_or_default();
        table.row(vec![name.to_string(), rows.to_string(), file]);
    }
    out!("{}", table.render());
    eprintln!(
        "exported the store as of {} in {:.2}s",
        format_millis(at),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// Streams every table through the store's read API. The store's callbacks cannot return an
/// I/O error, so the first one is kept aside, the read is stopped, and it is reported here.
fn write_tables(store: &Store, at: i64, out: &mut WarehouseWriter) -> Result<()> {
    let mut profiles = Vec::new();
    store.for_each_profile(Some(at), |id| profiles.push(id))?;
    for &id in &profiles {
        out.profile(id).context("writing the profiles table")?;
    }
    let known: HashSet<u64> = profiles.iter().copied().collect();

    let mut failed: Option<std::io::Error> = None;
    store.for_each_trait(Some(at), |profile, name, value| {
        if failed.is_none() && known.contains(&profile) && !name.starts_with("rfm.") {
            failed = out.trait_value(profile, name, &value).err();
        }
    })?;
    if let Some(e) = failed.take() {
        return Err(e).context("writing the traits table");
    }
    // The built-in RFM traits as of the export's instant, so that segments reading them
    // compile to SQL that finds the same people (stored traits named `rfm.*` are shadowed).
    let mut scored: Vec<_> = tessera_service::rfm::from_store(store, at)?
        .into_iter()
        .collect();
    scored.sort_unstable_by_key(|(profile, _)| *profile);
    for (profile, traits) in scored {
        if known.contains(&profile) {
            for (name, value) in traits {
                out.trait_value(profile, name, &value)
                    .context("writing the traits table")?;
            }
        }
    }

    for &id in &profiles {
        for identifier in store.identifiers(id)? {
            out.identifier(id, identifier.kind.as_str(), &identifier.value)
                .context("writing the identifiers table")?;
        }
    }

    let stopped = store.for_each_event_json(Some(at), |profile, name, ts, json| {
        if !known.contains(&profile) {
            return Ok(());
        }
        // Written as Tessera reads it: parsed and printed again, so that the warehouse sees
        // exactly the numbers (as doubles) and keys (duplicates resolved) Tessera evaluates.
        let properties: serde_json::Value = serde_json::from_str(json)
            .map_err(|e| tessera_store::Error::Internal(format!("event properties: {e}")))?;
        if let Err(e) = out.event(profile, name, ts, &properties.to_string()) {
            failed = Some(e);
            return Err(tessera_store::Error::Internal(
                "stopped writing events".into(),
            ));
        }
        Ok(())
    });
    if let Some(e) = failed.take() {
        return Err(e).context("writing the events table");
    }
    stopped?;

    for place in store.places()? {
        out.place(&place.name, place.lat, place.lon, &place.tags)
            .context("writing the places table")?;
    }
    Ok(())
}
