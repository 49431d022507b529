//! CSV column mappings: which columns are identifiers, traits, event properties and consent.
//!
//! A mapping is a small TOML file (see `docs/import.md`) or the equivalent command-line flags;
//! both build a [`Mapping`], which is checked against the CSV header before any row is read.

use std::collections::BTreeMap;

use serde::Deserialize;
use tessera_model::{ConsentPurpose, TraitType};

/// What each row of a CSV file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    /// One profile per row (a CRM export): identifiers, traits and consent.
    Profiles,
    /// One event per row (POS transactions): identifiers and event properties.
    Events,
}

/// Where a trait or property value comes from.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum FieldSource {
    /// `name = "column"`: a string from that column.
    Column(String),
    /// `name = { column = "c", type = "number" }`, `{ columns = ["lat", "lon"], type = "geo" }`
    /// or `{ value = "store" }` for a constant.
    Spec(FieldSpec),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    #[serde(default)]
    pub column: Option<String>,
    #[serde(default)]
    pub columns: Option<Vec<String>>,
    #[serde(default, rename = "type")]
    pub ty: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
}

/// A resolved field: its columns (indexes into the header) and type.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Columns {
        names: Vec<String>,
        indexes: Vec<usize>,
        ty: TraitType,
    },
    Constant {
        value: String,
        ty: TraitType,
    },
}

/// The mapping file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingFile {
    pub kind: RowKind,
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default)]
    pub event_column: Option<String>,
    #[serde(default)]
    pub message_id: Option<String>,
    #[serde(default)]
    pub identifiers: BTreeMap<String, String>,
    #[serde(default)]
    pub traits: BTreeMap<String, FieldSource>,
    #[serde(default)]
    pub properties: BTreeMap<String, FieldSource>,
    #[serde(default)]
    pub consent: BTreeMap<String, String>,
}

impl MappingFile {
    /// Parses mapping TOML; errors carry TOML's line and column.
    pub fn parse(text: &str) -> Result<MappingFile, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Builds a mapping from `--id KIND=COL`, `--trait NAME[:TYPE]=COL`, `--prop NAME[:TYPE]=COL`,
    /// `--consent PURPOSE=COL` style pairs.
    pub fn from_flags(flags: &MappingFlags) -> Result<MappingFile, String> {
        let kind = if flags.event.is_some() || flags.event_column.is_some() {
            RowKind::Events
        } else {
            RowKind::Profiles
        };
        let pairs = |items: &[String], what: &str| -> Result<Vec<(String, String)>, String> {
            items
                .iter()
                .map(|item| match item.split_once('=') {
                    Some((k, v)) if !k.is_empty() && !v.is_empty() => {
                        Ok((k.to_string(), v.to_string()))
                    }
                    _ => Err(format!("--{what} `{item}` is not NAME=COLUMN")),
                })
                .collect()
        };
        let fields =
            |items: &[String], what: &str| -> Result<BTreeMap<String, FieldSource>, String> {
                Ok(pairs(items, what)?
                    .into_iter()
                    .map(|(name, column)| match name.split_once(':') {
                        Some((name, ty)) => (
                            name.to_string(),
                            FieldSource::Spec(FieldSpec {
                                column: Some(column),
                                columns: None,
                                ty: Some(ty.into()),
                                value: None,
                            }),
                        ),
                        None => (name, FieldSource::Column(column)),
                    })
                    .collect())
            };
        Ok(MappingFile {
            kind,
            timestamp: flags.timestamp.clone(),
            event: flags.event.clone(),
            event_column: flags.event_column.clone(),
            message_id: flags.message_id.clone(),
            identifiers: pairs(&flags.ids, "id")?.into_iter().collect(),
            traits: fields(&flags.traits, "trait")?,
            properties: fields(&flags.props, "prop")?,
            consent: pairs(&flags.consents, "consent")?.into_iter().collect(),
        })
    }
}

/// Mapping given as command-line flags.
#[derive(Debug, Clone, Default)]
pub struct MappingFlags {
    pub ids: Vec<String>,
    pub traits: Vec<String>,
    pub props: Vec<String>,
    pub consents: Vec<String>,
    pub event: Option<String>,
    pub event_column: Option<String>,
    pub timestamp: Option<String>,
    pub message_id: Option<String>,
}

