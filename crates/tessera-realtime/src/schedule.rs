//! The scheduler: at most one pending re-evaluation instant per (profile, segment).
//!
//! Entries live in an ordered set keyed `(time, profile, segment)`, which is the order
//! `advance` fires them in, next to a map from (profile, segment) to its one pending time so
//! that replacing or dropping an entry is exact. This was chosen over a binary heap with lazy
//! deletion because rescheduling is the common case (every re-evaluation reschedules), and a
//! heap would keep every superseded entry until it surfaces; here memory is exactly one entry
//! per (profile, segment) that has a change ahead.

use std::collections::{BTreeSet, HashMap};

use tessera_model::Millis;

#[derive(Debug, Default)]
pub(crate) struct Schedule {
    queue: BTreeSet<(Millis, u64, usize)>,
    pending: HashMap<(u64, usize), Millis>,
}

impl Schedule {
    /// Replaces the pending instant of (profile, segment); `None` leaves nothing pending.
    pub(crate) fn set(&mut self, profile: u64, segment: usize, at: Option<Millis>) {
        let key = (profile, segment);
        let old = match at {
            Some(at) => self.pending.insert(key, at),
            None => self.pending.remove(&key),
        };
        if old == at {
            return;
        }
        if let Some(old) = old {
            self.queue.remove(&(old, profile, segment));
        }
        if let Some(at) = at {
            self.queue.insert((at, profile, segment));
        }
    }

    /// Removes and returns the earliest entry due at or before `now`.
    pub(crate) fn pop_due(&mut self, now: Millis) -> Option<(Millis, u64, usize)> {
        let first = *self.queue.first()?;
        if first.0 > now {
            return None;
        }
        self.queue.pop_first();
        self.pending.remove(&(first.1, first.2));
        Some(first)
    }

    pub(crate) fn next_wakeup(&self) -> Option<Millis> {
        self.queue.first().map(|&(at, _, _)| at)
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_entry_per_profile_and_segment_fired_in_time_order() {
        let mut schedule = Schedule::default();
        schedule.set(1, 0, Some(50));
        schedule.set(1, 0, Some(30));
        schedule.set(2, 0, Some(30));
        schedule.set(1, 1, Some(10));
        schedule.set(3, 1, Some(5));
        schedule.set(3, 1, None);
        assert_eq!(schedule.len(), 3);
        assert_eq!(schedule.next_wakeup(), Some(10));
        assert_eq!(schedule.pop_due(9), None);
        assert_eq!(schedule.pop_due(30), Some((10, 1, 1)));
        assert_eq!(schedule.pop_due(30), Some((30, 1, 0)));
        assert_eq!(schedule.pop_due(30), Some((30, 2, 0)));
        assert_eq!(schedule.pop_due(i64::MAX), None);
        assert_eq!(schedule.next_wakeup(), None);
        assert!(schedule.pending.is_empty());
    }
}
