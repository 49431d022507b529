//! A static k-d tree for fixed-radius neighbourhood queries (DBSCAN).
//!
//! Exactness matters more than tuning here: a query reports every row whose squared distance,
//! summed in feature order ([`sq_dist_in_order`]), is `<= r²` — the comparison scikit-learn's
//! tree makes. Pruning only discards a subtree when the gap along the split dimension alone
//! exceeds the radius, and a sum of non-negative terms rounds to at least any one of its
//! terms, so no point on the boundary is ever lost to rounding.

use crate::dense::{sq_dist_in_order, Rows};

/// Rows per leaf: small enough to prune well, large enough that leaf scans dominate.
const LEAF_SIZE: usize = 24;

enum Node {
    /// Rows `order[start..end]`.
    Leaf { start: usize, end: usize },
    /// Rows with `x[dim] <= value` are under `left`, `>= value` under `right`.
    Split {
        dim: usize,
        value: f64,
        left: usize,
        right: usize,
    },
}

pub(crate) struct KdTree<'a> {
    rows: &'a Rows<'a>,
    order: Vec<u32>,
    nodes: Vec<Node>,
}

impl<'a> KdTree<'a> {
    /// Builds the tree by median splits on the dimension of widest spread. Rows are
    /// identified by `u32` (callers check `n <= u32::MAX`).
    pub(crate) fn new(rows: &'a Rows<'a>) -> Self {
        let mut tree = KdTree {
            rows,
            order: (0..rows.n() as u32).collect(),
            nodes: Vec::new(),
        };
        if rows.n() > 0 {
            tree.build(0, rows.n());
        }
        tree
    }

    fn build(&mut self, start: usize, end: usize) -> usize {
        let id = self.nodes.len();
        if end - start <= LEAF_SIZE {
            self.nodes.push(Node::Leaf { start, end });
            return id;
        }
        let dim = self.widest_dimension(start, end);
        let rows = self.rows;
        let coordinate = |i: &u32| rows.row(*i as usize)[dim];
        let middle = (end - start) / 2;
        self.order[start..end]
            .select_nth_unstable_by(middle, |a, b| coordinate(a).total_cmp(&coordinate(b)));
        let value = coordinate(&self.order[start + middle]);
        self.nodes.push(Node::Split {
            dim,
            value,
            left: 0,
            right: 0,
        });
        let left = self.build(start, start + middle);
        let right = self.build(start + middle, end);
        self.nodes[id] = Node::Split {
            dim,
            value,
            left,
            right,
        };
        id
    }

    fn widest_dimension(&self, start: usize, end: usize) -> usize {
        let d = self.rows.d();
        let mut lo = vec![f64::INFINITY; d];
        let mut hi = vec![f64::NEG_INFINITY; d];
        for &i in &self.order[start..end] {
            for (j, &v) in self.rows.row(i as usize).iter().enumerate() {
                lo[j] = lo[j].min(v);
                hi[j] = hi[j].max(v);
            }
        }
        (0..d)
            .max_by(|&a, &b| (hi[a] - lo[a]).total_cmp(&(hi[b] - lo[b])))
            .unwrap_or(0)
    }

    /// Appends to `out` every row within squared distance `r2` of `x` (itself included when
    /// `x` is a row), in no particular order.
    pub(crate) fn within(&self, x: &[f64], r2: f64, out: &mut Vec<u32>) {
        if self.nodes.is_empty() {
            return;
        }
        let mut stack = vec![0usize];
        while let Some(id) = stack.pop() {
            match self.nodes[id] {
                Node::Leaf { start, end } => {
                    for &i in &self.order[start..end] {
                        if sq_dist_in_order(x, self.rows.row(i as usize)) <= r2 {
                            out.push(i);
                        }
                    }
                }
                Node::Split {
                    dim,
                    value,
                    left,
                    right,
                } => {
                    let gap = x[dim] - value;
                    let (near, far) = if gap <= 0.0 {
                        (left, right)
                    } else {
                        (right, left)
                    };
                    if gap * gap <= r2 {
                        stack.push(far);
                    }
                    stack.push(near);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn finds_exactly_the_brute_force_neighbours() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        // Coordinates on a coarse grid, so many pairs sit exactly on the radius.
        let data = Array2::from_shape_fn((500, 3), |_| rng.random_range(0..10) as f64 * 0.1);
        let rows = Rows::new(data.view());
        let tree = KdTree::new(&rows);
        for r in [0.1, 0.2, 0.3] {
            let r2: f64 = r * r;
            for i in (0..500).step_by(7) {
                let mut found = Vec::new();
                tree.within(rows.row(i), r2, &mut found);
                found.sort_unstable();
                let expected: Vec<u32> = (0..500u32)
                    .filter(|&j| sq_dist_in_order(rows.row(i), rows.row(j as usize)) <= r2)
                    .collect();
                assert_eq!(found, expected, "row {i}, radius {r}");
            }
        }
    }
}
