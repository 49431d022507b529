//! Agglomerative (hierarchical) clustering with Ward, average, complete and single linkage,
//! reproducing SciPy's `linkage` (which scikit-learn's `AgglomerativeClustering` calls when
//! there is no connectivity constraint), so a cut at `k` clusters gives the same partition.
//!
//! Ward, average and complete use the nearest-neighbour chain over a condensed distance matrix
//! with Lance–Williams updates (SciPy's `nn_chain`, same tie rules): O(n²) time and
//! `n(n − 1)/2` doubles of memory (1.6 GB at 20,000 rows). Single linkage is Prim's minimum
//! spanning tree with distances computed on the fly: O(n²) time, O(n) memory.
//!
//! Larger data: cluster k-means centroids, weighted by cluster sizes ([`Dendrogram::build_weighted`]).
//! For Ward the weights make each centroid stand for its points, and a merge's cost is exactly
//! the increase in within-cluster sum of squares of the underlying points — provided
//! k-means's own clusters are kept whole. Average linkage treats a centroid as `w` copies of
//! one point; complete and single linkage ignore weights (a maximum or minimum does not
//! depend on multiplicity).

use ndarray::ArrayView2;
use rayon::prelude::*;

use crate::dense::{sq_dist_in_order, Rows};
use crate::error::{invalid, require_len, Error, Result};

/// Rows above which the condensed matrix (Ward, average, complete) is refused: 50,000 rows
/// already need 10 GB.
pub const MAX_MATRIX_ROWS: usize = 50_000;

/// How the distance between two clusters is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linkage {
    /// The increase in within-cluster sum of squares (reported as SciPy does, as a
    /// Euclidean-scale distance).
    Ward,
    /// Mean pairwise distance (UPGMA).
    Average,
    /// Largest pairwise distance.
    Complete,
    /// Smallest pairwise distance.
    Single,
}

/// One merge, in SciPy's linkage-matrix convention: clusters `0..n` are the rows, merge `i`
/// creates cluster `n + i`; `left < right`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Merge {
    pub left: usize,
    pub right: usize,
    pub distance: f64,
    /// Rows (or summed weights) in the new cluster.
    pub size: f64,
}

/// The full merge tree, merges sorted by distance.
#[derive(Debug, Clone, PartialEq)]
pub struct Dendrogram {
    n: usize,
    merges: Vec<Merge>,
}

/// Labels of `data` cut into `n_clusters` clusters; labels are numbered in order of first
/// appearance (scikit-learn's numbering differs, the partition is the same).
pub fn agglomerative(
    data: ArrayView2<'_, f64>,
    linkage: Linkage,
    n_clusters: usize,
) -> Result<Vec<usize>> {
    Dendrogram::build(data, linkage)?.cut(n_clusters)
}

impl Dendrogram {
    /// Builds the tree over the rows of `data`.
    pub fn build(data: ArrayView2<'_, f64>, linkage: Linkage) -> Result<Dendrogram> {
        let weights = vec![1.0; data.nrows()];
        Dendrogram::build_weighted(data, &weights, linkage)
    }

    /// Builds the tree over rows that each stand for `weights[i]` points (see the module
    /// documentation for what weights mean for each linkage).
    pub fn build_weighted(
        data: ArrayView2<'_, f64>,
        weights: &[f64],
        linkage: Linkage,
    ) -> Result<Dendrogram> {
        let rows = Rows::finite(data)?;
        rows.require_rows(1, "agglomerative clustering")?;
        require_len("weights", rows.n(), weights.len())?;
        if weights.iter().any(|w| !(*w > 0.0 && w.is_finite())) {
            return Err(invalid(
                "weights",
                "every weight must be a finite number > 0",
            ));
        }
        let executed = match linkage {
            Linkage::Single => minimum_spanning_tree(&rows),
            _ => {
                if rows.n() > MAX_MATRIX_ROWS {
                    return Err(Error::TooLarge {
                        reason: format!(
                            "{linkage:?} linkage keeps an n × n distance matrix and is limited to \
                             {MAX_MATRIX_ROWS} rows (got {}); cluster k-means centroids weighted \
                             by cluster size instead",
                            rows.n()
                        ),
                    });
                }
                nearest_neighbour_chain(&rows, weights, linkage)
            }
        };
        Ok(Dendrogram {
            n: rows.n(),
            merges: relabel(executed, rows.n(), weights),
        })
    }

    pub fn merges(&self) -> &[Merge] {
        &self.merges
    }

    /// The partition into `n_clusters` clusters: the one the first `n − n_clusters` merges
    /// make. Labels are numbered in order of first appearance.
    pub fn cut(&self, n_clusters: usize) -> Result<Vec<usize>> {
        if n_clusters == 0 || n_clusters > self.n {
            return Err(invalid(
                "n_clusters",
                format!("must be between 1 and the number of rows ({})", self.n),
            ));
        }
        let mut sets = DisjointSets::new(2 * self.n - 1);
        for (i, merge) in self.merges[..self.n - n_clusters].iter().enumerate() {
            sets.union_into(merge.left, self.n + i);
            sets.union_into(merge.right, self.n + i);
        }
        let mut label_of_root = vec![usize::MAX; 2 * self.n - 1];
        let mut next = 0;
        Ok((0..self.n)
            .map(|i| {
                let root = sets.find(i);
                if label_of_root[root] == usize::MAX {
                    label_of_root[root] = next;
                    next += 1;
                }
                label_of_root[root]
            })
            .collect())
    }
}

