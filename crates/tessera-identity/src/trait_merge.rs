//! Trait merge rules: how values of one trait observed on a person's different source records
//! combine into the profile's value (`[traits.merge]` in `tessera.toml`).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use tessera_model::{Millis, TraitValue};

/// How observations of one trait combine. Written in TOML as `"lww"`, `"first"`, `"max"` or
/// `"sum"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MergeRule {
    /// The value with the greatest timestamp; on equal timestamps, the one later in the input.
    #[default]
    #[serde(rename = "lww")]
    LastWriteWins,
    /// The value with the smallest timestamp; on equal timestamps, the one earlier in the input.
    #[serde(rename = "first")]
    First,
    /// The greatest number, or the latest instant when every value is a timestamp. Any other
    /// mix of values falls back to last-write-wins.
    #[serde(rename = "max")]
    Max,
    /// The sum of the numbers. If any value is not a number, falls back to last-write-wins.
    #[serde(rename = "sum")]
    Sum,
}

impl MergeRule {
    pub fn as_str(self) -> &'static str {
        match self {
            MergeRule::LastWriteWins => "lww",
            MergeRule::First => "first",
            MergeRule::Max => "max",
            MergeRule::Sum => "sum",
        }
    }
}

impl fmt::Display for MergeRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `[traits.merge]` table: `default = "lww"` sets the rule of unlisted traits, every other
/// key names a trait (`loyalty_points = "sum"`). A trait literally named `default` therefore
/// cannot get its own rule; it follows the default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    from = "BTreeMap<String, MergeRule>",
    into = "BTreeMap<String, MergeRule>"
)]
pub struct TraitMergeConfig {
    pub default: MergeRule,
    pub rules: BTreeMap<String, MergeRule>,
}

impl TraitMergeConfig {
    /// The rule for the trait `name`.
    pub fn rule_for(&self, name: &str) -> MergeRule {
        self.rules.get(name).copied().unwrap_or(self.default)
    }
}

impl From<BTreeMap<String, MergeRule>> for TraitMergeConfig {
    fn from(mut rules: BTreeMap<String, MergeRule>) -> Self {
        let default = rules.remove("default").unwrap_or_default();
        TraitMergeConfig { default, rules }
    }
}

impl From<TraitMergeConfig> for BTreeMap<String, MergeRule> {
    fn from(config: TraitMergeConfig) -> Self {
        let mut table = config.rules;
        table.insert("default".to_string(), config.default);
        table
    }
}

/// Combines the observations of one trait from a person's source records under `rule`
/// (see [`MergeRule`] for each rule). `None` only when there are no observations.
///
/// Sums add in timestamp order (ties in input order), so the same observations give the same
/// floating-point result whatever order the store reads them in.
pub fn merge_values(rule: MergeRule, observations: &[(Millis, TraitValue)]) -> Option<TraitValue> {
    match rule {
        MergeRule::LastWriteWins => last_write_wins(observations),
        // `min_by_key` keeps the first of equal keys, which is the documented tie-break.
        MergeRule::First => observations
            .iter()
            .min_by_key(|(ts, _)| *ts)
            .map(|(_, v)| v.clone()),
        MergeRule::Max => {
            let all = |p: fn(&TraitValue) -> bool| observations.iter().all(|(_, v)| p(v));
            if all(|v| matches!(v, TraitValue::Number(_))) {
                observations
                    .iter()
                    .filter_map(|(_, v)| v.as_number())
                    .max_by(f64::total_cmp)
                    .map(TraitValue::Number)
            } else if all(|v| matches!(v, TraitValue::Timestamp(_))) {
                observations
                    .iter()
                    .filter_map(|(_, v)| match v {
                        TraitValue::Timestamp(ms) => Some(*ms),
                        _ => None,
                    })
                    .max()
                    .map(TraitValue::Timestamp)
            } else {
                last_write_wins(observations)
            }
        }
        MergeRule::Sum => {
            let numbers: Option<Vec<(Millis, f64)>> = observations
                .iter()
                .map(|(ts, v)| v.as_number().map(|n| (*ts, n)))
                .collect();
            match numbers {
                Some(mut numbers) if !numbers.is_empty() => {
                    numbers.sort_by_key(|(ts, _)| *ts);
                    Some(TraitValue::Number(numbers.iter().map(|(_, n)| n).sum()))
                }
                _ => last_write_wins(observations),
            }
        }
    }
}

