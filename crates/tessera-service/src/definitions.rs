//! Segments as code: `segments/*.toml` definitions, checked, planned against the store and
//! applied.
//!
//! A definition file holds `name`, `description`, `condition` and optional `min_size`.
//! Errors in the condition are reported at their line and column in the TOML file itself.

use std::path::{Path, PathBuf};

use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};
use tessera_lang::{check, parse, render, Catalog, Diagnostic, Expr, Severity, Span};
use tessera_store::{Store, StoredSegment};

use crate::{Error, Result, Snapshot};

/// Segments smaller than this are flagged as over-segmented unless a definition says otherwise.
pub const DEFAULT_MIN_SIZE: u64 = 100;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DefinitionToml {
    name: String,
    #[serde(default)]
    description: String,
    condition: toml::Spanned<String>,
    #[serde(default)]
    min_size: Option<u64>,
}

/// A checked segment definition.
#[derive(Debug, Clone)]
pub struct Definition {
    pub name: String,
    pub description: String,
    pub condition: Expr,
    pub min_size: u64,
    pub source: PathBuf,
    /// Rendered warnings (unknown event names and the like): shown, not fatal.
    pub warnings: Vec<String>,
}

impl Definition {
    pub fn to_stored(&self) -> StoredSegment {
        StoredSegment {
            name: self.name.clone(),
            description: self.description.clone(),
            condition: self.condition.to_string(),
            min_size: self.min_size,
            updated_at: 0,
        }
    }
}

/// Rendered errors of one definition file.
#[derive(Debug, Clone)]
pub struct DefinitionError(pub String);

/// Parses and checks one definition file's text. `source_name` appears in messages.
pub fn parse_definition(
    source_name: &Path,
    text: &str,
    catalog: &Catalog,
) -> std::result::Result<Definition, DefinitionError> {
    let shown = source_name.display().to_string();
    let raw: DefinitionToml =
        toml::from_str(text).map_err(|e| DefinitionError(format!("{shown}: {e}")))?;
    if raw.name.is_empty()
        || !raw
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(DefinitionError(format!(
            "{shown}: name `{}` must be letters, digits, `_`, `-` or `.` (it is used on the command line and in URLs)",
            raw.name
        )));
    }
    let condition_text = raw.condition.get_ref();
    let (expr, diagnostics) = analyse(condition_text, catalog);
    // Map spans inside the condition string onto the file, when the string is written
    // verbatim (a literal string or one without escapes), so messages point into the file.
    let offset = verbatim_offset(text, raw.condition.span(), condition_text);
    let (render_text, shifted): (&str, Vec<Diagnostic>) = match offset {
        Some(offset) => (
            text,
            diagnostics
                .iter()
                .cloned()
                .map(|mut d| {
                    d.span = Span::new(d.span.start + offset, d.span.end + offset);
                    d
                })
                .collect(),
        ),
        None => (condition_text, diagnostics.clone()),
    };
    let (errors, warnings): (Vec<Diagnostic>, Vec<Diagnostic>) = shifted
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    if !errors.is_empty() {
        return Err(DefinitionError(render(&errors, &shown, render_text)));
    }
    Ok(Definition {
        name: raw.name,
        description: raw.description,
        condition: expr,
        min_size: raw.min_size.unwrap_or(DEFAULT_MIN_SIZE),
        source: source_name.to_path_buf(),
        warnings: warnings
            .iter()
            .map(|w| render(std::slice::from_ref(w), &shown, render_text))
            .collect(),
    })
}

