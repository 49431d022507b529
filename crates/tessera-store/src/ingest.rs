//! Ingestion: one batch of records in one transaction, with identity resolution per record.

use std::collections::{HashMap, HashSet};

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{Map, Value};
use tessera_identity::{resolve, IdentityConfig, IdentityGraph, Resolution};
use tessera_model::{
    ConsentPurpose, EventKind, Identifier, IdentifierKind, Millis, TraitType, TraitValue,
};

use crate::encoded::{EncodedRecord, Encoding};
use crate::index::RecentMessages;
use crate::{MembershipChange, Result, Store};

/// A trait value as an importer hands it over: raw JSON (typed against the store's schema,
/// inferring the type of a new trait) or already typed by a CSV mapping.
#[derive(Debug, Clone, PartialEq)]
pub enum TraitInput {
    Json(Value),
    Typed(TraitValue),
}

/// One message to store: an event, an identify, a CRM row… Identifiers must be normalised
/// (see `tessera_identity::normalize`).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub message_id: String,
    pub kind: EventKind,
    pub name: String,
    pub timestamp: Millis,
    pub received_at: Millis,
    pub identifiers: Vec<Identifier>,
    pub traits: Vec<(String, TraitInput)>,
    pub consents: Vec<(ConsentPurpose, bool)>,
    pub properties: Map<String, Value>,
    pub context: Map<String, Value>,
}

/// What happened to one record of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Stored on this (canonical) profile; `merged` are the canonical profiles that this
    /// record's identifiers merged into it (real-time state must follow the merge).
    Stored { profile: u64, merged: Vec<u64> },
    /// Its message id was already stored (or erased): nothing changed.
    Duplicate,
    /// Not stored; `field` names the offending part of the record.
    Rejected { field: String, reason: String },
}

impl Store {
    /// Stores a batch atomically: either every record's outcome is durable or, on `Err`,
    /// nothing of the batch is. Per-record problems are `Outcome::Rejected`, not errors.
    pub fn ingest_batch(&mut self, records: &[Record]) -> Result<Vec<Outcome>> {
        self.ingest_batch_with(records, |_, _| Ok(Vec::new()))
            .map(|(outcomes, _)| outcomes)
    }

    /// Like [`Store::ingest_batch`], and records in the same transaction the membership
    /// changes that `follow` derives from the batch: so one commit (one fsync) makes both the
    /// messages and the changes they cause (with their webhook deliveries) durable.
    ///
    /// `follow` sees the store with the batch written but not yet committed. If this returns
    /// `Err`, nothing is stored, including the changes `follow` returned: a caller that keeps
    /// state derived from them must rebuild it.
    pub fn ingest_batch_with(
        &mut self,
        records: &[Record],
        follow: impl FnOnce(&Store, &[Outcome]) -> Result<Vec<MembershipChange>>,
    ) -> Result<(Vec<Outcome>, Vec<MembershipChange>)> {
        let encodings = records
            .iter()
            .map(Encoding::of)
            .collect::<Result<Vec<_>>>()?;
        let batch: Vec<_> = records.iter().zip(&encodings).collect();
        self.ingest_with(&batch, follow)
    }

    /// Like [`Store::ingest_batch`], for records encoded beforehand (see [`EncodedRecord`]).
    pub fn ingest_encoded(&mut self, records: &[EncodedRecord]) -> Result<Vec<Outcome>> {
        self.ingest_encoded_with(records, |_, _| Ok(Vec::new()))
            .map(|(outcomes, _)| outcomes)
    }

    /// Like [`Store::ingest_batch_with`], for records encoded beforehand.
    pub fn ingest_encoded_with(
        &mut self,
        records: &[EncodedRecord],
        follow: impl FnOnce(&Store, &[Outcome]) -> Result<Vec<MembershipChange>>,
    ) -> Result<(Vec<Outcome>, Vec<MembershipChange>)> {
        let batch: Vec<_> = records
            .iter()
            .map(|encoded| (encoded.record(), &encoded.encoding))
            .collect();
        self.ingest_with(&batch, follow)
    }

