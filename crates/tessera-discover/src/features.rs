//! Named, reusable feature sets: what numbers describe a profile (RFM, engagement, affinities,
//! preferences, demographics), how missing values are handled and how columns are scaled.
//!
//! A feature set is a TOML file (`features/NAME.toml`, format in docs/discovery.md). Errors
//! name the file, line and column of the offending key or value. [`extract`] turns a set into
//! a [`FeatureMatrix`] over every profile of an index as of an instant.

mod extract;

use std::path::Path;

use serde::Deserialize;
use tessera_cluster::scale::{Missing, Scaling};
use tessera_model::{Millis, DAY_MS, HOUR_MS, MINUTE_MS};
use toml::Spanned;

use crate::error::{line_col, Error, Result};

pub use extract::{extract, Column, ColumnKind, FeatureMatrix};

/// Built-in feature sets (`name`, TOML text), usable by name wherever a file is accepted.
pub const BUILTIN: &[(&str, &str)] = &[("retail", include_str!("../features/retail.toml"))];

/// A checked feature set.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureSet {
    pub name: String,
    pub description: String,
    pub scaling: Scaling,
    /// What clustering does with missing cells (personas skip them per feature instead).
    pub missing: Missing,
    pub purchase: Purchase,
    pub features: Vec<Feature>,
}

/// The event that counts as a purchase for RFM features, and its money property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purchase {
    pub event: String,
    pub value: String,
}

impl Default for Purchase {
    fn default() -> Self {
        Purchase {
            event: "Order Completed".into(),
            value: "revenue".into(),
        }
    }
}

/// One feature: a column (or, for shares and one-hot encodings, a group of columns).
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// The column name, or the prefix of a group's columns (`prefix=value`).
    pub name: String,
    /// Plain words for descriptions ("Email Opened in 30 days").
    pub label: String,
    pub kind: FeatureKind,
    /// The value used where the feature is undefined (no purchase yet for recency, no events
    /// for a share, a missing trait). Without it the cell is missing and the set's `missing`
    /// policy applies.
    pub fill: Option<f64>,
}

/// What a feature measures. Windows are `at − window < ts ≤ at`, as in the segment language;
/// `None` means all history up to `at`.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureKind {
    /// Days since the last purchase (fractional); undefined without a purchase.
    Recency,
    /// Number of purchases.
    Frequency { window: Option<Millis> },
    /// Sum of the purchases' value property.
    Monetary { window: Option<Millis> },
    /// Monetary / frequency; undefined without a purchase.
    AverageOrderValue { window: Option<Millis> },
    /// Number of events of a name.
    Count {
        event: String,
        window: Option<Millis>,
    },
    /// Visits: runs of events (of the listed names, or all) with no gap longer than `gap`.
    Sessions {
        events: Vec<String>,
        gap: Millis,
        window: Option<Millis>,
    },
    /// For each value, the share of the profile's `event`s whose `property` has that value;
    /// undefined without such events. Category affinities, channel and device preferences.
    Share {
        event: String,
        property: String,
        values: Values,
        window: Option<Millis>,
    },
    /// A number, bool (0/1) or timestamp (days before `at`) trait, as is.
    Trait { name: String },
    /// One 0/1 column per value of a string (or string list) trait.
    OneHot { name: String, values: Values },
}

