//! Value conditions: `first`, `last`, `most_frequent`, `unique_count` and `distinct` of an event
//! property, with the interpreter's rules (`value_of` in `tessera_engine::interpreter`):
//!
//! - the events that take part are the query's matching events (name, window, `where` filter,
//!   `ts <= at`) whose property is a string, a number or a boolean (missing, JSON `null`,
//!   arrays and objects take no part);
//! - they are ordered by `ts`, and events of a profile at the same `ts` in the order they were
//!   stored: in the warehouse, by `seq` (the export's position of the event, see
//!   `docs/warehouse.md`);
//! - a value is identified by its kind and value: strings byte for byte, numbers as doubles
//!   (`1` is `1.0`, `-0.0` is `0`), booleans; the string `"1"` is not the number `1`.
//!
//! Each taking-part event is read into three columns, its value as a string, a number and a
//! boolean (each `NULL` unless the value is of that kind), so that grouping by the three
//! groups equal values, and the value tests compare within a kind as `where` does
//! ([`Subject::Columns`]). The shapes, over `t`, the taking-part events:
//!
//! ```sql
//! -- first / last: the first row by (ts, seq), ascending / descending
//! SELECT r.profile_id, r.string_value, r.number_value, r.boolean_value, 1 AS matched FROM (
//!   SELECT t.*, row_number() OVER (PARTITION BY t.profile_id ORDER BY t.ts, t.seq) AS rn FROM (…) AS t
//! ) AS r WHERE r.rn = 1
//! -- most_frequent: values with their count and latest position, the first by (n, latest) descending
//! SELECT r.…, 1 AS matched FROM (
//!   SELECT g.…, row_number() OVER (PARTITION BY g.profile_id ORDER BY g.n DESC, g.latest DESC) AS rn FROM (
//!     SELECT p.profile_id, p.string_value, p.number_value, p.boolean_value, COUNT(*) AS n, MAX(p.pos) AS latest
//!     FROM (SELECT t.…, row_number() OVER (PARTITION BY t.profile_id ORDER BY t.ts, t.seq) AS pos FROM (…) AS t) AS p
//!     GROUP BY p.profile_id, p.string_value, p.number_value, p.boolean_value) AS g
//! ) AS r WHERE r.rn = 1
//! -- unique_count: the number of distinct values (0 for a profile without a row)
//! SELECT g.profile_id, COUNT(*) AS n, 1 AS matched FROM (
//!   SELECT t.profile_id FROM (…) AS t GROUP BY t.profile_id, t.string_value, t.number_value, t.boolean_value
//! ) AS g GROUP BY g.profile_id
//! -- distinct … contains x / in (…): some taking-part event has one of the values
//! SELECT t.profile_id, 1 AS matched FROM (…) AS t WHERE <value equals a literal> GROUP BY t.profile_id
//! ```
//!
//! A profile without a value has no row: only `is null` holds for it (`unique_count` is then 0).

use sqlparser::ast::{Expr, Query, SelectItem};
use tessera_lang::{EventQuery, Expr as Segment, ValueCond, ValueFunc, ValueTest};

use super::{matched, Compiler, MATCHED};
use crate::build::{
    and, boolean, case_when, cast, col, count_star, derived, eq, func, integer, item, item_as,
    known, not, or, query, row_number, select, table, Direction, SelectParts,
};
use crate::dialect::JsonKind;
use crate::value::{KindColumns, Subject, ValueTests};
use crate::Result;

/// The columns a value is read into, one per kind (named as in the `traits` table).
const VALUE_COLUMNS: [&str; 3] = ["string_value", "number_value", "boolean_value"];

/// The value columns of the rows of `alias`.
fn value_columns(alias: &str) -> KindColumns {
    let [string, number, boolean] = VALUE_COLUMNS.map(|c| Some(col(alias, c)));
    KindColumns {
        string,
        number,
        boolean,
    }
}

/// `alias.profile_id` and the value columns of `alias`, as select items.
fn profile_and_value(alias: &str) -> Vec<SelectItem> {
    std::iter::once("profile_id")
        .chain(VALUE_COLUMNS)
        .map(|c| item(col(alias, c)))
        .collect()
}

/// `SELECT <projection> FROM (<from>) AS <alias> [WHERE …] [GROUP BY …]`.
fn select_from(
    projection: Vec<SelectItem>,
    from: Query,
    alias: &str,
    selection: Option<Expr>,
    group_by: Vec<Expr>,
) -> Query {
    query(select(SelectParts {
        projection,
        from: derived(from, alias),
        joins: Vec::new(),
        selection,
        group_by,
    }))
}

