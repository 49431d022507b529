//! Event payloads: the properties, context and segment context of one event, stored together in
//! `events.payload` as one zstd frame compressed with a dictionary trained on the store's own
//! recent events.
//!
//! Why: these three JSON texts were about 210 of the 290 bytes an event took in the log (the
//! generated retail data). Compressing each row with a shared dictionary keeps every event a
//! row of its own — reads by profile, erasure and deduplication work as before — and takes the
//! three texts to about 35 bytes. (A row is too small for zstd without a dictionary: the JSON
//! keys and common values are what repeats, across rows.)
//!
//! Format of a payload (lengths and ids as LEB128):
//! ```text
//!   0x00 plain                  plain = len(properties) properties len(context) context [segment context]
//!   0x01 dict_id len(plain) frame   a zstd frame of `plain` without header fields (content size,
//!                                   dictionary id, checksum): the row says the first two
//! ```
//! A missing segment context is an empty remainder (a present one is a JSON object).
//!
//! Dictionaries live in `payload_dicts`: written in the transaction of the first row that uses
//! them, never changed or deleted. The writer trains the first once 1 MiB of payload has been
//! written, and a new one when a megabyte compresses 1.5 times worse than the dictionary did on
//! its training window (the data changed: web events after POS rows, say), or when it still
//! compresses worse than 0.8 after 64 MiB. Payloads under 24 bytes (`{}` twice: identifies, CRM
//! rows) are stored plain and are never samples: a million of them once made a useless first
//! dictionary.
//!
//! Privacy: a dictionary is trained on the window of recent events with every JSON key and
//! scalar value that fewer than 10 profiles of the window used masked out (strings become `""`,
//! numbers `0`). So no dictionary holds what only one person sent, and erasing a person's rows
//! erases their data.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};

use rusqlite::{Connection, OptionalExtension};
use serde_json::Value;
use zstd::zstd_safe::{CCtx, CParameter, DCtx, DDict};

use crate::{Error, Result};

const PLAIN: u8 = 0;
const PACKED: u8 = 1;
/// zstd's default level: on event payloads, levels above it gained under 10 % for twice the time.
const LEVEL: i32 = 3;
/// The dictionary size. 16 and 64 KiB compressed the retail data the same.
const DICT_BYTES: usize = 32 * 1024;
/// Payload bytes of recent events kept as training samples (zstd advises ~100× the dictionary).
const WINDOW_BYTES: usize = 4 << 20;
/// Payload bytes written before the first dictionary is trained.
const FIRST_TRAINING_BYTES: usize = 1 << 20;
/// Payload bytes between two looks at how well the current dictionary does.
const CHECK_BYTES: usize = 1 << 20;
/// A new dictionary is trained when the ratio gets this much worse than at training.
const RETRAIN_FACTOR: f64 = 1.5;
/// Payloads shorter than this (`{}` twice: identifies, CRM rows) are stored plain and are not
/// training samples: a dictionary trained on them would be useless for real events.
const MIN_PACKED_LEN: usize = 24;
/// Payload bytes after which a dictionary that compresses poorly (ratio above
/// [`POOR_RATIO`]) is replaced, whatever it did at training: bounds retraining on data that does
/// not compress to one training per this many bytes.
const POOR_RETRAIN_BYTES: usize = 64 << 20;
const POOR_RATIO: f64 = 0.8;
/// A key or value enters a dictionary only if at least this many profiles used it.
const MIN_PROFILES: usize = 10;

/// The three JSON texts of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PayloadParts<'a> {
    pub properties: &'a str,
    pub context: &'a str,
    pub segment_context: Option<&'a str>,
}

impl<'a> PayloadParts<'a> {
    pub(crate) fn write_plain(&self, out: &mut Vec<u8>) {
        put_len(out, self.properties.len());
        out.extend_from_slice(self.properties.as_bytes());
        put_len(out, self.context.len());
        out.extend_from_slice(self.context.as_bytes());
        if let Some(segment) = self.segment_context {
            out.extend_from_slice(segment.as_bytes());
        }
    }

