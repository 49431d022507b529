//! A segment's `where` filter compiled against one event table: each test a set of the
//! column's dictionary codes, tested per row, counted over a window, or turned into the rows
//! posting lists name.

use roaring::{MultiOps, RoaringBitmap};
use tessera_lang::{PropFilter, ValueTest};

use super::events::{EventTable, PropColumn, MISSING};
use super::traits::CodeSet;
use super::Tuning;

/// A `where` filter compiled against one table: each test is a set of dictionary codes.
pub(crate) enum RowFilter<'t> {
    Const(bool),
    Test {
        column: &'t PropColumn,
        codes: CodeSet,
        missing: bool,
    },
    And(Vec<RowFilter<'t>>),
    Or(Vec<RowFilter<'t>>),
    Not(Box<RowFilter<'t>>),
}

impl<'t> RowFilter<'t> {
    pub(crate) fn compile(table: &'t EventTable, filter: &PropFilter) -> RowFilter<'t> {
        match filter {
            PropFilter::And(items) => {
                RowFilter::And(items.iter().map(|f| RowFilter::compile(table, f)).collect())
            }
            PropFilter::Or(items) => {
                RowFilter::Or(items.iter().map(|f| RowFilter::compile(table, f)).collect())
            }
            PropFilter::Not(inner) => RowFilter::Not(Box::new(RowFilter::compile(table, inner))),
            PropFilter::Test(cond) => {
                let missing = matches!(cond.test, ValueTest::IsNull);
                match table.columns.get(&cond.name) {
                    // No event has the property: every row is missing it.
                    None => RowFilter::Const(missing),
                    Some(column) => RowFilter::Test {
                        column,
                        codes: column.codes_for(&cond.test),
                        missing,
                    },
                }
            }
            // Trees with `Missing` are refused before evaluation; false is the interpreter's
            // answer should one get here.
            PropFilter::Missing(_) => RowFilter::Const(false),
        }
    }

    #[inline]
    pub(crate) fn matches(&self, row: usize) -> bool {
        match self {
            RowFilter::Const(value) => *value,
            RowFilter::Test {
                column,
                codes,
                missing,
            } => match column.codes.get(row) {
                MISSING => *missing,
                code => codes.contains(code),
            },
            RowFilter::And(items) => items.iter().all(|f| f.matches(row)),
            RowFilter::Or(items) => items.iter().any(|f| f.matches(row)),
            RowFilter::Not(inner) => !inner.matches(row),
        }
    }

    /// How many of `rows` match: [`RowFilter::matches`] counted, in one pass over the
    /// column for the common `property = value`.
    pub(crate) fn count_in(&self, rows: std::ops::Range<usize>) -> u64 {
        match self {
            RowFilter::Test {
                column,
                codes: CodeSet::Few(keys),
                missing: false,
            } if keys.len() <= 1 => keys
                .first()
                .map_or(0, |&key| column.codes.count_equal(rows, key)),
            _ => rows.filter(|&row| self.matches(row)).count() as u64,
        }
    }

    /// How many rows posting lists would select for this filter (a superset of its rows), or
    /// `None` when postings cannot bound it.
    fn posting_estimate(&self) -> Option<usize> {
        match self {
            RowFilter::Const(false) => Some(0),
            RowFilter::Test {
                column,
                codes,
                missing: false,
            } => {
                let postings = column.postings.as_ref()?;
                let rows: u64 = codes.codes().iter().map(|&c| postings.rows(c).len()).sum();
                Some(rows as usize)
            }
            RowFilter::And(items) => items.iter().filter_map(RowFilter::posting_estimate).min(),
            RowFilter::Or(items) => items.iter().map(RowFilter::posting_estimate).sum(),
            _ => None,
        }
    }

    /// How many candidate rows [`RowFilter::posting_rows`] would collect, without collecting
    /// them; `None` when it would return `None` (a scan is better or postings cannot bound
    /// the filter).
    pub(crate) fn posting_rows_estimate(&self, rows: usize, tuning: &Tuning) -> Option<usize> {
        self.posting_estimate()
            .filter(|&estimate| tuning.postings(estimate, rows))
    }

    /// Candidate rows from posting lists, when the tuning says they beat a scan of `rows`
    /// rows. The candidates are a superset: callers still check [`RowFilter::matches`].
    pub(crate) fn posting_rows(&self, rows: usize, tuning: &Tuning) -> Option<RoaringBitmap> {
        let estimate = self.posting_estimate()?;
        tuning
            .postings(estimate, rows)
            .then(|| self.collect_posting_rows())
    }

    /// Follows the same choices as [`RowFilter::posting_estimate`].
    fn collect_posting_rows(&self) -> RoaringBitmap {
        match self {
            RowFilter::Test { column, codes, .. } => {
                let postings = column.postings.as_ref().expect("estimated from postings");
                codes.codes().iter().map(|&c| postings.rows(c)).union()
            }
            RowFilter::And(items) => items
                .iter()
                .filter_map(|f| Some((f.posting_estimate()?, f)))
                .min_by_key(|(estimate, _)| *estimate)
                .map(|(_, f)| f.collect_posting_rows())
                .unwrap_or_default(),
            RowFilter::Or(items) => items.iter().map(|f| f.collect_posting_rows()).union(),
            _ => RoaringBitmap::new(),
        }
    }
}
