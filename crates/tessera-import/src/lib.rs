//! Tessera's streaming importers: Segment-spec JSON Lines and mapped CSV.
//!
//! ```text
//!   parser thread: file ──line by line──▶ parse (jsonl / csv_rows) ──▶ normalise identifiers
//!                        ──chunks (bounded channel)──▶
//!   writer (caller's thread): batch of N ──▶ Store::ingest_batch (one transaction) ──▶ outcomes
//!                                                    rejects ──▶ <file>.rejects.jsonl
//! ```
//!
//! Parsing runs on its own thread so that JSON decoding overlaps with SQLite writes; the
//! channel is bounded (a batch and a few chunks), and committed batches are freed on a third
//! thread, so memory stays bounded by a few batches whatever the file size. Every line ends as
//! stored, a duplicate (already stored: re-importing a file adds nothing) or a reject naming
//! the file, line, field and reason. Nothing is dropped silently.

mod csv_rows;
mod input;
mod jsonl;
pub mod mapping;
pub mod places;
mod rejects;
pub mod segment_spec;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use tessera_identity::{Normalized, Normalizer};
use tessera_model::{Identifier, IdentifierKind, Millis};
use tessera_store::{EncodedRecord, Outcome, Record, Store};

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

/// One input line after parsing, on its way from the parser thread to the writer.
pub(crate) enum Parsed {
    /// Identifiers already normalised into `record.identifiers`; an `alias`'s previous id
    /// still needs the store to tell its kind.
    Record {
        line: u64,
        raw: String,
        /// Boxed: a record is far larger than the other kinds of line.
        record: Box<EncodedRecord>,
        previous_id: Option<String>,
    },
    Reject {
        line: u64,
        raw: String,
        error: FieldError,
    },
    /// A blank line: counted, never stored.
    Skip { line: u64 },
}

/// What the parser thread sends: parsed lines, and how far into the file it got.
pub(crate) struct Chunk {
    pub items: Vec<Parsed>,
    pub bytes_read: u64,
    pub blocked_identifiers: u64,
}

pub(crate) const CHUNK_LINES: usize = 1_000;

/// The parser thread's side: fills chunks and sends them; stops when the writer hangs up.
pub(crate) struct ChunkSender<'n> {
    tx: SyncSender<Result<Chunk>>,
    chunk: Chunk,
    pub normalizer: &'n Normalizer<'n>,
}

impl<'n> ChunkSender<'n> {
    fn new(tx: SyncSender<Result<Chunk>>, normalizer: &'n Normalizer<'n>) -> Self {
        ChunkSender {
            tx,
            chunk: Chunk::empty(),
            normalizer,
        }
    }

    /// Queues one parsed line; `false` when the writer has stopped listening.
    pub(crate) fn push(&mut self, item: Parsed, bytes_read: u64) -> bool {
        self.chunk.items.push(item);
        self.chunk.bytes_read = bytes_read;
        if self.chunk.items.len() >= CHUNK_LINES {
            let full = std::mem::replace(&mut self.chunk, Chunk::empty());
            return self.tx.send(Ok(full)).is_ok();
        }
        true
    }

    /// Normalises a record's identifiers, encodes it for the store (here rather than on the
    /// writer's thread, which bounds the import) and queues it, or its reject.
    pub(crate) fn record(
        &mut self,
        line: u64,
        raw: String,
        mut record: Record,
        ids: RawIdentifiers,
        previous_id: Option<String>,
        bytes_read: u64,
    ) -> bool {
        let item = match normalise(self.normalizer, ids, &mut self.chunk.blocked_identifiers) {
            Ok(normalised) => {
                record.identifiers = normalised;
                match EncodedRecord::new(record) {
                    Ok(record) => Parsed::Record {
                        line,
                        raw,
                        record: Box::new(record),
                        previous_id,
                    },
                    Err(e) => {
                        let _ = self.tx.send(Err(e.into()));
                        return false;
                    }
                }
            }
            Err(error) => Parsed::Reject { line, raw, error },
        };
        self.push(item, bytes_read)
    }

    pub(crate) fn fail(self, error: Error) {
        let _ = self.tx.send(Err(error));
    }

    pub(crate) fn finish(self) {
        if !self.chunk.items.is_empty() || self.chunk.bytes_read > 0 {
            let _ = self.tx.send(Ok(self.chunk));
        }
    }
}

impl Chunk {
    fn empty() -> Chunk {
        Chunk {
            items: Vec::with_capacity(CHUNK_LINES),
            bytes_read: 0,
            blocked_identifiers: 0,
        }
    }
}

