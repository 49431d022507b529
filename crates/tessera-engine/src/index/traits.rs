//! Trait columns: one typed column per trait name and value type, and the trait tests on them.
//!
//! Each typed column is sparse (only profiles that have a value, sorted by ordinal), so a trait
//! set on a few profiles costs little. Strings are dictionary codes with a posting bitmap per
//! distinct value (unless nearly every value is distinct); list elements always have postings.

use roaring::RoaringBitmap;
use tessera_lang::GeoTarget;
use tessera_lang::ValueTest;
use tessera_model::{GeoPoint, Millis, TraitType, TraitValue};

use super::bitmaps::sorted_bitmap;
use super::dict::StrDict;
use super::Tuning;
use crate::predicate::{
    element_literals, number_literal, scalar_matches, timestamp_literal, RangePred, Scalar,
};

/// Values present for some profiles, sorted by profile ordinal.
pub(crate) struct Sparse<T> {
    pub(crate) ords: Vec<u32>,
    pub(crate) vals: Vec<T>,
}

impl<T> Default for Sparse<T> {
    fn default() -> Self {
        Sparse {
            ords: Vec::new(),
            vals: Vec::new(),
        }
    }
}

impl<T> Sparse<T> {
    pub(crate) fn push(&mut self, ord: u32, value: T) {
        self.ords.push(ord);
        self.vals.push(value);
    }

    /// Gives back the slack that pushing left: the column is final.
    pub(crate) fn shrunk(mut self) -> Self {
        self.ords.shrink_to_fit();
        self.vals.shrink_to_fit();
        self
    }

    pub(crate) fn get(&self, ord: u32) -> Option<&T> {
        self.ords.binary_search(&ord).ok().map(|i| &self.vals[i])
    }

    /// The profiles in `scope` whose value passes `pred`: probing each candidate, or scanning.
    fn select(
        &self,
        scope: &RoaringBitmap,
        tuning: &Tuning,
        pred: impl Fn(&T) -> bool,
    ) -> RoaringBitmap {
        if tuning.probe(scope.len(), self.ords.len()) {
            scope
                .iter()
                .filter(|&ord| self.get(ord).is_some_and(&pred))
                .collect()
        } else {
            // A dense bit set, set without branches, is the fastest way to collect the large
            // results a scan may produce.
            let Some(&last) = self.ords.last() else {
                return RoaringBitmap::new();
            };
            let mut words = vec![0u64; last as usize / 64 + 1];
            for (&ord, value) in self.ords.iter().zip(&self.vals) {
                words[ord as usize / 64] |= u64::from(pred(value)) << (ord % 64);
            }
            let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            let mut out = RoaringBitmap::from_lsb0_bytes(0, &bytes);
            out &= scope;
            out
        }
    }
}

/// Which dictionary codes a test selects: a few looked up by key, or a mask over all codes.
pub(crate) enum CodeSet {
    Few(Vec<u32>),
    Mask(Vec<bool>),
}

