//! The writer thread: the only store connection that writes. It commits every request that is
//! waiting in one transaction (group commit), so concurrent requests share one fsync.

use std::sync::Arc;
use std::time::Instant;

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use tessera_identity::Normalizer;
use tessera_import::{attach_previous_id, Prepared};
use tessera_store::{Outcome, Store};

use tokio::sync::{broadcast, oneshot};

use tessera_model::Millis;
use tessera_store::{DeliveryResult, MembershipChange};

use crate::live::Live;
use crate::{ApiError, Metrics};

/// Messages of one request, and where to send their outcomes once committed.
pub(crate) struct WriteRequest {
    pub messages: Vec<Prepared>,
    pub reply: oneshot::Sender<Result<Vec<Outcome>, String>>,
}

/// A management change run on the writer's connection (the store's only writer).
pub(crate) type Admin = Box<dyn FnOnce(&mut Store) + Send>;

/// Work for the writer thread: messages (grouped into shared commits), an erasure, or a
/// management change.
pub(crate) enum Job {
    Write(WriteRequest),
    Admin(Admin),
    Erase {
        profile: u64,
        reply: oneshot::Sender<Result<tessera_store::Erasure, tessera_store::Error>>,
    },
}

#[derive(Clone)]
pub(crate) struct WriterHandle {
    // A std channel: `try_send` never blocks the async handler, and the writer can wait on
    // it with a timeout to apply time-based changes.
    tx: SyncSender<Job>,
    metrics: Arc<Metrics>,
}

impl WriterHandle {
    /// Queues a job without waiting: a full queue is 429.
    fn send(&self, job: Job) -> Result<(), ApiError> {
        use std::sync::atomic::Ordering::Relaxed;
        // Counted before sending, so that the writer's decrement never comes first.
        self.metrics.queue_depth.fetch_add(1, Relaxed);
        self.tx.try_send(job).map_err(|e| {
            self.metrics.queue_depth.fetch_sub(1, Relaxed);
            match e {
                TrySendError::Full(_) => ApiError::Overloaded {
                    retry_after_secs: 1,
                },
                TrySendError::Disconnected(_) => {
                    ApiError::Internal("the writer has stopped".into())
                }
            }
        })
    }

    /// Queues a request and waits until it is committed. A full queue is 429, not a wait.
    pub(crate) async fn write(&self, messages: Vec<Prepared>) -> Result<Vec<Outcome>, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Write(WriteRequest { messages, reply }))?;
        answer
            .await
            .map_err(|_| ApiError::Internal("the writer dropped a request".into()))?
            .map_err(ApiError::Internal)
    }
}

impl WriterHandle {
    /// Erases a profile in the writer's order (after every write queued before it).
    pub(crate) async fn erase(&self, profile: u64) -> Result<tessera_store::Erasure, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Erase { profile, reply })?;
        answer
            .await
            .map_err(|_| ApiError::Internal("the writer dropped a request".into()))?
            .map_err(|e| match e {
                tessera_store::Error::ProfileNotFound(id) => {
                    ApiError::NotFound(format!("no profile has the identifier {id}"))
                }
                other => ApiError::from(other),
            })
    }
}

impl WriterHandle {
    /// Runs `change` on the writer's connection, in order with the writes queued before it.
    pub(crate) async fn admin<T: Send + 'static>(
        &self,
        change: impl FnOnce(&mut Store) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Admin(Box::new(move |store| {
            let _ = reply.send(change(store));
        })))?;
        answer
            .await
            .map_err(|_| ApiError::Internal("the writer dropped a request".into()))?
    }
}

/// The writer thread; [`WriterThread::join`] waits until it has committed all it was given.
pub struct WriterThread(std::thread::JoinHandle<()>);

impl WriterThread {
    pub fn join(self) {
        if self.0.join().is_err() {
            tracing::error!("the writer thread panicked");
        }
    }
}

