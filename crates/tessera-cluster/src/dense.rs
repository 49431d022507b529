//! Row access to the caller's matrix, input checks, and the distance kernels every algorithm
//! shares (so that two algorithms that must agree compute distances bit for bit alike).

use std::borrow::Cow;

use ndarray::ArrayView2;

use crate::error::{Error, Result};

/// Rows processed by one parallel task. Fixed (not derived from the thread count) so that
/// chunked sums are reduced in the same order on every machine: results depend on the seed
/// only, never on how many cores ran them.
pub(crate) const CHUNK_ROWS: usize = 4096;

/// A dense row-major view of the caller's matrix: borrowed when it is already contiguous,
/// copied once otherwise (a transposed or sliced `ndarray` view).
pub(crate) struct Rows<'a> {
    values: Cow<'a, [f64]>,
    n: usize,
    d: usize,
}

impl<'a> Rows<'a> {
    /// Wraps `data` without checking its values (the scalers accept NaN).
    pub(crate) fn new(data: ArrayView2<'a, f64>) -> Self {
        let (n, d) = data.dim();
        let values = match data.to_slice() {
            Some(slice) => Cow::Borrowed(slice),
            None => Cow::Owned(data.iter().copied().collect()),
        };
        Rows { values, n, d }
    }

    /// Wraps `data`, refusing NaN and infinities: distances to them are meaningless, and the
    /// caller must decide how missing values are handled (see [`crate::scale::Missing`]).
    pub(crate) fn finite(data: ArrayView2<'a, f64>) -> Result<Self> {
        let rows = Rows::new(data);
        if let Some(at) = rows.values.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                row: at / rows.d,
                column: at % rows.d,
                value: rows.values[at],
            });
        }
        Ok(rows)
    }

    pub(crate) fn n(&self) -> usize {
        self.n
    }

    pub(crate) fn d(&self) -> usize {
        self.d
    }

    pub(crate) fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.d..(i + 1) * self.d]
    }

    pub(crate) fn values(&self) -> &[f64] {
        &self.values
    }

    /// Refuses an empty matrix or one with no columns.
    pub(crate) fn require_rows(&self, at_least: usize, what: &str) -> Result<()> {
        if self.d == 0 {
            return Err(Error::NotEnoughData {
                reason: format!("{what} needs at least one column"),
            });
        }
        if self.n < at_least {
            return Err(Error::NotEnoughData {
                reason: format!(
                    "{what} needs at least {at_least} rows, the data has {}",
                    self.n
                ),
            });
        }
        Ok(())
    }

    /// Refuses rows whose width differs from the `expected` width a model was fitted on.
    pub(crate) fn require_columns(&self, expected: usize) -> Result<()> {
        if self.d != expected {
            return Err(Error::ColumnMismatch {
                expected,
                found: self.d,
            });
        }
        Ok(())
    }
}

/// Squared Euclidean distance, summed in four independent lanes so the compiler can keep them
/// in SIMD registers. Used by everything that only needs a consistent, fast distance
/// (k-means and its accelerated variant must share it to agree exactly).
#[inline]
pub(crate) fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    let mut lanes = [0.0f64; 4];
    let mut a4 = a.chunks_exact(4);
    let mut b4 = b.chunks_exact(4);
    for (x, y) in (&mut a4).zip(&mut b4) {
        for lane in 0..4 {
            let t = x[lane] - y[lane];
            lanes[lane] += t * t;
        }
    }
    let mut sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (x, y) in a4.remainder().iter().zip(b4.remainder()) {
        let t = x - y;
        sum += t * t;
    }
    sum
}

/// Squared Euclidean distance summed strictly in feature order, as scikit-learn's k-d tree
/// does. DBSCAN compares it with `eps²`, and on data with few decimals (Iris) many pairs sit
/// exactly on the boundary, so the summation order decides membership.
#[inline]
pub(crate) fn sq_dist_in_order(a: &[f64], b: &[f64]) -> f64 {
    let mut sum = 0.0;
    for (x, y) in a.iter().zip(b) {
        let t = x - y;
        sum += t * t;
    }
    sum
}

/// Centroids stored feature-major (`d × k`), so that the distances from one row to all `k`
/// centroids are accumulated side by side, which the compiler vectorises across centroids.
/// Each distance is still summed in feature order: it equals [`sq_dist_in_order`] bit for bit.
/// Every assignment to a nearest centroid (Lloyd, Hamerly's full scans, mini-batch, predict)
/// goes through here, so they all agree exactly.
pub(crate) struct Centroids {
    by_feature: Vec<f64>,
    k: usize,
}

impl Centroids {
    /// From `k × d` row-major centroids.
    pub(crate) fn new(row_major: &[f64], d: usize) -> Self {
        let k = row_major.len() / d.max(1);
        let mut by_feature = vec![0.0; k * d];
        for (c, centroid) in row_major.chunks_exact(d.max(1)).enumerate() {
            for (j, &v) in centroid.iter().enumerate() {
                by_feature[j * k + c] = v;
            }
        }
        Centroids { by_feature, k }
    }