/// A message ready for the store: identifiers normalised. An `alias`'s previous id still
/// needs the store to tell its kind: see [`attach_previous_id`].
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Encoded for the store already, so that the writer thread does not.
    pub record: EncodedRecord,
    pub previous_id: Option<String>,
}

/// Parses a Segment message and normalises its identifiers (the HTTP API's path).
pub fn prepare_message(
    value: &serde_json::Value,
    id_seed: &str,
    receipt: &segment_spec::Receipt,
    normalizer: &Normalizer<'_>,
    blocked: &mut u64,
) -> Result<Prepared, FieldError> {
    let message = segment_spec::parse_message_with(value, id_seed, receipt)?;
    let mut record = message.record;
    record.identifiers = normalise(normalizer, message.identifiers, blocked)?;
    // Serialising JSON values cannot fail; were it to, the properties are what it reads.
    let record =
        EncodedRecord::new(record).map_err(|e| FieldError::new("properties", e.to_string()))?;
    Ok(Prepared {
        record,
        previous_id: message.previous_id,
    })
}

/// Adds an alias's previous id to the record, as a user id when the store knows it as one
/// and as an anonymous id otherwise. `Ok(Err(_))` is the record's rejection.
pub fn attach_previous_id(
    store: &Store,
    normalizer: &Normalizer<'_>,
    identifiers: &mut Vec<Identifier>,
    previous: String,
    blocked: &mut u64,
) -> Result<Result<(), FieldError>, tessera_store::Error> {
    let kind = store
        .known_kind_of(previous.trim())?
        .unwrap_or(IdentifierKind::AnonymousId);
    Ok(normalise(
        normalizer,
        vec![(Identifier::new(kind, previous), "previousId".into())],
        blocked,
    )
    .map(|ids| identifiers.extend(ids)))
}

/// Normalises raw identifiers: invalid ones reject the line naming their field, blocked ones
/// are dropped (and counted), duplicates after normalisation are merged.
fn normalise(
    normalizer: &Normalizer<'_>,
    ids: RawIdentifiers,
    blocked_count: &mut u64,
) -> Result<Vec<Identifier>, FieldError> {
    let mut normalised: Vec<Identifier> = Vec::with_capacity(ids.len());
    let mut blocked = 0;
    for (id, field) in ids {
        match normalizer.normalize(&id) {
            Normalized::Ok(id) => {
                if !normalised.contains(&id) {
                    normalised.push(id)
                }
            }
            Normalized::Blocked { .. } => blocked += 1,
            Normalized::Invalid { reason } => return Err(FieldError::new(field, reason)),
        }
    }
    *blocked_count += blocked;
    if normalised.is_empty() && blocked > 0 {
        return Err(FieldError::new(
            "identifiers",
            "every identifier of this record is on the blocklist, so it cannot be attributed to anyone",
        ));
    }
    Ok(normalised)
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
    let total_bytes = std::fs::metadata(path).map_err(io_err)?.len();
    let input = input::open(path).map_err(io_err)?;
    let file_name = path.display().to_string();
    // Read the CSV header and check the mapping before anything else happens.
    let source = match format {
        Format::Csv(mapping) => Source::Csv(Box::new(csv_rows::open(&file_name, input, mapping)?)),
        Format::SegmentJsonl => Source::Jsonl(input),
    };
    let rejects_path = options.rejects.clone().unwrap_or_else(|| {
        let mut name = path.as_os_str().to_owned();
        name.push(".rejects.jsonl");
        PathBuf::from(name)
    });
    let identity = store.config().identity.clone();
    let normalizer = Normalizer::new(&identity);
    let import_id = store.begin_import(&file_name)?;
    // WAL checkpoints run beside the writer, which bounds an import (they were 5 % of its
    // time). The checkpointer stops, after a last checkpoint, when dropped at the end.
    let _checkpointer = store.checkpoint_in_background()?;
    let mut writer = Writer {
        normalizer: &normalizer,
        store,
        file_name: file_name.clone(),
        options,
        rejects: RejectsWriter::new(rejects_path),
        pending: Vec::with_capacity(options.batch_size),
        garbage: None,
        report: ImportReport {
            progress: Progress {
                total_bytes,
                ..Default::default()
            },
            ..Default::default()
        },
        on_progress,
    };
    // Room for a whole batch and more: while the writer commits one batch, the parser fills
    // the next. With room for less, it stalled, and the two threads took turns.
    let queued_chunks = (options.batch_size / CHUNK_LINES).max(4) + 4;
    let (tx, rx) = sync_channel::<Result<Chunk>>(queued_chunks);
    std::thread::scope(|scope| -> Result<()> {
        let now = options.now;
        let normalizer = &normalizer;
        scope.spawn(move || {
            let sender = ChunkSender::new(tx, normalizer);
            match source {
                Source::Csv(reader) => csv_rows::parse(*reader, sender, now),
                Source::Jsonl(input) => jsonl::parse(&file_name, input, sender, now),
            }
        });
        // Committed batches are freed on a thread of their own: dropping their records (maps
        // of JSON values, strings) took about an eighth of the writer's time, and the writer
        // bounds an import.
        let (garbage, bin) = sync_channel::<Garbage>(2);
        scope.spawn(move || bin.into_iter().for_each(drop));
        writer.garbage = Some(garbage);
        // Returning early drops `rx`, which stops the parser thread at its next send.
        let written = writer.consume(rx).and_then(|()| writer.flush());
        // The freeing thread ends when its sender is gone; the scope waits for it.
        writer.garbage = None;
        written
    })?;
    let p = &writer.report.progress;
    let (stored, duplicates, rejected) = (p.stored, p.duplicates, p.rejected);
    writer
        .store
        .finish_import(import_id, stored, duplicates, rejected)?;
    writer.report.rejects_path = writer.rejects.finish().map_err(io_err)?;
    Ok(writer.report)
}

