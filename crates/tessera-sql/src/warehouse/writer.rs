//! Writing the warehouse tables, one file per table, in CSV or Parquet.
//!
//! The rows are the same in both formats; only the sink differs. Files are written as the
//! store is read, so memory stays bounded (Parquet buffers one row group per table).

use std::io;
use std::path::{Path, PathBuf};

use tessera_model::{Millis, TraitValue};

use super::csv::CsvSink;
use super::parquet::ParquetSink;
use super::{Table, EVENTS, IDENTIFIERS, PLACES, PROFILES, TABLES, TRAITS, TRAIT_ITEMS};

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }
}

/// One value of a row, of the column's type (`Null` only in nullable columns).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Field<'a> {
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(&'a str),
    Null,
}

/// Where one table's rows go.
pub(crate) trait TableSink {
    fn row(&mut self, fields: &[Field<'_>]) -> io::Result<()>;
    /// Writes what is buffered and makes the file durable.
    fn finish(self: Box<Self>) -> io::Result<()>;
}

struct TableFile {
    table: Table,
    sink: Box<dyn TableSink>,
    rows: u64,
}

/// Rows written per table, in [`TABLES`] order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowCounts(pub Vec<(&'static str, u64)>);

/// Writes the warehouse tables into a directory as `<table>.<format>`.
pub struct WarehouseWriter {
    dir: PathBuf,
    files: Vec<TableFile>,
    /// The `seq` of the next event.
    next_seq: i64,
}

impl std::fmt::Debug for WarehouseWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WarehouseWriter")
            .field("dir", &self.dir)
            .finish()
    }
}

impl WarehouseWriter {
    /// Creates the directory (if needed) and one file per table; existing files of the same
    /// names are replaced.
    pub fn create(dir: &Path, format: Format) -> io::Result<WarehouseWriter> {
        std::fs::create_dir_all(dir)?;
        let mut files = Vec::new();
        for table in TABLES {
            let path = Self::path_in(dir, &table, format);
            let sink: Box<dyn TableSink> = match format {
                Format::Csv => Box::new(CsvSink::create(&path, table)?),
                Format::Parquet => Box::new(ParquetSink::create(&path, table)?),
            };
            files.push(TableFile {
                table,
                sink,
                rows: 0,
            });
        }
        Ok(WarehouseWriter {
            dir: dir.to_path_buf(),
            files,
            next_seq: 0,
        })
    }

    /// The file a table is written to.
    pub fn path_in(dir: &Path, table: &Table, format: Format) -> PathBuf {
        dir.join(format!("{}.{}", table.name, format.extension()))
    }

    fn row(&mut self, table: &Table, fields: &[Field<'_>]) -> io::Result<()> {
        let file = self
            .files
            .iter_mut()
            .find(|f| f.table.name == table.name)
            .expect("every table has a file");
        debug_assert_eq!(fields.len(), file.table.columns.len(), "{}", table.name);
        file.sink.row(fields)?;
        file.rows += 1;
        Ok(())
    }

    pub fn profile(&mut self, profile_id: u64) -> io::Result<()> {
        self.row(&PROFILES, &[id(profile_id)])
    }

    /// A trait's current value (and, for a string list, its elements).
    pub fn trait_value(
        &mut self,
        profile_id: u64,
        name: &str,
        value: &TraitValue,
    ) -> io::Result<()> {
        use Field::{Bool, Float, Int, Null, Text};
        let type_name = value.trait_type().as_str();
        // string_value, number_value, boolean_value, timestamp_value, geo_lat, geo_lon
        let typed = match value {
            TraitValue::String(s) => [Text(s), Null, Null, Null, Null, Null],
            TraitValue::Number(n) => [Null, Float(*n), Null, Null, Null, Null],
            TraitValue::Bool(b) => [Null, Null, Bool(*b), Null, Null, Null],
            TraitValue::Timestamp(ms) => [Null, Null, Null, Int(*ms), Null, Null],
            TraitValue::Geo(p) => [Null, Null, Null, Null, Float(p.lat), Float(p.lon)],
            TraitValue::StringList(_) => [Null; 6],
        };
        let [s, n, b, t, lat, lon] = typed;
        self.row(
            &TRAITS,
            &[
                id(profile_id),
                Text(name),
                Text(type_name),
                s,
                n,
                b,
                t,
                lat,
                lon,
            ],
        )?;
        if let TraitValue::StringList(items) = value {
            for (index, item) in items.iter().enumerate() {
                self.row(
                    &TRAIT_ITEMS,
                    &[id(profile_id), Text(name), Int(index as i64), Text(item)],
                )?;
            }
        }
        Ok(())
    }

    pub fn identifier(&mut self, profile_id: u64, kind: &str, value: &str) -> io::Result<()> {
        self.row(
            &IDENTIFIERS,
            &[id(profile_id), Field::Text(kind), Field::Text(value)],
        )
    }

    /// An event; `properties` is its JSON object as text. Its `seq` is the number of events
    /// written before it: pass the events in the store's order (at least for the events of a
    /// profile at the same `ts`), which is the order Tessera breaks ties in.
    pub fn event(
        &mut self,
        profile_id: u64,
        name: &str,
        ts: Millis,
        properties: &str,
    ) -> io::Result<()> {
        let seq = self.next_seq;
        self.row(
            &EVENTS,
            &[
                id(profile_id),
                Field::Text(name),
                Field::Int(ts),
                Field::Int(seq),
                Field::Text(properties),
            ],
        )?;
        self.next_seq += 1;
        Ok(())
    }

    pub fn place(&mut self, name: &str, lat: f64, lon: f64, tags: &[String]) -> io::Result<()> {
        let tags = serde_json::to_string(tags).map_err(io::Error::other)?;
        self.row(
            &PLACES,
            &[
                Field::Text(name),
                Field::Float(lat),
                Field::Float(lon),
                Field::Text(&tags),
            ],
        )
    }

    /// Finishes every file and reports the rows written.
    pub fn finish(self) -> io::Result<RowCounts> {
        let mut counts = Vec::new();
        for file in self.files {
            file.sink.finish()?;
            counts.push((file.table.name, file.rows));
        }
        Ok(RowCounts(counts))
    }
}

/// Profile ids are store row ids, far below `i64::MAX`; the cast keeps `BIGINT` signed.
fn id(profile_id: u64) -> Field<'static> {
    Field::Int(profile_id as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_numbered_in_the_order_they_are_written() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut out = WarehouseWriter::create(dir.path(), Format::Csv).expect("files");
        out.event(2, "Login", 5, "{}").expect("written");
        out.event(1, "Login", 5, r#"{"a":1}"#).expect("written");
        out.event(2, "Login", 5, "{}").expect("written");
        out.finish().expect("finished");
        let text = std::fs::read_to_string(dir.path().join("events.csv")).expect("events.csv");
        assert_eq!(
            text,
            "profile_id,name,ts,seq,properties\n\
             2,\"Login\",5,0,\"{}\"\n\
             1,\"Login\",5,1,\"{\"\"a\"\":1}\"\n\
             2,\"Login\",5,2,\"{}\"\n"
        );
    }
}
