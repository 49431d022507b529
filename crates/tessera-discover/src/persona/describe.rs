//! The persona's one sentence, built from its strongest differences with fixed rules (no
//! language model): who they mostly are, their device, what and when they buy, then the
//! largest significant lifts.
//!
//! - "Mostly V": the 0/1 column with the highest members' share, if at least half the
//!   members have it and it is significant with a lift above 1.
//! - an age band (18–24, 25–34, …): the members' most common band when it holds at least 35 %
//!   of them and at least 1.2× its population share.
//! - "D-first": a device with at least 60 % of the members' device events.
//! - "buys C": the members' top purchase category if its lift is at least 1.2; "at lunchtime"
//!   and the like from the typical purchase hour (members' local time).
//! - then the two numeric features with the largest significant |log lift| not already said,
//!   as "N× the average LABEL".

use super::{FeatureStat, Persona};
use crate::features::ColumnKind;

const BANDS: [(f64, f64, &str); 6] = [
    (0.0, 25.0, "under 25"),
    (25.0, 35.0, "25–34"),
    (35.0, 45.0, "35–44"),
    (45.0, 55.0, "45–54"),
    (55.0, 65.0, "55–64"),
    (65.0, f64::INFINITY, "65+"),
];

pub(super) fn describe(p: &Persona, ages: &[(bool, f64)]) -> String {
    if p.size == 0 {
        return "Empty: no profile is in this group.".into();
    }
    let mut who: Vec<String> = Vec::new();
    let mostly = p
        .features
        .iter()
        .filter(|f| {
            f.kind == ColumnKind::Binary
                && f.significant
                && f.mean >= 0.5
                && f.lift.is_some_and(|l| l > 1.0)
        })
        .max_by(|a, b| a.mean.total_cmp(&b.mean));
    if let Some(f) = mostly {
        who.push(value_of(f).to_string());
    }
    if let Some(band) = age_band(ages) {
        who.push(band.to_string());
    }
    let mut parts: Vec<String> = Vec::new();
    if !who.is_empty() {
        parts.push(format!("mostly {}", who.join(" ")));
    }
    if let Some(d) = p.devices.first().filter(|d| d.share >= 0.6) {
        parts.push(format!("{}-first", d.value));
    }
    let when = p.typical_hour.map(time_of_day);
    match (p.top_categories.first(), when) {
        (Some(c), Some(when)) if c.lift.is_some_and(|l| l >= 1.2) => {
            parts.push(format!("buys {} {when}", c.value))
        }
        (Some(c), None) if c.lift.is_some_and(|l| l >= 1.2) => {
            parts.push(format!("buys {}", c.value))
        }
        (_, Some(when)) => parts.push(format!("buys {when}")),
        _ => parts.push("has not bought".into()),
    }
    let mut lifts: Vec<&FeatureStat> = p
        .features
        .iter()
        .filter(|f| {
            f.kind == ColumnKind::Numeric
                && f.significant
                && f.lift
                    .is_some_and(|l| l > 0.0 && (l.ln()).abs() >= 0.2_f64.ln_1p())
                && !f.name.contains('=')
        })
        .collect();
    lifts.sort_by(|a, b| {
        let strength = |f: &FeatureStat| f.lift.map_or(0.0, |l| l.ln().abs());
        strength(b)
            .total_cmp(&strength(a))
            .then(a.name.cmp(&b.name))
    });
    let said: Vec<String> = lifts
        .iter()
        .take(2)
        .map(|f| format!("{:.1}× the average {}", f.lift.unwrap_or(1.0), f.label))
        .collect();
    let mut sentence = parts.join(", ");
    if !said.is_empty() {
        sentence.push_str("; ");
        sentence.push_str(&said.join(", "));
    }
    let mut chars = sentence.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => sentence,
    }
}

/// `city_tier=urban` → `urban`.
fn value_of(f: &FeatureStat) -> &str {
    f.name.split_once('=').map_or(f.name.as_str(), |(_, v)| v)
}

fn age_band(ages: &[(bool, f64)]) -> Option<&'static str> {
    let band = |age: f64| BANDS.iter().position(|(lo, hi, _)| age >= *lo && age < *hi);
    let mut members = [0.0; 6];
    let mut all = [0.0; 6];
    for &(member, age) in ages {
        if let Some(b) = band(age) {
            all[b] += 1.0;
            if member {
                members[b] += 1.0;
            }
        }
    }
    let (m_total, total): (f64, f64) = (members.iter().sum(), all.iter().sum());
    if m_total == 0.0 {
        return None;
    }
    let best = (0..6).max_by(|&a, &b| members[a].total_cmp(&members[b]))?;
    let share = members[best] / m_total;
    let population_share = all[best] / total;
    (share >= 0.35 && share >= 1.2 * population_share).then_some(BANDS[best].2)
}

fn time_of_day(hour: u32) -> &'static str {
    match hour {
        5..=10 => "in the morning",
        11..=13 => "at lunchtime",
        14..=17 => "in the afternoon",
        18..=22 => "in the evening",
        _ => "at night",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_bands_need_a_clear_majority_and_a_lift() {
        let mut ages = vec![(true, 30.0), (true, 31.0), (true, 50.0)];
        ages.extend((0..20).map(|i| (false, 40.0 + i as f64)));
        assert_eq!(age_band(&ages), Some("25–34"));
        let even = vec![(true, 30.0), (true, 50.0), (false, 30.0), (false, 50.0)];
        assert_eq!(age_band(&even), None);
        assert_eq!(time_of_day(12), "at lunchtime");
        assert_eq!(time_of_day(2), "at night");
    }
}
