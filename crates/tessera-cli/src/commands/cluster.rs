//! `tessera cluster run|evaluate` (and `save`, in `cluster_save.rs`): profiles clustered on a feature set, the choose-k table and
//! the charts.

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use tessera_cluster::agglomerative::Linkage;
use tessera_cluster::choose_k::{choose_k, SilhouetteMode};
use tessera_cluster::kmeans::KMeansParams;
use tessera_cluster::pca::Pca;
use tessera_discover::chart::{save, ChooseKChart, Scatter};
use tessera_discover::clusters::{self, Algorithm, ClusterParams, SILHOUETTE_SAMPLE};
use tessera_discover::features::extract;

use super::discover::{check_output, feature_set, percent, snapshot, At};
use crate::table::Table;

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Cluster profiles on a feature set and print each cluster's size and distinguishing features.
    #[command(after_help = "Examples:
  tessera cluster run --features retail --k 6 --at 2026-11-01 --plot clusters.svg
  tessera cluster run --features features/rfm.toml --k-range 2..8      # k with the best silhouette
  tessera cluster run --features retail --algorithm dbscan --eps 1.5 --min-samples 10
  tessera cluster run --features retail --k 5 --members-out clusters.csv

Feature sets: a TOML file, features/NAME.toml, or a built-in name (retail); see docs/discovery.md.")]
    Run(RunArgs),
    /// Cluster as `run` does, and save every profile's cluster as a trait (and, with
    /// --segments, one segment definition per cluster), so clusters become segments.
    #[command(after_help = "Examples:
  tessera cluster save --features retail --k 6 --at 2026-11-01 --trait cluster_retail
  tessera cluster save --features retail --k 6 --trait cluster_retail --segments segments/ --replace
  tessera segment size --where 'cluster_retail = 3'

Profiles not clustered (DBSCAN noise, or dropped for a missing feature) get -1; profiles
created later have no value until the next save. See docs/discovery.md.")]
    Save(super::cluster_save::SaveArgs),
    /// Print the choose-k table (inertia, silhouette, Davies–Bouldin, Calinski–Harabasz) and chart it.
    #[command(after_help = "Example:
  tessera cluster evaluate --features retail --k-range 2..10 --at 2026-11-01 --plot choose-k.png")]
    Evaluate(EvaluateArgs),
}

