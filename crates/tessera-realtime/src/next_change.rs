//! When passing time alone can change a segment: the next instant worth re-evaluating at.
//!
//! Without new data, a condition's value as of `t` can only change when the set of events its
//! queries see changes, or when a recency comparison flips. By the time semantics of
//! `tessera_lang::ast`, for one event of a query's name at `ts`:
//! - no window, or a `from..to` range containing `ts`: it becomes visible at `ts`;
//! - `in last d`: visible from `ts` until just before `ts + d`;
//! - `first/last(..) more/less than a ago`: the comparison flips at `ts + a`;
//! - a sequence's first step at `ts`: its time to be followed runs out at `ts + within`.
//!
//! So the candidates are `ts`, `ts + d` and `ts + a` over the events of each query's name, and
//! the answer is the smallest candidate after `at`. The set is conservative on purpose (a
//! candidate may turn out to change nothing): property filters are not applied, so that the
//! interpreter stays the one definition of filters and a filter here can never disagree with
//! it and lose a change. Two refinements keep wakeups rare without losing exactness:
//! - an `and` with an operand that is false and can never change is false for good (an `or`
//!   with such a true operand is true for good), so nothing is scheduled for it; trait tests are
//!   the usual such operands (`age > 30 and did(..)` for someone aged 20);
//! - a candidate past `Millis::MAX` never comes: the interpreter's saturating arithmetic keeps
//!   such an event visible (or the recency comparison unchanged) for all representable time.

use tessera_engine::data::zone_name;
use tessera_engine::{interpreter, EventData, ProfileData};
use tessera_lang::{EventQuery, Expr, Window};
use tessera_model::{
    context_point, local_time, LocalField, Millis, CONTEXT_LATITUDE, CONTEXT_LONGITUDE,
    LAST_LOCATION,
};

/// The earliest instant strictly after `at` at which `interpreter::eval(expr, profile, t)` may
/// differ from its value at `at` when no new data arrives; `None` if it can never change.
///
/// The events may be in any order; when they are sorted by time (as [`crate::Realtime`] keeps
/// them) each query costs a binary search and a short scan instead of a pass over all events.
///
/// ```
/// use serde_json::Map;
/// use tessera_engine::{EventData, ProfileData};
/// use tessera_model::DAY_MS;
///
/// let t0 = 100 * DAY_MS;
/// let profile = ProfileData {
///     traits: Default::default(),
///     events: vec![EventData::new("Order Completed", t0, Map::new())],
/// };
/// let lapsed = tessera_lang::parse("not did(Order Completed in last 7d)").expr;
/// assert_eq!(tessera_realtime::next_change(&lapsed, &profile, t0), Some(t0 + 7 * DAY_MS));
/// assert_eq!(tessera_realtime::next_change(&lapsed, &profile, t0 + 7 * DAY_MS), None);
/// ```
pub fn next_change(expr: &Expr, profile: &ProfileData, at: Millis) -> Option<Millis> {
    let sorted = profile.events.is_sorted_by_key(|e| e.ts);
    next(expr, profile, at, sorted)
}

/// [`next_change`] for a profile whose events are known to be sorted by time.
pub(crate) fn next_change_sorted(expr: &Expr, profile: &ProfileData, at: Millis) -> Option<Millis> {
    debug_assert!(profile.events.is_sorted_by_key(|e| e.ts));
    next(expr, profile, at, true)
}

fn next(expr: &Expr, profile: &ProfileData, at: Millis, sorted: bool) -> Option<Millis> {
    let events = &profile.events;
    match expr {
        Expr::And(items) => combine(items, profile, at, sorted, false),
        Expr::Or(items) => combine(items, profile, at, sorted, true),
        Expr::Not(inner) => next(inner, profile, at, sorted),
        Expr::Trait(cond) if LocalField::from_name(&cond.name).is_some() => {
            local_time_next(profile, at, sorted)
        }
        // A later event with a location becomes the last one when it becomes visible.
        Expr::Trait(cond) if cond.name == LAST_LOCATION => later_event(profile, at, sorted, |e| {
            context_point(e.property(CONTEXT_LATITUDE), e.property(CONTEXT_LONGITUDE)).is_some()
        }),
        // Traits do not change with time, and a `Missing` node never holds. References are
        // expanded before real-time evaluation; unexpanded, they never hold.
        Expr::Trait(_) | Expr::InSegment(_) | Expr::Missing(_) => None,
        Expr::Did(query) => query_next(query, None, events, at, sorted),
        Expr::Count(cond) => query_next(&cond.query, None, events, at, sorted),
        Expr::Aggregate(cond) => query_next(&cond.query, None, events, at, sorted),
        Expr::Value(cond) => query_next(&cond.query, None, events, at, sorted),
        Expr::Recency(cond) => query_next(&cond.query, Some(cond.ago.millis()), events, at, sorted),
        // Either step's events appearing or leaving a window, and the instant `ts + within`
        // of a first step's event, when its time to be followed runs out.
        Expr::Sequence(cond) => [
            query_next(&cond.first, Some(cond.within.millis()), events, at, sorted),
            query_next(&cond.second, None, events, at, sorted),
        ]
        .into_iter()
        .flatten()
        .min(),
    }
}

