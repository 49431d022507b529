//! `tessera segment …`: segments as code (plan, apply), inspection and analysis.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use roaring::RoaringBitmap;
use tessera_lang::{has_errors, parse, render, Expr};
use tessera_model::{format_millis, ConsentPurpose};
use tessera_service::{PlanStatus, SegmentSize, Snapshot, DEFAULT_MIN_SIZE};
use tessera_store::Store;

use crate::table::Table;

#[derive(Debug, Subcommand)]
pub enum SegmentCommand {
    /// Show, for each definition in DIR, how many profiles would enter and leave.
    #[command(after_help = "Example:\n  tessera segment plan segments/ --at 2026-11-01")]
    Plan {
        dir: PathBuf,
        #[command(flatten)]
        at: AtArg,
        #[arg(long)]
        json: bool,
    },
    /// Store the definitions in DIR and their current members.
    #[command(after_help = "Example:\n  tessera segment apply segments/")]
    Apply {
        dir: PathBuf,
        #[command(flatten)]
        at: AtArg,
        /// Also delete stored segments that are not defined in DIR.
        #[arg(long)]
        prune: bool,
    },
    /// List stored segments with their stored member counts.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show a stored segment's definition.
    Show { name: String },
    /// Check a condition or definition file without storing anything.
    #[command(
        after_help = "Examples:\n  tessera segment check --where 'income > \"high\"'\n  tessera segment check segments/vip.toml"
    )]
    Check {
        /// A definition file to check.
        file: Option<PathBuf>,
        #[arg(long = "where", value_name = "CONDITION")]
        condition: Option<String>,
        /// Print the condition's JSON form.
        #[arg(long)]
        json: bool,
    },
    /// Evaluate segments and print their sizes (flagging those below their minimum size).
    #[command(
        after_help = "Examples:\n  tessera segment size                      # every stored segment\n  tessera segment size vip lapsed --at 2026-10-01\n  tessera segment size --where 'count(Order Completed in last 30d) >= 2'
  tessera segment size --plot sizes.svg\n  tessera segment size --where 'age < 30' --where 'age >= 30' --timings 11   # one load"
    )]
    Size {
        names: Vec<String>,
        #[command(flatten)]
        conditions: WhereArgs,
        #[command(flatten)]
        at: AtArg,
        #[arg(long)]
        json: bool,
        /// Evaluate each segment this many times and report the median evaluation time.
        #[arg(long, value_name = "RUNS")]
        timings: Option<u32>,
        /// Chart the sizes as horizontal bars (.svg or .png).
        #[arg(long, value_name = "FILE")]
        plot: Option<PathBuf>,
        /// Also print where the loaded engine's memory goes (largest tables and columns).
        #[arg(long)]
        memory: bool,
    },
    /// Export a segment's members as CSV or JSON Lines.
    #[command(
        after_help = "Examples:\n  tessera segment members vip --format csv --output vip.csv\n  tessera segment members vip --consent advertising --format jsonl"
    )]
    Members {
        name: Option<String>,
        #[command(flatten)]
        condition: WhereArg,
        #[command(flatten)]
        at: AtArg,
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
        /// Keep only members who granted this purpose.
        #[arg(long)]
        consent: Option<ConsentPurpose>,
        /// Add these traits as columns (comma-separated): stored traits, computed traits,
        /// `rfm.*`, `local_hour`, `local_weekday`, `last_location`, as of `--at`.
        #[arg(long, value_delimiter = ',', value_name = "NAMES")]
        traits: Vec<String>,
    },
    /// Explain, condition by condition, why a profile is or is not in a segment.
    #[command(
        after_help = "Example:\n  tessera segment explain high_intent_no_purchase user_id:C0000042 --at 2026-11-01"
    )]
    Explain {
        /// `SEGMENT PROFILE`, or just `PROFILE` with `--where`. A profile is `kind:value`, a bare
        /// user id, or `#N`.
        #[arg(num_args = 1..=2, required = true, value_names = ["SEGMENT", "PROFILE"])]
        targets: Vec<String>,
        #[command(flatten)]
        condition: WhereArg,
        #[command(flatten)]
        at: AtArg,
    },
    /// Pairwise overlap of segments: intersection counts and Jaccard indexes.
    #[command(
        after_help = "Examples:\n  tessera segment overlap vip lapsed runners\n  tessera segment overlap --where 'age < 30' --where 'income > 75000' --timings 11\n  tessera segment overlap --plot overlap.svg"
    )]
    Overlap {
        /// Segments to compare (default: every stored segment).
        names: Vec<String>,
        #[command(flatten)]
        conditions: WhereArgs,
        #[command(flatten)]
        at: AtArg,
        #[arg(long)]
        json: bool,
        /// Compute the whole matrix (every segment's members, then every intersection) this
        /// many times and report the median time.
        #[arg(long, value_name = "RUNS")]
        timings: Option<u32>,
        /// Chart the Jaccard indexes as a labelled heatmap (.svg or .png).
        #[arg(long, value_name = "FILE")]
        plot: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct AtArg {
    /// Evaluate as of this instant (RFC 3339 or date; default now).
    #[arg(long)]
    at: Option<String>,
}

#[derive(Debug, Args)]
pub struct WhereArg {
    /// An ad-hoc condition instead of a stored segment.
    #[arg(long = "where", value_name = "CONDITION")]
    condition: Option<String>,
}

#[derive(Debug, Args)]
pub struct WhereArgs {
    /// An ad-hoc condition instead of stored segments. Repeat it to evaluate several
    /// conditions on one load of the store; they are named `(where 1)`, `(where 2)`, … in
    /// the output (a single one is `(where)`).
    #[arg(long = "where", value_name = "CONDITION")]
    conditions: Vec<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Jsonl,
}

pub fn run(data: &Path, command: SegmentCommand) -> Result<ExitCode> {
    match command {
        SegmentCommand::Plan { dir, at, json } => {
            plan_or_apply(data, &dir, &at, false, false, json)
        }
        SegmentCommand::Apply { dir, at, prune } => {
            plan_or_apply(data, &dir, &at, true, prune, false)
        }
        SegmentCommand::List { json } => list(data, json),
        SegmentCommand::Show { name } => {
            let store = super::open(data)?;
            let s = store.segment(&name)?;
            outln!("name:        {}\ndescription: {}\nmin_size:    {}\nupdated:     {}\ncondition:\n  {}", s.name, s.description, s.min_size, format_millis(s.updated_at), s.condition);
            Ok(ExitCode::SUCCESS)
        }
        SegmentCommand::Check {
            file,
            condition,
            json,
        } => check_command(data, file, condition, json),
        SegmentCommand::Size {
            names,
            conditions,
            at,
            json,
            timings,
            plot,
            memory,
        } => size(
            data,
            names,
            &conditions.conditions,
            &at,
            SizeOutput {
                json,
                timings,
                plot: plot.as_deref(),
                memory,
            },
        ),
        SegmentCommand::Members {
            name,
            condition,
            at,
            format,
            output,
            consent,
            traits,
        } => super::members::members(
            data,
            super::members::Request {
                name,
                condition: condition.condition,
                at,
                format,
                output,
                consent,
                traits,
            },
        ),
        SegmentCommand::Explain {
            mut targets,
            condition,
            at,
        } => {
            let profile = targets.pop().expect("clap requires at least one value");
            explain(data, targets.pop(), &profile, condition, &at)
        }
        SegmentCommand::Overlap {
            names,
            conditions,
            at,
            json,
            timings,
            plot,
        } => overlap(
            data,
            names,
            &conditions.conditions,
            &at,
            json,
            timings,
            plot.as_deref(),
        ),
    }
}

/// Loads the store as of `--at`, telling the user how long it took.
pub fn load_snapshot(store: &Store, at: &AtArg) -> Result<Snapshot> {
    let instant = super::at_or_now(at.at.as_deref())?;
    let started = std::time::Instant::now();
    let snapshot = super::loading(|| Snapshot::load(store, instant))
        .context("loading the store into the engine")?;
    eprintln!(
        "loaded {} profiles as of {} in {:.2}s{}",
        snapshot.index.len(),
        format_millis(instant),
        started.elapsed().as_secs_f64(),
        memory_note()
    );
    Ok(snapshot)
}

/// `; resident X MiB (peak Y MiB)` from /proc/self/status where there is one (Linux): what the
/// loaded engine holds, next to the load's high-water mark.
fn memory_note() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return String::new();
    };
    let kib = |field: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(field))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    match (kib("VmRSS:"), kib("VmHWM:")) {
        (Some(rss), Some(peak)) => {
            format!("; resident {} MiB (peak {} MiB)", rss / 1024, peak / 1024)
        }
        _ => String::new(),
    }
}

