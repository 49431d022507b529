//! One k-means iteration's pieces: assignment with per-chunk sums, the centroid update with
//! scikit-learn's empty-cluster relocation, relabelling and inertia.

use rayon::prelude::*;

use super::hamerly::Bounds;
use crate::dense::{sq_dist, sq_dist_in_order, Centroids, Rows, CHUNK_ROWS};

/// Per-cluster coordinate sums (`k × d`, row-major) and point counts of one assignment.
pub(crate) struct Sums {
    pub(crate) sums: Vec<f64>,
    pub(crate) counts: Vec<usize>,
}

impl Sums {
    pub(super) fn zero(k: usize, d: usize) -> Self {
        Sums {
            sums: vec![0.0; k * d],
            counts: vec![0; k],
        }
    }

    pub(super) fn add(&mut self, label: usize, x: &[f64]) {
        let d = x.len();
        for (s, v) in self.sums[label * d..(label + 1) * d].iter_mut().zip(x) {
            *s += v;
        }
        self.counts[label] += 1;
    }

    /// Adds the chunks' partial sums in chunk order, so the total does not depend on which
    /// thread finished first.
    fn total(parts: Vec<Sums>, k: usize, d: usize) -> Sums {
        let mut total = Sums::zero(k, d);
        for part in parts {
            total
                .sums
                .iter_mut()
                .zip(&part.sums)
                .for_each(|(t, p)| *t += p);
            total
                .counts
                .iter_mut()
                .zip(&part.counts)
                .for_each(|(t, p)| *t += p);
        }
        total
    }
}

/// The assignment step of one algorithm.
pub(crate) enum Assigner {
    Lloyd,
    Hamerly(Bounds),
}

impl Assigner {
    /// Labels every row with its nearest centroid and returns the per-cluster sums and how
    /// many labels changed. Both variants add a chunk's rows in row order into per-chunk sums,
    /// so equal labels give bit-identical sums.
    pub(crate) fn assign(
        &mut self,
        rows: &Rows<'_>,
        centroids: &[f64],
        k: usize,
        labels: &mut [usize],
    ) -> (Sums, usize) {
        let d = rows.d();
        let parts: Vec<(Sums, usize)> = match self {
            Assigner::Lloyd => {
                let by_feature = Centroids::new(centroids, d);
                rows.values()
                    .par_chunks(CHUNK_ROWS * d)
                    .zip(labels.par_chunks_mut(CHUNK_ROWS))
                    .map(|(xs, labels)| {
                        let mut sums = Sums::zero(k, d);
                        let mut scratch = vec![0.0; k];
                        let mut changed = 0;
                        for (x, label) in xs.chunks_exact(d).zip(labels) {
                            let nearest = by_feature.nearest(x, &mut scratch).0;
                            changed += usize::from(nearest != *label);
                            *label = nearest;
                            sums.add(nearest, x);
                        }
                        (sums, changed)
                    })
                    .collect()
            }
            Assigner::Hamerly(bounds) => bounds.assign(rows, centroids, k, labels),
        };
        let changed = parts.iter().map(|p| p.1).sum();
        (
            Sums::total(parts.into_iter().map(|p| p.0).collect(), k, d),
            changed,
        )
    }

    /// Tells the bounds how far each centroid moved.
    pub(crate) fn centroids_moved(&mut self, old: &[f64], new: &[f64], d: usize, labels: &[usize]) {
        if let Assigner::Hamerly(bounds) = self {
            bounds.centroids_moved(old, new, d, labels);
        }
    }
}

/// New centroids as the means of their points. An empty cluster takes the point farthest
/// from its current centroid (that point leaves its own cluster's sum but keeps its label
/// until the next assignment), as scikit-learn's `_relocate_empty_clusters_dense` does.
/// Means are multiplied by the reciprocal count, as scikit-learn does, to stay bit-close to it.
pub(crate) fn update_centroids(
    rows: &Rows<'_>,
    old: &[f64],
    labels: &[usize],
    mut sums: Sums,
) -> Vec<f64> {
    let d = rows.d();
    let empty: Vec<usize> = (0..sums.counts.len())
        .filter(|&j| sums.counts[j] == 0)
        .collect();
    if !empty.is_empty() {
        for (&cluster, far) in empty
            .iter()
            .zip(farthest_points(rows, old, labels, empty.len()))
        {
            let x = rows.row(far);
            let from = labels[far];
            for (s, v) in sums.sums[from * d..(from + 1) * d].iter_mut().zip(x) {
                *s -= v;
            }
            sums.counts[from] -= 1;
            sums.sums[cluster * d..(cluster + 1) * d].copy_from_slice(x);
            sums.counts[cluster] = 1;
        }
    }
    let mut centroids = sums.sums;
    for (j, centroid) in centroids.chunks_exact_mut(d).enumerate() {
        if sums.counts[j] == 0 {
            // Only possible when a relocation emptied the cluster it took a point from.
            centroid.copy_from_slice(&old[j * d..(j + 1) * d]);
        } else {
            let alpha = 1.0 / sums.counts[j] as f64;
            centroid.iter_mut().for_each(|c| *c *= alpha);
        }
    }
    centroids
}

/// The `m` rows farthest from their assigned centroid, farthest first (ties: lowest index).
fn farthest_points(rows: &Rows<'_>, centroids: &[f64], labels: &[usize], m: usize) -> Vec<usize> {
    let d = rows.d();
    let mut far: Vec<(f64, usize)> = (0..rows.n())
        .into_par_iter()
        .map(|i| {
            (
                sq_dist(rows.row(i), &centroids[labels[i] * d..(labels[i] + 1) * d]),
                i,
            )
        })
        .collect();
    let by_distance = |a: &(f64, usize), b: &(f64, usize)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    let m = m.min(far.len());
    if m < far.len() {
        far.select_nth_unstable_by(m, by_distance);
        far.truncate(m);
    }
    far.sort_unstable_by(by_distance);
    far.into_iter().map(|(_, i)| i).collect()
}

/// Labels every row with its nearest centroid and returns the inertia of that labelling.
pub(crate) fn assign_labels(rows: &Rows<'_>, centroids: &[f64], labels: &mut [usize]) -> f64 {
    let d = rows.d();
    let by_feature = Centroids::new(centroids, d);
    let parts: Vec<f64> = rows
        .values()
        .par_chunks(CHUNK_ROWS * d)
        .zip(labels.par_chunks_mut(CHUNK_ROWS))
        .map(|(xs, labels)| {
            let mut scratch = vec![0.0; by_feature.k()];
            let mut inertia = 0.0;
            for (x, label) in xs.chunks_exact(d).zip(labels) {
                let (nearest, dist) = by_feature.nearest(x, &mut scratch);
                *label = nearest;
                inertia += dist;
            }
            inertia
        })
        .collect();
    parts.iter().sum()
}

/// Sum of squared distances from each row to the centroid of its label (chunk sums added in
/// chunk order; distances summed in feature order, as [`assign_labels`] does).
pub(crate) fn inertia(rows: &Rows<'_>, centroids: &[f64], labels: &[usize]) -> f64 {
    let d = rows.d();
    let parts: Vec<f64> = rows
        .values()
        .par_chunks(CHUNK_ROWS * d)
        .zip(labels.par_chunks(CHUNK_ROWS))
        .map(|(xs, labels)| {
            xs.chunks_exact(d)
                .zip(labels)
                .map(|(x, &l)| sq_dist_in_order(x, &centroids[l * d..(l + 1) * d]))
                .sum::<f64>()
        })
        .collect();
    parts.iter().sum()
}