/// Which values get a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Values {
    Listed(Vec<String>),
    /// The most frequent values in the population as of `at` (ties by name).
    Top(usize),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    scaling: Option<Spanned<String>>,
    missing: Option<Spanned<String>>,
    purchase: Option<RawPurchase>,
    #[serde(default)]
    feature: Vec<Spanned<RawFeature>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPurchase {
    event: Option<String>,
    value: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeature {
    kind: Spanned<String>,
    name: Option<Spanned<String>>,
    label: Option<String>,
    event: Option<Spanned<String>>,
    events: Option<Spanned<Vec<String>>>,
    property: Option<Spanned<String>>,
    #[serde(rename = "trait")]
    trait_name: Option<Spanned<String>>,
    window: Option<Spanned<String>>,
    gap: Option<Spanned<String>>,
    values: Option<Spanned<Vec<String>>>,
    top: Option<Spanned<i64>>,
    fill: Option<Spanned<f64>>,
}

const KINDS: &str =
    "recency, frequency, monetary, average_order_value, count, sessions, share, trait, one_hot";

impl FeatureSet {
    /// Reads a feature set from a file.
    pub fn load(path: &Path) -> Result<FeatureSet> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        FeatureSet::parse(&path.display().to_string(), &text)
    }

    /// A built-in set by name.
    pub fn builtin(name: &str) -> Option<FeatureSet> {
        let (_, text) = BUILTIN.iter().find(|(n, _)| *n == name)?;
        Some(FeatureSet::parse(&format!("<built-in {name}>"), text).expect("built-in sets parse"))
    }

    /// Parses and checks a feature set; `file` names the source in error messages.
    pub fn parse(file: &str, text: &str) -> Result<FeatureSet> {
        let at = |span: std::ops::Range<usize>, message: String| {
            let (line, column) = line_col(text, span.start);
            Error::FeatureSet {
                file: file.to_string(),
                line,
                column,
                message,
            }
        };
        let raw: RawSet = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            at(span, e.message().trim_end().to_string())
        })?;
        let name = raw.name.get_ref();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return Err(at(
                raw.name.span(),
                format!("name `{name}` must be letters, digits, `_`, `-` or `.`"),
            ));
        }
        let scaling = match raw
            .scaling
            .as_ref()
            .map(|s| (s.get_ref().as_str(), s.span()))
        {
            None | Some(("standard", _)) => Scaling::Standard,
            Some(("robust", _)) => Scaling::Robust,
            Some(("minmax", _)) => Scaling::MinMax,
            Some((other, span)) => {
                return Err(at(
                    span,
                    format!("unknown scaling `{other}`: expected standard, robust or minmax"),
                ))
            }
        };
        let missing = match raw.missing.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
            None | Some(("impute_median", _)) => Missing::ImputeMedian,
            Some(("impute_mean", _)) => Missing::ImputeMean,
            Some(("drop", _)) => Missing::DropRows,
            Some(("reject", _)) => Missing::Reject,
            Some((other, span)) => {
                return Err(at(
                    span,
                    format!(
                        "unknown missing policy `{other}`: expected impute_median, impute_mean, drop or reject"
                    ),
                ))
            }
        };
        let default = Purchase::default();
        let purchase = match raw.purchase {
            None => default,
            Some(p) => Purchase {
                event: p.event.unwrap_or(default.event),
                value: p.value.unwrap_or(default.value),
            },
        };
        if raw.feature.is_empty() {
            return Err(at(
                0..0,
                "no features: add at least one [[feature]] table".to_string(),
            ));
        }
        let mut features = Vec::new();
        for spanned in raw.feature {
            let table_span = spanned.span();
            let feature = parse_feature(spanned.into_inner(), table_span.clone(), &purchase, &at)?;
            if let Some(previous) = features.iter().find(|f: &&Feature| f.name == feature.name) {
                return Err(at(
                    table_span.clone(),
                    format!(
                        "feature name `{}` is used twice; give one of them `name = \"…\"`",
                        previous.name
                    ),
                ));
            }
            features.push(feature);
        }
        Ok(FeatureSet {
            name: name.clone(),
            description: raw.description,
            scaling,
            missing,
            purchase,
            features,
        })
    }
}