/// Parses and type-checks a condition written in the text form, or in the JSON form when it
/// starts with `{`: every syntax and type error at once, in source order. (The checker skips
/// `Missing` nodes, so it adds nothing where the parser already reported.)
pub fn analyse(text: &str, catalog: &Catalog) -> (Expr, Vec<Diagnostic>) {
    let (expr, mut diagnostics) = if text.trim_start().starts_with('{') {
        match tessera_lang::parse_json(text) {
            Ok(expr) => (expr, Vec::new()),
            Err(e) => {
                let offset = byte_offset(text, e.line(), e.column());
                let span = Span::new(offset, (offset + 1).min(text.len()));
                let diagnostic = Diagnostic::error(span, format!("invalid JSON segment: {e}"))
                    .with_hint("the JSON form is documented in docs/language.md; `tessera segment check --where '...' --json` prints it for a text condition");
                (Expr::Missing(span), vec![diagnostic])
            }
        }
    } else {
        let parsed = parse(text);
        (parsed.expr, parsed.diagnostics)
    };
    diagnostics.extend(check(&expr, catalog));
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    (expr, diagnostics)
}

/// The byte offset of a 1-based line and column (as serde_json reports them).
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// Where the condition's first character sits in the file, if the TOML string is verbatim.
fn verbatim_offset(file: &str, span: std::ops::Range<usize>, value: &str) -> Option<usize> {
    let raw = file.get(span.clone())?;
    for quote in ["'''", "\"\"\"", "'", "\""] {
        if let Some(inner) = raw.strip_prefix(quote).and_then(|r| r.strip_suffix(quote)) {
            // TOML drops a newline right after an opening triple quote.
            let (skip, inner) = match inner.strip_prefix('\n') {
                Some(rest) if quote.len() == 3 => (1, rest),
                _ => (0, inner),
            };
            return (inner == value).then_some(span.start + quote.len() + skip);
        }
    }
    None
}

/// Loads every `*.toml` in `dir` (sorted by file name). All files' errors are reported
/// together; duplicate names are an error.
pub fn load_definitions(dir: &Path, catalog: &Catalog) -> Result<Vec<Definition>> {
    let io = |source| Error::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(Error::Definitions(format!(
            "{}: no segment definitions (*.toml) found",
            dir.display()
        )));
    }
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        files.push((path, text));
    }
    // Definitions may refer to each other (`in segment "…"`), also to ones not stored yet.
    let mut catalog = catalog.clone();
    for (_, text) in &files {
        if let Ok(raw) = toml::from_str::<DefinitionToml>(text) {
            catalog.segments.insert(raw.name);
        }
    }
    let catalog = &catalog;
    let mut definitions: Vec<Definition> = Vec::new();
    let mut errors = Vec::new();
    for (path, text) in files {
        match parse_definition(&path, &text, catalog) {
            Ok(def) => {
                if let Some(other) = definitions.iter().find(|d| d.name == def.name) {
                    errors.push(format!(
                        "{}: segment name `{}` is already defined in {}",
                        path.display(),
                        def.name,
                        other.source.display()
                    ));
                } else {
                    definitions.push(def);
                }
            }
            Err(DefinitionError(message)) => errors.push(message),
        }
    }
    if errors.is_empty() {
        Ok(definitions)
    } else {
        Err(Error::Definitions(errors.join("\n")))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Not stored yet.
    New,
    /// Stored with a different condition, description or minimum size.
    Changed,
    /// Stored with the same definition (members may still change as data changed).
    Unchanged,
    /// Stored but not in the directory: kept unless pruned.
    NotInDirectory,
}

/// What applying one definition would do.
#[derive(Debug, Clone, Serialize)]
pub struct PlanEntry {
    pub name: String,
    pub status: PlanStatus,
    pub size: u64,
    pub entering: u64,
    pub leaving: u64,
    pub min_size: u64,
    pub over_segmented: bool,
    #[serde(skip)]
    pub members: RoaringBitmap,
}

