//! Profiles' traits as of an instant: each record's observations merged within the record,
//! then a person's records merged by the configured rules.
//!
//! Two passes, so that memory stays that of one person: the trait rows in record order for
//! the people made of one record (nearly everyone), then, for the people merged from several
//! records, their rows in person order. (Gathering merged people's values until the end of
//! one pass held about a third of a million people's observations at once on 1M customers,
//! hundreds of megabytes beside a load of the events.)

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OpenFlags};
use serde_json::Value;
use tessera_identity::{merge_values, MergeRule, TraitMergeConfig};
use tessera_model::{Millis, TraitType, TraitValue};

use crate::read::{canonical_ids, trait_schema};
use crate::{Config, Error, Result, Store};

/// A connection of its own to a store's database, for reading profiles' traits on another
/// thread while the store reads something else (a [`Store`] is used by one thread at a time).
/// Its reads are separate transactions from the store's, as the store's own reads are from
/// each other.
pub struct TraitReader {
    conn: Connection,
    config: Config,
}

impl Store {
    /// Opens a [`TraitReader`] on this store's database, read-only.
    pub fn trait_reader(&self) -> Result<TraitReader> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(self.dir().join(crate::DB_FILE), flags)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        Ok(TraitReader {
            conn,
            config: self.config().clone(),
        })
    }
}

impl TraitReader {
    /// What [`Store::for_each_trait`] gives.
    pub fn for_each_trait(
        &self,
        at: Option<Millis>,
        f: impl FnMut(u64, &str, TraitValue),
    ) -> Result<()> {
        merged_traits(&self.conn, &self.config, at, None, f)
    }
}

/// Calls `f(person, trait, value)` for each trait of each canonical profile (only `only`'s
/// when given) as of `at`.
pub(crate) fn merged_traits(
    conn: &Connection,
    config: &Config,
    at: Option<Millis>,
    only: Option<u64>,
    mut f: impl FnMut(u64, &str, TraitValue),
) -> Result<()> {
    let types: BTreeMap<String, TraitType> = trait_schema(conn)?.into_iter().collect();
    let rules = &config.traits.merge;
    let at = at.unwrap_or(i64::MAX);
    if let Some(person) = only {
        let merged: bool = conn.query_row(
            "SELECT count(*) > 1 FROM profiles WHERE canonical = ?1",
            [person],
            |r| r.get(0),
        )?;
        let filter = "p.canonical = ?2";
        return merged_people(
            conn,
            &types,
            rules,
            at,
            filter,
            Some(person),
            merged,
            &mut f,
        );
    }
    // Every person with more than one record, by canonical id.
    let canonical = canonical_ids(conn)?;
    let mut records = vec![0u8; canonical.len()];
    for &person in &canonical {
        if let Some(n) = records.get_mut(person as usize) {
            *n = n.saturating_add(1);
        }
    }
    let merged = |person: u64| records.get(person as usize).is_some_and(|&n| n > 1);

    // People of one record: rows in the index's order, so SQLite streams them unsorted.
    let mut stmt = conn.prepare(
        "SELECT t.profile_id, t.profile_id, t.name, t.ts, t.value FROM trait_values t
         WHERE t.ts <= ?1 ORDER BY t.profile_id, t.name, t.ts, t.seq",
    )?;
    let mut rows = stmt.query([at])?;
    let mut record = RecordMerge::default();
    while let Some(row) = rows.next()? {
        let id: u64 = row.get(0)?;
        let person = canonical.get(id as usize).copied().unwrap_or(0);
        // A row of no profile, or of a merged person (read below).
        if person == 0 || merged(person) {
            continue;
        }
        // A record of one person is that person's whole value.
        if let Some(ended) = record.push(row, &types, rules)? {
            f(canonical[ended.record as usize], &ended.name, ended.value.1);
        }
    }
    if let Some(ended) = record.finish(rules) {
        f(canonical[ended.record as usize], &ended.name, ended.value.1);
    }
    drop(rows);
    drop(stmt);

    let filter = "p.canonical IN (SELECT canonical FROM profiles GROUP BY canonical
                                  HAVING count(*) > 1) AND ?2 IS NULL";
    merged_people(conn, &types, rules, at, filter, None, true, &mut f)
}

