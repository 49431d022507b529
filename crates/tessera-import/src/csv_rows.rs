//! CSV rows read through a [`Mapping`] into store records.

use std::io::BufRead;

use serde_json::{Map, Value};
use tessera_model::{EventKind, Identifier, TraitType, TraitValue};
use tessera_store::{Record, TraitInput};

use crate::input::{Consumed, Input};
use crate::mapping::{EventName, Field, Mapping, MappingFile, RowKind};
use crate::segment_spec::{derived_message_id, FieldError, RawIdentifiers};
use crate::{ChunkSender, Error, Parsed, Result};

/// A CSV file whose header has been read and whose mapping fits it.
pub(crate) struct CsvInput {
    file_name: String,
    reader: csv::Reader<Box<dyn BufRead + Send>>,
    consumed: Consumed,
    mapping: Mapping,
}

/// Reads the header and checks the mapping against it; every mapping problem is reported.
pub(crate) fn open(file_name: &str, input: Input, mapping_file: &MappingFile) -> Result<CsvInput> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(input.text);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| Error::Header {
            path: file_name.into(),
            message: e.to_string(),
        })?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mapping = Mapping::resolve(mapping_file, &header).map_err(|errors| Error::Mapping {
        path: file_name.into(),
        errors,
    })?;
    Ok(CsvInput {
        file_name: file_name.to_string(),
        reader,
        consumed: input.consumed,
        mapping,
    })
}

/// The parser thread for CSV: sends every row, mapped or rejected, to the writer.
pub(crate) fn parse(input: CsvInput, mut out: ChunkSender<'_>, now: tessera_model::Millis) {
    let CsvInput {
        file_name,
        mut reader,
        consumed,
        mapping,
    } = input;
    // The header line is handled: nothing to store from it.
    if !out.push(Parsed::Skip { line: 1 }, consumed.get()) {
        return;
    }
    let mut row = csv::StringRecord::new();
    loop {
        let line_before = reader.position().line();
        let keep_going = match reader.read_record(&mut row) {
            Ok(false) => return out.finish(),
            Ok(true) => {
                let line = row.position().map_or(line_before, |p| p.line());
                let byte = consumed.get();
                let raw = row.iter().collect::<Vec<_>>().join(",");
                if row.iter().all(|cell| cell.trim().is_empty()) {
                    out.push(Parsed::Skip { line }, byte)
                } else {
                    match row_to_record(&mapping, &row, now) {
                        Ok((record, ids)) => out.record(line, raw, record, ids, None, byte),
                        Err(error) => out.push(Parsed::Reject { line, raw, error }, byte),
                    }
                }
            }
            // The file cannot be read on (a damaged gzip stream, say): the import stops there.
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                let csv::ErrorKind::Io(source) = e.into_kind() else {
                    unreachable!("matched above")
                };
                return out.fail(Error::Io {
                    path: file_name.into(),
                    source,
                });
            }
            // A malformed row (bad quoting, invalid UTF-8) is a reject, not the end.
            Err(e) => {
                let line = e.position().map_or(line_before, |p| p.line());
                let error = FieldError::new("", format!("unreadable CSV row: {e}"));
                out.push(
                    Parsed::Reject {
                        line,
                        raw: String::new(),
                        error,
                    },
                    consumed.get(),
                )
            }
        };
        if !keep_going {
            return;
        }
    }
}

fn row_to_record(
    mapping: &Mapping,
    row: &csv::StringRecord,
    now: tessera_model::Millis,
) -> Result<(Record, RawIdentifiers), FieldError> {
    if row.len() != mapping.header.len() {
        return Err(FieldError::new(
            "",
            format!(
                "row has {} fields but the header has {}",
                row.len(),
                mapping.header.len()
            ),
        ));
    }
    let cell = |i: usize| row.get(i).unwrap_or("");
    let column_name = |i: usize| mapping.header[i].clone();
    let timestamp = match mapping.timestamp {
        Some(i) => match TraitValue::parse_text(cell(i), TraitType::Timestamp) {
            Ok(TraitValue::Timestamp(ts)) => ts,
            _ if cell(i).trim().is_empty() => {
                return Err(FieldError::new(
                    column_name(i),
                    "empty; every row needs its time",
                ))
            }
            _ => {
                return Err(FieldError::new(
                    column_name(i),
                    format!("`{}` is not a date or RFC 3339 timestamp", cell(i).trim()),
                ))
            }
        },
        None => now,
    };
    let mut identifiers: RawIdentifiers = Vec::new();
    for (kind, i) in &mapping.identifiers {
        let value = cell(*i).trim();
        if !value.is_empty() {
            identifiers.push((Identifier::new(kind.as_str(), value), column_name(*i)));
        }
    }
    let read_field = |field: &Field| -> Result<Option<TraitValue>, FieldError> {
        match field {
            Field::Constant { value, ty } => TraitValue::parse_text(value, *ty)
                .map(Some)
                .map_err(|e| FieldError::new("", e)),
            Field::Columns { indexes, ty, .. } => {
                let cells: Vec<&str> = indexes.iter().map(|i| cell(*i).trim()).collect();
                if cells.iter().all(|c| c.is_empty()) {
                    return Ok(None);
                }
                let text = cells.join(",");
                TraitValue::parse_text(&text, *ty)
                    .map(Some)
                    .map_err(|e| FieldError::new(column_name(indexes[0]), e))
            }
        }
    };
    let mut traits = Vec::new();
    for (name, field) in &mapping.traits {
        if let Some(value) = read_field(field)? {
            traits.push((name.clone(), TraitInput::Typed(value)));
        }
    }
    let mut properties = Map::new();
    for (name, field) in &mapping.properties {
        if let Some(value) = read_field(field)? {
            properties.insert(name.clone(), value.to_json());
        }
    }
    let mut consents = Vec::new();
    for (purpose, i) in &mapping.consent {
        let text = cell(*i).trim();
        if text.is_empty() {
            continue;
        }
        match TraitValue::parse_text(text, TraitType::Bool) {
            Ok(TraitValue::Bool(granted)) => consents.push((*purpose, granted)),
            _ => {
                return Err(FieldError::new(
                    column_name(*i),
                    format!("`{text}` is not a yes/no consent value"),
                ))
            }
        }
    }
    let (kind, name) = match (&mapping.kind, &mapping.event) {
        (RowKind::Profiles, _) => (
            EventKind::Identify,
            EventKind::Identify.default_event_name().to_string(),
        ),
        (RowKind::Events, EventName::Fixed(name)) => (EventKind::Track, name.clone()),
        (RowKind::Events, EventName::Column(i)) => {
            let name = cell(*i).trim();
            if name.is_empty() {
                return Err(FieldError::new(column_name(*i), "empty event name"));
            }
            (EventKind::Track, name.to_string())
        }
        (RowKind::Events, EventName::None) => {
            return Err(FieldError::new(
                "",
                "internal: events mapping without event name",
            ))
        }
    };
    let message_id = match mapping.message_id {
        Some(i) if !cell(i).trim().is_empty() => cell(i).trim().to_string(),
        Some(i) => return Err(FieldError::new(column_name(i), "empty message id")),
        // Without an id column, the row's content identifies it: re-importing the same file is
        // a no-op, while two identical rows in one file count once (documented).
        None => derived_message_id(&row.iter().collect::<Vec<_>>().join("\u{1f}")),
    };
    let record = Record {
        message_id,
        kind,
        name,
        timestamp,
        received_at: now,
        identifiers: Vec::new(),
        traits,
        consents,
        properties,
        context: Map::<String, Value>::new(),
    };
    Ok((record, identifiers))
}