impl CodeSet {
    #[inline]
    pub(crate) fn contains(&self, code: u32) -> bool {
        match self {
            CodeSet::Few(codes) => codes.contains(&code),
            CodeSet::Mask(mask) => mask.get(code as usize).copied().unwrap_or(false),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        match self {
            CodeSet::Few(codes) => codes.is_empty(),
            CodeSet::Mask(mask) => !mask.contains(&true),
        }
    }

    pub(crate) fn codes(&self) -> Vec<u32> {
        match self {
            CodeSet::Few(codes) => codes.clone(),
            CodeSet::Mask(mask) => mask
                .iter()
                .enumerate()
                .filter(|(_, m)| **m)
                .map(|(c, _)| c as u32)
                .collect(),
        }
    }
}

/// The codes of the dictionary strings that pass `test`. Plain string literals are looked up
/// by key; anything else (a timestamp literal reads every string as a date) tests each entry.
fn string_codes(dict: &StrDict, test: &ValueTest) -> CodeSet {
    use tessera_lang::{CmpOp, Literal};
    let by_key = |literals: &[Literal]| -> Option<CodeSet> {
        let mut codes = Vec::new();
        for literal in literals {
            match literal {
                Literal::String(s) => codes.extend(dict.get(s)),
                Literal::Timestamp { .. } => return None,
                // A number or a boolean never equals a string.
                Literal::Number(_) | Literal::Bool(_) => {}
            }
        }
        codes.sort_unstable();
        codes.dedup();
        Some(CodeSet::Few(codes))
    };
    let fast = match test {
        ValueTest::Compare {
            op: CmpOp::Eq,
            value,
        } => by_key(std::slice::from_ref(value)),
        ValueTest::In { values } => by_key(values),
        _ => None,
    };
    fast.unwrap_or_else(|| {
        CodeSet::Mask(
            dict.iter()
                .map(|s| scalar_matches(test, Scalar::Str(s)))
                .collect(),
        )
    })
}

pub(crate) struct StringColumn {
    pub(crate) values: Sparse<u32>,
    pub(crate) dict: StrDict,
    /// Profiles per code; `None` when nearly every value is distinct.
    pub(crate) postings: Option<Vec<RoaringBitmap>>,
}

impl StringColumn {
    fn select(&self, test: &ValueTest, scope: &RoaringBitmap, tuning: &Tuning) -> RoaringBitmap {
        let codes = string_codes(&self.dict, test);
        if codes.is_empty() {
            return RoaringBitmap::new();
        }
        if !tuning.probe(scope.len(), self.values.ords.len()) {
            if let Some(postings) = &self.postings {
                let chosen = codes.codes();
                if tuning.bitmap_postings(chosen.len()) {
                    let mut out = RoaringBitmap::new();
                    for code in chosen {
                        out |= &postings[code as usize];
                    }
                    out &= scope;
                    return out;
                }
            }
        }
        self.values
            .select(scope, tuning, |&code| codes.contains(code))
    }
}

pub(crate) struct BoolColumn {
    pub(crate) yes: RoaringBitmap,
    pub(crate) no: RoaringBitmap,
}

pub(crate) struct ListColumn {
    pub(crate) ords: Vec<u32>,
    /// Elements of the i-th list are `elements[offsets[i]..offsets[i + 1]]`.
    pub(crate) offsets: Vec<u32>,
    pub(crate) elements: Vec<u32>,
    pub(crate) dict: StrDict,
    /// Profiles per element code.
    pub(crate) postings: Vec<RoaringBitmap>,
}

impl ListColumn {
    fn list(&self, i: usize) -> &[u32] {
        &self.elements[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    pub(crate) fn get(&self, ord: u32) -> Option<Vec<String>> {
        let i = self.ords.binary_search(&ord).ok()?;
        Some(
            self.list(i)
                .iter()
                .map(|&c| self.dict.value(c).to_string())
                .collect(),
        )
    }

    fn select(&self, test: &ValueTest, scope: &RoaringBitmap, tuning: &Tuning) -> RoaringBitmap {
        // `contains x` and `in (...)` hold when some element equals a literal, which is the
        // string test `in (...)` applied to each element.
        let Some(literals) = element_literals(test) else {
            return RoaringBitmap::new();
        };
        let codes = string_codes(
            &self.dict,
            &ValueTest::In {
                values: literals.to_vec(),
            },
        );
        if codes.is_empty() {
            return RoaringBitmap::new();
        }
        let has_match = |i: usize| self.list(i).iter().any(|&c| codes.contains(c));
        if tuning.probe(scope.len(), self.ords.len()) {
            return scope
                .iter()
                .filter(|ord| self.ords.binary_search(ord).is_ok_and(has_match))
                .collect();
        }
        let chosen = codes.codes();
        let mut out = if tuning.bitmap_postings(chosen.len()) {
            let mut out = RoaringBitmap::new();
            for code in chosen {
                out |= &self.postings[code as usize];
            }
            out
        } else {
            let ords = (0..self.ords.len())
                .filter(|&i| has_match(i))
                .map(|i| self.ords[i]);
            sorted_bitmap(ords)
        };
        out &= scope;
        out
    }
}

/// All values of one trait name, split by type.
#[derive(Default)]
pub(crate) struct TraitColumns {
    /// Profiles with a value of any type.
    pub(crate) present: RoaringBitmap,
    pub(crate) strings: Option<StringColumn>,
    pub(crate) numbers: Option<Sparse<f64>>,
    pub(crate) bools: Option<BoolColumn>,
    pub(crate) timestamps: Option<Sparse<Millis>>,
    pub(crate) geos: Option<Sparse<GeoPoint>>,
    pub(crate) lists: Option<ListColumn>,
}

impl TraitColumns {
    pub(crate) fn types(&self) -> Vec<TraitType> {
        let mut types = Vec::new();
        let mut add = |present: bool, ty| {
            if present {
                types.push(ty)
            }
        };
        add(self.strings.is_some(), TraitType::String);
        add(self.numbers.is_some(), TraitType::Number);
        add(self.bools.is_some(), TraitType::Bool);
        add(self.timestamps.is_some(), TraitType::Timestamp);
        add(self.geos.is_some(), TraitType::Geo);
        add(self.lists.is_some(), TraitType::StringList);
        types
    }

    /// The value of one profile.
    pub(crate) fn get(&self, ord: u32) -> Option<TraitValue> {
        if !self.present.contains(ord) {
            return None;
        }
        if let Some(c) = &self.strings {
            if let Some(&code) = c.values.get(ord) {
                return Some(TraitValue::String(c.dict.value(code).to_string()));
            }
        }
        if let Some(v) = self.numbers.as_ref().and_then(|c| c.get(ord)) {
            return Some(TraitValue::Number(*v));
        }
        if let Some(c) = &self.bools {
            if c.yes.contains(ord) || c.no.contains(ord) {
                return Some(TraitValue::Bool(c.yes.contains(ord)));
            }
        }
        if let Some(v) = self.timestamps.as_ref().and_then(|c| c.get(ord)) {
            return Some(TraitValue::Timestamp(*v));
        }
        if let Some(v) = self.geos.as_ref().and_then(|c| c.get(ord)) {
            return Some(TraitValue::Geo(*v));
        }
        self.lists
            .as_ref()
            .and_then(|c| c.get(ord))
            .map(TraitValue::StringList)
    }

    /// The profiles in `scope` with a geo value within its distance of any of `targets`
    /// (centre, metres): an `or` of `within` tests in one pass. Targets are sorted by latitude,
    /// so each point tests only those whose latitude band can contain it.
    pub(crate) fn select_within_any(
        &self,
        targets: &[(GeoPoint, f64)],
        scope: &RoaringBitmap,
        tuning: &Tuning,
    ) -> RoaringBitmap {
        let Some(column) = &self.geos else {
            return RoaringBitmap::new();
        };
        let mut sorted: Vec<(GeoPoint, f64)> = targets.to_vec();
        sorted.sort_by(|a, b| a.0.lat.total_cmp(&b.0.lat));
        // The widest band any target needs (see `select` for the bound), so that a binary
        // search on latitude finds every target that may hold.
        let band = sorted
            .iter()
            .map(|(_, m)| m / 110_500.0)
            .fold(0.0, f64::max);
        column.select(scope, tuning, |p| {
            let start = sorted.partition_point(|(c, _)| c.lat < p.lat - band);
            sorted[start..]
                .iter()
                .take_while(|(c, _)| c.lat <= p.lat + band)
                .any(|(c, metres)| {
                    (p.lat - c.lat).abs() <= metres / 110_500.0 && p.distance_m(*c) <= *metres
                })
        })
    }

    /// The profiles in `scope` whose value passes `test`.
    pub(crate) fn select(
        &self,
        test: &ValueTest,
        scope: &RoaringBitmap,
        tuning: &Tuning,
    ) -> RoaringBitmap {
        match test {
            ValueTest::IsNull => return scope - &self.present,
            ValueTest::Exists => return scope & &self.present,
            _ => {}
        }
        let mut out = RoaringBitmap::new();
        if let Some(column) = &self.strings {
            out |= column.select(test, scope, tuning);
        }
        if let Some(column) = &self.numbers {
            let pred = RangePred::compile(test, number_literal);
            if pred != RangePred::Never {
                out |= column.select(scope, tuning, |&x| pred.matches(x));
            }
        }
        if let Some(column) = &self.bools {
            for (value, profiles) in [(true, &column.yes), (false, &column.no)] {
                if scalar_matches(test, Scalar::Bool(value)) {
                    out |= scope & profiles;
                }
            }
        }
        if let Some(column) = &self.timestamps {
            let pred = RangePred::compile(test, timestamp_literal);
            if pred != RangePred::Never {
                out |= column.select(scope, tuning, |&x| pred.matches(x));
            }
        }
        if let (
            Some(column),
            ValueTest::Within {
                distance,
                of: GeoTarget::Point { lat, lon },
            },
        ) = (&self.geos, test)
        {
            let (centre, metres) = (
                GeoPoint {
                    lat: *lat,
                    lon: *lon,
                },
                distance.metres(),
            );
            // A latitude band first: great-circle distance is at least the meridian arc (111.2 km
            // a degree on this sphere; 110.5 leaves margin), so points outside the band are
            // farther than `metres` without a trigonometric call.
            let band = metres / 110_500.0;
            out |= column.select(scope, tuning, |p| {
                (p.lat - centre.lat).abs() <= band && p.distance_m(centre) <= metres
            });
        }
        if let Some(column) = &self.lists {
            out |= column.select(test, scope, tuning);
        }
        out
    }
}
