//! Webhook delivery from the outbox: at least once, signed with HMAC-SHA256, retried with
//! exponential backoff and jitter, dead-lettered after too many failures (and replayable).
//!
//! A thread of its own with its own store connection: it wakes when the writer has queued
//! deliveries (and at least every second for retries), so a membership change is usually
//! delivered within milliseconds of its commit.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;
use tessera_store::{Delivery, Store};

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

pub(crate) fn spawn(
    mut store: Store,
    wake: Receiver<()>,
    metrics: Arc<Metrics>,
) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("tessera-webhooks".into())
        .spawn(move || loop {
            if let Err(e) = deliver_due(&mut store, &metrics) {
                tracing::error!(error = %e, "webhook delivery failed to read or update the outbox");
            }
            match wake.recv_timeout(Duration::from_secs(1)) {
                Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                // The writer has stopped: deliver what is due once more, then stop.
                Err(RecvTimeoutError::Disconnected) => {
                    let _ = deliver_due(&mut store, &metrics);
                    break;
                }
            }
        })
        .expect("spawning the webhook thread")
}

fn deliver_due(store: &mut Store, metrics: &Metrics) -> Result<(), tessera_store::Error> {
    loop {
        let now = now_millis();
        let due = store.due_deliveries(now, 100)?;
        if due.is_empty() {
            let (_, lag) = store.outbox_backlog(now)?;
            metrics
                .webhook_lag_ms
                .store(lag.max(0) as u64, Ordering::Relaxed);
            return Ok(());
        }
        for delivery in due {
            match post(&delivery) {
                Ok(()) => {
                    store.mark_delivered(delivery.id, now_millis())?;
                    metrics.webhooks_delivered.fetch_add(1, Ordering::Relaxed);
                    metrics.observe_webhook(now_millis() - delivery.created_at);
                }
                Err(error) => {
                    let attempts = delivery.attempts + 1;
                    let retry_at = (attempts < MAX_ATTEMPTS)
                        .then(|| now_millis() + backoff(attempts - 1).as_millis() as i64);
                    tracing::warn!(delivery = delivery.id, url = %delivery.url, attempts, %error, dead = retry_at.is_none(), "webhook delivery failed");
                    store.mark_failed(delivery.id, &error, retry_at)?;
                    metrics.webhooks_failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

/// POSTs the payload over HTTP/1.1; `Ok` on a 2xx answer.
fn post(delivery: &Delivery) -> Result<(), String> {
    let rest = delivery.url.strip_prefix("http://").ok_or_else(|| {
        "only http:// webhook URLs are supported for now (put a TLS-terminating proxy in front)"
            .to_string()
    })?;
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(a, p)| (a, format!("/{p}")));
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
    let mut stream = TcpStream::connect_timeout(&socket, TIMEOUT)
        .map_err(|e| format!("connecting to {authority}: {e}"))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .and_then(|_| stream.set_write_timeout(Some(TIMEOUT)))
        .map_err(|e| e.to_string())?;
    let body = &delivery.payload;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nUser-Agent: tessera-webhooks\r\nX-Tessera-Delivery: {}\r\nX-Tessera-Signature: {}\r\nConnection: close\r\n\r\n{body}",
        body.len(),
        delivery.id,
        signature(&delivery.secret, body)
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("sending: {e}"))?;
    let mut head = [0u8; 64];
    let n = stream
        .read(&mut head)
        .map_err(|e| format!("reading the answer: {e}"))?;
    let status: u16 = std::str::from_utf8(&head[..n])
        .ok()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| "the answer is not HTTP".to_string())?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(format!("HTTP {status}"))
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
