//! The segment syntax tree, shared by the text form, the JSON form (serde) and every consumer.
//!
//! Properties of the tree:
//! - It is exactly what the user wrote, normalised only where the text form has synonyms
//!   (`did not(q)` is `Not(Did(q))`, keywords are lowercase). `Display` prints the one canonical
//!   text, and parsing that text gives back an equal tree.
//! - Spans locate nodes in the source for diagnostics; they are ignored by `==` and by serde so
//!   that trees parsed from different texts (or from JSON) compare equal.
//! - A tree parsed from broken text contains [`Expr::Missing`] where input could not be read;
//!   such a tree always comes with at least one error diagnostic and must not be evaluated.

use std::fmt;

use serde::{Deserialize, Serialize};
use tessera_model::Millis;

/// A byte range in the source text. Equal to every other span (see the module docs).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

impl PartialEq for Span {
    fn eq(&self, _: &Span) -> bool {
        true
    }
}

/// A segment condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expr {
    /// All of the operands hold (two or more).
    And(Vec<Expr>),
    /// Any of the operands holds (two or more).
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// A test of a profile trait: `age between 25 and 35`.
    Trait(TraitCond),
    /// `did(Order Completed in last 7d)`: at least one matching event.
    Did(EventQuery),
    /// `count(Product Viewed where product_id = "X" in last 7d) >= 3`.
    Count(CountCond),
    /// `sum(Order Completed.revenue in last 90d) > 500`.
    Aggregate(AggregateCond),
    /// `last(Order Completed) more than 30d ago`.
    Recency(RecencyCond),
    /// `most_frequent(Product Viewed.category in last 90d) = "shoes"`: a value computed from
    /// a property of a profile's events, tested like a trait.
    Value(ValueCond),
    /// `did(Added to Cart then Checkout Started within 1h)`: one event followed by another
    /// (or, negated, *not* followed by one) within a time.
    Sequence(SequenceCond),
    /// `in segment "vip"`: the profile is a member of another stored segment, evaluated at the
    /// same instant (the reference is expanded into that segment's condition before evaluation).
    InSegment(SegmentRef),
    /// Input that could not be parsed; never present in a tree without errors.
    Missing(#[serde(skip)] Span),
}

/// A test applied to a trait (or, inside `where`, to an event property).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraitCond {
    /// The trait name, possibly dotted (`address.city`).
    pub name: String,
    pub test: ValueTest,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueTest {
    /// `= != < <= > >=` against a literal.
    Compare { op: CmpOp, value: Literal },
    /// Inclusive on both ends: `x between a and b` is `a <= x and x <= b`.
    Between { low: Literal, high: Literal },
    /// Equal to any of the literals (for a list trait: any element equal to any literal).
    In { values: Vec<Literal> },
    /// Substring of a string, or element of a list. Case-sensitive.
    Contains { value: Literal },
    /// Prefix of a string. Case-sensitive.
    StartsWith { value: Literal },
    /// The value is present (not missing and not null).
    Exists,
    /// The value is missing or null.
    IsNull,
    /// A geo value at most `distance` (great-circle, inclusive) from the target:
    /// `home within 5 mi of place "downtown"`.
    Within {
        distance: GeoDistance,
        of: GeoTarget,
    },
}

/// A reference to a stored segment by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentRef {
    pub name: String,
    #[serde(skip)]
    pub span: Span,
}

/// A distance as written: `5 mi`, `3 km`, `800 m`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoDistance {
    /// Finite and not negative.
    pub amount: f64,
    pub unit: DistanceUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DistanceUnit {
    #[serde(rename = "m")]
    Metres,
    #[serde(rename = "km")]
    Kilometres,
    /// International mile: 1,609.344 m.
    #[serde(rename = "mi")]
    Miles,
}

impl DistanceUnit {
    pub fn from_word(word: &str) -> Option<DistanceUnit> {
        match word {
            "m" => Some(DistanceUnit::Metres),
            "km" => Some(DistanceUnit::Kilometres),
            "mi" => Some(DistanceUnit::Miles),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DistanceUnit::Metres => "m",
            DistanceUnit::Kilometres => "km",
            DistanceUnit::Miles => "mi",
        }
    }
}

impl GeoDistance {
    pub fn metres(self) -> f64 {
        self.amount
            * match self.unit {
                DistanceUnit::Metres => 1.0,
                DistanceUnit::Kilometres => 1_000.0,
                DistanceUnit::Miles => 1_609.344,
            }
    }
}