fn parse_feature(
    raw: RawFeature,
    table: std::ops::Range<usize>,
    purchase: &Purchase,
    at: &impl Fn(std::ops::Range<usize>, String) -> Error,
) -> Result<Feature> {
    let kind_name = raw.kind.get_ref().as_str();
    let kind_span = raw.kind.span();
    // Every key a kind does not read is refused, so that a typo'd kind is not silently
    // given another kind's meaning.
    let allowed: &[&str] = match kind_name {
        "recency" => &[],
        "frequency" | "monetary" | "average_order_value" => &["window"],
        "count" => &["event", "window"],
        "sessions" => &["events", "gap", "window"],
        "share" => &["event", "property", "values", "top", "window"],
        "trait" => &["trait"],
        "one_hot" => &["trait", "values", "top"],
        other => {
            return Err(at(
                kind_span,
                format!("unknown kind `{other}`: expected one of {KINDS}"),
            ))
        }
    };
    let present: [(&str, Option<std::ops::Range<usize>>); 8] = [
        ("event", raw.event.as_ref().map(Spanned::span)),
        ("events", raw.events.as_ref().map(Spanned::span)),
        ("property", raw.property.as_ref().map(Spanned::span)),
        ("trait", raw.trait_name.as_ref().map(Spanned::span)),
        ("window", raw.window.as_ref().map(Spanned::span)),
        ("gap", raw.gap.as_ref().map(Spanned::span)),
        ("values", raw.values.as_ref().map(Spanned::span)),
        ("top", raw.top.as_ref().map(Spanned::span)),
    ];
    for (key, span) in present {
        if let Some(span) = span {
            if !allowed.contains(&key) {
                return Err(at(
                    span,
                    format!("`{key}` does not apply to kind `{kind_name}`"),
                ));
            }
        }
    }
    let required = |value: Option<Spanned<String>>, key: &str| -> Result<String> {
        match value {
            Some(v) if !v.get_ref().is_empty() => Ok(v.into_inner()),
            Some(v) => Err(at(v.span(), format!("`{key}` must not be empty"))),
            None => Err(at(
                table.clone(),
                format!("kind `{kind_name}` needs `{key} = \"…\"`"),
            )),
        }
    };
    let window = match &raw.window {
        None => None,
        Some(w) => Some(
            parse_duration(w.get_ref())
                .map_err(|reason| at(w.span(), format!("window: {reason}")))?,
        ),
    };
    let values = || -> Result<Values> {
        match (&raw.values, &raw.top) {
            (Some(v), Some(t)) => Err(at(
                t.span(),
                format!(
                    "give either `values` or `top`, not both (values at byte {})",
                    v.span().start
                ),
            )),
            (Some(v), None) if v.get_ref().is_empty() => {
                Err(at(v.span(), "`values` must list at least one value".into()))
            }
            (Some(v), None) => Ok(Values::Listed(v.get_ref().clone())),
            (None, Some(t)) if !(1..=50).contains(t.get_ref()) => {
                Err(at(t.span(), "`top` must be between 1 and 50".into()))
            }
            (None, Some(t)) => Ok(Values::Top(*t.get_ref() as usize)),
            (None, None) => Ok(Values::Top(5)),
        }
    };
    let in_window = |w: Option<Millis>| match w {
        Some(w) => format!(" in {}", duration_words(w)),
        None => String::new(),
    };
    let (kind, default_name, default_label) = match kind_name {
        "recency" => (
            FeatureKind::Recency,
            "recency_days".to_string(),
            format!("days since last {}", purchase.event),
        ),
        "frequency" => (
            FeatureKind::Frequency { window },
            format!("frequency{}", window_suffix(window)),
            format!("{}s{}", purchase.event, in_window(window)),
        ),
        "monetary" => (
            FeatureKind::Monetary { window },
            format!("monetary{}", window_suffix(window)),
            format!("spend{}", in_window(window)),
        ),
        "average_order_value" => (
            FeatureKind::AverageOrderValue { window },
            format!("aov{}", window_suffix(window)),
            format!("average order value{}", in_window(window)),
        ),
        "count" => {
            let event = required(raw.event, "event")?;
            (
                FeatureKind::Count {
                    event: event.clone(),
                    window,
                },
                format!("{}{}", snake(&event), window_suffix(window)),
                format!("{event}{}", in_window(window)),
            )
        }
        "sessions" => {
            let gap = match &raw.gap {
                None => 30 * MINUTE_MS,
                Some(g) => parse_duration(g.get_ref())
                    .map_err(|reason| at(g.span(), format!("gap: {reason}")))?,
            };
            let events = raw.events.map(Spanned::into_inner).unwrap_or_default();
            (
                FeatureKind::Sessions {
                    events,
                    gap,
                    window,
                },
                format!("sessions{}", window_suffix(window)),
                format!("visits{}", in_window(window)),
            )
        }
        "share" => {
            let values = values()?;
            let event = required(raw.event, "event")?;
            let property = required(raw.property, "property")?;
            (
                FeatureKind::Share {
                    event: event.clone(),
                    property: property.clone(),
                    values,
                    window,
                },
                format!("{}_{}", snake(&event), snake(&property)),
                format!("{property} of {event}"),
            )
        }
        "trait" => {
            let name = required(raw.trait_name, "trait")?;
            (
                FeatureKind::Trait { name: name.clone() },
                name.clone(),
                name,
            )
        }
        "one_hot" => {
            let values = values()?;
            let name = required(raw.trait_name, "trait")?;
            (
                FeatureKind::OneHot {
                    name: name.clone(),
                    values,
                },
                name.clone(),
                name,
            )
        }
        _ => unreachable!("kinds were checked above"),
    };
    let name = match raw.name {
        Some(n) if n.get_ref().is_empty() || n.get_ref().contains('=') => {
            return Err(at(
                n.span(),
                "`name` must be non-empty and contain no `=`".into(),
            ))
        }
        Some(n) => n.into_inner(),
        None => default_name,
    };
    let fill = match raw.fill {
        Some(f) if !f.get_ref().is_finite() => {
            return Err(at(f.span(), "`fill` must be a finite number".into()))
        }
        Some(f) => Some(*f.get_ref()),
        None => None,
    };
    Ok(Feature {
        name,
        label: raw.label.unwrap_or(default_label),
        kind,
        fill,
    })
}