fn last_write_wins(observations: &[(Millis, TraitValue)]) -> Option<TraitValue> {
    // `max_by_key` keeps the last of equal keys, which is the documented tie-break.
    observations
        .iter()
        .max_by_key(|(ts, _)| *ts)
        .map(|(_, v)| v.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> TraitValue {
        TraitValue::String(text.to_string())
    }

    fn n(x: f64) -> TraitValue {
        TraitValue::Number(x)
    }

    #[test]
    fn no_observations_no_value() {
        for rule in [
            MergeRule::LastWriteWins,
            MergeRule::First,
            MergeRule::Max,
            MergeRule::Sum,
        ] {
            assert_eq!(merge_values(rule, &[]), None);
        }
    }

    #[test]
    fn last_write_wins_takes_the_latest_and_the_later_of_ties() {
        let obs = [(5, s("b")), (9, s("c")), (1, s("a")), (9, s("d"))];
        assert_eq!(merge_values(MergeRule::LastWriteWins, &obs), Some(s("d")));
    }

    #[test]
    fn first_takes_the_earliest_and_the_earlier_of_ties() {
        let obs = [(5, s("b")), (1, s("a")), (9, s("c")), (1, s("z"))];
        assert_eq!(merge_values(MergeRule::First, &obs), Some(s("a")));
    }

    #[test]
    fn max_of_numbers_and_of_timestamps() {
        assert_eq!(
            merge_values(MergeRule::Max, &[(9, n(2.0)), (1, n(7.5)), (5, n(-3.0))]),
            Some(n(7.5))
        );
        let ts = [
            (9, TraitValue::Timestamp(100)),
            (1, TraitValue::Timestamp(300)),
        ];
        assert_eq!(
            merge_values(MergeRule::Max, &ts),
            Some(TraitValue::Timestamp(300))
        );
    }

    #[test]
    fn sum_adds_numbers() {
        let obs = [(3, n(10.0)), (1, n(2.5)), (2, n(-0.5))];
        assert_eq!(merge_values(MergeRule::Sum, &obs), Some(n(12.0)));
    }

    #[test]
    fn max_and_sum_fall_back_to_last_write_wins_on_non_numbers() {
        let obs = [(2, s("gold")), (1, s("silver"))];
        assert_eq!(merge_values(MergeRule::Max, &obs), Some(s("gold")));
        assert_eq!(merge_values(MergeRule::Sum, &obs), Some(s("gold")));
        let mixed = [(2, n(5.0)), (3, s("lots")), (1, n(9.0))];
        assert_eq!(merge_values(MergeRule::Max, &mixed), Some(s("lots")));
        assert_eq!(merge_values(MergeRule::Sum, &mixed), Some(s("lots")));
    }

    proptest::proptest! {
        /// The rules against their definitions, written as plain loops.
        #[test]
        fn rules_match_their_definitions(
            obs in proptest::collection::vec((0i64..4, -50i32..50), 1..12),
        ) {
            let obs: Vec<(Millis, TraitValue)> =
                obs.into_iter().map(|(ts, x)| (ts, n(f64::from(x)))).collect();
            let (mut last, mut first, mut max, mut sum) = (&obs[0], &obs[0], f64::MIN, 0.0);
            for o in &obs {
                if o.0 >= last.0 {
                    last = o;
                }
                if o.0 < first.0 {
                    first = o;
                }
                let x = o.1.as_number().unwrap();
                max = max.max(x);
                sum += x;
            }
            proptest::prop_assert_eq!(merge_values(MergeRule::LastWriteWins, &obs), Some(last.1.clone()));
            proptest::prop_assert_eq!(merge_values(MergeRule::First, &obs), Some(first.1.clone()));
            proptest::prop_assert_eq!(merge_values(MergeRule::Max, &obs), Some(n(max)));
            // Small integers add exactly, in any order.
            proptest::prop_assert_eq!(merge_values(MergeRule::Sum, &obs), Some(n(sum)));
        }
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Traits {
        #[serde(default)]
        merge: TraitMergeConfig,
    }

    #[derive(Debug, Deserialize)]
    struct File {
        traits: Traits,
    }

    #[test]
    fn rules_are_read_from_the_traits_merge_table() {
        let file: File = toml::from_str(
            "[traits.merge]\nloyalty_points = \"sum\"\nfirst_channel = \"first\"\nlast_order = \"max\"\n",
        )
        .unwrap();
        let merge = file.traits.merge;
        assert_eq!(merge.rule_for("loyalty_points"), MergeRule::Sum);
        assert_eq!(merge.rule_for("first_channel"), MergeRule::First);
        assert_eq!(merge.rule_for("last_order"), MergeRule::Max);
        assert_eq!(merge.rule_for("city"), MergeRule::LastWriteWins);

        let file: File = toml::from_str("[traits.merge]\ndefault = \"first\"\n").unwrap();
        assert_eq!(file.traits.merge.rule_for("city"), MergeRule::First);
        let file: File = toml::from_str("[traits]\n").unwrap();
        assert_eq!(file.traits.merge, TraitMergeConfig::default());
    }

    #[test]
    fn unknown_rule_names_the_valid_ones() {
        let err = toml::from_str::<File>("[traits.merge]\nspend = \"avg\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown variant `avg`, expected one of `lww`, `first`, `max`, `sum`"),
            "{err}"
        );
    }
}
