//! Bitmap evaluation of a segment over an [`Index`]: every condition becomes the set of profile
//! ordinals for which it holds.
//!
//! Evaluation carries a *scope*, the profiles still in question: `a and b` evaluates `b` only
//! within the result of `a`, `a or b` evaluates `b` only outside the result of `a`, and
//! `not a` is the scope minus `a`. Small scopes let conditions probe profiles one by one
//! instead of scanning (see [`crate::Tuning`]); every function returns exactly the profiles of
//! its scope for which its condition holds.

mod batch;
mod class_rows;
mod counts;
mod cuts;
mod events;
mod last_location;
mod latest;
mod local_time;
mod sequence;
mod values;

use roaring::RoaringBitmap;
use tessera_lang::{EventQuery, Expr, PropFilter, Span};
use tessera_model::{Millis, LAST_LOCATION};

use crate::error::{Error, Result};
use crate::index::Index;
use batch::Shared;
use events::Measure;

impl Index {
    /// The ordinals of the profiles for which `expr` holds as of `at`.
    ///
    /// Refuses a tree that still holds `Missing` nodes from a syntax error.
    pub fn evaluate(&self, expr: &Expr, at: Millis) -> Result<RoaringBitmap> {
        validate(expr)?;
        let scope = self.universe();
        let evaluator = Evaluator {
            index: self,
            at,
            shared: None,
        };
        Ok(evaluator.eval(expr, &scope))
    }

    /// What [`Index::evaluate`] answers for each of `exprs`, evaluated side by side on rayon's
    /// threads, in the order given.
    ///
    /// Event counts that several of them test (`count(E in last 30d) >= 1` … `>= 10`, `did`
    /// of the same events) are computed once for every profile and shared: each such
    /// condition is then a pass over the counts instead of over the events. Likewise a
    /// numeric trait compared several times (`income > 25000` … `> 115000`) is read once.
    pub fn evaluate_all(&self, exprs: &[&Expr], at: Millis) -> Result<Vec<RoaringBitmap>> {
        use rayon::prelude::*;
        exprs.iter().try_for_each(|expr| validate(expr))?;
        let shared = Shared::for_batch(self, exprs);
        shared.prepare(self, at);
        let scope = self.universe();
        Ok(exprs
            .par_iter()
            .map(|expr| {
                let evaluator = Evaluator {
                    index: self,
                    at,
                    shared: Some(&shared),
                };
                evaluator.eval(expr, &scope)
            })
            .collect())
    }
}

/// Checks that a tree can be evaluated: it holds no `Missing` node.
pub fn validate(expr: &Expr) -> Result<()> {
    let missing = |span: &Span| Error::Invalid {
        reason: "the segment has a syntax error here".to_string(),
        span: *span,
    };
    let query = |q: &EventQuery| q.filter.as_ref().map_or(Ok(()), validate_filter);
    match expr {
        Expr::And(items) | Expr::Or(items) => items.iter().try_for_each(validate),
        Expr::Not(inner) => validate(inner),
        Expr::Trait(cond) => match &cond.test {
            tessera_lang::ValueTest::Within {
                of: tessera_lang::GeoTarget::Place(_) | tessera_lang::GeoTarget::Tagged(_),
                ..
            } => Err(Error::Invalid {
                reason:
                    "place references must be expanded into points first (tessera_lang::expand)"
                        .to_string(),
                span: cond.span,
            }),
            _ => Ok(()),
        },
        Expr::InSegment(reference) => Err(Error::Invalid {
            reason: "segment references must be expanded first (tessera_lang::expand)".to_string(),
            span: reference.span,
        }),
        Expr::Did(q) => query(q),
        Expr::Sequence(c) => query(&c.first).and_then(|_| query(&c.second)),
        Expr::Count(c) => query(&c.query),
        Expr::Aggregate(c) => query(&c.query),
        Expr::Recency(c) => query(&c.query),
        Expr::Value(c) => query(&c.query),
        Expr::Missing(span) => Err(missing(span)),
    }
}

fn validate_filter(filter: &PropFilter) -> Result<()> {
    match filter {
        PropFilter::And(items) | PropFilter::Or(items) => {
            items.iter().try_for_each(validate_filter)
        }
        PropFilter::Not(inner) => validate_filter(inner),
        PropFilter::Test(_) => Ok(()),
        PropFilter::Missing(span) => Err(Error::Invalid {
            reason: "the event filter has a syntax error here".to_string(),
            span: *span,
        }),
    }
}

struct Evaluator<'a> {
    index: &'a Index,
    at: Millis,
    /// What a batch of conditions computed once ([`Index::evaluate_all`]).
    shared: Option<&'a Shared>,
}

