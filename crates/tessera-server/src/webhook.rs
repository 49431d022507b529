//! Webhook delivery from the outbox: at least once, signed with HMAC-SHA256, retried with
//! exponential backoff and jitter, dead-lettered after too many failures (and replayable).
//!
//! A dispatcher thread with its own (reading) store connection wakes when the writer has
//! committed deliveries (and at least twice a second for retries) and hands them to
//! [`WORKERS`] delivery threads, so a membership change is usually delivered within
//! milliseconds of its commit. Results go back to the writer.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;
use tessera_store::{Delivery, DeliveryResult, Store};

use crate::Metrics;

/// Attempts before a delivery goes to the dead-letter list.
pub const MAX_ATTEMPTS: u32 = 8;
const TIMEOUT: Duration = Duration::from_secs(5);

/// `sha256=<hex>` of the body, keyed with the webhook's secret: the `X-Tessera-Signature`
/// header. Receivers recompute it over the raw body to authenticate the call.
pub fn signature(secret: &str, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body.as_bytes());
    let digest = mac.finalize().into_bytes();
    format!(
        "sha256={}",
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

/// Delay before attempt `attempts + 1`: 1 s, 2 s, 4 s … capped at an hour, ±25 % jitter so
/// that a receiver coming back is not hit by every retry at once.
pub fn backoff(attempts: u32) -> Duration {
    let base = 1_000u64
        .saturating_mul(1 << attempts.min(12))
        .min(3_600_000);
    let jitter = rand::rng().random_range(0.75..1.25);
    Duration::from_millis((base as f64 * jitter) as u64)
}

/// Delivery workers: calls go out this many at a time (to one receiver or several), so one
/// slow answer does not hold up the rest, and a receiver's round trip does not bound the rate.
pub const WORKERS: usize = 4;

/// Starts the delivery threads. The dispatcher reads the outbox through its own connection
/// and hands each due call to a worker; calls about the same profile always go to the same
/// worker, so a receiver sees a person's enter before their exit. Nothing here writes:
/// results go to the writer thread (`results`), the store's only writer, so that deliveries
/// never contend with ingestion for SQLite's write lock.
pub(crate) fn spawn(
    store: Store,
    wake: Receiver<()>,
    results: Sender<DeliveryResult>,
    metrics: Arc<Metrics>,
) -> std::thread::JoinHandle<()> {
    let (done, finished) = std::sync::mpsc::channel();
    let workers: Vec<SyncSender<Delivery>> = (0..WORKERS)
        .map(|n| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Delivery>(1_024);
            let (results, done, metrics) = (results.clone(), done.clone(), metrics.clone());
            std::thread::Builder::new()
                .name(format!("tessera-webhook-{n}"))
                .spawn(move || deliver(rx, results, done, metrics))
                .expect("spawning a webhook worker");
            tx
        })
        .collect();
    std::thread::Builder::new()
        .name("tessera-webhooks".into())
        .spawn(move || {
            let mut dispatcher = Dispatcher {
                store,
                metrics,
                workers,
                finished,
                in_flight: HashMap::new(),
                cursor: 0,
                last_sweep: 0,
            };
            loop {
                if let Err(e) = dispatcher.dispatch_due() {
                    tracing::error!(error = %e, "webhook delivery could not read the outbox");
                }
                match wake.recv_timeout(Duration::from_millis(500)) {
                    Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                    // The writer has stopped; undelivered calls wait in the outbox for the next
                    // start. Dropping the workers' queues stops them once they are empty.
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
        })
        .expect("spawning the webhook thread")
}

struct Dispatcher {
    store: Store,
    metrics: Arc<Metrics>,
    workers: Vec<SyncSender<Delivery>>,
    /// Ids of calls the workers have finished (their results are on the way to the writer).
    finished: Receiver<u64>,
    /// Calls handed to a worker whose result the writer may not have stored yet.
    in_flight: HashMap<u64, InFlight>,
    /// The highest outbox id handed out: newer calls are found by a range scan above it.
    cursor: u64,
    last_sweep: i64,
}

struct InFlight {
    /// The call's attempts when it was handed out: once the outbox shows more, the writer
    /// has recorded the result, and a failed call that is due again is handed out again.
    attempts: u32,
    /// After this instant the outbox is trusted again.
    until: i64,
}

/// Long enough for a worker's queue and its attempt (connect and answer timeouts).
const IN_FLIGHT_MS: i64 = 120_000;
/// After a worker finishes a call: long enough for the writer to record the result.
const RECORDING_MS: i64 = 5_000;

/// How often the whole outbox is looked at (for retries and replayed dead letters); in
/// between, only calls written since the last look are read.
const SWEEP_MS: i64 = 1_000;

impl Dispatcher {
    fn dispatch_due(&mut self) -> Result<(), tessera_store::Error> {
        let now = now_millis();
        for id in self.finished.try_iter() {
            if let Some(call) = self.in_flight.get_mut(&id) {
                call.until = now + RECORDING_MS;
            }
        }
        if now - self.last_sweep >= SWEEP_MS {
            self.last_sweep = now;
            self.in_flight.retain(|_, call| call.until > now);
            // Everything due, from the first id: retries and replays have old ids.
            self.dispatch_from(0)?;
            let (_, lag) = self.store.outbox_backlog(now)?;
            self.metrics
                .webhook_lag_ms
                .store(lag.max(0) as u64, Ordering::Relaxed);
        }
        self.dispatch_from(self.cursor)
    }

    /// Hands out every due call with an id above `after`, oldest first.
    fn dispatch_from(&mut self, mut after: u64) -> Result<(), tessera_store::Error> {
        loop {
            let now = now_millis();
            let due = self.store.due_deliveries_after(after, now, 500)?;
            let Some(last) = due.last() else {
                return Ok(());
            };
            after = last.id;
            self.cursor = self.cursor.max(last.id);
            for delivery in due {
                let unrecorded = self
                    .in_flight
                    .get(&delivery.id)
                    .is_some_and(|call| call.attempts == delivery.attempts);
                if unrecorded {
                    continue;
                }
                let call = InFlight {
                    attempts: delivery.attempts,
                    until: now + IN_FLIGHT_MS,
                };
                self.in_flight.insert(delivery.id, call);
                let worker = &self.workers[delivery.profile as usize % self.workers.len()];
                // A full queue waits: the outbox holds the rest meanwhile.
                if worker.send(delivery).is_err() {
                    return Ok(()); // the workers have stopped
                }
            }
        }
    }
}

/// A worker: posts the calls it is handed, in order, and reports each result to the writer.
fn deliver(
    calls: Receiver<Delivery>,
    results: Sender<DeliveryResult>,
    done: Sender<u64>,
    metrics: Arc<Metrics>,
) {
    let mut connections = Connections::default();
    for delivery in calls {
        let result = match connections.post(&delivery) {
            Ok(()) => {
                let at = now_millis();
                metrics.observe_webhook(at - delivery.created_at);
                metrics.webhooks_delivered.fetch_add(1, Ordering::Relaxed);
                DeliveryResult::Delivered {
                    id: delivery.id,
                    at,
                }
            }
            Err(error) => {
                let attempts = delivery.attempts + 1;
                let retry_at = (attempts < MAX_ATTEMPTS)
                    .then(|| now_millis() + backoff(attempts - 1).as_millis() as i64);
                tracing::warn!(delivery = delivery.id, url = %delivery.url, attempts, %error, dead = retry_at.is_none(), "webhook delivery failed");
                metrics.webhooks_failed.fetch_add(1, Ordering::Relaxed);
                DeliveryResult::Failed {
                    id: delivery.id,
                    error,
                    retry_at,
                }
            }
        };
        let id = delivery.id;
        if results.send(result).is_err() {
            return; // the writer has stopped; the outbox still holds the call
        }
        let _ = done.send(id);
    }
}

/// The HTTP(S) client of one worker: `ureq` with rustls, keeping connections alive per host.
pub(crate) struct Connections {
    agent: ureq::Agent,
}

impl Default for Connections {
    fn default() -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            // Every status is an answer to record, not a transport error.
            .http_status_as_error(false)
            .user_agent("tessera-webhooks")
            .build()
            .into();
        Connections { agent }
    }
}

/// How much of an answer's body is read (so the connection can be reused); receivers
/// answer webhooks with next to nothing.
const ANSWER_LIMIT: u64 = 64 * 1024;

impl Connections {
    /// POSTs the payload; `Ok` on a 2xx answer.
    fn post(&mut self, delivery: &Delivery) -> Result<(), String> {
        let body = delivery.payload.as_str();
        let mut answer = self
            .agent
            .post(&delivery.url)
            .header("Content-Type", "application/json")
            .header("X-Tessera-Delivery", &delivery.id.to_string())
            .header("X-Tessera-Signature", &signature(&delivery.secret, body))
            .send(body)
            .map_err(|e| e.to_string())?;
        let status = answer.status().as_u16();
        // Read (and drop) the body so that the connection goes back to the pool.
        let _ = answer
            .body_mut()
            .with_config()
            .limit(ANSWER_LIMIT)
            .read_to_vec();
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(format!("HTTP {status}"))
        }
    }
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_a_known_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        for attempts in 0..20 {
            let d = backoff(attempts).as_millis() as f64;
            let base = (1_000u64 << attempts.min(12)).min(3_600_000) as f64;
            assert!(
                d >= base * 0.75 - 1.0 && d <= base * 1.25,
                "{attempts}: {d}"
            );
        }
    }
}
