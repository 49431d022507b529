//! Event conditions over an event table: select rows, apply the window, fold each profile's run.
//!
//! Rows are sorted by (profile, time), so the selected rows of one profile are consecutive and
//! a profile's count, sum, minimum, maximum, first and last time come from one pass with no
//! hash table. Conditions that hold for a profile with no matching event (`count < 3`,
//! `sum(...) = 0`) are answered as the scope minus the profiles whose matches make them fail,
//! so profiles without events are never visited one by one.

use std::ops::{Bound, Range};

use roaring::{MultiOps, RoaringBitmap};
use tessera_lang::{
    AggFunc, AggregateCond, AgoRelation, EventQuery, NumCmp, Recency, RecencyCond, Window,
};
use tessera_model::Millis;

use crate::index::bitmaps::BitmapSink;
use crate::index::events::{EventTable, RowCodes, RowFilter, MISSING};
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
    fn holds_for_none(&self) -> bool {
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
            (Some(filter), _) => rows
                .filter(|&row| filter.matches(row))
                .for_each(|row| self.add(fold, row)),
        }
    }

    /// Whether the condition holds for a profile with at least one taking-part row.
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

/// How many of each profile's events an event query selects as of some instant, as the set
/// of profiles with each count (profiles with none are in no set).
///
/// Several conditions of one batch that count the same events (`count(E in last 30d) >= 1`
/// … `>= 10`, or `did(E in last 30d)`) take their answers from one of these, computed once:
/// each is then a union of the sets whose count passes its comparison.
#[derive(Debug, Default)]
pub(super) struct Counts {
    /// `by_count[n]`: the profiles with `n` events, for `n` below [`Counts::LARGE`].
    by_count: Vec<RoaringBitmap>,
    /// Profiles with a count of [`Counts::LARGE`] or more, with their counts (few: a set per
    /// count would be one per profile there).
    large: Vec<(u32, u64)>,
}

/// Several filters that each test the codes of one and the same column (`category = "a"`,
/// `category = "b"`, …), compiled into one bit mask per code: bit `k` is set when filter `k`
/// holds for a row with that code. A row then costs one code read and one table lookup for
/// all the filters, instead of a walk of each filter's tree.
struct CodeMasks<'t> {
    codes: &'t RowCodes,
    /// Indexed by code; [`CodeMasks::missing`] stands for every code past the end.
    masks: Vec<u64>,
    missing: u64,
}

impl<'t> CodeMasks<'t> {
    /// `None` unless every filter is a test of one column (the same for all) or no filter
    /// (every row holds), and there are at most 64 of them.
    fn compile<'f>(filters: impl Iterator<Item = Option<&'f RowFilter<'t>>>) -> Option<Self>
    where
        't: 'f,
    {
        let filters: Vec<Option<&RowFilter<'t>>> = filters.collect();
        if filters.len() > 64 {
            return None;
        }
        let mut column = None;
        for filter in filters.iter().flatten() {
            let RowFilter::Test { column: c, .. } = filter else {
                return None;
            };
            match column {
                None => column = Some(*c),
                Some(seen) if std::ptr::eq(seen, *c) => {}
                Some(_) => return None,
            }
        }
        let column = column?;
        let mut masks = vec![0u64; column.dict.len()];
        let mut missing = 0u64;
        for (k, filter) in filters.iter().enumerate() {
            let bit = 1u64 << k;
            match filter {
                None => {
                    masks.iter_mut().for_each(|m| *m |= bit);
                    missing |= bit;
                }
                Some(RowFilter::Test {
                    codes,
                    missing: holds_when_missing,
                    ..
                }) => {
                    for (code, m) in masks.iter_mut().enumerate() {
                        if codes.contains(code as u32) {
                            *m |= bit;
                        }
                    }
                    if *holds_when_missing {
                        missing |= bit;
                    }
                }
                Some(_) => unreachable!("checked above"),
            }
        }
        Some(CodeMasks {
            codes: &column.codes,
            masks,
            missing,
        })
    }

    /// Adds to `counts[k]` the rows of `rows` for which filter `k` holds.
    #[inline]
    fn count(&self, rows: Range<usize>, counts: &mut [u64]) {
        self.codes.for_each(rows, |code| {
            let mut mask = self
                .masks
                .get(code as usize)
                .copied()
                .unwrap_or(self.missing);
            while mask != 0 {
                counts[mask.trailing_zeros() as usize] += 1;
                mask &= mask - 1;
            }
        });
    }
}

/// Builds [`Counts`] from profiles arriving in ascending order.
#[derive(Default)]
struct CountsBuilder {
    sinks: Vec<BitmapSink>,
    large: Vec<(u32, u64)>,
}

