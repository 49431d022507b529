//! Event tables: one per event name, rows sorted by (profile, time), with a dictionary-encoded
//! column per property path, and the compiled row filters (`where ...`) that read them.
//!
//! Sorting by profile first makes each profile's events one contiguous run (a *segment*), so
//! per-profile counts and aggregates are a single pass with no hash table, and a window is a
//! binary search inside a run because runs are sorted by time.

use std::collections::BTreeMap;

use roaring::RoaringBitmap;
use serde_json::{Map, Value};
use tessera_lang::{CmpOp, Literal, ValueTest};
use tessera_model::Millis;

use super::json_dict::{DictValue, JsonDict};
use super::times::Times;
use super::traits::CodeSet;

/// The code of a row whose property is missing (absent or null).
pub(crate) const MISSING: u32 = u32::MAX;

pub(crate) struct EventTable {
    pub(crate) ts: Times,
    /// The profiles with events, ascending, and where their runs start;
    /// `seg_start` has one more entry: the end of the last run. A row's profile is the run
    /// it falls in ([`EventTable::run_at`]), not a column: 4 bytes per row saved, and the
    /// only reader that starts from rows (posting lists) visits them in ascending order.
    pub(crate) seg_profile: Vec<u32>,
    pub(crate) seg_start: Vec<u32>,
    pub(crate) columns: BTreeMap<String, PropColumn>,
}

pub(crate) struct PropColumn {
    /// Dictionary code per row, or [`MISSING`].
    pub(crate) codes: RowCodes,
    pub(crate) dict: JsonDict,
    /// The value per dictionary code when it is a JSON number, else NaN; `None` when no value
    /// is a number. Per code rather than per row: a row costs its 4-byte code only, and
    /// aggregates read `numbers[codes[row]]` from a table the size of the dictionary.
    pub(crate) numbers: Option<Vec<f64>>,
    /// Rows per code; `None` when nearly every value is distinct.
    pub(crate) postings: Option<Postings>,
}

/// Dictionary codes per row in the narrowest width the dictionary allows: one byte per row for
/// up to 255 distinct values (a channel, a device type, a category), two for up to 65,535, four
/// above. The width's largest value stands for [`MISSING`]. Most property columns have small
/// dictionaries, so this is where most of an event's bytes are saved (`segment size --memory`).
pub(crate) enum RowCodes {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl RowCodes {
    /// `n` rows, all missing but those of `present` (row, code), for a dictionary of `distinct`
    /// values.
    pub(crate) fn from_present(
        n: usize,
        distinct: usize,
        present: impl Iterator<Item = (usize, u32)>,
    ) -> RowCodes {
        fn fill<T: Copy>(
            n: usize,
            missing: T,
            present: impl Iterator<Item = (usize, T)>,
        ) -> Vec<T> {
            let mut codes = vec![missing; n];
            for (row, code) in present {
                codes[row] = code;
            }
            codes
        }
        if distinct < u8::MAX as usize {
            RowCodes::U8(fill(n, u8::MAX, present.map(|(r, c)| (r, c as u8))))
        } else if distinct < u16::MAX as usize {
            RowCodes::U16(fill(n, u16::MAX, present.map(|(r, c)| (r, c as u16))))
        } else {
            RowCodes::U32(fill(n, MISSING, present))
        }
    }

    /// An empty column, one byte per row until a code needs more.
    pub(crate) fn new() -> RowCodes {
        RowCodes::U8(Vec::new())
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            RowCodes::U8(codes) => codes.len(),
            RowCodes::U16(codes) => codes.len(),
            RowCodes::U32(codes) => codes.len(),
        }
    }

    /// Drops the rows from `len` on.
    pub(crate) fn truncate(&mut self, len: usize) {
        match self {
            RowCodes::U8(codes) => codes.truncate(len),
            RowCodes::U16(codes) => codes.truncate(len),
            RowCodes::U32(codes) => codes.truncate(len),
        }
    }

