//! Event counts shared by the conditions of a batch ([`crate::Index::evaluate_all`]): how
//! many of each profile's events one query selects, kept as the profiles per class of count
//! (see [`Cuts`]) for the comparisons the batch makes of that count.

use std::ops::Range;

use roaring::RoaringBitmap;
use tessera_lang::{EventQuery, NumCmp};
use tessera_model::Millis;

use super::class_rows::ClassRows;
use super::cuts::Cuts;
use super::events::{bounds, count_profiles, number_pred, Measure};
use crate::index::events::RowCodes;
use crate::index::row_filter::RowFilter;
use crate::index::Index;

/// How many of each profile's events an event query selects as of some instant, as the
/// profiles per class of that count (profiles with none are in no class).
///
/// Several conditions of one batch that count the same events (`count(E in last 30d) >= 1`
/// … `>= 10`, or `did(E in last 30d)`) take their answers from one of these, computed once:
/// each is then a union of the classes whose counts pass its comparison.
pub(super) struct Counts {
    cuts: Cuts,
    classes: ClassRows,
}

impl Counts {
    /// The counts of `query`'s events for every profile, by the classes of `cuts`.
    pub(super) fn compute(index: &Index, query: &EventQuery, cuts: &Cuts, at: Millis) -> Counts {
        let mut counts = CountsBuilder::new(cuts);
        count_profiles(index, query, at, |ord, n| counts.push(cuts, ord, n));
        counts.finish(cuts, index.len())
    }

