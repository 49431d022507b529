//! The index's two tables as levels of geometrically growing size: a log-structured merge
//! whose runs are B-trees, one table per level.
//!
//! Why: the keys of a merge land all over the table (message keys are hashes; live traffic
//! touches profiles in no order), so one merge of `n` entries into a single tree of `N`
//! rewrites about `min(n, N / per_page)` pages: nearly every page once `N` is large. Measured
//! with `examples/index_scaling.rs` (random ids, 1M profiles, merges of 2M messages): 7.0 s
//! for the first merge, 18.6 s for the tenth, growing with the index, so an import is
//! quadratic. Levelled, a merge rewrites only the level it writes into, and a level past its
//! cap moves into the next, `ratio` times larger: a level's pages are rewritten about `ratio`
//! times before it spills, at each of `log_ratio(N / base)` levels, where a single tree has
//! all of its pages rewritten at every merge (`N / merge` times).
//!
//! The price is paid by deduplication: a new message (nearly every one) is looked for in
//! every level that holds keys, so probes cost a descent per occupied level.
//!
//! A level is a table of its own (`message_keys_2`) rather than a range of one table keyed by
//! level: a spill then empties the smaller level with SQLite's truncation, which frees pages
//! without visiting rows, where deleting a range costs a B-tree delete per entry. Measured
//! with the same example, a spill of 10M entries into an empty level: 27 s with a `level`
//! column leading one table's key, 11 s with a table per level.
//!
//! Invariants:
//! - An entry is in exactly one level at every commit: a spill (the insert into the next
//!   level and the truncation of this one) is one transaction. Readers look in every level.
//! - `index_levels.rows` never understates a level: merges and spills count exactly what they
//!   insert; erasures delete entries without counting them, so a level may be overstated.
//!   The counts only decide when a level spills and which levels a probe reads, and an
//!   overstated level is merely read.

use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension};

use super::in_transaction;
use crate::Result;

/// Levels `0..LEVELS`; the last one has no cap.
pub(crate) const LEVELS: usize = 5;

/// The sizes of the levels: level `k < LEVELS - 1` holds at most `base * ratio^k` entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelShape {
    pub base: u64,
    pub ratio: u64,
}

impl Default for LevelShape {
    /// Level 0 holds 1M entries (about 25 MB of message keys, so the server's once-a-second
    /// merges rewrite at most that much), then 8M, 64M, 512M and the rest: 10M customers'
    /// 250M messages use four levels.
    fn default() -> Self {
        LevelShape {
            base: 1_000_000,
            ratio: 8,
        }
    }
}

impl LevelShape {
    fn cap(&self, level: usize) -> u64 {
        if level >= LEVELS - 1 {
            return u64::MAX;
        }
        (0..level).fold(self.base, |cap, _| cap.saturating_mul(self.ratio))
    }

    /// The level that a merge of `rows` new entries writes into: the lowest that holds them,
    /// so that one large merge (building an index from nothing) does not cascade down levels.
    pub(crate) fn level_for(&self, rows: u64) -> usize {
        (0..LEVELS)
            .find(|&k| self.cap(k) >= rows)
            .unwrap_or(LEVELS - 1)
    }
}

/// One of the index's levelled tables.
pub(crate) struct LevelledTable {
    pub name: &'static str,
    /// The columns, key first, as `CREATE TABLE` declares them.
    declaration: &'static str,
    /// The columns in key order.
    pub columns: &'static str,
}

pub(crate) const PROFILE_EVENTS: LevelledTable = LevelledTable {
    name: "profile_events",
    declaration: "profile_id INTEGER NOT NULL, ts INTEGER NOT NULL, seq INTEGER NOT NULL,
                  PRIMARY KEY (profile_id, ts, seq)",
    columns: "profile_id, ts, seq",
};

/// The first 16 bytes of SHA-256 of each message id: compact keys, and no message id (which a
/// client may have built from personal data) outside the main store.
pub(crate) const MESSAGE_KEYS: LevelledTable = LevelledTable {
    name: "message_keys",
    declaration: "key BLOB PRIMARY KEY",
    columns: "key",
};

pub(crate) const TABLES: [LevelledTable; 2] = [PROFILE_EVENTS, MESSAGE_KEYS];

impl LevelledTable {
    /// The table of one level.
    pub(crate) fn at(&self, level: usize) -> String {
        format!("{}_{level}", self.name)
    }

    /// `CREATE TABLE IF NOT EXISTS` for every level.
    pub(crate) fn schema(&self) -> String {
        (0..LEVELS)
            .map(|k| {
                format!(
                    "CREATE TABLE IF NOT EXISTS {} ({}) WITHOUT ROWID;\n",
                    self.at(k),
                    self.declaration
                )
            })
            .collect()
    }

