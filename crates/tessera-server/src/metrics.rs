//! Prometheus metrics in the text exposition format, kept in atomics.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::AppState;

/// Upper bounds of the commit-latency histogram, in seconds.
const COMMIT_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 5.0,
];

/// Upper bounds of the webhook latency histogram (outbox → delivered), in seconds.
const WEBHOOK_BUCKETS: [f64; 10] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 1.0, 10.0, 60.0];

#[derive(Debug, Default)]
pub struct Metrics {
    pub events_received: AtomicU64,
    pub events_stored: AtomicU64,
    pub events_duplicate: AtomicU64,
    pub events_rejected: AtomicU64,
    pub requests_unauthorized: AtomicU64,
    pub requests_overloaded: AtomicU64,
    pub queue_depth: AtomicU64,
    pub membership_changes: AtomicU64,
    pub webhooks_delivered: AtomicU64,
    pub webhooks_failed: AtomicU64,
    /// Age of the oldest undelivered webhook, in milliseconds.
    pub webhook_lag_ms: AtomicU64,
    webhook_latency_buckets: [AtomicU64; WEBHOOK_BUCKETS.len()],
    webhook_latency_ms_sum: AtomicU64,
    commits: AtomicU64,
    commit_records: AtomicU64,
    commit_micros: AtomicU64,
    commit_buckets: [AtomicU64; COMMIT_BUCKETS.len()],
}

impl Metrics {
    pub(crate) fn observe_commit(&self, took: Duration, records: usize) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.commit_records
            .fetch_add(records as u64, Ordering::Relaxed);
        self.commit_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
        let seconds = took.as_secs_f64();
        for (bucket, bound) in self.commit_buckets.iter().zip(COMMIT_BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub(crate) fn observe_webhook(&self, latency_ms: i64) {
        let seconds = latency_ms.max(0) as f64 / 1000.0;
        self.webhook_latency_ms_sum
            .fetch_add(latency_ms.max(0) as u64, Ordering::Relaxed);
        for (bucket, bound) in self.webhook_latency_buckets.iter().zip(WEBHOOK_BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub(crate) fn add(counter: &AtomicU64, n: usize) {
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str, value: &AtomicU64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        };
        counter(
            &mut out,
            "tessera_events_received_total",
            "Messages received by the collection API.",
            &self.events_received,
        );
        counter(
            &mut out,
            "tessera_events_stored_total",
            "Messages committed to the store.",
            &self.events_stored,
        );
        counter(
            &mut out,
            "tessera_events_duplicate_total",
            "Messages whose messageId was already stored.",
            &self.events_duplicate,
        );
        counter(
            &mut out,
            "tessera_events_rejected_total",
            "Messages rejected (invalid, too large, or refused by the store).",
            &self.events_rejected,
        );
        counter(
            &mut out,
            "tessera_requests_unauthorized_total",
            "Requests with a missing or unknown key.",
            &self.requests_unauthorized,
        );
        counter(
            &mut out,
            "tessera_requests_overloaded_total",
            "Requests answered 429 because the write queue was full.",
            &self.requests_overloaded,
        );
        counter(
            &mut out,
            "tessera_membership_changes_total",
            "Segment enters and exits recorded by real-time evaluation.",
            &self.membership_changes,
        );
        let _ = writeln!(
            out,
            "# HELP tessera_write_queue_depth Requests waiting for the writer.\n# TYPE tessera_write_queue_depth gauge\ntessera_write_queue_depth {}",
            self.queue_depth.load(Ordering::Relaxed)
        );
        let _ = writeln!(out, "# HELP tessera_commit_seconds Time to commit one group of requests.\n# TYPE tessera_commit_seconds histogram");
        for (bucket, bound) in self.commit_buckets.iter().zip(COMMIT_BUCKETS) {
            let _ = writeln!(
                out,
                "tessera_commit_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let commits = self.commits.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "tessera_commit_seconds_bucket{{le=\"+Inf\"}} {commits}"
        );
        let _ = writeln!(
            out,
            "tessera_commit_seconds_sum {}",
            self.commit_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "tessera_commit_seconds_count {commits}");
        counter(
            &mut out,
            "tessera_commit_records_total",
            "Messages written by all commits.",
            &self.commit_records,
        );
        counter(
            &mut out,
            "tessera_webhooks_delivered_total",
            "Webhook calls answered 2xx.",
            &self.webhooks_delivered,
        );
        counter(
            &mut out,
            "tessera_webhooks_failed_total",
            "Webhook attempts that failed (retried or dead-lettered).",
            &self.webhooks_failed,
        );
        let _ = writeln!(
            out,
            "# HELP tessera_webhook_lag_seconds Age of the oldest undelivered webhook.\n# TYPE tessera_webhook_lag_seconds gauge\ntessera_webhook_lag_seconds {}",
            self.webhook_lag_ms.load(Ordering::Relaxed) as f64 / 1000.0
        );
        let _ = writeln!(
            out,
            "# HELP tessera_webhook_latency_seconds From the membership change's commit to the webhook's 2xx.\n# TYPE tessera_webhook_latency_seconds histogram"
        );
        for (bucket, bound) in self.webhook_latency_buckets.iter().zip(WEBHOOK_BUCKETS) {
            let _ = writeln!(
                out,
                "tessera_webhook_latency_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let delivered = self.webhooks_delivered.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "tessera_webhook_latency_seconds_bucket{{le=\"+Inf\"}} {delivered}"
        );
        let _ = writeln!(
            out,
            "tessera_webhook_latency_seconds_sum {}",
            self.webhook_latency_ms_sum.load(Ordering::Relaxed) as f64 / 1000.0
        );
        let _ = writeln!(out, "tessera_webhook_latency_seconds_count {delivered}");
        out
    }
}

pub(crate) async fn render(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics().render(),
    )
}
