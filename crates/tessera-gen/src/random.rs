//! The random source and the few distributions the behaviour model draws from.
//!
//! The distributions are written here rather than taken from `rand_distr` so that the bytes a
//! seed produces depend only on this crate and on ChaCha, not on another crate's algorithms.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub type GenRng = ChaCha8Rng;

/// The generator for one customer: stream `index` of the run's seed. Every customer draws from
/// an independent stream, so customer 17 is the same person whether the run has 20 or 20 million
/// customers, and no state carries from one customer to the next.
pub fn customer_rng(seed: u64, index: u64) -> GenRng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    rng
}

/// A generator for data shared by the whole run (the product catalogue), independent of the
/// customer streams.
pub fn fixed_rng(label: u64) -> GenRng {
    ChaCha8Rng::seed_from_u64(0x7e55_e4a0_0000_0000 ^ label)
}

/// Uniform in `[0, 1)`.
pub fn unit(rng: &mut GenRng) -> f64 {
    rng.random::<f64>()
}

/// True with probability `p` (clamped to `[0, 1]`).
pub fn chance(rng: &mut GenRng, p: f64) -> bool {
    unit(rng) < p
}

/// Uniform in `[low, high)`.
pub fn uniform(rng: &mut GenRng, low: f64, high: f64) -> f64 {
    low + (high - low) * unit(rng)
}

/// Uniform integer in `[low, high]`.
pub fn int(rng: &mut GenRng, low: i64, high: i64) -> i64 {
    rng.random_range(low..=high)
}

/// Standard normal (Box–Muller).
pub fn normal(rng: &mut GenRng) -> f64 {
    let u1 = 1.0 - unit(rng);
    let u2 = unit(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Log-normal with the given median and shape: `median * exp(sigma * N(0, 1))`.
pub fn lognormal(rng: &mut GenRng, median: f64, sigma: f64) -> f64 {
    median * (sigma * normal(rng)).exp()
}

/// Log-normal scaled to have mean 1, for multiplicative heterogeneity between customers.
pub fn spread(rng: &mut GenRng, sigma: f64) -> f64 {
    lognormal(rng, (-sigma * sigma / 2.0).exp(), sigma)
}

/// Poisson count with mean `lambda`.
pub fn poisson(rng: &mut GenRng, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 30.0 {
        // The normal approximation is good here and avoids Knuth's O(lambda) loop.
        return (lambda + lambda.sqrt() * normal(rng)).round().max(0.0) as u32;
    }
    let limit = (-lambda).exp();
    let mut product = unit(rng);
    let mut count = 0;
    while product > limit {
        product *= unit(rng);
        count += 1;
    }
    count
}

/// Exponential with the given mean.
pub fn exponential(rng: &mut GenRng, mean: f64) -> f64 {
    -mean * (1.0 - unit(rng)).ln()
}

/// An index drawn with probability proportional to `weights` (all non-negative, not all zero).
pub fn weighted(rng: &mut GenRng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut target = unit(rng) * total;
    for (i, w) in weights.iter().enumerate() {
        if target < *w {
            return i;
        }
        target -= w;
    }
    weights.len() - 1
}

/// An index into a table of cumulative weights (ascending, last = total).
pub fn cumulative(rng: &mut GenRng, cumulative: &[f64]) -> usize {
    let target = unit(rng) * cumulative.last().copied().unwrap_or(0.0);
    cumulative
        .partition_point(|c| *c <= target)
        .min(cumulative.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_independent_of_the_run_size() {
        let a: Vec<u64> = (0..4).map(|_| customer_rng(42, 17).random()).collect();
        let mut r = customer_rng(42, 17);
        let b: Vec<u64> = (0..4).map(|_| r.random()).collect();
        assert_eq!(a[0], b[0]);
        assert_ne!(
            customer_rng(42, 17).random::<u64>(),
            customer_rng(42, 18).random::<u64>()
        );
        assert_ne!(
            customer_rng(42, 17).random::<u64>(),
            customer_rng(43, 17).random::<u64>()
        );
    }

    #[test]
    fn distributions_have_the_intended_means() {
        let mut rng = fixed_rng(1);
        let n = 20_000;
        let mean = |f: &mut dyn FnMut() -> f64| (0..n).map(|_| f()).sum::<f64>() / n as f64;
        let p = mean(&mut || f64::from(poisson(&mut rng, 3.5)));
        assert!((p - 3.5).abs() < 0.1, "poisson mean {p}");
        let s = mean(&mut || spread(&mut rng, 0.8));
        assert!((s - 1.0).abs() < 0.05, "spread mean {s}");
        let e = mean(&mut || exponential(&mut rng, 2.0));
        assert!((e - 2.0).abs() < 0.1, "exponential mean {e}");
        let w = mean(&mut || weighted(&mut rng, &[1.0, 0.0, 3.0]) as f64);
        assert!((w - 1.5).abs() < 0.05, "weighted mean {w}");
        let c = mean(&mut || cumulative(&mut rng, &[1.0, 1.0, 4.0]) as f64);
        assert!((c - 1.5).abs() < 0.05, "cumulative mean {c}");
    }
}