    fn ingest_with(
        &mut self,
        records: &[(&Record, &Encoding)],
        follow: impl FnOnce(&Store, &[Outcome]) -> Result<Vec<MembershipChange>>,
    ) -> Result<(Vec<Outcome>, Vec<MembershipChange>)> {
        // Past this many unindexed messages, deduplication would hold too many in memory:
        // index them first (the server's background indexer normally keeps the tail short).
        // Before the first batch only the log tells: an index lost, or dropped by an upgrade,
        // is empty, and its whole log would otherwise be loaded into memory.
        let unindexed = match &self.recent {
            Some(recent) => recent.len(),
            None => self.unindexed_upper_bound()?,
        };
        if unindexed > crate::index::RECENT_LIMIT {
            self.catch_up_index()?;
        }
        // A manual transaction rather than rusqlite's guard, so that `follow` can use the
        // store's own read methods inside it.
        self.conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
        let written = self.write_batch(records).and_then(|(outcomes, pending)| {
            let changes = follow(self, &outcomes)?;
            crate::segments::write_membership_rows(&self.conn, &changes)?;
            Ok((outcomes, changes, pending))
        });
        let committed = written.and_then(|written| {
            self.conn.prepare_cached("COMMIT")?.execute([])?;
            Ok(written)
        });
        match committed {
            Ok((outcomes, changes, (new_types, new_catalog))) => {
                self.trait_types.extend(new_types);
                for (name, property) in new_catalog {
                    self.catalog_cache.entry(name).or_default().insert(property);
                }
                Ok((outcomes, changes))
            }
            Err(e) => {
                // The transaction is gone: forget what it wrote into the caches.
                self.identity_cache.clear();
                self.recent = None;
                self.payload_encoder = None;
                if !self.conn.is_autocommit() {
                    self.conn.execute_batch("ROLLBACK")?;
                }
                Err(e)
            }
        }
    }

    /// Writes a batch inside the open transaction; returns the outcomes and the trait types
    /// and catalog entries to remember once it commits.
    #[allow(clippy::type_complexity)]
    fn write_batch(
        &mut self,
        records: &[(&Record, &Encoding)],
    ) -> Result<(
        Vec<Outcome>,
        (Vec<(String, TraitType)>, Vec<(String, String)>),
    )> {
        let conn = &self.conn;
        // Another connection's commit may have changed the identity graph: then the cache of
        // owners (kept across batches) is stale. `data_version` changes exactly then.
        let version: i64 = conn
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |r| r.get(0))?;
        if self.identity_cache.data_version != Some(version)
            || self.identity_cache.owners.len() > IDENTITY_CACHE_LIMIT
        {
            self.identity_cache.clear();
            self.identity_cache.data_version = Some(version);
        }
        // Messages stored after the index's mark are deduplicated from memory, those before it
        // by the index, looked up for the whole batch at once.
        let keys: Vec<[u8; 16]> = records.iter().map(|(_, encoding)| encoding.key).collect();
        let (through, indexed) = crate::index::indexed_keys(&self.index, &keys)?;
        let recent = match self.recent.take() {
            Some(mut recent) if recent.data_version == version && recent.through <= through => {
                recent.indexed_through(through);
                recent
            }
            // First batch, another connection stored messages, or the index was rebuilt.
            _ => RecentMessages::load(conn, through, version)?,
        };
        let recent = self.recent.insert(recent);
        let payload = match &mut self.payload_encoder {
            Some(encoder) => encoder,
            None => self
                .payload_encoder
                .insert(crate::payload::PayloadEncoder::load(conn)?),
        };
        // Most stores never erased anyone: skip a lookup per record then.
        let any_erased: bool = conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM erased_messages)")?
            .query_row([], |r| r.get(0))?;
        let mut batch = Batch {
            tx: conn,
            identity: &self.config.identity,
            committed_types: &self.trait_types,
            committed_catalog: &self.catalog_cache,
            any_erased,
            new_types: Vec::new(),
            new_catalog: Vec::new(),
            cache: &mut self.identity_cache,
            next_profile_id: None,
            indexed,
            recent,
            payload,
        };
        let mut ingested = Vec::with_capacity(records.len());
        for (record, encoding) in records {
            ingested.push(batch.ingest(record, encoding)?);
        }
        // The id counter is written once per batch, in the batch's transaction.
        if let Some(next) = batch.next_profile_id {
            conn.prepare_cached("UPDATE counters SET value = ?1 WHERE name = 'next_profile_id'")?
                .execute([next])?;
        }
        Ok((ingested, (batch.new_types, batch.new_catalog)))
    }
}

/// Owners of identifiers and `created_at` of profiles, kept across batches of one writer.
/// Valid while no other connection writes (checked with `PRAGMA data_version`) and cleared
/// on any merge and on a failed batch.
#[derive(Debug, Default)]
pub(crate) struct IdentityCache {
    owners: HashMap<Identifier, Option<u64>>,
    created_at: HashMap<u64, Millis>,
    data_version: Option<i64>,
}

/// Entries above which the cache starts over (bounds its memory to a few hundred MB).
const IDENTITY_CACHE_LIMIT: usize = 2_000_000;

