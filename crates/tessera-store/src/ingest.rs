//! Ingestion: one batch of records in one transaction, with identity resolution per record.

use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::{Map, Value};
use tessera_identity::{resolve, IdentityGraph, Resolution};
use tessera_model::{ConsentPurpose, EventKind, Identifier, IdentifierKind, Millis, TraitType, TraitValue};

use crate::{Result, Store};

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
    /// Stored on this (canonical) profile.
    Stored { profile: u64 },
    /// Its message id was already stored (or erased): nothing changed.
    Duplicate,
    /// Not stored; `field` names the offending part of the record.
    Rejected { field: String, reason: String },
}

impl Store {
    /// Stores a batch atomically: either every record's outcome is durable or, on `Err`,
    /// nothing of the batch is. Per-record problems are `Outcome::Rejected`, not errors.
    pub fn ingest_batch(&mut self, records: &[Record]) -> Result<Vec<Outcome>> {
        let mut new_types: Vec<(String, TraitType)> = Vec::new();
        let mut new_catalog: Vec<(String, String)> = Vec::new();
        let tx = self.conn.transaction()?;
        // Most stores never erased anyone: skip a lookup per record then.
        let any_erased = tx.query_row("SELECT EXISTS (SELECT 1 FROM erased_messages)", [], |r| r.get(0))?;
        let mut outcomes = Vec::with_capacity(records.len());
        for record in records {
            let outcome = ingest_one(
                &tx,
                any_erased,
                &self.config.identity,
                &self.trait_types,
                &self.catalog_cache,
                &mut new_types,
                &mut new_catalog,
                record,
            )?;
            outcomes.push(outcome);
        }
        tx.commit()?;
        self.trait_types.extend(new_types);
        self.catalog_cache.extend(new_catalog);
        Ok(outcomes)
    }
}

#[allow(clippy::too_many_arguments)] // the batch's shared state, passed apart to keep borrows disjoint
fn ingest_one(
    tx: &Transaction<'_>,
    any_erased: bool,
    identity: &tessera_identity::IdentityConfig,
    committed_types: &std::collections::HashMap<String, TraitType>,
    committed_catalog: &std::collections::HashSet<(String, String)>,
    new_types: &mut Vec<(String, TraitType)>,
    new_catalog: &mut Vec<(String, String)>,
    record: &Record,
) -> Result<Outcome> {
    if is_known_message(tx, &record.message_id, any_erased)? {
        return Ok(Outcome::Duplicate);
    }
    if record.identifiers.is_empty() {
        return Ok(rejected("identifiers", "no identifier: a record needs a user id, anonymous id or another identifier"));
    }
    // Validate everything before writing anything, so a rejected record leaves no trace.
    let mut traits = Vec::with_capacity(record.traits.len());
    let mut declared: Vec<(String, TraitType)> = Vec::new();
    for (name, input) in &record.traits {
        let known = committed_types
            .get(name)
            .copied()
            .or_else(|| new_types.iter().chain(&declared).find(|(n, _)| n == name).map(|(_, t)| *t));
        let value = match (input, known) {
            (TraitInput::Json(Value::Null), _) => continue,
            (TraitInput::Json(json), Some(ty)) => match TraitValue::from_json(json, ty) {
                Ok(v) => v,
                Err(reason) => {
                    return Ok(rejected(&format!("traits.{name}"), &format!("trait `{name}` is {ty}: {reason}")))
                }
            },
            (TraitInput::Json(json), None) => {
                let Some(ty) = TraitValue::infer_type(json) else { continue };
                match TraitValue::from_json(json, ty) {
                    Ok(v) => v,
                    Err(reason) => return Ok(rejected(&format!("traits.{name}"), &reason)),
                }
            }
            (TraitInput::Typed(v), Some(ty)) if v.trait_type() != ty => {
                return Ok(rejected(
                    &format!("traits.{name}"),
                    &format!("trait `{name}` is {ty} in the store, but this value is {}", v.trait_type()),
                ))
            }
            (TraitInput::Typed(v), _) => v.clone(),
        };
        if known.is_none() {
            declared.push((name.clone(), value.trait_type()));
        }
        traits.push((name.as_str(), value));
    }

    let mut graph = SqlGraph { tx };
    let resolution = resolve(&mut graph, &record.identifiers, identity)?;
    let profile = apply_resolution(tx, &resolution, record)?;

    let mut insert_trait = tx.prepare_cached(
        "INSERT INTO trait_values (profile_id, name, ts, value) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (name, value) in &traits {
        insert_trait.execute(params![profile, name, record.timestamp, value.to_json().to_string()])?;
    }
    for (name, ty) in declared {
        tx.execute("INSERT OR IGNORE INTO trait_schema (name, type) VALUES (?1, ?2)", params![name, ty.as_str()])?;
        new_types.push((name, ty));
    }
    let mut insert_consent = tx.prepare_cached(
        "INSERT INTO consents (profile_id, purpose, granted, ts) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (purpose, granted) in &record.consents {
        insert_consent.execute(params![profile, purpose.as_str(), granted, record.timestamp])?;
    }
    tx.prepare_cached(
        "INSERT INTO events (message_id, profile_id, kind, name, ts, received_at, properties, context)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        record.message_id,
        profile,
        record.kind.as_str(),
        record.name,
        record.timestamp,
        record.received_at,
        Value::Object(record.properties.clone()).to_string(),
        Value::Object(record.context.clone()).to_string(),
    ])?;
    if record.kind.is_behavioural() {
        let keys = std::iter::once("").chain(record.properties.keys().map(String::as_str));
        for key in keys {
            let pair = (record.name.clone(), key.to_string());
            if !committed_catalog.contains(&pair) && !new_catalog.contains(&pair) {
                tx.prepare_cached("INSERT OR IGNORE INTO event_catalog (name, property) VALUES (?1, ?2)")?
                    .execute(params![pair.0, pair.1])?;
                new_catalog.push(pair);
            }
        }
    }
    // The target of a resolution is canonical, and so is a new profile.
    Ok(Outcome::Stored { profile })
}