#[allow(clippy::too_many_arguments)] // the writer's channels, each with one job
pub(crate) fn spawn(
    mut store: Store,
    capacity: usize,
    max_group: usize,
    metrics: Arc<Metrics>,
    wake_webhooks: SyncSender<()>,
    delivery_results: Receiver<DeliveryResult>,
    stream: broadcast::Sender<MembershipChange>,
) -> Result<(WriterHandle, WriterThread), tessera_store::Error> {
    let metrics_for_handle = metrics.clone();
    let (tx, rx) = mpsc::sync_channel::<Job>(capacity.max(1));
    // Real-time state is rebuilt before the first request is accepted; changes that became
    // due while the server was down are recorded now.
    let (mut live, initial) = Live::load(&store, now_millis())?;
    store.record_membership_changes(&initial)?;
    for change in &initial {
        let _ = stream.send(change.clone());
    }
    let _ = wake_webhooks.try_send(());
    Metrics::add(&metrics.membership_changes, initial.len());
    tracing::info!(changes = initial.len(), "real-time membership loaded");
    // Stops with the writer thread, which owns it.
    let checkpointer = store.checkpoint_in_background()?;
    // Events by profile and message ids are indexed off this thread (see tessera-store's
    // `index/`).
    let indexer = store.index_in_background()?;
    let thread = std::thread::Builder::new()
        .name("tessera-writer".into())
        .spawn(move || {
            let _checkpointer = checkpointer;
            let _indexer = indexer;
            let identity = store.config().identity.clone();
            let normalizer = Normalizer::new(&identity);
            let mut next: Option<Job> = None;
            let mut last_tick = Instant::now();
            loop {
                // Webhook results, written by this thread, the store's only writer.
                let results: Vec<DeliveryResult> = delivery_results.try_iter().collect();
                if let Err(e) = store.apply_delivery_results(&results) {
                    tracing::error!(error = %e, "recording webhook deliveries failed; they may be repeated");
                }
                // Time-based changes are applied at least every TICK, also under load.
                if last_tick.elapsed() >= TICK {
                    let changes = live.tick(&store, now_millis());
                    record(&mut store, changes, &metrics, &wake_webhooks, &stream);
                    last_tick = Instant::now();
                }
                let first = match next.take() {
                    Some(job) => job,
                    None => match rx.recv_timeout(TICK.saturating_sub(last_tick.elapsed())) {
                        Ok(job) => job,
                        Err(RecvTimeoutError::Timeout) => continue,
                        Err(RecvTimeoutError::Disconnected) => break,
                    },
                };
                metrics
                    .queue_depth
                    .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
                let first = match first {
                    Job::Write(request) => request,
                    Job::Admin(change) => {
                        // Segment definitions may change: real-time state follows at the next
                        // tick, which rebuilds it when they do.
                        change(&mut store);
                        continue;
                    }
                    Job::Erase { profile, reply } => {
                        let erased = store.erase_profile(profile);
                        if erased.is_ok() {
                            live.forget(profile, now_millis());
                        }
                        let _ = reply.send(erased);
                        continue;
                    }
                };
                let mut group = vec![first];
                let mut records = group[0].messages.len();
                while records < max_group {
                    match rx.try_recv() {
                        Ok(job) => {
                            metrics
                                .queue_depth
                                .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
                            match job {
                                Job::Write(request) => {
                                    records += request.messages.len();
                                    group.push(request);
                                }
                                // An erasure waits for the writes queued before it to commit.
                                erase => {
                                    next = Some(erase);
                                    break;
                                }
                            }
                        }
                        Err(_) => break,
                    }
                }
                commit_group(
                    &mut store,
                    &normalizer,
                    &mut live,
                    group,
                    &metrics,
                    &wake_webhooks,
                    &stream,
                );
            }
        })
        .expect("spawning the writer thread");
    Ok((
        WriterHandle {
            tx,
            metrics: metrics_for_handle,
        },
        WriterThread(thread),
    ))
}

/// How often time-based membership changes are applied (each is stamped with its exact
/// instant; this bounds how late it is noticed).
const TICK: std::time::Duration = std::time::Duration::from_millis(250);

fn record(
    store: &mut Store,
    changes: Result<Vec<MembershipChange>, tessera_store::Error>,
    metrics: &Metrics,
    wake_webhooks: &SyncSender<()>,
    stream: &broadcast::Sender<MembershipChange>,
) {
    let recorded = changes.and_then(|changes| {
        store.record_membership_changes(&changes)?;
        Ok(changes)
    });
    announce(recorded, metrics, wake_webhooks, stream);
}

