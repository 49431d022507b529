//! The latest event of each profile, across event tables, on which a reader finds a value:
//! what the built-in traits read from event context (`local_hour`'s zone, `last_location`).
//! `crate::data::zone_name` and `crate::data::last_location` are the definitions: latest by
//! time, then by event name (byte order), then by stored order.

use roaring::RoaringBitmap;
use tessera_model::Millis;

use crate::index::events::EventTable;
use crate::index::Index;

/// The event tables (ascending by name) that have every one of `columns`, each with what
/// `prepare` makes of it (the reader's state).
pub(super) fn tables_with<'a, S>(
    index: &'a Index,
    columns: &[&str],
    prepare: impl Fn(&'a EventTable) -> S,
) -> Vec<(&'a EventTable, S)> {
    index
        .events
        .values()
        .filter(|table| columns.iter().all(|c| table.columns.contains_key(*c)))
        .map(|table| (table, prepare(table)))
        .collect()
}

/// For every profile of `scope`, in the scope's order, what `read` finds on its latest row at
/// or before `at` where it finds anything.
pub(super) fn per_profile<S, T: Copy>(
    tables: &[(&EventTable, S)],
    at: Millis,
    scope: &RoaringBitmap,
    read: impl Fn(&S, usize) -> Option<T>,
) -> Vec<Option<T>> {
    let mut latest: Vec<Option<(Millis, T)>> = vec![None; scope.len() as usize];
    let position = |ord: u32| scope.rank(ord) as usize - 1;
    for (table, state) in tables {
        let mut offer = |slot: usize, run: std::ops::Range<usize>| {
            let end = table.ts.partition_point(run.clone(), |t| t <= at);
            let found = (run.start..end)
                .rev()
                .find_map(|row| read(state, row).map(|value| (table.ts.get(row), value)));
            // Tables come in ascending name order: a later one wins a tie in time.
            if let Some(found) = found {
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
    latest
        .into_iter()
        .map(|found| found.map(|(_, value)| value))
        .collect()
}
