//! The warehouse schema the compiled queries read: its tables, their `CREATE TABLE`
//! statements per dialect, and a writer of them as CSV or Parquet files (used by
//! `tessera export warehouse`).
//!
//! The schema, with the reasons for it, is documented in `docs/warehouse.md`. In short:
//! time is epoch milliseconds (UTC) in `BIGINT`s so that no dialect's timestamp or time zone
//! rules take part; traits are current values, one row per (profile, trait), typed by the
//! `type` column; event properties are JSON text, as Tessera received them.

mod csv;
mod parquet;
mod writer;

pub use self::writer::{Format, RowCounts, WarehouseWriter};
pub use crate::dialect::ColumnType;

use sqlparser::ast::helpers::stmt_create_table::CreateTableBuilder;
use sqlparser::ast::{ColumnDef, ColumnOption, ColumnOptionDef, Statement};

use crate::build::{ident, object_name};
use crate::Dialect;

/// A column of a warehouse table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColumnType,
    /// Whether the column may be `NULL` (empty in CSV).
    pub nullable: bool,
}

/// A warehouse table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [Column],
    /// The column rows are clustered by where a dialect asks for one (ClickHouse).
    pub sort_key: &'static str,
}

const fn column(name: &'static str, ty: ColumnType) -> Column {
    Column {
        name,
        ty,
        nullable: false,
    }
}

const fn nullable(name: &'static str, ty: ColumnType) -> Column {
    Column {
        name,
        ty,
        nullable: true,
    }
}

use ColumnType::{BigInt, Boolean, Double, Text};

/// Canonical profiles (people) that existed at the export's instant.
pub const PROFILES: Table = Table {
    name: "profiles",
    columns: &[column("profile_id", BigInt)],
    sort_key: "profile_id",
};

/// Current trait values: one row per profile and trait that has a value. `type` is one of
/// `string`, `number`, `bool`, `timestamp`, `geo`, `string_list`, and says which value
/// column is set (`geo`: `geo_lat` and `geo_lon`; `string_list`: the elements are in
/// `trait_items`).
pub const TRAITS: Table = Table {
    name: "traits",
    columns: &[
        column("profile_id", BigInt),
        column("name", Text),
        column("type", Text),
        nullable("string_value", Text),
        nullable("number_value", Double),
        nullable("boolean_value", Boolean),
        nullable("timestamp_value", BigInt),
        nullable("geo_lat", Double),
        nullable("geo_lon", Double),
    ],
    sort_key: "profile_id",
};

/// The elements of `string_list` traits, in list order (`item_index` from 0).
pub const TRAIT_ITEMS: Table = Table {
    name: "trait_items",
    columns: &[
        column("profile_id", BigInt),
        column("name", Text),
        column("item_index", BigInt),
        column("item", Text),
    ],
    sort_key: "profile_id",
};

/// Identifiers of each canonical profile (merged records included).
pub const IDENTIFIERS: Table = Table {
    name: "identifiers",
    columns: &[
        column("profile_id", BigInt),
        column("kind", Text),
        column("value", Text),
    ],
    sort_key: "profile_id",
};

/// Behavioural events (track, page, screen) attributed to canonical profiles; `properties`
/// is a JSON object as text. `seq` is the event's position in the export (0, 1, 2, … in the
/// order the events were written, which is the store's order): events of a profile at the
/// same `ts` are ordered by it, as Tessera orders them (`first`, `last`, `most_frequent`).
pub const EVENTS: Table = Table {
    name: "events",
    columns: &[
        column("profile_id", BigInt),
        column("name", Text),
        column("ts", BigInt),
        column("seq", BigInt),
        column("properties", Text),
    ],
    sort_key: "profile_id",
};

/// Places for geographic conditions; `tags` is a JSON array of strings as text.
pub const PLACES: Table = Table {
    name: "places",
    columns: &[
        column("name", Text),
        column("lat", Double),
        column("lon", Double),
        column("tags", Text),
    ],
    sort_key: "name",
};

/// Every table, in the order they are written and created.
pub const TABLES: [Table; 6] = [PROFILES, TRAITS, TRAIT_ITEMS, IDENTIFIERS, EVENTS, PLACES];

/// `CREATE TABLE` statements for every warehouse table in `dialect` (print each with
/// `to_string()` and end it with `;`).
pub fn create_tables(dialect: Dialect) -> Vec<Statement> {
    let flavor = dialect.flavor();
    TABLES
        .iter()
        .map(|table| {
            let columns = table
                .columns
                .iter()
                .map(|c| ColumnDef {
                    name: ident(c.name),
                    data_type: flavor.column_type(c.ty, c.nullable),
                    options: if c.nullable {
                        Vec::new()
                    } else {
                        vec![ColumnOptionDef {
                            name: None,
                            option: ColumnOption::NotNull,
                        }]
                    },
                })
                .collect();
            let builder = CreateTableBuilder::new(object_name(&[table.name])).columns(columns);
            Statement::CreateTable(flavor.finish_create_table(builder, table.sort_key).build())
        })
        .collect()
}
