//! Tessera's streaming importers: Segment-spec JSON Lines and mapped CSV.
//!
//! ```text
//!   file ──line by line──▶ parse (segment_spec / csv_rows) ──▶ normalise identifiers
//!        ──batch of N──▶ Store::ingest_batch (one transaction) ──▶ outcomes
//!                                             rejects ──▶ <file>.rejects.jsonl
//! ```
//!
//! Memory is bounded by one batch whatever the file size. Every line ends as stored, a
//! duplicate (already stored: re-importing a file adds nothing) or a reject naming the file,
//! line, field and reason. Nothing is dropped silently.

mod csv_rows;
pub mod mapping;
mod rejects;
pub mod segment_spec;

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use tessera_identity::{Normalized, Normalizer};
use tessera_model::{Identifier, IdentifierKind, Millis};
use tessera_store::{Outcome, Record, Store};

pub use mapping::{Mapping, MappingFile, MappingFlags, RowKind};
pub use rejects::Reject;
use rejects::RejectsWriter;
use segment_spec::{FieldError, RawIdentifiers};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] tessera_store::Error),
    #[error("{path}: the mapping does not fit the file:\n  {}", .errors.join("\n  "))]
    Mapping { path: PathBuf, errors: Vec<String> },
    #[error("{path}: cannot read the CSV header: {message}")]
    Header { path: PathBuf, message: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The format of an input file.
#[derive(Debug, Clone)]
pub enum Format {
    /// One Segment tracking-spec message per line.
    SegmentJsonl,
    /// CSV with a header row, read through a mapping.
    Csv(MappingFile),
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Records per transaction.
    pub batch_size: usize,
    /// Where rejected lines go; default `<input>.rejects.jsonl` beside the input.
    pub rejects: Option<PathBuf>,
    /// The receive time of messages without `receivedAt`, and the time of CSV profile rows
    /// when the mapping has no timestamp column.
    pub now: Millis,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            batch_size: 5_000,
            rejects: None,
            now: now_millis(),
        }
    }
}

/// Progress after each committed batch.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub bytes_read: u64,
    pub total_bytes: u64,
    pub lines: u64,
    pub stored: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// Every line up to and including this one is durably handled (stored, duplicate or
    /// reported as rejected).
    pub committed_through_line: u64,
}

/// The result of an import.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub progress: Progress,
    /// Identifier values ignored for linking because they are on the blocklist.
    pub blocked_identifiers: u64,
    pub rejects_path: Option<PathBuf>,
    /// The first few rejects, for the terminal.
    pub first_rejects: Vec<Reject>,
}

/// A parsed line waiting for its batch to commit.
struct Pending {
    line: u64,
    raw: String,
    record: Record,
}

/// Imports one file into the store. Returns `Err` only for problems that stop the whole
/// import (unreadable file, mapping that does not fit, storage failure); bad rows are
/// rejects in the report.
pub fn import_file(
    store: &mut Store,
    path: &Path,
    format: &Format,
    options: &ImportOptions,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<ImportReport> {
    let io_err = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io_err)?;
    let total_bytes = file.metadata().map_err(io_err)?.len();
    let rejects_path = options.rejects.clone().unwrap_or_else(|| {
        let mut name = path.as_os_str().to_owned();
        name.push(".rejects.jsonl");
        PathBuf::from(name)
    });
    let identity = store.config().identity.clone();
    let normalizer = Normalizer::new(&identity);
    let mut importer = Importer {
        normalizer: &normalizer,
        store,
        file_name: path.display().to_string(),
        options,
        rejects: RejectsWriter::new(rejects_path),
        pending: Vec::with_capacity(options.batch_size),
        report: ImportReport {
            progress: Progress {
                total_bytes,
                ..Default::default()
            },
            ..Default::default()
        },
        on_progress,
    };
    let import_id = importer.store.begin_import(&importer.file_name)?;
    match format {
        Format::SegmentJsonl => importer.read_jsonl(BufReader::with_capacity(1 << 20, file))?,
        Format::Csv(mapping) => csv_rows::read_csv(&mut importer, file, mapping)?,
    }
    importer.flush()?;
    let p = &importer.report.progress;
    let (stored, duplicates, rejected) = (p.stored, p.duplicates, p.rejected);
    importer
        .store
        .finish_import(import_id, stored, duplicates, rejected)?;
    importer.report.rejects_path = importer.rejects.finish().map_err(io_err)?;
    Ok(importer.report)
}

pub(crate) struct Importer<'a> {
    normalizer: &'a Normalizer<'a>,
    store: &'a mut Store,
    file_name: String,
    options: &'a ImportOptions,
    rejects: RejectsWriter,
    pending: Vec<Pending>,
    report: ImportReport,
    on_progress: &'a mut dyn FnMut(&Progress),
}

