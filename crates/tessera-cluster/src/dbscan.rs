//! DBSCAN with scikit-learn's semantics: a row is a core point when at least `min_samples`
//! rows (itself included) lie within `eps` (inclusive); clusters grow from core points in
//! index order, so cluster 0 is the one containing the lowest-index core point, and a border
//! point belongs to the first cluster that reaches it; everything else is noise (`-1`).
//!
//! Neighbourhoods come from a k-d tree, queried in parallel; only core points' neighbourhoods
//! are kept, since only they are expanded.

use ndarray::ArrayView2;
use rayon::prelude::*;

use crate::dense::Rows;
use crate::error::{invalid, Error, Result};
use crate::kdtree::KdTree;

/// The label of a row that belongs to no cluster.
pub const NOISE: i64 = -1;

/// What to run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DbscanParams {
    /// Neighbourhood radius (Euclidean, inclusive).
    pub eps: f64,
    /// Rows within `eps`, counting the row itself, that make it a core point.
    pub min_samples: usize,
}

/// A DBSCAN result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dbscan {
    /// Cluster of each row, `0..n_clusters`, or [`NOISE`].
    pub labels: Vec<i64>,
    /// Whether each row is a core point.
    pub core: Vec<bool>,
    pub n_clusters: usize,
}

impl Dbscan {
    pub fn n_noise(&self) -> usize {
        self.labels.iter().filter(|&&l| l == NOISE).count()
    }
}

impl DbscanParams {
    pub fn new(eps: f64, min_samples: usize) -> Self {
        DbscanParams { eps, min_samples }
    }

    pub fn fit(&self, data: ArrayView2<'_, f64>) -> Result<Dbscan> {
        if !(self.eps > 0.0 && self.eps.is_finite()) {
            return Err(invalid("eps", "must be a finite number > 0"));
        }
        if self.min_samples == 0 {
            return Err(invalid("min_samples", "must be at least 1"));
        }
        let rows = Rows::finite(data)?;
        let n = rows.n();
        if u32::try_from(n).is_err() {
            return Err(Error::TooLarge {
                reason: format!("DBSCAN handles at most {} rows, got {n}", u32::MAX),
            });
        }
        let tree = KdTree::new(&rows);
        let r2 = self.eps * self.eps;
        let neighbourhoods: Vec<Option<Box<[u32]>>> = (0..n)
            .into_par_iter()
            .with_min_len(256)
            .map_init(Vec::new, |found, i| {
                found.clear();
                tree.within(rows.row(i), r2, found);
                (found.len() >= self.min_samples).then(|| found.as_slice().into())
            })
            .collect();
        Ok(expand(&neighbourhoods))
    }
}

/// scikit-learn's `dbscan_inner`: depth-first expansion from each unlabelled core point in
/// index order.
fn expand(neighbourhoods: &[Option<Box<[u32]>>]) -> Dbscan {
    let n = neighbourhoods.len();
    let mut labels = vec![NOISE; n];
    let mut n_clusters = 0;
    let mut stack = Vec::new();
    for seed in 0..n {
        if labels[seed] != NOISE || neighbourhoods[seed].is_none() {
            continue;
        }
        let cluster = n_clusters as i64;
        stack.push(seed as u32);
        while let Some(i) = stack.pop() {
            let i = i as usize;
            if labels[i] != NOISE {
                continue;
            }
            labels[i] = cluster;
            if let Some(neighbours) = &neighbourhoods[i] {
                stack.extend(neighbours.iter().filter(|&&j| labels[j as usize] == NOISE));
            }
        }
        n_clusters += 1;
    }
    let core = neighbourhoods.iter().map(Option::is_some).collect();
    Dbscan {
        labels,
        core,
        n_clusters,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn core_border_and_noise() {
        // Two dense groups, a border point within reach of the second, and a far outlier.
        let data = array![[0.0], [0.5], [1.0], [5.0], [5.5], [6.0], [7.0], [20.0]];
        let fit = DbscanParams::new(1.0, 3)
            .fit(data.view())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fit.labels, vec![0, 0, 0, 1, 1, 1, 1, NOISE]);
        // 0.0 has {0, 0.5, 1.0}: exactly 3 with the inclusive radius; 7.0 has only {6, 7}.
        assert_eq!(
            fit.core,
            vec![true, true, true, true, true, true, false, false]
        );
        assert_eq!((fit.n_clusters, fit.n_noise()), (2, 1));
    }

    #[test]
    fn a_border_point_goes_to_the_first_cluster_that_reaches_it() {
        // 0.0 has only 3 neighbours (not core) but touches the core points -1 and 1 of two
        // clusters; each core has its two outer points, 0.0 and itself: 4 = min_samples.
        let params = DbscanParams::new(1.0, 4);
        let right_first = array![[1.0], [1.9], [1.9], [-1.0], [-1.9], [-1.9], [0.0]];
        let fit = params
            .fit(right_first.view())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fit.labels, vec![0, 0, 0, 1, 1, 1, 0]);
        assert_eq!(
            fit.core,
            vec![true, false, false, true, false, false, false]
        );
        let left_first = array![[-1.0], [-1.9], [-1.9], [1.0], [1.9], [1.9], [0.0]];
        let fit = params
            .fit(left_first.view())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fit.labels, vec![0, 0, 0, 1, 1, 1, 0]);
    }

    #[test]
    fn refuses_bad_parameters() {
        let data = array![[0.0]];
        assert!(DbscanParams::new(0.0, 3).fit(data.view()).is_err());
        assert!(DbscanParams::new(f64::NAN, 3).fit(data.view()).is_err());
        assert!(DbscanParams::new(1.0, 0).fit(data.view()).is_err());
    }
}
