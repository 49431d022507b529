//! Computing a feature set over every profile of an index: one pass over each profile's
//! events (in parallel, row by row, so the result does not depend on the thread count), then
//! the population's top values for `top = N` groups.

use std::collections::BTreeMap;

use ndarray::Array2;
use rayon::prelude::*;
use serde_json::Value;
use tessera_cluster::scale::{Scaled, Scaler};
use tessera_engine::{EventData, Index, ProfileData};
use tessera_model::{Millis, TraitType, TraitValue, DAY_MS};

use super::{Feature, FeatureKind, FeatureSet, Values};
use crate::error::{invalid, Result};
use crate::profile::{in_window, number, profile};

/// How a column is tested in personas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// Any number: Welch's t-test.
    Numeric,
    /// 0 or 1 (one-hot): two-proportion z-test.
    Binary,
}

/// One column of a feature matrix.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Column {
    pub name: String,
    pub label: String,
    pub kind: ColumnKind,
}

/// Raw feature values: one row per profile (`ordinals[row]`), NaN where a value is missing
/// and the feature has no `fill`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMatrix {
    pub set: FeatureSet,
    pub at: Millis,
    pub columns: Vec<Column>,
    pub ordinals: Vec<u32>,
    pub data: Array2<f64>,
}

impl FeatureMatrix {
    /// Imputes or drops missing cells and scales the columns as the set says. The scaled
    /// rows' `rows` give the matrix rows they came from.
    pub fn scaled(&self) -> Result<(Scaler, Scaled)> {
        Ok(Scaler::fit_transform(
            self.data.view(),
            self.set.scaling,
            self.set.missing,
        )?)
    }

