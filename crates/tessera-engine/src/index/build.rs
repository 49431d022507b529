//! Streaming construction of an [`Index`]: profiles, traits and events pushed one at a time.
//!
//! A store pushes millions of rows, so nothing here needs whole profiles: traits are staged
//! as compact (profile, value) entries and events as appended rows; [`IndexBuilder::finish`]
//! sorts, resolves overwrites and lays out the columns once.

use std::collections::BTreeMap;

use hashbrown::HashMap;

use serde_json::{Map, Value};
use tessera_model::{GeoPoint, Millis, TraitValue};

use super::bitmaps::kept_bitmap;
use super::dict::StrDict;
use super::events::{EventTable, Postings, PropColumn, RowCodes, MISSING};
use super::json_dict::JsonDict;
use super::json_paths::{for_each_path_in_text, Reached};
use super::times::Times;
use super::traits::{BoolColumn, ListColumn, Sparse, StringColumn, TraitColumns};
use super::{Index, Strategy, Tuning};
use crate::data::property;

/// How to build an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BuildOptions {
    /// Whether string traits and event properties get posting lists (value → profiles/rows).
    /// `Auto` skips columns where values are nearly all distinct: such postings would cost
    /// more memory than the column and beat no scan.
    pub postings: Strategy,
}

impl BuildOptions {
    fn wants_postings(&self, distinct: usize, rows: usize) -> bool {
        match self.postings {
            Strategy::Auto => distinct.saturating_mul(4) <= rows,
            Strategy::Always => true,
            Strategy::Never => false,
        }
    }
}

/// Builds an [`Index`] row by row.
///
/// ```
/// use serde_json::json;
/// use tessera_engine::IndexBuilder;
/// use tessera_model::TraitValue;
///
/// let mut builder = IndexBuilder::new();
/// let ana = builder.add_profile(1001);
/// builder.set_trait(ana, "age", TraitValue::Number(31.0));
/// let props = json!({"product_id": "X"}).as_object().unwrap().clone();
/// builder.add_event(ana, "Product Viewed", 1_700_000_000_000, &props);
/// let index = builder.finish();
/// assert_eq!(index.ordinal(1001), Some(ana));
/// assert_eq!(index.event_count("Product Viewed"), 1);
/// ```
#[derive(Default)]
pub struct IndexBuilder {
    options: BuildOptions,
    keys: Vec<i64>,
    ordinals: HashMap<i64, u32>,
    traits: HashMap<String, TraitStage>,
    events: HashMap<String, TableStage>,
}

impl IndexBuilder {
    pub fn new() -> IndexBuilder {
        IndexBuilder::default()
    }

    pub fn with_options(options: BuildOptions) -> IndexBuilder {
        IndexBuilder {
            options,
            ..IndexBuilder::default()
        }
    }

    /// Adds a profile and returns its ordinal: 0, 1, 2… in the order of first addition.
    /// Adding a key again returns the ordinal it already has.
    pub fn add_profile(&mut self, key: i64) -> u32 {
        let next = u32::try_from(self.keys.len()).expect("an index holds at most 2^32 profiles");
        let ord = *self.ordinals.entry(key).or_insert(next);
        if ord == next {
            self.keys.push(key);
        }
        ord
    }

    /// The number of profiles added.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Sets a trait of a profile; setting it again replaces the value (whatever its type).
    ///
    /// # Panics
    /// If `profile` was not returned by [`IndexBuilder::add_profile`].
    pub fn set_trait(&mut self, profile: u32, name: &str, value: TraitValue) {
        self.check(profile);
        stage_trait(&mut self.traits, profile, name, value);
    }

    /// Takes out the traits set so far, for the profiles added so far, so that traits can be
    /// set on another thread while this builder takes events. [`IndexBuilder::put_traits`]
    /// puts them back.
    pub fn take_traits(&mut self) -> TraitsBuilder {
        TraitsBuilder {
            profiles: self.keys.len(),
            traits: std::mem::take(&mut self.traits),
        }
    }

