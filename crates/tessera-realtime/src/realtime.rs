//! The real-time membership state: profiles in memory, members per segment, and the scheduler.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use tessera_engine::{interpreter, EventData, ProfileData};
use tessera_lang::Expr;
use tessera_model::{Millis, TraitValue};

use crate::next_change::next_change_sorted;
use crate::schedule::Schedule;
use crate::segments::Segments;
use crate::{Change, ChangeKind};

/// Segment membership kept current as events, traits, merges, erasures and time arrive.
///
/// Invariants, after every call returns:
/// - for every segment and every known profile, membership equals
///   `interpreter::eval(condition, profile data, clock)`;
/// - every (profile, segment) whose value can change by time alone has exactly one scheduled
///   instant, its [`next_change`](crate::next_change) after the last evaluation, and
///   [`Realtime::next_wakeup`] is after the clock;
/// - the changes returned, replayed in order from empty membership, give the current
///   membership, so each (segment, profile) alternates Enter, Exit, Enter…, and their instants
///   never decrease.
///
/// **The clock** is the latest instant any call has been given, and it never goes backwards:
/// an `at` or `now` earlier than the clock is read as the clock (a server's clock readings may
/// jitter across threads; an event's own `ts` is never altered, so a late event still counts
/// as of when it happened). Every call first fires what is due up to its instant, so an event
/// arriving at `at` also applies every time-based change scheduled at or before `at`.
///
/// **Profiles** become known through [`Realtime::load_profile`], or through their first
/// event, traits or merge; a newly known profile is evaluated for every segment, because
/// conditions such as `not did(..)` or `email is null` hold for an empty profile. Events are
/// kept sorted by time, with equal times in arrival order, which is the order aggregates add
/// in, so sums are bit-identical to batch evaluation of the same events in arrival order.
#[derive(Debug)]
pub struct Realtime {
    segments: Segments,
    state: State,
}

#[derive(Debug)]
struct State {
    profiles: HashMap<u64, ProfileData>,
    /// Per segment, its members; sorted so that listing them needs no extra work.
    members: Vec<BTreeSet<u64>>,
    schedule: Schedule,
    clock: Millis,
    evaluations: u64,
}

impl Realtime {
    /// Segments are (name, checked condition); a condition with `Missing` nodes never holds.
    /// Builds the dependency index from event and trait names to segments.
    pub fn new(segments: Vec<(String, Expr)>) -> Realtime {
        let segments = Segments::new(segments);
        let members = vec![BTreeSet::new(); segments.len()];
        Realtime {
            segments,
            state: State {
                profiles: HashMap::new(),
                members,
                schedule: Schedule::default(),
                clock: Millis::MIN,
                evaluations: 0,
            },
        }
    }

    pub fn segment_names(&self) -> &[String] {
        self.segments.names()
    }

    /// Installs a profile's full data (rebuilt from the store after a restart, say), replacing
    /// any it had, and evaluates every segment for it; returns its changes (for a new profile,
    /// an Enter per segment it is in), stamped `at`, and schedules its time-based changes.
    pub fn load_profile(&mut self, profile: u64, mut data: ProfileData, at: Millis) -> Vec<Change> {
        let (at, mut changes) = self.tick(at);
        // Stable, so events at equal times keep the order they were given in.
        data.events.sort_by_key(|e| e.ts);
        self.state.profiles.insert(profile, data);
        self.state
            .refresh_all(&self.segments, profile, at, &mut changes);
        changes
    }

    /// An event arrived for `profile`; its `ts` may be before, at or after `at`. Re-evaluates,
    /// as of `at`, only the segments that read events of its name, for this profile only
    /// (every segment if the profile is new), and reschedules them.
    pub fn on_event(&mut self, profile: u64, event: EventData, at: Millis) -> Vec<Change> {
        let (at, mut changes) = self.tick(at);
        let reading = self.segments.reading_event(&event.name);
        let (data, fresh) = self.state.entry(profile);
        // After every event of the same time: equal times stay in arrival order.
        let position = data.events.partition_point(|e| e.ts <= event.ts);
        data.events.insert(position, event);
        if fresh {
            self.state
                .refresh_all(&self.segments, profile, at, &mut changes);
        } else {
            for &segment in reading.iter() {
                let expr = self.segments.expr(segment);
                self.state.refresh(expr, segment, profile, at, &mut changes);
            }
        }
        changes
    }

