//! Cluster quality metrics with scikit-learn's definitions: silhouette (exact, or on a seeded
//! sample for large data), Davies–Bouldin and Calinski–Harabasz.
//!
//! Labels may be any ordered type (`usize` from k-means, `i64` from DBSCAN where `-1` is
//! simply one more group, as in scikit-learn); they are encoded in sorted order first, so every
//! metric is invariant under renaming clusters.

use ndarray::ArrayView2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::dense::{encode_labels, sq_dist, Rows};
use crate::error::{invalid, require_len, Error, Result};

/// Mean silhouette coefficient over all rows, computed exactly: O(n² d) time, O(n k) memory,
/// parallel over rows. A row alone in its cluster scores 0 (scikit-learn's convention).
pub fn silhouette<L: Copy + Ord>(data: ArrayView2<'_, f64>, labels: &[L]) -> Result<f64> {
    let scores = silhouette_samples(data, labels)?;
    Ok(scores.iter().sum::<f64>() / scores.len() as f64)
}

/// The silhouette of every row: `(b - a) / max(a, b)` where `a` is the mean distance to the
/// other members of its cluster and `b` the lowest mean distance to another cluster.
pub fn silhouette_samples<L: Copy + Ord>(
    data: ArrayView2<'_, f64>,
    labels: &[L],
) -> Result<Vec<f64>> {
    let rows = Rows::finite(data)?;
    require_len("labels", rows.n(), labels.len())?;
    let (codes, k) = encode_labels(labels);
    check_cluster_count(k, rows.n())?;
    let mut sizes = vec![0usize; k];
    codes.iter().for_each(|&c| sizes[c] += 1);
    Ok((0..rows.n())
        .into_par_iter()
        .with_min_len(64)
        .map(|i| {
            let own = codes[i];
            if sizes[own] == 1 {
                return 0.0;
            }
            let x = rows.row(i);
            let mut sums = vec![0.0; k];
            for (j, &c) in codes.iter().enumerate() {
                sums[c] += sq_dist(x, rows.row(j)).sqrt();
            }
            let a = sums[own] / (sizes[own] - 1) as f64;
            let b = (0..k)
                .filter(|&c| c != own)
                .map(|c| sums[c] / sizes[c] as f64)
                .fold(f64::INFINITY, f64::min);
            let denominator = a.max(b);
            if denominator > 0.0 {
                (b - a) / denominator
            } else {
                0.0
            }
        })
        .collect())
}

