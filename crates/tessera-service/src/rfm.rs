//! The built-in RFM traits: recency, frequency and monetary quintile scores and the named
//! group they put a customer in.
//!
//! Over the purchases (the `[rfm]` event) with `at - window < ts <= at`, per profile:
//! recency = time of the last purchase, frequency = number of purchases, monetary = sum of the
//! value property (non-numbers skipped). Only profiles with at least one purchase in the window
//! are scored. Each measure is turned into a score 1–5 by quintile of rank — profiles sorted by
//! (measure, profile id) ascending, score = ⌊5·i/n⌋ + 1 for the i-th (0-based) of n, as
//! `dplyr::ntile` and `pandas.qcut(x.rank(method="first"), 5)` do — so ties are split by profile
//! id and every score holds a fifth of the customers. A later last purchase, more purchases and
//! more spend all score higher. The group is the first row of [`GROUPS`] whose bounds contain
//! the three scores ("Others" if none does).
//!
//! Scores depend on the whole population, so they are computed where the population is known:
//! the snapshot (batch evaluation), the server's real-time state, and `explain`.

use std::collections::HashMap;

use serde_json::{Map, Value};
use tessera_lang::{Catalog, Expr, TraitType};
use tessera_model::{Millis, TraitValue, DAY_MS};
use tessera_store::RfmSection;

/// Traits this module provides, with their types.
pub const RFM_TRAITS: [(&str, TraitType); 7] = [
    ("rfm.r", TraitType::Number),
    ("rfm.f", TraitType::Number),
    ("rfm.m", TraitType::Number),
    ("rfm.segment", TraitType::String),
    ("rfm.recency_days", TraitType::Number),
    ("rfm.frequency", TraitType::Number),
    ("rfm.monetary", TraitType::Number),
];

/// Named groups by score bounds (inclusive) for R, F and M; the first match wins. The bounds
/// follow the usual RFM grid (e.g. the R `rfm` package's example), ordered so that every
/// group is reachable: narrower groups come before the wider ones that contain them.
pub const GROUPS: [(&str, [(u8, u8); 3]); 11] = [
    ("Champions", [(4, 5), (4, 5), (4, 5)]),
    ("Can't Lose Them", [(1, 1), (4, 5), (4, 5)]),
    ("Loyal Customers", [(2, 5), (3, 5), (3, 5)]),
    ("Need Attention", [(2, 3), (2, 3), (2, 3)]),
    ("At Risk", [(1, 2), (2, 5), (2, 5)]),
    ("New Customers", [(4, 5), (1, 1), (1, 1)]),
    ("Promising", [(3, 4), (1, 1), (1, 1)]),
    ("Potential Loyalists", [(3, 5), (1, 3), (1, 3)]),
    ("About to Sleep", [(2, 3), (1, 2), (1, 2)]),
    ("Lost", [(1, 1), (1, 1), (1, 1)]),
    ("Hibernating", [(1, 2), (1, 2), (1, 2)]),
];

/// The group of a score triple.
pub fn group(r: u8, f: u8, m: u8) -> &'static str {
    GROUPS
        .iter()
        .find(|(_, bounds)| {
            [r, f, m]
                .iter()
                .zip(bounds)
                .all(|(score, (low, high))| low <= score && score <= high)
        })
        .map_or("Others", |(name, _)| name)
}

/// Whether a condition reads any RFM trait (then RFM must be computed to evaluate it).
pub fn reads_rfm(expr: &Expr) -> bool {
    expr.trait_names().iter().any(|n| n.starts_with("rfm."))
}

/// Adds the RFM traits to a catalog (they exist whatever the store holds).
pub fn add_to_catalog(catalog: &mut Catalog) {
    for (name, ty) in RFM_TRAITS {
        catalog.traits.insert(name.to_string(), ty);
    }
}

#[derive(Debug, Clone, Copy)]
struct Purchases {
    last: Millis,
    count: u64,
    spend: f64,
}

/// Collects purchases per profile (keyed by any id: ordinals or profile ids), then scores.
#[derive(Debug, Clone)]
pub struct RfmAccumulator {
    event: String,
    value: String,
    from: Millis,
    at: Millis,
    purchases: HashMap<u64, Purchases>,
}

impl RfmAccumulator {
    pub fn new(config: &RfmSection, at: Millis) -> RfmAccumulator {
        RfmAccumulator {
            event: config.event.clone(),
            value: config.value.clone(),
            from: at.saturating_sub(i64::from(config.window_days).saturating_mul(DAY_MS)),
            at,
            purchases: HashMap::new(),
        }
    }

    /// The purchase event's name (callers skip other events cheaply).
    pub fn event(&self) -> &str {
        &self.event
    }

    /// Counts one event if it is a purchase inside the window.
    pub fn add(&mut self, key: u64, name: &str, ts: Millis, properties: &Map<String, Value>) {
        if name != self.event || ts <= self.from || ts > self.at {
            return;
        }
        let value = tessera_engine::property(properties, &self.value)
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        let entry = self.purchases.entry(key).or_insert(Purchases {
            last: ts,
            count: 0,
            spend: 0.0,
        });
        entry.last = entry.last.max(ts);
        entry.count += 1;
        entry.spend += value;
    }

