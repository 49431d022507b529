//! Segment conditions compiled to one query over the warehouse tables.
//!
//! The query's shape, the same in every dialect:
//!
//! ```sql
//! WITH c1 AS (SELECT t.profile_id, 1 AS matched FROM traits AS t WHERE …),
//!      c2 AS (SELECT e.profile_id, COUNT(*) AS n, 1 AS matched FROM events AS e WHERE … GROUP BY e.profile_id)
//! SELECT p.profile_id FROM profiles AS p
//!   LEFT JOIN c1 ON c1.profile_id = p.profile_id
//!   LEFT JOIN c2 ON c2.profile_id = p.profile_id
//! WHERE COALESCE(c1.matched, 0) = 1 AND NOT COALESCE(c2.n, 0) >= 3
//! ORDER BY p.profile_id
//! ```
//!
//! Each leaf condition becomes one common table expression with at most one row per profile
//! (identical ones are shared), joined to `profiles`; the segment's `and`/`or`/`not` become
//! the `WHERE` clause. Why this shape:
//! - No correlated subqueries between tables: BigQuery and ClickHouse restrict them, and every
//!   engine plans a join of per-profile aggregates well.
//! - Two-valued logic: every operand in `WHERE` is `TRUE` or `FALSE`, never `NULL`, so `NOT`
//!   is the plain complement. A profile without a row in a CTE reads `COALESCE(…, 0)`, which
//!   also covers ClickHouse, whose outer joins fill missing columns with 0 instead of `NULL`.
//! - Time is epoch milliseconds, so windows are integer comparisons computed here, exactly as
//!   the interpreter does (`at - d < ts <= at`, `from <= ts < to`).
//!
//! Three leaves have modules of their own: geo `within` (`geo.rs`, a haversine distance on a
//! trait row), sequences (`sequence.rs`, a join of a step's events with the other step's
//! inside one CTE, still one row per profile and no correlated subquery) and value conditions
//! (`value_cond.rs`: `first`, `last`, `most_frequent`, `unique_count` and `distinct` of a
//! property, with window functions over the events in `(ts, seq)` order inside one CTE).

mod geo;
mod last_location;
mod local_time;
mod sequence;
mod value_cond;

use sqlparser::ast::helpers::attached_token::AttachedToken;
use sqlparser::ast::{
    BinaryOperator, Cte, Expr, OrderBy, OrderByExpr, OrderByKind, Query, TableAlias, With,
};
use tessera_lang::{
    AggFunc, AgoRelation, EventQuery, Expr as Segment, NumCmp, PropFilter, Recency, TraitCond,
    ValueTest, Window,
};
use tessera_model::Millis;

use crate::build::{
    and, binary, boolean, cast, col, count_star, derived, eq, func, integer, item, item_as, known,
    left_join, not, number, or, query, select, table, SelectParts,
};
use crate::dialect::{Flavor, JsonKind};
use crate::value::{cmp_operator, Refusal, Subject, ValueTests};
use crate::{Dialect, Result, SqlError};

/// The column every CTE sets to 1 on its rows.
const MATCHED: &str = "matched";

/// What an event CTE computes per profile.
#[derive(Debug, Clone, Copy)]
enum Measure<'q> {
    /// `COUNT(*) AS n` (also answers `did`, through `matched`).
    Count,
    /// `SUM/AVG/MIN/MAX(<numeric property>) AS v`, over events where it is a number.
    Aggregate(AggFunc, &'q str),
    /// `MIN/MAX(ts) AS v`.
    Time(Recency),
}

pub(crate) struct Compiler {
    dialect: Dialect,
    flavor: &'static dyn Flavor,
    at: Millis,
    ctes: Vec<(Query, String)>,
}

impl Compiler {
    pub(crate) fn new(dialect: Dialect, at: Millis) -> Compiler {
        Compiler {
            dialect,
            flavor: dialect.flavor(),
            at,
            ctes: Vec::new(),
        }
    }

