//! Tessera's real-time segment membership: incremental re-evaluation and scheduled time changes.
//!
//! ```text
//!  event / identify / merge / erase ──▶ Realtime ──▶ Vec<Change>  (Enter | Exit, segment, profile, at)
//!        │                                 │ ▲
//!        │ dependency index                │ │ fire (time, profile, segment) in time order
//!        ▼                                 ▼ │
//!  segments reading that event     Schedule: one next_change instant per (profile, segment)
//!  or trait, this profile only             ▲
//!        │ interpreter::eval(at)           │ advance(now) — the server's timer, next_wakeup()
//!        ▼                                 │
//!  members per segment (sorted)  ◀─────────┘
//! ```
//!
//! When an event or traits arrive, only the segments that read that event name or trait are
//! re-evaluated, and only for that profile, with the reference [`interpreter`]. Membership
//! that changes because time passes (a 7-day window slides, "did not order in 7 days" becomes
//! true) is not found by periodic recomputation: after each evaluation, [`next_change`] gives
//! the next instant at which the answer may differ, and the scheduler re-evaluates that
//! (profile, segment) then. At every instant membership equals batch evaluation as of that
//! instant (`tests/agreement.rs` checks this on random segments and operation sequences).
//!
//! [`interpreter`]: tessera_engine::interpreter
//!
//! ```
//! use serde_json::Map;
//! use tessera_engine::EventData;
//! use tessera_model::DAY_MS;
//! use tessera_realtime::{Change, ChangeKind, Realtime};
//!
//! let segment = tessera_lang::parse("did(Order Completed in last 7d)").expr;
//! let mut realtime = Realtime::new(vec![("recent buyers".to_string(), segment)]);
//!
//! let t0 = 20_000 * DAY_MS;
//! let order = EventData::new("Order Completed", t0, Map::new());
//! let entered = realtime.on_event(42, order, t0);
//! assert_eq!(entered, [Change { segment: 0, profile: 42, kind: ChangeKind::Enter, at: t0 }]);
//!
//! // The window slides: the scheduler knows the exact instant the order leaves it.
//! assert_eq!(realtime.next_wakeup(), Some(t0 + 7 * DAY_MS));
//! let left = realtime.advance(t0 + 10 * DAY_MS);
//! assert_eq!(left, [Change { segment: 0, profile: 42, kind: ChangeKind::Exit, at: t0 + 7 * DAY_MS }]);
//! assert_eq!(realtime.members(0).count(), 0);
//! ```

mod next_change;
mod realtime;
mod schedule;
mod segments;

use serde::{Deserialize, Serialize};
use tessera_model::Millis;

pub use next_change::next_change;
pub use realtime::Realtime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Enter,
    Exit,
}

/// A profile entered or left a segment at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Change {
    /// Index in the segment list given to [`Realtime::new`].
    pub segment: usize,
    pub profile: u64,
    pub kind: ChangeKind,
    /// The instant the membership changed: the call's instant, or for a time-based change the
    /// scheduled instant it happened at (which may be earlier than the call that applied it).
    pub at: Millis,
}
