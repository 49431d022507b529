//! Greedy k-means++ seeding (Arthur & Vassilvitskii; greedy variant as in scikit-learn's
//! `_kmeans_plusplus`): the first centroid is a uniformly random row; each next one is the best
//! of `2 + ⌊ln k⌋` candidates drawn with probability proportional to the squared distance to
//! the nearest centroid so far, "best" meaning the lowest resulting potential.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::dense::{sq_dist, Rows, CHUNK_ROWS};

/// `k` initial centroids (`k × d`, row-major) drawn from the rows.
pub(crate) fn kmeans_plus_plus(rows: &Rows<'_>, k: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let (n, d) = (rows.n(), rows.d());
    let trials = 2 + (k as f64).ln() as usize;
    let mut centroids = Vec::with_capacity(k * d);
    let first = rng.random_range(0..n);
    centroids.extend_from_slice(rows.row(first));
    let mut closest: Vec<f64> = (0..n)
        .into_par_iter()
        .with_min_len(CHUNK_ROWS)
        .map(|i| sq_dist(rows.row(i), rows.row(first)))
        .collect();
    let mut potential = chunked_sum(&closest);
    let mut cumulative = vec![0.0; n];
    for _ in 1..k {
        let mut running = 0.0;
        for (c, v) in cumulative.iter_mut().zip(&closest) {
            running += v;
            *c = running;
        }
        let mut best: Option<(f64, usize)> = None;
        for _ in 0..trials {
            let target = rng.random::<f64>() * potential;
            // numpy's `searchsorted(cumsum, target)` (side "left"), clipped to the last row.
            let candidate = cumulative.partition_point(|&c| c < target).min(n - 1);
            let candidate_potential = potential_with(rows, &closest, candidate);
            if best.is_none_or(|(p, _)| candidate_potential < p) {
                best = Some((candidate_potential, candidate));
            }
        }
        let Some((best_potential, chosen)) = best else {
            break;
        };
        let x = rows.row(chosen);
        closest
            .par_iter_mut()
            .enumerate()
            .with_min_len(CHUNK_ROWS)
            .for_each(|(i, c)| {
                *c = c.min(sq_dist(rows.row(i), x));
            });
        potential = best_potential;
        centroids.extend_from_slice(x);
    }
    centroids
}

/// The potential (sum of squared distances to the nearest centroid) if `candidate` were added.
fn potential_with(rows: &Rows<'_>, closest: &[f64], candidate: usize) -> f64 {
    let x = rows.row(candidate);
    let d = rows.d();
    let parts: Vec<f64> = rows
        .values()
        .par_chunks(CHUNK_ROWS * d)
        .zip(closest.par_chunks(CHUNK_ROWS))
        .map(|(xs, closest)| {
            xs.chunks_exact(d)
                .zip(closest)
                .map(|(y, &c)| c.min(sq_dist(y, x)))
                .sum::<f64>()
        })
        .collect();
    parts.iter().sum()
}

/// A sum whose rounding does not depend on the number of threads.
fn chunked_sum(values: &[f64]) -> f64 {
    let parts: Vec<f64> = values
        .par_chunks(CHUNK_ROWS)
        .map(|c| c.iter().sum::<f64>())
        .collect();
    parts.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use rand::SeedableRng;

    #[test]
    fn picks_distinct_rows_when_the_data_has_distinct_groups() {
        let data = array![[0.0], [0.1], [5.0], [5.1], [10.0], [10.1]];
        let rows = Rows::new(data.view());
        for seed in 0..20 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut picked = kmeans_plus_plus(&rows, 3, &mut rng);
            picked.iter_mut().for_each(|c| *c = (*c / 5.0).round());
            picked.sort_by(f64::total_cmp);
            // With potential-minimising candidates, one seed per group every time.
            assert_eq!(picked, vec![0.0, 1.0, 2.0], "seed {seed}");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_centroids() {
        let data = array![[0.0, 1.0], [2.0, 3.0], [4.0, 1.0], [7.0, 7.0], [1.0, 9.0]];
        let rows = Rows::new(data.view());
        let run = |seed| kmeans_plus_plus(&rows, 3, &mut ChaCha8Rng::seed_from_u64(seed));
        assert_eq!(run(7), run(7));
    }
}