/// What a distance is measured to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GeoTarget {
    /// `place "downtown"`: a stored place, by name.
    Place(String),
    /// `any place tagged "store"`: the nearest stored place with the tag.
    Tagged(String),
    /// `point(41.8781, -87.6298)`: coordinates in WGS 84 degrees (what place references are
    /// expanded into before evaluation).
    Point { lat: f64, lon: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CmpOp {
    #[serde(rename = "=")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// Applies the operator to an ordering of `left` relative to `right`.
    pub fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CmpOp::Eq => ordering == Equal,
            CmpOp::Ne => ordering != Equal,
            CmpOp::Lt => ordering == Less,
            CmpOp::Le => ordering != Greater,
            CmpOp::Gt => ordering == Greater,
            CmpOp::Ge => ordering != Less,
        }
    }
}

impl fmt::Display for CmpOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A literal value in a condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Literal {
    Bool(bool),
    /// Always finite.
    Number(f64),
    String(String),
    /// Written as a bare date or RFC 3339 date-time (`2026-10-01`, `2026-10-01T12:00:00Z`);
    /// in JSON as `{"timestamp": "2026-10-01T00:00:00Z"}`.
    Timestamp {
        #[serde(with = "timestamp_json")]
        timestamp: Millis,
    },
}

/// The events a condition looks at: one event name, optional property filter, optional window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventQuery {
    /// The event name, e.g. `Product Viewed`.
    pub event: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<PropFilter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    #[serde(skip)]
    pub span: Span,
}

/// A boolean filter over one event's properties (`where product_id = "X" and price > 10`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PropFilter {
    And(Vec<PropFilter>),
    Or(Vec<PropFilter>),
    Not(Box<PropFilter>),
    /// `name` is a property path; a dotted path reads nested objects when no property has the
    /// dotted name itself.
    Test(TraitCond),
    Missing(#[serde(skip)] Span),
}

/// Which events by time. Evaluated "as of" an instant `at`; events after `at` never count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    /// `in last 7d`: events with `at - d < ts <= at`.
    Last(Duration),
    /// `from 2026-01-01 to 2026-02-01`: events with `from <= ts < to` (and `ts <= at`).
    Range {
        #[serde(with = "timestamp_json")]
        from: Millis,
        #[serde(with = "timestamp_json")]
        to: Millis,
    },
}

/// A length of time as written: `30m`, `12h`, `7d`, `2w`. Days are 24 hours of UTC time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Duration {
    pub amount: u64,
    pub unit: DurationUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DurationUnit {
    #[serde(rename = "s")]
    Seconds,
    #[serde(rename = "m")]
    Minutes,
    #[serde(rename = "h")]
    Hours,
    #[serde(rename = "d")]
    Days,
    #[serde(rename = "w")]
    Weeks,
}

impl DurationUnit {
    pub fn suffix(self) -> &'static str {
        match self {
            DurationUnit::Seconds => "s",
            DurationUnit::Minutes => "m",
            DurationUnit::Hours => "h",
            DurationUnit::Days => "d",
            DurationUnit::Weeks => "w",
        }
    }

    pub fn from_suffix(s: &str) -> Option<DurationUnit> {
        Some(match s {
            "s" => DurationUnit::Seconds,
            "m" => DurationUnit::Minutes,
            "h" => DurationUnit::Hours,
            "d" => DurationUnit::Days,
            "w" => DurationUnit::Weeks,
            _ => return None,
        })
    }

    pub fn millis(self) -> i64 {
        match self {
            DurationUnit::Seconds => 1_000,
            DurationUnit::Minutes => 60_000,
            DurationUnit::Hours => 3_600_000,
            DurationUnit::Days => 86_400_000,
            DurationUnit::Weeks => 604_800_000,
        }
    }
}

impl Duration {
    /// Length in milliseconds, saturating (absurd lengths mean "all of history").
    pub fn millis(self) -> i64 {
        i64::try_from(self.amount)
            .unwrap_or(i64::MAX)
            .saturating_mul(self.unit.millis())
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.unit.suffix())
    }
}

impl From<Duration> for String {
    fn from(d: Duration) -> String {
        d.to_string()
    }
}

impl TryFrom<String> for Duration {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (digits, suffix) = s.split_at(split);
        match (digits.parse::<u64>(), DurationUnit::from_suffix(suffix)) {
            (Ok(amount), Some(unit)) => Ok(Duration { amount, unit }),
            _ => Err(format!(
                "`{s}` is not a duration such as 30m, 12h, 7d or 2w"
            )),
        }
    }
}

/// A comparison of a number computed from events with literals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumCmp {
    Compare {
        op: CmpOp,
        value: f64,
    },
    /// Inclusive on both ends.
    Between {
        low: f64,
        high: f64,
    },
}