/// An opened input with its parser's state.
enum Source {
    Csv(Box<csv_rows::CsvInput>),
    Jsonl(input::Input),
}

/// A parsed line waiting for its batch to commit.
struct Pending {
    line: u64,
    raw: String,
    record: EncodedRecord,
}

/// A committed batch on its way to being freed.
type Garbage = (Vec<EncodedRecord>, Vec<(u64, String)>);

/// The writer: batches parsed records into store transactions and accounts for every line.
struct Writer<'a> {
    normalizer: &'a Normalizer<'a>,
    store: &'a mut Store,
    file_name: String,
    options: &'a ImportOptions,
    rejects: RejectsWriter,
    pending: Vec<Pending>,
    /// Where committed batches go to be freed (dropped here when `None`).
    garbage: Option<SyncSender<Garbage>>,
    report: ImportReport,
    on_progress: &'a mut dyn FnMut(&Progress),
}

impl Writer<'_> {
    fn consume(&mut self, rx: Receiver<Result<Chunk>>) -> Result<()> {
        for chunk in rx {
            let chunk = chunk?;
            self.report.blocked_identifiers += chunk.blocked_identifiers;
            for item in chunk.items {
                match item {
                    Parsed::Record {
                        line,
                        raw,
                        mut record,
                        previous_id,
                    } => {
                        if let Some(previous) = previous_id {
                            let mut blocked = 0;
                            let attached = attach_previous_id(
                                self.store,
                                self.normalizer,
                                record.identifiers_mut(),
                                previous,
                                &mut blocked,
                            )?;
                            self.report.blocked_identifiers += blocked;
                            if let Err(error) = attached {
                                self.reject(line, &raw, error)?;
                                continue;
                            }
                        }
                        self.pending.push(Pending {
                            line,
                            raw,
                            record: *record,
                        });
                        if self.pending.len() >= self.options.batch_size {
                            self.report.progress.bytes_read = chunk.bytes_read;
                            self.flush()?;
                        }
                    }
                    Parsed::Reject { line, raw, error } => self.reject(line, &raw, error)?,
                    Parsed::Skip { line } => {
                        self.report.progress.lines += 1;
                        self.advance_without_pending(line);
                    }
                }
            }
            self.report.progress.bytes_read = chunk.bytes_read;
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
        self.advance_without_pending(line);
        Ok(())
    }

    /// A line handled without a store write is committed at once if nothing precedes it.
    fn advance_without_pending(&mut self, line: u64) {
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
        let (records, lines): (Vec<EncodedRecord>, Vec<(u64, String)>) = batch
            .into_iter()
            .map(|p| (p.record, (p.line, p.raw)))
            .unzip();
        let outcomes = self.store.ingest_encoded(&records)?;
        let mut last_line = 0;
        for (&(line, ref raw), outcome) in lines.iter().zip(outcomes) {
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
        if let Some(garbage) = &self.garbage {
            // Fails only if the freeing thread is gone, which then drops the batch here.
            let _ = garbage.send((records, lines));
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
