//! `tessera warehouse run`: stored segments evaluated where the data lives. Each segment is
//! compiled to SQL (`tessera sql`), run in the warehouse, and the profile ids it returns are
//! stored back as the segment's members, with who entered and who left in the history, as
//! `tessera segment apply` does with Tessera's own evaluation.
//!
//! PostgreSQL only for now, through its `psql` client (no database driver is linked in): the
//! query goes to `psql` on standard input and the ids come back one per line.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use tessera_model::format_millis;
use tessera_sql::{compile, Dialect};

use crate::table::Table;

#[derive(Debug, Subcommand)]
pub enum WarehouseCommand {
    /// Evaluate stored segments in a PostgreSQL warehouse and store their members.
    #[command(
        after_help = "Example:\n  tessera export warehouse --at 2026-10-01 wh/   # then load wh/ (docs/warehouse.md)\n  tessera warehouse run --dsn postgres://analytics@db/warehouse --schema tessera --at 2026-10-01 vip lapsed"
    )]
    Run(RunArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Stored segments to evaluate.
    #[arg(required = true)]
    segments: Vec<String>,
    /// The warehouse: a PostgreSQL connection string (`postgres://user@host:port/db`).
    #[arg(long)]
    dsn: String,
    /// The schema holding the exported tables (default: the connection's search path).
    #[arg(long)]
    schema: Option<String>,
    /// Evaluate as of this instant (RFC 3339 or date; default now); use the export's `--at`.
    #[arg(long)]
    at: Option<String>,
}

pub fn run(data: &Path, command: WarehouseCommand) -> Result<ExitCode> {
    match command {
        WarehouseCommand::Run(args) => run_segments(data, args),
    }
}

fn run_segments(data: &Path, args: RunArgs) -> Result<ExitCode> {
    if !(args.dsn.starts_with("postgres://") || args.dsn.starts_with("postgresql://")) {
        bail!("--dsn must be a PostgreSQL connection string (postgres://…): other warehouses are not supported yet; run `tessera sql` there instead");
    }
    if let Some(schema) = &args.schema {
        if schema.is_empty()
            || !schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            bail!("--schema `{schema}`: use a plain schema name (letters, digits and `_`)");
        }
    }
    let mut store = super::open(data)?;
    let at = super::at_or_now(args.at.as_deref())?;
    let mut batch = Vec::new();
    let mut table = Table::new(&["segment", "members", "entered", "left"]);
    for name in &args.segments {
        let stored = store.segment(name)?;
        let expr = super::sql::segment_condition(&store, Some(name), None)?;
        let query = compile(&expr, at, Dialect::Postgres)
            .with_context(|| format!("compiling segment `{name}`"))?;
        let members = run_query(&args.dsn, args.schema.as_deref(), &query.to_string())
            .with_context(|| format!("running segment `{name}` in the warehouse"))?;
        let before: BTreeSet<u64> = store.members(name)?.into_iter().collect();
        let after: BTreeSet<u64> = members.iter().copied().collect();
        table.row(vec![
            name.clone(),
            after.len().to_string(),
            format!("+{}", after.difference(&before).count()),
            format!("-{}", before.difference(&after).count()),
        ]);
        batch.push((stored, members));
    }
    // All segments in one transaction, as `segment apply` stores them.
    store.apply_segments(&batch, at)?;
    out!("{}", table.render());
    eprintln!(
        "stored the members of {} segments as of {}",
        batch.len(),
        format_millis(at)
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs one query with `psql` and reads the first column as profile ids.
fn run_query(dsn: &str, schema: Option<&str>, query: &str) -> Result<Vec<u64>> {
    let mut command = Command::new("psql");
    command
        .arg(dsn)
        .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(schema) = schema {
        // A server option for this session only, so the query itself stays as compiled.
        command.env("PGOPTIONS", format!("-c search_path={schema}"));
    }
    let mut child = command.spawn().context(
        "starting psql (install PostgreSQL's client: apt-get install postgresql-client)",
    )?;
    let mut stdin = child.stdin.take().context("psql's standard input")?;
    stdin.write_all(query.as_bytes())?;
    stdin.write_all(b";\n")?;
    drop(stdin);
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!(
            "psql failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| !line.is_empty())
        .map(|line| {
            line.trim()
                .parse::<u64>()
                .with_context(|| format!("the warehouse returned `{line}`, not a profile id"))
        })
        .collect()
}