    /// `DELETE FROM` every level.
    pub(crate) fn clear(&self) -> String {
        (0..LEVELS)
            .map(|k| format!("DELETE FROM {};\n", self.at(k)))
            .collect()
    }

    /// Adds `delta` to the count of `level`.
    pub(crate) fn count(&self, conn: &Connection, level: usize, delta: i64) -> Result<()> {
        conn.prepare_cached(
            "INSERT INTO index_levels (tbl, level, rows) VALUES (?1, ?2, ?3)
             ON CONFLICT (tbl, level) DO UPDATE SET rows = rows + excluded.rows",
        )?
        .execute(params![self.name, level as i64, delta])?;
        Ok(())
    }

    fn rows(&self, conn: &Connection, level: usize) -> Result<u64> {
        Ok(conn
            .prepare_cached("SELECT rows FROM index_levels WHERE tbl = ?1 AND level = ?2")?
            .query_row(params![self.name, level as i64], |r| r.get::<_, i64>(0))
            .optional()?
            .unwrap_or(0)
            .max(0) as u64)
    }

    /// The levels that may hold entries, lowest first.
    pub(crate) fn occupied(&self, conn: &Connection) -> Result<Vec<usize>> {
        Ok(conn
            .prepare_cached(
                "SELECT level FROM index_levels WHERE tbl = ?1 AND rows > 0 ORDER BY level",
            )?
            .query_map([self.name], |r| Ok(r.get::<_, i64>(0)? as usize))?
            .collect::<Result<_, _>>()?)
    }

    /// Moves every level over its cap into the next one, lowest first (a spill can push the
    /// next level over its own cap). `lock` is the statement that takes the index's write lock
    /// at the start of each transaction.
    pub(crate) fn compact(&self, conn: &Connection, shape: &LevelShape, lock: &str) -> Result<()> {
        for level in 0..LEVELS - 1 {
            if self.rows(conn, level)? > shape.cap(level) {
                self.spill(conn, level, lock)?;
            }
        }
        Ok(())
    }

    /// Moves every entry of `level` into `level + 1` in one transaction.
    fn spill(&self, conn: &Connection, level: usize, lock: &str) -> Result<()> {
        let (from, into, columns) = (self.at(level), self.at(level + 1), self.columns);
        in_transaction(conn, &format!("BEGIN; {lock}"), || {
            // In key order: each page of the next level is written once.
            let moved = conn.execute(
                &format!(
                    "INSERT OR IGNORE INTO {into} ({columns})
                     SELECT {columns} FROM {from} ORDER BY {columns}"
                ),
                [],
            )?;
            // No WHERE: SQLite truncates the table instead of deleting entry by entry.
            conn.execute(&format!("DELETE FROM {from}"), [])?;
            self.count(conn, level + 1, moved as i64)?;
            conn.prepare_cached("UPDATE index_levels SET rows = 0 WHERE tbl = ?1 AND level = ?2")?
                .execute(params![self.name, level as i64])?;
            Ok(())
        })
    }

    /// Deletes the entries whose `column` is one of `values` from every level.
    pub(crate) fn delete_where(
        &self,
        conn: &Connection,
        column: &str,
        values: impl IntoIterator<Item = Value>,
    ) -> Result<()> {
        let mut levels = (0..LEVELS)
            .map(|k| {
                conn.prepare_cached(&format!("DELETE FROM {} WHERE {column} = ?1", self.at(k)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        for value in values {
            for level in &mut levels {
                level.execute([&value])?;
            }
        }
        Ok(())
    }

    /// `SELECT {what} FROM` every level `WHERE {condition}`, as one `UNION ALL`.
    pub(crate) fn select_all_levels(&self, what: &str, condition: &str) -> String {
        (0..LEVELS)
            .map(|k| format!("SELECT {what} FROM {} WHERE {condition}", self.at(k)))
            .collect::<Vec<_>>()
            .join(" UNION ALL ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_grow_by_the_ratio_and_the_last_level_is_open() {
        let shape = LevelShape { base: 10, ratio: 4 };
        let caps: Vec<u64> = (0..LEVELS).map(|k| shape.cap(k)).collect();
        assert_eq!(caps, vec![10, 40, 160, 640, u64::MAX]);
        assert_eq!(shape.level_for(0), 0);
        assert_eq!(shape.level_for(10), 0);
        assert_eq!(shape.level_for(11), 1);
        assert_eq!(shape.level_for(640), 3);
        assert_eq!(shape.level_for(641), 4);
    }
}