    pub(crate) fn k(&self) -> usize {
        self.k
    }

    /// Squared distances from `x` to every centroid, into `out` (length `k`).
    #[inline]
    pub(crate) fn distances(&self, x: &[f64], out: &mut [f64]) {
        macro_rules! fixed {
            ($($k:literal)*) => {
                match self.k {
                    $($k => out.copy_from_slice(&distances_fixed::<$k>(&self.by_feature, x)),)*
                    _ => distances_any(&self.by_feature, self.k, x, out),
                }
            };
        }
        fixed!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
    }

    /// The nearest centroid and its squared distance; the lowest index wins a tie. `scratch`
    /// has length `k`.
    #[inline]
    pub(crate) fn nearest(&self, x: &[f64], scratch: &mut [f64]) -> (usize, f64) {
        self.distances(x, scratch);
        let mut best = (0, f64::INFINITY);
        for (j, &dist) in scratch.iter().enumerate() {
            if dist < best.1 {
                best = (j, dist);
            }
        }
        best
    }
}

/// For a `k` known at compile time the accumulators live in registers, which is most of the
/// speed of k-means's assignment step; the arithmetic is exactly [`distances_any`]'s.
#[inline]
fn distances_fixed<const K: usize>(by_feature: &[f64], x: &[f64]) -> [f64; K] {
    let mut acc = [0.0f64; K];
    for (&xj, column) in x.iter().zip(by_feature.chunks_exact(K)) {
        if let Ok(column) = <&[f64; K]>::try_from(column) {
            for c in 0..K {
                let t = xj - column[c];
                acc[c] += t * t;
            }
        }
    }
    acc
}

fn distances_any(by_feature: &[f64], k: usize, x: &[f64], out: &mut [f64]) {
    out.fill(0.0);
    for (&xj, column) in x.iter().zip(by_feature.chunks_exact(k.max(1))) {
        for (o, &c) in out.iter_mut().zip(column) {
            let t = xj - c;
            *o += t * t;
        }
    }
}

/// Encodes arbitrary labels as `0..k` in sorted order of the distinct values (scikit-learn's
/// `LabelEncoder`), returning the codes and `k`.
pub(crate) fn encode_labels<L: Copy + Ord>(labels: &[L]) -> (Vec<usize>, usize) {
    let mut distinct: Vec<L> = labels.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let codes = labels
        .iter()
        .map(|l| distinct.binary_search(l).unwrap_or_default())
        .collect();
    (codes, distinct.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn both_distance_kernels_agree_with_the_definition() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [0.0, 0.0, 1.0, 1.0, 1.0, 8.0];
        let expected = 1.0 + 4.0 + 4.0 + 9.0 + 16.0 + 4.0;
        assert_eq!(sq_dist(&a, &b), expected);
        assert_eq!(sq_dist_in_order(&a, &b), expected);
    }

    #[test]
    fn non_contiguous_views_are_read_in_row_order() {
        let m = array![[1.0, 2.0], [3.0, 4.0]];
        let t = m.t();
        let rows = Rows::new(t);
        assert_eq!(rows.row(0), &[1.0, 3.0]);
        assert_eq!(rows.row(1), &[2.0, 4.0]);
    }

    #[test]
    fn non_finite_values_are_located() {
        let m = array![[1.0, 2.0], [3.0, f64::INFINITY]];
        let err = Rows::finite(m.view()).err();
        assert_eq!(
            err,
            Some(Error::NonFinite {
                row: 1,
                column: 1,
                value: f64::INFINITY
            })
        );
    }

    #[test]
    fn labels_are_encoded_in_sorted_order() {
        assert_eq!(encode_labels(&[5i64, -1, 5, 2]), (vec![2, 0, 2, 1], 3));
    }

    #[test]
    fn nearest_prefers_the_lowest_index_on_ties_and_sums_in_feature_order() {
        let centroids = Centroids::new(&[0.0, 2.0, 2.0, 0.0, 5.0, 5.0], 2);
        let mut scratch = vec![0.0; centroids.k()];
        assert_eq!(centroids.nearest(&[1.0, 1.0], &mut scratch), (0, 2.0));
        let x = [0.1, 0.7];
        centroids.distances(&x, &mut scratch);
        assert_eq!(scratch[2], sq_dist_in_order(&x, &[5.0, 5.0]));
        // k = 17 takes the generic path, with the same arithmetic.
        let many: Vec<f64> = (0..34).map(|v| v as f64 * 0.3).collect();
        let centroids = Centroids::new(&many, 2);
        let mut scratch = vec![0.0; 17];
        centroids.distances(&x, &mut scratch);
        assert_eq!(scratch[16], sq_dist_in_order(&x, &many[32..34]));
    }
}
