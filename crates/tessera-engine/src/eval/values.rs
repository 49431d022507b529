//! Value conditions (`first`, `last`, `most_frequent`, `unique_count`, `distinct` of an event
//! property) over an event table.
//!
//! Values are dictionary codes: the column's dictionary already gives one code per value that
//! no test can tell apart (numbers by f64), which is exactly the identity the language uses.
//! So every test is decided once per code (or once per count), and the per-profile work is a
//! pass over the codes of the profile's rows in the window.

use std::collections::HashMap;

use roaring::RoaringBitmap;
use serde_json::Value;
use tessera_lang::{ValueCond, ValueFunc, ValueTest};
use tessera_model::Millis;

use super::events::bounds;
use crate::index::bitmaps::BitmapSink;
use crate::index::events::{PropColumn, MISSING};
use crate::index::row_filter::RowFilter;
use crate::index::Index;
use crate::predicate::json_matches;

/// The profiles of `scope` for which a value condition holds as of `at`.
pub(super) fn evaluate(
    index: &Index,
    cond: &ValueCond,
    at: Millis,
    scope: &RoaringBitmap,
) -> RoaringBitmap {
    // Over no taking-part event: `unique_count` is 0, every other function has no value.
    let holds_for_none = match cond.func {
        ValueFunc::UniqueCount => json_matches(&cond.test, &Value::from(0u64)),
        _ => matches!(cond.test, ValueTest::IsNull),
    };
    let nobody = || {
        if holds_for_none {
            scope.clone()
        } else {
            RoaringBitmap::new()
        }
    };
    let Some(table) = index.events.get(&cond.query.event) else {
        return nobody();
    };
    let Some(column) = table.columns.get(&cond.property) else {
        return nobody();
    };
    let Some((low, high)) = bounds(cond.query.window.as_ref(), at) else {
        return nobody();
    };
    let filter = cond
        .query
        .filter
        .as_ref()
        .map(|f| RowFilter::compile(table, f));
    let codes = Codes::new(column, cond);
    let mut folder = Folder::default();
    let mut listed = BitmapSink::default();
    let mut visit = |ord: u32, rows: std::ops::Range<usize>| {
        folder.clear();
        for row in rows {
            let code = column.codes.get(row);
            if code != MISSING
                && codes.scalar[code as usize]
                && filter.as_ref().is_none_or(|f| f.matches(row))
            {
                folder.add(code);
            }
        }
        if let Some(holds) = folder.holds(cond, &codes) {
            if holds != holds_for_none {
                listed.push(ord);
            }
        }
    };
    if index.tuning.probe(scope.len(), table.seg_profile.len()) {
        for ord in scope {
            let run = table.rows_of(ord);
            if !run.is_empty() {
                visit(ord, table.window(run, low, high));
            }
        }
    } else {
        for (i, &ord) in table.seg_profile.iter().enumerate() {
            if scope.contains(ord) {
                let run = table.seg_start[i] as usize..table.seg_start[i + 1] as usize;
                visit(ord, table.window(run, low, high));
            }
        }
    }
    let listed = listed.finish();
    if holds_for_none {
        scope - listed
    } else {
        listed & scope
    }
}

/// What is known per dictionary code before looking at any profile.
struct Codes {
    /// Whether the value takes part (a string, number or boolean).
    scalar: Vec<bool>,
    /// For `first`/`last`/`most_frequent`: whether the test holds for the value; for
    /// `distinct`: whether the value as a list element satisfies `contains`/`in`.
    passes: Vec<bool>,
}

impl Codes {
    fn new(column: &PropColumn, cond: &ValueCond) -> Codes {
        let scalar = column.dict.iter().map(|v| v.is_scalar()).collect();
        let passes = match cond.func {
            ValueFunc::UniqueCount => Vec::new(),
            // A list passes `contains`/`in` when one of its elements does, which is what the
            // test says of a list holding that element alone.
            ValueFunc::Distinct => column
                .dict
                .iter()
                .map(|v| json_matches(&cond.test, &Value::Array(vec![v.to_json()])))
                .collect(),
            _ => column.dict.iter().map(|v| v.matches(&cond.test)).collect(),
        };
        Codes { scalar, passes }
    }
}

/// One profile's taking-part codes, in row (time) order.
#[derive(Default)]
struct Folder {
    codes: Vec<u32>,
    /// Per distinct code: (uses, position of the latest use).
    uses: HashMap<u32, (u32, u32)>,
}

impl Folder {
    fn clear(&mut self) {
        self.codes.clear();
        self.uses.clear();
    }

    #[inline]
    fn add(&mut self, code: u32) {
        self.codes.push(code);
    }

    /// Whether the condition holds, or `None` when no event took part.
    fn holds(&mut self, cond: &ValueCond, codes: &Codes) -> Option<bool> {
        let (&first, &last) = (self.codes.first()?, self.codes.last()?);
        Some(match cond.func {
            ValueFunc::First => codes.passes[first as usize],
            ValueFunc::Last => codes.passes[last as usize],
            ValueFunc::MostFrequent => {
                self.count_uses();
                // The most uses; among equally used values, the one used last.
                let (&code, _) = self
                    .uses
                    .iter()
                    .max_by_key(|(_, &(n, latest))| (n, latest))?;
                codes.passes[code as usize]
            }
            ValueFunc::UniqueCount => {
                self.count_uses();
                json_matches(&cond.test, &Value::from(self.uses.len() as u64))
            }
            ValueFunc::Distinct => match cond.test {
                ValueTest::Exists => true,
                ValueTest::IsNull => false,
                _ => self.codes.iter().any(|&c| codes.passes[c as usize]),
            },
        })
    }

    fn count_uses(&mut self) {
        for (i, &code) in self.codes.iter().enumerate() {
            let entry = self.uses.entry(code).or_insert((0, 0));
            entry.0 += 1;
            entry.1 = i as u32;
        }
    }
}
