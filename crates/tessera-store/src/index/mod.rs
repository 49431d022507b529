//! Deferred secondary indexes of the event log: events by profile, and message ids.
//!
//! Why deferred: every message that a client sends carries a random message id (the SDKs make
//! UUIDs) and belongs to one of many profiles, so an index kept in the same commit as the
//! event gets one insert at a random place per message, and each commit writes every page it
//! touched to the WAL again. Measured with `tessera loadgen` (random UUIDs): the two indexes
//! held ingestion to 32k messages/s; without them it runs at 124k/s (BENCHMARKS.md). So
//! `events` is an append-only log (its rowid `seq` only grows) and the indexes live in a file
//! of their own, `tessera-index.db`, filled in large sorted merges off the writer's path: by a
//! background thread in the server ([`Store::index_in_background`]), and by the writer itself
//! when the unindexed tail gets long ([`RECENT_LIMIT`]) or an import ends.
//!
//! Invariants:
//! - Every event with `seq <= indexed_through` is in `profile_events` and `message_keys`; the
//!   tail after the mark is read from `events` directly (a rowid range), so readers never miss
//!   an event however far the index lags.
//! - `events.seq` only grows (AUTOINCREMENT), so no event appears at or below the mark after
//!   the mark was set.
//! - The file is derived data: missing, from another store (`store_id` differs) or ahead of
//!   the log, it is rebuilt. It is written with `synchronous = NORMAL`: a power cut can only
//!   move the mark back, never split a merge.
//! - An erased profile's entries are removed after its events; a crash in between leaves
//!   entries that point at no event, which readers skip (they read events by `seq`).
//! - Both tables are levelled ([`levels`]): an entry is in one level, and every read looks in
//!   all of them.

use std::collections::{HashSet, VecDeque};
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value;
use rusqlite::vtab::array::Array;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::{Result, Store, DB_FILE};

mod levels;

pub use levels::LevelShape;
use levels::{MESSAGE_KEYS, PROFILE_EVENTS, TABLES};

/// The index file inside the data directory.
pub const INDEX_FILE: &str = "tessera-index.db";

/// Unindexed messages past which the writer indexes them itself before its next batch (bounds
/// the memory of [`RecentMessages`] to about 100 MB when no background indexer keeps up).
pub(crate) const RECENT_LIMIT: usize = 2_000_000;
/// Events indexed per merge when the index is not empty (one transaction each).
const MERGE_ROWS: i64 = 4_000_000;
/// How often the background indexer merges the tail: the longer, the more inserts share a
/// page (the point of deferring), the more messages are kept in memory for deduplication.
const INTERVAL: Duration = Duration::from_millis(1000);

/// How much of the index file the writer's connection maps (address space, not memory: the
/// pages stay in the OS page cache).
const MMAP_BYTES: i64 = 1 << 36;

/// Takes the index's write lock as a transaction's first statement, so that concurrent
/// mergers (the server's indexer and a writer catching up) wait for each other while the
/// store's writer goes on.
const LOCK: &str = "UPDATE index_state SET indexed_through = indexed_through;";

