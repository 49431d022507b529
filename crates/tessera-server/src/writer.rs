//! The writer thread: the only store connection that writes. It commits every request that is
//! waiting in one transaction (group commit), so concurrent requests share one fsync.

use std::sync::Arc;
use std::time::Instant;

use tessera_identity::Normalizer;
use tessera_import::{attach_previous_id, Prepared};
use tessera_store::{Outcome, Store};
use tokio::sync::{mpsc, oneshot};

use crate::{ApiError, Metrics};

/// Messages of one request, and where to send their outcomes once committed.
pub(crate) struct WriteRequest {
    pub messages: Vec<Prepared>,
    pub reply: oneshot::Sender<Result<Vec<Outcome>, String>>,
}

/// Work for the writer thread: messages (grouped into shared commits) or an erasure.
pub(crate) enum Job {
    Write(WriteRequest),
    Erase {
        profile: u64,
        reply: oneshot::Sender<Result<tessera_store::Erasure, tessera_store::Error>>,
    },
}

#[derive(Clone)]
pub(crate) struct WriterHandle {
    tx: mpsc::Sender<Job>,
}

impl WriterHandle {
    /// Queues a request and waits until it is committed. A full queue is 429, not a wait.
    pub(crate) async fn write(&self, messages: Vec<Prepared>) -> Result<Vec<Outcome>, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .try_send(Job::Write(WriteRequest { messages, reply }))
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => ApiError::Overloaded {
                    retry_after_secs: 1,
                },
                mpsc::error::TrySendError::Closed(_) => {
                    ApiError::Internal("the writer has stopped".into())
                }
            })?;
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
        self.tx
            .try_send(Job::Erase { profile, reply })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => ApiError::Overloaded {
                    retry_after_secs: 1,
                },
                mpsc::error::TrySendError::Closed(_) => {
                    ApiError::Internal("the writer has stopped".into())
                }
            })?;
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

/// The writer thread; [`WriterThread::join`] waits until it has committed all it was given.
pub struct WriterThread(std::thread::JoinHandle<()>);

impl WriterThread {
    pub fn join(self) {
        if self.0.join().is_err() {
            tracing::error!("the writer thread panicked");
        }
    }
}

pub(crate) fn spawn(
    mut store: Store,
    capacity: usize,
    max_group: usize,
    metrics: Arc<Metrics>,
) -> (WriterHandle, WriterThread) {
    let (tx, mut rx) = mpsc::channel::<Job>(capacity.max(1));
    let thread = std::thread::Builder::new()
        .name("tessera-writer".into())
        .spawn(move || {
            let identity = store.config().identity.clone();
            let normalizer = Normalizer::new(&identity);
            let mut next: Option<Job> = None;
            loop {
                let first = match next.take() {
                    Some(job) => job,
                    None => match rx.blocking_recv() {
                        Some(job) => job,
                        None => break,
                    },
                };
                let first = match first {
                    Job::Write(request) => request,
                    Job::Erase { profile, reply } => {
                        let _ = reply.send(store.erase_profile(profile));
                        continue;
                    }
                };
                let mut group = vec![first];
                let mut records = group[0].messages.len();
                while records < max_group {
                    match rx.try_recv() {
                        Ok(Job::Write(request)) => {
                            records += request.messages.len();
                            group.push(request);
                        }
                        // An erasure waits for the writes queued before it to commit.
                        Ok(erase) => {
                            next = Some(erase);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                metrics
                    .queue_depth
                    .store(rx.len() as u64, std::sync::atomic::Ordering::Relaxed);
                commit_group(&mut store, &normalizer, group, &metrics);
            }
        })
        .expect("spawning the writer thread");
    (WriterHandle { tx }, WriterThread(thread))
}

/// Commits a group of requests in one transaction and answers each of them.
fn commit_group(
    store: &mut Store,
    normalizer: &Normalizer<'_>,
    group: Vec<WriteRequest>,
    metrics: &Metrics,
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
                match attach_previous_id(store, normalizer, &mut record, previous, &mut blocked) {
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
    let outcomes = match failure {
        Some(e) => Err(e),
        None => store.ingest_batch(&records).map_err(|e| e.to_string()),
    };
    metrics.observe_commit(started.elapsed(), records.len());
    for (reply, request_slots) in replies.into_iter().zip(slots) {
        let answer = match &outcomes {
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
