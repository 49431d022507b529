//! Event conditions over an event table: select rows, apply the window, fold each profile's run.
//!
//! Rows are sorted by (profile, time), so the selected rows of one profile are consecutive and
//! a profile's count, sum, minimum, maximum, first and last time come from one pass with no
//! hash table. Conditions that hold for a profile with no matching event (`count < 3`,
//! `sum(...) = 0`) are answered as the scope minus the profiles whose matches make them fail,
//! so profiles without events are never visited one by one.

use std::ops::{Bound, Range};

use roaring::RoaringBitmap;
use tessera_lang::{
    AggFunc, AggregateCond, AgoRelation, EventQuery, NumCmp, Recency, RecencyCond, Window,
};
use tessera_model::Millis;

use crate::index::bitmaps::BitmapSink;
use crate::index::events::{EventTable, RowCodes, MISSING};
use crate::index::row_filter::RowFilter;
use crate::index::Index;
use crate::predicate::{number_literal, RangePred};

/// What an event condition computes per profile and tests.
pub(super) enum Measure<'a> {
    Count(&'a NumCmp),
    Aggregate(&'a AggregateCond),
    Recency(&'a RecencyCond),
}

impl Measure<'_> {
    /// Whether the condition holds for a profile none of whose events take part:
    /// a count of 0 or a sum of 0 may pass; an average, extreme or time that does not exist
    /// never does.
    pub(super) fn holds_for_none(&self) -> bool {
        match self {
            Measure::Count(cmp) => cmp.holds(0.0),
            Measure::Aggregate(cond) => cond.func == AggFunc::Sum && cond.cmp.holds(0.0),
            Measure::Recency(_) => false,
        }
    }
}

/// Running totals of one profile's taking-part rows.
struct Fold {
    n: u64,
    sum: f64,
    min: f64,
    max: f64,
    first: Millis,
    last: Millis,
}

impl Fold {
    const EMPTY: Fold = Fold {
        n: 0,
        sum: 0.0,
        min: 0.0,
        max: 0.0,
        first: 0,
        last: 0,
    };
}

/// The table, the window and the filter of one condition, and how to fold and test.
struct Plan<'a> {
    table: &'a EventTable,
    filter: Option<RowFilter<'a>>,
    /// Inclusive time bounds, or `None` when the window is empty.
    bounds: Option<(Millis, Millis)>,
    /// For aggregates: the property's codes per row and value per code (NaN when not a
    /// number).
    numbers: Option<(&'a RowCodes, &'a [f64])>,
    measure: Measure<'a>,
    /// The measure's comparison, compiled (`NumCmp::holds` lives in another crate and is not
    /// inlined into the per-profile loop).
    cmp: RangePred<f64>,
    at: Millis,
    /// Whether the measure reads the first or last time (a recency): counts and aggregates
    /// need no row's time beyond the window search.
    times: bool,
    /// No run shorter than this can be listed: a count in a window is at most the run's
    /// length, and counts below this never change the outcome (1 when that does not apply).
    min_run: usize,
    /// The caller reads each fold's count itself (`count_profiles`), not only `holds`.
    exact_counts: bool,
}