/// A merge as executed: the two clusters are named by a row each contains.
struct Executed {
    x: usize,
    y: usize,
    distance: f64,
}

/// SciPy's `nn_chain`. Slot `i` of the matrix holds the cluster containing row `i`; a merge of
/// slots `x < y` keeps the result in `y`.
fn nearest_neighbour_chain(rows: &Rows<'_>, weights: &[f64], linkage: Linkage) -> Vec<Executed> {
    let n = rows.n();
    let mut dist = condensed_distances(rows, weights, linkage);
    let at = |i: usize, j: usize| {
        let (i, j) = if i < j { (i, j) } else { (j, i) };
        n * i - i * (i + 1) / 2 + j - i - 1
    };
    let mut size = weights.to_vec();
    let mut chain: Vec<usize> = Vec::with_capacity(n);
    let mut merges = Vec::with_capacity(n.saturating_sub(1));
    for _ in 1..n {
        if chain.is_empty() {
            chain.extend((0..n).find(|&i| size[i] > 0.0));
        }
        let (x, y, current) = loop {
            let x = chain[chain.len() - 1];
            // Prefer the previous chain element on ties, so the chain cannot cycle.
            let previous = (chain.len() > 1).then(|| chain[chain.len() - 2]);
            let (mut y, mut current) = match previous {
                Some(p) => (p, dist[at(x, p)]),
                None => (x, f64::INFINITY),
            };
            for i in 0..n {
                if size[i] == 0.0 || i == x {
                    continue;
                }
                let d = dist[at(x, i)];
                if d < current {
                    current = d;
                    y = i;
                }
            }
            if previous == Some(y) {
                break (x, y, current);
            }
            chain.push(y);
        };
        chain.truncate(chain.len() - 2);
        let (x, y) = (x.min(y), x.max(y));
        let (nx, ny) = (size[x], size[y]);
        merges.push(Executed {
            x,
            y,
            distance: current,
        });
        size[x] = 0.0;
        size[y] = nx + ny;
        for i in 0..n {
            let ni = size[i];
            if ni == 0.0 || i == y {
                continue;
            }
            let (dxi, dyi) = (dist[at(i, x)], dist[at(i, y)]);
            dist[at(i, y)] = match linkage {
                Linkage::Ward => {
                    let t = 1.0 / (nx + ny + ni);
                    ((ni + nx) * t * dxi * dxi + (ni + ny) * t * dyi * dyi
                        - ni * t * current * current)
                        .sqrt()
                }
                Linkage::Average => (nx * dxi + ny * dyi) / (nx + ny),
                Linkage::Complete | Linkage::Single => dxi.max(dyi),
            };
        }
    }
    merges
}

/// Pairwise distances `i < j` in SciPy's condensed order, filled in parallel by row. For Ward
/// the distance between weighted rows is `sqrt(2 wᵢ wⱼ / (wᵢ + wⱼ)) · ‖xᵢ − xⱼ‖`, the Ward
/// distance of two clusters of those sizes (exactly the Euclidean distance when all weights
/// are 1).
fn condensed_distances(rows: &Rows<'_>, weights: &[f64], linkage: Linkage) -> Vec<f64> {
    let n = rows.n();
    let mut dist = vec![0.0; n * n.saturating_sub(1) / 2];
    let mut by_row = Vec::with_capacity(n);
    let mut rest = dist.as_mut_slice();
    for i in 0..n {
        let (row, tail) = rest.split_at_mut(n - 1 - i);
        by_row.push(row);
        rest = tail;
    }
    by_row.into_par_iter().enumerate().for_each(|(i, out)| {
        for (slot, j) in out.iter_mut().zip(i + 1..n) {
            let d = sq_dist_in_order(rows.row(i), rows.row(j)).sqrt();
            *slot = match linkage {
                Linkage::Ward => {
                    let (wi, wj) = (weights[i], weights[j]);
                    (2.0 * wi * wj / (wi + wj)).sqrt() * d
                }
                _ => d,
            };
        }
    });
    dist
}

/// SciPy's `mst_single_linkage` (Prim's algorithm), distances computed on the fly.
fn minimum_spanning_tree(rows: &Rows<'_>) -> Vec<Executed> {
    let n = rows.n();
    let mut in_tree = vec![false; n];
    let mut nearest = vec![f64::INFINITY; n];
    let mut merges = Vec::with_capacity(n.saturating_sub(1));
    let mut x = 0;
    for _ in 1..n {
        in_tree[x] = true;
        let xr = rows.row(x);
        let (y, current) = nearest
            .par_iter_mut()
            .enumerate()
            .with_min_len(1024)
            .filter(|(i, _)| !in_tree[*i])
            .map(|(i, best)| {
                let d = sq_dist_in_order(xr, rows.row(i)).sqrt();
                if *best > d {
                    *best = d;
                }
                (i, *best)
            })
            .reduce(
                || (usize::MAX, f64::INFINITY),
                |a, b| {
                    if b.1 < a.1 || (b.1 == a.1 && b.0 < a.0) {
                        b
                    } else {
                        a
                    }
                },
            );
        merges.push(Executed {
            x,
            y,
            distance: current,
        });
        x = y;
    }
    merges
}