    /// Sets `row` (at or after the end) to `code` (not [`MISSING`]); the rows skipped are
    /// missing. Widens the column when the code does not fit.
    pub(crate) fn push_at(&mut self, row: usize, code: u32) {
        debug_assert!(row >= self.len() && code != MISSING);
        if matches!(self, RowCodes::U8(_)) && code >= u32::from(u8::MAX) {
            *self = RowCodes::U16(self.widened(u16::MAX));
        }
        if matches!(self, RowCodes::U16(_)) && code >= u32::from(u16::MAX) {
            *self = RowCodes::U32(self.widened(MISSING));
        }
        match self {
            RowCodes::U8(codes) => {
                codes.resize(row, u8::MAX);
                codes.push(code as u8);
            }
            RowCodes::U16(codes) => {
                codes.resize(row, u16::MAX);
                codes.push(code as u16);
            }
            RowCodes::U32(codes) => {
                codes.resize(row, MISSING);
                codes.push(code);
            }
        }
    }

    /// The codes in a wider type, `missing` standing for a missing row.
    fn widened<T: TryFrom<u32> + Copy>(&self, missing: T) -> Vec<T> {
        (0..self.len())
            .map(|row| match self.get(row) {
                MISSING => missing,
                code => T::try_from(code).ok().expect("a code fits a wider type"),
            })
            .collect()
    }

    /// The rows in a new order (`order[new] = old`), rows past the end missing, `n` rows in all,
    /// in the narrowest width for `distinct` codes.
    pub(crate) fn permuted(&self, order: &[u32], distinct: usize) -> RowCodes {
        let present = order.iter().enumerate().filter_map(|(new, &old)| {
            let old = old as usize;
            let code = if old < self.len() {
                self.get(old)
            } else {
                MISSING
            };
            (code != MISSING).then_some((new, code))
        });
        RowCodes::from_present(order.len(), distinct, present)
    }

    /// Calls `f` with the code of each row of `rows` in order ([`MISSING`] for a missing
    /// row), choosing the width once instead of per row as [`RowCodes::get`] does.
    #[inline]
    pub(crate) fn for_each(&self, rows: std::ops::Range<usize>, mut f: impl FnMut(u32)) {
        match self {
            RowCodes::U8(codes) => codes[rows].iter().for_each(|&code| {
                f(if code == u8::MAX {
                    MISSING
                } else {
                    u32::from(code)
                })
            }),
            RowCodes::U16(codes) => codes[rows].iter().for_each(|&code| {
                f(if code == u16::MAX {
                    MISSING
                } else {
                    u32::from(code)
                })
            }),
            RowCodes::U32(codes) => codes[rows].iter().for_each(|&code| f(code)),
        }
    }

    /// The code of a row, or [`MISSING`].
    #[inline]
    pub(crate) fn get(&self, row: usize) -> u32 {
        match self {
            RowCodes::U8(codes) => match codes[row] {
                u8::MAX => MISSING,
                code => u32::from(code),
            },
            RowCodes::U16(codes) => match codes[row] {
                u16::MAX => MISSING,
                code => u32::from(code),
            },
            RowCodes::U32(codes) => codes[row],
        }
    }

    /// How many of `rows` hold `code`: one pass over the slice, which the compiler
    /// vectorises, instead of a [`RowCodes::get`] per row.
    pub(crate) fn count_equal(&self, rows: std::ops::Range<usize>, code: u32) -> u64 {
        fn count<T: Copy + PartialEq>(codes: &[T], code: T) -> u64 {
            codes.iter().filter(|&&c| c == code).count() as u64
        }
        if code == MISSING {
            return 0;
        }
        // A code the width cannot hold (or holds only as its missing mark) is in no row.
        match self {
            RowCodes::U8(codes) => u8::try_from(code)
                .ok()
                .filter(|&c| c != u8::MAX)
                .map_or(0, |c| count(&codes[rows], c)),
            RowCodes::U16(codes) => u16::try_from(code)
                .ok()
                .filter(|&c| c != u16::MAX)
                .map_or(0, |c| count(&codes[rows], c)),
            RowCodes::U32(codes) => count(&codes[rows], code),
        }
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        match self {
            RowCodes::U8(codes) => codes.len(),
            RowCodes::U16(codes) => codes.len() * 2,
            RowCodes::U32(codes) => codes.len() * 4,
        }
    }
}