impl CountsBuilder {
    #[inline]
    fn push(&mut self, ord: u32, n: u64) {
        if n == 0 {
            return;
        }
        match usize::try_from(n) {
            Ok(n) if n < Counts::LARGE => {
                if self.sinks.len() <= n {
                    self.sinks.resize_with(n + 1, BitmapSink::default);
                }
                self.sinks[n].push(ord);
            }
            _ => self.large.push((ord, n)),
        }
    }

    /// Adds the counts of other profiles, all after these ones.
    fn append(&mut self, other: CountsBuilder) {
        if self.sinks.len() < other.sinks.len() {
            self.sinks
                .resize_with(other.sinks.len(), BitmapSink::default);
        }
        for (mine, theirs) in self.sinks.iter_mut().zip(other.sinks) {
            mine.append(theirs);
        }
        self.large.extend(other.large);
    }

    fn finish(self) -> Counts {
        Counts {
            by_count: self.sinks.into_iter().map(BitmapSink::finish).collect(),
            large: self.large,
        }
    }
}

impl Counts {
    const LARGE: usize = 1024;

    /// The counts of `query`'s events for every profile.
    pub(super) fn compute(index: &Index, query: &EventQuery, at: Millis) -> Counts {
        let Some(table) = index.events.get(&query.event) else {
            return Counts::default();
        };
        let at_least_one = NumCmp::Compare {
            op: tessera_lang::CmpOp::Ge,
            value: 1.0,
        };
        let plan = Plan {
            times: false,
            min_run: 1,
            cmp: number_pred(&at_least_one),
            table,
            filter: query.filter.as_ref().map(|f| RowFilter::compile(table, f)),
            bounds: bounds(query.window.as_ref(), at),
            numbers: None,
            measure: Measure::Count(&at_least_one),
            at,
        };
        let mut counts = CountsBuilder::default();
        fold_profiles(index, &plan, &index.universe(), |ord, fold| {
            counts.push(ord, fold.n)
        });
        counts.finish()
    }

    /// The counts of each of `queries`, which all select events of one name in one window
    /// and differ in their filters (`did(E where category = C in last 30d)` for eight `C`).
    ///
    /// Filters that posting lists serve are counted one by one from them, unless their
    /// posting lists together hold more rows than there are profiles with such events: then
    /// one pass over every profile's window tests all the filters on its rows, instead of a
    /// scattered visit per filter.
    pub(super) fn compute_group(index: &Index, queries: &[EventQuery], at: Millis) -> Vec<Counts> {
        let mut all: Vec<Counts> = queries.iter().map(|_| Counts::default()).collect();
        let (Some(first), Some(table)) = (
            queries.first(),
            queries.first().and_then(|q| index.events.get(&q.event)),
        ) else {
            return all;
        };
        debug_assert!(queries
            .iter()
            .all(|q| q.event == first.event && q.window == first.window));
        let Some((low, high)) = bounds(first.window.as_ref(), at) else {
            return all;
        };
        let filters: Vec<Option<RowFilter<'_>>> = queries
            .iter()
            .map(|q| q.filter.as_ref().map(|f| RowFilter::compile(table, f)))
            .collect();
        let postings: Vec<Option<usize>> = filters
            .iter()
            .map(|f| {
                f.as_ref()
                    .and_then(|f| f.posting_rows_estimate(table.len(), &index.tuning))
            })
            .collect();
        let scan_all = postings.iter().flatten().sum::<usize>() >= table.seg_profile.len();
        let mut scanned = Vec::new();
        for (i, query) in queries.iter().enumerate() {
            if postings[i].is_some() && !scan_all {
                all[i] = Counts::compute(index, query, at);
            } else {
                scanned.push(i);
            }
        }
        if scanned.is_empty() {
            return all;
        }
        let masks = CodeMasks::compile(scanned.iter().map(|&i| filters[i].as_ref()));
        // Profiles in slices side by side on rayon's threads, each slice's lists then
        // concatenated (their profiles do not overlap and come in order) and made sets once.
        use rayon::prelude::*;
        const SLICE: usize = 1 << 15;
        let slices: Vec<Vec<CountsBuilder>> = (0..table.seg_profile.len().div_ceil(SLICE))
            .into_par_iter()
            .map(|slice| {
                let mut counts: Vec<CountsBuilder> =
                    scanned.iter().map(|_| CountsBuilder::default()).collect();
                let mut per_filter = vec![0u64; scanned.len()];
                let runs = slice * SLICE..((slice + 1) * SLICE).min(table.seg_profile.len());
                for run_index in runs {
                    let ord = table.seg_profile[run_index];
                    let run = table.seg_start[run_index] as usize
                        ..table.seg_start[run_index + 1] as usize;
                    let rows = table.window(run, low, high);
                    if rows.is_empty() {
                        continue;
                    }
                    if let Some(masks) = &masks {
                        masks.count(rows, &mut per_filter);
                        for (counts, n) in counts.iter_mut().zip(&mut per_filter) {
                            counts.push(ord, std::mem::take(n));
                        }
                        continue;
                    }
                    for (&i, counts) in scanned.iter().zip(&mut counts) {
                        let n = match &filters[i] {
                            None => rows.len(),
                            Some(filter) => rows.clone().filter(|&row| filter.matches(row)).count(),
                        };
                        counts.push(ord, n as u64);
                    }
                }
                counts
            })
            .collect();
        let mut joined: Vec<CountsBuilder> =
            scanned.iter().map(|_| CountsBuilder::default()).collect();
        for slice in slices {
            for (mine, theirs) in joined.iter_mut().zip(slice) {
                mine.append(theirs);
            }
        }
        let finished: Vec<Counts> = joined.into_par_iter().map(CountsBuilder::finish).collect();
        for (&i, counts) in scanned.iter().zip(finished) {
            all[i] = counts;
        }
        all
    }

