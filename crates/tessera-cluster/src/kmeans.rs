//! k-means with scikit-learn's semantics: greedy k-means++ seeding, `n_init` restarts keeping
//! the lowest inertia, a tolerance relative to the data's mean variance, strict convergence when
//! no label changes, and empty clusters relocated to the farthest points.
//!
//! Two algorithms give bit-identical results: [`Algorithm::Lloyd`] computes every point-centroid
//! distance each iteration; [`Algorithm::Hamerly`] skips the points whose distance bounds prove
//! their label cannot change (see `kmeans/hamerly.rs` for why it agrees exactly). Both assign in
//! parallel over fixed-size chunks and reduce the chunk sums in order, so a fit depends on the
//! seed only, never on the number of threads.

mod hamerly;
mod init;
mod step;

use ndarray::{Array2, ArrayView2};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::dense::{Centroids, Rows, CHUNK_ROWS};
use crate::error::{invalid, Result};

pub(crate) use init::kmeans_plus_plus;
pub(crate) use step::{assign_labels, inertia};

/// How each iteration assigns points to centroids. Both give identical labels, centroids,
/// inertia and iteration counts; they differ only in speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Algorithm {
    /// Every point against every centroid, every iteration (scikit-learn's default).
    Lloyd,
    /// Hamerly's bounds: one upper and one lower bound per point skip most distance
    /// computations once centroids settle. Best for few dimensions (our profiles).
    #[default]
    Hamerly,
}

/// Where the centroids start.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Init {
    /// Greedy k-means++ as scikit-learn does it: each new centroid is the best (lowest
    /// potential) of `2 + ⌊ln k⌋` candidates sampled proportionally to squared distance.
    #[default]
    KMeansPlusPlus,
    /// These `k × d` centroids; with them a fit is fully determined and `n_init` is ignored.
    Centroids(Array2<f64>),
}

/// What to fit. Start from [`KMeansParams::new`] and override fields with struct update
/// syntax: `KMeansParams { n_init: 10, ..KMeansParams::new(4) }`.
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansParams {
    /// Number of clusters, at least 1 and at most the number of rows.
    pub k: usize,
    /// Independent k-means++ starts; the one with the lowest inertia is kept.
    pub n_init: usize,
    /// Iterations per start at most.
    pub max_iter: usize,
    /// Convergence when the summed squared centroid shift is at most `tol` times the mean
    /// per-feature variance of the data (scikit-learn's definition; 0 waits for labels to stop
    /// changing).
    pub tol: f64,
    /// Seeds the ChaCha8 generator; the same seed and data give the same fit.
    pub seed: u64,
    pub algorithm: Algorithm,
    pub init: Init,
}

impl KMeansParams {
    /// scikit-learn's defaults for `KMeans(n_clusters=k)`: one k-means++ start, 300
    /// iterations, `tol = 1e-4`; seed 0 and the (identical, faster) Hamerly algorithm.
    pub fn new(k: usize) -> Self {
        KMeansParams {
            k,
            n_init: 1,
            max_iter: 300,
            tol: 1e-4,
            seed: 0,
            algorithm: Algorithm::default(),
            init: Init::default(),
        }
    }

    /// Fits the model to the rows of `data`, which must be finite.
    pub fn fit(&self, data: ArrayView2<'_, f64>) -> Result<KMeans> {
        let rows = Rows::finite(data)?;
        self.check(&rows)?;
        let tol = absolute_tolerance(&rows, self.tol);
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let starts = match self.init {
            Init::KMeansPlusPlus => self.n_init,
            Init::Centroids(_) => 1,
        };
        let mut best: Option<KMeans> = None;
        for _ in 0..starts {
            let centroids = match &self.init {
                Init::KMeansPlusPlus => kmeans_plus_plus(&rows, self.k, &mut rng),
                Init::Centroids(given) => given.iter().copied().collect(),
            };
            let fit = run(&rows, centroids, self, tol);
            if best.as_ref().is_none_or(|b| fit.inertia < b.inertia) {
                best = Some(fit);
            }
        }
        best.ok_or_else(|| invalid("n_init", "must be at least 1"))
    }

