//! The reference interpreter: a segment evaluated for one profile, written to be obviously right.
//!
//! This is the specification the fast [`crate::Index`] is tested against (`tests/differential.rs`),
//! so it favours plainness over speed and shares no evaluation code with the index: each rule of
//! the segment language (see `tessera_lang::ast`) appears here once, in its most direct form.
//!
//! Decisions the syntax tree leaves open, made here and followed by the index:
//! - `Expr::Missing` and `PropFilter::Missing` never hold (the index refuses such trees).
//! - Values compare only within their kind: strings with strings (by bytes), numbers with numbers
//!   (as f64), booleans with booleans (`false < true`), timestamps with timestamp literals. A
//!   string value compared with a timestamp literal is read with `parse_timestamp` (and never
//!   matches when it is not a date). Any other pairing is false, including `!=`.
//! - A list (string-list trait, JSON array property) answers only `contains`, `in`, `exists` and
//!   `is null`; `=`, `!=`, ordering, `between` and `starts with` are false on a list.
//! - Geo points answer `within` (great-circle distance, inclusive, to a point: places are
//!   expanded into points first), `exists` and `is null`; JSON objects only the last two.
//! - `in segment` references are expanded first; unexpanded, they never hold.
//! - Value conditions (`first`, `last`, `most_frequent`, `unique_count`, `distinct` of a
//!   property) see the events in time order, ties in the order given (the store's order).
//! - Aggregates add values in event time order, ties in the order the events were given, so the
//!   index (which sorts by time the same way) produces bit-identical sums.

use std::cmp::Ordering;

use serde_json::Value;
use tessera_lang::{
    AggFunc, AggregateCond, AgoRelation, Computed, EventQuery, Expr, GeoTarget, Literal, NumCmp,
    PropFilter, Recency, RecencyCond, SequenceCond, ValueCond, ValueFunc, ValueTest, Window,
};
use tessera_model::{
    format_millis, local_time, parse_timestamp, GeoPoint, LocalField, Millis, TraitValue, DAY_MS,
    HOUR_MS, LAST_LOCATION, MINUTE_MS,
};

use crate::data::{last_location, local_value, zone_name, EventData, ProfileData};
use crate::explain::Explanation;

/// Whether `expr` holds for `profile` as of `at`. Always equal to `explain(..).held`.
pub fn eval(expr: &Expr, profile: &ProfileData, at: Millis) -> bool {
    match expr {
        Expr::And(items) => items.iter().all(|item| eval(item, profile, at)),
        Expr::Or(items) => items.iter().any(|item| eval(item, profile, at)),
        Expr::Not(inner) => !eval(inner, profile, at),
        Expr::Trait(cond) => match builtin_value(&cond.name, profile, at) {
            Some(value) => test_holds(&cond.test, value.as_ref().map(trait_val)),
            None => test_holds(&cond.test, profile.traits.get(&cond.name).map(trait_val)),
        },
        Expr::Did(query) => !matching_events(query, profile, at).is_empty(),
        Expr::Count(cond) => cond
            .cmp
            .holds(matching_events(&cond.query, profile, at).len() as f64),
        Expr::Aggregate(cond) => {
            let events = matching_events(&cond.query, profile, at);
            aggregate(cond, &events).is_some_and(|(value, _)| cond.cmp.holds(value))
        }
        Expr::Recency(cond) => {
            let events = matching_events(&cond.query, profile, at);
            recency_ts(cond, &events).is_some_and(|ts| recency_holds(cond, ts, at))
        }
        Expr::Value(cond) => {
            let events = matching_events(&cond.query, profile, at);
            test_holds(&cond.test, value_of(cond, &events).0.as_ref().map(json_val))
        }
        Expr::Sequence(cond) => sequence_match(cond, profile, at).is_some(),
        // References are expanded before evaluation (`tessera_lang::expand`).
        Expr::InSegment(_) | Expr::Missing(_) => false,
    }
}