    /// The whole query: member `profile_id`s in ascending order.
    pub(crate) fn query(mut self, segment: &Segment) -> Result<Query> {
        let selection = self.condition(segment)?;
        let joins = self
            .ctes
            .iter()
            .map(|(_, name)| {
                left_join(
                    table(name, name),
                    eq(col(name, "profile_id"), col("p", "profile_id")),
                )
            })
            .collect();
        let mut main = query(select(SelectParts {
            projection: vec![item(col("p", "profile_id"))],
            from: table("profiles", "p"),
            joins,
            selection: Some(selection),
            group_by: Vec::new(),
        }));
        main.order_by = Some(OrderBy {
            kind: OrderByKind::Expressions(vec![OrderByExpr {
                expr: col("p", "profile_id"),
                options: Default::default(),
                with_fill: None,
            }]),
            interpolate: None,
        });
        if !self.ctes.is_empty() {
            main.with = Some(With {
                with_token: AttachedToken::empty(),
                recursive: false,
                cte_tables: self
                    .ctes
                    .into_iter()
                    .map(|(q, name)| Cte {
                        // `name AS (…)`: a CTE's name takes no `AS` of its own.
                        alias: TableAlias {
                            explicit: false,
                            ..crate::build::alias(&name)
                        },
                        query: Box::new(q),
                        from: None,
                        materialized: None,
                        closing_paren_token: AttachedToken::empty(),
                    })
                    .collect(),
            });
        }
        Ok(main)
    }

    fn unsupported(&self, condition: &dyn std::fmt::Display, reason: Refusal) -> SqlError {
        SqlError::Unsupported {
            condition: condition.to_string(),
            dialect: self.dialect,
            reason,
        }
    }

    /// The condition as a boolean over the joined CTEs; never `NULL`.
    fn condition(&mut self, segment: &Segment) -> Result<Expr> {
        Ok(match segment {
            Segment::And(items) => and(self.conditions(items)?),
            Segment::Or(items) => or(self.conditions(items)?),
            Segment::Not(inner) => not(self.condition(inner)?),
            Segment::Trait(cond) if cond.name == tessera_model::LAST_LOCATION => {
                self.last_location(cond, segment)?
            }
            Segment::Trait(cond) => match tessera_model::LocalField::from_name(&cond.name) {
                Some(field) => self.local_time(field, cond, segment)?,
                None => self
                    .trait_condition(cond)
                    .map_err(|reason| self.unsupported(segment, reason))?,
            },
            Segment::Did(q) => {
                let cte = self.event_cte(q, Measure::Count, segment)?;
                matched(&cte)
            }
            Segment::Count(c) => {
                let cte = self.event_cte(&c.query, Measure::Count, segment)?;
                self.num_cmp(func("COALESCE", vec![col(&cte, "n"), integer(0)]), &c.cmp)
            }
            Segment::Aggregate(c) => {
                let cte =
                    self.event_cte(&c.query, Measure::Aggregate(c.func, &c.property), segment)?;
                match c.func {
                    // A sum over no numbers is 0; the others have no value, so do not hold.
                    AggFunc::Sum => {
                        self.num_cmp(func("COALESCE", vec![col(&cte, "v"), integer(0)]), &c.cmp)
                    }
                    AggFunc::Avg | AggFunc::Min | AggFunc::Max => {
                        and(vec![matched(&cte), self.num_cmp(col(&cte, "v"), &c.cmp)])
                    }
                }
            }
            Segment::Recency(c) => {
                let cte = self.event_cte(&c.query, Measure::Time(c.which), segment)?;
                let edge = integer(self.at.saturating_sub(c.ago.millis()));
                let op = match c.relation {
                    AgoRelation::MoreThan => BinaryOperator::LtEq,
                    AgoRelation::LessThan => BinaryOperator::Gt,
                };
                and(vec![matched(&cte), binary(col(&cte, "v"), op, edge)])
            }
            Segment::Sequence(cond) => self.sequence(cond, segment)?,
            Segment::Value(cond) => self.value_condition(cond, segment)?,
            Segment::Missing(_) => {
                return Err(SqlError::Incomplete {
                    condition: segment.to_string(),
                })
            }
            other => {
                return Err(self.unsupported(
                    other,
                    "this kind of condition is not supported in SQL yet".into(),
                ))
            }
        })
    }

    fn conditions(&mut self, items: &[Segment]) -> Result<Vec<Expr>> {
        items.iter().map(|item| self.condition(item)).collect()
    }

