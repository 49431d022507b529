//! Webhooks on segment enter/exit, and their outbox (at-least-once delivery).

use rand::RngCore;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::segments::MembershipChange;
use crate::{now_millis, Error, Result, Store};

/// A webhook: membership changes of one segment are POSTed to `url`, signed with `secret`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Webhook {
    pub id: u64,
    pub segment: String,
    pub url: String,
    #[serde(skip)]
    pub secret: String,
    pub on_enter: bool,
    pub on_exit: bool,
    pub created_at: i64,
}

/// The result of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryResult {
    Delivered {
        id: u64,
        at: i64,
    },
    /// Retried at `retry_at`, or dead-lettered when it is `None`.
    Failed {
        id: u64,
        error: String,
        retry_at: Option<i64>,
    },
}

/// One delivery waiting in the outbox (or dead, after too many failures).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub id: u64,
    pub webhook_id: u64,
    pub url: String,
    #[serde(skip)]
    pub secret: String,
    pub payload: String,
    /// The profile the call is about (calls about one profile are delivered in order).
    pub profile: u64,
    pub created_at: i64,
    pub attempts: u32,
    pub last_error: Option<String>,
}

impl Store {
    /// Adds a webhook and returns it with its signing secret.
    pub fn add_webhook(
        &mut self,
        segment: &str,
        url: &str,
        on_enter: bool,
        on_exit: bool,
    ) -> Result<Webhook> {
        self.segment(segment)?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(Error::InvalidInput(format!(
                "webhook url `{url}` must start with http:// or https://"
            )));
        }
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let created_at = now_millis();
        let id: u64 = self.conn.query_row(
            "INSERT INTO webhooks (segment, url, secret, on_enter, on_exit, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
            params![segment, url, secret, on_enter, on_exit, created_at],
            |r| r.get(0),
        )?;
        Ok(Webhook {
            id,
            segment: segment.into(),
            url: url.into(),
            secret,
            on_enter,
            on_exit,
            created_at,
        })
    }

    pub fn webhooks(&self) -> Result<Vec<Webhook>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, segment, url, secret, on_enter, on_exit, created_at FROM webhooks ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Webhook {
                id: r.get(0)?,
                segment: r.get(1)?,
                url: r.get(2)?,
                secret: r.get(3)?,
                on_enter: r.get(4)?,
                on_exit: r.get(5)?,
                created_at: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn webhook(&self, id: u64) -> Result<Webhook> {
        self.webhooks()?
            .into_iter()
            .find(|w| w.id == id)
            .ok_or(Error::WebhookNotFound(id))
    }

    pub fn remove_webhook(&mut self, id: u64) -> Result<()> {
        if self
            .conn
            .execute("DELETE FROM webhooks WHERE id = ?1", [id])?
            == 0
        {
            return Err(Error::WebhookNotFound(id));
        }
        self.conn.execute(
            "DELETE FROM webhook_outbox WHERE webhook_id = ?1 AND delivered_at IS NULL",
            [id],
        )?;
        Ok(())
    }

    /// Deliveries due at `now`, oldest first.
    pub fn due_deliveries(&self, now: i64, limit: usize) -> Result<Vec<Delivery>> {
        self.due_deliveries_after(0, now, limit)
    }

    /// Due deliveries with ids above `after`: the calls written since the last look, found
    /// by a range scan of ids rather than a walk over everything undelivered.
    pub fn due_deliveries_after(
        &self,
        after: u64,
        now: i64,
        limit: usize,
    ) -> Result<Vec<Delivery>> {
        self.deliveries(
            "o.id > ?3 AND o.delivered_at IS NULL AND o.dead = 0 AND o.next_attempt_at <= ?1",
            (now, after),
            limit,
        )
    }

    /// Deliveries given up on after too many failures.
    pub fn dead_deliveries(&self, limit: usize) -> Result<Vec<Delivery>> {
        self.deliveries(
            "o.dead = 1 AND ?1 IS NOT NULL AND ?3 IS NOT NULL",
            (0, 0),
            limit,
        )
    }

    /// Deliveries matching `filter`, which reads `?1` (now) and `?3` (an id) from `params`.
    fn deliveries(&self, filter: &str, params: (i64, u64), limit: usize) -> Result<Vec<Delivery>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT o.id, o.webhook_id, w.url, w.secret, o.payload, o.created_at, o.attempts, o.last_error,
                    coalesce(json_extract(o.payload, '$.profile'), 0)
             FROM webhook_outbox o JOIN webhooks w ON w.id = o.webhook_id
             WHERE {filter} ORDER BY o.id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![params.0, limit as i64, params.1], |r| {
            Ok(Delivery {
                id: r.get(0)?,
                webhook_id: r.get(1)?,
                url: r.get(2)?,
                secret: r.get(3)?,
                payload: r.get(4)?,
                created_at: r.get(5)?,
                attempts: r.get(6)?,
                last_error: r.get(7)?,
                profile: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn mark_delivered(&mut self, id: u64, at: i64) -> Result<()> {
        self.apply_delivery_results(&[DeliveryResult::Delivered { id, at }])
    }

    /// Records a failed attempt: retried at `retry_at`, or dead when `retry_at` is `None`.
    pub fn mark_failed(&mut self, id: u64, error: &str, retry_at: Option<i64>) -> Result<()> {
        self.apply_delivery_results(&[DeliveryResult::Failed {
            id,
            error: error.to_string(),
            retry_at,
        }])
    }

    /// Applies the results of many delivery attempts in one transaction.
    pub fn apply_delivery_results(&mut self, results: &[DeliveryResult]) -> Result<()> {
        if results.is_empty() {
            return Ok(());
        }
        // A lost "delivered" mark means the call is made again: at least once either way.
        self.relaxed_durability(|store| store.write_delivery_results(results))
    }

    fn write_delivery_results(&mut self, results: &[DeliveryResult]) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for result in results {
            match result {
                DeliveryResult::Delivered { id, at } => tx
                    .prepare_cached(
                        "UPDATE webhook_outbox SET delivered_at = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1",
                    )?
                    .execute(params![id, at])?,
                DeliveryResult::Failed { id, error, retry_at } => tx
                    .prepare_cached(
                        "UPDATE webhook_outbox SET attempts = attempts + 1, last_error = ?2,
                             next_attempt_at = coalesce(?3, next_attempt_at), dead = (?3 IS NULL) WHERE id = ?1",
                    )?
                    .execute(params![id, error, retry_at])?,
            };
        }
        tx.commit()?;
        Ok(())
    }

    /// Puts dead deliveries (one, or all when `id` is `None`) back in the queue; how many.
    pub fn replay_dead(&mut self, id: Option<u64>) -> Result<usize> {
        let now = now_millis();
        Ok(match id {
            Some(id) => self.conn.execute(
                "UPDATE webhook_outbox SET dead = 0, attempts = 0, next_attempt_at = ?2 WHERE id = ?1 AND dead = 1",
                params![id, now],
            )?,
            None => self.conn.execute(
                "UPDATE webhook_outbox SET dead = 0, attempts = 0, next_attempt_at = ?1 WHERE dead = 1",
                [now],
            )?,
        })
    }

    /// Puts one webhook's dead deliveries back in the queue; how many.
    pub fn replay_dead_for_webhook(&mut self, webhook: u64) -> Result<usize> {
        Ok(self.conn.execute(
            "UPDATE webhook_outbox SET dead = 0, attempts = 0, next_attempt_at = ?2 WHERE webhook_id = ?1 AND dead = 1",
            params![webhook, now_millis()],
        )?)
    }

    /// How many deliveries are waiting, and the age of the oldest (for the lag metric).
    pub fn outbox_backlog(&self, now: i64) -> Result<(u64, i64)> {
        let (count, oldest): (i64, Option<i64>) = self.conn.query_row(
            "SELECT count(*), min(created_at) FROM webhook_outbox WHERE delivered_at IS NULL AND dead = 0",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((count as u64, oldest.map_or(0, |t| now - t)))
    }

    /// Whether a delivery was made (for tests and `webhook` commands).
    pub fn delivery_state(&self, id: u64) -> Result<Option<(Option<i64>, bool, u32)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT delivered_at, dead, attempts FROM webhook_outbox WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?)
    }
}

/// The profile's user id, if it has one: receivers usually know people by it.
fn user_id(tx: &rusqlite::Connection, profile: u64) -> Result<Option<String>> {
    Ok(tx
        .prepare_cached(
            // CROSS JOIN keeps this order: otherwise SQLite may walk every user id instead.
            "SELECT i.value FROM profiles p CROSS JOIN identifiers i ON i.profile_id = p.id
             WHERE p.canonical = ?1 AND i.kind = 'user_id' ORDER BY i.value LIMIT 1",
        )?
        .query_row([profile], |r| r.get(0))
        .optional()?)
}

/// Writes the outbox rows for `changes` inside the caller's transaction.
pub(crate) fn enqueue(tx: &rusqlite::Connection, changes: &[MembershipChange]) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut hooks =
        tx.prepare_cached("SELECT id, on_enter, on_exit FROM webhooks WHERE segment = ?1")?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO webhook_outbox (webhook_id, payload, created_at, next_attempt_at) VALUES (?1, ?2, ?3, ?3)",
    )?;
    let now = now_millis();
    for change in changes {
        let targets: Vec<(u64, bool, bool)> = hooks
            .query_map([&change.segment], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        for (id, on_enter, on_exit) in targets {
            if (change.entered && !on_enter) || (!change.entered && !on_exit) {
                continue;
            }
            let payload = serde_json::json!({
                "type": if change.entered { "segment.entered" } else { "segment.exited" },
                "segment": change.segment,
                "profile": change.profile,
                "user_id": user_id(tx, change.profile)?,
                "at": tessera_model::format_millis(change.at),
                "webhook": id,
            });
            insert.execute(params![id, payload.to_string(), now])?;
        }
    }
    Ok(())
}
