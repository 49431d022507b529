//! Principal component analysis with scikit-learn's conventions: data centred (not scaled),
//! explained variance with the `n − 1` denominator, ratios over the total variance, and each
//! component's sign chosen so that its largest-magnitude loading is positive (`svd_flip` with
//! `u_based_decision=False`, what `PCA` does since scikit-learn 1.5).
//!
//! Components are the eigenvectors of the covariance matrix (see `pca/eigen.rs`), equivalent to
//! scikit-learn's SVD of the centred data. Where two eigenvalues are equal the components
//! spanning that plane are not unique, in scikit-learn either.

mod eigen;

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

use crate::dense::{Rows, CHUNK_ROWS};
use crate::error::{invalid, Result};

/// A fitted PCA.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// Per-feature mean subtracted before projecting.
    pub mean: Vec<f64>,
    /// `n_components × d`; row `i` is the i-th principal axis (unit length).
    pub components: Array2<f64>,
    /// Variance along each component (`n − 1` denominator), descending.
    pub explained_variance: Vec<f64>,
    /// Share of the total variance along each component.
    pub explained_variance_ratio: Vec<f64>,
}

impl Pca {
    /// Fits the first `n_components` components (at most `min(n, d)`); at least 2 rows.
    pub fn fit(data: ArrayView2<'_, f64>, n_components: usize) -> Result<Pca> {
        let rows = Rows::finite(data)?;
        rows.require_rows(2, "PCA")?;
        let (n, d) = (rows.n(), rows.d());
        if n_components == 0 || n_components > n.min(d) {
            return Err(invalid(
                "n_components",
                format!("must be between 1 and min(rows, columns) = {}", n.min(d)),
            ));
        }
        let mean = column_means(&rows);
        let covariance = covariance(&rows, &mean);
        let (values, vectors) = eigen::symmetric_eigen(covariance, d);
        // Rounding can leave the smallest eigenvalues slightly negative; variance is not.
        let variances: Vec<f64> = values.iter().map(|v| v.max(0.0)).collect();
        let total: f64 = variances[..n.min(d)].iter().sum();
        let mut components = Array2::zeros((n_components, d));
        for (mut row, vector) in components.rows_mut().into_iter().zip(&vectors) {
            let largest = (0..d).fold(0, |best, j| {
                if vector[j].abs() > vector[best].abs() {
                    j
                } else {
                    best
                }
            });
            let sign = if vector[largest] < 0.0 { -1.0 } else { 1.0 };
            row.iter_mut().zip(vector).for_each(|(c, v)| *c = sign * v);
        }
        let explained_variance = variances[..n_components].to_vec();
        let explained_variance_ratio = explained_variance
            .iter()
            .map(|v| if total > 0.0 { v / total } else { 0.0 })
            .collect();
        Ok(Pca {
            mean,
            components,
            explained_variance,
            explained_variance_ratio,
        })
    }

    /// Projects rows onto the components: `(x − mean) · componentsᵀ`, one row per input row
    /// (with 2 components, the coordinates to plot).
    pub fn transform(&self, data: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let rows = Rows::finite(data)?;
        rows.require_columns(self.mean.len())?;
        let k = self.components.nrows();
        let mut out = Array2::zeros((rows.n(), k));
        for (i, mut projected) in out.rows_mut().into_iter().enumerate() {
            let x = rows.row(i);
            for (p, axis) in projected.iter_mut().zip(self.components.rows()) {
                *p = x
                    .iter()
                    .zip(&self.mean)
                    .zip(axis)
                    .map(|((x, m), a)| (x - m) * a)
                    .sum();
            }
        }
        Ok(out)
    }
}

fn column_means(rows: &Rows<'_>) -> Vec<f64> {
    let d = rows.d();
    let parts: Vec<Vec<f64>> = rows
        .values()
        .par_chunks(CHUNK_ROWS * d)
        .map(|xs| {
            let mut sum = vec![0.0; d];
            xs.chunks_exact(d)
                .for_each(|x| sum.iter_mut().zip(x).for_each(|(s, v)| *s += v));
            sum
        })
        .collect();
    let mut mean = vec![0.0; d];
    parts
        .iter()
        .for_each(|p| mean.iter_mut().zip(p).for_each(|(m, s)| *m += s));
    mean.iter_mut().for_each(|m| *m /= rows.n() as f64);
    mean
}

/// The `d × d` sample covariance (`n − 1` denominator), summed per chunk in chunk order.
fn covariance(rows: &Rows<'_>, mean: &[f64]) -> Vec<f64> {
    let d = rows.d();
    let parts: Vec<Vec<f64>> = rows
        .values()
        .par_chunks(CHUNK_ROWS * d)
        .map(|xs| {
            let mut sum = vec![0.0; d * d];
            let mut centred = vec![0.0; d];
            for x in xs.chunks_exact(d) {
                centred
                    .iter_mut()
                    .zip(x)
                    .zip(mean)
                    .for_each(|((c, x), m)| *c = x - m);
                for p in 0..d {
                    for q in p..d {
                        sum[p * d + q] += centred[p] * centred[q];
                    }
                }
            }
            sum
        })
        .collect();
    let mut covariance = vec![0.0; d * d];
    parts
        .iter()
        .for_each(|p| covariance.iter_mut().zip(p).for_each(|(c, s)| *c += s));
    let denominator = (rows.n() - 1) as f64;
    for p in 0..d {
        for q in p..d {
            covariance[p * d + q] /= denominator;
            covariance[q * d + p] = covariance[p * d + q];
        }
    }
    covariance
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn finds_the_axis_of_a_line_with_a_positive_largest_loading() {
        // Points on y = −2x: all variance on one axis, pointing (−1, 2)/√5 after the flip.
        let data = array![[0.0, 0.0], [1.0, -2.0], [2.0, -4.0], [3.0, -6.0]];
        let pca = Pca::fit(data.view(), 2).unwrap_or_else(|e| panic!("{e}"));
        let s5 = 5f64.sqrt();
        assert!((pca.components[[0, 0]] + 1.0 / s5).abs() < 1e-12);
        assert!((pca.components[[0, 1]] - 2.0 / s5).abs() < 1e-12);
        assert!((pca.explained_variance_ratio[0] - 1.0).abs() < 1e-12);
        // Variance along the line: 5 · var(0, 1, 2, 3) with n − 1 = 3 → 5 · 5/3.
        assert!((pca.explained_variance[0] - 25.0 / 3.0).abs() < 1e-12);
        let projected = pca
            .transform(array![[1.5, -3.0]].view())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            projected[[0, 0]].abs() < 1e-12,
            "the mean projects to the origin"
        );
    }

    #[test]
    fn refuses_too_many_components_and_too_few_rows() {
        let data = array![[0.0, 1.0], [1.0, 0.0]];
        assert!(Pca::fit(data.view(), 3).is_err());
        assert!(Pca::fit(data.view(), 0).is_err());
        assert!(Pca::fit(array![[1.0, 2.0]].view(), 1).is_err());
    }
}
