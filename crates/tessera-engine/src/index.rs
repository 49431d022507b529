//! The columnar index: every profile's traits and events laid out for bitmap evaluation.
//!
//! Profiles are named by dense `u32` ordinals (0..len) so that segment results are compact
//! Roaring bitmaps. Traits are typed columns ([`traits`]); events are one table per event name,
//! sorted by (profile, time), with one dictionary-encoded column per property path
//! ([`events`]). [`IndexBuilder`] fills it row by row; `Index::evaluate` (in `eval.rs`) reads it.

pub(crate) mod bitmaps;
mod build;
mod dict;
pub(crate) mod events;
pub(crate) mod json_dict;
mod json_paths;
pub mod memory;
pub(crate) mod row_filter;
pub(crate) mod times;
pub(crate) mod traits;

use std::collections::BTreeMap;

use roaring::RoaringBitmap;
use tessera_lang::Expr;
use tessera_model::{Millis, TraitType, TraitValue};

pub use build::{BuildOptions, IndexBuilder, TraitsBuilder};

use crate::data::{EventData, ProfileData};
use crate::explain::Explanation;
use events::EventTable;
use traits::TraitColumns;

/// When to take an access path that is only worth it some of the time. Results never depend
/// on the choice (the differential test runs every choice); only speed does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Decide by size estimates.
    #[default]
    Auto,
    Always,
    Never,
}

/// Access-path choices for evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tuning {
    /// Look profiles up one by one (binary search) instead of scanning a whole column or event
    /// table, when the candidate profiles are few: `a and b` evaluates `b` only within `a`.
    pub probe: Strategy,
    /// Select rows through posting lists (value → rows) instead of scanning codes.
    pub postings: Strategy,
}

impl Tuning {
    /// Whether to probe `candidates` profiles one by one in a structure covering `covered`.
    pub(crate) fn probe(&self, candidates: u64, covered: usize) -> bool {
        match self.probe {
            // A binary search costs some twenty steps; a scan one step per entry.
            Strategy::Auto => candidates.saturating_mul(32) < covered as u64,
            Strategy::Always => true,
            Strategy::Never => false,
        }
    }

    /// Whether to union the posting bitmaps of `codes` values rather than scan a column. A
    /// union costs little per bitmap whatever its size, so only the number of values counts.
    pub(crate) fn bitmap_postings(&self, codes: usize) -> bool {
        match self.postings {
            Strategy::Auto => codes <= 256,
            Strategy::Always => true,
            Strategy::Never => false,
        }
    }

    /// Whether to read `selected` rows through postings rather than scan `rows` rows.
    pub(crate) fn postings(&self, selected: usize, rows: usize) -> bool {
        match self.postings {
            Strategy::Auto => selected.saturating_mul(16) <= rows,
            Strategy::Always => true,
            Strategy::Never => false,
        }
    }
}

/// The profiles, their traits and their events, in columns; immutable once built.
pub struct Index {
    /// Profile key by ordinal.
    pub(crate) keys: Vec<i64>,
    /// (key, ordinal), sorted by key, for [`Index::ordinal`]; `None` when `keys` ascend
    /// (profiles added in key order, as stores add them), which then serve the lookup.
    pub(crate) by_key: Option<Vec<(i64, u32)>>,
    pub(crate) traits: BTreeMap<String, TraitColumns>,
    pub(crate) events: BTreeMap<String, EventTable>,
    pub(crate) tuning: Tuning,
}

impl Index {
    /// Builds an index from whole profiles (a convenience for tests and small data; stores
    /// stream rows through [`IndexBuilder`] instead).
    pub fn from_profiles(profiles: &[(i64, ProfileData)]) -> Index {
        let mut builder = IndexBuilder::new();
        for (key, profile) in profiles {
            let ord = builder.add_profile(*key);
            for (name, value) in &profile.traits {
                builder.set_trait(ord, name, value.clone());
            }
            for event in &profile.events {
                builder.add_event(ord, &event.name, event.ts, &event.properties);
            }
        }
        builder.finish()
    }

    /// The number of profiles.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Every profile ordinal.
    pub fn universe(&self) -> RoaringBitmap {
        let mut all = RoaringBitmap::new();
        all.insert_range(0..self.keys.len() as u32);
        all
    }

    /// The key a profile was added with.
    ///
    /// # Panics
    /// If `ord` is not below [`Index::len`]; ordinals come from this index's own bitmaps.
    pub fn profile_key(&self, ord: u32) -> i64 {
        self.keys[ord as usize]
    }