impl NumCmp {
    pub fn holds(&self, x: f64) -> bool {
        match *self {
            NumCmp::Compare { op, value } => x.partial_cmp(&value).is_some_and(|o| op.holds(o)),
            NumCmp::Between { low, high } => low <= x && x <= high,
        }
    }
}

/// `count(q) >= 3`. A profile with no matching event has count 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountCond {
    pub query: EventQuery,
    pub cmp: NumCmp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AggFunc {
    Sum,
    Avg,
    Min,
    Max,
}

impl AggFunc {
    pub fn as_str(self) -> &'static str {
        match self {
            AggFunc::Sum => "sum",
            AggFunc::Avg => "avg",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
        }
    }
}

/// `sum(Order Completed.revenue in last 90d) > 500`. Only events whose property is a JSON
/// number take part. Over no such event, `sum` is 0 and `avg`/`min`/`max` have no value, so
/// the condition does not hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AggregateCond {
    pub func: AggFunc,
    pub query: EventQuery,
    /// The property path aggregated.
    pub property: String,
    pub cmp: NumCmp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recency {
    First,
    Last,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgoRelation {
    /// `more than 30d ago`: the event's time `ts <= at - d`.
    MoreThan,
    /// `less than 30d ago`: `ts > at - d`.
    LessThan,
}

/// `last(Order Completed) more than 30d ago`: the first/last matching event (at or before
/// `at`) is older / newer than the duration. Never holds for a profile with no such event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecencyCond {
    pub which: Recency,
    pub query: EventQuery,
    pub relation: AgoRelation,
    pub ago: Duration,
}

/// What a value condition computes from the property values of the matching events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueFunc {
    /// The value of the earliest event (ties at one instant: the first stored).
    First,
    /// The value of the latest event (ties at one instant: the last stored).
    Last,
    /// The value on the most events; ties go to the value used most recently (latest event,
    /// then last stored).
    MostFrequent,
    /// The number of distinct values (0 without any): a number.
    UniqueCount,
    /// The distinct values, as a list (tested with `contains`, `in`, `exists`, `is null`).
    Distinct,
}

impl ValueFunc {
    pub const ALL: [ValueFunc; 5] = [
        ValueFunc::First,
        ValueFunc::Last,
        ValueFunc::MostFrequent,
        ValueFunc::UniqueCount,
        ValueFunc::Distinct,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ValueFunc::First => "first",
            ValueFunc::Last => "last",
            ValueFunc::MostFrequent => "most_frequent",
            ValueFunc::UniqueCount => "unique_count",
            ValueFunc::Distinct => "distinct",
        }
    }

    pub fn from_word(word: &str) -> Option<ValueFunc> {
        ValueFunc::ALL.into_iter().find(|f| f.as_str() == word)
    }
}

/// `last(Order Completed.coupon in last 30d) = "SPRING"`. The events that take part are the
/// query's matching events (name, filter, window, `ts <= at`) whose property is a scalar: a
/// string, number or boolean (missing, null, arrays and objects take no part). Over no such
/// event, `first`, `last`, `most_frequent` and `distinct` have no value (only `is null`
/// holds) and `unique_count` is 0. Values compare as event properties do in `where` (the
/// number 1 and the string "1" are different values).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueCond {
    pub func: ValueFunc,
    pub query: EventQuery,
    /// The property path whose values are computed over.
    pub property: String,
    pub test: ValueTest,
}

/// Two steps of a journey. With `followed`, holds when some event of `first` is followed by an
/// event of `second` strictly later and at most `within` after it. Without (`not followed
/// by`), holds when some event of `first` is at least `within` old (`ts + within <= at`, in
/// exact arithmetic: a deadline past the end of time never comes) and no event of `second`
/// followed it within that time: the time to follow up has passed without one. `same` names
/// properties that must be present and equal on both events (`with same product_id`). Each
/// step's filter and window apply to its own events; events after `at` never count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequenceCond {
    pub first: EventQuery,
    pub followed: bool,
    pub second: EventQuery,
    pub within: Duration,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub same: Vec<String>,
}

mod timestamp_json {
    use serde::{Deserialize, Deserializer, Serializer};
    use tessera_model::{format_millis, parse_timestamp, Millis};

    pub fn serialize<S: Serializer>(ms: &Millis, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_millis(*ms))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Millis, D::Error> {
        let text = String::deserialize(d)?;
        parse_timestamp(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("`{text}` is not a date or RFC 3339 timestamp"))
        })
    }
}
