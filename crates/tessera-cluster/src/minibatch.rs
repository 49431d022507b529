//! Mini-batch k-means (Sculley 2010) for data too large for full Lloyd iterations: each step
//! assigns a random batch to the nearest centroids and moves each centroid towards its batch
//! points with a per-centroid learning rate of (batch count) / (all points it has seen).
//!
//! Follows scikit-learn's `MiniBatchKMeans` for the update, the seeding (k-means++ on
//! `init_size` rows drawn with replacement), the batch draws (with replacement) and early
//! stopping (an exponentially weighted average of batch inertia that has not improved for
//! `max_no_improvement` steps, or `tol`). Unlike scikit-learn it does not randomly reassign
//! centroids that attract few points, and it always makes one start. The labels and inertia
//! it reports are computed on the full data at the end, in parallel.

use ndarray::{Array2, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::dense::{Centroids, Rows};
use crate::error::{invalid, Result};
use crate::kmeans::{absolute_tolerance, assign_labels, kmeans_plus_plus};

/// What to fit; start from [`MiniBatchParams::new`].
#[derive(Debug, Clone, PartialEq)]
pub struct MiniBatchParams {
    pub k: usize,
    /// Rows per step (drawn with replacement).
    pub batch_size: usize,
    /// Steps at most.
    pub max_steps: usize,
    pub seed: u64,
    /// Rows sampled for k-means++ seeding; `None` means `3 × batch_size` (at least `3k`,
    /// at most n).
    pub init_size: Option<usize>,
    /// Stop when the smoothed batch inertia has not improved for this many steps.
    pub max_no_improvement: Option<usize>,
    /// Stop when one step moves the centroids (summed squared shift) by at most `tol` times
    /// the mean feature variance; 0 disables this test (scikit-learn's default).
    pub tol: f64,
}

impl MiniBatchParams {
    /// scikit-learn's defaults: batches of 1024, `max_no_improvement = 10`, `tol = 0`; at
    /// most 1,000 steps.
    pub fn new(k: usize) -> Self {
        MiniBatchParams {
            k,
            batch_size: 1024,
            max_steps: 1000,
            seed: 0,
            init_size: None,
            max_no_improvement: Some(10),
            tol: 0.0,
        }
    }

    pub fn fit(&self, data: ArrayView2<'_, f64>) -> Result<MiniBatchKMeans> {
        let rows = Rows::finite(data)?;
        rows.require_rows(1, "mini-batch k-means")?;
        let (n, d, k) = (rows.n(), rows.d(), self.k);
        if k == 0 || k > n {
            return Err(invalid(
                "k",
                format!("must be between 1 and the number of rows ({n})"),
            ));
        }
        if self.batch_size == 0 || self.max_steps == 0 {
            return Err(invalid(
                "batch_size",
                "batch_size and max_steps must be at least 1",
            ));
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return Err(invalid("tol", "must be a finite number >= 0"));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut centroids = self.seed_centroids(&rows, &mut rng);
        let tol = absolute_tolerance(&rows, self.tol);
        let mut seen = vec![0.0f64; k];
        let mut smoothing = Smoothing::new(self.batch_size, n);
        let mut n_steps = 0;
        let mut batch = vec![0usize; self.batch_size];
        while n_steps < self.max_steps {
            n_steps += 1;
            batch.iter_mut().for_each(|i| *i = rng.random_range(0..n));
            let by_feature = Centroids::new(&centroids, d);
            let assigned: Vec<(usize, f64)> = batch
                .par_iter()
                .with_min_len(256)
                .map_init(
                    || vec![0.0; k],
                    |scratch, &i| by_feature.nearest(rows.row(i), scratch),
                )
                .collect();
            let batch_inertia: f64 = assigned.iter().map(|a| a.1).sum();
            let mut sums = vec![0.0; k * d];
            let mut counts = vec![0.0f64; k];
            for (&i, &(label, _)) in batch.iter().zip(&assigned) {
                sums[label * d..(label + 1) * d]
                    .iter_mut()
                    .zip(rows.row(i))
                    .for_each(|(s, x)| *s += x);
                counts[label] += 1.0;
            }
            let mut shift = 0.0;
            for j in (0..k).filter(|&j| counts[j] > 0.0) {
                let total = seen[j] + counts[j];
                let alpha = 1.0 / total;
                for (c, s) in centroids[j * d..(j + 1) * d]
                    .iter_mut()
                    .zip(&sums[j * d..(j + 1) * d])
                {
                    let updated = (*c * seen[j] + s) * alpha;
                    shift += (updated - *c) * (updated - *c);
                    *c = updated;
                }
                seen[j] = total;
            }
            if n_steps > 1 {
                if tol > 0.0 && shift <= tol {
                    break;
                }
                let stalled = smoothing.stalled_for(batch_inertia / self.batch_size as f64);
                if self
                    .max_no_improvement
                    .is_some_and(|limit| stalled >= limit)
                {
                    break;
                }
            }
        }
        let mut labels = vec![0; n];
        let inertia = assign_labels(&rows, &centroids, &mut labels);
        let centroids =
            Array2::from_shape_vec((k, d), centroids).unwrap_or_else(|_| Array2::zeros((k, d)));
        Ok(MiniBatchKMeans {
            centroids,
            labels,
            inertia,
            n_steps,
        })
    }

    /// k-means++ on `init_size` rows drawn with replacement.
    fn seed_centroids(&self, rows: &Rows<'_>, rng: &mut ChaCha8Rng) -> Vec<f64> {
        let n = rows.n();
        let size = self
            .init_size
            .unwrap_or(3 * self.batch_size)
            .max(3 * self.k)
            .min(n)
            .max(self.k);
        let picked: Vec<usize> = (0..size).map(|_| rng.random_range(0..n)).collect();
        let mut sample = Vec::with_capacity(size * rows.d());
        picked
            .iter()
            .for_each(|&i| sample.extend_from_slice(rows.row(i)));
        let sample = Array2::from_shape_vec((size, rows.d()), sample)
            .unwrap_or_else(|_| Array2::zeros((0, rows.d())));
        kmeans_plus_plus(&Rows::new(sample.view()), self.k, rng)
    }
}

/// scikit-learn's early-stopping state: the exponentially weighted average of per-row batch
/// inertia (weight `2 · batch / (n + 1)`), and how many steps since it last reached a minimum.
struct Smoothing {
    alpha: f64,
    average: Option<f64>,
    minimum: f64,
    stalled: usize,
}

impl Smoothing {
    fn new(batch_size: usize, n: usize) -> Self {
        let alpha = (batch_size as f64 * 2.0 / (n as f64 + 1.0)).min(1.0);
        Smoothing {
            alpha,
            average: None,
            minimum: f64::INFINITY,
            stalled: 0,
        }
    }

    fn stalled_for(&mut self, batch_inertia: f64) -> usize {
        let average = match self.average {
            None => batch_inertia,
            Some(a) => a * (1.0 - self.alpha) + batch_inertia * self.alpha,
        };
        self.average = Some(average);
        if average < self.minimum {
            self.minimum = average;
            self.stalled = 0;
        } else {
            self.stalled += 1;
        }
        self.stalled
    }
}

/// A fitted mini-batch model.
#[derive(Debug, Clone, PartialEq)]
pub struct MiniBatchKMeans {
    pub centroids: Array2<f64>,
    /// Nearest centroid of every row of the full data.
    pub labels: Vec<usize>,
    /// Sum of squared distances of every row of the full data to its centroid.
    pub inertia: f64,
    pub n_steps: usize,
}

impl MiniBatchKMeans {
    /// The nearest centroid of each new row.
    pub fn predict(&self, data: ArrayView2<'_, f64>) -> Result<Vec<usize>> {
        crate::kmeans::predict(self.centroids.view(), data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn three_groups(n: usize) -> Array2<f64> {
        Array2::from_shape_fn((n, 2), |(i, j)| {
            (i % 3) as f64 * 10.0 + ((i * 7 + j * 3) % 5) as f64 * 0.1
        })
    }

    #[test]
    fn finds_well_separated_groups_and_reports_full_data_inertia() {
        let data = three_groups(3000);
        let params = MiniBatchParams {
            batch_size: 100,
            ..MiniBatchParams::new(3)
        };
        let fit = params.fit(data.view()).unwrap_or_else(|e| panic!("{e}"));
        for i in 0..3000 {
            assert_eq!(fit.labels[i], fit.labels[i % 3], "row {i}");
        }
        let exact = crate::kmeans::KMeansParams {
            n_init: 3,
            ..crate::kmeans::KMeansParams::new(3)
        }
        .fit(data.view())
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            fit.inertia < exact.inertia * 1.05,
            "{} vs {}",
            fit.inertia,
            exact.inertia
        );
        assert!(fit.inertia >= exact.inertia * (1.0 - 1e-12));
    }

    #[test]
    fn same_seed_same_model() {
        let data = three_groups(900);
        let params = MiniBatchParams {
            batch_size: 50,
            seed: 9,
            ..MiniBatchParams::new(3)
        };
        assert_eq!(params.fit(data.view()).ok(), params.fit(data.view()).ok());
    }

    #[test]
    fn refuses_bad_parameters() {
        let data = three_groups(10);
        assert!(MiniBatchParams::new(0).fit(data.view()).is_err());
        assert!(MiniBatchParams {
            batch_size: 0,
            ..MiniBatchParams::new(2)
        }
        .fit(data.view())
        .is_err());
    }
}
