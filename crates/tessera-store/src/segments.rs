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

    /// Stores definitions and their members in one transaction (replacing previous members).
    pub fn apply_segments(&mut self, segments: &[(StoredSegment, Vec<u64>)]) -> Result<()> {
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
        tx.commit()?;
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

fn row_to_segment(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredSegment> {
    Ok(StoredSegment {
        name: r.get(0)?,
        description: r.get(1)?,
        condition: r.get(2)?,
        min_size: r.get::<_, i64>(3)? as u64,
        updated_at: r.get(4)?,
    })
}
