//! Sequences: `did(A then B within D)` and `did(A not followed by B within D)`, with the
//! interpreter's rules (`sequence_match` in `tessera_engine::interpreter`):
//!
//! - `B` follows `A` when `A.ts < B.ts` and `B.ts − A.ts ≤ D` (saturating: a `D` of
//!   `i64::MAX` milliseconds admits every later event), and every `with same` property is
//!   present and equal on both;
//! - `then` holds when some `A` has a follower;
//! - `not followed by` holds when some `A` with `A.ts + D ≤ at` (saturating) has none.
//!
//! Each step is a derived table of its events (name, `ts ≤ at`, window, `where` filter), and
//! the pairs are a join on `profile_id` inside one CTE, so there is no correlated subquery:
//!
//! ```sql
//! -- then
//! SELECT a.profile_id, 1 AS matched FROM (A) AS a INNER JOIN (B) AS b ON b.profile_id = a.profile_id
//! WHERE a.ts < b.ts AND a.ts >= b.ts - D [AND same…] GROUP BY a.profile_id
//! -- not followed by: per first event, whether anything followed it
//! SELECT s.profile_id, 1 AS matched FROM (
//!   SELECT a.profile_id, MAX(CASE WHEN b.present = 1 AND a.ts < b.ts AND … THEN 1 ELSE 0 END) AS followed
//!   FROM (A, with a.ts <= at - D) AS a LEFT JOIN (B) AS b ON b.profile_id = a.profile_id
//!   GROUP BY a.profile_id, a.ts [, a.same1_string, …]) AS s
//! WHERE s.followed = 0 GROUP BY s.profile_id
//! ```
//!
//! `with same p` is read in each step as three columns, `p` as a string, a number and a
//! boolean (each `NULL` unless `p` is of that kind), and holds when one pair is equal: so a
//! missing value, JSON `null`, an array or an object is never the same, and `1` is `1.0`.
//!
//! In the second form a first event is told apart from the others by its time and its `same`
//! columns: events that agree on those are followed, or not, alike. `b.present` tells a
//! missing follower from a real one in ClickHouse, whose outer joins fill missing columns
//! with defaults (0, `''`) rather than `NULL`.

use sqlparser::ast::{BinaryOperator, Expr, Query};
use tessera_lang::{EventQuery, Expr as Segment, SequenceCond};
use tessera_model::Millis;

use super::{matched, Compiler, MATCHED};
use crate::build::{
    and, binary, boolean, case_when, col, derived, eq, func, inner_join, integer, item, item_as,
    known, left_join, or, query, select, table, SelectParts,
};
use crate::dialect::JsonKind;
use crate::Result;

/// Gaps up to this many milliseconds (about 146 million years) are subtracted from `b.ts`
/// unguarded: that cannot overflow a `BIGINT` for any `b.ts` from −2^62 ms on, and dates
/// (chrono's reach ±262,000 years) are far inside that. Longer gaps are guarded.
const UNGUARDED_GAP: i64 = 1 << 62;

/// The kinds a `with same` value is compared in, with the suffix of its step column.
const SAME_KINDS: [(JsonKind, &str); 3] = [
    (JsonKind::String, "string"),
    (JsonKind::Number, "number"),
    (JsonKind::Bool, "bool"),
];

/// The step column holding the `index`th `with same` property read as `suffix`'s kind.
fn same_column(index: usize, suffix: &str) -> String {
    format!("same{}_{suffix}", index + 1)
}

impl Compiler {
    /// The sequence as a boolean over the joined CTEs; never `NULL`.
    pub(super) fn sequence(&mut self, cond: &SequenceCond, segment: &Segment) -> Result<Expr> {
        let gap = cond.within.millis();
        let first_bounds = match cond.followed {
            true => Vec::new(),
            false => settled(self.at, gap).into_iter().collect(),
        };
        let first = self.step(&cond.first, first_bounds, &cond.same, false, segment)?;
        let second = self.step(
            &cond.second,
            Vec::new(),
            &cond.same,
            !cond.followed,
            segment,
        )?;
        let mut follows = vec![binary(col("a", "ts"), BinaryOperator::Lt, col("b", "ts"))];
        follows.extend(within_gap(gap));
        for index in 0..cond.same.len() {
            // Present on both and equal in one kind: a value of another kind (or an array, an
            // object, nothing) is `NULL` in the kind's column, so its comparison is not true.
            let equal_in_a_kind = SAME_KINDS
                .iter()
                .map(|(_, suffix)| {
                    let column = same_column(index, suffix);
                    eq(col("a", &column), col("b", &column))
                })
                .collect();
            follows.push(known(or(equal_in_a_kind)));
        }
        let same_profile = eq(col("b", "profile_id"), col("a", "profile_id"));
        let pairs = if cond.followed {
            query(select(SelectParts {
                projection: vec![item(col("a", "profile_id")), item_as(integer(1), MATCHED)],
                from: derived(first, "a"),
                joins: vec![inner_join(derived(second, "b"), same_profile)],
                selection: Some(and(follows)),
                group_by: vec![col("a", "profile_id")],
            }))
        } else {
            let mut followed = vec![eq(col("b", "present"), integer(1))];
            followed.extend(follows);
            // A first event is told apart by its time and the values compared with `same`:
            // events that agree on those are followed, or not, alike.
            let mut identity = vec![col("a", "profile_id"), col("a", "ts")];
            for index in 0..cond.same.len() {
                for (_, suffix) in SAME_KINDS {
                    identity.push(col("a", &same_column(index, suffix)));
                }
            }
            let per_first_event = query(select(SelectParts {
                projection: vec![
                    item(col("a", "profile_id")),
                    item_as(
                        func(
                            "MAX",
                            vec![case_when(and(followed), integer(1), Some(integer(0)))],
                        ),
                        "followed",
                    ),
                ],
                from: derived(first, "a"),
                joins: vec![left_join(derived(second, "b"), same_profile)],
                selection: None,
                group_by: identity,
            }));
            query(select(SelectParts {
                projection: vec![item(col("s", "profile_id")), item_as(integer(1), MATCHED)],
                from: derived(per_first_event, "s"),
                joins: Vec::new(),
                selection: Some(eq(col("s", "followed"), integer(0))),
                group_by: vec![col("s", "profile_id")],
            }))
        };
        Ok(matched(&self.cte(pairs)))
    }