impl IdentityCache {
    fn clear(&mut self) {
        self.owners.clear();
        self.created_at.clear();
        self.data_version = None;
    }
}

/// One batch (one transaction) in progress, on the connection that holds it. Its caches are
/// sound because the transaction holds SQLite's write lock: nothing else can change the identity graph until it ends.
struct Batch<'b> {
    tx: &'b Connection,
    identity: &'b IdentityConfig,
    committed_types: &'b HashMap<String, TraitType>,
    /// Property keys known per event name (`""` for the name itself), as committed.
    committed_catalog: &'b HashMap<String, HashSet<String>>,
    any_erased: bool,
    new_types: Vec<(String, TraitType)>,
    new_catalog: Vec<(String, String)>,
    cache: &'b mut IdentityCache,
    /// The id the next new profile gets (read from the table once per batch).
    next_profile_id: Option<u64>,
    /// The keys of this batch's messages that the deferred index holds (stored before its mark).
    indexed: HashSet<[u8; 16]>,
    /// Message ids stored after the mark, this batch's included.
    recent: &'b mut RecentMessages,
    payload: &'b mut crate::payload::PayloadEncoder,
}

impl Batch<'_> {
    fn ingest(&mut self, record: &Record, encoding: &Encoding) -> Result<Outcome> {
        let key = encoding.key;
        if self.is_known_message(&record.message_id, &key)? {
            return Ok(Outcome::Duplicate);
        }
        if record.identifiers.is_empty() {
            return Ok(rejected(
                "identifiers",
                "no identifier: a record needs a user id, anonymous id or another identifier",
            ));
        }
        // Validate everything before writing anything, so a rejected record leaves no trace.
        let traits = match self.typed_traits(record) {
            Ok(traits) => traits,
            Err(outcome) => return Ok(outcome),
        };

        let resolution = {
            let mut graph = SqlGraph {
                tx: self.tx,
                owners: &mut self.cache.owners,
            };
            resolve(&mut graph, &record.identifiers, self.identity)?
        };
        let profile = self.apply_resolution(&resolution, record)?;
        let tx = self.tx;

        // Statements are taken from the cache only for records that use them: a lookup hashes
        // the SQL text, and most records (events) have neither traits nor consents.
        if !traits.is_empty() {
            let mut insert = tx.prepare_cached(
                "INSERT INTO trait_values (profile_id, name, ts, value) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (name, value, new) in &traits {
                insert.execute(params![
                    profile,
                    name,
                    record.timestamp,
                    value.to_json().to_string()
                ])?;
                if *new {
                    let ty = value.trait_type();
                    tx.prepare_cached(
                        "INSERT OR IGNORE INTO trait_schema (name, type) VALUES (?1, ?2)",
                    )?
                    .execute(params![name, ty.as_str()])?;
                    self.new_types.push((name.to_string(), ty));
                }
            }
        }
        if !record.consents.is_empty() {
            let mut insert = tx.prepare_cached(
                "INSERT INTO consents (profile_id, purpose, granted, ts) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (purpose, granted) in &record.consents {
                insert.execute(params![
                    profile,
                    purpose.as_str(),
                    granted,
                    record.timestamp
                ])?;
            }
        }
        let payload = self.payload.encode_plain(tx, profile, &encoding.plain)?;
        tx.prepare_cached(
            "INSERT INTO events (message_id, profile_id, kind, name, ts, received_at, properties, context, payload)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, '', '', ?7)",
        )?
        .execute(params![
            record.message_id,
            profile,
            record.kind.as_str(),
            record.name,
            record.timestamp,
            record.received_at,
            payload,
        ])?;
        self.recent.insert(tx.last_insert_rowid(), key);
        if record.kind.is_behavioural() {
            self.note_catalog(record)?;
        }
        // The target of a resolution is canonical, and so is a new profile.
        let merged = resolution.merges.iter().map(|m| m.from).collect();
        Ok(Outcome::Stored { profile, merged })
    }

    /// Types every trait against the schema; `Err` is the rejection of the whole record.
    /// The flag says whether the trait is new to the schema.
    fn typed_traits<'r>(
        &self,
        record: &'r Record,
    ) -> Result<Vec<(&'r str, TraitValue, bool)>, Outcome> {
        let mut traits: Vec<(&str, TraitValue, bool)> = Vec::with_capacity(record.traits.len());
        for (name, input) in &record.traits {
            let known = self
                .committed_types
                .get(name)
                .copied()
                .or_else(|| {
                    self.new_types
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, t)| *t)
                })
                .or_else(|| {
                    traits
                        .iter()
                        .find(|(n, _, _)| n == name)
                        .map(|(_, v, _)| v.trait_type())
                });
            let field = || format!("traits.{name}");
            let value = match (input, known) {
                (TraitInput::Json(Value::Null), _) => continue,
                (TraitInput::Json(json), Some(ty)) => {
                    TraitValue::from_json(json, ty).map_err(|reason| {
                        rejected(&field(), &format!("trait `{name}` is {ty}: {reason}"))
                    })?
                }
                (TraitInput::Json(json), None) => {
                    let Some(ty) = TraitValue::infer_type(json) else {
                        continue;
                    };
                    TraitValue::from_json(json, ty).map_err(|reason| rejected(&field(), &reason))?
                }
                (TraitInput::Typed(v), Some(ty)) if v.trait_type() != ty => {
                    return Err(rejected(
                        &field(),
                        &format!(
                            "trait `{name}` is {ty} in the store, but this value is {}",
                            v.trait_type()
                        ),
                    ))
                }
                (TraitInput::Typed(v), _) => v.clone(),
            };
            traits.push((name.as_str(), value, known.is_none()));
        }
        Ok(traits)
    }

    fn is_known_message(&self, message_id: &str, key: &[u8; 16]) -> Result<bool> {
        let stored = self.recent.contains(key) || self.indexed.contains(key);
        if stored || !self.any_erased {
            return Ok(stored);
        }
        let erased = self
            .tx
            .prepare_cached("SELECT 1 FROM erased_messages WHERE hash = ?1")?
            .query_row([crate::erase::message_hash(message_id)], |_| Ok(()))
            .optional()?
            .is_some();
        Ok(erased)
    }

    /// Records the event name and its property keys in the catalog, unless known. Looked up
    /// by reference: this runs for every event, and nearly always finds everything known.
    fn note_catalog(&mut self, record: &Record) -> Result<()> {
        let committed = self.committed_catalog.get(record.name.as_str());
        let keys = std::iter::once("").chain(record.properties.keys().map(String::as_str));
        for key in keys {
            let known = committed.is_some_and(|keys| keys.contains(key))
                || self
                    .new_catalog
                    .iter()
                    .any(|(name, property)| *name == record.name && property == key);
            if !known {
                self.tx
                    .prepare_cached(
                        "INSERT OR IGNORE INTO event_catalog (name, property) VALUES (?1, ?2)",
                    )?
                    .execute(params![record.name, key])?;
                self.new_catalog
                    .push((record.name.clone(), key.to_string()));
            }
        }
        Ok(())
    }

    /// Writes the identity decisions and returns the profile the record's data goes to.
    fn apply_resolution(&mut self, resolution: &Resolution, record: &Record) -> Result<u64> {
        let (tx, ts) = (self.tx, record.timestamp);
        let profile = match resolution.target {
            Some(target) => {
                // The earliest record of a person defines when they were first seen.
                let known = self.cache.created_at.get(&target).copied();
                if known.is_none_or(|created| created > ts) {
                    tx.prepare_cached(
                        "UPDATE profiles SET created_at = ?1 WHERE id = ?2 AND created_at > ?1",
                    )?
                    .execute(params![ts, target])?;
                    let created: Millis = tx
                        .prepare_cached("SELECT created_at FROM profiles WHERE id = ?1")?
                        .query_row([target], |r| r.get(0))?;
                    self.cache.created_at.insert(target, created);
                }
                target
            }
            None => {
                // Ids are assigned here so that a new profile is one insert, canonical to itself.
                let id = match self.next_profile_id {
                    Some(id) => id,
                    None => tx.query_row(
                        "SELECT max(value, (SELECT coalesce(max(id), 0) + 1 FROM profiles))
                         FROM counters WHERE name = 'next_profile_id'",
                        [],
                        |r| r.get(0),
                    )?,
                };
                self.next_profile_id = Some(id + 1);
                tx.prepare_cached(
                    "INSERT INTO profiles (id, canonical, created_at) VALUES (?1, ?1, ?2)",
                )?
                .execute(params![id, ts])?;
                self.cache.created_at.insert(id, ts);
                id
            }
        };
        if !resolution.merges.is_empty() {
            // Owners of the merged profiles' identifiers change: forget them all (merges are rare).
            let version = self.cache.data_version;
            self.cache.clear();
            self.cache.data_version = version;
        }
        for merge in &resolution.merges {
            tx.prepare_cached("UPDATE profiles SET canonical = ?1 WHERE canonical = ?2")?
                .execute(params![merge.into, merge.from])?;
            tx.prepare_cached(
                "INSERT INTO merges (ts, into_id, from_id, via_kind, via_value, reason, message_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                ts,
                merge.into,
                merge.from,
                merge.via.kind.as_str(),
                merge.via.value,
                merge.reason,
                record.message_id
            ])?;
            tx.prepare_cached(
                "UPDATE profiles SET created_at = (SELECT min(created_at) FROM profiles WHERE canonical = ?1) WHERE id = ?1",
            )?
            .execute([merge.into])?;
        }
        for id in &resolution.attach {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO identifiers (kind, value, profile_id, first_seen) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![id.kind.as_str(), id.value, profile, ts])?;
            self.cache.owners.insert(id.clone(), Some(profile));
        }
        for conflict in &resolution.conflicts {
            tx.prepare_cached(
                "INSERT INTO identity_conflicts (ts, profile_id, kind, value, reason, message_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                ts,
                conflict.profile,
                conflict.id.kind.as_str(),
                conflict.id.value,
                conflict.reason,
                record.message_id
            ])?;
        }
        Ok(profile)
    }
}