    /// The column index of a name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// What one feature gives for one profile before the population's top values are known.
enum Cell {
    Value(f64),
    /// Counts per value and the total they are shares of.
    Counts(BTreeMap<String, f64>, f64),
}

/// Extracts `set` for every profile of `index` as of `at` (events after `at` are ignored).
pub fn extract(index: &Index, at: Millis, set: &FeatureSet) -> Result<FeatureMatrix> {
    check_names(index, set)?;
    let n = index.len();
    let cells: Vec<Vec<Cell>> = (0..n as u32)
        .into_par_iter()
        .map(|ord| {
            let data = profile(index, ord, at);
            set.features
                .iter()
                .map(|f| cell(f, &data, set, at))
                .collect()
        })
        .collect();
    let mut columns = Vec::new();
    // For each feature, the values that got a column (empty for single columns).
    let mut groups: Vec<Vec<String>> = Vec::new();
    for (i, feature) in set.features.iter().enumerate() {
        let values = match &feature.kind {
            FeatureKind::Share { values, .. } | FeatureKind::OneHot { values, .. } => {
                resolve_values(values, cells.iter().map(|row| &row[i]))
            }
            _ => {
                columns.push(Column {
                    name: feature.name.clone(),
                    label: feature.label.clone(),
                    kind: ColumnKind::Numeric,
                });
                groups.push(Vec::new());
                continue;
            }
        };
        let binary = matches!(feature.kind, FeatureKind::OneHot { .. });
        for value in &values {
            columns.push(Column {
                name: format!("{}={value}", feature.name),
                label: if binary {
                    format!("{} {value}", feature.label)
                } else {
                    format!("{value} share of {}", feature.label)
                },
                kind: if binary {
                    ColumnKind::Binary
                } else {
                    ColumnKind::Numeric
                },
            });
        }
        groups.push(values);
    }
    let mut data = Array2::from_elem((n, columns.len()), f64::NAN);
    for (row, profile_cells) in cells.iter().enumerate() {
        let mut col = 0;
        for ((feature, cell), values) in set.features.iter().zip(profile_cells).zip(&groups) {
            let missing = feature.fill.unwrap_or(f64::NAN);
            match cell {
                Cell::Value(v) => {
                    data[[row, col]] = if v.is_nan() { missing } else { *v };
                    col += 1;
                }
                Cell::Counts(counts, total) => {
                    for value in values {
                        let count = counts.get(value).copied().unwrap_or(0.0);
                        data[[row, col]] = if matches!(feature.kind, FeatureKind::OneHot { .. }) {
                            // A missing trait is none of the values: all zeros.
                            f64::from(u8::from(count > 0.0))
                        } else if *total > 0.0 {
                            count / total
                        } else {
                            missing
                        };
                        col += 1;
                    }
                }
            }
        }
    }
    Ok(FeatureMatrix {
        set: set.clone(),
        at,
        columns,
        ordinals: (0..n as u32).collect(),
        data,
    })
}

/// Refuses event and trait names the data has never seen (almost always a typo), and traits
/// of a type the kind cannot read.
fn check_names(index: &Index, set: &FeatureSet) -> Result<()> {
    let events: Vec<&str> = index.event_names().collect();
    let known_event = |name: &str, feature: &Feature| {
        if events.contains(&name) || index.is_empty() {
            Ok(())
        } else {
            Err(invalid(
                "feature set",
                format!(
                    "feature `{}`: no event is named `{name}` in the data (events: {})",
                    feature.name,
                    events.join(", ")
                ),
            ))
        }
    };
    for feature in &set.features {
        match &feature.kind {
            FeatureKind::Recency
            | FeatureKind::Frequency { .. }
            | FeatureKind::Monetary { .. }
            | FeatureKind::AverageOrderValue { .. } => known_event(&set.purchase.event, feature)?,
            FeatureKind::Count { event, .. } | FeatureKind::Share { event, .. } => {
                known_event(event, feature)?
            }
            FeatureKind::Sessions { events, .. } => {
                for e in events {
                    known_event(e, feature)?;
                }
            }
            FeatureKind::Trait { name } | FeatureKind::OneHot { name, .. } => {
                let types = index.trait_types(name);
                if types.is_empty() && !index.is_empty() {
                    let traits: Vec<&str> = index.trait_names().collect();
                    return Err(invalid(
                        "feature set",
                        format!(
                            "feature `{}`: no profile has a trait `{name}` (traits: {})",
                            feature.name,
                            traits.join(", ")
                        ),
                    ));
                }
                let numeric = |t: &TraitType| {
                    matches!(
                        t,
                        TraitType::Number | TraitType::Bool | TraitType::Timestamp
                    )
                };
                let textual =
                    |t: &TraitType| matches!(t, TraitType::String | TraitType::StringList);
                let one_hot = matches!(feature.kind, FeatureKind::OneHot { .. });
                if let Some(bad) =
                    types
                        .iter()
                        .find(|t| if one_hot { !textual(t) } else { !numeric(t) })
                {
                    let fix = if one_hot {
                        "use kind = \"trait\" for numbers, bools and timestamps"
                    } else {
                        "use kind = \"one_hot\" for strings and lists"
                    };
                    return Err(invalid(
                        "feature set",
                        format!(
                            "feature `{}`: trait `{name}` holds {bad} values; {fix}",
                            feature.name
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

fn cell(feature: &Feature, data: &ProfileData, set: &FeatureSet, at: Millis) -> Cell {
    let purchases = || data.events.iter().filter(|e| e.name == set.purchase.event);
    let windowed =
        |window: Option<Millis>| purchases().filter(move |e| in_window(e.ts, at, window));
    match &feature.kind {
        FeatureKind::Recency => Cell::Value(
            purchases()
                .map(|e| e.ts)
                .max()
                .map_or(f64::NAN, |last| (at - last) as f64 / DAY_MS as f64),
        ),
        FeatureKind::Frequency { window } => Cell::Value(windowed(*window).count() as f64),
        FeatureKind::Monetary { window } => Cell::Value(
            windowed(*window)
                .filter_map(|e| number(e, &set.purchase.value))
                .sum(),
        ),
        FeatureKind::AverageOrderValue { window } => {
            let orders = windowed(*window).count();
            let spend: f64 = windowed(*window)
                .filter_map(|e| number(e, &set.purchase.value))
                .sum();
            Cell::Value(if orders == 0 {
                f64::NAN
            } else {
                spend / orders as f64
            })
        }
        FeatureKind::Count { event, window } => Cell::Value(
            data.events
                .iter()
                .filter(|e| &e.name == event && in_window(e.ts, at, *window))
                .count() as f64,
        ),
        FeatureKind::Sessions {
            events,
            gap,
            window,
        } => {
            let times = data.events.iter().filter(|e| {
                (events.is_empty() || events.contains(&e.name)) && in_window(e.ts, at, *window)
            });
            Cell::Value(sessions(times, *gap) as f64)
        }
        FeatureKind::Share {
            event,
            property,
            window,
            ..
        } => {
            let mut counts = BTreeMap::new();
            let mut total = 0.0;
            for e in data
                .events
                .iter()
                .filter(|e| &e.name == event && in_window(e.ts, at, *window))
            {
                total += 1.0;
                if let Some(value) = text(e, property) {
                    *counts.entry(value).or_insert(0.0) += 1.0;
                }
            }
            Cell::Counts(counts, total)
        }
        FeatureKind::Trait { name } => Cell::Value(match data.traits.get(name) {
            Some(TraitValue::Number(x)) => *x,
            Some(TraitValue::Bool(b)) => f64::from(u8::from(*b)),
            Some(TraitValue::Timestamp(t)) => (at - t) as f64 / DAY_MS as f64,
            _ => f64::NAN,
        }),
        FeatureKind::OneHot { name, .. } => {
            let mut counts = BTreeMap::new();
            match data.traits.get(name) {
                Some(TraitValue::String(s)) => {
                    counts.insert(s.clone(), 1.0);
                }
                Some(TraitValue::StringList(list)) => {
                    for s in list {
                        counts.insert(s.clone(), 1.0);
                    }
                }
                _ => {}
            }
            Cell::Counts(counts, 1.0)
        }
    }
}

/// Runs of events (in time order) with no gap longer than `gap`.
fn sessions<'a>(events: impl Iterator<Item = &'a EventData>, gap: Millis) -> usize {
    let mut count = 0;
    let mut last: Option<Millis> = None;
    for e in events {
        if last.is_none_or(|l| e.ts - l > gap) {
            count += 1;
        }
        last = Some(e.ts);
    }
    count
}

/// A string (or number, as text) property.
fn text(e: &EventData, property: &str) -> Option<String> {
    match e.property(property)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The listed values, or the population's most frequent ones (by summed counts; ties by name).
fn resolve_values<'a>(values: &Values, cells: impl Iterator<Item = &'a Cell>) -> Vec<String> {
    match values {
        Values::Listed(list) => list.clone(),
        Values::Top(n) => {
            let mut totals: BTreeMap<&str, f64> = BTreeMap::new();
            for cell in cells {
                if let Cell::Counts(counts, _) = cell {
                    for (value, count) in counts {
                        *totals.entry(value.as_str()).or_insert(0.0) += count;
                    }
                }
            }
            let mut ranked: Vec<(&str, f64)> = totals.into_iter().collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
            ranked
                .into_iter()
                .take(*n)
                .map(|(v, _)| v.to_string())
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sessions_split_at_gaps_longer_than_the_limit() {
        let e = |ts| EventData::new("x", ts, serde_json::Map::new());
        let events = [e(0), e(10), e(41), e(100), e(130)];
        assert_eq!(sessions(events.iter(), 30), 3);
        assert_eq!(sessions(events.iter(), 31), 2);
        assert_eq!(sessions([].iter(), 30), 0);
    }

    #[test]
    fn top_values_rank_by_count_then_name() {
        let cells = [
            Cell::Counts(BTreeMap::from([("b".into(), 2.0), ("a".into(), 1.0)]), 3.0),
            Cell::Counts(BTreeMap::from([("a".into(), 1.0), ("c".into(), 1.0)]), 2.0),
            Cell::Value(1.0),
        ];
        assert_eq!(resolve_values(&Values::Top(2), cells.iter()), ["a", "b"]);
        let props = json!({"n": 3}).as_object().cloned().unwrap();
        assert_eq!(
            text(&EventData::new("x", 0, props), "n").as_deref(),
            Some("3")
        );
    }
}
