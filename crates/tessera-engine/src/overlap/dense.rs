//! Intersection sizes of large sets as plain bit rows: one AND and one population count per
//! 64 profiles, in blocks that keep every row's part in cache at once.
//!
//! Why not Roaring's `intersection_len` for these: between two bitmap containers it is the same
//! AND and count, but per pair of sets, so each set is read from memory once per pair, and the
//! count is compiled for the baseline x86-64 (no `popcnt` instruction). Here every set's block
//! of words is read once for all its pairs, and the count runs on the best instructions the
//! CPU has, chosen at run time.

use rayon::prelude::*;
use roaring::RoaringBitmap;

use crate::index::bitmaps::{
    ARRAY_LIMIT, BITMAP_BYTES, COOKIE_NO_RUNS, COOKIE_RUNS, RUNS_OFFSETS_FROM,
};

/// Words per block: 8 KiB of each row, so 50 rows' blocks fit in a core's L2 cache.
const BLOCK_WORDS: usize = 1024;
/// Words per Roaring container (2¹⁶ values).
const CONTAINER_WORDS: usize = BITMAP_BYTES / 8;

/// Sets as rows of bits of equal length.
pub(super) struct DenseRows {
    words: usize,
    rows: Vec<u64>,
}

impl DenseRows {
    /// The sets as rows long enough for the largest value among them.
    pub(super) fn new(sets: &[&RoaringBitmap]) -> DenseRows {
        let containers = sets
            .iter()
            .filter_map(|set| set.max())
            .map(|max| (max >> 16) as usize + 1)
            .max()
            .unwrap_or(0);
        let words = containers * CONTAINER_WORDS;
        let mut rows = vec![0u64; words * sets.len()];
        rows.par_chunks_mut(words.max(1))
            .zip(sets)
            .for_each_init(Vec::new, |buffer, (row, set)| fill(row, set, buffer));
        DenseRows { words, rows }
    }

    fn row(&self, i: usize) -> &[u64] {
        &self.rows[i * self.words..(i + 1) * self.words]
    }

    fn len(&self) -> usize {
        self.rows.len().checked_div(self.words).unwrap_or(0)
    }

    /// `|Rᵢ ∩ Rⱼ|` for every pair `i < j`, in the order (0,1), (0,2), …, (1,2), …
    pub(super) fn pair_counts(&self) -> Vec<u64> {
        let n = self.len();
        let pairs = n * n.saturating_sub(1) / 2;
        if pairs == 0 {
            return Vec::new();
        }
        let kernel = Kernel::detect();
        let blocks = self.words.div_ceil(BLOCK_WORDS);
        (0..blocks)
            .into_par_iter()
            .fold(
                || vec![0u64; pairs],
                |mut counts, block| {
                    let words = block * BLOCK_WORDS..((block + 1) * BLOCK_WORDS).min(self.words);
                    let mut pair = 0;
                    for i in 0..n {
                        let a = &self.row(i)[words.clone()];
                        for j in i + 1..n {
                            counts[pair] += kernel.and_count(a, &self.row(j)[words.clone()]);
                            pair += 1;
                        }
                    }
                    counts
                },
            )
            .reduce(
                || vec![0u64; pairs],
                |mut total, part| {
                    total.iter_mut().zip(part).for_each(|(t, p)| *t += p);
                    total
                },
            )
    }
}

/// Writes `set` into `row` (zeroed, a whole number of containers long) by reading its
/// serialised form: Roaring has no public way to its containers, and its iterator costs about
/// a nanosecond per value where this copies bitmap containers whole.
fn fill(row: &mut [u64], set: &RoaringBitmap, buffer: &mut Vec<u8>) {
    buffer.clear();
    set.serialize_into(&mut *buffer)
        .expect("writing to a Vec cannot fail");
    let bytes = buffer.as_slice();
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    // The format Roaring implementations share (RoaringFormatSpec): a cookie, the container
    // count, which containers are runs (in the format with runs), a key and cardinality per
    // container, offsets (skipped), then the containers in key order.
    let cookie = u32_at(0);
    let (containers, runs, mut at) = if cookie & 0xFFFF == COOKIE_RUNS {
        let containers = (cookie >> 16) as usize + 1;
        let flags = containers.div_ceil(8);
        (containers, Some(&bytes[4..4 + flags]), 4 + flags)
    } else {
        debug_assert_eq!(cookie, COOKIE_NO_RUNS, "a Roaring cookie");
        (u32_at(4) as usize, None, 8)
    };
    let descriptions = at;
    at += 4 * containers;
    if runs.is_none() || containers >= RUNS_OFFSETS_FROM {
        at += 4 * containers;
    }
    for c in 0..containers {
        let key = u16_at(descriptions + 4 * c) as usize;
        let cardinality = u16_at(descriptions + 4 * c + 2) as usize + 1;
        let words = &mut row[key * CONTAINER_WORDS..(key + 1) * CONTAINER_WORDS];
        if runs.is_some_and(|flags| flags[c / 8] & (1 << (c % 8)) != 0) {
            let count = u16_at(at) as usize;
            at += 2;
            for r in 0..count {
                let start = u16_at(at + 4 * r) as usize;
                let last = start + u16_at(at + 4 * r + 2) as usize;
                set_range(words, start, last);
            }
            at += 4 * count;
        } else if cardinality > ARRAY_LIMIT {
            for (word, chunk) in words
                .iter_mut()
                .zip(bytes[at..at + BITMAP_BYTES].chunks_exact(8))
            {
                *word = u64::from_le_bytes(chunk.try_into().unwrap());
            }
            at += BITMAP_BYTES;
        } else {
            for v in 0..cardinality {
                let value = u16_at(at + 2 * v) as usize;
                words[value / 64] |= 1 << (value % 64);
            }
            at += 2 * cardinality;
        }
    }
}

