//! What a batch of conditions ([`Index::evaluate_all`]) computes once and shares among them:
//! event counts that several conditions test, and numeric traits that several conditions
//! compare with thresholds. An overlap matrix asks both of ten conditions at a time
//! (`count(Product Viewed in last 30d) >= 1` … `>= 10`, `income > 25000` … `> 115000`).

use std::sync::OnceLock;

use roaring::RoaringBitmap;
use tessera_lang::{CmpOp, EventQuery, Expr, NumCmp, ValueTest};
use tessera_model::{LocalField, Millis, LAST_LOCATION};

use super::class_rows::ClassRows;
use super::counts::Counts;
use super::cuts::{ClassMemo, Cuts};
use super::events::number_pred;
use crate::index::traits::Sparse;
use crate::index::Index;
use crate::predicate::{number_literal, RangePred};

/// The groups of one batch, each computed once, before the conditions.
pub(super) struct Shared {
    counts: Vec<CountGroup>,
    numbers: Vec<NumberGroup>,
}

impl Shared {
    pub(super) fn for_batch(index: &Index, exprs: &[&Expr]) -> Shared {
        // Spans compare equal: the same events written twice are one query.
        let mut counts: Vec<QueryUses> = Vec::new();
        let mut numbers: Vec<(&str, Vec<&ValueTest>, usize)> = Vec::new();
        for expr in exprs {
            leaves(expr, &mut |leaf| match leaf {
                Expr::Did(query) => count_use(&mut counts, query, &AT_LEAST_ONE),
                Expr::Count(cond) => count_use(&mut counts, &cond.query, &cond.cmp),
                Expr::Trait(cond) if numeric_only(index, &cond.name) && ranged(&cond.test) => {
                    match numbers.iter_mut().find(|(name, ..)| *name == cond.name) {
                        Some((_, tests, uses)) => {
                            *uses += 1;
                            if !tests.contains(&&cond.test) {
                                tests.push(&cond.test);
                            }
                        }
                        None => numbers.push((&cond.name, vec![&cond.test], 1)),
                    }
                }
                _ => {}
            });
        }
        Shared {
            counts: counts
                .into_iter()
                .filter(|group| group.uses >= 2)
                .map(|group| CountGroup {
                    cuts: group
                        .queries
                        .iter()
                        .map(|(_, preds)| Cuts::new(preds))
                        .collect(),
                    queries: group.queries.into_iter().map(|(q, _)| q.clone()).collect(),
                    counts: OnceLock::new(),
                })
                .collect(),
            numbers: numbers
                .into_iter()
                .filter(|&(.., uses)| uses >= 2)
                .map(|(name, tests, _)| NumberGroup::new(name, tests))
                .collect(),
        }
    }

    /// Computes every group, side by side on rayon's threads. Left to the first condition
    /// that needs it, a group would keep a thread waiting while another computes it.
    pub(super) fn prepare(&self, index: &Index, at: Millis) {
        use rayon::prelude::*;
        rayon::join(
            || {
                self.counts.par_iter().for_each(|group| {
                    group.counts(index, at);
                })
            },
            || {
                self.numbers.par_iter().for_each(|group| {
                    group.classes(index);
                })
            },
        );
    }

    /// The shared counts of `query`, when a group holds it.
    pub(super) fn counts(&self, index: &Index, query: &EventQuery, at: Millis) -> Option<&Counts> {
        self.counts.iter().find_map(|group| {
            let i = group.queries.iter().position(|q| q == query)?;
            Some(&group.counts(index, at)[i])
        })
    }

    /// Every profile whose trait `name` passes `test` (callers narrow it to their scope), when
    /// a group holds the test.
    pub(super) fn trait_test(
        &self,
        index: &Index,
        name: &str,
        test: &ValueTest,
    ) -> Option<RoaringBitmap> {
        let group = self
            .numbers
            .iter()
            .find(|group| group.name == name && group.tests.contains(test))?;
        Some(group.select(index, test))
    }
}

/// Calls `f` with every condition of `expr` that is not `and`, `or` or `not`.
fn leaves<'e>(expr: &'e Expr, f: &mut impl FnMut(&'e Expr)) {
    match expr {
        Expr::And(items) | Expr::Or(items) => items.iter().for_each(|item| leaves(item, f)),
        Expr::Not(inner) => leaves(inner, f),
        leaf => f(leaf),
    }
}