    /// Puts back the traits [`IndexBuilder::take_traits`] took.
    ///
    /// # Panics
    /// If traits were set on this builder meanwhile (the two could not be ordered).
    pub fn put_traits(&mut self, traits: TraitsBuilder) {
        assert!(
            self.traits.is_empty(),
            "traits were set on an IndexBuilder while its traits were taken out"
        );
        self.traits = traits.traits;
    }

    /// Adds an event of a profile; events may arrive in any order.
    ///
    /// # Panics
    /// If `profile` was not returned by [`IndexBuilder::add_profile`].
    pub fn add_event(
        &mut self,
        profile: u32,
        name: &str,
        ts: Millis,
        properties: &Map<String, Value>,
    ) {
        self.check(profile);
        if !self.events.contains_key(name) {
            self.events.insert(name.to_string(), TableStage::default());
        }
        let stage = self.events.get_mut(name).expect("inserted above");
        stage.push(profile, ts, properties);
    }

    /// [`IndexBuilder::add_event`] with the properties as JSON text, read without building
    /// their map (see [`super::json_paths`]). Each `(key, text)` of `defaults` is a top-level
    /// property, as JSON text, for when `properties` has no member of that key (the store's
    /// summary of an event's `context`). `properties` must not repeat a key within an object,
    /// which no printed `serde_json` value does.
    ///
    /// # Errors
    /// When `properties` is not a JSON object or a default is not JSON. The event may then be
    /// partly added: the builder is only good for dropping.
    ///
    /// # Panics
    /// If `profile` was not returned by [`IndexBuilder::add_profile`].
    pub fn add_event_json(
        &mut self,
        profile: u32,
        name: &str,
        ts: Millis,
        properties: &str,
        defaults: &[(&str, &str)],
    ) -> Result<(), serde_json::Error> {
        self.check(profile);
        if !self.events.contains_key(name) {
            self.events.insert(name.to_string(), TableStage::default());
        }
        let stage = self.events.get_mut(name).expect("inserted above");
        stage.push_json(profile, ts, properties, defaults)
    }

    fn check(&self, profile: u32) {
        assert!(
            (profile as usize) < self.keys.len(),
            "profile ordinal {profile} was not returned by add_profile"
        );
    }