    /// The counts of each of `queries`, which all select events of one name in one window
    /// and differ in their filters (`did(E where category = C in last 30d)` for eight `C`).
    ///
    /// Filters that posting lists serve are counted one by one from them, unless their
    /// posting lists together hold more rows than there are profiles with such events: then
    /// one pass over every profile's window tests all the filters on its rows, instead of a
    /// scattered visit per filter.
    pub(super) fn compute_group(
        index: &Index,
        queries: &[EventQuery],
        cuts: &[Cuts],
        at: Millis,
    ) -> Vec<Counts> {
        // No profile has a count (of events the index does not hold, or in no time).
        let none = || {
            cuts.iter()
                .map(|cuts| CountsBuilder::new(cuts).finish(cuts, 0))
                .collect()
        };
        let (Some(first), Some(table)) = (
            queries.first(),
            queries.first().and_then(|q| index.events.get(&q.event)),
        ) else {
            return none();
        };
        debug_assert!(queries
            .iter()
            .all(|q| q.event == first.event && q.window == first.window));
        let Some((low, high)) = bounds(first.window.as_ref(), at) else {
            return none();
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
        let mut all: Vec<Option<Counts>> = Vec::with_capacity(queries.len());
        let mut scanned = Vec::new();
        for (i, query) in queries.iter().enumerate() {
            if postings[i].is_some() && !scan_all {
                all.push(Some(Counts::compute(index, query, &cuts[i], at)));
            } else {
                all.push(None);
                scanned.push(i);
            }
        }
        let masks = CodeMasks::compile(scanned.iter().map(|&i| filters[i].as_ref()));
        // Profiles in slices side by side on rayon's threads, each slice's lists then
        // concatenated (their profiles do not overlap and come in order) and made sets once.
        use rayon::prelude::*;
        const SLICE: usize = 1 << 15;
        let slices: Vec<Vec<CountsBuilder>> = (0..table.seg_profile.len().div_ceil(SLICE))
            .into_par_iter()
            .map(|slice| {
                let mut counts: Vec<CountsBuilder> = scanned
                    .iter()
                    .map(|&i| CountsBuilder::new(&cuts[i]))
                    .collect();
                let mut per_filter = vec![0u64; usize::from(NO_FILTER) + 1];
                let runs = slice * SLICE..((slice + 1) * SLICE).min(table.seg_profile.len());
                table.for_each_window(runs, low, high, |run_index, rows| {
                    let ord = table.seg_profile[run_index];
                    if let Some(masks) = &masks {
                        // Only the filters some row passed: a profile's few rows pass few
                        // of the filters (one category of eight, say).
                        let mut counted = masks.count(rows, &mut per_filter);
                        while counted != 0 {
                            let k = counted.trailing_zeros() as usize;
                            counted &= counted - 1;
                            let n = std::mem::take(&mut per_filter[k]);
                            counts[k].push(&cuts[scanned[k]], ord, n);
                        }
                        return;
                    }
                    for (&i, counts) in scanned.iter().zip(&mut counts) {
                        let n = match &filters[i] {
                            None => rows.len(),
                            Some(filter) => rows.clone().filter(|&row| filter.matches(row)).count(),
                        };
                        counts.push(&cuts[i], ord, n as u64);
                    }
                });
                counts
            })
            .collect();
        let mut joined: Vec<CountsBuilder> = scanned
            .iter()
            .map(|&i| CountsBuilder::new(&cuts[i]))
            .collect();
        for slice in slices {
            for (mine, theirs) in joined.iter_mut().zip(slice) {
                mine.append(theirs);
            }
        }
        let finished: Vec<Counts> = joined
            .into_par_iter()
            .zip(&scanned)
            .map(|(counts, &i)| counts.finish(&cuts[i], index.len()))
            .collect();
        for (&i, counts) in scanned.iter().zip(finished) {
            all[i] = Some(counts);
        }
        all.into_iter()
            .map(|counts| counts.expect("every query counted"))
            .collect()
    }

    /// The profiles of `scope` whose count passes `cmp`: what evaluating
    /// `Measure::Count(cmp)` on the same query answers. `None` when the cuts do not decide
    /// `cmp` (it compares with another number than the batch's comparisons).
    pub(super) fn select(&self, cmp: &NumCmp, scope: &RoaringBitmap) -> Option<RoaringBitmap> {
        let pred = number_pred(cmp);
        if !self.cuts.decide(&pred) {
            return None;
        }
        let holds_for_none = Measure::Count(cmp).holds_for_none();
        let mut passing = vec![false; self.cuts.classes()];
        self.cuts
            .passing(&pred)
            .for_each(|class| passing[class] = true);
        // The profiles the comparison sets apart from those with no events: passing ones
        // when none pass, failing ones when none fail.
        let listed = self.classes.union(
            passing
                .into_iter()
                .enumerate()
                .filter(|&(_, passes)| passes != holds_for_none)
                .map(|(class, _)| class),
        );
        Some(if holds_for_none {
            scope - listed
        } else {
            listed & scope
        })
    }
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
    /// When no code passes two filters (`category = "a"`, `category = "b"`, …): the one
    /// filter each code passes, [`NO_FILTER`] for none, and likewise for missing rows. A row
    /// then adds to one count without a loop over its mask's bits.
    slots: Option<(Vec<u8>, u8)>,
    /// The queries without a filter, which count every row of the window.
    unfiltered: u64,
}

/// The slot of rows that pass no filter: counts have one more entry, never read.
const NO_FILTER: u8 = 64;

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
        let mut unfiltered = 0u64;
        for (k, filter) in filters.iter().enumerate() {
            let bit = 1u64 << k;
            match filter {
                None => unfiltered |= bit,
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
        let slot = |mask: u64| match mask.count_ones() {
            0 => Some(NO_FILTER),
            1 => Some(mask.trailing_zeros() as u8),
            _ => None,
        };
        let slots = masks
            .iter()
            .map(|&mask| slot(mask))
            .collect::<Option<Vec<u8>>>()
            .zip(slot(missing));
        Some(CodeMasks {
            codes: &column.codes,
            masks,
            missing,
            slots,
            unfiltered,
        })
    }

    /// Adds to `counts[k]` the rows of `rows` for which filter `k` holds; returns the mask
    /// of the filters that some row of `rows` passed (bit `k` for filter `k`). `counts` has
    /// an entry past the last filter's, [`NO_FILTER`].
    #[inline]
    fn count(&self, rows: Range<usize>, counts: &mut [u64]) -> u64 {
        let mut counted = 0;
        if !rows.is_empty() {
            counted = self.unfiltered;
            let mut unfiltered = self.unfiltered;
            while unfiltered != 0 {
                counts[unfiltered.trailing_zeros() as usize] += rows.len() as u64;
                unfiltered &= unfiltered - 1;
            }
        }
        if let Some((slots, missing)) = &self.slots {
            self.codes.for_each(rows, |code| {
                let slot = slots.get(code as usize).copied().unwrap_or(*missing);
                counts[usize::from(slot)] += 1;
                // Bit 64 (`NO_FILTER`) falls off.
                counted |= (1u128 << slot) as u64;
            });
            return counted;
        }
        self.codes.for_each(rows, |code| {
            let mut mask = self
                .masks
                .get(code as usize)
                .copied()
                .unwrap_or(self.missing);
            counted |= mask;
            while mask != 0 {
                counts[mask.trailing_zeros() as usize] += 1;
                mask &= mask - 1;
            }
        });
        counted
    }
}

/// Builds [`Counts`] from profiles arriving in ascending order: the profiles of each class
/// listed, then set in the class's row at the end (a list costs 4 bytes a profile; the
/// rows, a bit per profile and class, are allocated once, not per slice of profiles).
struct CountsBuilder {
    lists: Vec<Vec<u32>>,
    /// The class of each count below the table's length (a push is on the hot path, and
    /// counts are compared with small numbers).
    class_by_count: Vec<u32>,
    /// The class of every longer count, when one class holds them all.
    beyond: Option<usize>,
}

impl CountsBuilder {
    /// The longest lookup table: counts compared with larger numbers compute their class.
    const TABLE: usize = 1 << 12;