    /// The profiles of `scope` whose count passes `cmp`: what [`evaluate`] answers for
    /// `Measure::Count(cmp)` on the same query.
    pub(super) fn select(&self, cmp: &NumCmp, scope: &RoaringBitmap) -> RoaringBitmap {
        let pred = number_pred(cmp);
        let holds_for_none = Measure::Count(cmp).holds_for_none();
        // The profiles the comparison sets apart from those with no events: passing ones
        // when none pass, failing ones when none fail.
        let listed_for = |n: f64| pred.matches(n) != holds_for_none;
        let mut listed: RoaringBitmap = self
            .by_count
            .iter()
            .enumerate()
            .filter(|(n, _)| *n > 0 && listed_for(*n as f64))
            .map(|(_, profiles)| profiles)
            .union();
        listed.extend(
            self.large
                .iter()
                .filter(|(_, n)| listed_for(*n as f64))
                .map(|(ord, _)| *ord),
        );
        if holds_for_none {
            scope - listed
        } else {
            listed & scope
        }
    }
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
        // Scan every profile's run in scope, narrowed to the window by binary search.
        let mut in_scope = Cursor::new(scope, index.len());
        for (i, &ord) in table.seg_profile.iter().enumerate() {
            if !in_scope.contains(ord) {
                continue;
            }
            let run = table.seg_start[i] as usize..table.seg_start[i + 1] as usize;
            if run.len() < plan.min_run {
                continue;
            }
            let mut fold = Fold::EMPTY;
            plan.add_range(&mut fold, table.window(run, low, high));
            visit(ord, &fold);
        }
    }
}

/// A comparison of a computed number as a range test; like `NumCmp::holds`, false for NaN.
fn number_pred(cmp: &NumCmp) -> RangePred<f64> {
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

#[cfg(test)]
mod tests {
    use serde_json::Map;
    use tessera_lang::{CmpOp, CountCond, EventQuery, Expr, NumCmp, Span};

    use crate::index::{BuildOptions, IndexBuilder};

    const AT: i64 = 1_800_000_000_000;

    /// Counts past the thousand that shared counts keep apart from the small ones, against the
    /// unshared evaluation of the same conditions.
    #[test]
    fn large_counts_are_shared_like_small_ones() {
        let mut builder = IndexBuilder::with_options(BuildOptions::default());
        let events = [1500usize, 3, 1030, 0, 1024, 1023];
        for (i, &n) in events.iter().enumerate() {
            let ord = builder.add_profile(i as i64);
            for k in 0..n {
                builder.add_event(ord, "view", AT - k as i64 * 1000, &Map::new());
            }
        }
        let index = builder.finish();
        let query = EventQuery {
            event: "view".into(),
            filter: None,
            window: None,
            span: Span::default(),
        };
        let count = |op, value| {
            Expr::Count(CountCond {
                query: query.clone(),
                cmp: NumCmp::Compare { op, value },
            })
        };
        let exprs = [
            count(CmpOp::Ge, 1.0),
            count(CmpOp::Ge, 1024.0),
            count(CmpOp::Eq, 1500.0),
            count(CmpOp::Lt, 1100.0),
            count(CmpOp::Ne, 1030.0),
            Expr::Did(query.clone()),
        ];
        let batch: Vec<&Expr> = exprs.iter().collect();
        let shared = index.evaluate_all(&batch, AT).unwrap();
        let members = |set: &roaring::RoaringBitmap| set.iter().collect::<Vec<u32>>();
        for (expr, set) in exprs.iter().zip(&shared) {
            assert_eq!(
                members(set),
                members(&index.evaluate(expr, AT).unwrap()),
                "{expr:?}"
            );
        }
        assert_eq!(members(&shared[1]), [0, 2, 4]);
        assert_eq!(members(&shared[3]), [1, 2, 3, 4, 5]);
    }
}
