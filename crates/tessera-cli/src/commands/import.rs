//! `tessera import`: files into the store, with a progress bar, rejects file and summary.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use tessera_import::{import_file, Format, ImportOptions, ImportReport, MappingFile, MappingFlags};
use tessera_store::Store;

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  tessera import events.jsonl                                  # Segment-spec messages
  tessera import customers.csv --mapping customers.mapping.toml
  tessera import crm.csv --id user_id=customer_id --id email=email --trait age:number=age
  tessera import pos.csv --event 'Order Completed' --timestamp ts --message-id txn \\
      --id loyalty_id=card --prop revenue:number=total

Exit status: 0 when every line was stored (or already stored), 2 when lines were rejected
(see the rejects file), 1 on errors that stop the import.")]
pub struct ImportArgs {
    /// Files to import (.jsonl/.ndjson/.json are Segment messages, .csv needs a mapping; any of
    /// them may be gzip-compressed, e.g. events.jsonl.gz).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Force the format instead of guessing from the extension.
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// CSV mapping file (TOML). Default: `<file stem>.mapping.toml` beside the CSV, if present.
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// CSV identifier column: KIND=COLUMN (kinds: user_id, anonymous_id, email, phone, loyalty_id, device_id or custom).
    #[arg(long = "id", value_name = "KIND=COLUMN")]
    ids: Vec<String>,
    /// CSV trait column: NAME[:TYPE]=COLUMN (types: string, number, bool, timestamp, string_list).
    #[arg(long = "trait", value_name = "NAME[:TYPE]=COLUMN")]
    traits: Vec<String>,
    /// CSV event property column: NAME[:TYPE]=COLUMN.
    #[arg(long = "prop", value_name = "NAME[:TYPE]=COLUMN")]
    props: Vec<String>,
    /// CSV consent column: PURPOSE=COLUMN (analytics, personalization, advertising, email).
    #[arg(long = "consent", value_name = "PURPOSE=COLUMN")]
    consents: Vec<String>,
    /// CSV rows are events with this name.
    #[arg(long)]
    event: Option<String>,
    /// CSV rows are events named by this column.
    #[arg(long)]
    event_column: Option<String>,
    /// CSV column with each row's time.
    #[arg(long)]
    timestamp: Option<String>,
    /// CSV column with a unique id per row (makes re-imports idempotent even if rows move).
    #[arg(long)]
    message_id: Option<String>,
    /// Records per transaction.
    #[arg(long, default_value_t = 5_000)]
    batch_size: usize,
    /// Where to write rejected lines (default `<file>.rejects.jsonl`).
    #[arg(long)]
    rejects: Option<PathBuf>,
    /// Print `committed through line N` after every committed batch (for scripts and tests).
    #[arg(long, hide = true)]
    log_commits: bool,
    /// Create the store if it does not exist yet.
    #[arg(long)]
    init: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Jsonl,
    Csv,
}

pub fn run(data: &Path, args: ImportArgs) -> Result<ExitCode> {
    let mut store = if args.init {
        Store::init(data)?
    } else {
        super::open(data)?
    };
    if args.batch_size == 0 {
        bail!("--batch-size must be at least 1");
    }
    let mut any_rejected = false;
    for file in &args.files {
        let format = format_for(file, &args)?;
        let options = ImportOptions {
            batch_size: args.batch_size,
            rejects: args.rejects.clone(),
            ..Default::default()
        };
        let report = import_one(&mut store, file, &format, &options, args.log_commits)?;
        print_report(file, &report);
        any_rejected |= report.progress.rejected > 0;
    }
    Ok(if any_rejected {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// Imports one file with a progress bar on the terminal.
pub fn import_one(
    store: &mut Store,
    file: &Path,
    format: &Format,
    options: &ImportOptions,
    log_commits: bool,
) -> Result<ImportReport> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:>28} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_message(
        file.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    let report = import_file(store, file, format, options, &mut |p| {
        bar.set_length(p.total_bytes);
        bar.set_position(p.bytes_read);
        if log_commits {
            outln!("committed through line {}", p.committed_through_line);
        }
    })
    .with_context(|| format!("importing {}", file.display()))?;
    bar.finish_and_clear();
    Ok(report)
}

pub fn print_report(file: &Path, report: &ImportReport) {
    let p = &report.progress;
    outln!(
        "{}: {} lines, {} stored, {} already stored, {} rejected{}",
        file.display(),
        p.lines,
        p.stored,
        p.duplicates,
        p.rejected,
        if report.blocked_identifiers > 0 {
            format!(
                ", {} blocked identifier values not used for linking",
                report.blocked_identifiers
            )
        } else {
            String::new()
        }
    );
    for reject in &report.first_rejects {
        eprintln!("  rejected {reject}");
    }
    if let Some(path) = &report.rejects_path {
        if p.rejected > report.first_rejects.len() as u64 {
            eprintln!(
                "  … {} more",
                p.rejected - report.first_rejects.len() as u64
            );
        }
        eprintln!("  all rejected lines, with reasons: {}", path.display());
    }
}

fn format_for(file: &Path, args: &ImportArgs) -> Result<Format> {
    // `events.jsonl.gz` is JSON Lines (the importer reads gzip whatever the name).
    let gz = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let inner = if gz {
        file.with_extension("")
    } else {
        file.to_path_buf()
    };
    let file = inner.as_path();
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let csv = match args.format {
        Some(FormatArg::Csv) => true,
        Some(FormatArg::Jsonl) => false,
        None => match ext.as_str() {
            "csv" => true,
            "jsonl" | "ndjson" | "json" => false,
            _ => bail!("{}: cannot tell the format from the extension; pass --format jsonl or --format csv", file.display()),
        },
    };
    if !csv {
        return Ok(Format::SegmentJsonl);
    }
    let flags = MappingFlags {
        ids: args.ids.clone(),
        traits: args.traits.clone(),
        props: args.props.clone(),
        consents: args.consents.clone(),
        event: args.event.clone(),
        event_column: args.event_column.clone(),
        timestamp: args.timestamp.clone(),
        message_id: args.message_id.clone(),
    };
    let flags_given = !flags.ids.is_empty() || !flags.traits.is_empty() || !flags.props.is_empty();
    let mapping_path = args.mapping.clone().or_else(|| {
        let beside = file.with_extension("mapping.toml");
        (!flags_given && beside.exists()).then_some(beside)
    });
    let mapping = match (mapping_path, flags_given) {
        (Some(_), true) if args.mapping.is_some() => bail!("give either --mapping or --id/--trait/--prop flags, not both"),
        (Some(path), _) => {
            let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            MappingFile::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        (None, true) => MappingFile::from_flags(&flags).map_err(anyhow::Error::msg)?,
        (None, false) => bail!(
            "{}: a CSV file needs a mapping: --mapping FILE, or flags such as --id user_id=COLUMN --trait age:number=COLUMN",
            file.display()
        ),
    };
    Ok(Format::Csv(mapping))
}