/// A mapping checked against a CSV header.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub kind: RowKind,
    pub timestamp: Option<usize>,
    pub event: EventName,
    pub message_id: Option<usize>,
    pub identifiers: Vec<(String, usize)>,
    pub traits: Vec<(String, Field)>,
    pub properties: Vec<(String, Field)>,
    pub consent: Vec<(ConsentPurpose, usize)>,
    pub header: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum EventName {
    None,
    Fixed(String),
    Column(usize),
}

impl Mapping {
    /// Resolves column names against the header. Every problem is reported at once, each
    /// naming the mapping key, with a did-you-mean for misspelt columns.
    pub fn resolve(file: &MappingFile, header: &[String]) -> Result<Mapping, Vec<String>> {
        let mut errors = Vec::new();
        let mut column_errors = Vec::new();
        let mut column = |key: &str, name: &str| -> Option<usize> {
            let found = header.iter().position(|h| h == name);
            if found.is_none() {
                column_errors.push(format!(
                    "{key}: no column `{name}` in the header{}",
                    suggest(name, header)
                ));
            }
            found
        };
        let timestamp = file
            .timestamp
            .as_deref()
            .and_then(|c| column("timestamp", c));
        let message_id = file
            .message_id
            .as_deref()
            .and_then(|c| column("message_id", c));
        let event = match (&file.event, &file.event_column) {
            (Some(name), None) => EventName::Fixed(name.clone()),
            (None, Some(c)) => column("event_column", c).map_or(EventName::None, EventName::Column),
            (None, None) => EventName::None,
            (Some(_), Some(_)) => {
                errors.push("event, event_column: give one of them, not both".into());
                EventName::None
            }
        };
        let identifiers: Vec<(String, usize)> = file
            .identifiers
            .iter()
            .filter_map(|(kind, c)| {
                Some((kind.clone(), column(&format!("identifiers.{kind}"), c)?))
            })
            .collect();
        let resolve_fields = |section: &str,
                              fields: &BTreeMap<String, FieldSource>,
                              errors_out: &mut Vec<String>| {
            let mut out = Vec::new();
            for (name, source) in fields {
                let key = format!("{section}.{name}");
                match resolve_field(&key, source, header) {
                    Ok(field) => out.push((name.clone(), field)),
                    Err(e) => errors_out.push(e),
                }
            }
            out
        };
        let mut field_errors = Vec::new();
        let traits = resolve_fields("traits", &file.traits, &mut field_errors);
        let properties = resolve_fields("properties", &file.properties, &mut field_errors);
        let mut consent = Vec::new();
        for (purpose, c) in &file.consent {
            match purpose.parse::<ConsentPurpose>() {
                Ok(p) => {
                    if let Some(i) = column(&format!("consent.{purpose}"), c) {
                        consent.push((p, i));
                    }
                }
                Err(e) => field_errors.push(format!("consent.{purpose}: {e}")),
            }
        }
        errors.splice(0..0, column_errors);
        errors.extend(field_errors);
        if identifiers.is_empty() && file.identifiers.is_empty() {
            errors.push(
                "identifiers: map at least one identifier column, e.g. `user_id = \"customer_id\"`"
                    .into(),
            );
        }
        match file.kind {
            RowKind::Events if matches!(event, EventName::None) && file.event_column.is_none() => errors
                .push("event: rows are events, so name them with `event = \"Order Completed\"` or `event_column = \"…\"`".into()),
            RowKind::Events if file.timestamp.is_none() => {
                errors.push("timestamp: rows are events, so map the column holding each event's time".into())
            }
            RowKind::Profiles if !file.properties.is_empty() => {
                errors.push("properties: profile rows have traits, not event properties; use [traits]".into())
            }
            _ => {}
        }
        if errors.is_empty() {
            Ok(Mapping {
                kind: file.kind,
                timestamp,
                event,
                message_id,
                identifiers,
                traits,
                properties,
                consent,
                header: header.to_vec(),
            })
        } else {
            Err(errors)
        }
    }
}