    fn check(&self, rows: &Rows<'_>) -> Result<()> {
        rows.require_rows(1, "k-means")?;
        if self.k == 0 {
            return Err(invalid("k", "must be at least 1"));
        }
        if self.k > rows.n() {
            return Err(invalid(
                "k",
                format!(
                    "{} clusters need at least as many rows; the data has {}",
                    self.k,
                    rows.n()
                ),
            ));
        }
        if self.n_init == 0 {
            return Err(invalid("n_init", "must be at least 1"));
        }
        if self.max_iter == 0 {
            return Err(invalid("max_iter", "must be at least 1"));
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return Err(invalid("tol", "must be a finite number >= 0"));
        }
        if let Init::Centroids(given) = &self.init {
            if given.dim() != (self.k, rows.d()) {
                return Err(invalid(
                    "init",
                    format!(
                        "initial centroids must be {}×{}, got {}×{}",
                        self.k,
                        rows.d(),
                        given.nrows(),
                        given.ncols()
                    ),
                ));
            }
            Rows::finite(given.view())?;
        }
        Ok(())
    }
}

/// A fitted k-means model.
#[derive(Debug, Clone, PartialEq)]
pub struct KMeans {
    /// `k × d`, row `j` is the mean of the points labelled `j`.
    pub centroids: Array2<f64>,
    /// The nearest centroid of each training row.
    pub labels: Vec<usize>,
    /// Sum of squared distances from each row to its centroid.
    pub inertia: f64,
    /// Iterations run by the start that was kept.
    pub n_iter: usize,
}

impl KMeans {
    /// Training rows per cluster: the weights for clustering the centroids hierarchically with
    /// [`crate::agglomerative::Dendrogram::build_weighted`] (leave out empty clusters, which
    /// only arise when duplicate rows outnumber distinct ones).
    pub fn cluster_sizes(&self) -> Vec<usize> {
        let mut sizes = vec![0; self.centroids.nrows()];
        self.labels.iter().for_each(|&l| sizes[l] += 1);
        sizes
    }

    /// The nearest centroid of each row of `data` (the lowest index wins a tie): how new
    /// profiles are assigned to existing segments.
    pub fn predict(&self, data: ArrayView2<'_, f64>) -> Result<Vec<usize>> {
        predict(self.centroids.view(), data)
    }
}

/// The nearest of `centroids` for each row of `data`.
pub fn predict(centroids: ArrayView2<'_, f64>, data: ArrayView2<'_, f64>) -> Result<Vec<usize>> {
    let centroids = Rows::finite(centroids)?;
    if centroids.n() == 0 {
        return Err(invalid("centroids", "need at least one centroid"));
    }
    let rows = Rows::finite(data)?;
    rows.require_columns(centroids.d())?;
    let d = rows.d().max(1);
    let by_feature = Centroids::new(centroids.values(), d);
    let mut labels = vec![0; rows.n()];
    labels
        .par_chunks_mut(CHUNK_ROWS)
        .zip(rows.values().par_chunks(CHUNK_ROWS * d))
        .for_each(|(labels, xs)| {
            let mut scratch = vec![0.0; by_feature.k()];
            for (label, x) in labels.iter_mut().zip(xs.chunks_exact(d)) {
                *label = by_feature.nearest(x, &mut scratch).0;
            }
        });
    Ok(labels)
}

