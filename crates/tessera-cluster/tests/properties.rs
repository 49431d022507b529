//! Property tests on random data: the accelerated k-means against Lloyd's, sampled against
//! exact silhouette, label-permutation invariance of the metrics, DBSCAN against its
//! definition, and structural invariants of the other algorithms.

use ndarray::Array2;
use proptest::prelude::*;
use tessera_cluster::agglomerative::{Dendrogram, Linkage};
use tessera_cluster::dbscan::{DbscanParams, NOISE};
use tessera_cluster::kmeans::{Algorithm, KMeansParams};
use tessera_cluster::metrics::{calinski_harabasz, davies_bouldin, silhouette, silhouette_sampled};
use tessera_cluster::pca::Pca;
use tessera_cluster::scale::{Missing, Scaler, Scaling};

/// Random matrices; half of them on a coarse integer grid so that duplicate rows and exactly
/// tied distances are common.
fn matrix(max_rows: usize, max_cols: usize) -> impl Strategy<Value = Array2<f64>> {
    (1..=max_rows, 1..=max_cols, any::<bool>()).prop_flat_map(|(n, d, grid)| {
        let cell = if grid {
            (0..4i32).prop_map(f64::from).boxed()
        } else {
            (-100.0..100.0f64).boxed()
        };
        proptest::collection::vec(cell, n * d).prop_map(move |v| {
            Array2::from_shape_vec((n, d), v).unwrap_or_else(|_| Array2::zeros((n, d)))
        })
    })
}

