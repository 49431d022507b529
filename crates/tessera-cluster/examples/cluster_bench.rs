//! Benchmark driver for `bench/cluster.sh`: times this crate's k-means, mini-batch k-means and
//! silhouette on data written by `bench/cluster_sklearn.py` (raw little-endian f64, row-major)
//! and prints one JSON object per measurement.
//!
//! ```text
//! cargo run --release -p tessera-cluster --example cluster_bench -- kmeans data=FILE cols=8 k=8 seeds=20 [first_seed=0] runs=5 [init=FILE]
//! cargo run --release -p tessera-cluster --example cluster_bench -- minibatch data=FILE cols=8 k=8 batch=4096
//! cargo run --release -p tessera-cluster --example cluster_bench -- silhouette data=FILE labels=FILE cols=8 subset=20000
//! ```

use std::collections::HashMap;
use std::time::Instant;

use ndarray::{Array2, Axis};
use tessera_cluster::kmeans::{Algorithm, Init, KMeansParams};
use tessera_cluster::metrics::{silhouette, silhouette_sampled};
use tessera_cluster::minibatch::MiniBatchParams;

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_default();
    let options: HashMap<String, String> = args
        .filter_map(|a| {
            a.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect();
    let get = |key: &str, default: &str| {
        options
            .get(key)
            .cloned()
            .unwrap_or_else(|| default.to_string())
    };
    let number = |key: &str, default: usize| {
        get(key, &default.to_string())
            .parse::<usize>()
            .unwrap_or(default)
    };
    let cols = number("cols", 8);
    let data = read_matrix(&get("data", ""), cols);
    match mode.as_str() {
        "kmeans" => {
            let first = number("first_seed", 0) as u64;
            let seeds = first..first + number("seeds", 20) as u64;
            kmeans(
                &data,
                number("k", 8),
                seeds,
                number("runs", 5),
                options.get("init"),
            )
        }
        "minibatch" => minibatch(
            &data,
            number("k", 8),
            number("batch", 4096),
            number("runs", 3),
        ),
        "silhouette" => {
            let labels = read_labels(&get("labels", ""));
            silhouettes(&data, &labels, number("subset", 20_000));
        }
        other => eprintln!("unknown mode {other:?}: use kmeans, minibatch or silhouette"),
    }
}

/// Fits seeded by our k-means++ (one per seed), then `runs` fits from `init`.
fn kmeans(
    data: &Array2<f64>,
    k: usize,
    seeds: std::ops::Range<u64>,
    runs: usize,
    init: Option<&String>,
) {
    for algorithm in [Algorithm::Hamerly, Algorithm::Lloyd] {
        for seed in seeds.clone() {
            let params = KMeansParams {
                seed,
                algorithm,
                ..KMeansParams::new(k)
            };
            report("kmeans++", algorithm, data, &params);
        }
        if let Some(path) = init {
            let centroids = read_matrix(path, data.ncols());
            for _ in 0..runs {
                let params = KMeansParams {
                    init: Init::Centroids(centroids.clone()),
                    algorithm,
                    ..KMeansParams::new(k)
                };
                report("given_init", algorithm, data, &params);
            }
        }
    }
}

fn report(what: &str, algorithm: Algorithm, data: &Array2<f64>, params: &KMeansParams) {
    let start = Instant::now();
    let fit = params.fit(data.view()).unwrap_or_else(|e| panic!("{e}"));
    let seconds = start.elapsed().as_secs_f64();
    println!(
        r#"{{"bench":"kmeans","init":"{what}","algorithm":"{algorithm:?}","seed":{},"seconds":{seconds},"inertia":{},"n_iter":{}}}"#,
        params.seed, fit.inertia, fit.n_iter
    );
}

/// `runs` fits with scikit-learn's early stopping, one with a fixed budget of one epoch (n /
/// batch steps, no early stopping), and our full k-means for reference.
fn minibatch(data: &Array2<f64>, k: usize, batch: usize, runs: usize) {
    let epoch = data.nrows() / batch;
    let budgets = (0..runs as u64)
        .map(|seed| {
            (
                "early stopping",
                MiniBatchParams {
                    seed,
                    max_steps: 100 * epoch,
                    ..MiniBatchParams::new(k)
                },
            )
        })
        .chain([(
            "fixed",
            MiniBatchParams {
                max_steps: epoch,
                max_no_improvement: None,
                ..MiniBatchParams::new(k)
            },
        )]);
    for (budget, params) in budgets {
        let params = MiniBatchParams {
            batch_size: batch,
            ..params
        };
        let start = Instant::now();
        let fit = params.fit(data.view()).unwrap_or_else(|e| panic!("{e}"));
        let seconds = start.elapsed().as_secs_f64();
        println!(
            r#"{{"bench":"minibatch","budget":"{budget}","seed":{},"seconds":{seconds},"inertia":{},"n_steps":{}}}"#,
            params.seed, fit.inertia, fit.n_steps
        );
    }
    let start = Instant::now();
    let full = KMeansParams::new(k)
        .fit(data.view())
        .unwrap_or_else(|e| panic!("{e}"));
    println!(
        r#"{{"bench":"minibatch_reference_full_kmeans","seconds":{},"inertia":{},"n_iter":{}}}"#,
        start.elapsed().as_secs_f64(),
        full.inertia,
        full.n_iter
    );
}

fn silhouettes(data: &Array2<f64>, labels: &[i32], subset: usize) {
    let subset = subset.min(data.nrows());
    let (rows, _) = data.view().split_at(Axis(0), subset);
    let labels = &labels[..subset];
    let start = Instant::now();
    let exact = silhouette(rows, labels).unwrap_or_else(|e| panic!("{e}"));
    println!(
        r#"{{"bench":"silhouette_exact","n":{subset},"seconds":{},"value":{exact}}}"#,
        start.elapsed().as_secs_f64()
    );
    for size in [500, 1000, 2000, 5000] {
        let mut errors = Vec::new();
        let start = Instant::now();
        for seed in 0..20 {
            let sampled =
                silhouette_sampled(rows, labels, size, seed).unwrap_or_else(|e| panic!("{e}"));
            errors.push((sampled - exact).abs());
        }
        let seconds = start.elapsed().as_secs_f64() / 20.0;
        let mean = errors.iter().sum::<f64>() / errors.len() as f64;
        let max = errors.iter().copied().fold(0.0, f64::max);
        println!(
            r#"{{"bench":"silhouette_sampled","n":{subset},"sample":{size},"seeds":20,"seconds":{seconds},"mean_abs_error":{mean},"max_abs_error":{max}}}"#
        );
    }
}

fn read_matrix(path: &str, cols: usize) -> Array2<f64> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let values: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
        .collect();
    Array2::from_shape_vec((values.len() / cols, cols), values).unwrap_or_else(|e| panic!("{e}"))
}

fn read_labels(path: &str) -> Vec<i32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    bytes
        .chunks_exact(4)
        .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}
