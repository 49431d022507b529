//! Hamerly's accelerated assignment, made to agree bit for bit with Lloyd's.
//!
//! Each point keeps an upper bound `u` on the distance to its centroid and a lower bound `l`
//! on the distance to every other centroid. If `u < max(l, s(a))`, where `s(a)` is half the
//! distance from its centroid `a` to the nearest other centroid, the triangle inequality proves
//! no other centroid is nearer and the point is skipped.
//!
//! Why the labels are exactly Lloyd's: bounds are only ever loosened by a relative [`SLACK`]
//! (1e-9, a million times larger than the rounding of any distance or bound update), and a point
//! is skipped only on a *strict* inequality. So a skip proves every other centroid is farther
//! by a margin no rounding can erase, and Lloyd's `argmin` over the computed distances would
//! pick the same centroid. Points that are not skipped are labelled by the same full scan
//! (same kernel, same lowest-index tie rule) that Lloyd uses.

use rayon::prelude::*;

use super::step::Sums;
use crate::dense::{sq_dist, Centroids, Rows, CHUNK_ROWS};

/// Relative loosening applied to every bound; see the module documentation.
const SLACK: f64 = 1e-9;

/// The per-point bounds, valid for the centroids of the previous assignment once
/// `centroids_moved` has been told how they moved.
pub(crate) struct Bounds {
    upper: Vec<f64>,
    lower: Vec<f64>,
    initialized: bool,
}

impl Bounds {
    pub(crate) fn new(n: usize) -> Self {
        Bounds {
            upper: vec![0.0; n],
            lower: vec![0.0; n],
            initialized: false,
        }
    }

    /// Labels every row, skipping those whose bounds prove the label unchanged, and returns
    /// each chunk's sums and number of changed labels, in chunk order.
    pub(crate) fn assign(
        &mut self,
        rows: &Rows<'_>,
        centroids: &[f64],
        k: usize,
        labels: &mut [usize],
    ) -> Vec<(Sums, usize)> {
        let d = rows.d();
        let half_gap = half_gaps(centroids, k, d);
        let by_feature = Centroids::new(centroids, d);
        let initialized = self.initialized;
        self.initialized = true;
        rows.values()
            .par_chunks(CHUNK_ROWS * d)
            .zip(labels.par_chunks_mut(CHUNK_ROWS))
            .zip(self.upper.par_chunks_mut(CHUNK_ROWS))
            .zip(self.lower.par_chunks_mut(CHUNK_ROWS))
            .map(|(((xs, labels), upper), lower)| {
                let mut sums = Sums::zero(k, d);
                let mut scratch = vec![0.0; k];
                let mut changed = 0;
                let points = xs.chunks_exact(d).zip(labels).zip(upper).zip(lower);
                for (((x, label), u), l) in points {
                    if !initialized {
                        (*label, *u, *l) = full_scan(x, &by_feature, &mut scratch);
                        changed += 1;
                    } else {
                        let bound = l.max(half_gap[*label]);
                        if *u >= bound {
                            let a = *label;
                            *u = sq_dist(x, &centroids[a * d..(a + 1) * d]).sqrt() * (1.0 + SLACK);
                            if *u >= bound {
                                let before = *label;
                                (*label, *u, *l) = full_scan(x, &by_feature, &mut scratch);
                                changed += usize::from(*label != before);
                            }
                        }
                    }
                    sums.add(*label, x);
                }
                (sums, changed)
            })
            .collect()
    }

    /// Loosens the bounds by how far the centroids moved: the distance to a point's own
    /// centroid grows by at most that centroid's move, the distance to any other shrinks by
    /// at most the largest move.
    pub(crate) fn centroids_moved(&mut self, old: &[f64], new: &[f64], d: usize, labels: &[usize]) {
        let moved: Vec<f64> = old
            .chunks_exact(d)
            .zip(new.chunks_exact(d))
            .map(|(o, n)| sq_dist(o, n).sqrt() * (1.0 + SLACK))
            .collect();
        let max_moved = moved.iter().copied().fold(0.0, f64::max);
        if max_moved == 0.0 {
            return;
        }
        self.upper
            .par_iter_mut()
            .zip(self.lower.par_iter_mut())
            .zip(labels.par_iter())
            .with_min_len(CHUNK_ROWS)
            .for_each(|((u, l), &a)| {
                *u = (*u + moved[a]) * (1.0 + SLACK);
                // An infinite lower bound (k = 1: there is no other centroid) stays infinite.
                if l.is_finite() {
                    *l = (*l - max_moved) - SLACK * (l.abs() + max_moved);
                }
            });
    }
}

/// Half the distance from each centroid to its nearest other centroid, loosened downwards.
fn half_gaps(centroids: &[f64], k: usize, d: usize) -> Vec<f64> {
    (0..k)
        .map(|j| {
            let cj = &centroids[j * d..(j + 1) * d];
            let nearest_other = (0..k)
                .filter(|&o| o != j)
                .map(|o| sq_dist(cj, &centroids[o * d..(o + 1) * d]))
                .fold(f64::INFINITY, f64::min);
            0.5 * nearest_other.sqrt() * (1.0 - SLACK)
        })
        .collect()
}

/// The nearest centroid (lowest index on ties, by the same kernel as Lloyd) with fresh
/// bounds: the distance to it and to the second nearest.
fn full_scan(x: &[f64], centroids: &Centroids, scratch: &mut [f64]) -> (usize, f64, f64) {
    centroids.distances(x, scratch);
    let (mut label, mut best, mut second) = (0, f64::INFINITY, f64::INFINITY);
    for (j, &dist) in scratch.iter().enumerate() {
        if dist < best {
            second = best;
            best = dist;
            label = j;
        } else if dist < second {
            second = dist;
        }
    }
    (
        label,
        best.sqrt() * (1.0 + SLACK),
        second.sqrt() * (1.0 - SLACK),
    )
}