/// A computed trait's value for `profile` as of `at`, by the rules its tests follow: a count,
/// or a sum of nothing, is 0; an average, minimum or maximum of nothing, and a value of no
/// taking-part event, is `None` (`unique_count` is then 0 and `distinct` an empty list).
pub fn computed_value(computed: &Computed, profile: &ProfileData, at: Millis) -> Option<Value> {
    let unused = NumCmp::Compare {
        op: tessera_lang::CmpOp::Eq,
        value: 0.0,
    };
    match computed {
        Computed::Count(query) => {
            Some(Value::from(matching_events(query, profile, at).len() as u64))
        }
        Computed::Aggregate {
            func,
            query,
            property,
        } => {
            let cond = AggregateCond {
                func: *func,
                query: query.clone(),
                property: property.clone(),
                cmp: unused,
            };
            let (value, _) = aggregate(&cond, &matching_events(query, profile, at))?;
            serde_json::Number::from_f64(value).map(Value::Number)
        }
        Computed::Value {
            func,
            query,
            property,
            ..
        } => {
            let cond = ValueCond {
                func: *func,
                query: query.clone(),
                property: property.clone(),
                test: ValueTest::Exists,
            };
            value_of(&cond, &matching_events(query, profile, at)).0
        }
    }
}

/// Why `expr` holds or not for `profile` as of `at`: every condition with the value found.
pub fn explain(expr: &Expr, profile: &ProfileData, at: Millis) -> Explanation {
    let leaf = |found: String, held: bool| Explanation {
        condition: expr.to_string(),
        found,
        held,
        children: Vec::new(),
    };
    match expr {
        Expr::And(items) | Expr::Or(items) => {
            let children: Vec<Explanation> = items
                .iter()
                .map(|item| explain(item, profile, at))
                .collect();
            let holding = children.iter().filter(|c| c.held).count();
            let held = match expr {
                Expr::And(_) => holding == children.len(),
                _ => holding > 0,
            };
            Explanation {
                condition: expr.to_string(),
                found: format!("{holding} of {} hold", children.len()),
                held,
                children,
            }
        }
        Expr::Not(inner) => {
            let child = explain(inner, profile, at);
            Explanation {
                condition: expr.to_string(),
                found: if child.held {
                    "operand holds"
                } else {
                    "operand does not hold"
                }
                .into(),
                held: !child.held,
                children: vec![child],
            }
        }
        Expr::Trait(cond) if LocalField::from_name(&cond.name).is_some() => {
            let field = LocalField::from_name(&cond.name).expect("checked by the guard");
            let value = local_value(field, profile, at);
            let found = match (zone_name(profile, at), &value) {
                (Some(zone), Some(value)) => format!(
                    "{} = {value} (local time {} in {zone})",
                    cond.name,
                    local_clock(zone, at)
                ),
                (Some(zone), None) => format!("no value: \"{zone}\" is not a known time zone"),
                (None, _) => "no value: no time zone (no `timezone` trait and no event with \
                     `context.timezone`)"
                    .to_string(),
            };
            leaf(found, test_holds(&cond.test, value.as_ref().map(trait_val)))
        }
        Expr::Trait(cond) => {
            let builtin = builtin_value(&cond.name, profile, at);
            let value = match &builtin {
                Some(value) => value.as_ref(),
                None => profile.traits.get(&cond.name),
            };
            let found = match (value, &cond.test) {
                (
                    Some(TraitValue::Geo(point)),
                    ValueTest::Within {
                        of: GeoTarget::Point { lat, lon },
                        ..
                    },
                ) => format!(
                    "{} = {value}, {:.3} km away",
                    cond.name,
                    point.distance_m(GeoPoint {
                        lat: *lat,
                        lon: *lon
                    }) / 1_000.0,
                    value = value.expect("matched Some"),
                ),
                (Some(value), _) => format!("{} = {value}", cond.name),
                (None, _) => "no value".to_string(),
            };
            leaf(found, test_holds(&cond.test, value.map(trait_val)))
        }
        Expr::Did(query) => {
            let events = matching_events(query, profile, at);
            leaf(describe_count(&events), !events.is_empty())
        }
        Expr::Count(cond) => {
            let events = matching_events(&cond.query, profile, at);
            leaf(describe_count(&events), cond.cmp.holds(events.len() as f64))
        }
        Expr::Aggregate(cond) => {
            let events = matching_events(&cond.query, profile, at);
            match aggregate(cond, &events) {
                Some((value, used)) => leaf(
                    format!("{} = {value} (over {used} events)", cond.func.as_str()),
                    cond.cmp.holds(value),
                ),
                None => leaf("no value".into(), false),
            }
        }
        Expr::Recency(cond) => {
            let events = matching_events(&cond.query, profile, at);
            match recency_ts(cond, &events) {
                Some(ts) => {
                    let which = match cond.which {
                        Recency::First => "first",
                        Recency::Last => "last",
                    };
                    let found = format!(
                        "{which} at {} ({} before)",
                        format_millis(ts),
                        human_duration(at.saturating_sub(ts))
                    );
                    leaf(found, recency_holds(cond, ts, at))
                }
                None => leaf("no value".into(), false),
            }
        }
        Expr::Value(cond) => {
            let events = matching_events(&cond.query, profile, at);
            let (value, used) = value_of(cond, &events);
            let holds = test_holds(&cond.test, value.as_ref().map(json_val));
            let func = cond.func.as_str();
            match value {
                Some(value) => leaf(format!("{func} = {value} (over {used} events)"), holds),
                None => leaf("no value".into(), holds),
            }
        }
        Expr::Sequence(cond) => match sequence_match(cond, profile, at) {
            Some((a, Some(b))) => leaf(
                format!(
                    "{} at {} followed by {} at {}",
                    a.name,
                    format_millis(a.ts),
                    b.name,
                    format_millis(b.ts)
                ),
                true,
            ),
            Some((a, None)) => leaf(
                format!(
                    "{} at {}, not followed by {} within {}",
                    a.name,
                    format_millis(a.ts),
                    cond.second.event,
                    cond.within
                ),
                true,
            ),
            None => {
                let starts = matching_events(&cond.first, profile, at).len();
                leaf(
                    format!(
                        "no such sequence ({starts} matching {} events)",
                        cond.first.event
                    ),
                    false,
                )
            }
        },
        Expr::InSegment(_) => leaf(
            "cannot be evaluated: segment references are expanded before evaluation".into(),
            false,
        ),
        Expr::Missing(_) => leaf(
            "cannot be evaluated: the segment has a syntax error here".into(),
            false,
        ),
    }
}