fn resolve_field(key: &str, source: &FieldSource, header: &[String]) -> Result<Field, String> {
    let lookup = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| {
            format!(
                "{key}: no column `{name}` in the header{}",
                suggest(name, header)
            )
        })
    };
    let parse_type = |ty: &Option<String>, default: TraitType| -> Result<TraitType, String> {
        ty.as_deref().map_or(Ok(default), |t| {
            t.parse().map_err(|e| format!("{key}: {e}"))
        })
    };
    match source {
        FieldSource::Column(name) => Ok(Field::Columns {
            names: vec![name.clone()],
            indexes: vec![lookup(name)?],
            ty: TraitType::String,
        }),
        FieldSource::Spec(spec) => match (&spec.column, &spec.columns, &spec.value) {
            (Some(c), None, None) => {
                let ty = parse_type(&spec.ty, TraitType::String)?;
                Ok(Field::Columns {
                    names: vec![c.clone()],
                    indexes: vec![lookup(c)?],
                    ty,
                })
            }
            (None, Some(cs), None) => {
                let ty = parse_type(&spec.ty, TraitType::Geo)?;
                if ty != TraitType::Geo || cs.len() != 2 {
                    return Err(format!("{key}: `columns` is for geo points: two columns, latitude then longitude, with type = \"geo\""));
                }
                let indexes = cs.iter().map(|c| lookup(c)).collect::<Result<_, _>>()?;
                Ok(Field::Columns {
                    names: cs.clone(),
                    indexes,
                    ty,
                })
            }
            (None, None, Some(v)) => {
                let ty = parse_type(&spec.ty, TraitType::String)?;
                tessera_model::TraitValue::parse_text(v, ty).map_err(|e| format!("{key}: {e}"))?;
                Ok(Field::Constant {
                    value: v.clone(),
                    ty,
                })
            }
            _ => Err(format!(
                "{key}: give exactly one of `column`, `columns` or `value`"
            )),
        },
    }
}

fn suggest(name: &str, header: &[String]) -> String {
    let best = header
        .iter()
        .map(|h| {
            (
                strsim::jaro_winkler(&h.to_lowercase(), &name.to_lowercase()),
                h,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, h)) => format!("; did you mean `{h}`?"),
        None => format!(" (columns: {})", header.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cols: &[&str]) -> Vec<String> {
        cols.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn misspelt_columns_are_all_reported_with_suggestions() {
        let file = MappingFile::parse(
            "kind = \"profiles\"\n[identifiers]\nemail = \"emial\"\n[traits]\nage = { column = \"agee\", type = \"number\" }\n",
        )
        .unwrap();
        let errors = Mapping::resolve(&file, &header(&["email", "age"])).unwrap_err();
        assert_eq!(
            errors,
            vec![
                "identifiers.email: no column `emial` in the header; did you mean `email`?",
                "traits.age: no column `agee` in the header; did you mean `age`?",
            ]
        );
    }

    #[test]
    fn event_rows_need_a_name_and_a_time() {
        let file =
            MappingFile::parse("kind = \"events\"\n[identifiers]\nuser_id = \"id\"\n").unwrap();
        let errors = Mapping::resolve(&file, &header(&["id"])).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("event: rows are events"),
            "{errors:?}"
        );
    }

    #[test]
    fn unknown_mapping_keys_are_rejected_with_position() {
        let err = MappingFile::parse("kind = \"profiles\"\nidentifier = {}\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("identifier"), "{err}");
    }

    #[test]
    fn flags_build_the_same_mapping_as_a_file() {
        let flags = MappingFlags {
            ids: vec!["email=mail".into()],
            traits: vec!["age:number=age".into()],
            ..Default::default()
        };
        let file = MappingFile::from_flags(&flags).unwrap();
        let mapping = Mapping::resolve(&file, &header(&["mail", "age"])).unwrap();
        assert_eq!(mapping.identifiers, vec![("email".to_string(), 0)]);
        assert!(matches!(
            &mapping.traits[0].1,
            Field::Columns {
                ty: TraitType::Number,
                ..
            }
        ));
    }
}