/// Parses `30m`, `12h`, `7d`, `2w` (as the segment language's windows; a day is 24 h).
pub fn parse_duration(text: &str) -> std::result::Result<Millis, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: i64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 30m, 12h, 7d or 2w"))?;
    let unit_ms = match unit {
        "m" => MINUTE_MS,
        "h" => HOUR_MS,
        "d" => DAY_MS,
        "w" => 7 * DAY_MS,
        _ => {
            return Err(format!(
                "`{text}` is not a duration such as 30m, 12h, 7d or 2w"
            ))
        }
    };
    if n <= 0 {
        return Err(format!("`{text}` must be longer than zero"));
    }
    n.checked_mul(unit_ms)
        .ok_or_else(|| format!("`{text}` is too long"))
}

fn window_suffix(window: Option<Millis>) -> String {
    match window {
        None => String::new(),
        Some(w) => format!("_{}", duration_short(w)),
    }
}

fn duration_short(ms: Millis) -> String {
    // Whole weeks stay in days (`_14d`): one unit for every window column reads better.
    if ms % DAY_MS == 0 {
        format!("{}d", ms / DAY_MS)
    } else if ms % HOUR_MS == 0 {
        format!("{}h", ms / HOUR_MS)
    } else {
        format!("{}m", ms / MINUTE_MS)
    }
}

fn duration_words(ms: Millis) -> String {
    if ms % DAY_MS == 0 {
        format!("{} days", ms / DAY_MS)
    } else if ms % HOUR_MS == 0 {
        format!("{} hours", ms / HOUR_MS)
    } else {
        format!("{} minutes", ms / MINUTE_MS)
    }
}

