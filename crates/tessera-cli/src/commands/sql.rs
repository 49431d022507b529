//! `tessera sql`: a segment compiled to one warehouse query that returns its members'
//! `profile_id`s, over the tables `tessera export warehouse` writes.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use tessera_lang::{has_errors, parse, render, Expr};
use tessera_sql::{compile, Dialect};
use tessera_store::Store;

#[derive(Debug, Args)]
pub struct SqlArgs {
    /// A stored segment to compile (or use --where).
    segment: Option<String>,
    /// An ad-hoc condition instead of a stored segment.
    #[arg(long = "where", value_name = "CONDITION")]
    condition: Option<String>,
    /// The warehouse's SQL dialect.
    #[arg(long, value_enum)]
    dialect: SqlDialect,
    /// Compile as of this instant (RFC 3339 or date; default now): windows and "ago" are
    /// measured from it, and later events are ignored.
    #[arg(long)]
    at: Option<String>,
    /// Print the query on one line instead of indented.
    #[arg(long)]
    compact: bool,
    /// Print the `CREATE TABLE` statements of the warehouse schema instead of a query.
    #[arg(long, conflicts_with_all = ["segment", "condition", "at"])]
    create_tables: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SqlDialect {
    Duckdb,
    Postgres,
    Spark,
    Bigquery,
    Snowflake,
    Clickhouse,
}

impl From<SqlDialect> for Dialect {
    fn from(d: SqlDialect) -> Dialect {
        match d {
            SqlDialect::Duckdb => Dialect::DuckDb,
            SqlDialect::Postgres => Dialect::Postgres,
            SqlDialect::Spark => Dialect::Spark,
            SqlDialect::Bigquery => Dialect::BigQuery,
            SqlDialect::Snowflake => Dialect::Snowflake,
            SqlDialect::Clickhouse => Dialect::ClickHouse,
        }
    }
}

pub fn run(data: &Path, args: SqlArgs) -> Result<ExitCode> {
    if args.create_tables {
        for statement in tessera_sql::warehouse::create_tables(args.dialect.into()) {
            outln!("{statement};");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let store = super::open(data)?;
    let at = super::at_or_now(args.at.as_deref())?;
    let expr = segment_condition(&store, args.segment.as_deref(), args.condition.as_deref())?;
    let query = compile(&expr, at, args.dialect.into())?;
    if args.compact {
        outln!("{query};");
    } else {
        outln!("{query:#};");
    }
    Ok(ExitCode::SUCCESS)
}

/// The condition of a stored segment or of `--where` (checked against the store's catalog),
/// with references to other segments and to places expanded, as evaluation sees it.
pub(crate) fn segment_condition(
    store: &Store,
    segment: Option<&str>,
    condition: Option<&str>,
) -> Result<Expr> {
    let expr = match (segment, condition) {
        (Some(_), Some(_)) => bail!("give a segment name or --where, not both"),
        (None, None) => bail!("name a segment or give --where CONDITION"),
        (Some(name), None) => {
            let stored = store.segment(name)?;
            let parsed = parse(&stored.condition);
            if has_errors(&parsed.diagnostics) {
                bail!(
                    "stored segment `{name}` no longer parses:\n{}",
                    render(&parsed.diagnostics, name, &stored.condition)
                );
            }
            parsed.expr
        }
        (None, Some(text)) => {
            let catalog = tessera_service::catalog(store)?;
            super::segment::checked_condition(text, &catalog)?
        }
    };
    tessera_service::References::load(store)?
        .expand(&expr)
        .context("expanding the segment's references to other segments and places")
}
