//! `tessera segment members`: a segment's members as CSV or JSON Lines, with their
//! identifiers and, on request, trait values (stored, computed, RFM, local time, last location).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use serde_json::Value;
use tessera_model::ConsentPurpose;

use super::segment::{conditions, load_snapshot, AtArg, ExportFormat};

/// What to export.
pub struct Request {
    pub name: Option<String>,
    pub condition: Option<String>,
    pub at: AtArg,
    pub format: ExportFormat,
    pub output: Option<PathBuf>,
    pub consent: Option<ConsentPurpose>,
    /// Trait names to add as columns.
    pub traits: Vec<String>,
}

pub fn members(data: &Path, request: Request) -> Result<ExitCode> {
    let store = super::open(data)?;
    let names: Vec<String> = request.name.into_iter().collect();
    if names.is_empty() && request.condition.is_none() {
        bail!("name a segment or give --where CONDITION");
    }
    // Every column asked for must be a trait segments know, or the column would be silently
    // empty (checked before the store is loaded).
    let catalog = tessera_service::catalog(&store)?;
    for name in &request.traits {
        if !catalog.traits.contains_key(name) {
            let known: Vec<&str> = catalog.traits.keys().map(String::as_str).collect();
            bail!(
                "--traits: unknown trait `{name}`; known traits: {}",
                known.join(", ")
            );
        }
    }
    let snapshot = load_snapshot(&store, &request.at)?;
    let (_, expr, _) =
        conditions(&store, &snapshot, &names, request.condition.as_slice())?.remove(0);
    let found = snapshot.evaluate(&expr)?;
    let mut ids = snapshot.profile_ids(&found);
    if let Some(purpose) = request.consent {
        let granted: std::collections::HashSet<u64> =
            store.consent_granted(purpose)?.into_iter().collect();
        let before = ids.len();
        ids.retain(|id| granted.contains(id));
        eprintln!(
            "{} of {before} members granted {purpose} consent",
            ids.len()
        );
    }
    let values = snapshot.trait_values(&store, &ids, &request.traits)?;
    let mut out: Box<dyn Write> = match &request.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    if let ExportFormat::Csv = request.format {
        let mut header = vec![
            "profile",
            "user_id",
            "email",
            "phone",
            "loyalty_id",
            "anonymous_ids",
        ];
        header.extend(request.traits.iter().map(String::as_str));
        let header: Vec<String> = header.iter().map(|h| csv_cell(h)).collect();
        writeln!(out, "{}", header.join(","))?;
    }
    for (id, values) in ids.iter().zip(values) {
        let identifiers = store.identifiers(*id)?;
        let first = |kind: &str| {
            identifiers
                .iter()
                .find(|i| i.kind.as_str() == kind)
                .map(|i| i.value.clone())
                .unwrap_or_default()
        };
        match request.format {
            ExportFormat::Csv => {
                let anon: Vec<&str> = identifiers
                    .iter()
                    .filter(|i| i.kind.as_str() == "anonymous_id")
                    .map(|i| i.value.as_str())
                    .collect();
                let mut cells = vec![
                    id.to_string(),
                    first("user_id"),
                    first("email"),
                    first("phone"),
                    first("loyalty_id"),
                    anon.join("|"),
                ];
                cells.extend(values.iter().map(|v| csv_value(v.as_ref())));
                let cells: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
                writeln!(out, "{}", cells.join(","))?;
            }
            ExportFormat::Jsonl => {
                let ids: Vec<String> = identifiers.iter().map(|i| i.to_string()).collect();
                let mut line = serde_json::json!({ "profile": id, "identifiers": ids });
                if !request.traits.is_empty() {
                    let traits: serde_json::Map<String, Value> = request
                        .traits
                        .iter()
                        .cloned()
                        .zip(values.into_iter().map(|v| v.unwrap_or(Value::Null)))
                        .collect();
                    line["traits"] = Value::Object(traits);
                }
                writeln!(out, "{line}")?;
            }
        }
    }
    out.flush()?;
    if let Some(path) = &request.output {
        eprintln!("wrote {} members to {}", ids.len(), path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// A trait value in a CSV cell: strings as they are, numbers and booleans as JSON writes them,
/// lists and points as JSON; no value is an empty cell.
fn csv_value(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

pub(super) fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}
