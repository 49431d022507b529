//! `tessera cluster save`: clusters become segments. Every profile's cluster is written as a
//! trait (`cluster_retail = 3`; -1 for profiles not clustered), so a cluster is the rule
//! segment `cluster_retail = 3` — evaluated by the engine, the real-time server, SQL and the
//! exports like any trait test — and, with `--segments DIR`, one definition per cluster is
//! written as segments-as-code files for `tessera segment apply`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;
use tessera_model::{format_millis, LocalField, TraitValue, LAST_LOCATION};

use super::cluster::{fit, report, Fitted, RunArgs};

#[derive(Debug, Args)]
pub struct SaveArgs {
    #[command(flatten)]
    run: RunArgs,
    /// The trait that receives every profile's cluster (a number; -1: not clustered).
    #[arg(long = "trait", value_name = "NAME")]
    trait_name: String,
    /// Also write one segment definition per cluster into DIR (`NAME_0.toml`, …).
    #[arg(long, value_name = "DIR")]
    segments: Option<PathBuf>,
    /// Overwrite the trait if it exists already (a cluster saved earlier under that name).
    #[arg(long)]
    replace: bool,
}

pub fn save(data: &Path, args: SaveArgs) -> Result<ExitCode> {
    let name = args.trait_name.as_str();
    check_name(name)?;
    {
        // Refuse before the (long) clustering whatever would be refused after it.
        let store = super::open(data)?;
        if tessera_service::computed_traits(&store)?.contains_key(name) {
            bail!("--trait `{name}` is a computed trait in tessera.toml; choose another name");
        }
        let existing = store.trait_schema()?;
        if let Some((_, ty)) = existing.iter().find(|(n, _)| n == name) {
            if !args.replace {
                bail!(
                    "trait `{name}` exists already ({ty}); pass --replace to overwrite a cluster saved \
                     earlier under that name, or choose another name"
                );
            }
        }
    }
    if let Some(dir) = &args.segments {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let fitted = fit(data, &args.run)?;
    let status = report(&args.run, &fitted)?;
    let Fitted { p, clustering, .. } = &fitted;
    let at = p.snapshot.at;
    // Every profile of the snapshot gets a value, so a saved trait never keeps the cluster of
    // an earlier save for someone this one left out.
    let mut label_of = vec![-1i64; p.snapshot.index.len()];
    for (row, label) in p.scaled.rows.iter().zip(&clustering.labels) {
        label_of[p.matrix.ordinals[*row] as usize] = *label;
    }
    let values: Vec<(u64, TraitValue)> = label_of
        .iter()
        .enumerate()
        .map(|(ord, label)| {
            let profile = p.snapshot.index.profile_key(ord as u32) as u64;
            (profile, TraitValue::Number(*label as f64))
        })
        .collect();
    let mut store = super::open(data)?;
    let written = store.write_derived_traits(name, &values, at)?;
    let unclustered = label_of.iter().filter(|l| **l < 0).count();
    eprintln!(
        "wrote trait `{name}` as of {} for {written} profiles ({unclustered} not clustered: -1)",
        format_millis(at)
    );
    let mut labels: Vec<i64> = clustering
        .labels
        .iter()
        .copied()
        .filter(|l| *l >= 0)
        .collect();
    labels.sort_unstable();
    labels.dedup();
    if let Some(dir) = &args.segments {
        for label in &labels {
            let path = dir.join(format!("{name}_{label}.toml"));
            std::fs::write(&path, definition(name, *label, &fitted, &args.run))
                .with_context(|| format!("writing {}", path.display()))?;
        }
        eprintln!(
            "wrote {} segment definitions to {} (store them with `tessera segment apply {}`)",
            labels.len(),
            dir.display(),
            dir.display()
        );
    } else {
        eprintln!("each cluster is now the segment `{name} = N` (N from 0)");
    }
    Ok(status)
}

/// A segment-as-code file for one cluster.
fn definition(name: &str, label: i64, fitted: &Fitted, run: &RunArgs) -> String {
    let summary = fitted.summary.iter().find(|c| c.label == label);
    let features: Vec<String> = summary
        .map(|c| {
            c.top_features
                .iter()
                .map(|f| format!("{} {:+.1} sd", f.name, f.effect))
                .collect()
        })
        .unwrap_or_default();
    let description = format!(
        "Cluster {label} of feature set {} ({} clusters, seed {}), saved as of {}{}",
        fitted.p.matrix.set.name,
        fitted.clustering.n_clusters,
        run.common.seed,
        format_millis(fitted.p.snapshot.at),
        if features.is_empty() {
            String::new()
        } else {
            format!(": {}", features.join(", "))
        }
    );
    // JSON string literals are TOML basic strings (the same escapes).
    let quoted = |s: &str| serde_json::to_string(s).expect("a string serializes");
    format!(
        "# Written by `tessera cluster save`; saving again re-writes the trait.\n\
         name = {}\ndescription = {}\ncondition = {}\nmin_size = 1\n",
        quoted(&format!("{name}_{label}")),
        quoted(&description),
        quoted(&format!("{name} = {label}")),
    )
}

/// A name segments can test, not one of the built-in traits.
fn check_name(name: &str) -> Result<()> {
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        bail!("--trait `{name}`: use lowercase letters, digits and `_`, starting with a letter (e.g. cluster_retail)");
    }
    if name.starts_with("rfm")
        || LocalField::from_name(name).is_some()
        || name == LAST_LOCATION
        || tessera_lang::is_keyword(name)
    {
        bail!("--trait `{name}` is a built-in trait or a keyword; choose another name (e.g. cluster_retail)");
    }
    Ok(())
}
