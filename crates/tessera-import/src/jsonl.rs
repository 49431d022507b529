//! The parser thread for Segment-spec JSON Lines.

use std::io::BufRead;

use tessera_model::Millis;

use crate::input::Input;
use crate::segment_spec::{parse_message, FieldError};
use crate::{ChunkSender, Error, Parsed};

/// Reads the file line by line and sends every line, parsed or rejected, to the writer.
pub(crate) fn parse(file_name: &str, input: Input, mut out: ChunkSender<'_>, now: Millis) {
    let io_error = |source| Error::Io {
        path: file_name.into(),
        source,
    };
    let Input {
        text: mut reader,
        consumed,
    } = input;
    let mut line = String::new();
    let mut number = 0u64;
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => return out.finish(),
            Ok(_) => {}
            Err(e) => return out.fail(io_error(e)),
        }
        number += 1;
        let bytes_read = consumed.get();
        let text = line.trim_end_matches(['\n', '\r']);
        let keep_going = if text.trim().is_empty() {
            out.push(Parsed::Skip { line: number }, bytes_read)
        } else {
            let parsed = serde_json::from_str::<serde_json::Value>(text)
                .map_err(|e| {
                    FieldError::new("", format!("invalid JSON at column {}: {e}", e.column()))
                })
                .and_then(|value| parse_message(&value, text, now));
            match parsed {
                Ok(m) => out.record(
                    number,
                    text.to_string(),
                    m.record,
                    m.identifiers,
                    m.previous_id,
                    bytes_read,
                ),
                Err(error) => out.push(
                    Parsed::Reject {
                        line: number,
                        raw: text.to_string(),
                        error,
                    },
                    bytes_read,
                ),
            }
        };
        if !keep_going {
            return;
        }
    }
}