/// Rows per dictionary code, as a Roaring bitmap each, run-compressed where that is smaller.
///
/// Rows are sorted by profile then time, and values that belong to the visitor rather than
/// the event (time zone, device, channel) repeat along a profile's run, so most of these
/// bitmaps are runs or dense containers: on the 1M-customer store they take a fraction of
/// the 4 bytes per row that a plain row list would.
pub(crate) struct Postings {
    pub(crate) per_code: Vec<RoaringBitmap>,
}

impl Postings {
    pub(crate) fn rows(&self, code: u32) -> &RoaringBitmap {
        &self.per_code[code as usize]
    }
}

impl EventTable {
    pub(crate) fn len(&self) -> usize {
        self.ts.len()
    }

    /// The run of rows of one profile (empty when it has no such event).
    pub(crate) fn rows_of(&self, ord: u32) -> std::ops::Range<usize> {
        match self.seg_profile.binary_search(&ord) {
            Ok(i) => self.seg_start[i] as usize..self.seg_start[i + 1] as usize,
            Err(_) => 0..0,
        }
    }

    /// The run (index into `seg_profile`) holding `row`, searching forward from `from`, a run
    /// at or before it: a step when `row` is in `from` or the next run, a binary search
    /// beyond.
    #[inline]
    pub(crate) fn run_at(&self, row: usize, from: usize) -> usize {
        let row = row as u32;
        debug_assert!(self.seg_start[from] <= row && (row as usize) < self.len());
        if row < self.seg_start[from + 1] {
            return from;
        }
        let later = &self.seg_start[from + 1..];
        from + later.partition_point(|&start| start <= row)
    }

    /// The rows of `run` with `low <= ts <= high` (bounds inclusive), by binary search.
    pub(crate) fn window(
        &self,
        run: std::ops::Range<usize>,
        low: Millis,
        high: Millis,
    ) -> std::ops::Range<usize> {
        // Most windows end at `at`, after a profile's last event: skip that search then.
        let end = if high >= self.ts.max() || (!run.is_empty() && self.ts.get(run.end - 1) <= high)
        {
            run.end
        } else {
            self.ts.partition_point(run.clone(), |t| t <= high)
        };
        // A window that starts before the run's first row, or after its last one, needs no
        // search either; both are common (recent profiles, lapsed ones).
        let start = if end == run.start || self.ts.get(run.start) >= low {
            run.start
        } else if self.ts.get(end - 1) < low {
            end
        } else {
            self.first_at_or_after(run.start..end, low)
        };
        start..end
    }

    /// The first row of `rows` at or after `low`, when the last row is and the first is
    /// not. Windows are mostly the recent end of a profile's history: step back from the
    /// end a few rows before falling back to a binary search.
    #[inline]
    fn first_at_or_after(&self, rows: std::ops::Range<usize>, low: Millis) -> usize {
        let mut first = rows.end - 1;
        let stop = first.saturating_sub(8).max(rows.start + 1);
        while first > stop && self.ts.get(first - 1) >= low {
            first -= 1;
        }
        if first > stop || first == rows.start + 1 {
            first
        } else {
            self.ts.partition_point(rows.start + 1..first, |t| t < low)
        }
    }

