//! "How many segments?": k-means over a range of k with every quality metric, and a
//! suggestion.
//!
//! The suggested k is the one with the highest mean silhouette (ties go to the smaller k).
//! Inertia always falls as k grows and Calinski–Harabasz tends to favour small k on elongated
//! data, while the silhouette compares each profile's cohesion with its separation from the
//! next segment and peaks where segments are both tight and distinct. The other columns are
//! reported so a person can overrule it.

use std::ops::RangeInclusive;

use ndarray::ArrayView2;

use crate::error::{invalid, Result};
use crate::kmeans::KMeansParams;
use crate::metrics::{calinski_harabasz, davies_bouldin, silhouette, silhouette_sampled};

/// How the silhouette column is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SilhouetteMode {
    /// All pairs: O(n²), fine to a few tens of thousands of rows.
    Exact,
    /// On `size` rows drawn with `seed` (the same sample for every k).
    Sampled { size: usize, seed: u64 },
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KScore {
    pub k: usize,
    pub inertia: f64,
    pub silhouette: f64,
    pub davies_bouldin: f64,
    pub calinski_harabasz: f64,
}

/// The table, in increasing k, and the suggested k.
#[derive(Debug, Clone, PartialEq)]
pub struct ChooseK {
    pub scores: Vec<KScore>,
    pub suggested_k: usize,
}

/// Fits `params` (its `k` replaced) for every k in `ks` and scores each fit. k starts at 2:
/// the metrics compare clusters with one another.
pub fn choose_k(
    data: ArrayView2<'_, f64>,
    ks: RangeInclusive<usize>,
    params: &KMeansParams,
    mode: SilhouetteMode,
) -> Result<ChooseK> {
    if *ks.start() < 2 || ks.is_empty() {
        return Err(invalid(
            "ks",
            "must be a non-empty range starting at 2 or more",
        ));
    }
    let mut scores = Vec::new();
    for k in ks {
        let fit = KMeansParams {
            k,
            ..params.clone()
        }
        .fit(data)?;
        let silhouette = match mode {
            SilhouetteMode::Exact => silhouette(data, &fit.labels)?,
            SilhouetteMode::Sampled { size, seed } => {
                silhouette_sampled(data, &fit.labels, size, seed)?
            }
        };
        scores.push(KScore {
            k,
            inertia: fit.inertia,
            silhouette,
            davies_bouldin: davies_bouldin(data, &fit.labels)?,
            calinski_harabasz: calinski_harabasz(data, &fit.labels)?,
        });
    }
    let suggested_k = scores
        .iter()
        .fold(None::<KScore>, |best, s| match best {
            Some(b) if b.silhouette >= s.silhouette => Some(b),
            _ => Some(*s),
        })
        .map_or(2, |s| s.k);
    Ok(ChooseK {
        scores,
        suggested_k,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn suggests_the_number_of_obvious_groups() {
        // Four tight groups at the corners of a square.
        let data = Array2::from_shape_fn((200, 2), |(i, j)| {
            let corner = [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0), (10.0, 10.0)][i % 4];
            let jitter = ((i * 13 + j * 7) % 11) as f64 * 0.05;
            if j == 0 {
                corner.0 + jitter
            } else {
                corner.1 + jitter
            }
        });
        let params = KMeansParams {
            n_init: 4,
            ..KMeansParams::new(2)
        };
        let table = choose_k(data.view(), 2..=6, &params, SilhouetteMode::Exact)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            table.scores.iter().map(|s| s.k).collect::<Vec<_>>(),
            vec![2, 3, 4, 5, 6]
        );
        assert_eq!(table.suggested_k, 4);
        assert!(table
            .scores
            .windows(2)
            .all(|w| w[0].inertia >= w[1].inertia));
    }

    #[test]
    fn refuses_k_below_two() {
        let data = Array2::zeros((10, 2));
        let err = choose_k(
            data.view(),
            1..=3,
            &KMeansParams::new(2),
            SilhouetteMode::Exact,
        );
        assert!(err.is_err());
    }
}
