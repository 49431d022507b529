//! `last_location`: the point of each profile's latest event with a `context.location`
//! (`tessera_engine::data::last_location` is the definition), tested as a geo trait row.
//!
//! ```sql
//! cL AS (SELECT r.profile_id, r.type, r.geo_lat, r.geo_lon, 1 AS matched FROM (
//!          SELECT e.profile_id, 'geo' AS type, <lat> AS geo_lat, <lon> AS geo_lon,
//!                 row_number() OVER (PARTITION BY e.profile_id ORDER BY e.ts DESC, … ) AS rn
//!          FROM (…events up to at, with doc…) AS e
//!          WHERE <lat> BETWEEN -90 AND 90 AND <lon> BETWEEN -180 AND 180) AS r
//!        WHERE r.rn = 1),
//! cW AS (SELECT t.profile_id, 1 AS matched FROM cL AS t WHERE <within, as for traits>)
//! ```
//!
//! where `<lat>` is `context.location.latitude` as a double when it is a JSON number (else
//! `NULL`, so the row takes no part).

use sqlparser::ast::{BinaryOperator, Expr};
use tessera_lang::{Expr as Segment, TraitCond, ValueTest};
use tessera_model::{CONTEXT_LATITUDE, CONTEXT_LONGITUDE};

use super::{geo, matched, Compiler, MATCHED};
use crate::build::{
    and, binary, boolean, case_when, cast, col, integer, item, item_as, known, not, number, query,
    select, table, SelectParts,
};
use crate::dialect::JsonKind;
use crate::Result;

impl Compiler {
    /// The `last_location` test as a boolean over the joined CTEs; never `NULL`.
    pub(super) fn last_location(&mut self, cond: &TraitCond, segment: &Segment) -> Result<Expr> {
        let latest = self.last_location_cte(segment)?;
        Ok(match &cond.test {
            ValueTest::Exists => matched(&latest),
            ValueTest::IsNull => not(matched(&latest)),
            ValueTest::Within { distance, of } => {
                let test = geo::within(self.flavor, distance, of)
                    .map_err(|reason| self.unsupported(segment, reason))?;
                let within = self.cte(query(select(SelectParts {
                    projection: vec![item(col("t", "profile_id")), item_as(integer(1), MATCHED)],
                    from: table(&latest, "t"),
                    joins: Vec::new(),
                    selection: Some(test),
                    group_by: Vec::new(),
                })));
                matched(&within)
            }
            // A point is never equal to, less than or inside a literal (the checker refuses
            // these on a geo trait; the interpreter's answer is false).
            _ => boolean(false),
        })
    }

    fn last_location_cte(&mut self, segment: &Segment) -> Result<String> {
        let doc = col("e", "doc");
        let coordinate = |compiler: &Compiler, path: &str| -> Result<Expr> {
            let value = compiler
                .property_value(&doc, path)
                .map_err(|reason| compiler.unsupported(segment, reason))?;
            Ok(case_when(
                known(compiler.flavor.json_is(value.clone(), JsonKind::Number)),
                compiler.flavor.json_number(value),
                None,
            ))
        };
        let lat = coordinate(self, CONTEXT_LATITUDE)?;
        let lon = coordinate(self, CONTEXT_LONGITUDE)?;
        let double = |x: f64| cast(number(x), self.flavor.double());
        let between = |v: Expr, bound: f64| {
            and(vec![
                binary(v.clone(), BinaryOperator::GtEq, double(-bound)),
                binary(v, BinaryOperator::LtEq, double(bound)),
            ])
        };
        let keep = known(and(vec![
            between(lat.clone(), 90.0),
            between(lon.clone(), 180.0),
        ]));
        let latest = self.latest_event(
            vec![
                (self.flavor.string("geo"), "type"),
                (lat, "geo_lat"),
                (lon, "geo_lon"),
            ],
            keep,
        );
        Ok(self.cte(latest))
    }
}