impl Evaluator<'_> {
    /// The profiles of `scope` for which `expr` holds.
    fn eval(&self, expr: &Expr, scope: &RoaringBitmap) -> RoaringBitmap {
        let result = self.eval_unchecked(expr, scope);
        // `and` and `or` rely on results staying within their scope.
        debug_assert!(
            result.is_subset(scope),
            "result of {expr:?} leaves its scope"
        );
        result
    }

    fn eval_unchecked(&self, expr: &Expr, scope: &RoaringBitmap) -> RoaringBitmap {
        if scope.is_empty() {
            return RoaringBitmap::new();
        }
        match expr {
            Expr::And(items) => {
                // Cheap conditions first: each one narrows the scope of the next.
                let mut ordered: Vec<&Expr> = items.iter().collect();
                ordered.sort_by_key(|e| cost(e));
                let mut current = scope.clone();
                for item in ordered {
                    current = self.eval(item, &current);
                    if current.is_empty() {
                        break;
                    }
                }
                current
            }
            Expr::Or(items) if within_targets(items).is_some_and(|(n, _)| n == LAST_LOCATION) => {
                let tests: Vec<&tessera_lang::ValueTest> = items
                    .iter()
                    .filter_map(|item| match item {
                        Expr::Trait(cond) => Some(&cond.test),
                        _ => None,
                    })
                    .collect();
                last_location::evaluate(self.index, &tests, self.at, scope)
            }
            Expr::Or(items) if within_targets(items).is_some() => {
                // `home within D of any place tagged …` after expansion: one pass over the
                // geo column against all the targets, not one pass per target.
                let (name, targets) = within_targets(items).expect("checked by the guard");
                match self.index.traits.get(name) {
                    Some(columns) => columns.select_within_any(&targets, scope, &self.index.tuning),
                    None => RoaringBitmap::new(),
                }
            }
            Expr::Or(items) => {
                let mut found = RoaringBitmap::new();
                let mut rest = scope.clone();
                for item in items {
                    let hits = self.eval(item, &rest);
                    rest -= &hits;
                    found |= hits;
                    if rest.is_empty() {
                        break;
                    }
                }
                found
            }
            Expr::Not(inner) => scope - self.eval(inner, scope),
            Expr::Trait(cond) if tessera_model::LocalField::from_name(&cond.name).is_some() => {
                let field = tessera_model::LocalField::from_name(&cond.name).expect("guard");
                local_time::evaluate(self.index, field, &cond.test, self.at, scope)
            }
            Expr::Trait(cond) if cond.name == LAST_LOCATION => {
                last_location::evaluate(self.index, &[&cond.test], self.at, scope)
            }
            Expr::Trait(cond) => match self.index.traits.get(&cond.name) {
                Some(columns) => match self
                    .shared
                    .and_then(|shared| shared.trait_test(self.index, &cond.name, &cond.test))
                {
                    Some(passing) => passing & scope,
                    None => columns.select(&cond.test, scope, &self.index.tuning),
                },
                // Nobody has the trait: only `is null` holds.
                None if matches!(cond.test, tessera_lang::ValueTest::IsNull) => scope.clone(),
                None => RoaringBitmap::new(),
            },
            Expr::Did(query) => {
                let at_least_one = tessera_lang::NumCmp::Compare {
                    op: tessera_lang::CmpOp::Ge,
                    value: 1.0,
                };
                self.count(query, &at_least_one, scope)
            }
            Expr::Count(cond) => self.count(&cond.query, &cond.cmp, scope),
            Expr::Aggregate(cond) => self.event(&cond.query, Measure::Aggregate(cond), scope),
            Expr::Recency(cond) => self.event(&cond.query, Measure::Recency(cond), scope),
            Expr::Value(cond) => values::evaluate(self.index, cond, self.at, scope),
            // Refused by `validate`; false is the interpreter's answer.
            Expr::Sequence(cond) => sequence::evaluate(self.index, cond, self.at, scope),
            // `validate` refuses both.
            Expr::InSegment(_) | Expr::Missing(_) => RoaringBitmap::new(),
        }
    }

    fn count(
        &self,
        query: &EventQuery,
        cmp: &tessera_lang::NumCmp,
        scope: &RoaringBitmap,
    ) -> RoaringBitmap {
        let shared = self
            .shared
            .and_then(|shared| shared.counts(self.index, query, self.at))
            .and_then(|counts| counts.select(cmp, scope));
        shared.unwrap_or_else(|| self.event(query, Measure::Count(cmp), scope))
    }

    fn event(
        &self,
        query: &EventQuery,
        measure: Measure<'_>,
        scope: &RoaringBitmap,
    ) -> RoaringBitmap {
        events::evaluate(self.index, query, measure, self.at, scope)
    }
}

/// When every operand of an `or` is `T within D of point(..)` on the same trait `T`: the trait
/// and the (centre, metres) pairs.
fn within_targets(items: &[Expr]) -> Option<(&str, Vec<(tessera_model::GeoPoint, f64)>)> {
    let mut name = None;
    let mut targets = Vec::with_capacity(items.len());
    for item in items {
        let Expr::Trait(cond) = item else {
            return None;
        };
        let tessera_lang::ValueTest::Within {
            distance,
            of: tessera_lang::GeoTarget::Point { lat, lon },
        } = &cond.test
        else {
            return None;
        };
        if *name.get_or_insert(cond.name.as_str()) != cond.name {
            return None;
        }
        let centre = tessera_model::GeoPoint {
            lat: *lat,
            lon: *lon,
        };
        targets.push((centre, distance.metres()));
    }
    Some((name?, targets))
}

/// A rough relative cost, for ordering the operands of `and`.
fn cost(expr: &Expr) -> u32 {
    match expr {
        // A local-time test reads every event table with a time zone.
        Expr::Trait(cond)
            if tessera_model::LocalField::from_name(&cond.name).is_some()
                || cond.name == LAST_LOCATION =>
        {
            8
        }
        Expr::Trait(_) | Expr::InSegment(_) | Expr::Missing(_) => 1,
        Expr::Did(_) | Expr::Count(_) | Expr::Aggregate(_) | Expr::Recency(_) => 8,
        Expr::Value(_) => 12,
        Expr::Sequence(_) => 16,
        Expr::Not(inner) => cost(inner),
        Expr::And(items) | Expr::Or(items) => items.iter().map(cost).sum(),
    }
}
