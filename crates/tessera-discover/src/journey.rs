//! Journeys: the event paths that lead a segment's members to a goal event.
//!
//! Definitions (each member's events up to `at`, in time order):
//! - A **conversion** is every occurrence of the goal event. Its **path** is the events since
//!   the member's previous conversion (or the start of the history), with consecutive repeats
//!   of one event name collapsed into one step (unless `collapse_repeats` is off; a collapsed
//!   step takes the time of its last repeat), cut to the last `steps` events, then the goal.
//!   Paths can be shorter when there was less history.
//! - **Transitions** (Sankey data) count, over all paths, each consecutive pair of steps at
//!   its position relative to the goal (position 0 is the goal, −1 the step before it, …),
//!   with the median time between the two.
//! - The **funnel** is the most common path (or the steps given): for every member, the
//!   steps are matched in order (the first occurrence of step 1, then the first occurrence of
//!   step 2 after it, …); `reached` counts members that got to each step, `drop_off` those who
//!   reached the step before but not this one, with the median time from the previous step.

use std::collections::BTreeMap;

use rayon::prelude::*;
use roaring::RoaringBitmap;
use serde::Serialize;
use tessera_engine::Index;
use tessera_model::Millis;

use crate::error::{invalid, Result};
use crate::profile::profile;

/// What to trace.
#[derive(Debug, Clone, PartialEq)]
pub struct JourneyOptions {
    pub goal: String,
    /// Steps before the goal in each path (1 to 10).
    pub steps: usize,
    /// How many of the most common paths to report.
    pub top: usize,
    pub collapse_repeats: bool,
    /// Funnel steps (ending anywhere); default: the most common path.
    pub funnel: Option<Vec<String>>,
}

impl JourneyOptions {
    pub fn new(goal: &str) -> Self {
        JourneyOptions {
            goal: goal.to_string(),
            steps: 3,
            top: 10,
            collapse_repeats: true,
            funnel: None,
        }
    }
}

/// The journeys of a group of profiles to a goal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Journeys {
    pub goal: String,
    pub steps: usize,
    pub members: u64,
    /// Members with at least one conversion.
    pub converters: u64,
    pub conversions: u64,
    /// The most common paths, oldest step first, each ending with the goal.
    pub paths: Vec<PathCount>,
    pub transitions: Vec<Transition>,
    pub funnel: Vec<FunnelStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathCount {
    pub steps: Vec<String>,
    pub count: u64,
    /// Of all conversions.
    pub share: f64,
}

/// Paths going from `from` at position `position − 1` to `to` at `position` (≤ 0).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition {
    pub position: i32,
    pub from: String,
    pub to: String,
    pub count: u64,
    pub median_ms: Millis,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunnelStep {
    pub event: String,
    pub reached: u64,
    pub drop_off: u64,
    /// `drop_off` over the members who reached the previous step (or all members).
    pub drop_off_rate: f64,
    pub median_ms_from_previous: Option<Millis>,
}

/// One member's conversions: each path as (event name, time), ending with the goal.
type Paths = Vec<Vec<(String, Millis)>>;

impl Journeys {
    /// Traces `members` (ordinals of `index`) as of `at`.
    pub fn build(
        index: &Index,
        at: Millis,
        members: &RoaringBitmap,
        options: &JourneyOptions,
    ) -> Result<Journeys> {
        if !(1..=10).contains(&options.steps) {
            return Err(invalid("steps", "must be between 1 and 10"));
        }
        if options.goal.is_empty() {
            return Err(invalid("goal", "must name an event"));
        }
        if !index.is_empty() && !index.event_names().any(|e| e == options.goal) {
            let names: Vec<&str> = index.event_names().collect();
            return Err(invalid(
                "goal",
                format!(
                    "no event is named `{}` in the data (events: {})",
                    options.goal,
                    names.join(", ")
                ),
            ));
        }
        let ordinals: Vec<u32> = members.iter().collect();
        let histories: Vec<Vec<(String, Millis)>> = ordinals
            .par_iter()
            .map(|&ord| {
                profile(index, ord, at)
                    .events
                    .into_iter()
                    .map(|e| (e.name, e.ts))
                    .collect()
            })
            .collect();
        let paths: Vec<Paths> = histories.iter().map(|h| paths_of(h, options)).collect();

        let conversions: u64 = paths.iter().map(|p| p.len() as u64).sum();
        let converters = paths.iter().filter(|p| !p.is_empty()).count() as u64;
        let mut counts: BTreeMap<Vec<&str>, u64> = BTreeMap::new();
        let mut links: BTreeMap<(i32, &str, &str), Vec<Millis>> = BTreeMap::new();
        for path in paths.iter().flatten() {
            *counts
                .entry(path.iter().map(|(n, _)| n.as_str()).collect())
                .or_insert(0) += 1;
            let last = path.len() as i32 - 1;
            for (i, pair) in path.windows(2).enumerate() {
                let position = i as i32 + 1 - last;
                links
                    .entry((position, pair[0].0.as_str(), pair[1].0.as_str()))
                    .or_default()
                    .push(pair[1].1 - pair[0].1);
            }
        }
        let mut ranked: Vec<(Vec<&str>, u64)> = counts.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let funnel_steps: Vec<String> = match &options.funnel {
            Some(steps) => steps.clone(),
            None => ranked
                .first()
                .map(|(p, _)| p.iter().map(|s| s.to_string()).collect())
                .unwrap_or_default(),
        };
        let paths_out = ranked
            .iter()
            .take(options.top)
            .map(|(steps, count)| PathCount {
                steps: steps.iter().map(|s| s.to_string()).collect(),
                count: *count,
                share: *count as f64 / conversions as f64,
            })
            .collect();
        let transitions = links
            .into_iter()
            .map(|((position, from, to), mut times)| Transition {
                position,
                from: from.to_string(),
                to: to.to_string(),
                count: times.len() as u64,
                median_ms: median(&mut times).unwrap_or(0),
            })
            .collect();
        Ok(Journeys {
            goal: options.goal.clone(),
            steps: options.steps,
            members: ordinals.len() as u64,
            converters,
            conversions,
            paths: paths_out,
            transitions,
            funnel: funnel(&histories, &funnel_steps),
        })
    }
}