/// `Product Viewed` → `product_viewed`.
fn snake(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        FeatureSet::parse("f.toml", text).unwrap_err().to_string()
    }

    #[test]
    fn the_built_in_sets_parse() {
        for (name, _) in BUILTIN {
            let set = FeatureSet::builtin(name).unwrap();
            assert_eq!(&set.name, name);
            assert!(!set.features.is_empty());
        }
    }

    #[test]
    fn defaults_and_derived_names() {
        let set = FeatureSet::parse(
            "f.toml",
            r#"
name = "s"
[[feature]]
kind = "count"
event = "Email Opened"
window = "30d"
[[feature]]
kind = "frequency"
[[feature]]
kind = "share"
event = "Product Viewed"
property = "device"
values = ["mobile", "desktop"]
fill = 0
"#,
        )
        .unwrap();
        assert_eq!(set.scaling, Scaling::Standard);
        assert_eq!(set.missing, Missing::ImputeMedian);
        assert_eq!(set.purchase, Purchase::default());
        let names: Vec<&str> = set.features.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["email_opened_30d", "frequency", "product_viewed_device"]
        );
        assert_eq!(set.features[0].label, "Email Opened in 30 days");
        assert_eq!(set.features[2].fill, Some(0.0));
    }

    #[test]
    fn errors_point_at_the_key_or_value() {
        assert_eq!(
            error("name = \"s\"\n[[feature]]\nkind = \"recent\"\n"),
            "f.toml:3:8: unknown kind `recent`: expected one of recency, frequency, monetary, \
             average_order_value, count, sessions, share, trait, one_hot"
        );
        assert_eq!(
            error(
                "name = \"s\"\n[[feature]]\nkind = \"count\"\nevent = \"X\"\nwindow = \"7 days\"\n"
            ),
            "f.toml:5:10: window: `7 days` is not a duration such as 30m, 12h, 7d or 2w"
        );
        assert_eq!(
            error("name = \"s\"\n[[feature]]\nkind = \"recency\"\nwindow = \"7d\"\n"),
            "f.toml:4:10: `window` does not apply to kind `recency`"
        );
        assert_eq!(
            error("name = \"s\"\nscaling = \"zscore\"\n[[feature]]\nkind = \"recency\"\n"),
            "f.toml:2:11: unknown scaling `zscore`: expected standard, robust or minmax"
        );
        assert!(error("name = \"s\"\n[[feature]]\nkind = \"count\"\n")
            .ends_with("kind `count` needs `event = \"…\"`"),);
        let unknown = error("name = \"s\"\n[[feature]]\nkind = \"recency\"\nwindw = \"7d\"\n");
        assert!(
            unknown.starts_with("f.toml:4:1: unknown field `windw`"),
            "{unknown}"
        );
        assert_eq!(
            error("name = \"s\"\n[[feature]]\nkind = \"one_hot\"\ntrait = \"city\"\ntop = 0\n"),
            "f.toml:5:7: `top` must be between 1 and 50"
        );
        assert!(
            error("name = \"s\"\n").ends_with("no features: add at least one [[feature]] table")
        );
        let twice = error(
            "name = \"s\"\n[[feature]]\nkind = \"recency\"\n[[feature]]\nkind = \"recency\"\n",
        );
        assert!(
            twice.contains("feature name `recency_days` is used twice"),
            "{twice}"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30m"), Ok(30 * MINUTE_MS));
        assert_eq!(parse_duration("2w"), Ok(14 * DAY_MS));
        assert!(parse_duration("0d").is_err());
        assert!(parse_duration("d").is_err());
        assert_eq!(window_suffix(Some(14 * DAY_MS)), "_14d");
        assert_eq!(window_suffix(Some(12 * HOUR_MS)), "_12h");
        assert_eq!(snake("Email Link Clicked"), "email_link_clicked");
    }
}
