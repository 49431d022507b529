//! The reference values scikit-learn gives on Fisher's Iris data (150 × 4, unscaled), as
//! quoted in the issue that asked for this crate. Written out literally so the requirement
//! reads in one place.

mod common;

use common::{assert_all_close, assert_close, dataset};
use tessera_cluster::dbscan::DbscanParams;
use tessera_cluster::kmeans::{Algorithm, KMeansParams};
use tessera_cluster::metrics::{calinski_harabasz, davies_bouldin, silhouette};
use tessera_cluster::pca::Pca;

#[test]
fn kmeans_with_three_clusters_reaches_sklearns_optimum_and_scores() {
    let iris = dataset("iris.csv");
    for algorithm in [Algorithm::Lloyd, Algorithm::Hamerly] {
        let params = KMeansParams {
            n_init: 10,
            algorithm,
            ..KMeansParams::new(3)
        };
        let fit = params
            .fit(iris.data.view())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_close(fit.inertia, 78.851441, 1e-6 / 78.85, "inertia");
        assert_close(
            silhouette(iris.data.view(), &fit.labels).unwrap_or(0.0),
            0.552819,
            1e-6,
            "silhouette",
        );
        assert_close(
            davies_bouldin(iris.data.view(), &fit.labels).unwrap_or(0.0),
            0.661972,
            1e-6,
            "DB",
        );
        assert_close(
            calinski_harabasz(iris.data.view(), &fit.labels).unwrap_or(0.0),
            561.627757,
            1e-6 / 561.6,
            "CH",
        );
    }
}

#[test]
fn pca_explained_variance_ratios() {
    let iris = dataset("iris.csv");
    let pca = Pca::fit(iris.data.view(), 4).unwrap_or_else(|e| panic!("{e}"));
    assert_all_close(
        &pca.explained_variance_ratio,
        &[0.924619, 0.053066, 0.017103, 0.005212],
        1e-6,
        "explained variance ratio",
    );
}

#[test]
fn dbscan_finds_two_clusters_and_seventeen_noise_points() {
    let iris = dataset("iris.csv");
    let fit = DbscanParams::new(0.5, 5)
        .fit(iris.data.view())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((fit.n_clusters, fit.n_noise()), (2, 17));
}