    /// Calls `visit(run_index, rows)` for each run of `runs` (indexes into `seg_profile`)
    /// whose window `low..=high` holds rows, in ascending order, skipping the others: what
    /// calling [`EventTable::window`] on every run and dropping the empty windows gives.
    ///
    /// Windows that reach past the table's last event (`in last 30d` as of now) are found
    /// in two passes over a block of runs: the first keeps the runs whose last row is in the
    /// window, without a branch on the answer (about half of all runs fail it, in no order a
    /// branch predictor can learn); the second finds where each kept window starts, as
    /// `window` does. (Counting short runs' rows without a branch instead made
    /// `count(Page Viewed in last 30d) < 2` of the engine micro-benchmark 25 → 34 ms.)
    pub(crate) fn for_each_window(
        &self,
        runs: std::ops::Range<usize>,
        low: Millis,
        high: Millis,
        mut visit: impl FnMut(usize, std::ops::Range<usize>),
    ) {
        if high < self.ts.max() {
            for i in runs {
                let rows = self.window(self.run(i), low, high);
                if !rows.is_empty() {
                    visit(i, rows);
                }
            }
            return;
        }
        if low <= self.ts.min() {
            // Every run's window is the whole run (`count(E) >= 3`, or a window longer than
            // the table's history): no time to read.
            runs.for_each(|i| visit(i, self.run(i)));
            return;
        }
        self.recent_blocks(runs, low, |kept| {
            for &i in kept {
                let run = self.run(i as usize);
                let start = if self.ts.get(run.start) >= low {
                    run.start
                } else {
                    self.first_at_or_after(run.clone(), low)
                };
                visit(i as usize, start..run.end);
            }
        });
    }

    /// Calls `visit(run_index)` for each run of `runs` whose window `low..=high` holds rows,
    /// in ascending order: [`EventTable::for_each_window`] without finding where each window
    /// starts, for conditions that only ask whether it is empty (`did(E in last 30d)`).
    pub(crate) fn for_each_nonempty_window(
        &self,
        runs: std::ops::Range<usize>,
        low: Millis,
        high: Millis,
        mut visit: impl FnMut(usize),
    ) {
        if high < self.ts.max() {
            for i in runs {
                if !self.window(self.run(i), low, high).is_empty() {
                    visit(i);
                }
            }
            return;
        }
        if low <= self.ts.min() {
            runs.for_each(visit);
            return;
        }
        self.recent_blocks(runs, low, |kept| {
            kept.iter().for_each(|&i| visit(i as usize))
        });
    }

    /// Hands `on_block` the runs of `runs` whose last row is at or after `low`, a block at a
    /// time: the runs of a window that reaches past the table's last event.
    fn recent_blocks(
        &self,
        runs: std::ops::Range<usize>,
        low: Millis,
        mut on_block: impl FnMut(&[u32]),
    ) {
        const BLOCK: usize = 1024;
        let mut kept = [0u32; BLOCK];
        let mut block_start = runs.start;
        while block_start < runs.end {
            let block_end = (block_start + BLOCK).min(runs.end);
            let mut n = 0;
            for i in block_start..block_end {
                kept[n] = i as u32;
                // Runs are never empty.
                let last = self.seg_start[i + 1] as usize - 1;
                n += usize::from(self.ts.get(last) >= low);
            }
            on_block(&kept[..n]);
            block_start = block_end;
        }
    }

    /// The rows of run `i` (an index into `seg_profile`).
    #[inline]
    pub(crate) fn run(&self, i: usize) -> std::ops::Range<usize> {
        self.seg_start[i] as usize..self.seg_start[i + 1] as usize
    }