fn rejected(field: &str, reason: &str) -> Outcome {
    Outcome::Rejected {
        field: field.to_string(),
        reason: reason.to_string(),
    }
}

/// The persisted identity graph as `tessera-identity` sees it, with the batch's owner cache.
struct SqlGraph<'a> {
    tx: &'a Connection,
    owners: &'a mut HashMap<Identifier, Option<u64>>,
}

impl IdentityGraph for SqlGraph<'_> {
    type Error = crate::Error;

    fn owner(&mut self, id: &Identifier) -> Result<Option<u64>> {
        if let Some(owner) = self.owners.get(id) {
            return Ok(*owner);
        }
        let owner = self
            .tx
            .prepare_cached(
                "SELECT p.canonical FROM identifiers i JOIN profiles p ON p.id = i.profile_id
                 WHERE i.kind = ?1 AND i.value = ?2",
            )?
            .query_row(params![id.kind.as_str(), id.value], |r| r.get(0))
            .optional()?;
        self.owners.insert(id.clone(), owner);
        Ok(owner)
    }

    fn count(&mut self, profile: u64, kind: &IdentifierKind) -> Result<usize> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT count(*) FROM profiles p CROSS JOIN identifiers i ON i.profile_id = p.id
                 WHERE p.canonical = ?1 AND i.kind = ?2",
            )?
            .query_row(params![profile, kind.as_str()], |r| r.get::<_, i64>(0))?
            as usize)
    }

    fn kinds(&mut self, profile: u64) -> Result<Vec<IdentifierKind>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT DISTINCT i.kind FROM identifiers i JOIN profiles p ON p.id = i.profile_id
             WHERE p.canonical = ?1",
        )?;
        let kinds = stmt.query_map([profile], |r| r.get::<_, String>(0))?;
        Ok(kinds
            .map(|k| k.map(IdentifierKind::from))
            .collect::<Result<_, _>>()?)
    }
}

