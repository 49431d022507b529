//! The demo's HTML report: segment sizes, their overlap, a persona sentence per segment,
//! discovered clusters on the built-in feature set, and the paths to a purchase of one
//! segment — charts as SVG files beside one `index.html` that opens in any browser.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tessera_cluster::pca::Pca;
use tessera_discover::chart::{save, Bars, Heatmap, Sankey, Scatter};
use tessera_discover::clusters::{self, Algorithm, ClusterParams};
use tessera_discover::features::{extract, FeatureSet};
use tessera_discover::journey::{JourneyOptions, Journeys};
use tessera_discover::persona::{Persona, PersonaOptions};
use tessera_service::{Overlap, PlanEntry, Snapshot};

/// Clusters the report shows (k-means on the built-in `retail` feature set).
const CLUSTERS: usize = 5;
/// The goal of the journey chart, and the segment it is drawn for when present.
const GOAL: &str = "Order Completed";
const JOURNEY_SEGMENT: &str = "athletic_cart_abandoners";

/// Writes the report into `dir`; returns the path of its `index.html`.
pub fn write(
    dir: &Path,
    snapshot: &Snapshot,
    entries: &[PlanEntry],
    descriptions: &[(String, String)],
    overlap: &Overlap,
) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let population = snapshot.index.len() as f64;

    save(
        &Bars {
            title: "Segment sizes".into(),
            x_label: "profiles".into(),
            names: entries.iter().map(|e| e.name.clone()).collect(),
            values: entries.iter().map(|e| e.size as f64).collect(),
        },
        &dir.join("sizes.svg"),
    )?;
    save(
        &Heatmap {
            title: "Overlap (Jaccard index)".into(),
            names: overlap.names.clone(),
            values: overlap.jaccard.clone(),
        },
        &dir.join("overlap.svg"),
    )?;

    let set = FeatureSet::builtin("retail").expect("the built-in feature set exists");
    let matrix = extract(&snapshot.index, snapshot.at, &set).context("extracting features")?;
    let (_, scaled) = matrix.scaled().context("scaling features")?;
    let clustering = clusters::run(
        scaled.data.view(),
        &ClusterParams {
            algorithm: Algorithm::KMeans,
            k: CLUSTERS,
            seed: 42,
        },
    )?;
    let pca = Pca::fit(scaled.data.view(), 2)?;
    let projected = pca.transform(scaled.data.view())?;
    let ratio = |i: usize| pca.explained_variance_ratio.get(i).copied().unwrap_or(0.0);
    save(
        &Scatter {
            title: format!(
                "{CLUSTERS} clusters of {} profiles (k-means, retail features)",
                scaled.rows.len()
            ),
            x_label: format!("PC1 ({:.1}%)", ratio(0) * 100.0),
            y_label: format!("PC2 ({:.1}%)", ratio(1) * 100.0),
            points: projected.rows().into_iter().map(|r| (r[0], r[1])).collect(),
            labels: clustering.labels.clone(),
        },
        &dir.join("clusters.svg"),
    )?;

    let options = PersonaOptions {
        purchase: set.purchase.clone(),
        ..PersonaOptions::default()
    };
    let mut personas = Vec::new();
    for entry in entries {
        let persona = Persona::build(
            &snapshot.index,
            snapshot.at,
            &entry.members,
            Some(&matrix),
            &options,
        )?;
        personas.push((entry, persona.description));
    }

    let journey = entries.iter().find(|e| e.name == JOURNEY_SEGMENT);
    if let Some(entry) = journey {
        let journeys = Journeys::build(
            &snapshot.index,
            snapshot.at,
            &entry.members,
            &JourneyOptions {
                goal: GOAL.into(),
                steps: 3,
                top: 8,
                collapse_repeats: true,
                funnel: None,
            },
        )?;
        save(
            &Sankey {
                title: format!("{JOURNEY_SEGMENT}: paths to {GOAL}"),
                journeys,
            },
            &dir.join("journey.svg"),
        )?;
    }

    let mut html = String::new();
    html.push_str("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Tessera demo report</title>\n<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}td.n{text-align:right}img{max-width:100%;border:1px solid #eee;margin:1em 0}</style></head><body>\n");
    let _ = writeln!(
        html,
        "<h1>Tessera demo report</h1><p>{} profiles as of {}.</p>",
        snapshot.index.len(),
        escape(&tessera_model::format_millis(snapshot.at))
    );
    html.push_str("<h2>Segments</h2><table><tr><th>segment</th><th>members</th><th>share</th><th>what it is</th><th>who they are (persona)</th></tr>\n");
    for (entry, persona) in &personas {
        let description = descriptions
            .iter()
            .find(|(n, _)| *n == entry.name)
            .map_or("", |(_, d)| d.as_str());
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{:.1}%</td><td>{}</td><td>{}</td></tr>",
            escape(&entry.name),
            entry.size,
            entry.size as f64 / population.max(1.0) * 100.0,
            escape(description),
            escape(persona)
        );
    }
    html.push_str("</table>\n<img src=\"sizes.svg\" alt=\"segment sizes\">\n<h2>Overlap</h2><img src=\"overlap.svg\" alt=\"overlap heatmap\">\n");
    html.push_str("<h2>Discovered clusters</h2><p>k-means on the built-in <code>retail</code> feature set, projected on its first two principal components (<code>tessera cluster run --features retail</code>).</p><img src=\"clusters.svg\" alt=\"clusters\">\n");
    if journey.is_some() {
        let _ = writeln!(
            html,
            "<h2>Journey</h2><p>The most common paths of <code>{JOURNEY_SEGMENT}</code> to <code>{GOAL}</code> (<code>tessera journey</code>).</p><img src=\"journey.svg\" alt=\"journey\">"
        );
    }
    html.push_str("</body></html>\n");
    let index = dir.join("index.html");
    std::fs::write(&index, html).with_context(|| format!("writing {}", index.display()))?;
    Ok(index)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