impl Plan<'_> {
    /// Adds one selected row (already known to match the filter and the window).
    #[inline]
    fn add(&self, fold: &mut Fold, row: usize) {
        if let Some((codes, numbers)) = self.numbers {
            let code = codes.get(row);
            if code == MISSING {
                return; // no value: this event takes no part in the aggregate
            }
            let x = numbers[code as usize];
            if x.is_nan() {
                return; // not a number: this event takes no part in the aggregate
            }
            if fold.n == 0 {
                fold.min = x;
                fold.max = x;
            } else {
                fold.min = fold.min.min(x);
                fold.max = fold.max.max(x);
            }
            fold.sum += x;
        }
        if self.times {
            let ts = self.table.ts.get(row);
            if fold.n == 0 {
                fold.first = ts;
            }
            fold.last = ts;
        }
        fold.n += 1;
    }

    /// Adds the rows of a window that all match (no filter), in O(1) when no value is needed.
    fn add_range(&self, fold: &mut Fold, rows: Range<usize>) {
        if rows.is_empty() {
            return;
        }
        match (&self.filter, self.numbers) {
            (None, None) => {
                if self.times {
                    if fold.n == 0 {
                        fold.first = self.table.ts.get(rows.start);
                    }
                    fold.last = self.table.ts.get(rows.end - 1);
                }
                fold.n += rows.len() as u64;
            }
            (None, Some(_)) => rows.for_each(|row| self.add(fold, row)),
            (Some(filter), None) if !self.times => fold.n += filter.count_in(rows),
            (Some(filter), _) => rows
                .filter(|&row| filter.matches(row))
                .for_each(|row| self.add(fold, row)),
        }
    }

    /// Whether the condition holds for a profile with at least one taking-part row.
    /// Whether one row of a profile's window decides the condition as well as all of them:
    /// a count of every row (no filter) compared so that every count from 1 up gets the
    /// same answer (`did`, `count(…) >= 1`, `count(…) = 0`). A fold of one row then stands
    /// for any non-empty window.
    fn decided_by_any_row(&self) -> bool {
        !self.exact_counts
            && self.filter.is_none()
            && self.numbers.is_none()
            && !self.times
            && self.min_run <= 1
            && matches!(self.measure, Measure::Count(_))
            && matches!(self.cmp, RangePred::Within(..))
            && self.cmp.matches(1.0) == self.cmp.matches(u64::MAX as f64)
    }

    #[inline]
    fn holds(&self, fold: &Fold) -> bool {
        match &self.measure {
            Measure::Count(_) => self.cmp.matches(fold.n as f64),
            Measure::Aggregate(cond) => self.cmp.matches(match cond.func {
                AggFunc::Sum => fold.sum,
                AggFunc::Avg => fold.sum / fold.n as f64,
                AggFunc::Min => fold.min,
                AggFunc::Max => fold.max,
            }),
            Measure::Recency(cond) => {
                let ts = match cond.which {
                    Recency::First => fold.first,
                    Recency::Last => fold.last,
                };
                let edge = self.at.saturating_sub(cond.ago.millis());
                match cond.relation {
                    AgoRelation::MoreThan => ts <= edge,
                    AgoRelation::LessThan => ts > edge,
                }
            }
        }
    }
}

/// Profiles sorted into those the condition holds for and those it fails for (among profiles
/// with taking-part rows only).
struct Outcome {
    holds_for_none: bool,
    /// Profiles where it holds (when it does not hold for none) or fails (when it does).
    listed: BitmapSink,
}

impl Outcome {
    #[inline]
    fn record(&mut self, plan: &Plan<'_>, ord: u32, fold: &Fold) {
        if fold.n > 0 && plan.holds(fold) != self.holds_for_none {
            self.listed.push(ord);
        }
    }

    fn result(self, scope: &RoaringBitmap) -> RoaringBitmap {
        let listed = self.listed.finish();
        if self.holds_for_none {
            scope - listed
        } else {
            listed & scope
        }
    }
}