/// A matrix with labels taking at least two values and fewer values than rows.
fn labelled() -> impl Strategy<Value = (Array2<f64>, Vec<usize>)> {
    matrix(40, 4)
        .prop_filter("need at least 3 rows", |m| m.nrows() >= 3)
        .prop_flat_map(|m| {
            let n = m.nrows();
            (Just(m), proptest::collection::vec(0..4usize, n))
        })
        .prop_filter("2 ≤ distinct labels ≤ n − 1", |(m, labels)| {
            let mut distinct = labels.clone();
            distinct.sort_unstable();
            distinct.dedup();
            distinct.len() >= 2 && distinct.len() < m.nrows()
        })
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn hamerly_gives_exactly_lloyds_result(data in matrix(120, 5), k in 1..8usize, seed in 0..1000u64, tol in prop_oneof![Just(0.0), Just(1e-4)]) {
        let k = k.min(data.nrows());
        let fit = |algorithm| KMeansParams { algorithm, seed, tol, n_init: 2, ..KMeansParams::new(k) }.fit(data.view());
        let (lloyd, hamerly) = (fit(Algorithm::Lloyd), fit(Algorithm::Hamerly));
        prop_assert!(lloyd.is_ok());
        prop_assert_eq!(lloyd, hamerly);
    }

    #[test]
    fn predicting_the_training_rows_gives_the_fitted_labels(data in matrix(80, 4), k in 1..6usize, seed in 0..100u64) {
        let k = k.min(data.nrows());
        let fit = KMeansParams { seed, ..KMeansParams::new(k) }.fit(data.view()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(fit.predict(data.view()).ok(), Some(fit.labels.clone()));
        // The inertia is the sum of squared distances to the assigned centroids.
        let recomputed: f64 = data.rows().into_iter().zip(&fit.labels)
            .map(|(x, &l)| x.iter().zip(fit.centroids.row(l)).map(|(a, b)| (a - b) * (a - b)).sum::<f64>())
            .sum();
        prop_assert!(close(fit.inertia, recomputed));
    }

    #[test]
    fn sampled_silhouette_with_every_row_equals_exact((data, labels) in labelled(), seed in 0..100u64) {
        let exact = silhouette(data.view(), &labels).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let sampled = silhouette_sampled(data.view(), &labels, data.nrows(), seed)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(close(exact, sampled), "{} vs {}", exact, sampled);
    }

    #[test]
    fn metrics_do_not_depend_on_label_names((data, labels) in labelled(), shift in 1..4usize) {
        // Rename label l to (l + shift) mod 4, reversed: a permutation of the names.
        let renamed: Vec<i64> = labels.iter().map(|&l| 10 - ((l + shift) % 4) as i64).collect();
        let v = data.view();
        let pairs = [
            (silhouette(v, &labels), silhouette(v, &renamed)),
            (davies_bouldin(v, &labels), davies_bouldin(v, &renamed)),
            (calinski_harabasz(v, &labels), calinski_harabasz(v, &renamed)),
        ];
        for (a, b) in pairs {
            let (a, b) = (a.map_err(|e| TestCaseError::fail(e.to_string()))?, b.map_err(|e| TestCaseError::fail(e.to_string()))?);
            prop_assert!(close(a, b), "{} vs {}", a, b);
        }
    }

    #[test]
    fn dbscan_satisfies_its_definition(data in matrix(80, 3), eps in prop_oneof![Just(1.0), Just(1.5), Just(30.0)], min_samples in 1..6usize) {
        let fit = DbscanParams::new(eps, min_samples).fit(data.view()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let n = data.nrows();
        let within = |i: usize, j: usize| {
            let mut s = 0.0;
            for (a, b) in data.row(i).iter().zip(data.row(j)) { s += (a - b) * (a - b); }
            s <= eps * eps
        };
        let core: Vec<bool> = (0..n).map(|i| (0..n).filter(|&j| within(i, j)).count() >= min_samples).collect();
        prop_assert_eq!(&fit.core, &core);
        let mut next_new_cluster = 0;
        for i in 0..n {
            let label = fit.labels[i];
            if core[i] {
                // Core points share the cluster of every neighbour that is core too…
                prop_assert!((0..n).all(|j| !(core[j] && within(i, j)) || fit.labels[j] == label));
                // …and clusters are numbered by their first core point in index order.
                if label == next_new_cluster { next_new_cluster += 1; }
                prop_assert!(label < next_new_cluster);
            } else if label == NOISE {
                prop_assert!((0..n).all(|j| !(core[j] && within(i, j))));
            } else {
                // A border point takes the lowest-numbered cluster among its core neighbours.
                let first = (0..n).filter(|&j| core[j] && within(i, j)).map(|j| fit.labels[j]).min();
                prop_assert_eq!(Some(label), first);
            }
        }
        prop_assert_eq!(fit.n_clusters as i64, next_new_cluster);
    }

    #[test]
    fn dendrograms_are_monotone_and_cuts_have_k_clusters(data in matrix(30, 3), k in 1..30usize) {
        let k = k.min(data.nrows());
        for linkage in [Linkage::Ward, Linkage::Average, Linkage::Complete, Linkage::Single] {
            let tree = Dendrogram::build(data.view(), linkage).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(tree.merges().windows(2).all(|w| w[0].distance <= w[1].distance));
            prop_assert_eq!(tree.merges().last().map_or(1.0, |m| m.size), data.nrows() as f64);
            let labels = tree.cut(k).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(labels.iter().max().map_or(0, |m| m + 1), k);
            let ones = vec![1.0; data.nrows()];
            let weighted = Dendrogram::build_weighted(data.view(), &ones, linkage).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&weighted, &tree);
        }
    }

    #[test]
    fn pca_components_are_orthonormal_and_variances_are_the_projected_variances(data in matrix(60, 5)) {
        prop_assume!(data.nrows() >= 2);
        let m = data.nrows().min(data.ncols());
        let pca = Pca::fit(data.view(), m).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let projected = pca.transform(data.view()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let scale = data.iter().fold(1.0f64, |a, v| a.max(v.abs())).powi(2);
        for i in 0..m {
            for j in 0..m {
                let dot = pca.components.row(i).dot(&pca.components.row(j));
                let identity = if i == j { 1.0 } else { 0.0 };
                prop_assert!((dot - identity).abs() < 1e-9, "components {} and {}", i, j);
            }
            let column = projected.column(i);
            let variance = column.iter().map(|x| x * x).sum::<f64>() / (data.nrows() - 1) as f64;
            prop_assert!((variance - pca.explained_variance[i]).abs() <= 1e-9 * scale);
        }
    }

    #[test]
    fn a_fitted_scaler_transforms_its_training_rows_as_fit_transform_did(data in matrix(40, 4)) {
        for scaling in [Scaling::Standard, Scaling::Robust, Scaling::MinMax] {
            let (scaler, scaled) = Scaler::fit_transform(data.view(), scaling, Missing::Reject)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(scaler.transform(data.view()).ok(), Some(scaled.clone()));
            if scaling == Scaling::Standard {
                for column in scaled.data.columns() {
                    let mean = column.mean().unwrap_or(0.0);
                    prop_assert!(mean.abs() < 1e-9);
                }
            }
        }
    }
}
