//! Stored segment definitions and their current members.

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde::Serialize;

use crate::{now_millis, Error, Result, Store};

/// A segment definition as stored (the condition in canonical text form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredSegment {
    pub name: String,
    pub description: String,
    pub condition: String,
    pub min_size: u64,
    pub updated_at: i64,
}

impl Store {
    pub fn segments(&self) -> Result<Vec<StoredSegment>> {
        let mut stmt = self.conn.prepare(
            "SELECT name, description, condition, min_size, updated_at FROM segments ORDER BY name",
        )?;
        let rows = stmt.query_map([], row_to_segment)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn segment(&self, name: &str) -> Result<StoredSegment> {
        self.conn
            .query_row(
                "SELECT name, description, condition, min_size, updated_at FROM segments WHERE name = ?1",
                [name],
                row_to_segment,
            )
            .optional()?
            .ok_or_else(|| Error::SegmentNotFound(name.to_string()))
    }

    /// Canonical profiles currently stored as members (following merges made since).
    pub fn members(&self, segment: &str) -> Result<Vec<u64>> {
        let mut stmt = self.conn.prepare(
            "SELECT DISTINCT p.canonical FROM memberships m JOIN profiles p ON p.id = m.profile_id
             WHERE m.segment = ?1 ORDER BY 1",
        )?;
        let rows = stmt.query_map([segment], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stores definitions and their members in one transaction (replacing previous members),
    /// recording who entered and who left at `at` in the membership history.
    pub fn apply_segments(
        &mut self,
        segments: &[(StoredSegment, Vec<u64>)],
        at: i64,
    ) -> Result<()> {
        let mut changes = Vec::new();
        for (segment, members) in segments {
            // The rows as stored (not followed through later merges): the history records
            // exactly what changed in them.
            let old: std::collections::BTreeSet<u64> = self
                .conn
                .prepare_cached("SELECT profile_id FROM memberships WHERE segment = ?1")?
                .query_map([&segment.name], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let new: std::collections::BTreeSet<u64> = members.iter().copied().collect();
            changes.extend(
                new.difference(&old)
                    .map(|p| MembershipChange::new(&segment.name, *p, true, at)),
            );
            changes.extend(
                old.difference(&new)
                    .map(|p| MembershipChange::new(&segment.name, *p, false, at)),
            );
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = now_millis();
        for (segment, members) in segments {
            tx.execute(
                "INSERT INTO segments (name, description, condition, min_size, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (name) DO UPDATE SET description = ?2, condition = ?3, min_size = ?4, updated_at = ?5",
                params![segment.name, segment.description, segment.condition, segment.min_size, now],
            )?;
            tx.execute(
                "DELETE FROM memberships WHERE segment = ?1",
                [&segment.name],
            )?;
            let mut insert =
                tx.prepare_cached("INSERT INTO memberships (segment, profile_id) VALUES (?1, ?2)")?;
            for profile in members {
                insert.execute(params![segment.name, profile])?;
            }
        }
        insert_changes(&tx, &changes)?;
        tx.commit()?;
        Ok(())
    }

    /// Records enters and exits (from real-time evaluation) and updates current memberships,
    /// in one transaction.
    pub fn record_membership_changes(&mut self, changes: &[MembershipChange]) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        // Fully durable, although a restart recomputes membership: a change that both began
        // and ended while the server was down would otherwise never be announced.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        write_membership_rows(&tx, changes)?;
        tx.commit()?;
        Ok(())
    }

    /// Members of a segment at an instant, from the membership history.
    pub fn members_at(&self, segment: &str, at: i64) -> Result<Vec<u64>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT profile_id, entered FROM membership_changes
             WHERE segment = ?1 AND at <= ?2 ORDER BY profile_id, at, seq",
        )?;
        let mut rows = stmt.query(params![segment, at])?;
        let mut members = Vec::new();
        let mut current: Option<(u64, bool)> = None;
        while let Some(row) = rows.next()? {
            let (profile, entered): (u64, bool) = (row.get(0)?, row.get(1)?);
            if let Some((p, true)) = current {
                if p != profile {
                    members.push(p);
                }
            }
            current = Some((profile, entered));
        }
        if let Some((p, true)) = current {
            members.push(p);
        }
        Ok(members)
    }

    /// A profile's enters and exits, oldest first.
    pub fn membership_history(&self, profile: u64) -> Result<Vec<MembershipChange>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT segment, profile_id, entered, at FROM membership_changes
             WHERE profile_id = ?1 ORDER BY at, seq",
        )?;
        let rows = stmt.query_map([profile], |r| {
            Ok(MembershipChange {
                segment: r.get(0)?,
                profile: r.get(1)?,
                entered: r.get(2)?,
                at: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Creates or replaces a segment's definition, keeping its stored members (a running
    /// server re-evaluates it in real time and records who enters and leaves).
    pub fn save_segment_definition(&mut self, segment: &StoredSegment) -> Result<()> {
        self.conn.execute(
            "INSERT INTO segments (name, description, condition, min_size, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (name) DO UPDATE SET description = ?2, condition = ?3, min_size = ?4, updated_at = ?5",
            params![segment.name, segment.description, segment.condition, segment.min_size, now_millis()],
        )?;
        Ok(())
    }

    /// Deletes a segment and its memberships.
    pub fn delete_segment(&mut self, name: &str) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM memberships WHERE segment = ?1", [name])?;
        let deleted = tx.execute("DELETE FROM segments WHERE name = ?1", [name])?;
        if deleted == 0 {
            return Err(Error::SegmentNotFound(name.to_string()));
        }
        tx.commit()?;
        Ok(())
    }
}

/// One enter (`entered`) or exit of a profile in a segment, at an instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MembershipChange {
    pub segment: String,
    pub profile: u64,
    pub entered: bool,
    pub at: i64,
}

impl StoredSegment {
    /// A definition with no description and a minimum size of 1 (handy for tests and tools).
    pub fn new(name: &str, condition: &str) -> StoredSegment {
        StoredSegment {
            name: name.to_string(),
            description: String::new(),
            condition: condition.to_string(),
            min_size: 1,
            updated_at: 0,
        }
    }
}

impl MembershipChange {
    pub fn new(segment: &str, profile: u64, entered: bool, at: i64) -> Self {
        MembershipChange {
            segment: segment.to_string(),
            profile,
            entered,
            at,
        }
    }
}

fn insert_changes(tx: &rusqlite::Connection, changes: &[MembershipChange]) -> Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO membership_changes (segment, profile_id, entered, at) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for c in changes {
        insert.execute(params![c.segment, c.profile, c.entered, c.at])?;
    }
    Ok(())
}

fn row_to_segment(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredSegment> {
    Ok(StoredSegment {
        name: r.get(0)?,
        description: r.get(1)?,
        condition: r.get(2)?,
        min_size: r.get::<_, i64>(3)? as u64,
        updated_at: r.get(4)?,
    })
}

/// Applies changes to the current memberships and appends them to the history, with their
/// webhook deliveries, inside the caller's transaction.
pub(crate) fn write_membership_rows(
    conn: &rusqlite::Connection,
    changes: &[MembershipChange],
) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    for change in changes {
        if change.entered {
            conn.prepare_cached(
                "INSERT OR IGNORE INTO memberships (segment, profile_id) VALUES (?1, ?2)",
            )?
            .execute(params![change.segment, change.profile])?;
        } else {
            conn.prepare_cached("DELETE FROM memberships WHERE segment = ?1 AND profile_id = ?2")?
                .execute(params![change.segment, change.profile])?;
        }
    }
    insert_changes(conn, changes)?;
    crate::webhooks::enqueue(conn, changes)
}