    fn new(cuts: &Cuts) -> CountsBuilder {
        let len = match cuts.largest() {
            Some(largest) if largest < Self::TABLE as f64 => largest.max(0.0) as usize + 2,
            Some(_) => Self::TABLE,
            None => 1,
        };
        let class_by_count = (0..len).map(|n| cuts.class_of(n as f64) as u32).collect();
        // Every point is below `len` unless the table was capped.
        let beyond = cuts
            .largest()
            .is_none_or(|largest| largest < len as f64)
            .then(|| cuts.class_of(len as f64));
        CountsBuilder {
            lists: vec![Vec::new(); cuts.classes()],
            class_by_count,
            beyond,
        }
    }

    #[inline]
    fn push(&mut self, cuts: &Cuts, ord: u32, n: u64) {
        if n == 0 {
            return;
        }
        let class = match self.class_by_count.get(n as usize) {
            Some(&class) => class as usize,
            None => self.beyond.unwrap_or_else(|| cuts.class_of(n as f64)),
        };
        self.lists[class].push(ord);
    }

    /// Adds the counts of other profiles, all after these ones.
    fn append(&mut self, other: CountsBuilder) {
        for (mine, mut theirs) in self.lists.iter_mut().zip(other.lists) {
            if mine.is_empty() {
                *mine = theirs;
            } else {
                mine.append(&mut theirs);
            }
        }
    }

    /// The counts, of profiles below `universe`.
    fn finish(self, cuts: &Cuts, universe: usize) -> Counts {
        let mut rows = ClassRows::builder(cuts.classes(), universe);
        for (class, ords) in self.lists.iter().enumerate() {
            rows.insert_all(ords, class);
        }
        Counts {
            cuts: cuts.clone(),
            classes: rows.finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Map;
    use tessera_lang::{CmpOp, CountCond, EventQuery, Expr, NumCmp, Span};

    use crate::index::{BuildOptions, IndexBuilder};

    const AT: i64 = 1_800_000_000_000;

    /// Counts in the thousands, compared with numbers past the builder's lookup table of
    /// small counts and around it, against the unshared evaluation of the same conditions.
    #[test]
    fn large_counts_are_shared_like_small_ones() {
        let mut builder = IndexBuilder::with_options(BuildOptions::default());
        let events = [1500usize, 3, 1030, 0, 1024, 1023, 6000];
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
            // Past the lookup table: classes computed, not looked up.
            count(CmpOp::Ge, 5000.0),
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
        assert_eq!(members(&shared[1]), [0, 2, 4, 6]);
        assert_eq!(members(&shared[3]), [1, 2, 3, 4, 5]);
        assert_eq!(members(&shared[6]), [6]);
    }
    /// Filters on one column whose codes overlap (a code passes two of them, or a missing
    /// value passes one), so that each row adds to several counts, and filters that do not
    /// (one count per row), both against the unshared evaluation of every condition.
    #[test]
    fn filters_of_one_column_are_counted_whether_or_not_they_overlap() {
        let mut builder = IndexBuilder::with_options(BuildOptions::default());
        let categories = [Some("a"), Some("b"), None, Some("c"), Some("a"), Some("b")];
        for p in 0..300i64 {
            let ord = builder.add_profile(p);
            for k in 0..(p % 7) as usize {
                let mut props = Map::new();
                if let Some(category) = categories[(p as usize + k * 5) % categories.len()] {
                    props.insert("category".into(), category.into());
                }
                builder.add_event(ord, "view", AT - (p + k as i64) * 3_600_000, &props);
            }
        }
        let index = builder.finish();
        let batch = |texts: &[&str]| {
            let exprs: Vec<Expr> = texts.iter().map(|t| tessera_lang::parse(t).expr).collect();
            let refs: Vec<&Expr> = exprs.iter().collect();
            let shared = index.evaluate_all(&refs, AT).unwrap();
            for (expr, set) in exprs.iter().zip(&shared) {
                assert_eq!(set, &index.evaluate(expr, AT).unwrap(), "{expr:?}");
            }
            shared.iter().map(|set| set.len()).collect::<Vec<u64>>()
        };
        // One filter per code: a row adds to at most one count.
        let disjoint = batch(&[
            r#"did(view where category = "a" in last 10d)"#,
            r#"count(view where category = "b" in last 10d) >= 2"#,
            r#"did(view where category = "c" in last 10d)"#,
            "count(view in last 10d) >= 3",
        ]);
        // "a" passes three filters and a missing category one.
        let overlapping = batch(&[
            r#"did(view where category = "a" in last 10d)"#,
            r#"count(view where category in ("a", "b") in last 10d) >= 2"#,
            r#"count(view where category != "c" in last 10d) >= 3"#,
            "count(view in last 10d) >= 3",
        ]);
        assert!(disjoint
            .iter()
            .chain(&overlapping)
            .all(|&n| n > 0 && n < 300));
    }
}