/// The profiles of `scope` for which an event condition holds as of `at`.
pub(super) fn evaluate(
    index: &Index,
    query: &EventQuery,
    measure: Measure<'_>,
    at: Millis,
    scope: &RoaringBitmap,
) -> RoaringBitmap {
    let mut outcome = Outcome {
        holds_for_none: measure.holds_for_none(),
        listed: BitmapSink::default(),
    };
    let Some(table) = index.events.get(&query.event) else {
        return outcome.result(scope);
    };
    let numbers = match &measure {
        Measure::Aggregate(cond) => {
            match table
                .columns
                .get(&cond.property)
                .and_then(|c| Some((&c.codes, c.numbers.as_deref()?)))
            {
                Some(numbers) => Some(numbers),
                // No event has a number there: no profile has a value to aggregate.
                None => return outcome.result(scope),
            }
        }
        _ => None,
    };
    let cmp = match &measure {
        Measure::Count(cmp) => number_pred(cmp),
        Measure::Aggregate(cond) => number_pred(&cond.cmp),
        Measure::Recency(_) => RangePred::Never,
    };
    // Counts 1, 2, … that would list a profile; runs shorter than the first cannot reach it.
    let min_run = match &measure {
        Measure::Count(_) => (1..=64u64)
            .find(|&n| cmp.matches(n as f64) != outcome.holds_for_none)
            .unwrap_or(65) as usize,
        _ => 1,
    };
    let plan = Plan {
        times: matches!(measure, Measure::Recency(_)),
        min_run,
        exact_counts: false,
        cmp,
        table,
        filter: query.filter.as_ref().map(|f| RowFilter::compile(table, f)),
        bounds: bounds(query.window.as_ref(), at),
        numbers,
        measure,
        at,
    };
    fold_profiles(index, &plan, scope, |ord, fold| {
        outcome.record(&plan, ord, fold)
    });
    outcome.result(scope)
}

/// Calls `visit` with every profile that has events `query` selects as of `at`, in ascending
/// order, and how many (profiles without may be skipped or handed 0).
pub(super) fn count_profiles(
    index: &Index,
    query: &EventQuery,
    at: Millis,
    mut visit: impl FnMut(u32, u64),
) {
    let Some(table) = index.events.get(&query.event) else {
        return;
    };
    let at_least_one = NumCmp::Compare {
        op: tessera_lang::CmpOp::Ge,
        value: 1.0,
    };
    let plan = Plan {
        times: false,
        min_run: 1,
        exact_counts: true,
        cmp: number_pred(&at_least_one),
        table,
        filter: query.filter.as_ref().map(|f| RowFilter::compile(table, f)),
        bounds: bounds(query.window.as_ref(), at),
        numbers: None,
        measure: Measure::Count(&at_least_one),
        at,
    };
    fold_profiles(index, &plan, &index.universe(), |ord, fold| {
        visit(ord, fold.n)
    });
}

/// Folds the taking-part rows of every profile of `scope` that has a run of at least
/// `plan.min_run` rows, handing each profile's fold to `visit` in ascending ordinal order
/// (profiles without selected rows may be skipped or handed an empty fold).
fn fold_profiles(
    index: &Index,
    plan: &Plan<'_>,
    scope: &RoaringBitmap,
    mut visit: impl FnMut(u32, &Fold),
) {
    let Some((low, high)) = plan.bounds else {
        return;
    };
    let table = plan.table;
    let tuning = &index.tuning;

    if tuning.probe(scope.len(), table.seg_profile.len()) {
        // Few candidates: find each one's run by binary search.
        for ord in scope {
            let run = table.rows_of(ord);
            if run.len() < plan.min_run {
                continue;
            }
            let mut fold = Fold::EMPTY;
            plan.add_range(&mut fold, table.window(run, low, high));
            visit(ord, &fold);
        }
    } else if let Some(rows) = plan
        .filter
        .as_ref()
        .and_then(|f| f.posting_rows(table.len(), tuning))
    {
        // A selective filter: visit only the rows its posting lists name.
        let filter = plan.filter.as_ref().expect("rows come from the filter");
        let mut in_scope = Cursor::new(scope, index.len());
        let mut current: Option<(u32, Fold)> = None;
        // Listed first, then visited: with the rows known ahead, the loop's scattered reads
        // (time, profile, codes) overlap in the memory system; following the bitmap's
        // iterator row by row made the loop a third slower.
        let rows: Vec<u32> = rows.iter().collect();
        let mut run = 0;
        for row in rows.into_iter().map(|r| r as usize) {
            let ts = table.ts.get(row);
            if ts < low || ts > high {
                continue;
            }
            run = table.run_at(row, run);
            let ord = table.seg_profile[run];
            if !in_scope.contains(ord) || !filter.matches(row) {
                continue;
            }
            match &mut current {
                Some((o, fold)) if *o == ord => plan.add(fold, row),
                _ => {
                    if let Some((o, fold)) = current.take() {
                        visit(o, &fold);
                    }
                    let mut fold = Fold::EMPTY;
                    plan.add(&mut fold, row);
                    current = Some((ord, fold));
                }
            }
        }
        if let Some((o, fold)) = current {
            visit(o, &fold);
        }
    } else {
        // Scan every profile's run in scope, narrowed to the window.
        let mut in_scope = Cursor::new(scope, index.len());
        let runs = 0..table.seg_profile.len();
        if 2 * scope.len() < index.len() as u64 {
            // A narrow scope (a segment's later conditions): test it before reading any
            // time. The table-wide scans below read a time of every run, in scope or not.
            for i in runs {
                let ord = table.seg_profile[i];
                let run = table.run(i);
                if !in_scope.contains(ord) || run.len() < plan.min_run {
                    continue;
                }
                let mut fold = Fold::EMPTY;
                plan.add_range(&mut fold, table.window(run, low, high));
                visit(ord, &fold);
            }
        } else if plan.decided_by_any_row() {
            table.for_each_nonempty_window(runs, low, high, |i| {
                let ord = table.seg_profile[i];
                if in_scope.contains(ord) {
                    visit(
                        ord,
                        &Fold {
                            n: 1,
                            ..Fold::EMPTY
                        },
                    );
                }
            });
        } else {
            table.for_each_window(runs, low, high, |i, rows| {
                let ord = table.seg_profile[i];
                if !in_scope.contains(ord) || table.run(i).len() < plan.min_run {
                    return;
                }
                let mut fold = Fold::EMPTY;
                plan.add_range(&mut fold, rows);
                visit(ord, &fold);
            });
        }
    }
}