    /// The RFM traits of every scored profile.
    pub fn traits(&self) -> HashMap<u64, Vec<(&'static str, TraitValue)>> {
        let mut keys: Vec<u64> = self.purchases.keys().copied().collect();
        keys.sort_unstable();
        let n = keys.len();
        let scores = |measure: &dyn Fn(&Purchases) -> f64| -> HashMap<u64, u8> {
            let mut ranked: Vec<(f64, u64)> = keys
                .iter()
                .map(|k| (measure(&self.purchases[k]), *k))
                .collect();
            ranked.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            ranked
                .iter()
                .enumerate()
                .map(|(i, (_, k))| (*k, (5 * i / n) as u8 + 1))
                .collect()
        };
        let r = scores(&|p| p.last as f64);
        let f = scores(&|p| p.count as f64);
        let m = scores(&|p| p.spend);
        keys.iter()
            .map(|k| {
                let p = self.purchases[k];
                let (r, f, m) = (r[k], f[k], m[k]);
                let traits = vec![
                    ("rfm.r", TraitValue::Number(f64::from(r))),
                    ("rfm.f", TraitValue::Number(f64::from(f))),
                    ("rfm.m", TraitValue::Number(f64::from(m))),
                    ("rfm.segment", TraitValue::String(group(r, f, m).into())),
                    (
                        "rfm.recency_days",
                        TraitValue::Number((self.at - p.last) as f64 / DAY_MS as f64),
                    ),
                    ("rfm.frequency", TraitValue::Number(p.count as f64)),
                    ("rfm.monetary", TraitValue::Number(p.spend)),
                ];
                (*k, traits)
            })
            .collect()
    }
}

/// The RFM traits of everyone, scored from the store's purchases as of `at`, keyed by profile
/// id (for one-off answers such as `explain`; a snapshot computes them while loading).
pub fn from_store(
    store: &tessera_store::Store,
    at: Millis,
) -> crate::Result<HashMap<u64, Vec<(&'static str, TraitValue)>>> {
    let mut acc = RfmAccumulator::new(&store.config().rfm, at);
    store.for_each_event_json(Some(at), |profile, name, ts, json| {
        if name == acc.event() {
            let properties: Map<String, Value> = serde_json::from_str(json)
                .map_err(|e| tessera_store::Error::Internal(format!("event properties: {e}")))?;
            acc.add(profile, name, ts, &properties);
        }
        Ok(())
    })?;
    Ok(acc.traits())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_group_is_reachable_and_the_grid_is_total_over_its_groups() {
        for (name, bounds) in GROUPS {
            let (r, f, m) = (bounds[0].0, bounds[1].0, bounds[2].0);
            let reached = (r..=bounds[0].1).any(|r| {
                (f..=bounds[1].1).any(|f| (m..=bounds[2].1).any(|m| group(r, f, m) == name))
            });
            assert!(reached, "{name} is shadowed by an earlier group");
        }
        assert_eq!(group(5, 5, 5), "Champions");
        assert_eq!(group(1, 5, 5), "Can't Lose Them");
        assert_eq!(group(5, 1, 1), "New Customers");
        assert_eq!(group(1, 1, 1), "Lost");
        assert_eq!(group(5, 1, 5), "Others");
    }

    #[test]
    fn scores_are_quintiles_of_rank_with_ties_split_by_profile_id() {
        let config = RfmSection::default();
        let at = 1_000 * DAY_MS;
        let mut acc = RfmAccumulator::new(&config, at);
        // Ten customers: customer k bought k times, the last time k days ago, spending 10·k.
        for k in 1..=10u64 {
            for i in 0..k {
                let ts = at - (k as i64) * DAY_MS - (i as i64) * DAY_MS;
                acc.add(
                    k,
                    "Order Completed",
                    ts,
                    json!({"revenue": 10}).as_object().unwrap(),
                );
            }
        }
        // Outside the window, another event, a future purchase: ignored.
        acc.add(99, "Order Completed", at - 366 * DAY_MS, &Map::new());
        acc.add(99, "Product Viewed", at, &Map::new());
        acc.add(98, "Order Completed", at + 1, &Map::new());
        let traits = acc.traits();
        assert_eq!(traits.len(), 10);
        let score = |k: u64, name: &str| match traits[&k].iter().find(|(n, _)| *n == name) {
            Some((_, TraitValue::Number(x))) => *x,
            other => panic!("{other:?}"),
        };
        // Customer 1 is the most recent (R 5), the least frequent and lowest spender (F, M 1).
        assert_eq!(
            (score(1, "rfm.r"), score(1, "rfm.f"), score(1, "rfm.m")),
            (5.0, 1.0, 1.0)
        );
        assert_eq!(
            (score(10, "rfm.r"), score(10, "rfm.f"), score(10, "rfm.m")),
            (1.0, 5.0, 5.0)
        );
        // Two customers per quintile.
        let fs: Vec<f64> = (1..=10).map(|k| score(k, "rfm.f")).collect();
        assert_eq!(fs, [1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0, 5.0, 5.0]);
        assert_eq!(score(3, "rfm.recency_days"), 3.0);
        assert_eq!(score(3, "rfm.monetary"), 30.0);
        let segment = |k: u64| {
            traits[&k]
                .iter()
                .find(|(n, _)| *n == "rfm.segment")
                .unwrap()
                .1
                .clone()
        };
        assert_eq!(segment(10), TraitValue::String("Can't Lose Them".into()));
        assert_eq!(segment(1), TraitValue::String("New Customers".into()));
    }
}
