//! Records with the store-independent part of writing them done ahead of the writer.
//!
//! The writer is one thread holding SQLite's write lock. What it would compute per record
//! without looking at the store (the message id's deduplication key, the JSON texts of the
//! payload) can be computed anywhere else first: an importer does it on its parsing thread.

use serde_json::{Map, Value};
use tessera_model::Identifier;

use crate::index::message_key;
use crate::payload::PayloadParts;
use crate::{Record, Result};

/// A [`Record`] with its deduplication key and its payload before compression.
///
/// The record is only reachable read-only, except for its identifiers (an alias's previous
/// id is attached once the store can tell its kind): what the encoding was computed from
/// cannot change under it.
#[derive(Debug, Clone)]
pub struct EncodedRecord {
    record: Record,
    pub(crate) encoding: Encoding,
}

/// What [`EncodedRecord`] adds to a record.
#[derive(Debug, Clone)]
pub(crate) struct Encoding {
    pub key: [u8; 16],
    /// The plain payload (`payload.rs`): properties, context and segment context.
    pub plain: Vec<u8>,
}

impl Encoding {
    pub(crate) fn of(record: &Record) -> Result<Encoding> {
        let properties = json_text(&record.properties)?;
        let context = json_text(&record.context)?;
        let segment_context = tessera_model::segment_context(&record.context)
            .map(|summary| Value::Object(summary).to_string());
        let mut plain = Vec::with_capacity(properties.len() + context.len() + 8);
        PayloadParts {
            properties: &properties,
            context: &context,
            segment_context: segment_context.as_deref(),
        }
        .write_plain(&mut plain);
        Ok(Encoding {
            key: message_key(&record.message_id),
            plain,
        })
    }
}

impl EncodedRecord {
    pub fn new(record: Record) -> Result<EncodedRecord> {
        let encoding = Encoding::of(&record)?;
        Ok(EncodedRecord { record, encoding })
    }

    pub fn record(&self) -> &Record {
        &self.record
    }

    /// The identifiers, which the encoding does not depend on.
    pub fn identifiers_mut(&mut self) -> &mut Vec<Identifier> {
        &mut self.record.identifiers
    }

    pub fn into_record(self) -> Record {
        self.record
    }
}

fn json_text(map: &Map<String, Value>) -> Result<String> {
    serde_json::to_string(map).map_err(|e| crate::Error::Internal(format!("serialising JSON: {e}")))
}
