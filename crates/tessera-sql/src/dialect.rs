//! The supported warehouses, and the one place per warehouse where its SQL differs.
//!
//! The compiler is written once against [`Flavor`]; each dialect implements it in its own file
//! under `dialect/`: how JSON properties are read and typed, how numbers are cast, how strings
//! are quoted, searched and ordered, and the column types of the warehouse tables. Everything
//! else (the query's shape, windows, two-valued logic) is shared.

mod bigquery;
mod clickhouse;
mod duckdb;
mod postgres;
mod snowflake;
mod spark;

use std::fmt;
use std::str::FromStr;

use sqlparser::ast::helpers::stmt_create_table::CreateTableBuilder;
use sqlparser::ast::{DataType, Expr};

use crate::build::single_quoted;

/// A SQL dialect the compiler can target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dialect {
    DuckDb,
    Postgres,
    /// Spark SQL 4.0 or later (Databricks): properties are read as `VARIANT`.
    Spark,
    BigQuery,
    Snowflake,
    ClickHouse,
}

impl Dialect {
    pub const ALL: [Dialect; 6] = [
        Dialect::DuckDb,
        Dialect::Postgres,
        Dialect::Spark,
        Dialect::BigQuery,
        Dialect::Snowflake,
        Dialect::ClickHouse,
    ];

    /// The name used on the command line and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::DuckDb => "duckdb",
            Dialect::Postgres => "postgres",
            Dialect::Spark => "spark",
            Dialect::BigQuery => "bigquery",
            Dialect::Snowflake => "snowflake",
            Dialect::ClickHouse => "clickhouse",
        }
    }

    /// sqlparser's dialect for reading this dialect's SQL back (Spark SQL is read as Hive's,
    /// which is what sqlparser offers for it).
    pub fn parser_dialect(self) -> Box<dyn sqlparser::dialect::Dialect> {
        use sqlparser::dialect as d;
        match self {
            Dialect::DuckDb => Box::new(d::DuckDbDialect {}),
            Dialect::Postgres => Box::new(d::PostgreSqlDialect {}),
            Dialect::Spark => Box::new(d::HiveDialect {}),
            Dialect::BigQuery => Box::new(d::BigQueryDialect {}),
            Dialect::Snowflake => Box::new(d::SnowflakeDialect {}),
            Dialect::ClickHouse => Box::new(d::ClickHouseDialect {}),
        }
    }

    pub(crate) fn flavor(self) -> &'static dyn Flavor {
        match self {
            Dialect::DuckDb => &duckdb::DuckDb,
            Dialect::Postgres => &postgres::Postgres,
            Dialect::Spark => &spark::Spark,
            Dialect::BigQuery => &bigquery::BigQuery,
            Dialect::Snowflake => &snowflake::Snowflake,
            Dialect::ClickHouse => &clickhouse::ClickHouse,
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Dialect::ALL
            .into_iter()
            .find(|d| d.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Dialect::ALL.iter().map(|d| d.name()).collect();
                format!(
                    "unknown dialect `{s}`: expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// The kinds of JSON value a property test distinguishes (objects and nulls only exist).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonKind {
    String,
    Number,
    Bool,
    Array,
}

/// The logical column types of the warehouse tables (see [`crate::warehouse`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// 64-bit integers: ids and epoch milliseconds.
    BigInt,
    /// IEEE 754 doubles.
    Double,
    /// UTF-8 text (JSON documents included).
    Text,
    Boolean,
}

/// What differs between dialects. JSON values are whatever the dialect's JSON functions take
/// and return (a `JSON`/`JSONB`/`VARIANT` value, or raw JSON text for ClickHouse); a missing
/// value may be SQL `NULL` or the dialect's "nothing", and every test built from these
/// methods is read through [`crate::build::known`], so either is false.
pub(crate) trait Flavor: Sync {
    /// The type numbers are compared in (IEEE double, like Tessera's).
    fn double(&self) -> DataType;

    /// A string literal. The default, a single-quoted literal, is right where backslashes are
    /// ordinary characters (standard SQL strings).
    fn string(&self, s: &str) -> Expr {
        single_quoted(s)
    }

    /// An expression ordered by its UTF-8 bytes in `<`, `>`, `between` (Tessera compares
    /// strings by bytes). Only dialects whose default ordering follows a locale change it.
    fn bytewise(&self, e: Expr) -> Expr {
        e
    }

    /// Whether `s` starts with the (non-empty) `prefix`.
    fn starts_with(&self, s: Expr, prefix: Expr) -> Expr;

    /// Whether `s` contains the (non-empty) `part`.
    fn contains(&self, s: Expr, part: Expr) -> Expr;

    /// The JSON document of an `events.properties` text column.
    fn json_doc(&self, properties: Expr) -> Expr;

    /// The value reached from `doc` through object members `keys`, absent when a step is not
    /// an object or lacks the key (never an array index). `Err` explains a key the dialect
    /// cannot address.
    fn json_path(&self, doc: Expr, keys: &[&str]) -> Result<Expr, String>;

    /// The value is there and is not JSON `null`.
    fn json_present(&self, v: Expr) -> Expr;

    /// The value is of `kind`.
    fn json_is(&self, v: Expr, kind: JsonKind) -> Expr;

    /// A JSON string's text (only asked of strings).
    fn json_text(&self, v: Expr) -> Expr;

    /// A JSON number as a double (only asked of numbers).
    fn json_number(&self, v: Expr) -> Expr;

    /// A JSON boolean (only asked of booleans).
    fn json_bool(&self, v: Expr) -> Expr;

    /// Whether any element of the JSON array `v`, bound to the name `element`, satisfies
    /// `test` (which refers to it as the identifier `element`).
    fn json_any_element(&self, v: Expr, element: &str, test: Expr) -> Expr;

    /// A warehouse column's type; `nullable` for columns that may hold `NULL`.
    fn column_type(&self, ty: ColumnType, nullable: bool) -> DataType;

    /// Clauses a `CREATE TABLE` of the warehouse needs in this dialect (ClickHouse's engine).
    fn finish_create_table(
        &self,
        table: CreateTableBuilder,
        _sort_key: &str,
    ) -> CreateTableBuilder {
        table
    }
}

/// Whether a string can be written as a plain single-quoted literal in the dialects where a
/// backslash starts an escape (Spark, BigQuery, Snowflake, ClickHouse) and `''` is not a
/// quote everywhere: no quote, no backslash, no control character.
pub(crate) fn plain_in_escaping_dialects(s: &str) -> bool {
    !s.chars().any(|c| c == '\'' || c == '\\' || c.is_control())
}

/// The UTF-8 bytes of `s` in hexadecimal, for the dialects' hex-decoding functions: a string
/// that needs escaping is written as `unhex('…')` (or the dialect's equivalent) instead, so
/// that no escaping convention has to be trusted.
pub(crate) fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_needing_escapes_are_recognised_and_hex_encoded() {
        assert!(plain_in_escaping_dialects("urban Zoë"));
        for s in ["it's", "back\\slash", "line\nbreak", "tab\t"] {
            assert!(!plain_in_escaping_dialects(s), "{s}");
        }
        assert_eq!(hex("it's"), "69742773");
        assert_eq!(hex("é"), "C3A9");
    }
}
