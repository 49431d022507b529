//! Webhook delivery from the outbox: at least once, signed with HMAC-SHA256, retried with
//! exponential backoff and jitter, dead-lettered after too many failures (and replayable).
//!
//! A thread of its own with its own (reading) store connection: it wakes when the writer has
//! queued deliveries (and at least twice a second for retries), so a membership change is
//! usually delivered within milliseconds of its commit. Results go back to the writer.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
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

/// Starts the delivery thread. It reads the outbox through its own connection but writes
/// nothing: results go to the writer thread (`results`), the store's only writer, so that
/// deliveries never contend with ingestion for SQLite's write lock.
pub(crate) fn spawn(
    store: Store,
    wake: Receiver<()>,
    results: Sender<DeliveryResult>,
    metrics: Arc<Metrics>,
) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("tessera-webhooks".into())
        .spawn(move || {
            let mut deliverer = Deliverer {
                store,
                results,
                metrics,
                connections: Connections::default(),
                settled: HashMap::new(),
            };
            loop {
                if let Err(e) = deliverer.deliver_due() {
                    tracing::error!(error = %e, "webhook delivery could not read the outbox");
                }
                match wake.recv_timeout(Duration::from_millis(500)) {
                    Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                    // The writer has stopped; undelivered calls wait in the outbox for the next start.
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
        })
        .expect("spawning the webhook thread")
}

struct Deliverer {
    store: Store,
    results: Sender<DeliveryResult>,
    metrics: Arc<Metrics>,
    connections: Connections,
    /// Deliveries attempted whose result the writer may not have stored yet, with the instant
    /// until which to leave them alone (a retry's time, or a minute for a success).
    settled: HashMap<u64, i64>,
}

impl Deliverer {
    fn deliver_due(&mut self) -> Result<(), tessera_store::Error> {
        loop {
            let now = now_millis();
            self.settled.retain(|_, until| *until > now);
            let due: Vec<Delivery> = self
                .store
                .due_deliveries(now, 500)?
                .into_iter()
                .filter(|d| !self.settled.contains_key(&d.id))
                .collect();
            if due.is_empty() {
                let (_, lag) = self.store.outbox_backlog(now)?;
                self.metrics
                    .webhook_lag_ms
                    .store(lag.max(0) as u64, Ordering::Relaxed);
                return Ok(());
            }
            for delivery in due {
                let result = match self.connections.post(&delivery) {
                    Ok(()) => {
                        let at = now_millis();
                        self.metrics.observe_webhook(at - delivery.created_at);
                        self.metrics
                            .webhooks_delivered
                            .fetch_add(1, Ordering::Relaxed);
                        self.settled.insert(delivery.id, at + 60_000);
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
                        self.metrics.webhooks_failed.fetch_add(1, Ordering::Relaxed);
                        self.settled
                            .insert(delivery.id, retry_at.unwrap_or(i64::MAX));
                        DeliveryResult::Failed {
                            id: delivery.id,
                            error,
                            retry_at,
                        }
                    }
                };
                if self.results.send(result).is_err() {
                    return Ok(()); // the writer has stopped
                }
            }
        }
    }
}

/// Keep-alive HTTP/1.1 connections to webhook receivers, one per host.
#[derive(Default)]
pub(crate) struct Connections {
    open: HashMap<String, BufReader<TcpStream>>,
}

impl Connections {
    /// POSTs the payload; `Ok` on a 2xx answer. A kept connection that fails is replaced by a
    /// fresh one once (the receiver may have closed it while idle).
    fn post(&mut self, delivery: &Delivery) -> Result<(), String> {
        let rest = delivery.url.strip_prefix("http://").ok_or_else(|| {
            "only http:// webhook URLs are supported for now (put a TLS-terminating proxy in front)".to_string()
        })?;
        let (authority, path) = rest
            .split_once('/')
            .map_or((rest, "/".to_string()), |(a, p)| (a, format!("/{p}")));
        let body = &delivery.payload;
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nUser-Agent: tessera-webhooks\r\nX-Tessera-Delivery: {}\r\nX-Tessera-Signature: {}\r\n\r\n{body}",
            body.len(),
            delivery.id,
            signature(&delivery.secret, body)
        );
        let reused = self.open.contains_key(authority);
        match self.exchange(authority, &request) {
            Err(_) if reused => {
                self.open.remove(authority);
                self.exchange(authority, &request)
            }
            result => result,
        }
    }

    fn exchange(&mut self, authority: &str, request: &str) -> Result<(), String> {
        let stream = match self.open.entry(authority.to_string()) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(BufReader::new(connect(authority)?))
            }
        };
        let result = send_and_read(stream, request);
        if !matches!(result, Ok((_, true))) {
            self.open.remove(authority);
        }
        let (status, _) = result?;
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(format!("HTTP {status}"))
        }
    }
}

fn connect(authority: &str) -> Result<TcpStream, String> {
    let address = if authority.contains(':') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let socket = address
        .to_socket_addrs()
        .map_err(|e| format!("resolving {authority}: {e}"))?
        .next()
        .ok_or_else(|| format!("{authority} has no address"))?;
    let stream = TcpStream::connect_timeout(&socket, TIMEOUT)
        .map_err(|e| format!("connecting to {authority}: {e}"))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .and_then(|_| stream.set_write_timeout(Some(TIMEOUT)))
        .map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    Ok(stream)
}

/// Sends a request and reads the whole answer; its status, and whether the connection may
/// be kept.
fn send_and_read(stream: &mut BufReader<TcpStream>, request: &str) -> Result<(u16, bool), String> {
    stream
        .get_mut()
        .write_all(request.as_bytes())
        .map_err(|e| format!("sending: {e}"))?;
    let mut line = String::new();
    stream
        .read_line(&mut line)
        .map_err(|e| format!("reading the answer: {e}"))?;
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| "the answer is not HTTP".to_string())?;
    let (mut length, mut keep) = (0usize, true);
    loop {
        line.clear();
        stream
            .read_line(&mut line)
            .map_err(|e| format!("reading the answer: {e}"))?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let lower = header.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value
                .trim()
                .parse()
                .map_err(|_| "bad content-length".to_string())?;
        } else if lower.starts_with("transfer-encoding:") || lower == "connection: close" {
            // Chunked bodies and closing servers are read no further: the connection is dropped.
            keep = false;
        }
    }
    if keep {
        let mut body = vec![0u8; length];
        stream
            .read_exact(&mut body)
            .map_err(|e| format!("reading the answer: {e}"))?;
    }
    Ok((status, keep))
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
