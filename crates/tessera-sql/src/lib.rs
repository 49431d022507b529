//! Segments compiled to warehouse SQL: one standalone query per segment that returns the
//! members' `profile_id`s as of an instant, over the tables `tessera export warehouse` writes
//! (described in `docs/warehouse.md`).
//!
//! ```text
//!  tessera_lang::Expr ──compile(expr, at, dialect)──▶ sqlparser::ast::Query ──Display──▶ SQL text
//!                          │                                   (quoting and escaping are sqlparser's)
//!                          └─ Dialect::flavor(): the one place per warehouse where SQL differs
//! ```
//!
//! The interpreter in `tessera-engine` is the specification: the SQL gives the same members on
//! the same data (tested against real DuckDB and PostgreSQL in `tests/differential.rs`). A
//! condition a dialect cannot express exactly is refused with [`SqlError::Unsupported`] rather
//! than approximated.
//!
//! ```
//! use tessera_sql::{compile, Dialect};
//!
//! let segment = tessera_lang::parse("age >= 30 and did(Order Completed in last 7d)").expr;
//! let at = tessera_model::parse_timestamp("2026-10-01").unwrap();
//! let sql = compile(&segment, at, Dialect::Postgres).unwrap().to_string();
//! assert!(sql.starts_with("WITH c1 AS (SELECT t.profile_id, 1 AS matched FROM traits AS t"));
//! assert!(sql.ends_with("ORDER BY p.profile_id"));
//! ```

mod build;
mod compile;
mod dialect;
mod error;
mod value;
pub mod warehouse;

pub use dialect::Dialect;
pub use error::{Result, SqlError};
pub use sqlparser;

use sqlparser::ast::Query;
use tessera_lang::Expr;
use tessera_model::Millis;

/// The query returning the `profile_id`s of the profiles for which `expr` holds as of `at`,
/// in ascending order, in `dialect`. Print it with `to_string()` (one line) or `{:#}`
/// (indented).
pub fn compile(expr: &Expr, at: Millis, dialect: Dialect) -> Result<Query> {
    compile::Compiler::new(dialect, at).query(expr)
}
