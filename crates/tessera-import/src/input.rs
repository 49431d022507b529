//! Opening an input file: plain, or gzip-compressed (recognised by its first two bytes, whatever
//! its name), as exports from Segment's S3 destination and most warehouses are.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The gzip magic number (RFC 1952, section 2.3.1).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// An open input: its text, and how many bytes of the file have been consumed (what progress
/// is measured in, against the file's size: for a compressed file the text is longer).
pub(crate) struct Input {
    pub text: Box<dyn BufRead + Send>,
    pub consumed: Consumed,
}

/// Bytes of the file read so far: counted by the reader under the text, read by the parser
/// that owns both (atomic only so that an `Input` can move to the parser's thread).
#[derive(Clone, Default)]
pub(crate) struct Consumed(Arc<AtomicU64>);

impl Consumed {
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

struct Counting<R> {
    inner: R,
    consumed: Consumed,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.0.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

pub(crate) fn open(path: &Path) -> io::Result<Input> {
    let mut file = File::open(path)?;
    let mut magic = [0u8; 2];
    let start = file.read(&mut magic)?;
    let compressed = start == 2 && magic == GZIP_MAGIC;
    let consumed = Consumed::default();
    // The bytes already read go first again (and are counted then).
    let file = Counting {
        inner: io::Cursor::new(magic[..start].to_vec()).chain(file),
        consumed: consumed.clone(),
    };
    let text: Box<dyn BufRead + Send> = if compressed {
        // Several gzip members one after another (`cat a.gz b.gz`) are one stream.
        Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 16, file)),
        ))
    } else {
        Box::new(BufReader::with_capacity(1 << 20, file))
    };
    Ok(Input { text, consumed })
}
