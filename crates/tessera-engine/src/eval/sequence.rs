//! Sequences over two event tables: for each profile in scope with events of the first step,
//! its (filtered, windowed) runs of both steps are compared by time.
//!
//! Rows are sorted by (profile, time), so each profile's steps are two sorted slices; the
//! follow-up test walks them with a moving start, so a profile costs O(n + m) without `same`.

use roaring::RoaringBitmap;
use tessera_lang::{EventQuery, SequenceCond};
use tessera_model::Millis;

use super::events::bounds;
use crate::index::events::EventTable;
use crate::index::row_filter::RowFilter;
use crate::index::Index;

/// One step's rows for a profile: the table and the rows that pass its filter and window.
struct Step<'a> {
    table: &'a EventTable,
    filter: Option<RowFilter<'a>>,
    bounds: Option<(Millis, Millis)>,
}

impl<'a> Step<'a> {
    fn new(index: &'a Index, query: &EventQuery, at: Millis) -> Option<Step<'a>> {
        let table = index.events.get(&query.event)?;
        Some(Step {
            table,
            filter: query.filter.as_ref().map(|f| RowFilter::compile(table, f)),
            bounds: bounds(query.window.as_ref(), at),
        })
    }

    fn rows(&self, ord: u32) -> Vec<usize> {
        let Some((low, high)) = self.bounds else {
            return Vec::new();
        };
        self.table
            .window(self.table.rows_of(ord), low, high)
            .filter(|&row| self.filter.as_ref().is_none_or(|f| f.matches(row)))
            .collect()
    }
}

pub(super) fn evaluate(
    index: &Index,
    cond: &SequenceCond,
    at: Millis,
    scope: &RoaringBitmap,
) -> RoaringBitmap {
    let Some(first) = Step::new(index, &cond.first, at) else {
        return RoaringBitmap::new();
    };
    let second = Step::new(index, &cond.second, at);
    let gap = cond.within.millis();
    let mut out = Vec::new();
    for &ord in &first.table.seg_profile {
        if !scope.contains(ord) {
            continue;
        }
        let starts = first.rows(ord);
        if starts.is_empty() {
            continue;
        }
        let follows = second.as_ref().map_or_else(Vec::new, |s| s.rows(ord));
        let followed_within = |a: usize| -> bool {
            let ta = first.table.ts.get(a);
            let second = second.as_ref().expect("rows come from the second table");
            follows.iter().any(|&b| {
                let tb = second.table.ts.get(b);
                tb > ta
                    && tb.saturating_sub(ta) <= gap
                    && same(cond, first.table, a, second.table, b)
            })
        };
        let holds = starts.iter().any(|&a| {
            let followed = !follows.is_empty() && followed_within(a);
            if cond.followed {
                followed
            } else {
                !followed
                    && first
                        .table
                        .ts
                        .get(a)
                        .checked_add(gap)
                        .is_some_and(|end| end <= at)
            }
        });
        if holds {
            out.push(ord);
        }
    }
    // `seg_profile` is ascending.
    RoaringBitmap::from_sorted_iter(out).expect("ordinals are ascending")
}

/// Whether the properties named by `with same` are present and equal on both rows.
fn same(cond: &SequenceCond, ta: &EventTable, a: usize, tb: &EventTable, b: usize) -> bool {
    if cond.same.is_empty() {
        return true;
    }
    let (pa, pb) = (ta.properties(a), tb.properties(b));
    cond.same.iter().all(|path| {
        match (
            crate::data::property(&pa, path),
            crate::data::property(&pb, path),
        ) {
            (Some(x), Some(y)) => crate::data::same_value(x, y),
            _ => false,
        }
    })
}
