//! The generated files: plain, or gzip-compressed (`GenConfig::gzip`), so that a large data set
//! (about 70 GB of text at 10M customers) fits on a disk beside its store. `tessera import`
//! reads either.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use flate2::write::GzEncoder;

pub(crate) enum Output {
    Plain(BufWriter<File>),
    Gzip(BufWriter<GzEncoder<File>>),
}

impl Output {
    pub(crate) fn create(path: &Path, gzip: bool) -> io::Result<Output> {
        let file = File::create(path)?;
        Ok(if gzip {
            // The fastest level: generation stays bound by the generator, not by compression.
            let encoder = GzEncoder::new(file, flate2::Compression::fast());
            Output::Gzip(BufWriter::with_capacity(1 << 20, encoder))
        } else {
            Output::Plain(BufWriter::with_capacity(1 << 20, file))
        })
    }

    /// Writes out everything buffered, and the gzip trailer: a file not finished is cut short.
    pub(crate) fn finish(self) -> io::Result<()> {
        match self {
            Output::Plain(mut out) => out.flush(),
            Output::Gzip(out) => {
                let encoder = out.into_inner().map_err(|e| e.into_error())?;
                encoder.finish()?.flush()
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Plain(out) => out.write(buf),
            Output::Gzip(out) => out.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::Plain(out) => out.write_all(buf),
            Output::Gzip(out) => out.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Plain(out) => out.flush(),
            Output::Gzip(out) => out.flush(),
        }
    }
}