impl Store {
    /// Records the start of an import; returns its id for [`Store::finish_import`].
    pub fn begin_import(&mut self, source: &str) -> Result<i64> {
        Ok(self.conn.query_row(
            "INSERT INTO imports (source, started_at) VALUES (?1, ?2) RETURNING seq",
            params![source, crate::now_millis()],
            |r| r.get(0),
        )?)
    }

    pub fn finish_import(
        &mut self,
        id: i64,
        stored: u64,
        duplicates: u64,
        rejected: u64,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE imports SET finished_at = ?2, stored = ?3, duplicates = ?4, rejected = ?5 WHERE seq = ?1",
            params![id, crate::now_millis(), stored, duplicates, rejected],
        )?;
        // Reads by profile that follow an import find its events in the index, not by
        // scanning the log's tail.
        self.catch_up_index()?;
        Ok(())
    }

    /// Which kind a bare id already has in the store (`user_id` before `anonymous_id`), for
    /// Segment `alias` messages whose `previousId` does not say.
    pub fn known_kind_of(&self, value: &str) -> Result<Option<IdentifierKind>> {
        // Two primary-key lookups rather than one query on `value` alone, which no index serves.
        for kind in [IdentifierKind::UserId, IdentifierKind::AnonymousId] {
            let found = self
                .conn
                .prepare_cached("SELECT 1 FROM identifiers WHERE kind = ?1 AND value = ?2")?
                .query_row(params![kind.as_str(), value], |_| Ok(()))
                .optional()?;
            if found.is_some() {
                return Ok(Some(kind));
            }
        }
        Ok(None)
    }
}
