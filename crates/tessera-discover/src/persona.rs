//! Personas: what sets a group of profiles (a segment or a cluster) apart from the population.
//!
//! Each feature of a [`FeatureMatrix`] is compared between the members and the rest of the
//! population (independent samples, so the tests are valid): the members' mean, the
//! population's mean, the lift (members' mean / population mean) and a two-sided p-value —
//! Welch's t-test for numeric columns, the pooled two-proportion z-test for 0/1 columns (see
//! [`crate::stats`]). Missing cells are left out per feature (no imputation here). A feature
//! is called significant below `alpha / number of features` (Bonferroni), so a persona with
//! 30 features does not find differences by chance.
//!
//! Behaviour comes from the events: purchase categories and products, channel, device,
//! purchase hour and weekday in each member's own time zone (the zone `local_hour` uses:
//! `tessera_engine::data::zone_name`, as of `at`; UTC for members without one, who are
//! counted), an RFM mix against the population's terciles, spend and average order value.

mod describe;

use std::collections::BTreeMap;

use rayon::prelude::*;
use roaring::RoaringBitmap;
use serde::Serialize;
use serde_json::Value;
use tessera_engine::Index;
use tessera_model::{local_time, Millis, TraitValue, DAY_MS, HOUR_MS};

use crate::error::{invalid, Result};
use crate::features::{ColumnKind, FeatureMatrix, Purchase};
use crate::profile::{number, profile};
use crate::stats::{two_proportion_z_test, welch_t_test, Summary, Test};

/// Where the behavioural facts are read from (defaults: the demo data's names).
#[derive(Debug, Clone, PartialEq)]
pub struct PersonaOptions {
    pub purchase: Purchase,
    /// Properties of the purchase event.
    pub category: String,
    pub product: String,
    pub channel: String,
    /// The event and property that carry the device.
    pub device_event: String,
    pub device: String,
    /// How many categories, products, channels and devices to list.
    pub top: usize,
    /// Family-wise significance level (divided by the number of features).
    pub alpha: f64,
}

impl Default for PersonaOptions {
    fn default() -> Self {
        PersonaOptions {
            purchase: Purchase::default(),
            category: "category".into(),
            product: "product_id".into(),
            channel: "channel".into(),
            device_event: "Product Viewed".into(),
            device: "device".into(),
            top: 5,
            alpha: 0.01,
        }
    }
}

/// A group of profiles described against the population.
#[derive(Debug, Clone, Serialize)]
pub struct Persona {
    pub size: u64,
    pub population: u64,
    pub share: f64,
    /// One sentence in plain words, from the strongest significant differences.
    pub description: String,
    pub features: Vec<FeatureStat>,
    pub top_categories: Vec<ValueShare>,
    pub top_products: Vec<ValueShare>,
    pub channels: Vec<ValueShare>,
    pub devices: Vec<ValueShare>,
    /// Members' purchases by local hour of the day and by local weekday (Monday first), each
    /// in the member's time zone (UTC for members without one).
    pub purchase_hours: Vec<u64>,
    pub purchase_weekdays: Vec<u64>,
    pub typical_hour: Option<u32>,
    pub typical_weekday: Option<&'static str>,
    /// Members' purchases counted in UTC because the member has no (known) time zone.
    pub purchases_in_utc: u64,
    pub rfm: RfmMix,
    pub buyers: u64,
    pub orders: u64,
    pub spend: f64,
    pub spend_per_member: f64,
    pub average_order_value: Option<f64>,
}

/// One feature, members against the population.
#[derive(Debug, Clone, Serialize)]
pub struct FeatureStat {
    pub name: String,
    pub label: String,
    pub kind: ColumnKind,
    pub mean: f64,
    pub population_mean: f64,
    /// `mean / population_mean`; `None` when the population mean is 0 or undefined.
    pub lift: Option<f64>,
    /// Members against the rest; `None` where the test is undefined (constant values, too few).
    pub test: Option<Test>,
    pub significant: bool,
}

/// A value's share among the members' events and among the population's, and their ratio.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValueShare {
    pub value: String,
    pub count: u64,
    pub share: f64,
    pub population_share: f64,
    pub lift: Option<f64>,
}

/// Members by RFM tier. Tiers cut the population's buyers at their terciles (a value at or
/// below the first tercile is low, at or below the second mid, else high); recency is days
/// since the last purchase, so its low tier is the most recent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RfmMix {
    pub non_buyers: f64,
    /// Shares of members in the recent / mid / lapsed recency tiers.
    pub recency: [f64; 3],
    /// Shares of members in the low / mid / high tiers.
    pub frequency: [f64; 3],
    pub monetary: [f64; 3],
}

/// What one profile contributes.
#[derive(Default)]
struct Facts {
    categories: BTreeMap<String, u64>,
    products: BTreeMap<String, u64>,
    channels: BTreeMap<String, u64>,
    devices: BTreeMap<String, u64>,
    hours: [u64; 24],
    weekdays: [u64; 7],
    /// Purchases counted in UTC (no time zone).
    in_utc: u64,
    orders: u64,
    spend: f64,
    last: Option<Millis>,
    age: Option<f64>,
}

