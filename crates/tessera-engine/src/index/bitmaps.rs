//! Building Roaring bitmaps from ascending profile ordinals, the shape every evaluation result
//! and posting list arrives in.
//!
//! `RoaringBitmap::append` (and `from_sorted_iter`) add one value at a time, growing each
//! container's array by doubling; at a million values that was most of the time of building
//! event counts and trait classes. Sorted values can instead be written out in Roaring's
//! portable serialisation (a header, then each container's values as they are) and read back,
//! which allocates every container once at its exact size. On 1.2M ascending values spread
//! over 41 bitmaps (a throwaway program on the project machine, three runs): 8.0 ms by
//! `append` in batches of 4,096, 6.2 ms by `from_sorted_iter`, 2.6–3.5 ms this way.

use std::ops::Range;

use roaring::RoaringBitmap;

/// The format's cookie for "no run containers", which also means every container's offset
/// is listed ([spec](https://github.com/RoaringBitmap/RoaringFormatSpec)).
pub(crate) const COOKIE_NO_RUNS: u32 = 12346;
/// The low 16 bits of the cookie of the format with run containers (the high 16 bits hold the
/// container count less one); offsets are listed only from [`RUNS_OFFSETS_FROM`] containers.
pub(crate) const COOKIE_RUNS: u32 = 12347;
pub(crate) const RUNS_OFFSETS_FROM: usize = 4;
/// Containers holding at most this many values are arrays of `u16`; fuller ones are bitmaps
/// of 2¹⁶ bits. Readers decide by the cardinality, so writers must split the same way.
pub(crate) const ARRAY_LIMIT: usize = 4096;
pub(crate) const BITMAP_BYTES: usize = 8192;

/// A bitmap holding exactly `values`, which must be strictly ascending.
pub(crate) fn from_ascending(values: &[u32]) -> RoaringBitmap {
    debug_assert!(values.windows(2).all(|w| w[0] < w[1]));
    // Each container holds the values sharing their high 16 bits.
    let mut containers: Vec<(u16, Range<usize>)> = Vec::new();
    let mut start = 0;
    while let Some(&first) = values.get(start) {
        let key = first >> 16;
        let end = start + values[start..].partition_point(|&v| v >> 16 == key);
        containers.push((key as u16, start..end));
        start = end;
    }
    let shape: Vec<(u16, usize)> = containers
        .iter()
        .map(|(key, range)| (*key, range.len()))
        .collect();
    portable(&shape, |i, bytes| {
        let range = containers[i].1.clone();
        let low = values[range.clone()].iter().map(|&v| v as u16);
        if range.len() <= ARRAY_LIMIT {
            low.for_each(|v| bytes.extend_from_slice(&v.to_le_bytes()));
        } else {
            let mut words = [0u64; BITMAP_BYTES / 8];
            low.for_each(|v| words[usize::from(v) / 64] |= 1 << (v % 64));
            words
                .iter()
                .for_each(|w| bytes.extend_from_slice(&w.to_le_bytes()));
        }
    })
}

/// The bitmap whose values are the set bits of `words`, bit `b` of word `w` standing for
/// `64 w + b`.
pub(crate) fn from_words(words: &[u64]) -> RoaringBitmap {
    const WORDS: usize = BITMAP_BYTES / 8;
    let shape: Vec<(u16, usize)> = words
        .chunks(WORDS)
        .enumerate()
        .map(|(key, chunk)| {
            let len = chunk.iter().map(|w| w.count_ones() as usize).sum();
            (key as u16, len)
        })
        .filter(|&(_, len)| len > 0)
        .collect();
    portable(&shape, |i, bytes| {
        let (key, len) = shape[i];
        let chunk = &words[usize::from(key) * WORDS..];
        let chunk = &chunk[..WORDS.min(chunk.len())];
        if len <= ARRAY_LIMIT {
            for (w, &word) in chunk.iter().enumerate() {
                let mut word = word;
                while word != 0 {
                    let low = (w * 64) as u16 + word.trailing_zeros() as u16;
                    bytes.extend_from_slice(&low.to_le_bytes());
                    word &= word - 1;
                }
            }
        } else {
            chunk
                .iter()
                .chain(std::iter::repeat_n(&0, WORDS - chunk.len()))
                .for_each(|w| bytes.extend_from_slice(&w.to_le_bytes()));
        }
    })
}

/// Writes containers in Roaring's portable serialisation and reads them back, so that every
/// container is allocated once at its exact size. `shape` holds each container's key and
/// cardinality (none empty), in ascending key order; `data(i, bytes)` appends container `i`'s
/// values: `2 × cardinality` bytes of `u16`s for arrays, [`BITMAP_BYTES`] of words otherwise.
fn portable(shape: &[(u16, usize)], mut data: impl FnMut(usize, &mut Vec<u8>)) -> RoaringBitmap {
    let data_bytes = |len: usize| {
        if len <= ARRAY_LIMIT {
            2 * len
        } else {
            BITMAP_BYTES
        }
    };
    let header = 8 + 8 * shape.len();
    let total = header + shape.iter().map(|&(_, len)| data_bytes(len)).sum::<usize>();
    let mut bytes = Vec::with_capacity(total);
    bytes.extend_from_slice(&COOKIE_NO_RUNS.to_le_bytes());
    bytes.extend_from_slice(&(shape.len() as u32).to_le_bytes());
    for &(key, len) in shape {
        debug_assert!(len > 0);
        bytes.extend_from_slice(&key.to_le_bytes());
        bytes.extend_from_slice(&((len - 1) as u16).to_le_bytes());
    }
    let mut offset = header;
    for &(_, len) in shape {
        bytes.extend_from_slice(&(offset as u32).to_le_bytes());
        offset += data_bytes(len);
    }
    for i in 0..shape.len() {
        data(i, &mut bytes);
    }
    debug_assert_eq!(bytes.len(), total);
    RoaringBitmap::deserialize_unchecked_from(&bytes[..])
        .expect("the bytes were just written in the portable format")
}

