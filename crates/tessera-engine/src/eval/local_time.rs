//! `local_hour` and `local_weekday` over the index: each profile of the scope gets its zone
//! name ([`crate::data::zone_name`] is the definition), and the test is decided once per
//! distinct zone name.
//!
//! The zone of a profile without the `timezone` trait is the `context.timezone` of its latest
//! event at or before `at` where it is a string ([`super::latest`]).

use std::collections::HashMap;

use roaring::RoaringBitmap;
use tessera_lang::ValueTest;
use tessera_model::local_time::{self, CONTEXT_TIMEZONE, TIMEZONE_TRAIT};
use tessera_model::{LocalField, Millis};

use super::latest;
use crate::index::bitmaps::BitmapSink;
use crate::index::events::{EventTable, PropColumn, MISSING};
use crate::index::Index;
use crate::interpreter::trait_test_holds;

/// The string values of the `context.timezone` column of a table, per dictionary code.
struct ZoneNames<'a> {
    column: &'a PropColumn,
    names: Vec<Option<&'a str>>,
}

impl<'a> ZoneNames<'a> {
    fn new(table: &'a EventTable) -> ZoneNames<'a> {
        let column = &table.columns[CONTEXT_TIMEZONE];
        let names = column.dict.iter().map(|v| v.as_str()).collect();
        ZoneNames { column, names }
    }

    fn at_row(&self, row: usize) -> Option<&'a str> {
        let code = self.column.codes.get(row);
        if code == MISSING {
            return None;
        }
        self.names[code as usize]
    }
}

/// The profiles of `scope` for which `field` passes `test` as of `at`.
pub(super) fn evaluate(
    index: &Index,
    field: LocalField,
    test: &ValueTest,
    at: Millis,
    scope: &RoaringBitmap,
) -> RoaringBitmap {
    let zones = zones(index, at, scope);
    let holds_without = trait_test_holds(test, None);
    let mut answers: HashMap<&str, bool> = HashMap::new();
    let mut out = BitmapSink::default();
    for (ord, zone) in scope.iter().zip(zones) {
        let holds = match zone {
            None => holds_without,
            Some(name) => *answers.entry(name).or_insert_with(|| {
                let value = local_time::zone(name).and_then(|z| field.value(z, at));
                trait_test_holds(test, value.as_ref())
            }),
        };
        if holds {
            out.push(ord);
        }
    }
    out.finish()
}

/// The zone name of every profile of `scope` (`None`: no zone), in the scope's order.
fn zones<'a>(index: &'a Index, at: Millis, scope: &RoaringBitmap) -> Vec<Option<&'a str>> {
    let from_trait = index.traits.get(TIMEZONE_TRAIT);
    let strings = from_trait.and_then(|t| t.strings.as_ref());
    let tables = latest::tables_with(index, &[CONTEXT_TIMEZONE], ZoneNames::new);
    let from_events = latest::per_profile(&tables, at, scope, |names, row| names.at_row(row));
    scope
        .iter()
        .zip(from_events)
        .map(|(ord, latest)| {
            if from_trait.is_some_and(|t| t.present.contains(ord)) {
                // The trait decides; one that is not a string names no zone.
                strings.and_then(|c| c.values.get(ord).map(|&code| c.dict.value(code)))
            } else {
                latest
            }
        })
        .collect()
}
