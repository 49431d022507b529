//! `tessera loadgen`: posts realistic batches to a running `tessera serve` over HTTP/1.1
//! keep-alive connections for a bounded time, and reports throughput and latency.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::table::Table;

#[derive(Debug, Args)]
#[command(after_help = "\
Example:
  tessera loadgen --target 127.0.0.1:8088 --key \"$WRITE_KEY\" --seconds 10 --connections 8 --batch 100
  tessera loadgen --target 127.0.0.1:8088 --key \"$WRITE_KEY\" --rate 10000   # events per second")]
pub struct LoadgenArgs {
    /// host:port of a running `tessera serve` (loopback only: this is a load test).
    #[arg(long, default_value = "127.0.0.1:8088")]
    target: String,
    /// A write key.
    #[arg(long, env = "TESSERA_WRITE_KEY")]
    key: String,
    /// How long to send, in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Messages per `/v1/batch` request.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Target events per second over all connections (default: as fast as acknowledged).
    #[arg(long)]
    rate: Option<u64>,
    /// Distinct users the events are spread over.
    #[arg(long, default_value_t = 100_000)]
    users: u64,
    /// Measure event → webhook latency: receive webhooks on this loopback address (path
    /// `/hook`), send every message as an `Order Completed` of a new user, and match each
    /// webhook's `user_id` to when its message was sent. Register the webhook first, on a
    /// segment such as `did(Order Completed in last 1h)`.
    #[arg(long, value_name = "HOST:PORT")]
    webhook_receiver: Option<String>,
    /// How message ids are made: `random` UUIDs, as the analytics SDKs send them (each one
    /// lands on a random page of the store's message-id index), or `sequential` per
    /// connection (an unrealistically friendly order, for comparison).
    #[arg(long, value_enum, default_value_t = MessageIds::Random)]
    message_ids: MessageIds,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MessageIds {
    Random,
    Sequential,
}

/// When each user's message was sent, and when its webhook arrived.
type Timings = Arc<Mutex<HashMap<String, Instant>>>;

#[derive(Default)]
struct Tally {
    ok: u64,
    events: u64,
    overloaded: u64,
    failed: u64,
    latencies_us: Vec<u64>,
}

pub fn run(args: LoadgenArgs) -> Result<std::process::ExitCode> {
    let host = args.target.split(':').next().unwrap_or_default();
    if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
        bail!("--target must be a loopback address (127.0.0.1 or localhost): a load test never leaves this machine");
    }
    if args.batch == 0 || args.connections == 0 {
        bail!("--batch and --connections must be at least 1");
    }
    if let Some(receiver) = &args.webhook_receiver {
        if !receiver.starts_with("127.0.0.1:") && !receiver.starts_with("localhost:") {
            bail!("--webhook-receiver must be a loopback address such as 127.0.0.1:9100");
        }
    }
    let sent: Timings = Arc::default();
    let arrived: Timings = Arc::default();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let started = Instant::now();
    let tallies = runtime.block_on(async {
        if let Some(receiver) = &args.webhook_receiver {
            let listener = tokio::net::TcpListener::bind(receiver.as_str())
                .await
                .with_context(|| format!("listening for webhooks on {receiver}"))?;
            let arrived = arrived.clone();
            let router = axum::Router::new().route(
                "/hook",
                axum::routing::post(move |body: String| {
                    let arrived = arrived.clone();
                    async move {
                        let now = Instant::now();
                        if let Some(user) = serde_json::from_str::<serde_json::Value>(&body)
                            .ok()
                            .and_then(|v| v["user_id"].as_str().map(str::to_string))
                        {
                            arrived
                                .lock()
                                .expect("not poisoned")
                                .entry(user)
                                .or_insert(now);
                        }
                        "ok"
                    }
                }),
            );
            tokio::spawn(async move { axum::serve(listener, router).await });
        }
        let deadline = Instant::now() + Duration::from_secs(args.seconds);
        let auth = basic_credentials(&args.key);
        let per_connection = args.rate.map(|r| r as f64 / args.connections as f64);
        let mut tasks = Vec::new();
        let track = args.webhook_receiver.as_ref().map(|_| sent.clone());
        for connection in 0..args.connections {
            let (target, auth) = (args.target.clone(), auth.clone());
            let (batch, users, track) = (args.batch, args.users, track.clone());
            let ids = args.message_ids;
            tasks.push(tokio::spawn(async move {
                drive(
                    connection,
                    &target,
                    &auth,
                    batch,
                    users,
                    ids,
                    per_connection,
                    deadline,
                    track,
                )
                .await
            }));
        }
        let mut tallies = Vec::new();
        for task in tasks {
            tallies.push(task.await.context("a connection task panicked")??);
        }
        if args.webhook_receiver.is_some() {
            // Let the last webhooks arrive.
            let expected = sent.lock().expect("not poisoned").len();
            let wait_until = Instant::now() + Duration::from_secs(10);
            while arrived.lock().expect("not poisoned").len() < expected
                && Instant::now() < wait_until
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Ok::<_, anyhow::Error>(tallies)
    })?;
    let elapsed = started.elapsed().as_secs_f64();
    let mut total = Tally::default();
    for t in tallies {
        total.ok += t.ok;
        total.events += t.events;
        total.overloaded += t.overloaded;
        total.failed += t.failed;
        total.latencies_us.extend(t.latencies_us);
    }
    total.latencies_us.sort_unstable();
    let pct = |p: f64| -> String {
        if total.latencies_us.is_empty() {
            return "-".into();
        }
        let i = ((total.latencies_us.len() - 1) as f64 * p).round() as usize;
        format!("{:.2}", total.latencies_us[i] as f64 / 1000.0)
    };
    let mut table = Table::new(&[
        "requests ok",
        "429",
        "failed",
        "events acked",
        "events/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
    ]);
    table.row(vec![
        total.ok.to_string(),
        total.overloaded.to_string(),
        total.failed.to_string(),
        total.events.to_string(),
        format!("{:.0}", total.events as f64 / elapsed),
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(1.0),
    ]);
    outln!(
        "{} connections, {} messages per batch, {:.1} s{}; latency is POST to acknowledgement (committed)",
        args.connections,
        args.batch,
        elapsed,
        args.rate.map(|r| format!(", target {r} events/s")).unwrap_or_default()
    );
    out!("{}", table.render());
    if args.webhook_receiver.is_some() {
        let sent = sent.lock().expect("not poisoned");
        let arrived = arrived.lock().expect("not poisoned");
        let mut latencies: Vec<u64> = sent
            .iter()
            .filter_map(|(user, at)| {
                arrived
                    .get(user)
                    .map(|got| got.saturating_duration_since(*at).as_micros() as u64)
            })
            .collect();
        latencies.sort_unstable();
        let pct = |p: f64| -> String {
            if latencies.is_empty() {
                return "-".into();
            }
            let i = ((latencies.len() - 1) as f64 * p).round() as usize;
            format!("{:.2}", latencies[i] as f64 / 1000.0)
        };
        outln!("\nevent → webhook: from sending the POST to receiving the segment.entered webhook");
        let mut table = Table::new(&[
            "messages sent",
            "webhooks matched",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "max ms",
        ]);
        table.row(vec![
            sent.len().to_string(),
            latencies.len().to_string(),
            pct(0.5),
            pct(0.9),
            pct(0.99),
            pct(1.0),
        ]);
        out!("{}", table.render());
    }
    Ok(std::process::ExitCode::SUCCESS)
}

#[allow(clippy::too_many_arguments)] // one connection's whole configuration
async fn drive(
    connection: usize,
    target: &str,
    auth: &str,
    batch: usize,
    users: u64,
    ids: MessageIds,
    rate: Option<f64>,
    deadline: Instant,
    track: Option<Timings>,
) -> Result<Tally> {
    let mut rng = SmallRng::seed_from_u64(connection as u64);
    let mut stream = TcpStream::connect(target)
        .await
        .with_context(|| format!("connecting to {target}"))?;
    stream.set_nodelay(true)?;
    let mut tally = Tally::default();
    let mut buffer = Vec::with_capacity(4096);
    let interval = rate.map(|r| Duration::from_secs_f64(batch as f64 / r.max(1e-9)));
    let mut next_send = Instant::now();
    let mut sequence = 0u64;
    while Instant::now() < deadline {
        if let Some(interval) = interval {
            let now = Instant::now();
            if next_send > now {
                tokio::time::sleep(next_send - now).await;
            }
            next_send += interval;
        }
        let body = match &track {
            None => batch_body(&mut rng, ids, connection, &mut sequence, batch, users),
            Some(sent) => {
                let (body, ids) = new_buyers_body(&mut rng, ids, connection, &mut sequence, batch);
                let now = Instant::now();
                sent.lock()
                    .expect("not poisoned")
                    .extend(ids.into_iter().map(|id| (id, now)));
                body
            }
        };
        let request = format!(
            "POST /v1/batch HTTP/1.1\r\nHost: {target}\r\nAuthorization: Basic {auth}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let sent = Instant::now();
        let status = match exchange(
            &mut stream,
            request.as_bytes(),
            body.as_bytes(),
            &mut buffer,
        )
        .await
        {
            Ok(status) => status,
            Err(_) => {
                tally.failed += 1;
                stream = TcpStream::connect(target).await?;
                continue;
            }
        };
        match status {
            200 => {
                tally.ok += 1;
                tally.events += batch as u64;
                tally.latencies_us.push(sent.elapsed().as_micros() as u64);
            }
            429 => tally.overloaded += 1,
            _ => tally.failed += 1,
        }
    }
    Ok(tally)
}

/// Sends one request on a keep-alive connection and reads the response; the status code.
async fn exchange(
    stream: &mut TcpStream,
    head: &[u8],
    body: &[u8],
    buffer: &mut Vec<u8>,
) -> std::io::Result<u16> {
    stream.write_all(head).await?;
    stream.write_all(body).await?;
    buffer.clear();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_ascii_lowercase();
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buffer.len() < header_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    Ok(status)
}

/// A batch of realistic e-commerce messages (mostly product views, some carts and orders).
fn batch_body(
    rng: &mut SmallRng,
    ids: MessageIds,
    connection: usize,
    sequence: &mut u64,
    batch: usize,
    users: u64,
) -> String {
    let mut out = String::with_capacity(batch * 260);
    out.push_str("{\"batch\":[");
    for i in 0..batch {
        *sequence += 1;
        let user = rng.random_range(0..users);
        let product = rng.random_range(0..500);
        let roll: f64 = rng.random();
        let (event, extra) = if roll < 0.75 {
            (
                "Product Viewed",
                format!(",\"price\":{}.99", 10 + product % 90),
            )
        } else if roll < 0.93 {
            ("Added to Cart", ",\"quantity\":1".to_string())
        } else {
            (
                "Order Completed",
                format!(",\"revenue\":{}.50", 20 + product % 300),
            )
        };
        if i > 0 {
            out.push(',');
        }
        let message_id = message_id(rng, ids, connection, *sequence);
        out.push_str(&format!(
            "{{\"type\":\"track\",\"event\":\"{event}\",\"userId\":\"lg-{user}\",\"messageId\":\"{message_id}\",\"properties\":{{\"product_id\":\"P{product:04}\",\"category\":\"cat{}\"{extra}}},\"context\":{{\"device\":{{\"type\":\"mobile\"}},\"library\":{{\"name\":\"tessera-loadgen\"}}}}}}",
            product % 12,
        ));
    }
    out.push_str("]}");
    out
}

/// Each message is the first `Order Completed` of a new user, so each one makes someone
/// enter a segment such as `did(Order Completed in last 1h)`.
fn new_buyers_body(
    rng: &mut SmallRng,
    ids: MessageIds,
    connection: usize,
    sequence: &mut u64,
    batch: usize,
) -> (String, Vec<String>) {
    let mut users = Vec::with_capacity(batch);
    let mut messages = Vec::with_capacity(batch);
    for _ in 0..batch {
        *sequence += 1;
        let user = format!("lgw-{connection}-{sequence}");
        let message_id = message_id(rng, ids, connection, *sequence);
        messages.push(format!(
            "{{\"type\":\"track\",\"event\":\"Order Completed\",\"userId\":\"{user}\",\"messageId\":\"{message_id}\",\"properties\":{{\"revenue\":10}}}}"
        ));
        users.push(user);
    }
    (format!("{{\"batch\":[{}]}}", messages.join(",")), users)
}

/// A message id: a random (version 4) UUID in its canonical text form, as the analytics SDKs
/// make them, or `lg-CONNECTION-SEQUENCE`.
fn message_id(rng: &mut SmallRng, ids: MessageIds, connection: usize, sequence: u64) -> String {
    match ids {
        MessageIds::Sequential => format!("lg-{connection}-{sequence}"),
        MessageIds::Random => {
            let bits: u128 = rng.random();
            // RFC 9562: version 4 in bits 48..52, variant 0b10 in bits 64..66.
            let bits = (bits & !(0xF << 76) & !(0x3 << 62)) | (0x4 << 76) | (0x2 << 62);
            let hex = format!("{bits:032x}");
            format!(
                "{}-{}-{}-{}-{}",
                &hex[0..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..32]
            )
        }
    }
}

fn basic_credentials(key: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_message_ids_are_version_4_uuids() {
        let mut rng = SmallRng::seed_from_u64(7);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let id = message_id(&mut rng, MessageIds::Random, 0, 0);
            let groups: Vec<&str> = id.split('-').collect();
            let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
            assert_eq!(lengths, [8, 4, 4, 4, 12], "{id}");
            assert!(id.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()));
            assert!(groups[2].starts_with('4'), "version 4: {id}");
            assert!(
                matches!(&groups[3][..1], "8" | "9" | "a" | "b"),
                "variant: {id}"
            );
            assert!(seen.insert(id));
        }
        let mut rng = SmallRng::seed_from_u64(7);
        assert_eq!(
            message_id(&mut rng, MessageIds::Sequential, 3, 42),
            "lg-3-42"
        );
    }
}
