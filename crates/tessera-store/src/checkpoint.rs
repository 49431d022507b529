//! WAL checkpoints on a thread of their own, so that the writer does not pay for them.
//!
//! By default SQLite checkpoints inside the commit that grows the WAL past 1000 pages: the
//! writer then copies pages into the database file and fsyncs it while the requests in its
//! group wait. Measured under `tessera loadgen`, that was an eighth of the writer's time and
//! the source of its latency spikes. A [`Checkpointer`] runs passive checkpoints from its own
//! connection instead (they never block the writer), and the writer's automatic checkpoint
//! is raised to a safety valve that only fires if the checkpointer falls far behind.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::{Result, Store, DB_FILE};

/// WAL pages (4 KiB each) past which the writer checkpoints itself after all.
const WRITER_CHECKPOINT_PAGES: i64 = 16_384;
/// How often the checkpointer copies the WAL into the database.
const INTERVAL: Duration = Duration::from_millis(100);

/// The checkpoint thread; stops (after one last checkpoint) when dropped.
pub struct Checkpointer {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Store {
    /// Moves WAL checkpoints off this connection onto a thread of their own.
    pub fn checkpoint_in_background(&mut self) -> Result<Checkpointer> {
        let conn = Connection::open_with_flags(
            self.dir.join(DB_FILE),
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // A checkpoint fsyncs the database file before it lets the WAL be reused.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(Duration::from_secs(5))?;
        self.conn
            .pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::Builder::new()
            .name("tessera-checkpoint".into())
            .spawn(move || {
                while !stopping.load(Ordering::Relaxed) {
                    std::thread::sleep(INTERVAL);
                    checkpoint(&conn);
                }
                checkpoint(&conn);
            })
            .map_err(|e| crate::Error::Internal(format!("spawning the checkpointer: {e}")))?;
        Ok(Checkpointer {
            stop,
            thread: Some(thread),
        })
    }
}

fn checkpoint(conn: &Connection) {
    // PASSIVE copies what it can without waiting for readers or the writer; what it cannot
    // copy now is copied next time.
    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
        tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