/// The people `filter` (over `profiles p`, with `?2` bound to `only`) selects, each read
/// whole and merged across records when `across` (else its one record's values are its own).
#[allow(clippy::too_many_arguments)]
fn merged_people(
    conn: &Connection,
    types: &BTreeMap<String, TraitType>,
    rules: &TraitMergeConfig,
    at: Millis,
    filter: &str,
    only: Option<u64>,
    across: bool,
    f: &mut impl FnMut(u64, &str, TraitValue),
) -> Result<()> {
    // SQLite walks people by the `profiles_canonical` index and sorts only one person's rows.
    let mut stmt = conn.prepare(&format!(
        "SELECT p.canonical, t.profile_id, t.name, t.ts, t.value
         FROM profiles p JOIN trait_values t ON t.profile_id = p.id
         WHERE {filter} AND t.ts <= ?1
         ORDER BY p.canonical, t.profile_id, t.name, t.ts, t.seq"
    ))?;
    let mut rows = stmt.query(params![at, only])?;
    let mut record = RecordMerge::default();
    // The current person's value of each trait in each of their records, in record order.
    let mut person: Option<u64> = None;
    let mut values: BTreeMap<String, Vec<(Millis, TraitValue)>> = BTreeMap::new();
    let mut flush = |person: u64, values: &mut BTreeMap<String, Vec<(Millis, TraitValue)>>| {
        for (name, per_record) in std::mem::take(values) {
            let value = if across {
                merge_values(rules.rule_for(&name), &per_record)
            } else {
                per_record.into_iter().next_back().map(|(_, v)| v)
            };
            if let Some(value) = value {
                f(person, &name, value);
            }
        }
    };
    while let Some(row) = rows.next()? {
        let this: u64 = row.get(0)?;
        // A person's last record ends with the person: finish it before moving on.
        if person.is_some_and(|p| p != this) {
            if let Some(ended) = record.finish(rules) {
                values.entry(ended.name).or_default().push(ended.value);
            }
            flush(person.expect("checked"), &mut values);
        }
        person = Some(this);
        if let Some(ended) = record.push(row, types, rules)? {
            values.entry(ended.name).or_default().push(ended.value);
        }
    }
    if let Some(person) = person {
        if let Some(ended) = record.finish(rules) {
            values.entry(ended.name).or_default().push(ended.value);
        }
        flush(person, &mut values);
    }
    Ok(())
}

/// A record's value of one trait: its latest time and the value its observations merge to.
struct Ended {
    record: u64,
    name: String,
    value: (Millis, TraitValue),
}

/// The observations of one record's trait as rows stream by (ordered by record, trait, time
/// and sequence; the record id in column 1, then name, time and value).
#[derive(Default)]
struct RecordMerge {
    id: u64,
    name: Option<String>,
    observations: Vec<(Millis, TraitValue)>,
}

impl RecordMerge {
    /// Adds a row; when it starts another (record, trait), returns the merged value of the
    /// one it ends: the trait's name, its latest time and the value.
    fn push(
        &mut self,
        row: &rusqlite::Row<'_>,
        types: &BTreeMap<String, TraitType>,
        rules: &TraitMergeConfig,
    ) -> Result<Option<Ended>> {
        let id: u64 = row.get(1)?;
        let name = row.get_ref(2)?.as_str()?;
        let Some(ty) = types.get(name).copied() else {
            return Ok(None);
        };
        let mut ended = None;
        if self.id != id || self.name.as_deref() != Some(name) {
            ended = self.finish(rules);
            self.id = id;
            self.name = Some(name.to_string());
        }
        let json = row.get_ref(4)?.as_str()?;
        let value = serde_json::from_str::<Value>(json)
            .map_err(|e| Error::Internal(format!("trait value {json}: {e}")))
            .and_then(|v| TraitValue::from_json(&v, ty).map_err(Error::Internal))?;
        self.observations.push((row.get(3)?, value));
        Ok(ended)
    }

    /// The merged value of the current (record, trait), if it has one; starts afresh.
    fn finish(&mut self, rules: &TraitMergeConfig) -> Option<Ended> {
        let name = self.name.take()?;
        // Within one record a sum keeps the latest observation: it sums across records.
        let rule = match rules.rule_for(&name) {
            MergeRule::Sum => MergeRule::LastWriteWins,
            rule => rule,
        };
        let ts = self.observations.iter().map(|(t, _)| *t).max();
        let value = merge_values(rule, &self.observations);
        self.observations.clear();
        Some(Ended {
            record: self.id,
            name,
            value: (ts?, value?),
        })
    }
}