/// `did(query)` as a count comparison.
const AT_LEAST_ONE: NumCmp = NumCmp::Compare {
    op: CmpOp::Ge,
    value: 1.0,
};

/// The counted queries of one event name and window, with the comparisons made of each
/// query's count.
struct QueryUses<'e> {
    queries: Vec<(&'e EventQuery, Vec<RangePred<f64>>)>,
    uses: usize,
}

fn count_use<'e>(groups: &mut Vec<QueryUses<'e>>, query: &'e EventQuery, cmp: &NumCmp) {
    let pred = number_pred(cmp);
    let same_events = |q: &EventQuery| q.event == query.event && q.window == query.window;
    let Some(group) = groups
        .iter_mut()
        .find(|group| same_events(group.queries[0].0))
    else {
        groups.push(QueryUses {
            queries: vec![(query, vec![pred])],
            uses: 1,
        });
        return;
    };
    group.uses += 1;
    match group.queries.iter_mut().find(|(q, _)| *q == query) {
        Some((_, preds)) => preds.push(pred),
        None => group.queries.push((query, vec![pred])),
    }
}

/// Distinct queries of one event name and window that the batch counts (by `count` or
/// `did`) at least twice in all: the same query under several thresholds, or several filters
/// of the same events. Each query's counts are kept by the classes its comparisons need.
struct CountGroup {
    queries: Vec<EventQuery>,
    cuts: Vec<Cuts>,
    counts: OnceLock<Vec<Counts>>,
}

impl CountGroup {
    fn counts(&self, index: &Index, at: Millis) -> &[Counts] {
        self.counts.get_or_init(|| match self.queries.as_slice() {
            [one] => vec![Counts::compute(index, one, &self.cuts[0], at)],
            several => Counts::compute_group(index, several, &self.cuts, at),
        })
    }
}

/// Whether the trait's values are all numbers: the only kind a group serves. (A trait with
/// other kinds too is tested the usual way, one column per kind.)
fn numeric_only(index: &Index, name: &str) -> bool {
    if LocalField::from_name(name).is_some() || name == LAST_LOCATION {
        return false;
    }
    index.traits.get(name).is_some_and(|columns| {
        columns.numbers.is_some()
            && columns.strings.is_none()
            && columns.bools.is_none()
            && columns.timestamps.is_none()
            && columns.geos.is_none()
            && columns.lists.is_none()
    })
}

/// Whether a test compares numbers with literals (`exists` and `is null` read the presence
/// set, and tests no number passes need no pass at all).
fn ranged(test: &ValueTest) -> bool {
    !matches!(
        RangePred::compile(test, number_literal),
        RangePred::Never | RangePred::Always
    )
}

/// Tests of one numeric trait, answered from one pass over its column that puts each profile
/// in the class of its value ([`Cuts`]); each test is then a union of classes.
struct NumberGroup {
    name: String,
    tests: Vec<ValueTest>,
    cuts: Cuts,
    /// Profiles per class.
    classes: OnceLock<ClassRows>,
}

impl NumberGroup {
    fn new(name: &str, tests: Vec<&ValueTest>) -> NumberGroup {
        let preds: Vec<RangePred<f64>> = tests
            .iter()
            .map(|test| RangePred::compile(test, number_literal))
            .collect();
        NumberGroup {
            name: name.to_string(),
            tests: tests.into_iter().cloned().collect(),
            cuts: Cuts::new(&preds),
            classes: OnceLock::new(),
        }
    }

    fn classes(&self, index: &Index) -> &ClassRows {
        self.classes.get_or_init(|| {
            let empty = Sparse::default();
            let column = index
                .traits
                .get(&self.name)
                .and_then(|columns| columns.numbers.as_ref())
                .unwrap_or(&empty);
            let mut rows = ClassRows::builder(self.cuts.classes(), index.len());
            let mut memo = ClassMemo::new(&self.cuts);
            for (&ord, &x) in column.ords.iter().zip(&column.vals) {
                rows.insert(ord, memo.class_of(x));
            }
            rows.finish()
        })
    }

    /// Every profile whose value passes `test`, one of the group's tests.
    fn select(&self, index: &Index, test: &ValueTest) -> RoaringBitmap {
        let pred = RangePred::compile(test, number_literal);
        self.classes(index).union(self.cuts.passing(&pred))
    }
}