fn plan_or_apply(
    data: &Path,
    dir: &Path,
    at: &AtArg,
    apply: bool,
    prune: bool,
    json: bool,
) -> Result<ExitCode> {
    let mut store = super::open(data)?;
    // Check the definitions before the (slower) load of the data.
    let catalog = tessera_service::catalog(&store)?;
    let definitions = match tessera_service::load_definitions(dir, &catalog) {
        Ok(definitions) => definitions,
        Err(tessera_service::Error::Definitions(rendered)) => {
            eprintln!("{rendered}");
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    let snapshot = load_snapshot(&store, at)?;
    for def in &definitions {
        for warning in &def.warnings {
            eprintln!("{warning}");
        }
    }
    let entries = tessera_service::plan(&store, &snapshot, &definitions)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&entries)?);
    } else {
        let mut table = Table::new(&["segment", "status", "size", "enter", "leave", "note"]);
        for e in &entries {
            let status = match e.status {
                PlanStatus::New => "new",
                PlanStatus::Changed => "changed",
                PlanStatus::Unchanged => "unchanged",
                PlanStatus::NotInDirectory if prune && apply => "deleted",
                PlanStatus::NotInDirectory => "not in dir",
            };
            table.row(vec![
                e.name.clone(),
                status.into(),
                e.size.to_string(),
                format!("+{}", e.entering),
                format!("-{}", e.leaving),
                min_size_note(e.size, e.min_size),
            ]);
        }
        out!("{}", table.render());
    }
    if apply {
        tessera_service::apply(&mut store, &snapshot, &definitions, &entries, prune)?;
        outln!("applied {} segment definitions", definitions.len());
    }
    Ok(ExitCode::SUCCESS)
}