/// `local_hour` and `local_weekday` change at the next local hour boundary (or daylight-saving
/// change) of the profile's zone, and the zone itself changes when a later event with a
/// `context.timezone` becomes visible (for a profile without the `timezone` trait).
fn local_time_next(profile: &ProfileData, at: Millis, sorted: bool) -> Option<Millis> {
    let clock = zone_name(profile, at)
        .and_then(local_time::zone)
        .and_then(|zone| local_time::next_local_change(zone, at));
    let zone_event = if profile.traits.contains_key(local_time::TIMEZONE_TRAIT) {
        None
    } else {
        later_event(profile, at, sorted, |e| {
            e.property(local_time::CONTEXT_TIMEZONE)
                .is_some_and(|zone| zone.is_string())
        })
    };
    clock.into_iter().chain(zone_event).min()
}

/// The time of the first event after `at` for which `counts` holds.
fn later_event(
    profile: &ProfileData,
    at: Millis,
    sorted: bool,
    counts: impl Fn(&EventData) -> bool,
) -> Option<Millis> {
    let events = &profile.events;
    if sorted {
        let start = events.partition_point(|e| e.ts <= at);
        events[start..].iter().find(|e| counts(e)).map(|e| e.ts)
    } else {
        events
            .iter()
            .filter(|e| e.ts > at && counts(e))
            .map(|e| e.ts)
            .min()
    }
}

/// The earliest change among the operands of an `and` (`pinned` = false) or an `or`
/// (`pinned` = true), unless an operand that can never change already pins the result.
fn combine(
    items: &[Expr],
    profile: &ProfileData,
    at: Millis,
    sorted: bool,
    pinned: bool,
) -> Option<Millis> {
    let mut earliest: Option<Millis> = None;
    for item in items {
        match next(item, profile, at, sorted) {
            Some(t) => earliest = Some(earliest.map_or(t, |e| e.min(t))),
            // Only stable operands are evaluated: they are usually trait tests, which are cheap.
            None if interpreter::eval(item, profile, at) == pinned => return None,
            None => {}
        }
    }
    earliest
}

/// The earliest candidate after `at` for one event query; `ago` is a recency duration.
fn query_next(
    query: &EventQuery,
    ago: Option<Millis>,
    events: &[EventData],
    at: Millis,
    sorted: bool,
) -> Option<Millis> {
    let (range, last) = match query.window {
        None => (None, None),
        Some(Window::Last(d)) => (None, Some(d.millis())),
        Some(Window::Range { from, to }) => (Some((from, to)), None),
    };
    let scan = Scan {
        name: &query.event,
        range,
        at,
    };
    [Some(0), last, ago]
        .into_iter()
        .flatten()
        .filter_map(|offset| scan.first_after(events, offset, sorted))
        .min()
}

/// Which events a query's candidates come from, and the instant they must follow.
struct Scan<'a> {
    name: &'a str,
    /// Events outside a `from..to` range are never visible, so they never change anything.
    range: Option<(Millis, Millis)>,
    at: Millis,
}

impl Scan<'_> {
    fn relevant(&self, event: &EventData) -> bool {
        event.name == self.name
            && self
                .range
                .is_none_or(|(from, to)| from <= event.ts && event.ts < to)
    }

    /// The smallest `ts + offset` after `at` over the relevant events (`offset` >= 0).
    fn first_after(&self, events: &[EventData], offset: Millis, sorted: bool) -> Option<Millis> {
        let shifted = |e: &EventData| e.ts.checked_add(offset);
        if sorted {
            // `ts + offset` grows with `ts`, so the first relevant event past the cut is the
            // minimum; if it overflows, every later one does too.
            let start = events.partition_point(|e| e.ts.saturating_add(offset) <= self.at);
            events[start..]
                .iter()
                .find(|e| self.relevant(e))
                .and_then(shifted)
        } else {
            events
                .iter()
                .filter(|e| self.relevant(e))
                .filter_map(shifted)
                .filter(|&t| t > self.at)
                .min()
        }
    }
}

#[cfg(test)]
#[path = "next_change/tests.rs"]
mod tests;
