//! What `tessera cluster`, `persona` and `journey` share: the snapshot, feature sets by file
//! or name, and a segment's members.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use roaring::RoaringBitmap;
use tessera_discover::features::BUILTIN;
use tessera_discover::FeatureSet;
use tessera_lang::{has_errors, parse, render};
use tessera_model::format_millis;
use tessera_service::Snapshot;
use tessera_store::Store;

/// `--at`: the instant everything is computed as of.
#[derive(Debug, Args)]
pub struct At {
    /// Compute as of this instant (RFC 3339 or date; default now).
    #[arg(long)]
    pub at: Option<String>,
}

pub fn snapshot(store: &Store, at: &At) -> Result<Snapshot> {
    let instant = super::at_or_now(at.at.as_deref())?;
    let started = std::time::Instant::now();
    let snapshot = super::loading(|| Snapshot::load(store, instant))
        .context("loading the store into the engine")?;
    eprintln!(
        "loaded {} profiles as of {} in {:.2}s",
        snapshot.index.len(),
        format_millis(instant),
        started.elapsed().as_secs_f64()
    );
    Ok(snapshot)
}

/// A feature set from a file, from `features/NAME.toml` (in the current directory, then in
/// the data directory), or built in.
pub fn feature_set(data: &Path, spec: &str) -> Result<FeatureSet> {
    let path = Path::new(spec);
    if path.is_file() {
        return Ok(FeatureSet::load(path)?);
    }
    let named = !spec.contains(['/', '\\']) && !spec.ends_with(".toml");
    if named {
        let candidates: [PathBuf; 2] = [
            Path::new("features").join(format!("{spec}.toml")),
            data.join("features").join(format!("{spec}.toml")),
        ];
        for candidate in candidates {
            if candidate.is_file() {
                return Ok(FeatureSet::load(&candidate)?);
            }
        }
        if let Some(set) = FeatureSet::builtin(spec) {
            return Ok(set);
        }
    }
    let builtin: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
    bail!(
        "--features `{spec}`: no such file, no features/{spec}.toml here or in {}, and no built-in set of that name (built-in: {})",
        data.join("features").display(),
        builtin.join(", ")
    )
}

/// The members of a stored segment, or of `--where`.
pub fn members(
    store: &Store,
    snapshot: &Snapshot,
    segment: Option<&str>,
    condition: Option<&str>,
) -> Result<(String, RoaringBitmap)> {
    let (name, expr) = match (segment, condition) {
        (Some(_), Some(_)) => bail!("give a segment name or --where, not both"),
        (None, None) => bail!("name a stored segment or give --where CONDITION"),
        (Some(name), None) => {
            let stored = store.segment(name)?;
            let parsed = parse(&stored.condition);
            if has_errors(&parsed.diagnostics) {
                bail!(
                    "stored segment `{name}` no longer parses:\n{}",
                    render(&parsed.diagnostics, name, &stored.condition)
                );
            }
            (name.to_string(), parsed.expr)
        }
        (None, Some(text)) => (
            "(where)".to_string(),
            super::segment::checked_condition(text, &snapshot.catalog)?,
        ),
    };
    let members = snapshot
        .evaluate(&expr)
        .with_context(|| format!("evaluating {name}"))?;
    Ok((name, members))
}

/// `12.5%`.
pub fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// Milliseconds as `3d 4h`, `12m 5s` and the like.
pub fn duration(ms: i64) -> String {
    let s = ms / 1000;
    match s {
        s if s >= 86_400 => format!("{}d {}h", s / 86_400, s % 86_400 / 3_600),
        s if s >= 3_600 => format!("{}h {}m", s / 3_600, s % 3_600 / 60),
        s if s >= 60 => format!("{}m {}s", s / 60, s % 60),
        s => format!("{s}s"),
    }
}

/// Refuses to overwrite nothing and to write where no directory is.
pub fn check_output(path: &Path, flag: &str) -> Result<()> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if !matches!(ext.to_ascii_lowercase().as_str(), "svg" | "png") {
        bail!(
            "{flag} `{}`: the file name must end in .svg or .png",
            path.display()
        );
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.is_dir() {
            bail!(
                "{flag} `{}`: the directory {} does not exist",
                path.display(),
                parent.display()
            );
        }
    }
    Ok(())
}