    /// Lays out the columns.
    pub fn finish(self) -> Index {
        let IndexBuilder {
            options,
            keys,
            ordinals,
            traits,
            events,
        } = self;
        // Stores add profiles in id order, so the keys themselves are the lookup table.
        let by_key = (!keys.is_sorted()).then(|| {
            let mut by_key: Vec<(i64, u32)> = ordinals.into_iter().collect();
            by_key.sort_unstable();
            by_key
        });
        // Every trait and every event table is laid out on its own, side by side on rayon's
        // threads (the layout of a large store took over ten seconds on one).
        let (traits, events) = rayon::join(
            || finish_each(traits, |t| t.finish(&options)),
            || finish_each(events, |t| t.finish(&options)),
        );
        Index {
            keys,
            by_key,
            traits,
            events,
            tuning: Tuning::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Num,
    Bool,
    Ts,
    Geo,
    List,
}

/// One `set_trait` call, 16 bytes: the payload is a code, the bits of a number or time, or an
/// index into the stage's side tables (geo points, lists).
#[derive(Clone, Copy)]
struct Staged {
    payload: u64,
    ord: u32,
    kind: Kind,
}

#[derive(Default)]
struct TraitStage {
    entries: Vec<Staged>,
    strings: StrDict,
    elements: StrDict,
    geos: Vec<GeoPoint>,
    /// (start, end) of each staged list in `list_elements`.
    lists: Vec<(usize, usize)>,
    list_elements: Vec<u32>,
}

impl TraitStage {
    fn push(&mut self, ord: u32, value: TraitValue) {
        let (kind, payload) = match value {
            TraitValue::String(s) => (Kind::Str, u64::from(self.strings.intern(&s))),
            TraitValue::Number(n) => (Kind::Num, n.to_bits()),
            TraitValue::Bool(b) => (Kind::Bool, u64::from(b)),
            TraitValue::Timestamp(ms) => (Kind::Ts, ms as u64),
            TraitValue::Geo(point) => {
                self.geos.push(point);
                (Kind::Geo, (self.geos.len() - 1) as u64)
            }
            TraitValue::StringList(items) => {
                let start = self.list_elements.len();
                for item in &items {
                    let code = self.elements.intern(item);
                    self.list_elements.push(code);
                }
                self.lists.push((start, self.list_elements.len()));
                (Kind::List, (self.lists.len() - 1) as u64)
            }
        };
        self.entries.push(Staged { payload, ord, kind });
    }

    fn finish(mut self, options: &BuildOptions) -> TraitColumns {
        self.strings.shrink();
        self.elements.shrink();
        // A stable sort keeps repeated sets of one profile in call order: the last one wins.
        // Profiles usually arrive in order, which the sort detects in one pass.
        self.entries.sort_by_key(|e| e.ord);
        let mut latest: Vec<Staged> = Vec::with_capacity(self.entries.len());
        for entry in self.entries.drain(..) {
            match latest.last_mut() {
                Some(last) if last.ord == entry.ord => *last = entry,
                _ => latest.push(entry),
            }
        }
        let mut columns = TraitColumns {
            present: kept_bitmap(latest.iter().map(|e| e.ord)),
            ..TraitColumns::default()
        };
        let has = |kind| latest.iter().any(|e| e.kind == kind);
        let of = |kind| latest.iter().filter(move |e| e.kind == kind);
        if has(Kind::Str) {
            let mut values = Sparse::default();
            for e in of(Kind::Str) {
                values.push(e.ord, e.payload as u32);
            }
            let postings = options
                .wants_postings(self.strings.len(), values.ords.len())
                .then(|| {
                    let mut postings = vec![Vec::new(); self.strings.len()];
                    for (&ord, &code) in values.ords.iter().zip(&values.vals) {
                        postings[code as usize].push(ord);
                    }
                    postings.into_iter().map(kept_bitmap).collect()
                });
            columns.strings = Some(StringColumn {
                values: values.shrunk(),
                dict: self.strings,
                postings,
            });
        }
        if has(Kind::Num) {
            let mut values = Sparse::default();
            for e in of(Kind::Num) {
                values.push(e.ord, f64::from_bits(e.payload));
            }
            columns.numbers = Some(values.shrunk());
        }
        if has(Kind::Bool) {
            let yes = kept_bitmap(of(Kind::Bool).filter(|e| e.payload == 1).map(|e| e.ord));
            let no = kept_bitmap(of(Kind::Bool).filter(|e| e.payload == 0).map(|e| e.ord));
            columns.bools = Some(BoolColumn { yes, no });
        }
        if has(Kind::Ts) {
            let mut values = Sparse::default();
            for e in of(Kind::Ts) {
                values.push(e.ord, e.payload as i64);
            }
            columns.timestamps = Some(values.shrunk());
        }
        if has(Kind::Geo) {
            let mut values = Sparse::default();
            for e in of(Kind::Geo) {
                values.push(e.ord, self.geos[e.payload as usize]);
            }
            columns.geos = Some(values.shrunk());
        }
        if has(Kind::List) {
            let mut column = ListColumn {
                ords: Vec::new(),
                offsets: vec![0],
                elements: Vec::new(),
                postings: Vec::new(),
                dict: StrDict::default(),
            };
            let mut postings: Vec<Vec<u32>> = vec![Vec::new(); self.elements.len()];
            for e in of(Kind::List) {
                let (start, end) = self.lists[e.payload as usize];
                for &code in &self.list_elements[start..end] {
                    column.elements.push(code);
                    // A list may repeat an element; its profile is listed once.
                    if postings[code as usize].last() != Some(&e.ord) {
                        postings[code as usize].push(e.ord);
                    }
                }
                column.ords.push(e.ord);
                column.offsets.push(
                    u32::try_from(column.elements.len()).expect("fewer than 2^32 list elements"),
                );
            }
            column.postings = postings.into_iter().map(kept_bitmap).collect();
            column.ords.shrink_to_fit();
            column.offsets.shrink_to_fit();
            column.elements.shrink_to_fit();
            column.dict = self.elements;
            columns.lists = Some(column);
        }
        columns
    }
}

/// The traits of an [`IndexBuilder`], taken out by [`IndexBuilder::take_traits`] to be set on
/// another thread.
pub struct TraitsBuilder {
    /// Profiles added when the traits were taken: the ordinals traits can be set for.
    profiles: usize,
    traits: HashMap<String, TraitStage>,
}

impl TraitsBuilder {
    /// [`IndexBuilder::set_trait`].
    ///
    /// # Panics
    /// If `profile` was not added before the traits were taken.
    pub fn set_trait(&mut self, profile: u32, name: &str, value: TraitValue) {
        assert!(
            (profile as usize) < self.profiles,
            "profile ordinal {profile} was not added before the traits were taken"
        );
        stage_trait(&mut self.traits, profile, name, value);
    }
}

fn stage_trait(
    traits: &mut HashMap<String, TraitStage>,
    profile: u32,
    name: &str,
    value: TraitValue,
) {
    if !traits.contains_key(name) {
        traits.insert(name.to_string(), TraitStage::default());
    }
    let stage = traits.get_mut(name).expect("inserted above");
    stage.push(profile, value);
}

/// The rows of one event name as they arrive.
#[derive(Default)]
struct TableStage {
    profile: Vec<u32>,
    ts: Vec<Millis>,
    columns: HashMap<String, ColumnStage>,
}

/// One property path while rows arrive: a code per row in arrival order, one byte wide until
/// the dictionary outgrows it (so staging a column costs what the finished one does, not a
/// row number and a four-byte code per value).
struct ColumnStage {
    codes: RowCodes,
    /// Rows with a value.
    present: usize,
    dict: JsonDict,
}

impl Default for ColumnStage {
    fn default() -> Self {
        ColumnStage {
            codes: RowCodes::new(),
            present: 0,
            dict: JsonDict::default(),
        }
    }
}

impl TableStage {
    fn push(&mut self, ord: u32, ts: Millis, properties: &Map<String, Value>) {
        let row =
            u32::try_from(self.profile.len()).expect("an event table holds at most 2^32 rows");
        self.profile.push(ord);
        self.ts.push(ts);
        let columns = &mut self.columns;
        for_each_path(properties, &mut |path, value| {
            // One hash of the path; the key is allocated only for a new column.
            let column = columns.entry_ref(path).or_default();
            // A path can be reached twice (a dotted top-level key and a nested walk).
            if column.codes.len() <= row as usize {
                let code = column.dict.intern(value);
                column.codes.push_at(row as usize, code);
                column.present += 1;
            }
        });
    }

    fn push_json(
        &mut self,
        ord: u32,
        ts: Millis,
        properties: &str,
        defaults: &[(&str, &str)],
    ) -> Result<(), serde_json::Error> {
        let row =
            u32::try_from(self.profile.len()).expect("an event table holds at most 2^32 rows");
        self.profile.push(ord);
        self.ts.push(ts);
        let columns = &mut self.columns;
        for_each_path_in_text(properties, defaults, &mut |path, value, reached| {
            let column = columns.entry_ref(path).or_default();
            let row = row as usize;
            if column.codes.len() <= row {
                column.codes.push_at(row, column.dict.intern_value(value));
                column.present += 1;
            } else if reached == Reached::TopLevelDotted {
                // A top-level `"a.b"` wins over the walk to `a.b`, which the text had first.
                column.codes.truncate(row);
                column.codes.push_at(row, column.dict.intern_value(value));
            }
        })
    }

    fn finish(self, options: &BuildOptions) -> EventTable {
        use rayon::prelude::*;
        let TableStage {
            profile,
            ts,
            columns,
        } = self;
        let n = profile.len();
        // Sort rows by (profile, time); ties keep arrival order, which aggregates rely on to
        // add in the same order as the interpreter.
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_unstable_by_key(|&r| (profile[r as usize], ts[r as usize], r));
        let sorted_ts = Times::new(n, |row| ts[order[row] as usize]);
        drop(ts);

        let mut seg_profile = Vec::new();
        let mut seg_start = Vec::new();
        for (row, &old) in order.iter().enumerate() {
            let ord = profile[old as usize];
            if seg_profile.last() != Some(&ord) {
                seg_profile.push(ord);
                seg_start.push(row as u32);
            }
        }
        seg_start.push(n as u32);
        seg_profile.shrink_to_fit();
        seg_start.shrink_to_fit();
        drop(profile);

        let columns: Vec<(String, ColumnStage)> = columns.into_iter().collect();
        let columns: BTreeMap<String, PropColumn> = columns
            .into_par_iter()
            .map(|(path, stage)| (path, stage.finish(&order, options)))
            .collect();
        EventTable {
            ts: sorted_ts,
            seg_profile,
            seg_start,
            columns,
        }
    }
}

impl ColumnStage {
    fn finish(mut self, order: &[u32], options: &BuildOptions) -> PropColumn {
        self.dict.shrink();
        let n = order.len();
        let codes = self.codes.permuted(order, self.dict.len());
        drop(self.codes);
        let dict_numbers: Vec<f64> = self
            .dict
            .iter()
            .map(|v| v.as_f64().unwrap_or(f64::NAN))
            .collect();
        let numbers = dict_numbers
            .iter()
            .any(|x| !x.is_nan())
            .then_some(dict_numbers);
        // No test finds rows by an object value (only `exists` / `is null` hold for objects,
        // and those read the codes), so object columns (`context`, `context.device`…) need
        // no postings.
        let only_objects = self.dict.iter().all(|v| v.is_object());
        let postings = (!only_objects && options.wants_postings(self.dict.len(), self.present))
            .then(|| {
                let mut offsets = vec![0u32; self.dict.len() + 1];
                let present = || {
                    (0..n)
                        .map(|row| (row, codes.get(row)))
                        .filter(|&(_, c)| c != MISSING)
                };
                for (_, c) in present() {
                    offsets[c as usize + 1] += 1;
                }
                for c in 0..self.dict.len() {
                    offsets[c + 1] += offsets[c];
                }
                let mut next = offsets.clone();
                let mut rows = vec![0u32; self.present];
                for (row, c) in present() {
                    rows[next[c as usize] as usize] = row as u32;
                    next[c as usize] += 1;
                }
                let per_code = offsets
                    .windows(2)
                    .map(|w| kept_bitmap(rows[w[0] as usize..w[1] as usize].iter().copied()))
                    .collect();
                Postings { per_code }
            });
        PropColumn {
            codes,
            dict: self.dict,
            numbers,
            postings,
        }
    }
}

/// Calls `f` with every path a condition could read a value at — each top-level key, and each
/// walk through nested objects by keys without dots (the walk splits paths at every dot, so a
/// nested key with a dot cannot be reached) — and the value [`property`] reads there, when it
/// has one. The walk carries the nested value along and one path buffer, so a path costs no
/// allocation and no second walk from the root.
pub(crate) fn for_each_path(properties: &Map<String, Value>, f: &mut impl FnMut(&str, &Value)) {
    let mut path = String::new();
    for (key, value) in properties {
        if let Some(found) = property(properties, key) {
            f(key, found);
        }
        if let (false, Value::Object(nested)) = (key.contains('.'), value) {
            path.clear();
            path.push_str(key);
            walk(properties, &mut path, nested, f);
        }
    }
}

fn walk(
    properties: &Map<String, Value>,
    path: &mut String,
    object: &Map<String, Value>,
    f: &mut impl FnMut(&str, &Value),
) {
    for (key, value) in object.iter().filter(|(k, _)| !k.contains('.')) {
        let len = path.len();
        path.push('.');
        path.push_str(key);
        // `property`: a top-level key equal to the whole path wins unless it is null; else
        // the walked value (null is no value).
        let found = properties
            .get(path.as_str())
            .filter(|v| !v.is_null())
            .or((!value.is_null()).then_some(value));
        if let Some(found) = found {
            f(path, found);
        }
        if let Value::Object(nested) = value {
            walk(properties, path, nested, f);
        }
        path.truncate(len);
    }
}

/// `finish` applied to every value of `staged`, side by side on rayon's threads.
fn finish_each<S: Send, T: Send>(
    staged: HashMap<String, S>,
    finish: impl Fn(S) -> T + Sync,
) -> BTreeMap<String, T> {
    use rayon::prelude::*;
    let staged: Vec<(String, S)> = staged.into_iter().collect();
    staged
        .into_par_iter()
        .map(|(name, stage)| (name, finish(stage)))
        .collect()
}