/// Tells subscribers and the webhook thread about changes once they are recorded.
fn announce(
    recorded: Result<Vec<MembershipChange>, tessera_store::Error>,
    metrics: &Metrics,
    wake_webhooks: &SyncSender<()>,
    stream: &broadcast::Sender<MembershipChange>,
) {
    match recorded {
        Ok(changes) => {
            Metrics::add(&metrics.membership_changes, changes.len());
            if !changes.is_empty() {
                // Coalesced: one pending wake-up is enough for the delivery thread.
                let _ = wake_webhooks.try_send(());
            }
            // Subscribers see a change only once it is recorded; without any, a no-op.
            for change in changes {
                let _ = stream.send(change);
            }
        }
        // The next restart reconciles stored memberships with the real-time state.
        Err(e) => tracing::error!(error = %e, "recording membership changes failed"),
    }
}

fn now_millis() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Commits a group of requests in one transaction and answers each of them.
#[allow(clippy::too_many_arguments)] // the writer's state, passed apart for disjoint borrows
fn commit_group(
    store: &mut Store,
    normalizer: &Normalizer<'_>,
    live: &mut Live,
    group: Vec<WriteRequest>,
    metrics: &Metrics,
    wake_webhooks: &SyncSender<()>,
    stream: &broadcast::Sender<MembershipChange>,
) {
    let started = Instant::now();
    let mut records = Vec::new();
    // For each request, per message: `Ok(index in records)` or the alias rejection.
    let mut slots: Vec<Vec<Result<usize, Outcome>>> = Vec::with_capacity(group.len());
    let mut replies = Vec::with_capacity(group.len());
    let mut failure: Option<String> = None;
    for request in group {
        let mut request_slots = Vec::with_capacity(request.messages.len());
        for Prepared {
            mut record,
            previous_id,
        } in request.messages
        {
            if let Some(previous) = previous_id {
                let mut blocked = 0;
                match attach_previous_id(
                    store,
                    normalizer,
                    record.identifiers_mut(),
                    previous,
                    &mut blocked,
                ) {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => {
                        request_slots.push(Err(Outcome::Rejected {
                            field: e.field,
                            reason: e.reason,
                        }));
                        continue;
                    }
                    Err(e) => failure = Some(e.to_string()),
                }
            }
            request_slots.push(Ok(records.len()));
            records.push(record);
        }
        slots.push(request_slots);
        replies.push(request.reply);
    }
    let now = now_millis();
    let outcomes = match failure {
        Some(e) => Err(e),
        // Real-time evaluation runs inside the batch's transaction, so the membership changes
        // and their webhook deliveries are committed with the messages: one fsync for both.
        None => store
            .ingest_encoded_with(&records, |store, outcomes| {
                let committed: Vec<(&tessera_store::Record, &Outcome)> = records
                    .iter()
                    .map(tessera_store::EncodedRecord::record)
                    .zip(outcomes)
                    .collect();
                live.follow(store, &committed, now)
            })
            .map_err(|e| e.to_string()),
    };
    metrics.observe_commit(started.elapsed(), records.len());
    let changes = match outcomes {
        Ok((outcomes, changes)) => {
            answer(replies, slots, Ok(&outcomes));
            Ok(changes)
        }
        Err(e) => {
            answer(replies, slots, Err(&e));
            // Real-time state may have followed messages that were then not stored: it
            // is rebuilt from the store.
            Live::load(store, now).and_then(|(rebuilt, changes)| {
                *live = rebuilt;
                store.record_membership_changes(&changes)?;
                Ok(changes)
            })
        }
    };
    announce(changes, metrics, wake_webhooks, stream);
}

/// Answers each request of a group with its messages' outcomes (or the group's failure).
fn answer(
    replies: Vec<oneshot::Sender<Result<Vec<Outcome>, String>>>,
    slots: Vec<Vec<Result<usize, Outcome>>>,
    outcomes: Result<&[Outcome], &String>,
) {
    for (reply, request_slots) in replies.into_iter().zip(slots) {
        let answer = match outcomes {
            Ok(outcomes) => Ok(request_slots
                .into_iter()
                .map(|slot| match slot {
                    Ok(i) => outcomes[i].clone(),
                    Err(rejected) => rejected,
                })
                .collect()),
            Err(e) => Err(e.clone()),
        };
        // A client that went away does not stop the others from being answered.
        let _ = reply.send(answer);
    }
}