/// Evaluates every definition and compares with the stored members.
pub fn plan(
    store: &Store,
    snapshot: &Snapshot,
    definitions: &[Definition],
) -> Result<Vec<PlanEntry>> {
    let stored = store.segments()?;
    // Definitions refer to each other as written in the directory, not as stored.
    let references = snapshot
        .references
        .with_segments(definitions.iter().map(|d| (d.name.as_str(), &d.condition)));
    // All at once: side by side on rayon's threads, sharing the event counts they have in
    // common (`Index::evaluate_all`).
    let conditions: Vec<&Expr> = definitions.iter().map(|d| &d.condition).collect();
    let evaluated = snapshot.evaluate_all_with(&conditions, &references)?;
    let mut entries = Vec::new();
    for (def, members) in definitions.iter().zip(evaluated) {
        let previous = stored.iter().find(|s| s.name == def.name);
        let old = match previous {
            Some(_) => snapshot.ordinals(&store.members(&def.name)?),
            None => RoaringBitmap::new(),
        };
        let status = match previous {
            None => PlanStatus::New,
            Some(s)
                if s.condition == def.condition.to_string()
                    && s.description == def.description
                    && s.min_size == def.min_size =>
            {
                PlanStatus::Unchanged
            }
            Some(_) => PlanStatus::Changed,
        };
        let size = members.len();
        entries.push(PlanEntry {
            name: def.name.clone(),
            status,
            size,
            entering: members.difference_len(&old),
            leaving: old.difference_len(&members),
            min_size: def.min_size,
            over_segmented: size < def.min_size,
            members,
        });
    }
    for s in stored
        .iter()
        .filter(|s| definitions.iter().all(|d| d.name != s.name))
    {
        let size = store.members(&s.name)?.len() as u64;
        entries.push(PlanEntry {
            name: s.name.clone(),
            status: PlanStatus::NotInDirectory,
            size,
            entering: 0,
            leaving: 0,
            min_size: s.min_size,
            over_segmented: size < s.min_size,
            members: RoaringBitmap::new(),
        });
    }
    Ok(entries)
}

/// Stores the definitions and their members as planned; with `prune`, deletes stored
/// segments that are not in the directory.
pub fn apply(
    store: &mut Store,
    snapshot: &Snapshot,
    definitions: &[Definition],
    entries: &[PlanEntry],
    prune: bool,
) -> Result<()> {
    let mut batch = Vec::new();
    for def in definitions {
        let entry = entries
            .iter()
            .find(|e| e.name == def.name)
            .ok_or_else(|| Error::Definitions(format!("internal: no plan for `{}`", def.name)))?;
        batch.push((def.to_stored(), snapshot.profile_ids(&entry.members)));
    }
    store.apply_segments(&batch, snapshot.at)?;
    if prune {
        for entry in entries
            .iter()
            .filter(|e| e.status == PlanStatus::NotInDirectory)
        {
            store.delete_segment(&entry.name)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_model::TraitType;

    fn catalog() -> Catalog {
        Catalog::default()
            .with_trait("age", TraitType::Number)
            .with_trait("city", TraitType::String)
    }

    #[test]
    fn the_json_form_is_accepted_and_checked_like_text() {
        let (text_expr, none) = analyse("age > 30", &catalog());
        assert!(none.is_empty());
        let json = serde_json::to_string(&text_expr).unwrap();
        let (json_expr, none) = analyse(&json, &catalog());
        assert!(none.is_empty(), "{none:?}");
        assert_eq!(json_expr, text_expr);
        let (_, errors) = analyse(&json.replace("age", "agee"), &catalog());
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].message.contains("unknown trait `agee`"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn broken_json_is_located() {
        let text = "{\"trait\": {\"name\": \"age\",\n  \"test\": 3}}";
        let (expr, errors) = analyse(text, &catalog());
        assert!(matches!(expr, Expr::Missing(_)));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line_col(text).0, 2);
        assert!(
            errors[0].message.starts_with("invalid JSON segment:"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn definitions_point_into_the_file() {
        let file = "name = \"vip\"\ncondition = '''\nage > 30 and\n  cty = \"Paris\"'''\n";
        let err = parse_definition(Path::new("vip.toml"), file, &catalog())
            .unwrap_err()
            .0;
        assert!(err.contains("vip.toml:4:3"), "{err}");
        assert!(err.contains("did you mean `city`?"), "{err}");
    }
}
