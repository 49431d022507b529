//! Parquet files: one per table, Snappy-compressed, with the table's columns as flat
//! primitive columns (`INT64`, `DOUBLE`, `BOOLEAN`, `BYTE_ARRAY` annotated `STRING`) and
//! nullable columns `OPTIONAL`.
//!
//! Written with parquet's low-level column writers rather than through Arrow, which would
//! add minutes to a clean build for no gain here: the rows are buffered per column and
//! written as a row group every [`ROW_GROUP`] rows.

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::Arc;

use parquet::basic::{Compression, LogicalType, Repetition, Type as PhysicalType};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;

use super::writer::{Field, TableSink};
use super::{ColumnType, Table};

/// Rows per row group: large enough for good compression and scans, small enough that the
/// buffers of the six tables stay well under a gigabyte.
const ROW_GROUP: usize = 100_000;

/// One column's buffered values and definition levels (0 = `NULL`, 1 = present).
enum Buffer {
    Int(Vec<i64>),
    Double(Vec<f64>),
    Bool(Vec<bool>),
    Text(Vec<ByteArray>),
}

struct Column {
    buffer: Buffer,
    levels: Vec<i16>,
    nullable: bool,
}

pub(crate) struct ParquetSink {
    table: Table,
    writer: SerializedFileWriter<File>,
    columns: Vec<Column>,
    rows: usize,
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

impl ParquetSink {
    pub(crate) fn create(path: &Path, table: Table) -> io::Result<ParquetSink> {
        let fields = table
            .columns
            .iter()
            .map(|c| {
                let (physical, logical) = match c.ty {
                    ColumnType::BigInt => (PhysicalType::INT64, None),
                    ColumnType::Double => (PhysicalType::DOUBLE, None),
                    ColumnType::Boolean => (PhysicalType::BOOLEAN, None),
                    ColumnType::Text => (PhysicalType::BYTE_ARRAY, Some(LogicalType::String)),
                };
                let repetition = if c.nullable {
                    Repetition::OPTIONAL
                } else {
                    Repetition::REQUIRED
                };
                Type::primitive_type_builder(c.name, physical)
                    .with_repetition(repetition)
                    .with_logical_type(logical)
                    .build()
                    .map(Arc::new)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(io::Error::other)?;
        let schema = Type::group_type_builder(table.name)
            .with_fields(fields)
            .build()
            .map_err(io::Error::other)?;
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let writer =
            SerializedFileWriter::new(File::create(path)?, Arc::new(schema), Arc::new(properties))
                .map_err(io::Error::other)?;
        let columns = table
            .columns
            .iter()
            .map(|c| Column {
                buffer: match c.ty {
                    ColumnType::BigInt => Buffer::Int(Vec::new()),
                    ColumnType::Double => Buffer::Double(Vec::new()),
                    ColumnType::Boolean => Buffer::Bool(Vec::new()),
                    ColumnType::Text => Buffer::Text(Vec::new()),
                },
                levels: Vec::new(),
                nullable: c.nullable,
            })
            .collect();
        Ok(ParquetSink {
            table,
            writer,
            columns,
            rows: 0,
        })
    }

    fn write_row_group(&mut self) -> io::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut group = self.writer.next_row_group().map_err(io::Error::other)?;
        for column in &mut self.columns {
            let mut writer = group
                .next_column()
                .map_err(io::Error::other)?
                .ok_or_else(|| invalid("fewer Parquet columns than buffered".into()))?;
            let levels = column.nullable.then_some(column.levels.as_slice());
            let written = match &mut column.buffer {
                Buffer::Int(v) => writer.typed::<Int64Type>().write_batch(v, levels, None),
                Buffer::Double(v) => writer.typed::<DoubleType>().write_batch(v, levels, None),
                Buffer::Bool(v) => writer.typed::<BoolType>().write_batch(v, levels, None),
                Buffer::Text(v) => writer.typed::<ByteArrayType>().write_batch(v, levels, None),
            };
            written.map_err(io::Error::other)?;
            writer.close().map_err(io::Error::other)?;
            match &mut column.buffer {
                Buffer::Int(v) => v.clear(),
                Buffer::Double(v) => v.clear(),
                Buffer::Bool(v) => v.clear(),
                Buffer::Text(v) => v.clear(),
            }
            column.levels.clear();
        }
        group.close().map_err(io::Error::other)?;
        self.rows = 0;
        Ok(())
    }
}

impl TableSink for ParquetSink {
    fn row(&mut self, fields: &[Field<'_>]) -> io::Result<()> {
        for (i, (column, field)) in self.columns.iter_mut().zip(fields).enumerate() {
            match (&mut column.buffer, field) {
                (_, Field::Null) if column.nullable => {
                    column.levels.push(0);
                    continue;
                }
                (Buffer::Int(v), Field::Int(n)) => v.push(*n),
                (Buffer::Double(v), Field::Float(x)) => v.push(*x),
                (Buffer::Bool(v), Field::Bool(b)) => v.push(*b),
                (Buffer::Text(v), Field::Text(s)) => v.push(ByteArray::from(*s)),
                _ => {
                    return Err(invalid(format!(
                        "{}.{}: value {field:?} does not fit the column",
                        self.table.name, self.table.columns[i].name
                    )))
                }
            }
            column.levels.push(1);
        }
        self.rows += 1;
        if self.rows >= ROW_GROUP {
            self.write_row_group()?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.write_row_group()?;
        let file = self.writer.into_inner().map_err(io::Error::other)?;
        file.sync_all()
    }
}