fn min_size_note(size: u64, min_size: u64) -> String {
    if size < min_size {
        format!("over-segmented: below min_size {min_size}")
    } else {
        String::new()
    }
}

fn list(data: &Path, json: bool) -> Result<ExitCode> {
    let store = super::open(data)?;
    let segments = store.segments()?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&segments)?);
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new(&["segment", "stored members", "updated", "description"]);
    for s in &segments {
        table.row(vec![
            s.name.clone(),
            store.members(&s.name)?.len().to_string(),
            format_millis(s.updated_at),
            s.description.clone(),
        ]);
    }
    out!("{}", table.render());
    Ok(ExitCode::SUCCESS)
}

/// Parses and checks an ad-hoc condition (text or JSON); all errors are printed with carets.
pub(crate) fn checked_condition(text: &str, catalog: &tessera_lang::Catalog) -> Result<Expr> {
    let (expr, diagnostics) = tessera_service::analyse(text, catalog);
    if !diagnostics.is_empty() {
        eprint!("{}", render(&diagnostics, "--where", text));
    }
    if has_errors(&diagnostics) {
        bail!("the condition has errors (see above)");
    }
    Ok(expr)
}

/// The conditions to evaluate: stored segments by name, or the `--where` conditions (named
/// `(where)` when there is one, `(where 1)`, `(where 2)`, … when there are several).
pub(super) fn conditions(
    store: &Store,
    snapshot: &Snapshot,
    names: &[String],
    texts: &[String],
) -> Result<Vec<(String, Expr, u64)>> {
    if !texts.is_empty() {
        if !names.is_empty() {
            bail!("give segment names or --where, not both");
        }
        return texts
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let name = if texts.len() == 1 {
                    "(where)".to_string()
                } else {
                    format!("(where {})", i + 1)
                };
                Ok((
                    name,
                    checked_condition(text, &snapshot.catalog)?,
                    DEFAULT_MIN_SIZE,
                ))
            })
            .collect();
    }
    let stored = if names.is_empty() {
        store.segments()?
    } else {
        names
            .iter()
            .map(|n| store.segment(n))
            .collect::<Result<_, _>>()?
    };
    stored
        .into_iter()
        .map(|s| {
            let parsed = parse(&s.condition);
            if has_errors(&parsed.diagnostics) {
                bail!(
                    "stored segment `{}` no longer parses:\n{}",
                    s.name,
                    render(&parsed.diagnostics, &s.name, &s.condition)
                );
            }
            Ok((s.name, parsed.expr, s.min_size))
        })
        .collect()
}

