//! Batch and real-time agree: random segments and random sequences of events, traits, merges,
//! erasures, reloads and clock moves go through the incremental path, and after every step
//! membership must equal batch evaluation as of the same instant.
//!
//! The batch side is a plain model of the data (events appended in arrival order, merges and
//! erasures applied directly) evaluated with the reference interpreter after every step and
//! with the bitmap engine every few steps. The changes the real-time side reports are checked
//! too: replayed from empty membership they must give its membership, each (segment, profile)
//! must alternate Enter and Exit, and their instants must never decrease.

#[path = "agreement/generators.rs"]
mod generators;

use std::collections::{BTreeMap, BTreeSet};

use generators::{base, segment, step, Op};
use proptest::prelude::*;
use tessera_engine::{interpreter, EventData, Index, ProfileData};
use tessera_lang::Expr;
use tessera_model::{Millis, DAY_MS, HOUR_MS};
use tessera_realtime::{next_change, Change, ChangeKind, Realtime};

/// The batch side's view of the world.
struct Model {
    clock: Millis,
    profiles: BTreeMap<u64, ProfileData>,
}

impl Model {
    /// The members of a segment by the reference interpreter, in key order.
    fn members(&self, expr: &Expr) -> Vec<u64> {
        self.profiles
            .iter()
            .filter(|(_, data)| interpreter::eval(expr, data, self.clock))
            .map(|(&key, _)| key)
            .collect()
    }

    /// The members of every segment by the bitmap engine.
    fn index_members(&self, segments: &[Expr]) -> Vec<Vec<u64>> {
        let profiles: Vec<(i64, ProfileData)> = self
            .profiles
            .iter()
            .map(|(&key, data)| (key as i64, data.clone()))
            .collect();
        let index = Index::from_profiles(&profiles);
        segments
            .iter()
            .map(|expr| {
                let found = index.evaluate(expr, self.clock).expect("a valid segment");
                found
                    .iter()
                    .map(|ord| index.profile_key(ord) as u64)
                    .collect()
            })
            .collect()
    }
}

/// Applies one operation to both sides, the model's clock already moved to the operation's
/// instant; returns the real-time side's changes.
fn apply(rt: &mut Realtime, model: &mut Model, op: &Op) -> Result<Vec<Change>, TestCaseError> {
    Ok(match op {
        Op::Event {
            profile,
            name,
            offset,
            properties,
            stale_clock,
        } => {
            let event = EventData::new(*name, model.clock + offset, properties.clone());
            let data = model.profiles.entry(*profile).or_default();
            data.events.push(event.clone());
            if *stale_clock {
                // The clock reaches the instant first; then the event comes with an hour-old
                // reading, which must be read as the clock.
                let mut changes = rt.advance(model.clock);
                changes.extend(rt.on_event(*profile, event, model.clock - HOUR_MS));
                changes
            } else {
                rt.on_event(*profile, event, model.clock)
            }
        }
        Op::Traits { profile, traits } => {
            let data = model.profiles.entry(*profile).or_default();
            data.traits.extend(traits.clone());
            rt.on_traits(*profile, traits.clone(), model.clock)
        }
        Op::Merge { from, into } => {
            if from != into {
                if let Some(moved) = model.profiles.remove(from) {
                    let target = model.profiles.entry(*into).or_default();
                    // The survivor's traits win; the merged profile's other traits are added.
                    for (name, value) in moved.traits {
                        target.traits.entry(name).or_insert(value);
                    }
                    target.events.extend(moved.events);
                }
            }
            rt.merge_profiles(*from, *into, model.clock)
        }
        Op::Remove { profile } => {
            model.profiles.remove(profile);
            rt.remove_profile(*profile, model.clock)
        }
        Op::Reload { profile } => {
            let data = model.profiles.entry(*profile).or_default().clone();
            rt.load_profile(*profile, data, model.clock)
        }
        Op::Advance { by } => {
            model.clock += by;
            rt.advance(model.clock)
        }
        Op::ToWakeup { nudge } => {
            if let Some(wakeup) = rt.next_wakeup() {
                model.clock = model.clock.max(wakeup + nudge);
            }
            rt.advance(model.clock)
        }
        Op::Rewind { by } => {
            let changes = rt.advance(model.clock);
            let rewound = rt.advance(model.clock - by);
            prop_assert_eq!(
                rewound,
                vec![],
                "a clock reading from the past changed things"
            );
            changes
        }
    })
}

/// Everything checked across the steps of one case.
struct Replay {
    members: Vec<BTreeSet<u64>>,
    last_stamp: Millis,
}

impl Replay {
    fn apply(&mut self, changes: &[Change], clock: Millis) -> Result<(), TestCaseError> {
        for change in changes {
            prop_assert!(
                self.last_stamp <= change.at && change.at <= clock,
                "{change:?} out of order (previous {}, clock {clock})",
                self.last_stamp
            );
            self.last_stamp = change.at;
            let members = &mut self.members[change.segment];
            let alternates = match change.kind {
                ChangeKind::Enter => members.insert(change.profile),
                ChangeKind::Exit => members.remove(&change.profile),
            };
            prop_assert!(alternates, "{change:?} repeats the previous change");
        }
        Ok(())
    }
}