    /// The properties of one row, rebuilt so that every path reads as it did when added.
    pub(crate) fn properties(&self, row: usize) -> Map<String, Value> {
        let mut properties = Map::new();
        // Paths without dots are top-level keys. An object is kept as `{}` (see `JsonDict`);
        // the dotted paths below fill it back in.
        for (path, column) in self.columns.iter().filter(|(p, _)| !p.contains('.')) {
            if let Some(value) = column.value(row) {
                properties.insert(path.clone(), value.to_json());
            }
        }
        // Dotted paths in sorted order, so an object's path comes before its leaves'. A value
        // the walk does not already read there goes inside its parent object when the parent
        // was an object in the event (its column says so), else it was a top-level key with
        // dots of its own and stays one; `property` reads either the same way.
        for (path, column) in self.columns.iter().filter(|(p, _)| p.contains('.')) {
            if let Some(value) = column.value(row).map(DictValue::to_json) {
                let walked = crate::data::property(&properties, path);
                if walked.is_some_and(|w| super::json_dict::same(w, &value)) {
                    continue;
                }
                let (parent, key) = path.rsplit_once('.').expect("a dotted path");
                match object_at(&mut properties, parent) {
                    Some(object) if !object.contains_key(key) => {
                        object.insert(key.to_string(), value);
                    }
                    _ => {
                        properties.insert(path.clone(), value);
                    }
                }
            }
        }
        properties
    }
}

/// The object reached from `properties` by the dot-separated keys of `path`, if every step is
/// an object.
fn object_at<'m>(
    properties: &'m mut Map<String, Value>,
    path: &str,
) -> Option<&'m mut Map<String, Value>> {
    let mut object = properties;
    for key in path.split('.') {
        match object.get_mut(key) {
            Some(Value::Object(inner)) => object = inner,
            _ => return None,
        }
    }
    Some(object)
}