    fn read_plain(mut bytes: &'a [u8]) -> Result<Self> {
        let text = |len: usize, bytes: &mut &'a [u8]| -> Result<&'a str> {
            if len > bytes.len() {
                return Err(corrupt("a length runs past its end"));
            }
            let (text, rest) = bytes.split_at(len);
            *bytes = rest;
            std::str::from_utf8(text).map_err(|_| corrupt("text is not UTF-8"))
        };
        let len = take_len(&mut bytes)?;
        let properties = text(len, &mut bytes)?;
        let len = take_len(&mut bytes)?;
        let context = text(len, &mut bytes)?;
        let rest = text(bytes.len(), &mut bytes)?;
        Ok(PayloadParts {
            properties,
            context,
            segment_context: (!rest.is_empty()).then_some(rest),
        })
    }
}

fn put_len(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

fn take_len(bytes: &mut &[u8]) -> Result<usize> {
    let mut n = 0usize;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes
            .split_first()
            .ok_or_else(|| corrupt("a length is cut off"))?;
        *bytes = rest;
        n |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(n);
        }
    }
    Err(corrupt("a length is too long"))
}

fn corrupt(why: &str) -> Error {
    Error::Internal(format!("corrupt event payload: {why}"))
}

fn zstd_error(what: &str, code: usize) -> Error {
    Error::Internal(format!("{what}: {}", zstd::zstd_safe::get_error_name(code)))
}

/// One recent event's plain payload, kept for training.
struct Sample {
    profile: u64,
    plain: Vec<u8>,
}

/// The dictionary new rows are compressed with.
struct Dictionary {
    id: i64,
    /// A compression context with the dictionary loaded (zstd digests it once).
    cctx: CCtx<'static>,
    /// Compressed / plain bytes of the newest megabyte of its training window.
    ratio: f64,
}

/// Encodes the payloads of one writer's rows, training dictionaries as it goes. Its state is
/// only valid inside the transactions it has seen commit: a writer whose batch rolls back drops
/// it (a dictionary row written in that batch is gone).
pub(crate) struct PayloadEncoder {
    current: Option<Dictionary>,
    window: VecDeque<Sample>,
    window_bytes: usize,
    /// Plain and compressed bytes since the last look at the ratio.
    since_check: (usize, usize),
    /// Plain bytes remembered since the current dictionary was trained (or loaded).
    since_training: usize,
    out: Vec<u8>,
}