fn run(segments: Vec<Expr>, ops: Vec<(Millis, Op)>) -> Result<(), TestCaseError> {
    let named = segments
        .iter()
        .enumerate()
        .map(|(i, expr)| (format!("s{i}"), expr.clone()))
        .collect();
    let mut rt = Realtime::new(named);
    let mut model = Model {
        clock: base(),
        profiles: BTreeMap::new(),
    };
    prop_assert_eq!(rt.advance(model.clock), vec![]);
    let mut replay = Replay {
        members: vec![BTreeSet::new(); segments.len()],
        last_stamp: Millis::MIN,
    };
    for (step, (by, op)) in ops.iter().enumerate() {
        model.clock += by;
        let changes = apply(&mut rt, &mut model, op)?;
        replay.apply(&changes, model.clock)?;
        prop_assert_eq!(rt.clock(), model.clock);
        prop_assert_eq!(rt.profile_count(), model.profiles.len());
        for (key, data) in &model.profiles {
            // The real-time side keeps events sorted by time, equal times in arrival order.
            let mut sorted = data.clone();
            sorted.events.sort_by_key(|e| e.ts);
            prop_assert_eq!(rt.profile(*key), Some(&sorted), "profile {}", key);
        }
        if let Some(wakeup) = rt.next_wakeup() {
            prop_assert!(
                wakeup > model.clock,
                "step {}: {:?} left a due entry",
                step,
                (by, op)
            );
        }
        for (s, expr) in segments.iter().enumerate() {
            let got: Vec<u64> = rt.members(s).collect();
            prop_assert_eq!(
                &got,
                &model.members(expr),
                "segment {} `{}` at {} after step {}: {:?}",
                s,
                expr,
                model.clock,
                step,
                (by, op)
            );
            let replayed: Vec<u64> = replay.members[s].iter().copied().collect();
            prop_assert_eq!(&replayed, &got, "replayed changes of segment {}", s);
        }
        if step % 4 == 3 || step + 1 == ops.len() {
            for (s, found) in model.index_members(&segments).iter().enumerate() {
                let got: Vec<u64> = rt.members(s).collect();
                prop_assert_eq!(&got, found, "engine, segment {} `{}`", s, &segments[s]);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn realtime_agrees_with_batch(
        segments in prop::collection::vec(segment(), 2..=5),
        ops in prop::collection::vec(step(), 1..48),
    ) {
        run(segments, ops)?;
    }

    /// `next_change` directly: no probe instant before it sees a different value. Probes are
    /// every instant where some value could change (event times and time plus each duration
    /// used, and one millisecond either side) and the instant just before the answer.
    #[test]
    fn nothing_changes_before_next_change(
        expr in segment(),
        events in prop::collection::vec((prop::sample::select(generators::EVENT_NAMES), -20i64..20, generators::properties()), 0..10),
        traits in generators::traits(),
        at in -20i64..20,
    ) {
        let half_day = DAY_MS / 2;
        let profile = ProfileData {
            traits,
            events: events
                .into_iter()
                .map(|(name, t, properties)| EventData::new(name, base() + t * half_day, properties))
                .collect(),
        };
        let at = base() + at * half_day;
        let now = interpreter::eval(&expr, &profile, at);
        let next = next_change(&expr, &profile, at);
        if let Some(next) = next {
            prop_assert!(next > at);
        }
        let durations = durations(&expr);
        let probes = profile.events.iter().flat_map(|e| {
            durations.iter().flat_map(move |d| {
                let t = e.ts.saturating_add(*d);
                [t - 1, t, t.saturating_add(1)]
            })
        });
        for probe in probes.chain(next.map(|n| n - 1)) {
            if probe > at && next.is_none_or(|n| probe < n) {
                prop_assert_eq!(
                    interpreter::eval(&expr, &profile, probe),
                    now,
                    "`{}` changed at {} before next_change {:?} (at {})",
                    &expr,
                    probe,
                    next,
                    at
                );
            }
        }
    }
}

/// 0 and every window and recency duration in the segment.
fn durations(expr: &Expr) -> Vec<Millis> {
    let mut out = vec![0];
    expr.walk(&mut |e| {
        if let Some(tessera_lang::Window::Last(d)) = e.event_query().and_then(|q| q.window.as_ref())
        {
            out.push(d.millis());
        }
        if let Expr::Recency(cond) = e {
            out.push(cond.ago.millis());
        }
        if let Expr::Sequence(cond) = e {
            out.push(cond.within.millis());
            for query in [&cond.first, &cond.second] {
                if let Some(tessera_lang::Window::Last(d)) = &query.window {
                    out.push(d.millis());
                }
            }
        }
    });
    out
}