/// Sorts merges by distance (stably, so equal distances keep execution order) and names
/// clusters in SciPy's convention (SciPy's `label`).
fn relabel(mut executed: Vec<Executed>, n: usize, weights: &[f64]) -> Vec<Merge> {
    executed.sort_by(|a, b| a.distance.total_cmp(&b.distance));
    let mut sets = DisjointSets::new(2 * n.max(1) - 1);
    let mut size: Vec<f64> = weights.to_vec();
    size.resize(2 * n.max(1) - 1, 0.0);
    executed
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let (a, b) = (sets.find(e.x), sets.find(e.y));
            let (left, right) = (a.min(b), a.max(b));
            size[n + i] = size[a] + size[b];
            sets.union_into(a, n + i);
            sets.union_into(b, n + i);
            Merge {
                left,
                right,
                distance: e.distance,
                size: size[n + i],
            }
        })
        .collect()
}

/// Union–find where merging always makes the new cluster id the root.
struct DisjointSets {
    parent: Vec<usize>,
}

impl DisjointSets {
    fn new(n: usize) -> Self {
        DisjointSets {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, mut i: usize) -> usize {
        let mut root = i;
        while self.parent[root] != root {
            root = self.parent[root];
        }
        while self.parent[i] != root {
            let next = self.parent[i];
            self.parent[i] = root;
            i = next;
        }
        root
    }

    fn union_into(&mut self, member: usize, root: usize) {
        let r = self.find(member);
        self.parent[r] = root;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn merges_follow_scipy_conventions() {
        // Rows 0 and 1 are closest (1), then 2 joins them, 3 stays far.
        let data = array![[0.0], [1.0], [3.0], [10.0]];
        let tree =
            Dendrogram::build(data.view(), Linkage::Complete).unwrap_or_else(|e| panic!("{e}"));
        let summary: Vec<_> = tree
            .merges()
            .iter()
            .map(|m| (m.left, m.right, m.distance, m.size))
            .collect();
        assert_eq!(
            summary,
            vec![(0, 1, 1.0, 2.0), (2, 4, 3.0, 3.0), (3, 5, 10.0, 4.0)]
        );
        assert_eq!(tree.cut(2).ok(), Some(vec![0, 0, 0, 1]));
        assert_eq!(tree.cut(4).ok(), Some(vec![0, 1, 2, 3]));
        assert!(tree.cut(0).is_err() && tree.cut(5).is_err());
    }

    #[test]
    fn each_linkage_measures_cluster_distance_its_own_way() {
        // {0, 1} then 3: single 2, complete 3, average 2.5, Ward sqrt(2·1·2/3)·2.5 ≈ 2.886751.
        let data = array![[0.0], [1.0], [3.0]];
        let last = |linkage| {
            let tree = Dendrogram::build(data.view(), linkage).unwrap_or_else(|e| panic!("{e}"));
            tree.merges()[1].distance
        };
        assert_eq!(last(Linkage::Single), 2.0);
        assert_eq!(last(Linkage::Complete), 3.0);
        assert_eq!(last(Linkage::Average), 2.5);
        assert!((last(Linkage::Ward) - (4.0f64 / 3.0).sqrt() * 2.5).abs() < 1e-12);
    }

    #[test]
    fn weighted_ward_equals_ward_on_the_repeated_points() {
        // Centroid 0.5 standing for {0, 1} and 5.0 for {4, 5, 6}: the weighted merge cost
        // equals the Ward merge cost of those exact clusters in the unweighted tree.
        let points = array![[0.0], [1.0], [4.0], [5.0], [6.0]];
        let full =
            Dendrogram::build(points.view(), Linkage::Ward).unwrap_or_else(|e| panic!("{e}"));
        let centroids = array![[0.5], [5.0]];
        let weighted = Dendrogram::build_weighted(centroids.view(), &[2.0, 3.0], Linkage::Ward)
            .unwrap_or_else(|e| panic!("{e}"));
        let top = full.merges().last().map(|m| m.distance).unwrap_or_default();
        assert!((weighted.merges()[0].distance - top).abs() < 1e-12);
        assert_eq!(weighted.merges()[0].size, 5.0);
    }

    #[test]
    fn refuses_bad_weights() {
        let data = array![[0.0], [1.0]];
        assert!(Dendrogram::build_weighted(data.view(), &[1.0], Linkage::Ward).is_err());
        assert!(Dendrogram::build_weighted(data.view(), &[1.0, 0.0], Linkage::Ward).is_err());
    }
}
