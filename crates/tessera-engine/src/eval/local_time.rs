//! `local_hour` and `local_weekday` over the index: each profile of the scope gets its zone
//! name ([`crate::data::zone_name`] is the definition), and the test is decided once per
//! distinct zone name.
//!
//! The zone of a profile without the `timezone` trait is the `context.timezone` of its latest
//! event at or before `at` among all event tables that have the column: per table, the last row
//! of the profile's run up to `at` whose value is a string (rows of a run are in time order and,
//! at equal times, in stored order), then the latest of those by (time, event name).

use std::collections::HashMap;

use roaring::RoaringBitmap;
use serde_json::Value;
use tessera_lang::ValueTest;
use tessera_model::local_time::{self, CONTEXT_TIMEZONE, TIMEZONE_TRAIT};
use tessera_model::{LocalField, Millis};

use crate::index::events::{EventTable, PropColumn, MISSING};
use crate::index::traits::BitmapSink;
use crate::index::Index;
use crate::interpreter::trait_test_holds;

/// What a profile's zone comes from.
#[derive(Clone, Copy)]
enum Zone<'a> {
    /// The profile has no time zone at all.
    None,
    /// A name, from the trait or an event.
    Named(&'a str),
}

/// An event table with the `context.timezone` column, its string values per dictionary code.
struct ZoneTable<'a> {
    table: &'a EventTable,
    column: &'a PropColumn,
    names: Vec<Option<&'a str>>,
}

impl<'a> ZoneTable<'a> {
    fn new(table: &'a EventTable, column: &'a PropColumn) -> ZoneTable<'a> {
        let names = column
            .dict
            .values()
            .iter()
            .map(|v| match v {
                Value::String(s) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        ZoneTable {
            table,
            column,
            names,
        }
    }

    /// The latest row of `run` at or before `at` with a string zone: (time, name).
    fn latest(&self, run: std::ops::Range<usize>, at: Millis) -> Option<(Millis, &'a str)> {
        let times = &self.table.ts[run.clone()];
        let end = run.start + times.partition_point(|&t| t <= at);
        (run.start..end).rev().find_map(|row| {
            let code = self.column.codes[row];
            if code == MISSING {
                return None;
            }
            self.names[code as usize].map(|name| (self.table.ts[row], name))
        })
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
            Zone::None => holds_without,
            Zone::Named(name) => *answers.entry(name).or_insert_with(|| {
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

/// The zone of every profile of `scope`, in the scope's order.
fn zones<'a>(index: &'a Index, at: Millis, scope: &RoaringBitmap) -> Vec<Zone<'a>> {
    let from_trait = index.traits.get(TIMEZONE_TRAIT);
    let tables: Vec<ZoneTable<'a>> = index
        .events
        .values()
        .filter_map(|table| {
            let column = table.columns.get(CONTEXT_TIMEZONE)?;
            Some(ZoneTable::new(table, column))
        })
        .collect();
    // Per profile of the scope: the latest zone event so far, by (time, table) — tables come
    // in ascending event-name order, so a later table wins a tie in time.
    let mut latest: Vec<Option<(Millis, &'a str)>> = vec![None; scope.len() as usize];
    let position = |ord: u32| scope.rank(ord) as usize - 1;
    for zone_table in &tables {
        let table = zone_table.table;
        let mut offer = |slot: usize, run| {
            if let Some(found) = zone_table.latest(run, at) {
                if latest[slot].is_none_or(|(ts, _)| found.0 >= ts) {
                    latest[slot] = Some(found);
                }
            }
        };
        if scope.len() as usize * 16 < table.seg_profile.len() {
            // Few profiles in question: look each one up.
            for (slot, ord) in scope.iter().enumerate() {
                offer(slot, table.rows_of(ord));
            }
        } else {
            for (i, &ord) in table.seg_profile.iter().enumerate() {
                if scope.contains(ord) {
                    let run = table.seg_start[i] as usize..table.seg_start[i + 1] as usize;
                    offer(position(ord), run);
                }
            }
        }
    }
    scope
        .iter()
        .zip(latest)
        .map(
            |(ord, latest)| match from_trait.filter(|t| t.present.contains(ord)) {
                Some(columns) => match columns.strings.as_ref().and_then(|c| c.values.get(ord)) {
                    Some(&code) => Zone::Named(
                        columns
                            .strings
                            .as_ref()
                            .expect("read above")
                            .dict
                            .value(code),
                    ),
                    // A `timezone` that is not a string names no zone.
                    None => Zone::None,
                },
                None => latest.map_or(Zone::None, |(_, name)| Zone::Named(name)),
            },
        )
        .collect()
}
