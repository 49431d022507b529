//! Event times in five bytes per row instead of eight.
//!
//! A table's times are stored as milliseconds after the table's earliest, in 40 bits: 2^40 ms
//! is 34.8 years, far more than any real table spans, and a table that does span more (a
//! client that sent the epoch) keeps plain `i64`s. Times are exact either way. The five bytes
//! of a row sit together, so a read is one unaligned 8-byte load and a mask: the window
//! searches, which probe a few rows of each profile's run, touch one cache line per probe as
//! they did with `i64`s (two arrays, low and high bits apart, made them measurably slower).

use std::ops::Range;

use tessera_model::Millis;

/// Row times of one event table, readable like a `[Millis]`, and the earliest and latest
/// of them.
pub(crate) struct Times {
    rows: Rows,
    min: Millis,
    max: Millis,
}

enum Rows {
    /// `base + offset`, the offset in the 5 little-endian bytes at `5 * row`; `PAD` more
    /// bytes at the end let the last row be read with an 8-byte load too.
    Packed { base: Millis, bytes: Vec<u8> },
    /// The span does not fit 40 bits.
    Wide(Vec<Millis>),
}

/// The largest offset `Packed` can hold.
const MAX_OFFSET: u64 = (1 << 40) - 1;
const WIDTH: usize = 5;
const PAD: usize = 8 - WIDTH;

impl Times {
    /// The times of rows `0..n`, `time(row)` each.
    pub(crate) fn new(n: usize, time: impl Fn(usize) -> Millis) -> Times {
        let (min, max) = (0..n)
            .map(&time)
            .fold((Millis::MAX, Millis::MIN), |(lo, hi), t| {
                (lo.min(t), hi.max(t))
            });
        let fits = n == 0 || (max as i128 - min as i128) <= MAX_OFFSET as i128;
        if !fits {
            return Times {
                rows: Rows::Wide((0..n).map(time).collect()),
                min,
                max,
            };
        }
        let base = if n == 0 { 0 } else { min };
        let mut bytes = Vec::with_capacity(n * WIDTH + PAD);
        for row in 0..n {
            let offset = (time(row) - base) as u64;
            bytes.extend_from_slice(&offset.to_le_bytes()[..WIDTH]);
        }
        bytes.extend_from_slice(&[0; PAD]);
        Times {
            rows: Rows::Packed { base, bytes },
            min,
            max,
        }
    }

    /// The latest time (`Millis::MIN` when there are no rows).
    /// The earliest time; `Millis::MAX` when there are no rows.
    pub(crate) fn min(&self) -> Millis {
        self.min
    }

    pub(crate) fn max(&self) -> Millis {
        self.max
    }

    #[inline]
    pub(crate) fn get(&self, row: usize) -> Millis {
        match &self.rows {
            Rows::Packed { base, bytes } => {
                let at = row * WIDTH;
                let word: [u8; 8] = bytes[at..at + 8].try_into().expect("8 bytes");
                base + (u64::from_le_bytes(word) & MAX_OFFSET) as Millis
            }
            Rows::Wide(times) => times[row],
        }
    }

    pub(crate) fn len(&self) -> usize {
        match &self.rows {
            Rows::Packed { bytes, .. } => (bytes.len() - PAD) / WIDTH,
            Rows::Wide(times) => times.len(),
        }
    }

    /// The first row of `rows` whose time fails `pred`, given that `pred` holds for a prefix
    /// of `rows` and fails for the rest (times ascend within a profile's run); `rows.end`
    /// when it holds throughout. Like `slice::partition_point`, with absolute rows.
    #[inline]
    pub(crate) fn partition_point(
        &self,
        rows: Range<usize>,
        pred: impl Fn(Millis) -> bool,
    ) -> usize {
        // The standard library's shape: halve the range without a data-dependent branch (a
        // conditional move), so short runs cost no mispredictions.
        let mut size = rows.len();
        let mut base = rows.start;
        if size == 0 {
            return base;
        }
        while size > 1 {
            let half = size / 2;
            let mid = base + half;
            base = if pred(self.get(mid)) { mid } else { base };
            size -= half;
        }
        base + usize::from(pred(self.get(base)))
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        match &self.rows {
            Rows::Packed { bytes, .. } => bytes.capacity(),
            Rows::Wide(times) => times.capacity() * 8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact at both ends of the packed range, with the base anywhere (negative too), and
    /// plain times once the span is one millisecond too wide.
    #[test]
    fn times_round_trip_packed_and_wide() {
        for base in [0, -5_000, 1_767_225_600_000, Millis::MIN / 2] {
            let times = [
                base,
                base + 1,
                base + (1 << 32),
                base + MAX_OFFSET as Millis,
            ];
            let packed = Times::new(times.len(), |r| times[r]);
            assert!(matches!(packed.rows, Rows::Packed { .. }), "base {base}");
            assert_eq!(packed.max(), base + MAX_OFFSET as Millis);
            assert_eq!(packed.heap_bytes(), times.len() * 5 + PAD);
            for (row, &t) in times.iter().enumerate() {
                assert_eq!(packed.get(row), t, "base {base}, row {row}");
            }
            let wider = [base, base + MAX_OFFSET as Millis + 1];
            let wide = Times::new(2, |r| wider[r]);
            assert!(matches!(wide.rows, Rows::Wide(_)));
            assert_eq!(wide.max(), wider[1]);
            assert_eq!((wide.get(0), wide.get(1)), (wider[0], wider[1]));
        }
        let extremes = [Millis::MIN, Millis::MAX];
        let wide = Times::new(2, |r| extremes[r]);
        assert_eq!((wide.get(0), wide.get(1)), (Millis::MIN, Millis::MAX));
        assert_eq!(Times::new(0, |_| unreachable!()).len(), 0);
    }

    #[test]
    fn partition_point_is_the_slice_one_on_a_range() {
        let sorted: Vec<Millis> = vec![1, 3, 3, 5, 8, 8, 8, 13];
        let times = Times::new(sorted.len(), |r| sorted[r]);
        for start in 0..sorted.len() {
            for end in start..=sorted.len() {
                for x in 0..15 {
                    let want = start + sorted[start..end].partition_point(|&t| t <= x);
                    assert_eq!(times.partition_point(start..end, |t| t <= x), want);
                }
            }
        }
    }
}
