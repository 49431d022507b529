//! The rejects file: one JSON object per rejected line, created only when a line is rejected.

use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

/// A line that was not stored, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reject {
    pub file: String,
    pub line: u64,
    /// The JSON field (dotted path) or CSV column at fault; empty when the whole line is.
    pub field: String,
    pub reason: String,
    /// The line as read (truncated to 2,000 characters), so it can be fixed and re-imported.
    pub raw: String,
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}:{}: {}", self.file, self.line, self.reason)
        } else {
            write!(
                f,
                "{}:{}: field `{}`: {}",
                self.file, self.line, self.field, self.reason
            )
        }
    }
}

pub(crate) struct RejectsWriter {
    path: PathBuf,
    out: Option<BufWriter<File>>,
}

impl RejectsWriter {
    pub(crate) fn new(path: PathBuf) -> RejectsWriter {
        RejectsWriter { path, out: None }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn write(&mut self, reject: &Reject) -> std::io::Result<()> {
        if self.out.is_none() {
            self.out = Some(BufWriter::new(File::create(&self.path)?));
        }
        let out = self.out.as_mut().expect("opened above");
        serde_json::to_writer(&mut *out, reject)?;
        out.write_all(b"\n")
    }

    /// Rejects are flushed with each batch commit, so that after a crash the rejects file
    /// covers every line the store has moved past.
    pub(crate) fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.out {
            Some(out) => out.flush(),
            None => Ok(()),
        }
    }

    /// Flushes and returns the path when anything was written.
    pub(crate) fn finish(mut self) -> std::io::Result<Option<PathBuf>> {
        match self.out.take() {
            Some(mut out) => {
                out.flush()?;
                out.get_ref().sync_all()?;
                Ok(Some(self.path))
            }
            None => Ok(None),
        }
    }
}