/// Besides the levels of `profile_events_N` and `message_keys_N` ([`levels`]).
const SCHEMA: &str = "
    -- How many entries each level of each table holds (see `levels.rs`).
    CREATE TABLE IF NOT EXISTS index_levels (
        tbl         TEXT NOT NULL,
        level       INTEGER NOT NULL,
        rows        INTEGER NOT NULL,
        PRIMARY KEY (tbl, level)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS index_state (
        id              INTEGER PRIMARY KEY CHECK (id = 0),
        store_id        INTEGER NOT NULL,
        indexed_through INTEGER NOT NULL
    );
";

/// Runs `body` in a transaction opened by `begin` (a `BEGIN` statement, possibly followed by
/// [`LOCK`]): committed if it succeeds, rolled back if it fails.
pub(crate) fn in_transaction<T>(
    conn: &Connection,
    begin: &str,
    body: impl FnOnce() -> Result<T>,
) -> Result<T> {
    conn.execute_batch(begin)?;
    match body() {
        Ok(done) => {
            conn.execute_batch("COMMIT")?;
            Ok(done)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// The deduplication key of a message id.
pub(crate) fn message_key(message_id: &str) -> [u8; 16] {
    let digest = Sha256::digest(message_id.as_bytes());
    let mut key = [0; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// Opens (creating if needed) the index file next to `tessera.db`, rebuilding it from nothing
/// when it belongs to another store or is ahead of the log.
pub(crate) fn open_index(dir: &Path, store: &Connection) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        dir.join(INDEX_FILE),
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "cache_size", -131_072)?;
    // Probes read pages of every level at random: mapped, a page read is a memory access
    // rather than a `pread` and a copy. (Writes still go through the WAL.)
    conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
    conn.busy_timeout(Duration::from_secs(30))?;
    rusqlite::vtab::array::load_module(&conn)?;
    // An index from before levels (one `message_keys` table) is dropped and rebuilt: it is
    // derived data, and one sorted pass rebuilds it.
    let unlevelled: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'message_keys')",
        [],
        |r| r.get(0),
    )?;
    if unlevelled {
        tracing::warn!("the event index has an older layout: rebuilding it");
        conn.execute_batch(
            "BEGIN IMMEDIATE; DROP TABLE IF EXISTS profile_events; DROP TABLE message_keys;
             DROP TABLE IF EXISTS index_state; COMMIT;",
        )?;
    }
    conn.execute_batch(SCHEMA)?;
    for table in TABLES {
        conn.execute_batch(&table.schema())?;
    }
    let store_id: i64 = store.query_row(
        "SELECT value FROM counters WHERE name = 'store_id'",
        [],
        |r| r.get(0),
    )?;
    // The mark first, the log's end second: a server indexing meanwhile can then never make
    // its own index look ahead of the log.
    let state: Option<(i64, i64)> = conn
        .query_row(
            "SELECT store_id, indexed_through FROM index_state",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let last_seq: i64 = store
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'events'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    if state.is_none_or(|(id, through)| id != store_id || through > last_seq) {
        if state.is_some() {
            tracing::warn!(
                "the event index belongs to another store or is ahead of it: rebuilding it"
            );
        }
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {}{} DELETE FROM index_levels; DELETE FROM index_state;",
            PROFILE_EVENTS.clear(),
            MESSAGE_KEYS.clear()
        ))?;
        conn.execute(
            "INSERT INTO index_state (id, store_id, indexed_through) VALUES (0, ?1, 0)",
            [store_id],
        )?;
        conn.execute_batch("COMMIT")?;
    }
    Ok(conn)
}

/// Every event with `seq` at or below this is indexed.
pub(crate) fn indexed_through(index: &Connection) -> Result<i64> {
    Ok(index
        .prepare_cached("SELECT indexed_through FROM index_state")?
        .query_row([], |r| r.get(0))?)
}

/// The index's mark and which of `keys` it holds, read in one snapshot.
///
/// One read transaction for the whole batch, with the keys in order: a lookup per message in
/// autocommit mode took a shared lock (an `fcntl` call) and checked the WAL each time, about a
/// fifth of the writer's time in a JSON Lines import. Keys merged after the snapshot are above
/// its mark, so the caller's [`RecentMessages`] still has them.
pub(crate) fn indexed_keys(
    index: &Connection,
    keys: &[[u8; 16]],
) -> Result<(i64, HashSet<[u8; 16]>)> {
    index.prepare_cached("BEGIN")?.execute([])?;
    let read = (|| -> Result<(i64, HashSet<[u8; 16]>)> {
        let through = indexed_through(index)?;
        let mut sorted: Vec<&[u8; 16]> = keys.iter().collect();
        sorted.sort_unstable();
        sorted.dedup();
        let mut found = HashSet::new();
        // A new message (nearly every one) is looked for in every level, so only in the
        // levels that hold keys, and with one statement per level for the whole batch rather
        // than a statement run (bind, step, reset) per key and level.
        let keys: Array = Rc::new(sorted.iter().map(|k| Value::Blob(k.to_vec())).collect());
        for level in MESSAGE_KEYS.occupied(index)? {
            let mut lookup = index.prepare_cached(&format!(
                "SELECT key FROM {} WHERE key IN rarray(?1)",
                MESSAGE_KEYS.at(level)
            ))?;
            let mut rows = lookup.query([&keys])?;
            while let Some(row) = rows.next()? {
                let key = row.get_ref(0)?.as_blob()?;
                let key = key.try_into().map_err(|_| {
                    crate::Error::Internal(format!("a message key of {} bytes", key.len()))
                })?;
                found.insert(key);
            }
        }
        Ok((through, found))
    })();
    index.prepare_cached("COMMIT")?.execute([])?;
    read
}

/// A connection that merges the log's tail into the index: the index file with the store
/// attached as `store`, and `message_key()` as an SQL function.
struct Merger {
    conn: Connection,
    shape: LevelShape,
}

impl Merger {
    fn open(dir: &Path, shape: LevelShape) -> Result<Merger> {
        let conn = Connection::open_with_flags(
            dir.join(INDEX_FILE),
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "cache_size", -131_072)?;
        conn.busy_timeout(Duration::from_secs(30))?;
        let store = dir.join(DB_FILE);
        conn.execute(
            "ATTACH DATABASE ?1 AS store",
            [store.to_string_lossy().as_ref()],
        )?;
        conn.create_scalar_function(
            "message_key",
            1,
            FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
            |ctx| Ok(message_key(ctx.get_raw(0).as_str()?).to_vec()),
        )?;
        Ok(Merger { conn, shape })
    }

    /// Indexes the next part of the tail in one transaction, then spills the levels it
    /// filled; returns how many events it read.
    fn merge(&self) -> Result<u64> {
        let conn = &self.conn;
        // The first statement writes the index, so the transaction holds the index's write
        // lock (another merger waits) without ever taking the store's: the writer goes on.
        let merged = in_transaction(conn, &format!("BEGIN; {LOCK}"), || {
            let from = indexed_through(conn)?;
            let last: Option<i64> =
                conn.query_row("SELECT max(seq) FROM store.events", [], |r| r.get(0))?;
            let Some(last) = last.filter(|&last| last > from) else {
                return Ok(0);
            };
            // An empty index is built in one sorted pass, whatever the size of the log.
            let through = if from == 0 {
                last
            } else {
                last.min(from + MERGE_ROWS)
            };
            // Into the lowest level that holds this many (seqs are never reused, so the range
            // bounds the count): one level for a whole index built from nothing.
            let level = self.shape.level_for((through - from) as u64);
            let (read, keys) = if from == 0 {
                self.insert_sorted_by_sqlite(level, through)?
            } else {
                self.insert_sorted_here(level, from, through)?
            };
            PROFILE_EVENTS.count(conn, level, read as i64)?;
            MESSAGE_KEYS.count(conn, level, keys as i64)?;
            conn.execute(
                "UPDATE index_state SET indexed_through = ?1",
                params![through],
            )?;
            Ok(read)
        })?;
        for table in TABLES {
            table.compact(conn, &self.shape, LOCK)?;
        }
        Ok(merged)
    }

    /// Indexes the whole log `..= through` into an empty `level` in one pass, SQLite sorting
    /// it (spilling to temporary files when it is large); returns the events and keys inserted.
    fn insert_sorted_by_sqlite(&self, level: usize, through: i64) -> Result<(u64, u64)> {
        // Sorted inserts: each page of the level is written once.
        let read = self.conn.execute(
            &format!(
                "INSERT OR IGNORE INTO {} (profile_id, ts, seq)
                 SELECT profile_id, ts, seq FROM store.events WHERE seq <= ?1 ORDER BY 1, 2, 3",
                PROFILE_EVENTS.at(level)
            ),
            [through],
        )?;
        let keys = self.conn.execute(
            &format!(
                "INSERT OR IGNORE INTO {} (key)
                 SELECT message_key(message_id) FROM store.events WHERE seq <= ?1 ORDER BY 1",
                MESSAGE_KEYS.at(level)
            ),
            [through],
        )?;
        Ok((read as u64, keys as u64))
    }

    /// Indexes the events `from < seq <= through` (at most [`MERGE_ROWS`]) into `level`,
    /// reading them once and sorting them here: in `perf` of 2M-event merges, SQLite's sorter
    /// (a merge sort of linked records, run once per table) took 54 % of the merge. Returns
    /// the events read and the keys inserted.
    fn insert_sorted_here(&self, level: usize, from: i64, through: i64) -> Result<(u64, u64)> {
        let conn = &self.conn;
        let mut entries: Vec<(i64, i64, i64)> = Vec::new();
        let mut keys: Vec<[u8; 16]> = Vec::new();
        let mut tail = conn.prepare_cached(
            "SELECT profile_id, ts, seq, message_id FROM store.events WHERE seq > ?1 AND seq <= ?2",
        )?;
        let mut rows = tail.query(params![from, through])?;
        while let Some(row) = rows.next()? {
            entries.push((row.get(0)?, row.get(1)?, row.get(2)?));
            keys.push(message_key(row.get_ref(3)?.as_str()?));
        }
        // The B-trees' orders: integers numerically, blobs bytewise. Sorted inserts write
        // each page of the level once per merge.
        entries.sort_unstable();
        keys.sort_unstable();
        let mut insert = conn.prepare_cached(&format!(
            "INSERT OR IGNORE INTO {} (profile_id, ts, seq) VALUES (?1, ?2, ?3)",
            PROFILE_EVENTS.at(level)
        ))?;
        for (profile, ts, seq) in &entries {
            insert.execute(params![profile, ts, seq])?;
        }
        let mut insert = conn.prepare_cached(&format!(
            "INSERT OR IGNORE INTO {} (key) VALUES (?1)",
            MESSAGE_KEYS.at(level)
        ))?;
        let mut inserted = 0;
        for key in &keys {
            inserted += insert.execute([&key[..]])?;
        }
        Ok((entries.len() as u64, inserted as u64))
    }

    /// Merges until the index has caught up with the log as it was when this started.
    fn catch_up(&self) -> Result<u64> {
        let mut total = 0;
        loop {
            let n = self.merge()?;
            total += n;
            if n == 0 {
                return Ok(total);
            }
        }
    }
}

/// The background indexer; stops when dropped.
pub struct Indexer {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Indexer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Store {
    /// Indexes every event stored so far (the writer does this by itself when the unindexed
    /// tail grows past [`RECENT_LIMIT`]; an import calls it when it ends).
    pub fn catch_up_index(&mut self) -> Result<u64> {
        Merger::open(&self.dir, self.index_shape)?.catch_up()
    }

    /// At least as many events as the index lacks (erased ones may be counted).
    pub(crate) fn unindexed_upper_bound(&self) -> Result<usize> {
        let last: i64 = self
            .conn
            .prepare_cached("SELECT seq FROM sqlite_sequence WHERE name = 'events'")?
            .query_row([], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        Ok((last - indexed_through(&self.index)?).max(0) as usize)
    }

    /// Sets the sizes of the index's levels for the merges this store starts from now on
    /// (tests use tiny levels to exercise spills; the default suits any size).
    #[doc(hidden)]
    pub fn set_index_shape(&mut self, shape: LevelShape) {
        self.index_shape = shape;
    }

    /// Keeps the index close behind the log from a thread of its own, merging once a second.
    pub fn index_in_background(&self) -> Result<Indexer> {
        let merger = Merger::open(&self.dir, self.index_shape)?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::Builder::new()
            .name("tessera-indexer".into())
            .spawn(move || {
                while !stopping.load(Ordering::Relaxed) {
                    if let Err(e) = merger.catch_up() {
                        tracing::warn!(error = %e, "indexing events failed; retrying");
                    }
                    // Sleeps in short steps so that dropping the indexer is prompt.
                    let mut slept = Duration::ZERO;
                    while slept < INTERVAL && !stopping.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(50));
                        slept += Duration::from_millis(50);
                    }
                }
            })
            .map_err(|e| crate::Error::Internal(format!("spawning the indexer: {e}")))?;
        Ok(Indexer {
            stop,
            thread: Some(thread),
        })
    }
}

/// Keys of the messages this writer knows to be stored after the index's mark: what the
/// index cannot answer yet for deduplication.
#[derive(Debug, Default)]
pub(crate) struct RecentMessages {
    keys: HashSet<[u8; 16]>,
    by_seq: VecDeque<(i64, [u8; 16])>,
    /// The index's mark when last pruned. A mark that moves back means the index was
    /// rebuilt, so keys pruned before may be in neither place: the caller reloads.
    pub(crate) through: i64,
    /// The store's `data_version` when loaded: another connection's commit makes it stale.
    pub(crate) data_version: i64,
}

impl RecentMessages {
    /// The messages stored after `through`, read from the log.
    pub(crate) fn load(store: &Connection, through: i64, data_version: i64) -> Result<Self> {
        let mut recent = RecentMessages {
            data_version,
            through,
            ..Default::default()
        };
        let mut stmt = store.prepare("SELECT seq, message_id FROM events WHERE seq > ?1")?;
        let mut rows = stmt.query([through])?;
        while let Some(row) = rows.next()? {
            recent.insert(row.get(0)?, message_key(row.get_ref(1)?.as_str()?));
        }
        Ok(recent)
    }

    pub(crate) fn insert(&mut self, seq: i64, key: [u8; 16]) {
        if self.keys.insert(key) {
            self.by_seq.push_back((seq, key));
        }
    }

    pub(crate) fn contains(&self, key: &[u8; 16]) -> bool {
        self.keys.contains(key)
    }

    /// Forgets what the index now holds.
    pub(crate) fn indexed_through(&mut self, through: i64) {
        self.through = through;
        while let Some(&(seq, key)) = self.by_seq.front() {
            if seq > through {
                break;
            }
            self.keys.remove(&key);
            self.by_seq.pop_front();
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}

/// One stored event, as the per-profile reads need it.
#[derive(Debug)]
pub(crate) struct StoredEvent {
    pub seq: i64,
    pub message_id: String,
    pub kind: String,
    pub name: String,
    pub ts: tessera_model::Millis,
    pub properties: String,
    pub segment_context: Option<String>,
}

impl Store {
    /// The profile rows (this one and those merged into it) of a canonical profile.
    pub(crate) fn records_of(&self, profile: u64) -> Result<Vec<u64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM profiles WHERE canonical = ?1 ORDER BY id")?
            .query_map([profile], |r| r.get(0))?
            .collect::<Result<_, _>>()?)
    }

    /// Every event of these profile rows, oldest first (by time, then store order): from the
    /// index up to its mark, and from the log's tail after it.
    pub(crate) fn events_of_records(&self, records: &[u64]) -> Result<Vec<StoredEvent>> {
        const COLUMNS: &str =
            "seq, message_id, kind, name, ts, properties, segment_context, payload FROM events";
        let mut decoder = self.payload_decoder.borrow_mut();
        let mut row = |r: &rusqlite::Row<'_>| -> Result<StoredEvent> {
            let (properties, segment_context) = match r.get_ref(7)?.as_blob_or_null()? {
                Some(payload) => {
                    let parts = decoder.decode(&self.conn, payload)?;
                    (
                        parts.properties.to_string(),
                        parts.segment_context.map(str::to_string),
                    )
                }
                None => (r.get(5)?, r.get(6)?),
            };
            Ok(StoredEvent {
                seq: r.get(0)?,
                message_id: r.get(1)?,
                kind: r.get(2)?,
                name: r.get(3)?,
                ts: r.get(4)?,
                properties,
                segment_context,
            })
        };
        let through = indexed_through(&self.index)?;
        let mut indexed = self.index.prepare_cached(
            &PROFILE_EVENTS.select_all_levels("seq", "profile_id = ?1 AND seq <= ?2"),
        )?;
        let mut by_seq = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} WHERE seq = ?1"))?;
        let mut tail = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} WHERE seq > ?1 AND profile_id = ?2"
        ))?;
        let mut events = Vec::new();
        for &record in records {
            // Entries above the mark read here come from a merge that ended after the mark
            // was read: the tail has them.
            let seqs: Vec<i64> = indexed
                .query_map(params![record, through], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for seq in seqs {
                // None: erased after it was indexed.
                if let Some(found) = by_seq.query([seq])?.next()? {
                    events.push(row(found)?);
                }
            }
            let mut rows = tail.query(params![through, record])?;
            while let Some(found) = rows.next()? {
                events.push(row(found)?);
            }
        }
        events.sort_by_key(|e| (e.ts, e.seq));
        Ok(events)
    }

    /// Removes an erased person's entries from the index (after their events are gone).
    pub(crate) fn forget_in_index(&self, records: &[u64], message_ids: &[String]) -> Result<()> {
        in_transaction(&self.index, "BEGIN IMMEDIATE", || {
            PROFILE_EVENTS.delete_where(
                &self.index,
                "profile_id",
                records.iter().map(|&r| Value::Integer(r as i64)),
            )?;
            MESSAGE_KEYS.delete_where(
                &self.index,
                "key",
                message_ids
                    .iter()
                    .map(|id| Value::Blob(message_key(id).to_vec())),
            )?;
            Ok(())
        })
    }
}