impl Importer<'_> {
    fn read_jsonl(&mut self, mut reader: impl BufRead) -> Result<()> {
        let mut line = String::new();
        let mut number = 0u64;
        loop {
            line.clear();
            let read = reader.read_line(&mut line).map_err(|source| Error::Io {
                path: self.file_name.clone().into(),
                source,
            })?;
            if read == 0 {
                return Ok(());
            }
            number += 1;
            self.report.progress.bytes_read += read as u64;
            let text = line.trim_end_matches(['\n', '\r']);
            if text.trim().is_empty() {
                self.skip_line(number)?;
                continue;
            }
            let parsed = serde_json::from_str::<serde_json::Value>(text)
                .map_err(|e| {
                    FieldError::new("", format!("invalid JSON at column {}: {e}", e.column()))
                })
                .and_then(|value| segment_spec::parse_message(&value, text, self.options.now));
            match parsed {
                Ok(mut message) => {
                    if let Some(previous) = message.previous_id.take() {
                        let kind = self
                            .store
                            .known_kind_of(&previous)?
                            .unwrap_or(IdentifierKind::AnonymousId);
                        message
                            .identifiers
                            .push((Identifier::new(kind, previous), "previousId".into()));
                    }
                    self.accept(number, text, message.record, message.identifiers)?
                }
                Err(e) => self.reject(number, text, e)?,
            }
        }
    }

    /// Normalises a parsed record's identifiers and queues it for the next batch.
    fn accept(
        &mut self,
        line: u64,
        raw: &str,
        mut record: Record,
        ids: RawIdentifiers,
    ) -> Result<()> {
        let mut normalised: Vec<Identifier> = Vec::with_capacity(ids.len());
        let mut blocked = 0;
        for (id, field) in ids {
            match self.normalizer.normalize(&id) {
                Normalized::Ok(id) => {
                    if !normalised.contains(&id) {
                        normalised.push(id)
                    }
                }
                Normalized::Blocked { .. } => blocked += 1,
                Normalized::Invalid { reason } => {
                    return self.reject(line, raw, FieldError::new(field, reason));
                }
            }
        }
        self.report.blocked_identifiers += blocked;
        if normalised.is_empty() && blocked > 0 {
            return self.reject(
                line,
                raw,
                FieldError::new("identifiers", "every identifier of this record is on the blocklist, so it cannot be attributed to anyone"),
            );
        }
        record.identifiers = normalised;
        self.pending.push(Pending {
            line,
            raw: raw.to_string(),
            record,
        });
        if self.pending.len() >= self.options.batch_size {
            self.flush()?;
        }
        Ok(())
    }

    fn reject(&mut self, line: u64, raw: &str, error: FieldError) -> Result<()> {
        let reject = Reject {
            file: self.file_name.clone(),
            line,
            field: error.field,
            reason: error.reason,
            raw: raw.chars().take(2_000).collect(),
        };
        self.record_reject(reject)?;
        self.maybe_report_without_pending(line);
        Ok(())
    }

    /// A line with nothing in it: counted, never stored.
    fn skip_line(&mut self, line: u64) -> Result<()> {
        self.report.progress.lines += 1;
        self.maybe_report_without_pending(line);
        Ok(())
    }

    fn maybe_report_without_pending(&mut self, line: u64) {
        if self.pending.is_empty() {
            self.report.progress.committed_through_line = line;
        }
    }

    fn record_reject(&mut self, reject: Reject) -> Result<()> {
        self.report.progress.lines += 1;
        self.report.progress.rejected += 1;
        if self.report.first_rejects.len() < 10 {
            self.report.first_rejects.push(reject.clone());
        }
        self.rejects.write(&reject).map_err(|source| Error::Io {
            path: self.rejects.path().to_path_buf(),
            source,
        })
    }

    /// Commits the pending batch and reports what happened to each of its lines.
    fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            (self.on_progress)(&self.report.progress);
            return Ok(());
        }
        let batch = std::mem::take(&mut self.pending);
        let (records, lines): (Vec<Record>, Vec<(u64, String)>) = batch
            .into_iter()
            .map(|p| (p.record, (p.line, p.raw)))
            .unzip();
        let outcomes = self.store.ingest_batch(&records)?;
        let mut last_line = 0;
        for ((line, raw), outcome) in lines.into_iter().zip(outcomes) {
            last_line = last_line.max(line);
            match outcome {
                Outcome::Stored { .. } => {
                    self.report.progress.lines += 1;
                    self.report.progress.stored += 1;
                }
                Outcome::Duplicate => {
                    self.report.progress.lines += 1;
                    self.report.progress.duplicates += 1;
                }
                Outcome::Rejected { field, reason } => self.record_reject(Reject {
                    file: self.file_name.clone(),
                    line,
                    field,
                    reason,
                    raw: raw.chars().take(2_000).collect(),
                })?,
            }
        }
        self.rejects.flush().map_err(|source| Error::Io {
            path: self.rejects.path().to_path_buf(),
            source,
        })?;
        let progress = &mut self.report.progress;
        progress.committed_through_line = progress.committed_through_line.max(last_line);
        (self.on_progress)(&self.report.progress);
        Ok(())
    }
}

fn now_millis() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
