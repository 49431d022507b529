//! Where an index's memory goes: the heap bytes of its arrays, per event table and property
//! column, so that memory work starts from a measurement (`tessera segment size --memory`).
//! Vectors count their capacity; Roaring bitmaps their containers; dictionaries their text,
//! slots and hash tables (values that are not strings estimated from their printed size).

use std::collections::BTreeMap;

use super::events::{EventTable, PropColumn};
use super::traits::TraitColumns;
use super::Index;
use tessera_model::GeoPoint;

/// Heap bytes of one part of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryPart {
    /// `profiles (keys)`, `events/<name> (time, runs)`, `events/<name>/<property path>`, or
    /// `traits/<name>`.
    pub part: String,
    /// Rows the bytes are spent on (events of the table; profiles with the trait).
    pub rows: u64,
    pub bytes: u64,
}

impl Index {
    /// The heap bytes of every table, column and trait, largest first.
    pub fn memory_report(&self) -> Vec<MemoryPart> {
        let mut parts = vec![MemoryPart {
            part: "profiles (keys)".into(),
            rows: self.keys.len() as u64,
            bytes: vec_bytes(&self.keys) + self.by_key.as_ref().map_or(0, vec_bytes),
        }];
        for (name, table) in &self.events {
            parts.push(MemoryPart {
                part: format!("events/{name} (time, runs)"),
                rows: table.len() as u64,
                bytes: table_bytes(table),
            });
            for (path, column) in &table.columns {
                parts.push(MemoryPart {
                    part: format!("events/{name}/{path}"),
                    rows: table.len() as u64,
                    bytes: column_bytes(column),
                });
            }
        }
        for (name, columns) in &self.traits {
            parts.push(MemoryPart {
                part: format!("traits/{name}"),
                rows: columns.present.len(),
                bytes: trait_bytes(columns),
            });
        }
        parts.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.part.cmp(&b.part)));
        parts
    }
}

/// What a vector holds on the heap: its capacity, not its length, so that slack left by
/// growing it shows up here.
#[allow(clippy::ptr_arg)] // the capacity is the point
fn vec_bytes<T>(v: &Vec<T>) -> u64 {
    (v.capacity() * std::mem::size_of::<T>()) as u64
}

fn table_bytes(table: &EventTable) -> u64 {
    table.ts.heap_bytes() as u64 + vec_bytes(&table.seg_profile) + vec_bytes(&table.seg_start)
}

fn column_bytes(column: &PropColumn) -> u64 {
    column.codes.heap_bytes() as u64
        + column.numbers.as_ref().map_or(0, vec_bytes)
        + column
            .postings
            .as_ref()
            .map_or(0, |p| p.per_code.iter().map(bitmap_bytes).sum())
        + column.dict.heap_bytes()
}

fn trait_bytes(columns: &TraitColumns) -> u64 {
    let bitmaps = bitmap_bytes;
    let mut bytes = bitmaps(&columns.present);
    if let Some(c) = &columns.strings {
        bytes += vec_bytes(&c.values.ords) + vec_bytes(&c.values.vals);
        bytes += c.dict.heap_bytes();
        bytes += c.postings.iter().flatten().map(bitmaps).sum::<u64>();
    }
    if let Some(c) = &columns.numbers {
        bytes += vec_bytes(&c.ords) + vec_bytes(&c.vals);
    }
    if let Some(c) = &columns.bools {
        bytes += bitmaps(&c.yes) + bitmaps(&c.no);
    }
    if let Some(c) = &columns.timestamps {
        bytes += vec_bytes(&c.ords) + vec_bytes(&c.vals);
    }
    if let Some(c) = &columns.geos {
        bytes += vec_bytes(&c.ords) + vec_bytes::<GeoPoint>(&c.vals);
    }
    if let Some(c) = &columns.lists {
        bytes += vec_bytes(&c.ords) + vec_bytes(&c.offsets) + vec_bytes(&c.elements);
        bytes += c.postings.iter().map(bitmaps).sum::<u64>();
        bytes += c.dict.heap_bytes();
    }
    bytes
}

/// The report summed by kind: profile keys, event tables, event property columns, traits.
pub fn totals(parts: &[MemoryPart]) -> BTreeMap<&'static str, u64> {
    let mut totals = BTreeMap::new();
    for part in parts {
        let kind = if part.part.starts_with("traits/") {
            "traits"
        } else if part.part == "profiles (keys)" {
            "profiles (keys)"
        } else if part.part.ends_with("(time, runs)") {
            "event tables (time, runs)"
        } else {
            "event property columns"
        };
        *totals.entry(kind).or_insert(0) += part.bytes;
    }
    totals
}

/// A bitmap's heap bytes: its container vector (about 32 bytes per container: a key and a
/// store) and each container's store: 2 bytes per value of an array (roaring's statistics
/// count them as 4), 8 KiB per bitset, the runs' bytes. Many small containers are where
/// in-memory Roaring costs far more than its serialised form.
fn bitmap_bytes(bitmap: &roaring::RoaringBitmap) -> u64 {
    const CONTAINER: u64 = 32;
    let stats = bitmap.statistics();
    u64::from(stats.n_containers) * CONTAINER
        + stats.n_bytes_array_containers / 2
        + u64::from(stats.n_bitset_containers) * 8192
        + stats.n_bytes_run_containers
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{EventData, ProfileData};

    #[test]
    fn the_report_counts_each_column_and_sums_by_kind() {
        let props = |v: serde_json::Value| v.as_object().cloned().unwrap();
        let profile = |n: usize| ProfileData {
            traits: Default::default(),
            events: (0..n)
                .map(|i| EventData::new("view", i as i64, props(json!({"p": "a", "n": i}))))
                .collect(),
        };
        let index = Index::from_profiles(&[(1, profile(2)), (2, profile(3))]);
        let parts = index.memory_report();
        let p = parts.iter().find(|p| p.part == "events/view/p").unwrap();
        assert_eq!(p.rows, 5);
        // One-byte codes for a one-value dictionary, plus the dictionary.
        assert!(p.bytes >= 5, "{p:?}");
        let table = parts
            .iter()
            .find(|p| p.part == "events/view (time, runs)")
            .unwrap();
        // Time (5: packed, and 3 bytes of padding) per row, and the two runs (4 + 4, and the
        // end); no profile per row.
        assert_eq!(table.bytes, 5 * 5 + 3 + 2 * 4 + 3 * 4);
        assert!(parts.windows(2).all(|w| w[0].bytes >= w[1].bytes));
        let totals = totals(&parts);
        assert_eq!(
            totals.values().sum::<u64>(),
            parts.iter().map(|p| p.bytes).sum::<u64>()
        );
    }
}