    /// The ordinal of the profile added with `key`.
    pub fn ordinal(&self, key: i64) -> Option<u32> {
        match &self.by_key {
            Some(by_key) => {
                let at = by_key.binary_search_by_key(&key, |&(k, _)| k).ok()?;
                Some(by_key[at].1)
            }
            None => self.keys.binary_search(&key).ok().map(|at| at as u32),
        }
    }

    /// Trait names, sorted.
    pub fn trait_names(&self) -> impl Iterator<Item = &str> {
        self.traits.keys().map(String::as_str)
    }

    /// The types a trait has values of (more than one when sources disagree).
    pub fn trait_types(&self, name: &str) -> Vec<TraitType> {
        self.traits
            .get(name)
            .map(TraitColumns::types)
            .unwrap_or_default()
    }

    /// Event names, sorted.
    pub fn event_names(&self) -> impl Iterator<Item = &str> {
        self.events.keys().map(String::as_str)
    }

    /// The property paths seen on an event, sorted; nested objects appear both whole (`a`)
    /// and flattened (`a.b`).
    pub fn event_properties(&self, event: &str) -> Vec<&str> {
        self.events
            .get(event)
            .map(|table| table.columns.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// The number of events of a name.
    pub fn event_count(&self, event: &str) -> usize {
        self.events.get(event).map_or(0, EventTable::len)
    }

    pub fn tuning(&self) -> Tuning {
        self.tuning
    }

    pub fn set_tuning(&mut self, tuning: Tuning) {
        self.tuning = tuning;
    }

    pub fn with_tuning(mut self, tuning: Tuning) -> Index {
        self.tuning = tuning;
        self
    }

    /// One profile as the interpreter sees it, rebuilt from the columns; `None` past the end.
    ///
    /// Costs a binary search per trait and event name. Property values come back as the
    /// dictionary's representative (`1.0` may return as `1`) and nested objects may come back
    /// with their dotted paths also as keys; both read the same through every condition.
    pub fn profile_data(&self, ord: u32) -> Option<ProfileData> {
        if ord as usize >= self.len() {
            return None;
        }
        let traits: BTreeMap<String, TraitValue> = self
            .traits
            .iter()
            .filter_map(|(name, columns)| Some((name.clone(), columns.get(ord)?)))
            .collect();
        let mut events = Vec::new();
        for (name, table) in &self.events {
            for row in table.rows_of(ord) {
                events.push(EventData {
                    name: name.clone(),
                    ts: table.ts.get(row),
                    properties: table.properties(row),
                });
            }
        }
        Some(ProfileData { traits, events })
    }

    /// Why `expr` holds or not for one profile: the interpreter run on [`Index::profile_data`].
    pub fn explain(&self, expr: &Expr, ord: u32, at: Millis) -> Option<Explanation> {
        Some(crate::interpreter::explain(
            expr,
            &self.profile_data(ord)?,
            at,
        ))
    }
}

/// A summary: sizes and names, not contents.
impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let events: BTreeMap<&str, usize> = self
            .events
            .iter()
            .map(|(name, table)| (name.as_str(), table.len()))
            .collect();
        f.debug_struct("Index")
            .field("profiles", &self.len())
            .field("traits", &self.traits.keys().collect::<Vec<_>>())
            .field("events", &events)
            .field("tuning", &self.tuning)
            .finish()
    }
}

impl Default for Index {
    fn default() -> Index {
        IndexBuilder::new().finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ordinals are found by key whether profiles came in key order (the keys are the lookup
    /// table) or not (a sorted copy is), and unknown keys have none.
    #[test]
    fn ordinals_are_found_by_key_in_either_order() {
        for keys in [vec![3, 8, 21, 40], vec![40, 3, 21, 8]] {
            let mut builder = IndexBuilder::new();
            for &key in &keys {
                builder.add_profile(key);
            }
            // Adding a key again gives its ordinal, not a new profile.
            assert_eq!(builder.add_profile(21), 2);
            let index = builder.finish();
            assert_eq!(index.by_key.is_none(), keys.is_sorted(), "{keys:?}");
            for (ord, &key) in keys.iter().enumerate() {
                assert_eq!(index.ordinal(key), Some(ord as u32), "{keys:?}");
                assert_eq!(index.profile_key(ord as u32), key);
            }
            for missing in [0, 4, 41] {
                assert_eq!(index.ordinal(missing), None);
            }
        }
    }
}