/// `(ts, seq)` of the rows of `alias`, in `direction`: the order events take part in.
fn event_order(alias: &str, direction: Direction) -> Vec<(Expr, Direction)> {
    vec![
        (col(alias, "ts"), direction),
        (col(alias, "seq"), direction),
    ]
}

/// Per profile, the value of the first row of `ranked` (with `rn`), and `1 AS matched`.
fn first_ranked(ranked: Query) -> Query {
    let mut projection = profile_and_value("r");
    projection.push(item_as(integer(1), MATCHED));
    select_from(
        projection,
        ranked,
        "r",
        Some(eq(col("r", "rn"), integer(1))),
        Vec::new(),
    )
}

/// The value of the first (`Ascending`) or last (`Descending`) taking-part event.
fn by_order(taking_part: Query, direction: Direction) -> Query {
    let mut projection = profile_and_value("t");
    projection.push(item_as(
        row_number(vec![col("t", "profile_id")], event_order("t", direction)),
        "rn",
    ));
    first_ranked(select_from(projection, taking_part, "t", None, Vec::new()))
}

/// The value of the most taking-part events; among as many, the one used last.
fn most_frequent(taking_part: Query) -> Query {
    let mut positioned = profile_and_value("t");
    positioned.push(item_as(
        row_number(
            vec![col("t", "profile_id")],
            event_order("t", Direction::Ascending),
        ),
        "pos",
    ));
    let positioned = select_from(positioned, taking_part, "t", None, Vec::new());
    let mut counted = profile_and_value("p");
    counted.push(item_as(count_star(), "n"));
    counted.push(item_as(func("MAX", vec![col("p", "pos")]), "latest"));
    let group_by = std::iter::once("profile_id")
        .chain(VALUE_COLUMNS)
        .map(|c| col("p", c))
        .collect();
    let counted = select_from(counted, positioned, "p", None, group_by);
    let mut ranked = profile_and_value("g");
    ranked.push(item_as(
        row_number(
            vec![col("g", "profile_id")],
            vec![
                (col("g", "n"), Direction::Descending),
                (col("g", "latest"), Direction::Descending),
            ],
        ),
        "rn",
    ));
    first_ranked(select_from(ranked, counted, "g", None, Vec::new()))
}

/// Per profile with taking-part events, the number of distinct values `n`.
fn unique_count(taking_part: Query) -> Query {
    let group_by = std::iter::once("profile_id")
        .chain(VALUE_COLUMNS)
        .map(|c| col("t", c))
        .collect();
    let values = select_from(
        vec![item(col("t", "profile_id"))],
        taking_part,
        "t",
        None,
        group_by,
    );
    select_from(
        vec![
            item(col("g", "profile_id")),
            item_as(count_star(), "n"),
            item_as(integer(1), MATCHED),
        ],
        values,
        "g",
        None,
        vec![col("g", "profile_id")],
    )
}

/// Per profile, `1 AS matched` when some taking-part event passes `test` (`TRUE`: any).
fn any_event(taking_part: Query, test: Expr) -> Query {
    let selection = match &test {
        Expr::Value(v) if v.value == sqlparser::ast::Value::Boolean(true) => None,
        _ => Some(test),
    };
    select_from(
        vec![item(col("t", "profile_id")), item_as(integer(1), MATCHED)],
        taking_part,
        "t",
        selection,
        vec![col("t", "profile_id")],
    )
}

impl Compiler {
    /// The value condition as a boolean over the joined CTEs; never `NULL`.
    pub(super) fn value_condition(&mut self, cond: &ValueCond, segment: &Segment) -> Result<Expr> {
        let taking_part = self.taking_part(&cond.query, &cond.property, segment)?;
        let tests = ValueTests {
            flavor: self.flavor,
        };
        let refuse = |compiler: &Compiler, reason| compiler.unsupported(segment, reason);
        match cond.func {
            ValueFunc::First | ValueFunc::Last | ValueFunc::MostFrequent => {
                let chosen = match cond.func {
                    ValueFunc::First => by_order(taking_part, Direction::Ascending),
                    ValueFunc::Last => by_order(taking_part, Direction::Descending),
                    _ => most_frequent(taking_part),
                };
                let cte = self.cte(chosen);
                Ok(match &cond.test {
                    ValueTest::Exists => matched(&cte),
                    ValueTest::IsNull => not(matched(&cte)),
                    test => {
                        let columns = value_columns(&cte);
                        let holds = tests
                            .scalar_test(&Subject::Columns(&columns), test)
                            .map_err(|reason| refuse(self, reason))?;
                        and(vec![matched(&cte), known(holds)])
                    }
                })
            }
            ValueFunc::UniqueCount => {
                if let ValueTest::Exists | ValueTest::IsNull = cond.test {
                    // A count always has a value, 0 without any event.
                    return Ok(boolean(matches!(cond.test, ValueTest::Exists)));
                }
                let cte = self.cte(unique_count(taking_part));
                let columns = KindColumns {
                    number: Some(func("COALESCE", vec![col(&cte, "n"), integer(0)])),
                    ..KindColumns::default()
                };
                let holds = tests
                    .scalar_test(&Subject::Columns(&columns), &cond.test)
                    .map_err(|reason| refuse(self, reason))?;
                Ok(known(holds))
            }
            ValueFunc::Distinct => {
                let test = match &cond.test {
                    ValueTest::Exists | ValueTest::IsNull => boolean(true),
                    test => match ValueTests::element_literals(test) {
                        // Some element equals some literal.
                        Some(literals) => known(
                            tests
                                .equals_any(&Subject::Columns(&value_columns("t")), literals)
                                .map_err(|reason| refuse(self, reason))?,
                        ),
                        // No other test holds on a list.
                        None => return Ok(boolean(false)),
                    },
                };
                let present = matched(&self.cte(any_event(taking_part, test)));
                Ok(match cond.test {
                    ValueTest::IsNull => not(present),
                    _ => present,
                })
            }
        }
    }