fn rejected(field: &str, reason: &str) -> Outcome {
    Outcome::Rejected { field: field.to_string(), reason: reason.to_string() }
}

fn is_known_message(tx: &Transaction<'_>, message_id: &str, any_erased: bool) -> Result<bool> {
    let stored = tx
        .prepare_cached("SELECT 1 FROM events WHERE message_id = ?1")?
        .query_row([message_id], |_| Ok(()))
        .optional()?
        .is_some();
    if stored || !any_erased {
        return Ok(stored);
    }
    let erased = tx
        .prepare_cached("SELECT 1 FROM erased_messages WHERE hash = ?1")?
        .query_row([crate::erase::message_hash(message_id)], |_| Ok(()))
        .optional()?
        .is_some();
    Ok(erased)
}

/// Writes the identity decisions and returns the profile row the record's data goes to.
fn apply_resolution(tx: &Transaction<'_>, resolution: &Resolution, record: &Record) -> Result<u64> {
    let ts = record.timestamp;
    let profile = match resolution.target {
        Some(target) => {
            tx.prepare_cached("UPDATE profiles SET created_at = ?1 WHERE id = ?2 AND created_at > ?1")?
                .execute(params![ts, target])?;
            target
        }
        None => {
            let id: u64 = tx
                .prepare_cached("INSERT INTO profiles (canonical, created_at) VALUES (0, ?1) RETURNING id")?
                .query_row([ts], |r| r.get(0))?;
            tx.prepare_cached("UPDATE profiles SET canonical = ?1 WHERE id = ?1")?.execute([id])?;
            id
        }
    };
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
        // The merged group's earliest record defines when the person was first seen.
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

/// The persisted identity graph as `tessera-identity` sees it.
struct SqlGraph<'a, 'conn> {
    tx: &'a Transaction<'conn>,
}

impl IdentityGraph for SqlGraph<'_, '_> {
    type Error = crate::Error;

    fn owner(&mut self, id: &Identifier) -> Result<Option<u64>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT p.canonical FROM identifiers i JOIN profiles p ON p.id = i.profile_id
                 WHERE i.kind = ?1 AND i.value = ?2",
            )?
            .query_row(params![id.kind.as_str(), id.value], |r| r.get(0))
            .optional()?)
    }

    fn count(&mut self, profile: u64, kind: &IdentifierKind) -> Result<usize> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT count(*) FROM identifiers i JOIN profiles p ON p.id = i.profile_id
                 WHERE p.canonical = ?1 AND i.kind = ?2",
            )?
            .query_row(params![profile, kind.as_str()], |r| r.get::<_, i64>(0))? as usize)
    }

    fn kinds(&mut self, profile: u64) -> Result<Vec<IdentifierKind>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT DISTINCT i.kind FROM identifiers i JOIN profiles p ON p.id = i.profile_id
             WHERE p.canonical = ?1",
        )?;
        let kinds = stmt.query_map([profile], |r| r.get::<_, String>(0))?;
        Ok(kinds.map(|k| k.map(IdentifierKind::from)).collect::<Result<_, _>>()?)
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

    pub fn finish_import(&mut self, id: i64, stored: u64, duplicates: u64, rejected: u64) -> Result<()> {
        self.conn.execute(
            "UPDATE imports SET finished_at = ?2, stored = ?3, duplicates = ?4, rejected = ?5 WHERE seq = ?1",
            params![id, crate::now_millis(), stored, duplicates, rejected],
        )?;
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