/// Every conversion's path in one member's history.
fn paths_of(history: &[(String, Millis)], options: &JourneyOptions) -> Paths {
    let mut out = Vec::new();
    let mut since: Vec<(String, Millis)> = Vec::new();
    for (name, ts) in history {
        if *name == options.goal {
            let start = since.len().saturating_sub(options.steps);
            let mut path = since[start..].to_vec();
            path.push((name.clone(), *ts));
            out.push(path);
            since.clear();
        } else if options.collapse_repeats && since.last().is_some_and(|(n, _)| n == name) {
            since.last_mut().expect("checked").1 = *ts;
        } else {
            since.push((name.clone(), *ts));
        }
    }
    out
}

fn funnel(histories: &[Vec<(String, Millis)>], steps: &[String]) -> Vec<FunnelStep> {
    let mut reached = vec![0u64; steps.len()];
    let mut times: Vec<Vec<Millis>> = vec![Vec::new(); steps.len()];
    for history in histories {
        let mut from = 0;
        let mut previous: Option<Millis> = None;
        for (s, step) in steps.iter().enumerate() {
            let Some(found) = history[from..].iter().position(|(n, _)| n == step) else {
                break;
            };
            let ts = history[from + found].1;
            reached[s] += 1;
            if let Some(p) = previous {
                times[s].push(ts - p);
            }
            previous = Some(ts);
            from += found + 1;
        }
    }
    let mut before = histories.len() as u64;
    steps
        .iter()
        .enumerate()
        .map(|(s, event)| {
            let drop_off = before - reached[s];
            let step = FunnelStep {
                event: event.clone(),
                reached: reached[s],
                drop_off,
                drop_off_rate: if before == 0 {
                    0.0
                } else {
                    drop_off as f64 / before as f64
                },
                median_ms_from_previous: median(&mut times[s]),
            };
            before = reached[s];
            step
        })
        .collect()
}

/// The median (the mean of the two middle values for an even count, rounded down).
fn median(values: &mut [Millis]) -> Option<Millis> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]).div_euclid(2)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(events: &[(&str, Millis)]) -> Vec<(String, Millis)> {
        events.iter().map(|(n, t)| (n.to_string(), *t)).collect()
    }

    #[test]
    fn paths_restart_after_each_conversion_and_collapse_repeats() {
        let h = history(&[
            ("View", 1),
            ("View", 2),
            ("Cart", 3),
            ("Buy", 4),
            ("Email", 5),
            ("Buy", 6),
        ]);
        let mut options = JourneyOptions::new("Buy");
        options.steps = 2;
        let paths = paths_of(&h, &options);
        assert_eq!(
            paths,
            vec![
                history(&[("View", 2), ("Cart", 3), ("Buy", 4)]),
                history(&[("Email", 5), ("Buy", 6)]),
            ]
        );
        options.collapse_repeats = false;
        options.steps = 3;
        assert_eq!(
            paths_of(&h, &options)[0],
            history(&[("View", 1), ("View", 2), ("Cart", 3), ("Buy", 4)])
        );
    }

    #[test]
    fn medians() {
        assert_eq!(median(&mut [3, 1, 2]), Some(2));
        assert_eq!(median(&mut [4, 1, 2, 3]), Some(2));
        assert_eq!(median(&mut []), None);
    }
}
