//! An in-memory disjoint-set forest over `0..n`, for grouping records that share keys.

/// Disjoint sets with path compression and union by size: `find` and `union` take amortised
/// near-constant time. Results are deterministic: on equal sizes the smaller index becomes the
/// root, and [`UnionFind::groups`] is sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnionFind {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl UnionFind {
    /// `n` singleton sets `{0}`, …, `{n - 1}`.
    pub fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n).collect(),
            size: vec![1; n],
        }
    }

    /// Adds a new singleton set and returns its element.
    pub fn push(&mut self) -> usize {
        self.parent.push(self.parent.len());
        self.size.push(1);
        self.parent.len() - 1
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// The representative of `x`'s set. Panics if `x` is not an element.
    pub fn find(&mut self, x: usize) -> usize {
        let mut root = x;
        while self.parent[root] != root {
            root = self.parent[root];
        }
        // Second pass: point every node on the path straight at the root.
        let mut node = x;
        while self.parent[node] != root {
            let next = self.parent[node];
            self.parent[node] = root;
            node = next;
        }
        root
    }

    /// Joins the sets of `a` and `b`; `false` if they were already one set.
    pub fn union(&mut self, a: usize, b: usize) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (root, child) = match self.size[ra].cmp(&self.size[rb]) {
            std::cmp::Ordering::Greater => (ra, rb),
            std::cmp::Ordering::Less => (rb, ra),
            std::cmp::Ordering::Equal => (ra.min(rb), ra.max(rb)),
        };
        self.parent[child] = root;
        self.size[root] += self.size[child];
        true
    }

    /// Whether `a` and `b` are in one set.
    pub fn same(&mut self, a: usize, b: usize) -> bool {
        self.find(a) == self.find(b)
    }

    /// The size of `x`'s set.
    pub fn set_size(&mut self, x: usize) -> usize {
        let root = self.find(x);
        self.size[root]
    }

    /// Every set, each sorted ascending, ordered by smallest element.
    pub fn groups(&mut self) -> Vec<Vec<usize>> {
        let mut index_of_root = vec![usize::MAX; self.len()];
        let mut groups: Vec<Vec<usize>> = Vec::new();
        // Visiting elements in order makes each group sorted and orders groups by their
        // smallest element, without a sort.
        for x in 0..self.len() {
            let root = self.find(x);
            if index_of_root[root] == usize::MAX {
                index_of_root[root] = groups.len();
                groups.push(Vec::new());
            }
            groups[index_of_root[root]].push(x);
        }
        groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn unions_join_sets() {
        let mut uf = UnionFind::new(6);
        assert!(uf.union(0, 3));
        assert!(uf.union(4, 3));
        assert!(!uf.union(0, 4), "already joined");
        assert!(uf.same(0, 4));
        assert!(!uf.same(0, 1));
        assert_eq!(uf.set_size(3), 3);
        let six = uf.push();
        uf.union(six, 1);
        assert_eq!(
            uf.groups(),
            vec![vec![0, 3, 4], vec![1, 6], vec![2], vec![5]]
        );
        assert_eq!(uf.len(), 7);
        assert!(UnionFind::default().is_empty());
    }

    /// Connected components by repeated relabelling until nothing changes: slow and obviously
    /// right.
    fn brute_force(n: usize, edges: &[(usize, usize)]) -> Vec<Vec<usize>> {
        let mut label: Vec<usize> = (0..n).collect();
        loop {
            let mut changed = false;
            for &(a, b) in edges {
                let low = label[a].min(label[b]);
                if label[a] != low || label[b] != low {
                    label[a] = low;
                    label[b] = low;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for root in 0..n {
            let members: Vec<usize> = (0..n).filter(|&x| label[x] == root).collect();
            if !members.is_empty() {
                groups.push(members);
            }
        }
        groups
    }

    proptest! {
        #[test]
        fn matches_brute_force_components(
            n in 1usize..40,
            raw in proptest::collection::vec((0usize..40, 0usize..40), 0..60),
        ) {
            let edges: Vec<(usize, usize)> = raw.into_iter().map(|(a, b)| (a % n, b % n)).collect();
            let mut uf = UnionFind::new(n);
            for &(a, b) in &edges {
                uf.union(a, b);
            }
            prop_assert_eq!(uf.groups(), brute_force(n, &edges));
        }
    }
}