impl PayloadEncoder {
    /// An encoder that carries on with the store's newest dictionary.
    pub(crate) fn load(conn: &Connection) -> Result<PayloadEncoder> {
        let newest = conn
            .query_row(
                "SELECT id, ratio, dict FROM payload_dicts ORDER BY id DESC LIMIT 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, f64>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                    ))
                },
            )
            .optional()?;
        let current = match newest {
            Some((id, ratio, dict)) => Some(Dictionary {
                id,
                cctx: compression_context(&dict)?,
                ratio,
            }),
            None => None,
        };
        Ok(PayloadEncoder {
            current,
            window: VecDeque::new(),
            window_bytes: 0,
            since_check: (0, 0),
            since_training: 0,
            out: Vec::new(),
        })
    }

    /// The payload of one event of `profile`, to store in `events.payload`. May train a
    /// dictionary first, written through `tx` (the batch's open transaction).
    #[cfg(test)]
    pub(crate) fn encode(
        &mut self,
        tx: &Connection,
        profile: u64,
        parts: PayloadParts<'_>,
    ) -> Result<&[u8]> {
        let mut plain = Vec::new();
        parts.write_plain(&mut plain);
        self.encode_plain(tx, profile, &plain)
    }

    /// Like `encode`, from the parts already written out by [`PayloadParts::write_plain`].
    pub(crate) fn encode_plain(
        &mut self,
        tx: &Connection,
        profile: u64,
        plain: &[u8],
    ) -> Result<&[u8]> {
        self.out.clear();
        if plain.len() < MIN_PACKED_LEN {
            self.out.push(PLAIN);
            self.out.extend_from_slice(plain);
            return Ok(&self.out);
        }
        self.remember(profile, plain);
        if self.should_train() {
            self.train(tx)?;
        }
        if let Some(dict) = &mut self.current {
            self.out.push(PACKED);
            put_len(&mut self.out, dict.id as usize);
            put_len(&mut self.out, plain.len());
            let header = self.out.len();
            self.out
                .resize(header + zstd::zstd_safe::compress_bound(plain.len()), 0);
            let written = dict
                .cctx
                .compress2(&mut self.out[header..], plain)
                .map_err(|code| zstd_error("compressing an event payload", code))?;
            self.out.truncate(header + written);
            self.since_check.0 += plain.len();
            self.since_check.1 += self.out.len();
        }
        // Payloads the dictionary cannot shrink are smaller as they are.
        if self.out.is_empty() || self.out.len() > plain.len() + 1 {
            self.out.clear();
            self.out.push(PLAIN);
            self.out.extend_from_slice(plain);
        }
        Ok(&self.out)
    }

    fn remember(&mut self, profile: u64, plain: &[u8]) {
        self.window_bytes += plain.len();
        self.since_training += plain.len();
        self.window.push_back(Sample {
            profile,
            plain: plain.to_vec(),
        });
        while self.window_bytes > WINDOW_BYTES {
            let Some(old) = self.window.pop_front() else {
                break;
            };
            self.window_bytes -= old.plain.len();
        }
    }

    fn should_train(&mut self) -> bool {
        match &self.current {
            None => self.window_bytes >= FIRST_TRAINING_BYTES,
            Some(dict) => {
                let (plain, packed) = self.since_check;
                if plain < CHECK_BYTES {
                    return false;
                }
                self.since_check = (0, 0);
                let ratio = packed as f64 / plain as f64;
                let changed = ratio > dict.ratio * RETRAIN_FACTOR;
                let poor = ratio > POOR_RATIO && self.since_training >= POOR_RETRAIN_BYTES;
                (changed || poor) && self.window_bytes >= FIRST_TRAINING_BYTES
            }
        }
    }

    /// Trains a dictionary on the window (masked), stores it and makes it current. A failed
    /// training (too few distinct samples) keeps the current one and tries again later.
    fn train(&mut self, tx: &Connection) -> Result<()> {
        let samples = masked_samples(&self.window);
        let dict = match zstd::dict::from_samples(&samples, DICT_BYTES) {
            Ok(dict) => dict,
            Err(e) => {
                tracing::debug!("payload dictionary not trained: {e}");
                self.window.clear();
                self.window_bytes = 0;
                return Ok(());
            }
        };
        let mut cctx = compression_context(&dict)?;
        // The ratio to compare the next megabytes with: the newest megabyte's.
        let (mut plain, mut packed) = (0usize, 0usize);
        let mut frame = Vec::new();
        for sample in self.window.iter().rev() {
            if plain >= CHECK_BYTES {
                break;
            }
            frame.resize(zstd::zstd_safe::compress_bound(sample.plain.len()), 0);
            packed += cctx
                .compress2(&mut frame[..], &sample.plain)
                .map_err(|code| zstd_error("compressing an event payload", code))?;
            plain += sample.plain.len();
        }
        let ratio = packed as f64 / plain.max(1) as f64;
        tx.prepare_cached(
            "INSERT INTO payload_dicts (created_at, samples, ratio, dict) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(rusqlite::params![
            crate::now_millis(),
            self.window.len(),
            ratio,
            dict
        ])?;
        self.current = Some(Dictionary {
            id: tx.last_insert_rowid(),
            cctx,
            ratio,
        });
        self.since_check = (0, 0);
        self.since_training = 0;
        Ok(())
    }
}

fn compression_context(dict: &[u8]) -> Result<CCtx<'static>> {
    let mut cctx = CCtx::create();
    for param in [
        CParameter::CompressionLevel(LEVEL),
        CParameter::ContentSizeFlag(false),
        CParameter::ChecksumFlag(false),
        CParameter::DictIdFlag(false),
    ] {
        cctx.set_parameter(param)
            .map_err(|code| zstd_error("setting up compression", code))?;
    }
    cctx.load_dictionary(dict)
        .map_err(|code| zstd_error("loading a payload dictionary", code))?;
    Ok(cctx)
}

