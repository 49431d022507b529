//! What a batch of conditions ([`Index::evaluate_all`]) computes once and shares among them:
//! event counts that several conditions test, and numeric traits that several conditions
//! compare with thresholds. An overlap matrix asks both of ten conditions at a time
//! (`count(Product Viewed in last 30d) >= 1` … `>= 10`, `income > 25000` … `> 115000`).

use std::ops::Bound;
use std::sync::OnceLock;

use roaring::{MultiOps, RoaringBitmap};
use tessera_lang::{EventQuery, Expr, ValueTest};
use tessera_model::{LocalField, Millis, LAST_LOCATION};

use super::events::Counts;
use crate::index::bitmaps::BitmapSink;
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
        let mut counts: Vec<(Vec<&EventQuery>, usize)> = Vec::new();
        let mut numbers: Vec<(&str, Vec<&ValueTest>, usize)> = Vec::new();
        for expr in exprs {
            leaves(expr, &mut |leaf| match leaf {
                Expr::Did(query) => group_query(&mut counts, query),
                Expr::Count(cond) => group_query(&mut counts, &cond.query),
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
                .filter(|&(_, uses)| uses >= 2)
                .map(|(queries, _)| CountGroup {
                    queries: queries.into_iter().cloned().collect(),
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

fn group_query<'e>(groups: &mut Vec<(Vec<&'e EventQuery>, usize)>, query: &'e EventQuery) {
    let same_events = |q: &&EventQuery| q.event == query.event && q.window == query.window;
    match groups
        .iter_mut()
        .find(|(queries, _)| same_events(&queries[0]))
    {
        Some((queries, uses)) => {
            *uses += 1;
            if !queries.contains(&query) {
                queries.push(query);
            }
        }
        None => groups.push((vec![query], 1)),
    }
}

/// Distinct queries of one event name and window that the batch counts (by `count` or
/// `did`) at least twice in all: the same query under several thresholds, or several filters
/// of the same events.
struct CountGroup {
    queries: Vec<EventQuery>,
    counts: OnceLock<Vec<Counts>>,
}

impl CountGroup {
    fn counts(&self, index: &Index, at: Millis) -> &[Counts] {
        self.counts.get_or_init(|| match self.queries.as_slice() {
            [one] => vec![Counts::compute(index, one, at)],
            several => Counts::compute_group(index, several, at),
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

/// Tests of one numeric trait, answered from one pass over its column.
///
/// The literals the tests compare with, sorted (`p₀ < p₁ < … < pₘ₋₁`), cut the numbers into
/// classes no test can tell apart: below `p₀`, exactly `p₀`, between `p₀` and `p₁`, …, above
/// `pₘ₋₁`, and NaN (which passes no comparison). The pass puts each profile in its class; a
/// test is then the union of the classes it passes, decided on one number of each class.
struct NumberGroup {
    name: String,
    tests: Vec<ValueTest>,
    points: Vec<f64>,
    /// Profiles per class: class `2i` is the open interval below `pᵢ` (and above `pᵢ₋₁`),
    /// class `2i + 1` is `pᵢ` itself, class `2m + 1` is NaN.
    classes: OnceLock<Vec<RoaringBitmap>>,
}

impl NumberGroup {
    fn new(name: &str, tests: Vec<&ValueTest>) -> NumberGroup {
        let mut points = Vec::new();
        for test in &tests {
            match RangePred::compile(test, number_literal) {
                RangePred::Within(low, high) => {
                    for bound in [low, high] {
                        if let Bound::Included(p) | Bound::Excluded(p) = bound {
                            points.push(p);
                        }
                    }
                }
                RangePred::NotEqual(p) => points.push(p),
                RangePred::AnyOf(values) => points.extend(values),
                RangePred::Never | RangePred::Always => {}
            }
        }
        // Literals are numbers from the parser: never NaN.
        points.retain(|p| !p.is_nan());
        points.sort_by(f64::total_cmp);
        points.dedup();
        NumberGroup {
            name: name.to_string(),
            tests: tests.into_iter().cloned().collect(),
            points,
            classes: OnceLock::new(),
        }
    }

    fn class_count(&self) -> usize {
        2 * self.points.len() + 2
    }

    /// The class of `x`: how many points are below it plus how many are at or below it,
    /// which is `2i` strictly between `pᵢ₋₁` and `pᵢ` and `2i + 1` at `pᵢ`.
    #[inline]
    fn class_of(&self, x: f64) -> usize {
        if x.is_nan() {
            return self.class_count() - 1;
        }
        if self.points.len() <= 64 {
            // Branch-free: the compiler turns this into vector compares.
            self.points
                .iter()
                .map(|&p| usize::from(p < x) + usize::from(p <= x))
                .sum()
        } else {
            self.points.partition_point(|&p| p < x) + self.points.partition_point(|&p| p <= x)
        }
    }

    /// A number of each class, to decide the class's fate under a test: every number of a
    /// class passes the same tests, the group's literals being its bounds.
    fn representative(&self, class: usize) -> f64 {
        if class == self.class_count() - 1 {
            return f64::NAN;
        }
        let i = class / 2;
        if class % 2 == 1 {
            return self.points[i];
        }
        match i.checked_sub(1) {
            None => f64::NEG_INFINITY,
            // The least number above `pᵢ₋₁`: in the class unless the class is empty (`pᵢ₋₁`
            // and `pᵢ` adjacent floats), and then whatever it decides selects nobody.
            Some(below) => self.points[below].next_up(),
        }
    }

    fn classes(&self, index: &Index) -> &[RoaringBitmap] {
        self.classes.get_or_init(|| {
            let empty = Sparse::default();
            let column = index
                .traits
                .get(&self.name)
                .and_then(|columns| columns.numbers.as_ref())
                .unwrap_or(&empty);
            let mut sinks: Vec<BitmapSink> = (0..self.class_count())
                .map(|_| BitmapSink::default())
                .collect();
            for (&ord, &x) in column.ords.iter().zip(&column.vals) {
                sinks[self.class_of(x)].push(ord);
            }
            sinks.into_iter().map(BitmapSink::finish).collect()
        })
    }

    /// Every profile whose value passes `test`, one of the group's tests.
    fn select(&self, index: &Index, test: &ValueTest) -> RoaringBitmap {
        let pred = RangePred::compile(test, number_literal);
        self.classes(index)
            .iter()
            .enumerate()
            .filter(|&(class, _)| pred.matches(self.representative(class)))
            .map(|(_, profiles)| profiles)
            .union()
    }
}
