//! Tessera's embedded durable store: SQLite (bundled) in WAL mode in a data directory.
//!
//! ```text
//!   importer / server ──Record──▶ Store::ingest_batch ──one transaction──▶ tessera.db
//!                                    │ identity resolution (tessera-identity)
//!   engine loader ◀──for_each_*──────┘ canonical profiles, merged traits, events
//! ```
//!
//! Invariants:
//! - A batch is one transaction: after `ingest_batch` returns `Ok`, every record it reports as
//!   stored is durable (`synchronous = FULL`); if the process dies before that, none of the
//!   batch is visible.
//! - Events are idempotent by message id: storing a message id twice stores it once.
//! - `events` is an append-only log; its indexes by profile and by message id are deferred
//!   into `tessera-index.db` (see `index/`), and every read combines them with the tail.
//! - `profiles.canonical` always names the root of the merge group directly.
//! - Trait values are append-only observations; current and "as of" views are derived.

mod checkpoint;
mod config;
mod derived;
mod encoded;
mod erase;
mod index;
mod ingest;
mod keys;
mod payload;
mod places;
mod read;
mod schema;
mod segments;
mod trait_read;
mod webhooks;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use tessera_model::TraitType;

pub use checkpoint::Checkpointer;
pub use config::{Config, RfmSection, ServerSection};
pub use encoded::EncodedRecord;
pub use erase::Erasure;
pub use index::{Indexer, LevelShape, INDEX_FILE};
pub use ingest::{Outcome, Record, TraitInput};
pub use keys::{key_hash, ApiKey, Scope};
pub use places::{InvalidPlace, Place};
pub use read::{EventRows, EventText, MergeView, ProfileView, StoreStats};
pub use segments::{MembershipChange, StoredSegment};
pub use trait_read::TraitReader;
pub use webhooks::{Delivery, DeliveryResult, Webhook};

/// The database file inside the data directory.
pub const DB_FILE: &str = "tessera.db";
/// The configuration file inside the data directory.
pub const CONFIG_FILE: &str = "tessera.toml";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("storage error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("storage error: {0}")]
    Value(#[from] rusqlite::types::FromSqlError),
    #[error("cannot use data directory {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the store at {path} does not exist; run `tessera init` first (or pass --data DIR)")]
    NotInitialised { path: PathBuf },
    #[error("the store has schema version {found} but this tessera supports up to {supported}; upgrade tessera")]
    SchemaTooNew { found: u32, supported: u32 },
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("no profile has the identifier {0}")]
    ProfileNotFound(String),
    #[error("no webhook with id {0}")]
    WebhookNotFound(u64),
    /// A value given by the user is unusable; the message says which and why.
    #[error("{0}")]
    InvalidInput(String),
    #[error("place `{0}`: {1}")]
    InvalidPlace(String, InvalidPlace),
    #[error("no segment named `{0}`")]
    SegmentNotFound(String),
    #[error("internal error (this is a bug in Tessera): {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An open store. One writer at a time (SQLite's rule); readers may run alongside in WAL mode.
pub struct Store {
    conn: Connection,
    dir: PathBuf,
    config: Config,
    /// Trait types as committed; a batch adds to it only after it commits.
    trait_types: HashMap<String, TraitType>,
    /// Property keys known per event name (`""` for the name itself) in `event_catalog`.
    catalog_cache: HashMap<String, std::collections::HashSet<String>>,
    /// Identity lookups remembered across batches (see `ingest::IdentityCache`).
    identity_cache: ingest::IdentityCache,
    /// The deferred event index (`tessera-index.db`), read for deduplication and per-profile
    /// reads.
    index: Connection,
    /// Messages stored after the index's mark, loaded at the first batch.
    recent: Option<index::RecentMessages>,
    /// The sizes of the index's levels for the merges this store starts.
    index_shape: LevelShape,
    /// Compresses event payloads; loaded at the first batch, dropped when one rolls back.
    payload_encoder: Option<payload::PayloadEncoder>,
    /// Decodes event payloads for the per-profile reads (keeps the dictionaries it loaded).
    payload_decoder: std::cell::RefCell<payload::PayloadDecoder>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Creates the data directory, its config file and database if missing, and migrates.
    pub fn init(dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.into(),
            source,
        })?;
        let config_path = dir.join(CONFIG_FILE);
        if !config_path.exists() {
            std::fs::write(&config_path, Config::DEFAULT_TOML).map_err(|source| Error::Io {
                path: config_path.clone(),
                source,
            })?;
        }
        Self::open_with(
            dir,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )
    }

    /// Opens an existing store (created by [`Store::init`]).
    pub fn open(dir: &Path) -> Result<Store> {
        if !dir.join(DB_FILE).exists() {
            return Err(Error::NotInitialised { path: dir.into() });
        }
        Self::open_with(dir, OpenFlags::SQLITE_OPEN_READ_WRITE)
    }

    fn open_with(dir: &Path, flags: OpenFlags) -> Result<Store> {
        let config = Config::load(&dir.join(CONFIG_FILE))?;
        // A `Store` (and its connection) is used by one thread at a time, so SQLite's own
        // per-call mutexes are pure overhead.
        let flags = flags | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(dir.join(DB_FILE), flags)?;
        // WAL lets readers (the server, `segment size`) run beside an import; FULL makes a
        // committed batch survive power loss, not only a killed process. Batches amortise
        // the fsync.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "cache_size", -262_144)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        schema::migrate(&mut conn)?;
        let index = index::open_index(dir, &conn)?;
        let mut store = Store {
            conn,
            dir: dir.to_path_buf(),
            config,
            trait_types: HashMap::new(),
            catalog_cache: Default::default(),
            identity_cache: Default::default(),
            index,
            recent: None,
            index_shape: LevelShape::default(),
            payload_encoder: None,
            payload_decoder: std::cell::RefCell::new(payload::PayloadDecoder::new()),
        };
        store.reload_caches()?;
        Ok(store)
    }

    fn reload_caches(&mut self) -> Result<()> {
        self.trait_types = self.trait_schema()?.into_iter().collect();
        self.catalog_cache.clear();
        Ok(())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Runs `f` with `synchronous = NORMAL`: its commits survive a killed process but may be
    /// lost on power failure. Only for data that a restart recomputes.
    pub(crate) fn relaxed_durability<T>(
        &mut self,
        f: impl FnOnce(&mut Store) -> Result<T>,
    ) -> Result<T> {
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        let result = f(self);
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        result
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<u32> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))?)
    }
}

/// The current time in milliseconds since the Unix epoch.
pub fn now_millis() -> tessera_model::Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