    /// The events taking part in a value condition, one row each: `profile_id`, `ts`, `seq`
    /// and the property's value in [`VALUE_COLUMNS`] (numbers with `-0.0` read as `0`).
    fn taking_part(&self, q: &EventQuery, property: &str, segment: &Segment) -> Result<Query> {
        let refuse = |reason| self.unsupported(segment, reason);
        // The properties are parsed once (as in `event_cte`); the filter and the property
        // read the parsed document, the kinds read the property's value.
        let parsed = query(select(SelectParts {
            projection: vec![
                item(col("e", "profile_id")),
                item(col("e", "ts")),
                item(col("e", "seq")),
                item_as(self.flavor.json_doc(col("e", "properties")), "doc"),
            ],
            from: table("events", "e"),
            joins: Vec::new(),
            selection: Some(and(self.event_base(q))),
            group_by: Vec::new(),
        }));
        let doc = col("e", "doc");
        let value = self.property_value(&doc, property).map_err(refuse)?;
        let filter = match &q.filter {
            Some(filter) => Some(self.filter(filter, &doc, segment)?),
            None => None,
        };
        let events = select_from(
            vec![
                item(col("e", "profile_id")),
                item(col("e", "ts")),
                item(col("e", "seq")),
                item_as(value, "v"),
            ],
            parsed,
            "e",
            filter,
            Vec::new(),
        );
        let f = self.flavor;
        let v = col("e", "v");
        let is = |kind| f.json_is(v.clone(), kind);
        let number = f.json_number(v.clone());
        // -0.0 and 0 are one value: grouping must not tell them apart, and engines differ
        // on whether it does.
        let number = case_when(
            eq(number.clone(), cast(integer(0), f.double())),
            cast(integer(0), f.double()),
            Some(number),
        );
        // Each read sits behind its kind's CASE: converting another kind can fail.
        let reads = [
            case_when(is(JsonKind::String), f.json_text(v.clone()), None),
            case_when(is(JsonKind::Number), number, None),
            case_when(is(JsonKind::Bool), f.json_bool(v.clone()), None),
        ];
        let mut projection = vec![
            item(col("e", "profile_id")),
            item(col("e", "ts")),
            item(col("e", "seq")),
        ];
        projection.extend(
            reads
                .into_iter()
                .zip(VALUE_COLUMNS)
                .map(|(read, name)| item_as(read, name)),
        );
        let scalar = known(or(vec![
            is(JsonKind::String),
            is(JsonKind::Number),
            is(JsonKind::Bool),
        ]));
        Ok(select_from(
            projection,
            events,
            "e",
            Some(scalar),
            Vec::new(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_ranked_by_time_then_store_order() {
        let taking_part = query(select(SelectParts {
            projection: vec![item(col("x", "profile_id"))],
            from: table("x", "x"),
            joins: Vec::new(),
            selection: None,
            group_by: Vec::new(),
        }));
        assert_eq!(
            by_order(taking_part.clone(), Direction::Descending).to_string(),
            "SELECT r.profile_id, r.string_value, r.number_value, r.boolean_value, 1 AS matched \
             FROM (SELECT t.profile_id, t.string_value, t.number_value, t.boolean_value, \
             row_number() OVER (PARTITION BY t.profile_id ORDER BY t.ts DESC, t.seq DESC) AS rn \
             FROM (SELECT x.profile_id FROM x) AS t) AS r WHERE r.rn = 1"
        );
        assert!(most_frequent(taking_part).to_string().contains(
            "row_number() OVER (PARTITION BY g.profile_id ORDER BY g.n DESC, g.latest DESC) AS rn"
        ));
    }
}