    /// Traits of `profile` were set: each value replaces the profile's current one. Re-evaluates
    /// only the segments testing one of these traits (every segment if the profile is new).
    pub fn on_traits(
        &mut self,
        profile: u64,
        traits: BTreeMap<String, TraitValue>,
        at: Millis,
    ) -> Vec<Change> {
        let (at, mut changes) = self.tick(at);
        let affected = self
            .segments
            .testing_traits(traits.keys().map(String::as_str));
        let (data, fresh) = self.state.entry(profile);
        data.traits.extend(traits);
        if fresh {
            self.state
                .refresh_all(&self.segments, profile, at, &mut changes);
        } else {
            for segment in affected {
                let expr = self.segments.expr(segment);
                self.state.refresh(expr, segment, profile, at, &mut changes);
            }
        }
        changes
    }

    /// Traits of `profile` were removed (computed traits a profile no longer has). Re-evaluates
    /// only the segments testing one of them; an unknown profile is left alone.
    pub fn remove_traits(&mut self, profile: u64, names: &[&str], at: Millis) -> Vec<Change> {
        let (at, mut changes) = self.tick(at);
        let Some(data) = self.state.profiles.get_mut(&profile) else {
            return changes;
        };
        for name in names {
            data.traits.remove(*name);
        }
        for segment in self.segments.testing_traits(names.iter().copied()) {
            let expr = self.segments.expr(segment);
            self.state.refresh(expr, segment, profile, at, &mut changes);
        }
        changes
    }

    /// Identity resolution merged `from` into `into`: `from` exits every segment and is
    /// forgotten; its events join `into`'s (at equal times, `into`'s first); for a trait both
    /// have, `into`'s value wins, since `into` is the surviving profile whose values identity
    /// resolution has already settled, and `from`'s other traits are added. `into` (created if
    /// unknown) is then re-evaluated for every segment. Merging an unknown `from`, or a profile
    /// into itself, changes nothing.
    pub fn merge_profiles(&mut self, from: u64, into: u64, at: Millis) -> Vec<Change> {
        let (at, mut changes) = self.tick(at);
        if from == into {
            return changes;
        }
        let Some(moved) = self.state.remove(from, at, &mut changes) else {
            return changes;
        };
        let (data, _) = self.state.entry(into);
        absorb(data, moved);
        self.state
            .refresh_all(&self.segments, into, at, &mut changes);
        changes
    }

    /// Erases a profile: it exits every segment, its data and its schedule entries are dropped.
    /// An unknown profile changes nothing.
    pub fn remove_profile(&mut self, profile: u64, at: Millis) -> Vec<Change> {
        let (at, mut changes) = self.tick(at);
        self.state.remove(profile, at, &mut changes);
        changes
    }

    /// Time passes: fires every scheduled (time, profile, segment) with time <= `now`, in that
    /// order, evaluating each as of its own time (its changes are stamped with it) and
    /// rescheduling as it goes. A `now` before the clock changes nothing (see the type docs).
    pub fn advance(&mut self, now: Millis) -> Vec<Change> {
        self.tick(now).1
    }

    /// The earliest scheduled instant, for the server's timer; always after the clock.
    pub fn next_wakeup(&self) -> Option<Millis> {
        self.state.schedule.next_wakeup()
    }

    /// The members of a segment, in increasing order. Panics if `segment` is out of range.
    pub fn members(&self, segment: usize) -> impl Iterator<Item = u64> + '_ {
        self.state.members[segment].iter().copied()
    }

    pub fn is_member(&self, segment: usize, profile: u64) -> bool {
        self.state
            .members
            .get(segment)
            .is_some_and(|members| members.contains(&profile))
    }

    /// The latest instant seen (`Millis::MIN` before the first call).
    pub fn clock(&self) -> Millis {
        self.state.clock
    }

    /// A known profile's data, events sorted by time.
    pub fn profile(&self, profile: u64) -> Option<&ProfileData> {
        self.state.profiles.get(&profile)
    }

    /// Every known profile's data, in no particular order.
    pub fn profiles(&self) -> impl Iterator<Item = (u64, &ProfileData)> + '_ {
        self.state.profiles.iter().map(|(id, data)| (*id, data))
    }

    pub fn profile_count(&self) -> usize {
        self.state.profiles.len()
    }

    /// How many (profile, segment) pairs have a time-based change scheduled.
    pub fn scheduled(&self) -> usize {
        self.state.schedule.len()
    }

    /// How many (profile, segment) evaluations have run so far, for tests and metrics.
    pub fn evaluations(&self) -> u64 {
        self.state.evaluations
    }

    /// Moves the clock to `at` (or keeps it, if `at` is earlier), firing what is due on the way.
    fn tick(&mut self, at: Millis) -> (Millis, Vec<Change>) {
        let at = at.max(self.state.clock);
        let mut changes = Vec::new();
        while let Some((due, profile, segment)) = self.state.schedule.pop_due(at) {
            let expr = self.segments.expr(segment);
            self.state
                .refresh(expr, segment, profile, due, &mut changes);
        }
        self.state.clock = at;
        (at, changes)
    }
}