/// Sets bits `first..=last` of `words`.
fn set_range(words: &mut [u64], first: usize, last: usize) {
    let (first_word, last_word) = (first / 64, last / 64);
    let low = u64::MAX << (first % 64);
    let high = u64::MAX >> (63 - last % 64);
    if first_word == last_word {
        words[first_word] |= low & high;
        return;
    }
    words[first_word] |= low;
    words[first_word + 1..last_word].fill(u64::MAX);
    words[last_word] |= high;
}

/// The AND-and-count loop, compiled for the instructions this CPU has.
#[derive(Clone, Copy)]
struct Kernel {
    and_count: fn(&[u64], &[u64]) -> u64,
}

impl Kernel {
    fn detect() -> Kernel {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("popcnt") {
                return Kernel {
                    and_count: x86::and_count_avx2,
                };
            }
            if is_x86_feature_detected!("popcnt") {
                return Kernel {
                    and_count: x86::and_count_popcnt,
                };
            }
        }
        Kernel {
            and_count: and_count_portable,
        }
    }

    fn and_count(self, a: &[u64], b: &[u64]) -> u64 {
        (self.and_count)(a, b)
    }
}

#[inline(always)]
fn and_count_portable(a: &[u64], b: &[u64]) -> u64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| u64::from((x & y).count_ones()))
        .sum()
}

/// The one place the engine allows `unsafe`: calling a function compiled for CPU features,
/// which is sound only where they were detected at run time.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86 {
    /// Only reachable through `Kernel::detect`, after it found AVX2 and `popcnt`.
    pub(super) fn and_count_avx2(a: &[u64], b: &[u64]) -> u64 {
        #[target_feature(enable = "avx2,popcnt")]
        fn inner(a: &[u64], b: &[u64]) -> u64 {
            super::and_count_portable(a, b)
        }
        // SAFETY: `Kernel::detect` hands this out only when the CPU has both features.
        unsafe { inner(a, b) }
    }

    /// Only reachable through `Kernel::detect`, after it found `popcnt`.
    pub(super) fn and_count_popcnt(a: &[u64], b: &[u64]) -> u64 {
        #[target_feature(enable = "popcnt")]
        fn inner(a: &[u64], b: &[u64]) -> u64 {
            super::and_count_portable(a, b)
        }
        // SAFETY: `Kernel::detect` hands this out only when the CPU has the feature.
        unsafe { inner(a, b) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Sets with every kind of container: sparse values (arrays), dense stretches (bitmaps),
    /// ranges (runs, after `optimize`), over several containers and at both ends of one.
    fn sets() -> impl Strategy<Value = Vec<RoaringBitmap>> {
        let set = (
            prop::collection::vec(0u32..300_000, 0..300),
            prop::collection::vec((0u32..300_000, 0u32..70_000), 0..3),
            0u32..300_000,
            0u32..3,
            any::<bool>(),
        )
            .prop_map(|(values, ranges, dense_from, dense_step, optimize)| {
                let mut set: RoaringBitmap = values.into_iter().collect();
                for (start, len) in ranges {
                    set.insert_range(start..start.saturating_add(len));
                }
                if dense_step > 0 {
                    set.extend((dense_from..dense_from + 20_000).step_by(dense_step as usize + 1));
                }
                if optimize {
                    set.optimize();
                }
                set
            });
        prop::collection::vec(set, 0..6)
    }

    proptest! {
        #[test]
        fn pair_counts_are_intersection_sizes(sets in sets()) {
            let refs: Vec<&RoaringBitmap> = sets.iter().collect();
            let dense = DenseRows::new(&refs);
            for (i, set) in sets.iter().enumerate() {
                let row = dense.row(i);
                prop_assert_eq!(row.iter().map(|w| u64::from(w.count_ones())).sum::<u64>(), set.len());
            }
            let counts = dense.pair_counts();
            let mut pair = 0;
            for i in 0..sets.len() {
                for j in i + 1..sets.len() {
                    prop_assert_eq!(counts[pair], sets[i].intersection_len(&sets[j]), "({}, {})", i, j);
                    pair += 1;
                }
            }
            prop_assert_eq!(pair, counts.len());
        }
    }

    #[test]
    fn rows_hold_exactly_the_values() {
        let mut set = RoaringBitmap::new();
        set.insert_range(0..64);
        set.insert_range(65_530..65_545);
        set.insert(u32::from(u16::MAX) * 3);
        set.optimize();
        let other: RoaringBitmap = (0..10_000).map(|v| v * 7).collect();
        let dense = DenseRows::new(&[&set, &other]);
        for (i, s) in [&set, &other].into_iter().enumerate() {
            let row = dense.row(i);
            let values: Vec<u32> = (0..row.len() * 64)
                .filter(|&v| row[v / 64] & (1 << (v % 64)) != 0)
                .map(|v| v as u32)
                .collect();
            assert_eq!(values, s.iter().collect::<Vec<_>>());
        }
    }

    #[test]
    fn every_kernel_counts_the_same() {
        let a: Vec<u64> = (0..3_000u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        let b: Vec<u64> = a.iter().map(|w| w.rotate_left(17) ^ 0xF0F0).collect();
        let expected: u64 = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (0..64).filter(|k| (x & y) >> k & 1 == 1).count() as u64)
            .sum();
        assert_eq!(and_count_portable(&a, &b), expected);
        assert_eq!(Kernel::detect().and_count(&a, &b), expected);
    }
}