/// A comparison of a computed number as a range test; like `NumCmp::holds`, false for NaN.
pub(super) fn number_pred(cmp: &NumCmp) -> RangePred<f64> {
    use tessera_lang::{Literal, ValueTest};
    match *cmp {
        NumCmp::Compare { op, value } => RangePred::compile(
            &ValueTest::Compare {
                op,
                value: Literal::Number(value),
            },
            number_literal,
        ),
        NumCmp::Between { low, high } => {
            RangePred::Within(Bound::Included(low), Bound::Included(high))
        }
    }
}

/// Membership tests against a scope for ordinals that only grow, by walking the scope once.
struct Cursor<'a> {
    iter: roaring::bitmap::Iter<'a>,
    next: Option<u32>,
    /// The scope is every profile: no need to look.
    everyone: bool,
}

impl<'a> Cursor<'a> {
    fn new(scope: &'a RoaringBitmap, profiles: usize) -> Cursor<'a> {
        let mut iter = scope.iter();
        let next = iter.next();
        Cursor {
            iter,
            next,
            everyone: scope.len() == profiles as u64,
        }
    }

    /// Whether `ord` is in the scope; `ord` must not be below the previous call's.
    #[inline]
    fn contains(&mut self, ord: u32) -> bool {
        if self.everyone {
            return true;
        }
        match self.next {
            Some(next) if next >= ord => next == ord,
            Some(_) => {
                self.iter.advance_to(ord);
                self.next = self.iter.next();
                self.next == Some(ord)
            }
            None => false,
        }
    }
}

/// The window as inclusive bounds on event time, also excluding events after `at`;
/// `None` when no time fits.
pub(super) fn bounds(window: Option<&Window>, at: Millis) -> Option<(Millis, Millis)> {
    let (low, high) = match window {
        None => (Millis::MIN, at),
        // at - d < ts <= at
        Some(Window::Last(d)) => (at.saturating_sub(d.millis()).checked_add(1)?, at),
        // from <= ts < to, ts <= at
        Some(Window::Range { from, to }) => (*from, at.min(to.checked_sub(1)?)),
    };
    (low <= high).then_some((low, high))
}