impl PropColumn {
    pub(crate) fn value(&self, row: usize) -> Option<DictValue<'_>> {
        let code = self.codes.get(row);
        (code != MISSING).then(|| self.dict.value(code))
    }

    /// The codes whose values pass `test` (a present value; missing rows are the caller's).
    pub(crate) fn codes_for(&self, test: &ValueTest) -> CodeSet {
        let by_key = |literals: &[Literal]| -> Option<CodeSet> {
            let mut codes = Vec::new();
            for literal in literals {
                let key = match literal {
                    Literal::String(s) => Value::String(s.clone()),
                    Literal::Bool(b) => Value::Bool(*b),
                    Literal::Number(n) => serde_json::Number::from_f64(*n).map(Value::Number)?,
                    // Any string may read as this date: test every entry.
                    Literal::Timestamp { .. } => return None,
                };
                codes.extend(self.dict.get(&key));
            }
            codes.sort_unstable();
            codes.dedup();
            Some(CodeSet::Few(codes))
        };
        let fast = match test {
            // Equality never holds for arrays or objects, so the key is the whole answer.
            ValueTest::Compare {
                op: CmpOp::Eq,
                value,
            } => by_key(std::slice::from_ref(value)),
            // `in` also holds for an array with a matching element.
            ValueTest::In { values } if !self.dict.has_arrays() => by_key(values),
            _ => None,
        };
        fast.unwrap_or_else(|| CodeSet::Mask(self.dict.iter().map(|v| v.matches(test)).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// `count_equal` is `get` compared row by row, in every width, for codes each width
        /// holds, its missing mark, and codes too wide for it.
        #[test]
        fn counting_a_code_is_comparing_each_row(
            distinct in prop_oneof![Just(20usize), Just(300), Just(70_000)],
            present in proptest::collection::vec((0usize..400, 0u32..8), 0..300),
            start in 0usize..400,
            len in 0usize..400,
            pick in 0usize..8,
        ) {
            let n = 400;
            // A few codes near each width's limits, so that rows hold them.
            let codes = [0, 1, 7, 254, 255, 65_534, 65_535, 69_999];
            let column = RowCodes::from_present(
                n,
                distinct,
                present.iter().map(|&(row, k)| (row, codes[k as usize] % distinct as u32)),
            );
            let rows = start..(start + len).min(n);
            for code in [codes[pick] % distinct as u32, u32::from(u8::MAX), u32::from(u16::MAX), 70_000, MISSING] {
                let expected = if code == MISSING {
                    0
                } else {
                    rows.clone().filter(|&row| column.get(row) == code).count() as u64
                };
                prop_assert_eq!(column.count_equal(rows.clone(), code), expected, "code {}", code);
            }
        }
    }

    /// Staging: codes pushed at increasing rows (skipping some) widen the column as they
    /// grow, keep every earlier code and missing row, and permute into any order.
    #[test]
    fn staged_codes_widen_and_permute() {
        let mut codes = RowCodes::new();
        let pushed: Vec<(usize, u32)> =
            vec![(0, 3), (2, 254), (3, 255), (7, 65_534), (8, 65_535), (9, 7)];
        for &(row, code) in &pushed {
            codes.push_at(row, code);
        }
        assert!(matches!(codes, RowCodes::U32(_)));
        let expected = |row: usize| {
            pushed
                .iter()
                .find(|(r, _)| *r == row)
                .map_or(MISSING, |(_, c)| *c)
        };
        for row in 0..10 {
            assert_eq!(codes.get(row), expected(row), "row {row}");
        }
        // Reversed, with two rows past the staged end (missing).
        let order: Vec<u32> = (0..12).rev().collect();
        let permuted = codes.permuted(&order, 70_000);
        for (new, &old) in order.iter().enumerate() {
            let old = old as usize;
            let want = if old < 10 { expected(old) } else { MISSING };
            assert_eq!(permuted.get(new), want, "new row {new}");
        }
        // A small dictionary stays one byte wide.
        let mut small = RowCodes::new();
        small.push_at(5, 1);
        assert_eq!(small.heap_bytes(), 6);
        assert_eq!(
            (0..6).map(|r| small.get(r)).collect::<Vec<_>>(),
            [MISSING, MISSING, MISSING, MISSING, MISSING, 1]
        );
    }

    /// Rows come back as they were added: nested objects whole (their own columns keep only
    /// `{}`), and top-level keys with dots beside objects, each path reading the same value.
    #[test]
    fn properties_rebuild_each_event() {
        use crate::index::IndexBuilder;
        use serde_json::json;
        let events = [
            json!({"product_id": "P1", "context": {"device": {"type": "mobile"}, "timezone": "Europe/Paris"}}),
            json!({"context": {"campaign": {"name": "spring", "source": "mail"}}, "n": 2}),
            json!({"a.b": 5, "a": {"b": 1, "c": {"d": true}}, "x.y": "top"}),
            json!({"a": {"b": [1, 2]}, "list": [{"k": 1}]}),
        ];
        let mut builder = IndexBuilder::new();
        let ord = builder.add_profile(1);
        for (i, event) in events.iter().enumerate() {
            builder.add_event(ord, "e", i as Millis, event.as_object().unwrap());
        }
        let index = builder.finish();
        let table = &index.events["e"];
        for (row, event) in events.iter().enumerate() {
            let rebuilt = table.properties(row);
            let original = event.as_object().unwrap();
            if row != 2 {
                assert_eq!(&rebuilt, original, "row {row}");
            }
            for path in [
                "a",
                "a.b",
                "a.c",
                "a.c.d",
                "x.y",
                "x",
                "context.device.type",
                "n",
            ] {
                let (was, is) = (
                    crate::data::property(original, path),
                    crate::data::property(&rebuilt, path),
                );
                match (was, is) {
                    (Some(Value::Object(_)), Some(Value::Object(_))) => {}
                    _ => assert_eq!(was, is, "row {row}, {path}"),
                }
            }
        }
    }

    /// The window of a run is exactly the rows a filter on time keeps, for runs of every
    /// length (short ones, and ones long enough for the binary-search fallbacks), windows
    /// before, across and after the run, and tables whose latest time is inside the window.
    #[test]
    fn window_is_the_rows_within_the_bounds() {
        use crate::index::IndexBuilder;
        let props = Map::new();
        let mut builder = IndexBuilder::new();
        let lengths = [1usize, 2, 3, 5, 9, 10, 11, 17, 40];
        for (p, &n) in lengths.iter().enumerate() {
            let ord = builder.add_profile(p as i64);
            for i in 0..n {
                // Repeated times, and gaps that grow along the run.
                builder.add_event(ord, "e", (i * i / 3) as Millis, &props);
            }
        }
        let index = builder.finish();
        let table = &index.events["e"];
        for (p, &n) in lengths.iter().enumerate() {
            let run = table.rows_of(p as u32);
            assert_eq!(run.len(), n);
            let max = ((n - 1) * (n - 1) / 3) as Millis;
            for low in -1..=max + 1 {
                for high in [low - 1, low, low + 3, max - 1, max, max + 1, Millis::MAX] {
                    let got = table.window(run.clone(), low, high);
                    let want: Vec<usize> = run
                        .clone()
                        .filter(|&r| (low..=high).contains(&table.ts.get(r)))
                        .collect();
                    assert_eq!(
                        got.clone().collect::<Vec<_>>(),
                        want,
                        "run {n}, [{low}, {high}]"
                    );
                }
            }
        }
    }

    /// The scans over many runs visit exactly the runs whose window is not empty, with the
    /// rows `window` finds, in order: over more runs than one block, runs of every length up
    /// to past the row-by-row limit, windows that reach past the table's latest time (the
    /// two-pass scan) and ones that do not.
    #[test]
    fn scans_visit_exactly_the_nonempty_windows() {
        use crate::index::IndexBuilder;
        let props = Map::new();
        let mut builder = IndexBuilder::new();
        for p in 0..2500usize {
            let ord = builder.add_profile(p as i64);
            for i in 0..1 + (p * 7) % 40 {
                builder.add_event(ord, "e", ((p % 13) * 10 + i * i / 3) as Millis, &props);
            }
        }
        let index = builder.finish();
        let table = &index.events["e"];
        let max = table.ts.max();
        let runs = 3..table.seg_profile.len() - 5;
        for low in [Millis::MIN, 0, 5, 60, 130, 300, max, max + 1] {
            for high in [max - 1, max, Millis::MAX] {
                let want: Vec<(usize, std::ops::Range<usize>)> = runs
                    .clone()
                    .map(|i| (i, table.window(table.run(i), low, high)))
                    .filter(|(_, rows)| !rows.is_empty())
                    .collect();
                let mut got = Vec::new();
                table.for_each_window(runs.clone(), low, high, |i, rows| got.push((i, rows)));
                assert_eq!(got, want, "[{low}, {high}]");
                let mut nonempty = Vec::new();
                table.for_each_nonempty_window(runs.clone(), low, high, |i| nonempty.push(i));
                let want: Vec<usize> = want.iter().map(|(i, _)| *i).collect();
                assert_eq!(nonempty, want, "[{low}, {high}]");
            }
        }
    }

    /// Every width keeps every code its dictionary can have, and missing rows, at the edges
    /// where the width changes.
    #[test]
    fn row_codes_round_trip_at_every_width() {
        for (distinct, width) in [
            (1, 1),
            (254, 1),
            (255, 2),
            (65_534, 2),
            (65_535, 4),
            (70_000, 4),
        ] {
            let n = 10;
            let present: Vec<(usize, u32)> =
                vec![(0, 0), (3, distinct as u32 - 1), (9, 1 % distinct as u32)];
            let codes = RowCodes::from_present(n, distinct, present.iter().copied());
            assert_eq!(codes.heap_bytes(), n * width, "{distinct} values");
            for row in 0..n {
                let expected = present
                    .iter()
                    .find(|(r, _)| *r == row)
                    .map_or(MISSING, |(_, c)| *c);
                assert_eq!(codes.get(row), expected, "{distinct} values, row {row}");
            }
        }
    }
}