/// What `segment size` prints and writes besides the sizes.
struct SizeOutput<'a> {
    json: bool,
    timings: Option<u32>,
    plot: Option<&'a Path>,
    memory: bool,
}

fn size(
    data: &Path,
    names: Vec<String>,
    condition: &[String],
    at: &AtArg,
    output: SizeOutput<'_>,
) -> Result<ExitCode> {
    let SizeOutput {
        json,
        timings,
        plot,
        memory,
    } = output;
    if let Some(plot) = plot {
        super::discover::check_output(plot, "--plot")?;
    }
    let store = super::open(data)?;
    let snapshot = load_snapshot(&store, at)?;
    let population = snapshot.index.len() as u64;
    let mut sizes = Vec::new();
    let mut medians = Vec::new();
    for (name, expr, min_size) in conditions(&store, &snapshot, &names, condition)? {
        let runs = timings.unwrap_or(1).max(1);
        let mut times = Vec::with_capacity(runs as usize);
        let mut members = RoaringBitmap::new();
        for _ in 0..runs {
            let started = std::time::Instant::now();
            members = snapshot.evaluate(&expr)?;
            times.push(started.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        medians.push((
            name.clone(),
            times[times.len() / 2],
            times[0],
            times[times.len() - 1],
        ));
        sizes.push(SegmentSize::new(&name, members.len(), population, min_size));
    }
    if memory {
        print_memory(&snapshot.index);
    }
    if let Some(path) = plot {
        let chart = tessera_discover::chart::Bars {
            title: format!("Segment sizes of {population} profiles"),
            x_label: "profiles".into(),
            names: sizes.iter().map(|s| s.name.clone()).collect(),
            values: sizes.iter().map(|s| s.size as f64).collect(),
        };
        tessera_discover::chart::save(&chart, path)?;
        eprintln!("wrote {}", path.display());
    }
    if json {
        outln!("{}", serde_json::to_string_pretty(&sizes)?);
    } else {
        print_sizes(&sizes);
    }
    if let Some(runs) = timings {
        let mut table = Table::new(&["segment", "median ms", "min ms", "max ms"]);
        for (name, median, min, max) in &medians {
            table.row(vec![
                name.clone(),
                format!("{median:.2}"),
                format!("{min:.2}"),
                format!("{max:.2}"),
            ]);
        }
        outln!("\nevaluation time over {runs} runs (the store already loaded)");
        out!("{}", table.render());
    }
    Ok(ExitCode::SUCCESS)
}

pub fn print_sizes(sizes: &[SegmentSize]) {
    let mut table = Table::new(&["segment", "size", "share", "note"]);
    for s in sizes {
        table.row(vec![
            s.name.clone(),
            s.size.to_string(),
            format!("{:.2}%", s.share * 100.0),
            min_size_note(s.size, s.min_size),
        ]);
    }
    out!("{}", table.render());
}

fn explain(
    data: &Path,
    name: Option<String>,
    profile: &str,
    condition: WhereArg,
    at: &AtArg,
) -> Result<ExitCode> {
    let store = super::open(data)?;
    let instant = super::at_or_now(at.at.as_deref())?;
    let profile_id = store.resolve_profile(profile)?;
    let expr = match (&name, &condition.condition) {
        (Some(_), Some(_)) => bail!("give a segment name or --where, not both"),
        (Some(name), None) => {
            let s = store.segment(name)?;
            parse(&s.condition).expr
        }
        (None, Some(text)) => checked_condition(text, &tessera_service::catalog(&store)?)?,
        (None, None) => bail!("name a segment or give --where CONDITION"),
    };
    let expr = tessera_service::References::load(&store)?.expand(&expr)?;
    let data = tessera_service::load_profile_for(&store, &expr, profile_id, instant)?;
    let explanation = tessera_engine::interpreter::explain(&expr, &data, instant);
    outln!("profile #{profile_id} as of {}:", format_millis(instant));
    out!("{explanation}");
    outln!(
        "=> {}",
        if explanation.held {
            "member"
        } else {
            "not a member"
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn overlap(
    data: &Path,
    names: Vec<String>,
    texts: &[String],
    at: &AtArg,
    json: bool,
    timings: Option<u32>,
    plot: Option<&Path>,
) -> Result<ExitCode> {
    if let Some(plot) = plot {
        super::discover::check_output(plot, "--plot")?;
    }
    let store = super::open(data)?;
    let snapshot = load_snapshot(&store, at)?;
    let conditions = conditions(&store, &snapshot, &names, texts)?;
    let labels: Vec<String> = conditions.iter().map(|(name, _, _)| name.clone()).collect();
    let runs = timings.unwrap_or(1).max(1);
    let mut times = Vec::with_capacity(runs as usize);
    let mut overlap = None;
    for _ in 0..runs {
        let started = std::time::Instant::now();
        let exprs: Vec<&Expr> = conditions.iter().map(|(_, expr, _)| expr).collect();
        let sets = snapshot.evaluate_all(&exprs)?;
        overlap = Some(tessera_service::Overlap::compute(labels.clone(), &sets));
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    let overlap = overlap.expect("at least one run");
    if let Some(path) = plot {
        let chart = tessera_discover::chart::Heatmap {
            title: "Overlap (Jaccard index)".into(),
            names: overlap.names.clone(),
            values: overlap.jaccard.clone(),
        };
        tessera_discover::chart::save(&chart, path)?;
        eprintln!("wrote {}", path.display());
    }
    if json {
        outln!("{}", serde_json::to_string_pretty(&overlap)?);
    } else {
        out!("{}", render_overlap(&overlap));
    }
    if let Some(runs) = timings {
        times.sort_by(f64::total_cmp);
        let mut table = Table::new(&["matrix", "median ms", "min ms", "max ms"]);
        table.row(vec![
            format!("{} segments", labels.len()),
            format!("{:.2}", times[times.len() / 2]),
            format!("{:.2}", times[0]),
            format!("{:.2}", times[times.len() - 1]),
        ]);
        outln!("\nevaluation time over {runs} runs (the store already loaded; every segment's members, then every intersection)");
        out!("{}", table.render());
    }
    Ok(ExitCode::SUCCESS)
}

/// The engine's memory by kind, and its 20 largest parts (on standard error).
fn print_memory(index: &tessera_engine::Index) {
    let parts = index.memory_report();
    let mib = |b: u64| format!("{:.1}", b as f64 / 1048576.0);
    let mut totals = Table::new(&["memory of the engine", "MiB"]);
    for (kind, bytes) in tessera_engine::memory::totals(&parts) {
        totals.row(vec![kind.to_string(), mib(bytes)]);
    }
    let mut largest = Table::new(&["part", "rows", "MiB", "bytes per row"]);
    for part in parts.iter().take(20) {
        largest.row(vec![
            part.part.clone(),
            part.rows.to_string(),
            mib(part.bytes),
            format!("{:.1}", part.bytes as f64 / part.rows.max(1) as f64),
        ]);
    }
    eprint!("{}\n{}", totals.render(), largest.render());
}

/// Two matrices: counts of profiles in both segments, then Jaccard indexes.
pub fn render_overlap(overlap: &tessera_service::Overlap) -> String {
    let short: Vec<String> = (1..=overlap.names.len()).map(|i| format!("#{i}")).collect();
    let mut header: Vec<&str> = vec!["", "segment"];
    header.extend(short.iter().map(String::as_str));
    let mut counts = Table::new(&header);
    let mut jaccard = Table::new(&header);
    for (i, name) in overlap.names.iter().enumerate() {
        let mut c = vec![short[i].clone(), name.clone()];
        let mut j = c.clone();
        for k in 0..overlap.names.len() {
            c.push(overlap.intersections[i][k].to_string());
            j.push(format!("{:.3}", overlap.jaccard[i][k]));
        }
        counts.row(c);
        jaccard.row(j);
    }
    format!(
        "profiles in both (diagonal: size)\n{}\nJaccard index |A∩B| / |A∪B|\n{}",
        counts.render(),
        jaccard.render()
    )
}

fn check_command(
    data: &Path,
    file: Option<PathBuf>,
    condition: Option<String>,
    json: bool,
) -> Result<ExitCode> {
    let store = super::open(data)?;
    let catalog = tessera_service::catalog(&store)?;
    match (file, condition) {
        (Some(path), None) => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            match tessera_service::parse_definition(&path, &text, &catalog) {
                Ok(def) => {
                    for w in &def.warnings {
                        eprintln!("{w}");
                    }
                    outln!("{}: ok\n  {}", path.display(), def.condition);
                    if json {
                        outln!("{}", serde_json::to_string_pretty(&def.condition)?);
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprint!("{}", e.0);
                    Ok(ExitCode::from(1))
                }
            }
        }
        (None, Some(text)) => {
            let (expr, diagnostics) = tessera_service::analyse(&text, &catalog);
            if !diagnostics.is_empty() {
                eprint!("{}", render(&diagnostics, "--where", &text));
            }
            if has_errors(&diagnostics) {
                return Ok(ExitCode::from(1));
            }
            outln!("ok\n  {expr}");
            if json {
                outln!("{}", serde_json::to_string_pretty(&expr)?);
            }
            Ok(ExitCode::SUCCESS)
        }
        _ => bail!("give a definition file or --where CONDITION"),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::SegmentCommand;

    #[derive(Debug, Parser)]
    struct Segment {
        #[command(subcommand)]
        command: SegmentCommand,
    }

    #[test]
    fn size_and_overlap_take_several_conditions() {
        let parsed = Segment::try_parse_from([
            "segment",
            "size",
            "--where",
            "age < 30",
            "--where",
            "age >= 30",
            "--timings",
            "3",
        ])
        .unwrap();
        match parsed.command {
            SegmentCommand::Size {
                conditions,
                timings,
                ..
            } => {
                assert_eq!(conditions.conditions, ["age < 30", "age >= 30"]);
                assert_eq!(timings, Some(3));
            }
            other => panic!("{other:?}"),
        }
        let parsed = Segment::try_parse_from([
            "segment",
            "overlap",
            "--where",
            "age < 30",
            "--timings",
            "5",
        ])
        .unwrap();
        match parsed.command {
            SegmentCommand::Overlap {
                names,
                conditions,
                timings,
                ..
            } => {
                assert!(names.is_empty());
                assert_eq!(conditions.conditions, ["age < 30"]);
                assert_eq!(timings, Some(5));
            }
            other => panic!("{other:?}"),
        }
    }
}