    /// `x op value` or `low <= x <= high`, in doubles as the interpreter compares counts and
    /// aggregates.
    fn num_cmp(&self, x: Expr, cmp: &NumCmp) -> Expr {
        let double = |n: f64| cast(number(n), self.flavor.double());
        match *cmp {
            NumCmp::Compare { op, value } => binary(x, cmp_operator(op), double(value)),
            NumCmp::Between { low, high } => and(vec![
                binary(x.clone(), BinaryOperator::GtEq, double(low)),
                binary(x, BinaryOperator::LtEq, double(high)),
            ]),
        }
    }

    /// The name of a CTE with this query, added unless an identical one exists.
    fn cte(&mut self, q: Query) -> String {
        if let Some((_, name)) = self.ctes.iter().find(|(existing, _)| *existing == q) {
            return name.clone();
        }
        let name = format!("c{}", self.ctes.len() + 1);
        self.ctes.push((q, name.clone()));
        name
    }

    /// A trait test: profiles with a row of that trait passing it, plus (for `in` and
    /// `contains`) profiles with a `string_list` element equal to one of the literals.
    fn trait_condition(&mut self, cond: &TraitCond) -> Result<Expr, Refusal> {
        let rows = |compiler: &mut Compiler, test: Expr| {
            let name_is = eq(col("t", "name"), compiler.flavor.string(&cond.name));
            compiler.cte(query(select(SelectParts {
                projection: vec![item(col("t", "profile_id")), item_as(integer(1), MATCHED)],
                from: table("traits", "t"),
                joins: Vec::new(),
                selection: Some(and(vec![name_is, test])),
                group_by: Vec::new(),
            })))
        };
        match &cond.test {
            ValueTest::Exists => Ok(matched(&rows(self, boolean(true)))),
            ValueTest::IsNull => Ok(not(matched(&rows(self, boolean(true))))),
            ValueTest::Within { distance, of } => {
                let test = geo::within(self.flavor, distance, of)?;
                Ok(matched(&rows(self, test)))
            }
            test => {
                let tests = ValueTests {
                    flavor: self.flavor,
                };
                let scalar = tests.scalar_test(&Subject::TraitRow, test)?;
                let mut holds = vec![matched(&rows(self, scalar))];
                let strings: Vec<Expr> = ValueTests::element_literals(test)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|l| match l {
                        tessera_lang::Literal::String(s) => Some(self.flavor.string(s)),
                        _ => None,
                    })
                    .collect();
                if !strings.is_empty() {
                    let items = self.cte(query(select(SelectParts {
                        projection: vec![
                            item(col("i", "profile_id")),
                            item_as(integer(1), MATCHED),
                        ],
                        from: table("trait_items", "i"),
                        joins: Vec::new(),
                        selection: Some(and(vec![
                            eq(col("i", "name"), self.flavor.string(&cond.name)),
                            crate::build::in_list(col("i", "item"), strings),
                        ])),
                        group_by: vec![col("i", "profile_id")],
                    })));
                    holds.push(matched(&items));
                }
                Ok(or(holds))
            }
        }
    }

    /// One row per profile with matching events: `n` events, aggregate or time `v`.
    fn event_cte(
        &mut self,
        q: &EventQuery,
        measure: Measure<'_>,
        segment: &Segment,
    ) -> Result<String> {
        let refuse = |reason| self.unsupported(segment, reason);
        let mut base = self.event_base(q);
        let needs_doc = q.filter.is_some() || matches!(measure, Measure::Aggregate(..));
        let doc = col("e", "doc");
        let mut outer = Vec::new();
        if let Some(filter) = &q.filter {
            outer.push(self.filter(filter, &doc, segment)?);
        }
        let (measure_item, n_or_v) = match measure {
            Measure::Count => (count_star(), "n"),
            Measure::Time(which) => {
                let f = match which {
                    Recency::First => "MIN",
                    Recency::Last => "MAX",
                };
                (func(f, vec![col("e", "ts")]), "v")
            }
            Measure::Aggregate(agg, property) => {
                let value = self.property_value(&doc, property).map_err(refuse)?;
                let is_number = self.flavor.json_is(value.clone(), JsonKind::Number);
                outer.push(known(is_number.clone()));
                let number =
                    crate::build::case_when(is_number, self.flavor.json_number(value), None);
                let f = match agg {
                    AggFunc::Sum => "SUM",
                    AggFunc::Avg => "AVG",
                    AggFunc::Min => "MIN",
                    AggFunc::Max => "MAX",
                };
                (func(f, vec![number]), "v")
            }
        };
        let from = if needs_doc {
            // Parse each event's properties once, however many tests read them.
            let parsed = query(select(SelectParts {
                projection: vec![
                    item(col("e", "profile_id")),
                    item(col("e", "ts")),
                    item_as(self.flavor.json_doc(col("e", "properties")), "doc"),
                ],
                from: table("events", "e"),
                joins: Vec::new(),
                selection: Some(and(std::mem::take(&mut base))),
                group_by: Vec::new(),
            }));
            derived(parsed, "e")
        } else {
            table("events", "e")
        };
        let selection = and(base.into_iter().chain(outer).collect());
        let selection = match &selection {
            Expr::Value(v) if v.value == sqlparser::ast::Value::Boolean(true) => None,
            _ => Some(selection),
        };
        Ok(self.cte(query(select(SelectParts {
            projection: vec![
                item(col("e", "profile_id")),
                item_as(measure_item, n_or_v),
                item_as(integer(1), MATCHED),
            ],
            from,
            joins: Vec::new(),
            selection,
            group_by: vec![col("e", "profile_id")],
        }))))
    }

    /// The conditions on a row of `events` (alias `e`) that select the query's events by name,
    /// instant (`ts <= at`) and window; the `where` filter is the caller's.
    fn event_base(&self, q: &EventQuery) -> Vec<Expr> {
        let mut base = vec![
            eq(col("e", "name"), self.flavor.string(&q.event)),
            binary(col("e", "ts"), BinaryOperator::LtEq, integer(self.at)),
        ];
        match q.window {
            None => {}
            Some(Window::Last(d)) => base.push(binary(
                col("e", "ts"),
                BinaryOperator::Gt,
                integer(self.at.saturating_sub(d.millis())),
            )),
            Some(Window::Range { from, to }) => {
                base.push(binary(col("e", "ts"), BinaryOperator::GtEq, integer(from)));
                base.push(binary(col("e", "ts"), BinaryOperator::Lt, integer(to)));
            }
        }
        base
    }

    /// A `where` filter on the JSON document `doc`; never `NULL`, so `not` is a complement.
    fn filter(&self, filter: &PropFilter, doc: &Expr, segment: &Segment) -> Result<Expr> {
        Ok(match filter {
            PropFilter::And(items) => and(self.filters(items, doc, segment)?),
            PropFilter::Or(items) => or(self.filters(items, doc, segment)?),
            PropFilter::Not(inner) => not(self.filter(inner, doc, segment)?),
            PropFilter::Test(cond) => {
                let tests = ValueTests {
                    flavor: self.flavor,
                };
                self.property_value(doc, &cond.name)
                    .and_then(|v| tests.json_test(v, &cond.test))
                    .map_err(|reason| self.unsupported(segment, reason))?
            }
            PropFilter::Missing(_) => {
                return Err(SqlError::Incomplete {
                    condition: segment.to_string(),
                })
            }
        })
    }

    fn filters(&self, items: &[PropFilter], doc: &Expr, segment: &Segment) -> Result<Vec<Expr>> {
        items.iter().map(|f| self.filter(f, doc, segment)).collect()
    }

    /// The value at a property path, as `tessera_engine::data::property` defines it: a
    /// top-level key equal to the whole path wins unless it is `null`; otherwise a dotted
    /// path walks nested objects.
    fn property_value(&self, doc: &Expr, path: &str) -> Result<Expr, Refusal> {
        let whole = self.flavor.json_path(doc.clone(), &[path])?;
        if !path.contains('.') {
            return Ok(whole);
        }
        let keys: Vec<&str> = path.split('.').collect();
        let walked = self.flavor.json_path(doc.clone(), &keys)?;
        Ok(crate::build::case_when(
            self.flavor.json_present(whole.clone()),
            whole,
            Some(walked),
        ))
    }
}

/// `COALESCE(cte.matched, 0) = 1`: the profile has a row in the CTE.
fn matched(cte: &str) -> Expr {
    eq(
        func("COALESCE", vec![col(cte, MATCHED), integer(0)]),
        integer(1),
    )
}