pub use tessera_model::local_time::WEEKDAYS;

impl Persona {
    /// Describes `members` (ordinals of `index`) as of `at`. `features`, when given, must
    /// have been extracted from the same index (one row per ordinal).
    pub fn build(
        index: &Index,
        at: Millis,
        members: &RoaringBitmap,
        features: Option<&FeatureMatrix>,
        options: &PersonaOptions,
    ) -> Result<Persona> {
        let population = index.len() as u64;
        if let Some(f) = features {
            if f.ordinals.len() != index.len() {
                return Err(invalid(
                    "features",
                    "the feature matrix was extracted from another snapshot",
                ));
            }
        }
        if members.max().is_some_and(|m| m as usize >= index.len()) {
            return Err(invalid("members", "an ordinal is outside the index"));
        }
        let facts: Vec<Facts> = (0..index.len() as u32)
            .into_par_iter()
            .map(|ord| facts(index, ord, at, options))
            .collect();
        let size = members.len();
        let is_member = |ord: usize| members.contains(ord as u32);

        let feature_stats = match features {
            Some(f) => feature_stats(f, members, options.alpha),
            None => Vec::new(),
        };

        let shares = |pick: fn(&Facts) -> &BTreeMap<String, u64>| {
            value_shares(&facts, &is_member, pick, options.top)
        };
        let mut hours = [0u64; 24];
        let mut weekdays = [0u64; 7];
        let (mut orders, mut spend, mut buyers, mut in_utc) = (0u64, 0.0, 0u64, 0u64);
        for (_, f) in facts.iter().enumerate().filter(|(o, _)| is_member(*o)) {
            for (total, count) in hours.iter_mut().zip(f.hours) {
                *total += count;
            }
            for (total, count) in weekdays.iter_mut().zip(f.weekdays) {
                *total += count;
            }
            orders += f.orders;
            in_utc += f.in_utc;
            spend += f.spend;
            buyers += u64::from(f.orders > 0);
        }
        let mode = |counts: &[u64]| -> Option<usize> {
            let max = *counts.iter().max()?;
            (max > 0).then(|| counts.iter().position(|&c| c == max).unwrap_or(0))
        };
        let mut persona = Persona {
            size,
            population,
            share: if population == 0 {
                0.0
            } else {
                size as f64 / population as f64
            },
            description: String::new(),
            features: feature_stats,
            top_categories: shares(|f| &f.categories),
            top_products: shares(|f| &f.products),
            channels: shares(|f| &f.channels),
            devices: shares(|f| &f.devices),
            typical_hour: mode(&hours).map(|h| h as u32),
            typical_weekday: mode(&weekdays).map(|d| WEEKDAYS[d]),
            purchase_hours: hours.to_vec(),
            purchase_weekdays: weekdays.to_vec(),
            purchases_in_utc: in_utc,
            rfm: rfm_mix(&facts, &is_member, at),
            buyers,
            orders,
            spend,
            spend_per_member: if size == 0 { 0.0 } else { spend / size as f64 },
            average_order_value: (orders > 0).then(|| spend / orders as f64),
        };
        let ages: Vec<(bool, f64)> = facts
            .iter()
            .enumerate()
            .filter_map(|(o, f)| Some((is_member(o), f.age?)))
            .collect();
        persona.description = describe::describe(&persona, &ages);
        Ok(persona)
    }
}