impl State {
    /// The profile's data, and whether it was just created.
    fn entry(&mut self, profile: u64) -> (&mut ProfileData, bool) {
        match self.profiles.entry(profile) {
            Entry::Occupied(entry) => (entry.into_mut(), false),
            Entry::Vacant(entry) => (entry.insert(ProfileData::default()), true),
        }
    }

    /// Evaluates one segment for one profile as of `at`, records a change of membership and
    /// replaces the segment's scheduled instant for the profile.
    fn refresh(
        &mut self,
        expr: &Expr,
        segment: usize,
        profile: u64,
        at: Millis,
        changes: &mut Vec<Change>,
    ) {
        let Some(data) = self.profiles.get(&profile) else {
            return;
        };
        let held = interpreter::eval(expr, data, at);
        let next = next_change_sorted(expr, data, at);
        // An instant at or before `at` would be fired again at once, forever; `next_change`
        // never returns one, and this keeps a bug there from hanging the server.
        debug_assert!(next.is_none_or(|next| next > at), "{next:?} after {at}");
        let next = next.filter(|&next| next > at);
        self.evaluations += 1;
        self.schedule.set(profile, segment, next);
        let members = &mut self.members[segment];
        let changed = if held {
            members.insert(profile)
        } else {
            members.remove(&profile)
        };
        if changed {
            let kind = if held {
                ChangeKind::Enter
            } else {
                ChangeKind::Exit
            };
            changes.push(Change {
                segment,
                profile,
                kind,
                at,
            });
        }
    }

    fn refresh_all(
        &mut self,
        segments: &Segments,
        profile: u64,
        at: Millis,
        changes: &mut Vec<Change>,
    ) {
        for segment in 0..segments.len() {
            self.refresh(segments.expr(segment), segment, profile, at, changes);
        }
    }

    /// Forgets a profile: it exits every segment and nothing stays scheduled for it.
    fn remove(
        &mut self,
        profile: u64,
        at: Millis,
        changes: &mut Vec<Change>,
    ) -> Option<ProfileData> {
        let data = self.profiles.remove(&profile)?;
        for (segment, members) in self.members.iter_mut().enumerate() {
            self.schedule.set(profile, segment, None);
            if members.remove(&profile) {
                changes.push(Change {
                    segment,
                    profile,
                    kind: ChangeKind::Exit,
                    at,
                });
            }
        }
        Some(data)
    }
}

/// Moves `from`'s data into `into` by the merge rule of [`Realtime::merge_profiles`].
fn absorb(into: &mut ProfileData, from: ProfileData) {
    let mut traits = from.traits;
    // `append` keeps the argument's value for a key both have: `into`'s.
    traits.append(&mut into.traits);
    into.traits = traits;
    let kept = std::mem::take(&mut into.events);
    into.events = merge_by_time(kept, from.events);
}

/// Merges two time-sorted lists; at equal times, `first`'s events come first.
fn merge_by_time(first: Vec<EventData>, second: Vec<EventData>) -> Vec<EventData> {
    let mut out = Vec::with_capacity(first.len() + second.len());
    let mut first = first.into_iter().peekable();
    let mut second = second.into_iter().peekable();
    loop {
        let from_second = match (first.peek(), second.peek()) {
            (Some(a), Some(b)) => b.ts < a.ts,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (None, None) => break,
        };
        out.extend(if from_second {
            second.next()
        } else {
            first.next()
        });
    }
    out
}

#[cfg(test)]
#[path = "realtime/tests.rs"]
mod tests;