    /// The events of one step: a query over `events` (alias `e`) with the columns
    /// `profile_id`, `ts`, each `same` property read in each kind (`same1_string`, …: the
    /// value when it is of that kind, else `NULL`) and, with `present`, `1 AS present`.
    /// `bounds` are further conditions on `e.ts`.
    fn step(
        &self,
        q: &EventQuery,
        bounds: Vec<Expr>,
        same: &[String],
        present: bool,
        segment: &Segment,
    ) -> Result<Query> {
        let mut base = self.event_base(q);
        base.extend(bounds);
        let mut columns = vec![item(col("e", "profile_id")), item(col("e", "ts"))];
        let present_column = || item_as(integer(1), "present");
        if q.filter.is_none() && same.is_empty() {
            if present {
                columns.push(present_column());
            }
            return Ok(query(select(SelectParts {
                projection: columns,
                from: table("events", "e"),
                joins: Vec::new(),
                selection: Some(and(base)),
                group_by: Vec::new(),
            })));
        }
        // The properties are parsed once, one level down (as in `event_cte`); the filter and
        // the `same` values read the parsed document.
        let parsed = query(select(SelectParts {
            projection: vec![
                item(col("e", "profile_id")),
                item(col("e", "ts")),
                item_as(self.flavor.json_doc(col("e", "properties")), "doc"),
            ],
            from: table("events", "e"),
            joins: Vec::new(),
            selection: Some(and(base)),
            group_by: Vec::new(),
        }));
        let doc = col("e", "doc");
        let f = self.flavor;
        for (index, path) in same.iter().enumerate() {
            let v = self
                .property_value(&doc, path)
                .map_err(|reason| self.unsupported(segment, reason))?;
            for (kind, suffix) in SAME_KINDS {
                let value = match kind {
                    JsonKind::String => f.json_text(v.clone()),
                    JsonKind::Number => f.json_number(v.clone()),
                    JsonKind::Bool | JsonKind::Array => f.json_bool(v.clone()),
                };
                // Read only when of the kind: converting another kind can fail.
                columns.push(item_as(
                    case_when(f.json_is(v.clone(), kind), value, None),
                    &same_column(index, suffix),
                ));
            }
        }
        if present {
            columns.push(present_column());
        }
        let selection = match &q.filter {
            Some(filter) => Some(self.filter(filter, &doc, segment)?),
            None => None,
        };
        Ok(query(select(SelectParts {
            projection: columns,
            from: derived(parsed, "e"),
            joins: Vec::new(),
            selection,
            group_by: Vec::new(),
        })))
    }
}

/// `b.ts − a.ts ≤ gap` for a follower (`a.ts < b.ts`), written `a.ts >= b.ts - gap` so that
/// no sum can overflow; `None` when every later event is within the gap.
fn within_gap(gap: Millis) -> Option<Expr> {
    if gap == Millis::MAX {
        // The interpreter's difference saturates at `i64::MAX`, which is within.
        return None;
    }
    let bound = binary(
        col("a", "ts"),
        BinaryOperator::GtEq,
        binary(col("b", "ts"), BinaryOperator::Minus, integer(gap)),
    );
    if gap <= UNGUARDED_GAP {
        return Some(bound);
    }
    // `b.ts - gap` would go below `i64::MIN` exactly when `b.ts < i64::MIN + gap`, and then
    // every `a.ts` is within.
    Some(case_when(
        binary(
            col("b", "ts"),
            BinaryOperator::Lt,
            integer(Millis::MIN + gap),
        ),
        boolean(true),
        Some(bound),
    ))
}

/// The bound on a first event's `ts` for its time to follow up to have run out by `at`:
/// `ts + gap ≤ at`, saturating as the interpreter adds. `None` when every event qualifies.
fn settled(at: Millis, gap: Millis) -> Option<Expr> {
    if at == Millis::MAX {
        return None;
    }
    let edge = i128::from(at) - i128::from(gap);
    Some(match Millis::try_from(edge) {
        Ok(edge) => binary(col("e", "ts"), BinaryOperator::LtEq, integer(edge)),
        // `at - gap` is below every timestamp (and the sum does not saturate).
        Err(_) => boolean(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_never_overflow() {
        assert_eq!(within_gap(Millis::MAX), None);
        assert_eq!(
            within_gap(3_600_000).unwrap().to_string(),
            "a.ts >= (b.ts - 3600000)"
        );
        assert_eq!(
            within_gap(Millis::MAX - 1).unwrap().to_string(),
            "CASE WHEN b.ts < -2 THEN true ELSE a.ts >= (b.ts - 9223372036854775806) END"
        );
    }

    #[test]
    fn the_settled_edge_saturates_like_the_interpreter() {
        assert_eq!(settled(Millis::MAX, 5), None);
        assert_eq!(settled(100, 30).unwrap().to_string(), "e.ts <= 70");
        assert_eq!(
            settled(100, Millis::MAX).unwrap().to_string(),
            "e.ts <= -9223372036854775707"
        );
        assert_eq!(settled(-100, Millis::MAX).unwrap().to_string(), "false");
    }
}
