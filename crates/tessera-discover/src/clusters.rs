//! Clustering a feature matrix with one of tessera-cluster's algorithms, and the table that
//! describes the result: each cluster's size and the features that set it apart.

use ndarray::{Array2, ArrayView2};
use serde::Serialize;
use tessera_cluster::agglomerative::{agglomerative, Linkage};
use tessera_cluster::dbscan::DbscanParams;
use tessera_cluster::kmeans::KMeansParams;
use tessera_cluster::metrics::{silhouette, silhouette_sampled};
use tessera_cluster::minibatch::MiniBatchParams;
use tessera_cluster::scale::Scaled;

use crate::error::{invalid, Result};
use crate::features::FeatureMatrix;
use crate::stats::Summary;

/// The silhouette is computed exactly up to this many rows, on a sample of this size above.
pub const SILHOUETTE_SAMPLE: usize = 5_000;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Algorithm {
    KMeans,
    MiniBatch,
    Dbscan { eps: f64, min_samples: usize },
    Agglomerative(Linkage),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterParams {
    pub algorithm: Algorithm,
    /// Clusters wanted (ignored by DBSCAN, which finds its own).
    pub k: usize,
    pub seed: u64,
}

/// Labels per scaled row: 0..n_clusters, and −1 for DBSCAN's noise.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Clustering {
    pub labels: Vec<i64>,
    pub n_clusters: usize,
    pub noise: usize,
    /// k-means and mini-batch only.
    pub inertia: Option<f64>,
    #[serde(skip)]
    pub centroids: Option<Array2<f64>>,
    /// Mean silhouette over non-noise rows (sampled above [`SILHOUETTE_SAMPLE`] rows), when
    /// there are at least two clusters.
    pub silhouette: Option<f64>,
}

/// Clusters scaled rows.
pub fn run(data: ArrayView2<'_, f64>, params: &ClusterParams) -> Result<Clustering> {
    let (labels, inertia, centroids): (Vec<i64>, _, _) = match params.algorithm {
        Algorithm::KMeans => {
            let fit = KMeansParams {
                seed: params.seed,
                ..KMeansParams::new(params.k)
            }
            .fit(data)?;
            (
                fit.labels.iter().map(|&l| l as i64).collect(),
                Some(fit.inertia),
                Some(fit.centroids),
            )
        }
        Algorithm::MiniBatch => {
            let fit = MiniBatchParams {
                seed: params.seed,
                ..MiniBatchParams::new(params.k)
            }
            .fit(data)?;
            (
                fit.labels.iter().map(|&l| l as i64).collect(),
                Some(fit.inertia),
                Some(fit.centroids),
            )
        }
        Algorithm::Dbscan { eps, min_samples } => {
            let fit = DbscanParams::new(eps, min_samples).fit(data)?;
            (fit.labels, None, None)
        }
        Algorithm::Agglomerative(linkage) => {
            let labels = agglomerative(data, linkage, params.k)?;
            (labels.iter().map(|&l| l as i64).collect(), None, None)
        }
    };
    let n_clusters = labels
        .iter()
        .filter(|&&l| l >= 0)
        .map(|&l| l + 1)
        .max()
        .unwrap_or(0) as usize;
    let noise = labels.iter().filter(|&&l| l < 0).count();
    let silhouette = if n_clusters >= 2 {
        let kept: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] >= 0).collect();
        let rows = data.select(ndarray::Axis(0), &kept);
        let kept_labels: Vec<i64> = kept.iter().map(|&i| labels[i]).collect();
        let score = if kept.len() > SILHOUETTE_SAMPLE {
            silhouette_sampled(rows.view(), &kept_labels, SILHOUETTE_SAMPLE, params.seed)
        } else {
            silhouette(rows.view(), &kept_labels)
        };
        score.ok()
    } else {
        None
    };
    Ok(Clustering {
        labels,
        n_clusters,
        noise,
        inertia,
        centroids,
        silhouette,
    })
}

/// One cluster in the table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterSummary {
    pub label: i64,
    pub size: usize,
    pub share: f64,
    pub top_features: Vec<Distinct>,
}

/// A feature that sets a cluster apart: its raw means and the difference of the scaled means
/// in standard deviations of the scaled column (an effect size, comparable across features).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Distinct {
    pub name: String,
    pub label: String,
    pub mean: f64,
    pub population_mean: f64,
    pub effect: f64,
}

/// Sizes and the `top` most distinguishing features of every cluster (noise last, as −1).
pub fn summarize(
    matrix: &FeatureMatrix,
    scaled: &Scaled,
    labels: &[i64],
    top: usize,
) -> Result<Vec<ClusterSummary>> {
    if labels.len() != scaled.rows.len() {
        return Err(invalid("labels", "one label per scaled row is needed"));
    }
    let mut ids: Vec<i64> = labels.to_vec();
    ids.sort_unstable();
    ids.dedup();
    // Noise (−1) after the clusters.
    ids.sort_by_key(|&l| (l < 0, l));
    let total = labels.len();
    let columns = matrix.columns.len();
    let overall: Vec<Summary> = (0..columns)
        .map(|c| Summary::of(scaled.data.column(c).iter().copied()))
        .collect();
    let raw_overall: Vec<f64> = (0..columns)
        .map(|c| Summary::of(scaled.rows.iter().map(|&r| matrix.data[[r, c]])).mean)
        .collect();
    let mut out = Vec::new();
    for id in ids {
        let rows: Vec<usize> = (0..total).filter(|&i| labels[i] == id).collect();
        let mut distinct: Vec<Distinct> = (0..columns)
            .map(|c| {
                let scaled_mean = Summary::of(rows.iter().map(|&i| scaled.data[[i, c]])).mean;
                let sd = overall[c].variance.sqrt();
                let effect = if sd > 0.0 {
                    (scaled_mean - overall[c].mean) / sd
                } else {
                    0.0
                };
                Distinct {
                    name: matrix.columns[c].name.clone(),
                    label: matrix.columns[c].label.clone(),
                    mean: Summary::of(rows.iter().map(|&i| matrix.data[[scaled.rows[i], c]])).mean,
                    population_mean: raw_overall[c],
                    effect,
                }
            })
            .collect();
        distinct.sort_by(|a, b| {
            b.effect
                .abs()
                .total_cmp(&a.effect.abs())
                .then(a.name.cmp(&b.name))
        });
        distinct.truncate(top);
        out.push(ClusterSummary {
            label: id,
            size: rows.len(),
            share: rows.len() as f64 / total.max(1) as f64,
            top_features: distinct,
        });
    }
    Ok(out)
}