#[derive(Debug, Args)]
pub struct FeaturesArg {
    /// A feature set: a TOML file, a name in features/, or a built-in set (retail).
    #[arg(long, value_name = "FILE_OR_NAME")]
    features: String,
    /// Seed of every random choice (k-means++ and sampling): the same seed, the same clusters.
    #[arg(long, default_value_t = 42)]
    pub(super) seed: u64,
    #[command(flatten)]
    at: At,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub(super) common: FeaturesArg,
    /// Number of clusters (k-means, mini-batch, agglomerative).
    #[arg(long, conflicts_with = "k_range")]
    k: Option<usize>,
    /// Try every k in A..B (inclusive) and use the one with the best silhouette.
    #[arg(long, value_name = "A..B")]
    k_range: Option<String>,
    #[arg(long, value_enum, default_value = "kmeans")]
    algorithm: AlgorithmArg,
    /// DBSCAN: neighbourhood radius in scaled units.
    #[arg(long)]
    eps: Option<f64>,
    /// DBSCAN: neighbours (the point included) that make a core point.
    #[arg(long)]
    min_samples: Option<usize>,
    /// Agglomerative: how cluster distances are measured.
    #[arg(long, value_enum)]
    linkage: Option<LinkageArg>,
    /// Distinguishing features shown per cluster.
    #[arg(long, default_value_t = 3)]
    top: usize,
    /// Write a PCA scatter of the profiles coloured by cluster (.svg or .png).
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
    /// Write `profile_id,cluster` for every clustered profile (CSV).
    #[arg(long, value_name = "FILE")]
    members_out: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    #[command(flatten)]
    common: FeaturesArg,
    /// The values of k to try, A..B inclusive.
    #[arg(long, value_name = "A..B", default_value = "2..10")]
    k_range: String,
    /// Write the elbow and silhouette chart (.svg or .png).
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum AlgorithmArg {
    Kmeans,
    Minibatch,
    Dbscan,
    Agglomerative,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LinkageArg {
    Ward,
    Average,
    Complete,
    Single,
}

pub fn run(data: &Path, command: ClusterCommand) -> Result<ExitCode> {
    match command {
        ClusterCommand::Run(args) => run_clusters(data, args),
        ClusterCommand::Evaluate(args) => evaluate(data, args),
        ClusterCommand::Save(args) => super::cluster_save::save(data, args),
    }
}

/// `2..10` → 2..=10, with the limits choose-k accepts.
fn k_range(text: &str) -> Result<RangeInclusive<usize>> {
    let parsed = text.split_once("..").and_then(|(a, b)| {
        Some((
            a.trim().parse::<usize>().ok()?,
            b.trim().trim_start_matches('=').parse::<usize>().ok()?,
        ))
    });
    match parsed {
        Some((a, b)) if a >= 2 && a <= b && b <= 50 => Ok(a..=b),
        Some(_) => bail!("--k-range `{text}`: needs 2 <= A <= B <= 50"),
        None => bail!("--k-range `{text}`: write it as A..B, e.g. 2..10"),
    }
}

pub(super) struct Prepared {
    pub(super) matrix: tessera_discover::FeatureMatrix,
    pub(super) scaled: tessera_cluster::scale::Scaled,
    pub(super) snapshot: tessera_service::Snapshot,
}

fn prepare(data: &Path, common: &FeaturesArg) -> Result<Prepared> {
    let set = feature_set(data, &common.features)?;
    let store = super::open(data)?;
    let snapshot = snapshot(&store, &common.at)?;
    let started = std::time::Instant::now();
    let matrix = extract(&snapshot.index, snapshot.at, &set)
        .with_context(|| format!("extracting feature set `{}`", set.name))?;
    let (_, scaled) = matrix
        .scaled()
        .with_context(|| format!("scaling feature set `{}`", set.name))?;
    eprintln!(
        "extracted {} features of {} profiles ({} kept after missing values) in {:.2}s",
        matrix.columns.len(),
        matrix.ordinals.len(),
        scaled.rows.len(),
        started.elapsed().as_secs_f64()
    );
    if scaled.rows.len() < 3 {
        bail!(
            "only {} profiles to cluster: import more data or choose `missing = \"impute_median\"` instead of drop",
            scaled.rows.len()
        );
    }
    Ok(Prepared {
        matrix,
        scaled,
        snapshot,
    })
}

/// A clustering of the profiles of a feature set, with each cluster's summary.
pub(super) struct Fitted {
    pub(super) p: Prepared,
    pub(super) clustering: tessera_discover::clusters::Clustering,
    pub(super) summary: Vec<tessera_discover::clusters::ClusterSummary>,
}

/// Checks the arguments, loads the store, extracts the features and clusters them.
pub(super) fn fit(data: &Path, args: &RunArgs) -> Result<Fitted> {
    let algorithm = match args.algorithm {
        AlgorithmArg::Dbscan => {
            let (Some(eps), Some(min_samples)) = (args.eps, args.min_samples) else {
                bail!("--algorithm dbscan needs --eps RADIUS and --min-samples N (e.g. --eps 1.5 --min-samples 10)");
            };
            if !(eps.is_finite() && eps > 0.0) || min_samples == 0 {
                bail!("--eps must be a positive number and --min-samples at least 1");
            }
            if args.k.is_some() || args.k_range.is_some() {
                bail!("DBSCAN finds its own number of clusters: drop --k / --k-range");
            }
            Algorithm::Dbscan { eps, min_samples }
        }
        other => {
            if args.eps.is_some() || args.min_samples.is_some() {
                bail!("--eps and --min-samples apply to --algorithm dbscan only");
            }
            match other {
                AlgorithmArg::Kmeans => Algorithm::KMeans,
                AlgorithmArg::Minibatch => Algorithm::MiniBatch,
                _ => Algorithm::Agglomerative(match args.linkage.unwrap_or(LinkageArg::Ward) {
                    LinkageArg::Ward => Linkage::Ward,
                    LinkageArg::Average => Linkage::Average,
                    LinkageArg::Complete => Linkage::Complete,
                    LinkageArg::Single => Linkage::Single,
                }),
            }
        }
    };
    if args.linkage.is_some() && !matches!(algorithm, Algorithm::Agglomerative(_)) {
        bail!("--linkage applies to --algorithm agglomerative only");
    }
    let range = args.k_range.as_deref().map(k_range).transpose()?;
    if !matches!(algorithm, Algorithm::Dbscan { .. }) && args.k.is_none() && range.is_none() {
        bail!("give --k N or --k-range A..B");
    }
    if let Some(k) = args.k {
        if k < 2 {
            bail!("--k must be at least 2");
        }
    }
    if args.top == 0 {
        bail!("--top must be at least 1");
    }
    let p = prepare(data, &args.common)?;
    let rows = p.scaled.rows.len();
    let k = match (args.k, range) {
        (Some(k), _) => k,
        (None, Some(range)) => {
            let table = choose_k(
                p.scaled.data.view(),
                range,
                &KMeansParams {
                    seed: args.common.seed,
                    ..KMeansParams::new(2)
                },
                silhouette_mode(rows, args.common.seed),
            )?;
            eprintln!("k = {} has the best silhouette", table.suggested_k);
            table.suggested_k
        }
        (None, None) => 0,
    };
    if k > rows {
        bail!("--k {k} is more than the {rows} profiles to cluster");
    }
    let params = ClusterParams {
        algorithm,
        k,
        seed: args.common.seed,
    };
    let clustering = clusters::run(p.scaled.data.view(), &params)?;
    let summary = clusters::summarize(&p.matrix, &p.scaled, &clustering.labels, args.top)?;
    Ok(Fitted {
        p,
        clustering,
        summary,
    })
}

fn run_clusters(data: &Path, args: RunArgs) -> Result<ExitCode> {
    if let Some(plot) = &args.plot {
        check_output(plot, "--plot")?;
    }
    let fitted = fit(data, &args)?;
    report(&args, &fitted)
}

/// Writes what `--members-out` and `--plot` ask for and prints the clusters.
pub(super) fn report(args: &RunArgs, fitted: &Fitted) -> Result<ExitCode> {
    let Fitted {
        p,
        clustering,
        summary,
    } = fitted;
    let rows = p.scaled.rows.len();
    if let Some(path) = &args.members_out {
        let mut csv = String::from("profile_id,cluster\n");
        for (row, label) in p.scaled.rows.iter().zip(&clustering.labels) {
            let key = p.snapshot.index.profile_key(p.matrix.ordinals[*row]);
            csv.push_str(&format!("{key},{label}\n"));
        }
        std::fs::write(path, csv).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {} rows to {}", rows, path.display());
    }
    if let Some(path) = &args.plot {
        let pca = Pca::fit(p.scaled.data.view(), 2)?;
        let projected = pca.transform(p.scaled.data.view())?;
        let ratio = |i: usize| pca.explained_variance_ratio.get(i).copied().unwrap_or(0.0);
        let chart = Scatter {
            title: format!(
                "{} profiles by cluster, feature set {}",
                rows, p.matrix.set.name
            ),
            x_label: format!("PC1 ({})", percent(ratio(0))),
            y_label: format!("PC2 ({})", percent(ratio(1))),
            points: projected
                .rows()
                .into_iter()
                .map(|r| (r[0], r.get(1).copied().unwrap_or(0.0)))
                .collect(),
            labels: clustering.labels.clone(),
        };
        save(&chart, path)?;
        eprintln!("wrote {}", path.display());
    }

    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "feature_set": p.matrix.set.name,
                "profiles": rows,
                "n_clusters": clustering.n_clusters,
                "noise": clustering.noise,
                "inertia": clustering.inertia,
                "silhouette": clustering.silhouette,
                "clusters": summary,
            }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{} clusters of {} profiles (feature set {}, {} features){}{}",
        clustering.n_clusters,
        rows,
        p.matrix.set.name,
        p.matrix.columns.len(),
        clustering
            .silhouette
            .map(|s| format!(", silhouette {s:.3}"))
            .unwrap_or_default(),
        clustering
            .inertia
            .map(|i| format!(", inertia {i:.1}"))
            .unwrap_or_default()
    );
    let mut table = Table::new(&[
        "cluster",
        "size",
        "share",
        "distinguishing features (mean vs all, in sd)",
    ]);
    for c in summary {
        let features: Vec<String> = c
            .top_features
            .iter()
            .map(|f| {
                format!(
                    "{} {} vs {} ({:+.1})",
                    f.name,
                    number(f.mean),
                    number(f.population_mean),
                    f.effect
                )
            })
            .collect();
        table.row(vec![
            if c.label < 0 {
                "noise".into()
            } else {
                c.label.to_string()
            },
            c.size.to_string(),
            percent(c.share),
            features.join("; "),
        ]);
    }
    out!("{}", table.render());
    Ok(ExitCode::SUCCESS)
}

