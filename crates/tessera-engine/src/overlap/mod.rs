//! Overlap between audiences: pairwise intersection sizes and Jaccard indexes, computed from
//! bitmaps without materialising any intersection.

mod dense;

use rayon::prelude::*;
use roaring::RoaringBitmap;

/// Pairwise overlap of n audiences; all matrices are n × n and symmetric.
#[derive(Debug, Clone, PartialEq)]
pub struct OverlapMatrix {
    pub sizes: Vec<u64>,
    /// `intersections[i][j]` = |Sᵢ ∩ Sⱼ|; the diagonal holds the sizes.
    pub intersections: Vec<Vec<u64>>,
    /// `jaccard[i][j]` = |Sᵢ ∩ Sⱼ| / |Sᵢ ∪ Sⱼ|, and 0 when both are empty.
    pub jaccard: Vec<Vec<f64>>,
}

/// Sets holding at least 1/`DENSE_SHARE` of the values up to the largest among the sets are
/// counted as rows of bits. A row costs the same whatever it holds, while Roaring's arrays
/// (containers under 1/16 full) cost per value: below about half that density Roaring is the
/// cheaper of the two. Not tuned beyond that reasoning.
const DENSE_SHARE: u64 = 32;

/// Overlap of every pair of `sets`. Each pair costs one intersection size (the union size
/// follows from it and the two sizes), so n sets cost n(n-1)/2 cardinality-only ANDs: between
/// two large sets on rows of bits (`dense.rs`), otherwise Roaring's `intersection_len`, spread
/// over rayon's threads a row at a time.
pub fn overlap_matrix(sets: &[RoaringBitmap]) -> OverlapMatrix {
    let n = sets.len();
    let sizes: Vec<u64> = sets.iter().map(RoaringBitmap::len).collect();
    let universe = sets
        .iter()
        .filter_map(RoaringBitmap::max)
        .map(|max| u64::from(max) + 1)
        .max()
        .unwrap_or(0);
    // Position among the dense sets, for those that are.
    let mut dense_rank = vec![None; n];
    let dense_sets: Vec<&RoaringBitmap> = sets
        .iter()
        .enumerate()
        .filter(|(_, set)| !set.is_empty() && set.len() * DENSE_SHARE >= universe)
        .enumerate()
        .map(|(rank, (i, set))| {
            dense_rank[i] = Some(rank);
            set
        })
        .collect();
    let dense_counts = dense::DenseRows::new(&dense_sets).pair_counts();
    let m = dense_sets.len();
    // Where the pair (a, b), a < b, of dense sets is in `dense_counts`.
    let dense_pair = |a: usize, b: usize| a * (2 * m - a - 1) / 2 + (b - a - 1);
    // Row i holds |Sᵢ ∩ Sⱼ| for j ≥ i; rows shrink as i grows, so rayon's work stealing, not
    // an even split, keeps both cores busy.
    let upper: Vec<Vec<u64>> = (0..n)
        .into_par_iter()
        .map(|i| {
            (i..n)
                .map(|j| match (i == j, dense_rank[i], dense_rank[j]) {
                    (true, _, _) => sizes[i],
                    (false, Some(a), Some(b)) => dense_counts[dense_pair(a, b)],
                    _ => sets[i].intersection_len(&sets[j]),
                })
                .collect()
        })
        .collect();
    let mut intersections = vec![vec![0u64; n]; n];
    let mut jaccard = vec![vec![0f64; n]; n];
    for (i, row) in upper.iter().enumerate() {
        for (j, &both) in (i..n).zip(row) {
            let either = sizes[i] + sizes[j] - both;
            let index = if either == 0 {
                0.0
            } else {
                both as f64 / either as f64
            };
            intersections[i][j] = both;
            intersections[j][i] = both;
            jaccard[i][j] = index;
            jaccard[j][i] = index;
        }
    }
    OverlapMatrix {
        sizes,
        intersections,
        jaccard,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_sizes_intersections_and_jaccard() {
        let a: RoaringBitmap = (0..10).collect();
        let b: RoaringBitmap = (5..20).collect();
        let empty = RoaringBitmap::new();
        let m = overlap_matrix(&[a.clone(), b.clone(), empty]);
        assert_eq!(m.sizes, vec![10, 15, 0]);
        assert_eq!(m.intersections[0][1], 5);
        assert_eq!(m.intersections[1][0], 5);
        assert_eq!(m.intersections[1][1], 15);
        assert_eq!(m.intersections[2][0], 0);
        assert_eq!(m.jaccard[0][1], 5.0 / 20.0);
        assert_eq!(
            m.jaccard[0][1],
            a.intersection_len(&b) as f64 / a.union_len(&b) as f64
        );
        assert_eq!(m.jaccard[0][0], 1.0);
        assert_eq!(m.jaccard[2][2], 0.0);
    }

    /// Many sets, so that rows are split over threads, a third of them sparse, so that pairs
    /// take both ways (rows of bits, Roaring): every cell equals the pair's own intersection
    /// and union, in both triangles.
    #[test]
    fn every_cell_is_its_pair() {
        let sets: Vec<RoaringBitmap> = (0..23u32)
            .map(|k| {
                let members = (0..200_000u32).filter(|x| (x * (k + 3)) % (k + 7) < 3);
                match k % 3 {
                    0 => members.take(100).collect(),
                    _ => members.collect(),
                }
            })
            .collect();
        let dense = sets
            .iter()
            .filter(|s| s.len() * DENSE_SHARE >= 200_000)
            .count();
        assert!(dense > 10 && dense < 23, "{dense} dense sets");
        let m = overlap_matrix(&sets);
        for (i, a) in sets.iter().enumerate() {
            for (j, b) in sets.iter().enumerate() {
                assert_eq!(m.intersections[i][j], a.intersection_len(b), "({i}, {j})");
                let union = a.union_len(b);
                let expected = if union == 0 {
                    0.0
                } else {
                    a.intersection_len(b) as f64 / union as f64
                };
                assert_eq!(m.jaccard[i][j], expected, "({i}, {j})");
            }
        }
    }

    #[test]
    fn no_sets_no_matrix() {
        let m = overlap_matrix(&[]);
        assert!(m.sizes.is_empty() && m.intersections.is_empty() && m.jaccard.is_empty());
    }
}