/// scikit-learn's `_tolerance`: `tol` times the mean over features of the population variance.
pub(crate) fn absolute_tolerance(rows: &Rows<'_>, tol: f64) -> f64 {
    if tol == 0.0 {
        return 0.0;
    }
    let (n, d) = (rows.n() as f64, rows.d());
    let mut mean = vec![0.0; d];
    for i in 0..rows.n() {
        for (m, x) in mean.iter_mut().zip(rows.row(i)) {
            *m += x;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n);
    let mut var = vec![0.0; d];
    for i in 0..rows.n() {
        for ((v, x), m) in var.iter_mut().zip(rows.row(i)).zip(&mean) {
            *v += (x - m) * (x - m);
        }
    }
    var.iter().map(|v| v / n).sum::<f64>() / d as f64 * tol
}

/// One start: iterate from `centroids` until labels stop changing, the centroids move less
/// than `tol`, or `max_iter` runs out (scikit-learn's `_kmeans_single_lloyd` loop).
fn run(rows: &Rows<'_>, mut centroids: Vec<f64>, params: &KMeansParams, tol: f64) -> KMeans {
    let (n, d, k) = (rows.n(), rows.d(), params.k);
    // No row has a label yet, so the first assignment changes every one.
    let mut labels = vec![usize::MAX; n];
    let mut assigner = match params.algorithm {
        Algorithm::Lloyd => step::Assigner::Lloyd,
        Algorithm::Hamerly => step::Assigner::Hamerly(hamerly::Bounds::new(n)),
    };
    let mut strict = false;
    let mut n_iter = 0;
    while n_iter < params.max_iter {
        n_iter += 1;
        let (sums, changed) = assigner.assign(rows, &centroids, k, &mut labels);
        let updated = step::update_centroids(rows, &centroids, &labels, sums);
        let shift: f64 = centroids
            .chunks_exact(d)
            .zip(updated.chunks_exact(d))
            .map(|(old, new)| crate::dense::sq_dist(old, new))
            .sum();
        assigner.centroids_moved(&centroids, &updated, d, &labels);
        centroids = updated;
        if changed == 0 {
            strict = true;
            break;
        }
        if shift <= tol {
            break;
        }
    }
    let inertia = if strict {
        inertia(rows, &centroids, &labels)
    } else {
        // The last update moved the centroids after the labels were computed: relabel so that
        // labels, centroids and inertia describe one consistent state, as scikit-learn does.
        assign_labels(rows, &centroids, &mut labels)
    };
    let centroids =
        Array2::from_shape_vec((k, d), centroids).unwrap_or_else(|_| Array2::zeros((k, d)));
    KMeans {
        centroids,
        labels,
        inertia,
        n_iter,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use ndarray::array;

    fn two_groups() -> Array2<f64> {
        array![
            [0.0, 0.0],
            [0.0, 1.0],
            [1.0, 0.0],
            [10.0, 10.0],
            [10.0, 11.0],
            [11.0, 10.0]
        ]
    }

    #[test]
    fn separates_two_obvious_groups() {
        let fit = KMeansParams {
            n_init: 3,
            ..KMeansParams::new(2)
        }
        .fit(two_groups().view());
        let fit = fit.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fit.labels[0..3], [fit.labels[0]; 3]);
        assert_eq!(fit.labels[3..6], [fit.labels[3]; 3]);
        assert_ne!(fit.labels[0], fit.labels[3]);
        // Each group: three points around their mean, squared distances 2/9+2/9+... = 4/3.
        assert!((fit.inertia - 8.0 / 3.0).abs() < 1e-12, "{}", fit.inertia);
        assert_eq!(fit.cluster_sizes(), vec![3, 3]);
        assert_eq!(
            fit.predict(array![[9.0, 9.0]].view()).ok(),
            Some(vec![fit.labels[3]])
        );
    }

    #[test]
    fn an_empty_cluster_takes_the_farthest_point() {
        // Every point is nearer the first initial centroid, so the second cluster is empty
        // after the first assignment and must take the point farthest from its centroid.
        let data = array![[0.0], [1.0], [2.0], [10.0]];
        let params = KMeansParams {
            init: Init::Centroids(array![[1.0], [100.0]]),
            algorithm: Algorithm::Lloyd,
            ..KMeansParams::new(2)
        };
        let fit = params.fit(data.view()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fit.labels, vec![0, 0, 0, 1]);
        assert_eq!(fit.centroids, array![[1.0], [10.0]]);
    }

    #[test]
    fn refuses_bad_parameters_with_their_name() {
        let data = two_groups();
        let err = |p: KMeansParams| p.fit(data.view()).err().map(|e| e.to_string());
        assert_eq!(
            err(KMeansParams::new(0)),
            Some("invalid parameter `k`: must be at least 1".into())
        );
        assert_eq!(
            err(KMeansParams::new(7)),
            Some(
                "invalid parameter `k`: 7 clusters need at least as many rows; the data has 6"
                    .into()
            )
        );
        assert!(err(KMeansParams {
            tol: -1.0,
            ..KMeansParams::new(2)
        })
        .is_some());
        assert!(err(KMeansParams {
            n_init: 0,
            ..KMeansParams::new(2)
        })
        .is_some());
        let wrong_init = KMeansParams {
            init: Init::Centroids(array![[0.0]]),
            ..KMeansParams::new(2)
        };
        assert!(err(wrong_init).is_some_and(|e| e.contains("2×2")));
        let nan = array![[0.0, f64::NAN]];
        assert!(matches!(
            KMeansParams::new(1).fit(nan.view()),
            Err(Error::NonFinite { .. })
        ));
    }

    #[test]
    fn tolerance_is_relative_to_the_mean_variance() {
        // Column variances 1 and 4 (population): mean 2.5.
        let data = array![[0.0, 0.0], [2.0, 4.0]];
        assert_eq!(absolute_tolerance(&Rows::new(data.view()), 1e-4), 2.5e-4);
    }
}