/// A bitmap from ascending ordinals.
pub(crate) fn sorted_bitmap(ords: impl IntoIterator<Item = u32>) -> RoaringBitmap {
    let mut sink = BitmapSink::default();
    ords.into_iter().for_each(|ord| sink.push(ord));
    sink.finish()
}

/// A bitmap kept for the life of the index (a posting list, a presence set), built from
/// ascending ordinals, run-compressed where that is smaller and with no spare capacity.
///
/// Run compression (`optimize`) replaces containers with new ones grown by pushing; a
/// serialisation round trip allocates every container at its exact size (Roaring offers no
/// `shrink_to_fit`).
pub(crate) fn kept_bitmap(ords: impl IntoIterator<Item = u32>) -> RoaringBitmap {
    let mut bitmap = sorted_bitmap(ords);
    bitmap.optimize();
    let mut bytes = Vec::with_capacity(bitmap.serialized_size());
    bitmap
        .serialize_into(&mut bytes)
        .expect("writing to a vector cannot fail");
    RoaringBitmap::deserialize_unchecked_from(&bytes[..]).expect("the bytes were just written")
}

/// Builds a bitmap from values arriving in ascending order ([`from_ascending`]); any other
/// order is still correct, only slower. It holds the values until [`BitmapSink::finish`]:
/// 4 bytes each, transient (40 MB for a result of 10M profiles).
#[derive(Default)]
pub(crate) struct BitmapSink {
    values: Vec<u32>,
    /// Whether some value was not above the one before it.
    unordered: bool,
}

impl BitmapSink {
    #[inline]
    pub(crate) fn push(&mut self, value: u32) {
        if let Some(&last) = self.values.last() {
            self.unordered |= value <= last;
        }
        self.values.push(value);
    }

    pub(crate) fn finish(self) -> RoaringBitmap {
        if self.unordered {
            self.values.into_iter().collect()
        } else {
            from_ascending(&self.values)
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn sink_accepts_any_order() {
        let mut sink = BitmapSink::default();
        let values: Vec<u32> = (0..10_000).chain([20_000, 15_000, 3, 3, 69_999]).collect();
        values.iter().for_each(|&v| sink.push(v));
        let expected: RoaringBitmap = values.iter().copied().collect();
        assert_eq!(sink.finish(), expected);
        assert_eq!(sorted_bitmap([]), RoaringBitmap::new());
    }

    /// Every set bit is a value, across containers of both kinds, a partial last chunk and
    /// chunks with no bits at all.
    #[test]
    fn words_become_their_set_bits() {
        let values: Vec<u32> = (0..200_000u32)
            .filter(|v| match v >> 16 {
                0 => v % 3 == 0,    // bitmap container
                1 => false,         // no container
                2 => v % 1000 == 7, // array container
                _ => v % 2 == 1,    // partial last chunk
            })
            .chain([65_536 * 2 + 4095, 65_536 * 2 + 4096])
            .collect();
        let mut words = vec![0u64; 200_000usize.div_ceil(64)];
        values
            .iter()
            .for_each(|&v| words[v as usize / 64] |= 1 << (v % 64));
        let expected: RoaringBitmap = values.iter().copied().collect();
        let built = from_words(&words);
        assert_eq!(built, expected);
        assert_eq!(built.len(), expected.len());
        assert_eq!(built.intersection_len(&expected), expected.len());
        // Exactly at the array limit, and one past it.
        for n in [ARRAY_LIMIT, ARRAY_LIMIT + 1] {
            let mut words = vec![0u64; 2048];
            (0..n).for_each(|v| words[1024 + v / 64] |= 1 << (v % 64));
            let expected: RoaringBitmap = (0..n as u32).map(|v| 65_536 + v).collect();
            let built = from_words(&words);
            assert_eq!(built, expected, "{n}");
            assert_eq!(built.intersection_len(&expected), n as u64, "{n}");
        }
        assert_eq!(from_words(&[]), RoaringBitmap::new());
        assert_eq!(from_words(&[0; 5000]), RoaringBitmap::new());
    }

    /// Containers at the array/bitmap limit and at both ends of the `u32` range.
    #[test]
    fn writes_arrays_and_bitmaps_at_their_limit() {
        for n in [1, ARRAY_LIMIT - 1, ARRAY_LIMIT, ARRAY_LIMIT + 1, 65_536] {
            let values: Vec<u32> = (0..n as u32)
                .chain((0..n as u32).map(|v| (5 << 16) + v))
                .chain((u32::MAX - n as u32 + 1)..=u32::MAX)
                .collect();
            let built = from_ascending(&values);
            assert_eq!(
                built,
                values.iter().copied().collect::<RoaringBitmap>(),
                "{n}"
            );
            assert_eq!(built.len(), values.len() as u64);
            // The containers' own counts are right: operations that trust them agree.
            let half: RoaringBitmap = values.iter().copied().step_by(2).collect();
            assert_eq!(built.intersection_len(&half), half.len(), "{n}");
        }
    }

    proptest! {
        #[test]
        fn equals_inserting_each_value(
            mut values in proptest::collection::vec(
                prop_oneof![0u32..200_000, 0u32..70_000, any::<u32>()], 0..20_000)
        ) {
            values.sort_unstable();
            values.dedup();
            let expected: RoaringBitmap = values.iter().copied().collect();
            prop_assert_eq!(from_ascending(&values), expected.clone());
            prop_assert_eq!(sorted_bitmap(values.iter().copied()), expected);
        }
    }
}