fn evaluate(data: &Path, args: EvaluateArgs) -> Result<ExitCode> {
    let range = k_range(&args.k_range)?;
    if let Some(plot) = &args.plot {
        check_output(plot, "--plot")?;
    }
    let p = prepare(data, &args.common)?;
    let rows = p.scaled.rows.len();
    if *range.end() > rows {
        bail!(
            "--k-range goes up to {} but there are only {rows} profiles",
            range.end()
        );
    }
    let table = choose_k(
        p.scaled.data.view(),
        range,
        &KMeansParams {
            seed: args.common.seed,
            ..KMeansParams::new(2)
        },
        silhouette_mode(rows, args.common.seed),
    )?;
    if let Some(path) = &args.plot {
        let chart = ChooseKChart {
            title: format!(
                "How many clusters? Feature set {}, {rows} profiles",
                p.matrix.set.name
            ),
            table: table.clone(),
        };
        save(&chart, path)?;
        eprintln!("wrote {}", path.display());
    }
    if args.json {
        let scores: Vec<_> = table
            .scores
            .iter()
            .map(|s| {
                json!({"k": s.k, "inertia": s.inertia, "silhouette": s.silhouette,
                       "davies_bouldin": s.davies_bouldin, "calinski_harabasz": s.calinski_harabasz})
            })
            .collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(
                &json!({"scores": scores, "suggested_k": table.suggested_k})
            )?
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = Table::new(&[
        "k",
        "inertia",
        "silhouette",
        "davies_bouldin",
        "calinski_harabasz",
        "",
    ]);
    for s in &table.scores {
        t.row(vec![
            s.k.to_string(),
            format!("{:.1}", s.inertia),
            format!("{:.4}", s.silhouette),
            format!("{:.4}", s.davies_bouldin),
            format!("{:.1}", s.calinski_harabasz),
            if s.k == table.suggested_k {
                "<- suggested (best silhouette)".into()
            } else {
                String::new()
            },
        ]);
    }
    out!("{}", t.render());
    Ok(ExitCode::SUCCESS)
}

fn silhouette_mode(rows: usize, seed: u64) -> SilhouetteMode {
    if rows > SILHOUETTE_SAMPLE {
        SilhouetteMode::Sampled {
            size: SILHOUETTE_SAMPLE,
            seed,
        }
    } else {
        SilhouetteMode::Exact
    }
}

fn number(v: f64) -> String {
    if v.is_nan() {
        "-".into()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_ranges_are_checked() {
        assert_eq!(k_range("2..10").unwrap(), 2..=10);
        assert_eq!(k_range("3..=3").unwrap(), 3..=3);
        assert_eq!(
            k_range("1..5").unwrap_err().to_string(),
            "--k-range `1..5`: needs 2 <= A <= B <= 50"
        );
        assert_eq!(
            k_range("2-5").unwrap_err().to_string(),
            "--k-range `2-5`: write it as A..B, e.g. 2..10"
        );
    }
}