/// The events a query selects as of `at`, in time order; ties keep the profile's order.
fn matching_events<'p>(
    query: &EventQuery,
    profile: &'p ProfileData,
    at: Millis,
) -> Vec<&'p EventData> {
    let mut events: Vec<&EventData> = profile
        .events
        .iter()
        .filter(|e| e.name == query.event)
        .filter(|e| in_window(e.ts, query.window.as_ref(), at))
        .filter(|e| query.filter.as_ref().is_none_or(|f| filter_holds(f, e)))
        .collect();
    events.sort_by_key(|e| e.ts);
    events
}

/// The instance that makes a sequence hold: the first step's event and, for `then`, the
/// event that followed it. See `SequenceCond` for the rules.
fn sequence_match<'p>(
    cond: &SequenceCond,
    profile: &'p ProfileData,
    at: Millis,
) -> Option<(&'p EventData, Option<&'p EventData>)> {
    let seconds = matching_events(&cond.second, profile, at);
    let gap = cond.within.millis();
    for a in matching_events(&cond.first, profile, at) {
        let follower = seconds.iter().copied().find(|b| {
            b.ts > a.ts
                && b.ts.saturating_sub(a.ts) <= gap
                && cond
                    .same
                    .iter()
                    .all(|path| match (a.property(path), b.property(path)) {
                        (Some(x), Some(y)) => crate::data::same_value(x, y),
                        _ => false,
                    })
        });
        match follower {
            Some(b) if cond.followed => return Some((a, Some(b))),
            // Exact arithmetic: a deadline past the end of time never comes (as the real-time
            // scheduler sees it), so an overflowing `a.ts + within` never passes.
            None if !cond.followed && a.ts.checked_add(gap).is_some_and(|end| end <= at) => {
                return Some((a, None))
            }
            _ => {}
        }
    }
    None
}

/// Events after `at` never count; windows are as documented on `Window`.
fn in_window(ts: Millis, window: Option<&Window>, at: Millis) -> bool {
    if ts > at {
        return false;
    }
    match window {
        None => true,
        Some(Window::Last(d)) => at.saturating_sub(d.millis()) < ts,
        Some(Window::Range { from, to }) => *from <= ts && ts < *to,
    }
}

fn filter_holds(filter: &PropFilter, event: &EventData) -> bool {
    match filter {
        PropFilter::And(items) => items.iter().all(|f| filter_holds(f, event)),
        PropFilter::Or(items) => items.iter().any(|f| filter_holds(f, event)),
        PropFilter::Not(inner) => !filter_holds(inner, event),
        PropFilter::Test(cond) => test_holds(&cond.test, event.property(&cond.name).map(json_val)),
        PropFilter::Missing(_) => false,
    }
}

