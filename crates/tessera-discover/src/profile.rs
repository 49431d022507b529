//! One profile's data as discovery reads it: events up to `at`, in time order.

use tessera_engine::{EventData, Index, ProfileData};
use tessera_model::Millis;

/// A profile's traits and its events at or before `at`, sorted by time. Events at the same
/// instant keep the index's order (by event name), so results are deterministic.
pub(crate) fn profile(index: &Index, ord: u32, at: Millis) -> ProfileData {
    let mut data = index.profile_data(ord).unwrap_or_default();
    data.events.retain(|e| e.ts <= at);
    data.events.sort_by_key(|e| e.ts);
    data
}

/// Whether `ts` is in the window `at − window < ts ≤ at` (all history up to `at` for `None`),
/// exactly as the segment language's `in last …`.
pub(crate) fn in_window(ts: Millis, at: Millis, window: Option<Millis>) -> bool {
    ts <= at && window.is_none_or(|w| ts > at - w)
}

/// A numeric property (JSON numbers only).
pub(crate) fn number(e: &EventData, property: &str) -> Option<f64> {
    e.property(property)?.as_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_exclude_the_start_and_include_at() {
        assert!(in_window(10, 10, Some(5)));
        assert!(!in_window(5, 10, Some(5)));
        assert!(in_window(6, 10, Some(5)));
        assert!(!in_window(11, 10, None));
        assert!(in_window(-1000, 10, None));
    }
}
