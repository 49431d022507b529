//! CSV files: one per table, with a header row.
//!
//! The format is chosen so that every warehouse loads it without guessing: UTF-8, `,`
//! separators, `\n` row ends, text always double-quoted (inner quotes doubled), numbers and
//! booleans bare, and `NULL` as an empty, unquoted field, so that an empty string (`""`) and
//! a missing value never look alike. Doubles are printed in Rust's shortest form that reads
//! back to the same double.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::writer::{Field, TableSink};
use super::Table;

pub(crate) struct CsvSink {
    out: BufWriter<File>,
}

impl CsvSink {
    pub(crate) fn create(path: &Path, table: Table) -> io::Result<CsvSink> {
        let mut out = BufWriter::new(File::create(path)?);
        let header: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
        writeln!(out, "{}", header.join(","))?;
        Ok(CsvSink { out })
    }
}

impl TableSink for CsvSink {
    fn row(&mut self, fields: &[Field<'_>]) -> io::Result<()> {
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                self.out.write_all(b",")?;
            }
            match field {
                Field::Int(n) => write!(self.out, "{n}")?,
                Field::Float(x) => write!(self.out, "{}", float_text(*x))?,
                Field::Bool(b) => write!(self.out, "{b}")?,
                Field::Text(s) => {
                    self.out.write_all(b"\"")?;
                    self.out.write_all(s.replace('"', "\"\"").as_bytes())?;
                    self.out.write_all(b"\"")?;
                }
                Field::Null => {}
            }
        }
        self.out.write_all(b"\n")
    }

    fn finish(self: Box<Self>) -> io::Result<()> {
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
    }
}

/// Doubles as every loader reads them back exactly: the shortest round-trip digits, with an
/// exponent for very large or small magnitudes (instead of hundreds of zeros).
fn float_text(x: f64) -> String {
    if x.is_finite() && (x == 0.0 || (1e-5..1e16).contains(&x.abs())) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::float_text;

    #[test]
    fn doubles_print_in_shortest_round_trip_form() {
        for x in [
            0.0,
            -0.0,
            0.1,
            30.5,
            1e21,
            2.5e-7,
            123_456_789.123_456_78,
            -3.0,
        ] {
            let text = float_text(x);
            assert_eq!(
                text.parse::<f64>().unwrap().to_bits(),
                x.to_bits(),
                "{text}"
            );
        }
        assert_eq!(float_text(1e21), "1e21");
        assert_eq!(float_text(75_000.5), "75000.5");
    }
}
