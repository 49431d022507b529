//! `local_hour` and `local_weekday`: the zone of every profile in SQL, and the test decided
//! here, at compile time, for every zone the tz database knows.
//!
//! The zone (`tessera_engine::data::zone_name` is the definition) takes two CTEs, one row per
//! profile each:
//!
//! ```sql
//! -- the trait `timezone` ('' when it is not a string: present, so the events do not count)
//! cT AS (SELECT t.profile_id, CASE WHEN t.type = 'string' THEN t.string_value ELSE '' END AS zone,
//!        1 AS matched FROM traits AS t WHERE t.name = 'timezone'),
//! -- the latest event up to `at` whose context.timezone is a string, by (ts, name, seq)
//! cE AS (SELECT r.profile_id, r.zone, 1 AS matched FROM (
//!          SELECT e.profile_id, <text> AS zone, row_number() OVER (PARTITION BY e.profile_id
//!            ORDER BY e.ts DESC, <bytewise e.name> DESC, e.seq DESC) AS rn
//!          FROM (SELECT e.profile_id, e.ts, e.name, e.seq, <json doc> AS doc FROM events AS e
//!                WHERE e.ts <= at) AS e
//!          WHERE <context.timezone is a string>) AS r WHERE r.rn = 1)
//! ```
//!
//! and the condition is `zone IN (<the zones where the test holds at at>)`, plus, when the
//! test holds without a value (`is null`), profiles whose zone is missing or unknown. The
//! local time is computed here with the tz database compiled into Tessera, so every dialect
//! gives the same answer without time-zone functions of its own (which differ in name, in
//! tzdata version and in whether a zone may come from a column).

use sqlparser::ast::{BinaryOperator, Expr, Query};
use tessera_engine::interpreter::trait_test_holds;
use tessera_lang::{Expr as Segment, TraitCond};
use tessera_model::local_time::{self, CONTEXT_TIMEZONE, TIMEZONE_TRAIT};
use tessera_model::LocalField;

use super::{matched, Compiler, MATCHED};
use crate::build::{
    binary, case_when, col, derived, eq, in_list, integer, item, item_as, known, not, or, query,
    row_number, select, table, Direction, SelectParts,
};
use crate::dialect::JsonKind;
use crate::Result;

impl Compiler {
    /// The local-time test as a boolean over the joined CTEs; never `NULL`.
    pub(super) fn local_time(
        &mut self,
        field: LocalField,
        cond: &TraitCond,
        segment: &Segment,
    ) -> Result<Expr> {
        let from_trait = self.zone_trait_cte();
        let from_event = self.zone_event_cte(segment)?;
        let zone = case_when(
            matched(&from_trait),
            col(&from_trait, "zone"),
            Some(col(&from_event, "zone")),
        );
        let passing: Vec<Expr> = local_time::zone_names()
            .filter(|&name| {
                let value = local_time::zone(name).and_then(|z| field.value(z, self.at));
                trait_test_holds(&cond.test, value.as_ref())
            })
            .map(|name| self.flavor.string(name))
            .collect();
        let mut holds = Vec::new();
        if !passing.is_empty() {
            holds.push(known(in_list(zone.clone(), passing)));
        }
        if trait_test_holds(&cond.test, None) {
            let every: Vec<Expr> = local_time::zone_names()
                .map(|name| self.flavor.string(name))
                .collect();
            holds.push(not(known(in_list(zone, every))));
        }
        Ok(or(holds))
    }

    fn zone_trait_cte(&mut self) -> String {
        let zone = case_when(
            eq(col("t", "type"), self.flavor.string("string")),
            col("t", "string_value"),
            Some(self.flavor.string("")),
        );
        self.cte(query(select(SelectParts {
            projection: vec![
                item(col("t", "profile_id")),
                item_as(zone, "zone"),
                item_as(integer(1), MATCHED),
            ],
            from: table("traits", "t"),
            joins: Vec::new(),
            selection: Some(eq(col("t", "name"), self.flavor.string(TIMEZONE_TRAIT))),
            group_by: Vec::new(),
        })))
    }

    fn zone_event_cte(&mut self, segment: &Segment) -> Result<String> {
        let value = self
            .property_value(&col("e", "doc"), CONTEXT_TIMEZONE)
            .map_err(|reason| self.unsupported(segment, reason))?;
        let zone = self.flavor.json_text(value.clone());
        let keep = known(self.flavor.json_is(value, JsonKind::String));
        let latest = self.latest_event(vec![(zone, "zone")], keep);
        Ok(self.cte(latest))
    }

    /// Per profile, `columns` (over `e.doc`, the event's parsed properties) of its latest
    /// event up to `at` for which `keep` holds, by (ts, name, seq) as
    /// `tessera_engine::data::zone_name` orders them, and `1 AS matched`.
    pub(super) fn latest_event(&self, columns: Vec<(Expr, &str)>, keep: Expr) -> Query {
        let parsed = query(select(SelectParts {
            projection: ["profile_id", "ts", "name", "seq"]
                .into_iter()
                .map(|c| item(col("e", c)))
                .chain([item_as(self.flavor.json_doc(col("e", "properties")), "doc")])
                .collect(),
            from: table("events", "e"),
            joins: Vec::new(),
            selection: Some(binary(
                col("e", "ts"),
                BinaryOperator::LtEq,
                integer(self.at),
            )),
            group_by: Vec::new(),
        }));
        let names: Vec<&str> = columns.iter().map(|(_, name)| *name).collect();
        let mut ranked_items = vec![item(col("e", "profile_id"))];
        ranked_items.extend(columns.into_iter().map(|(e, name)| item_as(e, name)));
        ranked_items.push(item_as(
            row_number(
                vec![col("e", "profile_id")],
                vec![
                    (col("e", "ts"), Direction::Descending),
                    (
                        self.flavor.bytewise(col("e", "name")),
                        Direction::Descending,
                    ),
                    (col("e", "seq"), Direction::Descending),
                ],
            ),
            "rn",
        ));
        let ranked = query(select(SelectParts {
            projection: ranked_items,
            from: derived(parsed, "e"),
            joins: Vec::new(),
            selection: Some(keep),
            group_by: Vec::new(),
        }));
        let mut latest_items = vec![item(col("r", "profile_id"))];
        latest_items.extend(names.into_iter().map(|name| item(col("r", name))));
        latest_items.push(item_as(integer(1), MATCHED));
        query(select(SelectParts {
            projection: latest_items,
            from: derived(ranked, "r"),
            joins: Vec::new(),
            selection: Some(eq(col("r", "rn"), integer(1))),
            group_by: Vec::new(),
        }))
    }
}