/// The window's payloads with every key and scalar that fewer than [`MIN_PROFILES`] profiles
/// used replaced (strings by `""`, numbers by `0`).
fn masked_samples(window: &VecDeque<Sample>) -> Vec<Vec<u8>> {
    let parsed: Vec<(u64, [Option<Value>; 3])> = window
        .iter()
        .filter_map(|sample| {
            let parts = PayloadParts::read_plain(&sample.plain).ok()?;
            let parse = |text: &str| serde_json::from_str::<Value>(text).ok();
            Some((
                sample.profile,
                [
                    parse(parts.properties),
                    parse(parts.context),
                    parts.segment_context.and_then(parse),
                ],
            ))
        })
        .collect();
    // Token -> the first profiles seen using it, up to MIN_PROFILES.
    let mut users: HashMap<String, Vec<u64>> = HashMap::new();
    for (profile, values) in &parsed {
        for value in values.iter().flatten() {
            visit_tokens(value, &mut |token| {
                let seen = users.entry(token).or_default();
                if seen.len() < MIN_PROFILES && !seen.contains(profile) {
                    seen.push(*profile);
                }
            });
        }
    }
    let common = |token: &str| users.get(token).is_some_and(|p| p.len() >= MIN_PROFILES);
    parsed
        .into_iter()
        .map(|(_, values)| {
            let [properties, context, segment] = values.map(|v| v.map(|v| mask(v, &common)));
            let text = |v: &Option<Value>| v.as_ref().map(Value::to_string).unwrap_or_default();
            let (properties, context, segment) =
                (text(&properties), text(&context), text(&segment));
            let mut plain = Vec::new();
            PayloadParts {
                properties: &properties,
                context: &context,
                segment_context: (!segment.is_empty()).then_some(&segment),
            }
            .write_plain(&mut plain);
            plain
        })
        .collect()
}

/// Calls `f` with each object key (as `k:` + key) and scalar (as its JSON text) inside `value`.
fn visit_tokens(value: &Value, f: &mut impl FnMut(String)) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                f(format!("k:{key}"));
                visit_tokens(value, f);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| visit_tokens(item, f)),
        Value::String(_) | Value::Number(_) => f(value.to_string()),
        Value::Bool(_) | Value::Null => {}
    }
}

fn mask(value: Value, common: &impl Fn(&str) -> bool) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| {
                    let key = if common(&format!("k:{key}")) {
                        key
                    } else {
                        String::new()
                    };
                    (key, mask(value, common))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| mask(v, common)).collect()),
        Value::String(_) if !common(&value.to_string()) => Value::String(String::new()),
        Value::Number(_) if !common(&value.to_string()) => Value::from(0),
        other => other,
    }
}

/// Decodes payloads, loading dictionaries as rows name them.
pub(crate) struct PayloadDecoder {
    dctx: DCtx<'static>,
    dicts: HashMap<i64, DDict<'static>>,
    plain: Vec<u8>,
}

impl PayloadDecoder {
    pub(crate) fn new() -> PayloadDecoder {
        PayloadDecoder {
            dctx: DCtx::create(),
            dicts: HashMap::new(),
            plain: Vec::new(),
        }
    }

    pub(crate) fn decode<'a>(
        &'a mut self,
        conn: &Connection,
        payload: &'a [u8],
    ) -> Result<PayloadParts<'a>> {
        let (&tag, mut rest) = payload
            .split_first()
            .ok_or_else(|| corrupt("it is empty"))?;
        match tag {
            PLAIN => PayloadParts::read_plain(rest),
            PACKED => {
                let id = take_len(&mut rest)? as i64;
                let len = take_len(&mut rest)?;
                let ddict = match self.dicts.entry(id) {
                    Entry::Occupied(known) => known.into_mut(),
                    Entry::Vacant(new) => {
                        let dict: Vec<u8> = conn
                            .prepare_cached("SELECT dict FROM payload_dicts WHERE id = ?1")?
                            .query_row([id], |r| r.get(0))
                            .optional()?
                            .ok_or_else(|| corrupt(&format!("dictionary {id} does not exist")))?;
                        new.insert(DDict::create(&dict))
                    }
                };
                self.plain.clear();
                // A damaged length must not abort the process on allocation.
                self.plain
                    .try_reserve(len)
                    .map_err(|_| corrupt("its length is impossible"))?;
                let written = self
                    .dctx
                    .decompress_using_ddict(&mut self.plain, rest, ddict)
                    .map_err(|code| zstd_error("decompressing an event payload", code))?;
                if written != len {
                    return Err(corrupt("its length does not match"));
                }
                PayloadParts::read_plain(&self.plain)
            }
            other => Err(corrupt(&format!("unknown format {other}"))),
        }
    }
}

#[cfg(test)]
mod tests;