/// Mean silhouette of a uniform random sample of `sample_size` rows (without replacement),
/// distances taken within the sample only: scikit-learn's `silhouette_score(sample_size=…)`.
/// O(s² d) whatever n is; the same seed draws the same sample.
pub fn silhouette_sampled<L: Copy + Ord>(
    data: ArrayView2<'_, f64>,
    labels: &[L],
    sample_size: usize,
    seed: u64,
) -> Result<f64> {
    let n = data.nrows();
    require_len("labels", n, labels.len())?;
    if sample_size < 2 {
        return Err(invalid("sample_size", "must be at least 2"));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let picked = rand::seq::index::sample(&mut rng, n, sample_size.min(n)).into_vec();
    let sample = data.select(ndarray::Axis(0), &picked);
    let sample_labels: Vec<L> = picked.iter().map(|&i| labels[i]).collect();
    silhouette(sample.view(), &sample_labels)
}

/// Davies–Bouldin index: the mean over clusters of the worst ratio of summed spreads (mean
/// distance to the centroid) to centroid separation. Lower is better; 0 when all spreads or
/// all separations are 0, as in scikit-learn.
pub fn davies_bouldin<L: Copy + Ord>(data: ArrayView2<'_, f64>, labels: &[L]) -> Result<f64> {
    let rows = Rows::finite(data)?;
    let groups = Groups::new(&rows, labels)?;
    let (k, d) = (groups.k, rows.d());
    let mut spread = vec![0.0; k];
    for (i, &c) in groups.codes.iter().enumerate() {
        spread[c] += sq_dist(rows.row(i), groups.centroid(c, d)).sqrt();
    }
    spread
        .iter_mut()
        .zip(&groups.sizes)
        .for_each(|(s, &n)| *s /= n as f64);
    let separation =
        |a: usize, b: usize| sq_dist(groups.centroid(a, d), groups.centroid(b, d)).sqrt();
    let all_close = |v: f64| v.abs() < 1e-8;
    let any_separated = (0..k).any(|a| (0..k).any(|b| !all_close(separation(a, b))));
    if spread.iter().all(|&s| all_close(s)) || !any_separated {
        return Ok(0.0);
    }
    let worst = (0..k).map(|a| {
        (0..k)
            .filter(|&b| b != a)
            .map(|b| match separation(a, b) {
                0.0 => 0.0,
                sep => (spread[a] + spread[b]) / sep,
            })
            .fold(f64::NEG_INFINITY, f64::max)
    });
    Ok(worst.sum::<f64>() / k as f64)
}

/// Calinski–Harabasz index (variance ratio): between-cluster over within-cluster dispersion,
/// each divided by its degrees of freedom. Higher is better; 1 when every cluster is a point
/// repeated, as in scikit-learn.
pub fn calinski_harabasz<L: Copy + Ord>(data: ArrayView2<'_, f64>, labels: &[L]) -> Result<f64> {
    let rows = Rows::finite(data)?;
    let groups = Groups::new(&rows, labels)?;
    let (n, d, k) = (rows.n(), rows.d(), groups.k);
    let mut mean = vec![0.0; d];
    for i in 0..n {
        mean.iter_mut().zip(rows.row(i)).for_each(|(m, x)| *m += x);
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let between: f64 = (0..k)
        .map(|c| groups.sizes[c] as f64 * sq_dist(groups.centroid(c, d), &mean))
        .sum();
    let within: f64 = (0..n)
        .map(|i| sq_dist(rows.row(i), groups.centroid(groups.codes[i], d)))
        .sum();
    if within == 0.0 {
        return Ok(1.0);
    }
    Ok(between * (n - k) as f64 / (within * (k - 1) as f64))
}

/// Labels encoded as `0..k`, with cluster sizes and centroids.
struct Groups {
    codes: Vec<usize>,
    k: usize,
    sizes: Vec<usize>,
    centroids: Vec<f64>,
}

impl Groups {
    fn new<L: Copy + Ord>(rows: &Rows<'_>, labels: &[L]) -> Result<Self> {
        require_len("labels", rows.n(), labels.len())?;
        let (codes, k) = encode_labels(labels);
        check_cluster_count(k, rows.n())?;
        let d = rows.d();
        let mut sizes = vec![0usize; k];
        let mut centroids = vec![0.0; k * d];
        for (i, &c) in codes.iter().enumerate() {
            sizes[c] += 1;
            centroids[c * d..(c + 1) * d]
                .iter_mut()
                .zip(rows.row(i))
                .for_each(|(s, x)| *s += x);
        }
        for (c, centroid) in centroids.chunks_exact_mut(d).enumerate() {
            centroid.iter_mut().for_each(|s| *s /= sizes[c] as f64);
        }
        Ok(Groups {
            codes,
            k,
            sizes,
            centroids,
        })
    }

    fn centroid(&self, c: usize, d: usize) -> &[f64] {
        &self.centroids[c * d..(c + 1) * d]
    }
}

/// scikit-learn's `check_number_of_labels`: the metrics need 2 ≤ k ≤ n − 1.
fn check_cluster_count(k: usize, n: usize) -> Result<()> {
    if k < 2 || k + 1 > n {
        return Err(Error::NotEnoughData {
            reason: format!(
                "quality metrics need between 2 and n - 1 = {} distinct labels, got {k}",
                n.saturating_sub(1)
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn hand_computed_values() {
        // Two clusters on a line, {0, 1} and {4, 5}.
        let data = array![[0.0], [1.0], [4.0], [5.0]];
        let labels = [0, 0, 1, 1];
        let s = silhouette_samples(data.view(), &labels).unwrap_or_default();
        // a = 1 for every point; b = 4.5, 3.5, 3.5, 4.5.
        let expected = [3.5 / 4.5, 2.5 / 3.5, 2.5 / 3.5, 3.5 / 4.5];
        assert_eq!(s.len(), 4);
        s.iter()
            .zip(expected)
            .for_each(|(a, b)| assert!((a - b).abs() < 1e-15));
        // Spreads 0.5 and 0.5, centroids 0.5 and 4.5: DB = (0.5 + 0.5) / 4 = 0.25.
        assert_eq!(davies_bouldin(data.view(), &labels).ok(), Some(0.25));
        // Between = 2·4 + 2·4 = 16, within = 4·0.25 = 1; (16 / 1) · (4 − 2) / (2 − 1) = 32.
        assert_eq!(calinski_harabasz(data.view(), &labels).ok(), Some(32.0));
    }

    #[test]
    fn a_singleton_cluster_scores_zero() {
        let data = array![[0.0], [1.0], [4.0]];
        let s = silhouette_samples(data.view(), &[0, 0, 1]).unwrap_or_default();
        assert_eq!(s[2], 0.0);
    }

    #[test]
    fn refuses_one_cluster_or_all_singletons_and_wrong_lengths() {
        let data = array![[0.0], [1.0], [4.0]];
        assert!(matches!(
            silhouette(data.view(), &[0, 0, 0]),
            Err(Error::NotEnoughData { .. })
        ));
        assert!(matches!(
            davies_bouldin(data.view(), &[0, 1, 2]),
            Err(Error::NotEnoughData { .. })
        ));
        assert!(matches!(
            calinski_harabasz(data.view(), &[0, 1]),
            Err(Error::LengthMismatch {
                what: "labels",
                expected: 3,
                found: 2
            })
        ));
        assert!(silhouette_sampled(data.view(), &[0, 0, 1], 1, 0).is_err());
    }
}