/// The numeric values an aggregate runs over and its result; `None` when it has no value.
fn aggregate(cond: &AggregateCond, events: &[&EventData]) -> Option<(f64, usize)> {
    let values: Vec<f64> = events
        .iter()
        .filter_map(|e| e.property(&cond.property))
        .filter_map(Value::as_f64)
        .collect();
    let sum = values.iter().fold(0.0, |acc, v| acc + v);
    let result = match cond.func {
        AggFunc::Sum => Some(sum),
        AggFunc::Avg => (!values.is_empty()).then(|| sum / values.len() as f64),
        AggFunc::Min => values.iter().copied().reduce(f64::min),
        AggFunc::Max => values.iter().copied().reduce(f64::max),
    };
    result.map(|value| (value, values.len()))
}

/// What a value condition computes over the query's events (in time order), and how many
/// events took part: those whose property is a string, number or boolean. Values are the
/// same as for `with same` ([`crate::data::same_value`]: numbers as f64).
fn value_of(cond: &ValueCond, events: &[&EventData]) -> (Option<Value>, usize) {
    let values: Vec<&Value> = events
        .iter()
        .filter_map(|e| e.property(&cond.property))
        .filter(|v| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_)))
        .collect();
    // Distinct values in order of first use, with their count and the position of their
    // latest use.
    let mut distinct: Vec<(&Value, usize, usize)> = Vec::new();
    for (i, value) in values.iter().enumerate() {
        match distinct
            .iter_mut()
            .find(|(v, _, _)| crate::data::same_value(v, value))
        {
            Some(entry) => {
                entry.1 += 1;
                entry.2 = i;
            }
            None => distinct.push((value, 1, i)),
        }
    }
    let value = match cond.func {
        ValueFunc::First => values.first().map(|v| (*v).clone()),
        ValueFunc::Last => values.last().map(|v| (*v).clone()),
        // The most uses; among equally used values, the one used last.
        ValueFunc::MostFrequent => distinct
            .iter()
            .max_by_key(|(_, count, latest)| (*count, *latest))
            .map(|(v, _, _)| (*v).clone()),
        ValueFunc::UniqueCount => Some(Value::from(distinct.len())),
        ValueFunc::Distinct => (!distinct.is_empty())
            .then(|| Value::Array(distinct.iter().map(|(v, _, _)| (*v).clone()).collect())),
    };
    (value, values.len())
}

fn recency_ts(cond: &RecencyCond, events: &[&EventData]) -> Option<Millis> {
    let times = events.iter().map(|e| e.ts);
    match cond.which {
        Recency::First => times.min(),
        Recency::Last => times.max(),
    }
}

fn recency_holds(cond: &RecencyCond, ts: Millis, at: Millis) -> bool {
    let edge = at.saturating_sub(cond.ago.millis());
    match cond.relation {
        AgoRelation::MoreThan => ts <= edge,
        AgoRelation::LessThan => ts > edge,
    }
}

/// A trait or property value as value tests see it.
enum Val<'a> {
    Str(&'a str),
    Num(f64),
    Bool(bool),
    Ts(Millis),
    List(Vec<Val<'a>>),
    /// Geo points answer `within`, `exists` and `is null`.
    Geo(GeoPoint),
    /// JSON objects: they exist, and that is all a test can ask.
    Other,
}

fn trait_val(value: &TraitValue) -> Val<'_> {
    match value {
        TraitValue::String(s) => Val::Str(s),
        TraitValue::Number(n) => Val::Num(*n),
        TraitValue::Bool(b) => Val::Bool(*b),
        TraitValue::Timestamp(ms) => Val::Ts(*ms),
        TraitValue::Geo(point) => Val::Geo(*point),
        TraitValue::StringList(items) => Val::List(items.iter().map(|s| Val::Str(s)).collect()),
    }
}

fn json_val(value: &Value) -> Val<'_> {
    match value {
        Value::String(s) => Val::Str(s),
        Value::Number(n) => n.as_f64().map_or(Val::Other, Val::Num),
        Value::Bool(b) => Val::Bool(*b),
        Value::Array(items) => Val::List(items.iter().map(json_val).collect()),
        Value::Null | Value::Object(_) => Val::Other,
    }
}

/// The built-in traits computed from a profile's events at evaluation ([`builtin_value`]).
pub const BUILTIN_TRAITS: [&str; 3] = [
    LocalField::Hour.name(),
    LocalField::Weekday.name(),
    LAST_LOCATION,
];

/// The value of a built-in trait computed from the profile as of `at` (`Some(None)`: a
/// built-in without a value); `None` for a name that is not a built-in.
pub fn builtin_value(name: &str, profile: &ProfileData, at: Millis) -> Option<Option<TraitValue>> {
    if let Some(field) = LocalField::from_name(name) {
        return Some(local_value(field, profile, at));
    }
    (name == LAST_LOCATION).then(|| last_location(profile, at).map(TraitValue::Geo))
}

