//! Erasure (GDPR Art. 17): a person's data removed in one transaction, the fact recorded.

use rusqlite::params;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{now_millis, Result, Store};

/// What an erasure removed (counts only: this is all that is kept).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Erasure {
    pub profiles: u64,
    pub identifiers: u64,
    pub events: u64,
    pub traits: u64,
    pub memberships: u64,
}

pub(crate) fn message_hash(message_id: &str) -> Vec<u8> {
    Sha256::digest(message_id.as_bytes()).to_vec()
}

impl Store {
    /// Removes the canonical profile and every record merged into it: identifiers, traits,
    /// consents, events, memberships and merge history. Message ids are kept only as SHA-256
    /// hashes so that replaying an old file cannot bring the erased events back.
    pub fn erase_profile(&mut self, profile: u64) -> Result<Erasure> {
        // Our own writes do not change `data_version`: drop cached owners explicitly.
        self.identity_cache = Default::default();
        // A manual transaction, so that the store's own reads run inside it.
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        match self.erase_in_transaction(profile) {
            Ok((erasure, records, message_ids)) => {
                self.conn.execute_batch("COMMIT")?;
                // After the commit. A crash or failure here leaves entries that point at no
                // event, which readers skip (and erased keys still count as seen).
                if let Err(e) = self.forget_in_index(&records, &message_ids) {
                    tracing::warn!(error = %e, "removing an erased person's index entries failed");
                }
                Ok(erasure)
            }
            Err(e) => {
                if !self.conn.is_autocommit() {
                    self.conn.execute_batch("ROLLBACK")?;
                }
                Err(e)
            }
        }
    }

    /// The erasure's changes inside the open transaction; returns what was erased and the
    /// records and message ids to remove from the index.
    #[allow(clippy::type_complexity)]
    fn erase_in_transaction(&self, profile: u64) -> Result<(Erasure, Vec<u64>, Vec<String>)> {
        let tx = &self.conn;
        // Read inside the write transaction: no event of these records can be added meanwhile.
        let records = self.records_of(profile)?;
        if records.is_empty() {
            return Err(crate::Error::ProfileNotFound(format!("#{profile}")));
        }
        let events = self.events_of_records(&records)?;
        let mut erasure = Erasure {
            profiles: records.len() as u64,
            ..Default::default()
        };
        {
            let mut insert =
                tx.prepare_cached("INSERT OR IGNORE INTO erased_messages (hash) VALUES (?1)")?;
            let mut delete = tx.prepare_cached("DELETE FROM events WHERE seq = ?1")?;
            for event in &events {
                insert.execute([message_hash(&event.message_id)])?;
                erasure.events += delete.execute([event.seq])? as u64;
            }
        }
        for record in &records {
            // Refused links name the identifier value even when another profile was involved.
            tx.execute(
                "DELETE FROM identity_conflicts WHERE (kind, value) IN
                 (SELECT kind, value FROM identifiers WHERE profile_id = ?1)",
                [record],
            )?;
            erasure.identifiers +=
                tx.execute("DELETE FROM identifiers WHERE profile_id = ?1", [record])? as u64;
            erasure.traits +=
                tx.execute("DELETE FROM trait_values WHERE profile_id = ?1", [record])? as u64;
            tx.execute("DELETE FROM consents WHERE profile_id = ?1", [record])?;
            erasure.memberships +=
                tx.execute("DELETE FROM memberships WHERE profile_id = ?1", [record])? as u64;
            // The history of an erased person's memberships goes too.
            tx.execute(
                "DELETE FROM membership_changes WHERE profile_id = ?1",
                [record],
            )?;
            // Webhook calls about the person (they carry the user id), sent or not.
            tx.execute(
                "DELETE FROM webhook_outbox WHERE json_extract(payload, '$.profile') = ?1",
                [record],
            )?;
            tx.execute(
                "DELETE FROM merges WHERE into_id = ?1 OR from_id = ?1",
                [record],
            )?;
            tx.execute(
                "DELETE FROM identity_conflicts WHERE profile_id = ?1",
                [record],
            )?;
        }
        tx.execute("DELETE FROM profiles WHERE canonical = ?1", [profile])?;
        tx.execute(
            "INSERT INTO erasures (ts, profiles, identifiers, events, traits, memberships)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                now_millis(),
                erasure.profiles,
                erasure.identifiers,
                erasure.events,
                erasure.traits,
                erasure.memberships
            ],
        )?;
        let message_ids = events.into_iter().map(|e| e.message_id).collect();
        Ok((erasure, records, message_ids))
    }

    /// How many erasures have been recorded.
    pub fn erasure_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM erasures", [], |r| r.get::<_, i64>(0))?
            as u64)
    }
}