fn facts(index: &Index, ord: u32, at: Millis, options: &PersonaOptions) -> Facts {
    let data = profile(index, ord, at);
    let zone = tessera_engine::data::zone_name(&data, at).and_then(local_time::zone);
    let mut f = Facts {
        age: match data.traits.get("age") {
            Some(TraitValue::Number(a)) => Some(*a),
            _ => None,
        },
        ..Facts::default()
    };
    let text = |v: Option<&Value>| -> Option<String> {
        match v? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    for e in &data.events {
        if e.name == options.purchase.event {
            f.orders += 1;
            f.spend += number(e, &options.purchase.value).unwrap_or(0.0);
            f.last = Some(e.ts);
            let (hour, weekday) = match zone.and_then(|z| local_time::hour_and_weekday(z, e.ts)) {
                Some((hour, weekday)) => (hour as usize, weekday),
                None => {
                    f.in_utc += 1;
                    // 1970-01-01 was a Thursday (index 3 with Monday first).
                    let hour = e.ts.rem_euclid(DAY_MS) / HOUR_MS;
                    let weekday = (e.ts.div_euclid(DAY_MS) + 3).rem_euclid(7);
                    (hour as usize, weekday as usize)
                }
            };
            f.hours[hour] += 1;
            f.weekdays[weekday] += 1;
            for (key, map) in [
                (&options.category, &mut f.categories),
                (&options.product, &mut f.products),
                (&options.channel, &mut f.channels),
            ] {
                if let Some(v) = text(e.property(key)) {
                    *map.entry(v).or_insert(0) += 1;
                }
            }
        }
        if e.name == options.device_event {
            if let Some(v) = text(e.property(&options.device)) {
                *f.devices.entry(v).or_insert(0) += 1;
            }
        }
    }
    f
}

fn value_shares(
    facts: &[Facts],
    is_member: &impl Fn(usize) -> bool,
    pick: fn(&Facts) -> &BTreeMap<String, u64>,
    top: usize,
) -> Vec<ValueShare> {
    let mut members: BTreeMap<&str, u64> = BTreeMap::new();
    let mut all: BTreeMap<&str, u64> = BTreeMap::new();
    for (ord, f) in facts.iter().enumerate() {
        let member = is_member(ord);
        for (value, count) in pick(f) {
            *all.entry(value).or_insert(0) += count;
            if member {
                *members.entry(value).or_insert(0) += count;
            }
        }
    }
    let member_total: u64 = members.values().sum();
    let total: u64 = all.values().sum();
    let mut shares: Vec<ValueShare> = members
        .iter()
        .map(|(value, &count)| {
            let share = count as f64 / member_total as f64;
            let population_share = all[value] as f64 / total as f64;
            ValueShare {
                value: value.to_string(),
                count,
                share,
                population_share,
                lift: (population_share > 0.0).then(|| share / population_share),
            }
        })
        .collect();
    shares.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
    shares.truncate(top);
    shares
}

fn feature_stats(matrix: &FeatureMatrix, members: &RoaringBitmap, alpha: f64) -> Vec<FeatureStat> {
    let columns = matrix.columns.len().max(1);
    matrix
        .columns
        .iter()
        .enumerate()
        .map(|(c, column)| {
            let column_values = matrix.data.column(c);
            let values = || matrix.ordinals.iter().zip(column_values.iter());
            let inside = Summary::of(
                values()
                    .filter(|(o, _)| members.contains(**o))
                    .map(|(_, v)| *v),
            );
            let rest = Summary::of(
                values()
                    .filter(|(o, _)| !members.contains(**o))
                    .map(|(_, v)| *v),
            );
            let population = Summary::of(column_values.iter().copied());
            let test = match column.kind {
                ColumnKind::Numeric => welch_t_test(inside, rest),
                ColumnKind::Binary => two_proportion_z_test(
                    inside.mean * inside.n,
                    inside.n,
                    rest.mean * rest.n,
                    rest.n,
                ),
            };
            FeatureStat {
                name: column.name.clone(),
                label: column.label.clone(),
                kind: column.kind,
                mean: inside.mean,
                population_mean: population.mean,
                lift: (population.mean != 0.0
                    && population.mean.is_finite()
                    && inside.mean.is_finite())
                .then(|| inside.mean / population.mean),
                significant: test.is_some_and(|t| t.p_value < alpha / columns as f64),
                test,
            }
        })
        .collect()
}

fn rfm_mix(facts: &[Facts], is_member: &impl Fn(usize) -> bool, at: Millis) -> RfmMix {
    let rfm = |f: &Facts| -> Option<[f64; 3]> {
        Some([
            (at - f.last?) as f64 / DAY_MS as f64,
            f.orders as f64,
            f.spend,
        ])
    };
    let buyers: Vec<[f64; 3]> = facts.iter().filter_map(rfm).collect();
    let cuts: Vec<(f64, f64)> = (0..3)
        .map(|d| {
            let mut values: Vec<f64> = buyers.iter().map(|v| v[d]).collect();
            values.sort_by(f64::total_cmp);
            (tercile(&values, 1), tercile(&values, 2))
        })
        .collect();
    let mut mix = RfmMix::default();
    let mut members = 0.0;
    for (_, f) in facts.iter().enumerate().filter(|(o, _)| is_member(*o)) {
        members += 1.0;
        let Some(values) = rfm(f) else {
            mix.non_buyers += 1.0;
            continue;
        };
        for (d, tiers) in [&mut mix.recency, &mut mix.frequency, &mut mix.monetary]
            .into_iter()
            .enumerate()
        {
            let (low, mid) = cuts[d];
            let tier = if values[d] <= low {
                0
            } else if values[d] <= mid {
                1
            } else {
                2
            };
            tiers[tier] += 1.0;
        }
    }
    if members > 0.0 {
        mix.non_buyers /= members;
        for tiers in [&mut mix.recency, &mut mix.frequency, &mut mix.monetary] {
            for t in tiers.iter_mut() {
                *t /= members;
            }
        }
    }
    mix
}

/// The `k`/3 quantile of sorted values by the nearest-rank method.
fn tercile(sorted: &[f64], k: usize) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (k * sorted.len()).div_ceil(3);
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terciles_by_nearest_rank() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(tercile(&v, 1), 2.0);
        assert_eq!(tercile(&v, 2), 4.0);
        assert_eq!(tercile(&[7.0], 1), 7.0);
        assert!(tercile(&[], 1).is_nan());
    }

    #[test]
    fn weekdays_start_on_monday_in_utc() {
        // 2026-11-02T12:30:00Z is a Monday.
        let monday = tessera_model::parse_timestamp("2026-11-02T12:30:00Z").unwrap();
        assert_eq!((monday.div_euclid(DAY_MS) + 3).rem_euclid(7), 0);
        assert_eq!(monday.rem_euclid(DAY_MS) / HOUR_MS, 12);
    }
}