/// Whether a trait value (or its absence) passes a test: the one definition of trait tests.
pub fn trait_test_holds(test: &ValueTest, value: Option<&TraitValue>) -> bool {
    test_holds(test, value.map(trait_val))
}

/// A value test on a value that may be missing (`None`).
fn test_holds(test: &ValueTest, value: Option<Val<'_>>) -> bool {
    let Some(value) = value else {
        return matches!(test, ValueTest::IsNull);
    };
    match test {
        ValueTest::Exists => true,
        ValueTest::IsNull => false,
        ValueTest::Compare { op, value: literal } => {
            compare(&value, literal).is_some_and(|ordering| op.holds(ordering))
        }
        ValueTest::Between { low, high } => {
            compare(&value, low).is_some_and(|o| o != Ordering::Less)
                && compare(&value, high).is_some_and(|o| o != Ordering::Greater)
        }
        ValueTest::In { values } => match &value {
            Val::List(items) => items
                .iter()
                .any(|item| values.iter().any(|l| equals(item, l))),
            _ => values.iter().any(|literal| equals(&value, literal)),
        },
        ValueTest::Contains { value: literal } => match (&value, literal) {
            (Val::Str(s), Literal::String(part)) => s.contains(part.as_str()),
            (Val::List(items), _) => items.iter().any(|item| equals(item, literal)),
            _ => false,
        },
        ValueTest::StartsWith { value: literal } => match (&value, literal) {
            (Val::Str(s), Literal::String(prefix)) => s.starts_with(prefix.as_str()),
            _ => false,
        },
        ValueTest::Within { distance, of } => match (&value, of) {
            (Val::Geo(point), GeoTarget::Point { lat, lon }) => {
                point.distance_m(GeoPoint {
                    lat: *lat,
                    lon: *lon,
                }) <= distance.metres()
            }
            // Places are expanded into points before evaluation (`tessera_lang::expand`).
            _ => false,
        },
    }
}

fn equals(value: &Val<'_>, literal: &Literal) -> bool {
    compare(value, literal) == Some(Ordering::Equal)
}

/// How a value orders against a literal, or `None` when they are of different kinds.
fn compare(value: &Val<'_>, literal: &Literal) -> Option<Ordering> {
    match (value, literal) {
        (Val::Str(s), Literal::String(l)) => Some(s.as_bytes().cmp(l.as_bytes())),
        (Val::Str(s), Literal::Timestamp { timestamp }) => {
            parse_timestamp(s).map(|ms| ms.cmp(timestamp))
        }
        (Val::Num(n), Literal::Number(l)) => n.partial_cmp(l),
        (Val::Bool(b), Literal::Bool(l)) => Some(b.cmp(l)),
        (Val::Ts(ms), Literal::Timestamp { timestamp }) => Some(ms.cmp(timestamp)),
        _ => None,
    }
}

fn describe_count(events: &[&EventData]) -> String {
    const SHOWN: usize = 3;
    let mut found = format!("count = {}", events.len());
    if !events.is_empty() {
        let times: Vec<String> = events
            .iter()
            .take(SHOWN)
            .map(|e| format_millis(e.ts))
            .collect();
        let more = if events.len() > SHOWN { ", …" } else { "" };
        found.push_str(&format!(" (events at {}{more})", times.join(", ")));
    }
    found
}

/// A length of time in its two largest units: `51d 3h`, `2h 5m`, `40s`.
/// `Tue 12:34` in the zone (for explanations).
fn local_clock(zone: &str, at: Millis) -> String {
    local_time::zone(zone)
        .and_then(|z| local_time::clock_text(z, at))
        .unwrap_or_default()
}

fn human_duration(ms: Millis) -> String {
    let units = [(DAY_MS, "d"), (HOUR_MS, "h"), (MINUTE_MS, "m"), (1000, "s")];
    for (i, &(size, suffix)) in units.iter().enumerate() {
        if ms >= size {
            let mut text = format!("{}{suffix}", ms / size);
            if let Some(&(next, next_suffix)) = units.get(i + 1) {
                let rest = ms % size / next;
                if rest > 0 {
                    text.push_str(&format!(" {rest}{next_suffix}"));
                }
            }
            return text;
        }
    }
    format!("{ms}ms")
}

#[cfg(test)]
#[path = "interpreter/tests.rs"]
mod tests;
