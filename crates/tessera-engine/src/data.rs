//! The engine's input model: one profile's traits and events, as a store hands them over.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tessera_model::{
    context_point, local_time, GeoPoint, LocalField, Millis, TraitValue, CONTEXT_LATITUDE,
    CONTEXT_LONGITUDE,
};

/// Everything the engine knows about one profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProfileData {
    pub traits: BTreeMap<String, TraitValue>,
    /// In any order; the engine orders them by time itself.
    pub events: Vec<EventData>,
}

/// One event of a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventData {
    pub name: String,
    pub ts: Millis,
    pub properties: Map<String, Value>,
}

impl EventData {
    pub fn new(name: impl Into<String>, ts: Millis, properties: Map<String, Value>) -> EventData {
        EventData {
            name: name.into(),
            ts,
            properties,
        }
    }

    /// The value of a property path; see [`property`].
    pub fn property(&self, path: &str) -> Option<&Value> {
        property(&self.properties, path)
    }
}

/// The time zone `local_hour` and `local_weekday` read for a profile as of `at`, by name:
/// - the trait `timezone` when the profile has it (a value that is not a string names no zone,
///   and the events are then not consulted);
/// - otherwise the `context.timezone` of the profile's latest event at or before `at` where it
///   is a string: latest by time, then by event name (byte order, the greater wins), then by
///   the order the events were stored in.
///
/// The name may still name no zone (`local_time::zone` decides); then the profile has no
/// local time.
pub fn zone_name(profile: &ProfileData, at: Millis) -> Option<&str> {
    if let Some(value) = profile.traits.get(local_time::TIMEZONE_TRAIT) {
        return match value {
            TraitValue::String(name) => Some(name),
            _ => None,
        };
    }
    latest_event_value(profile, at, |event| {
        event
            .property(local_time::CONTEXT_TIMEZONE)
            .and_then(Value::as_str)
    })
}

/// The built-in `last_location`: the `context.location` (latitude and longitude, both numbers
/// on Earth) of the profile's latest event at or before `at` that has one, in the order of
/// [`zone_name`] (time, then event name, then stored order).
pub fn last_location(profile: &ProfileData, at: Millis) -> Option<GeoPoint> {
    latest_event_value(profile, at, |event| {
        context_point(
            event.property(CONTEXT_LATITUDE),
            event.property(CONTEXT_LONGITUDE),
        )
    })
}

/// What `read` finds on the latest event at or before `at` where it finds anything: latest by
/// time, then by event name (byte order), then by position in `profile.events`.
fn latest_event_value<'p, T>(
    profile: &'p ProfileData,
    at: Millis,
    read: impl Fn(&'p EventData) -> Option<T>,
) -> Option<T> {
    let mut latest: Option<(Millis, &str, T)> = None;
    for event in profile.events.iter().filter(|e| e.ts <= at) {
        let newer = latest
            .as_ref()
            .is_none_or(|(ts, name, _)| (event.ts, event.name.as_str()) >= (*ts, *name));
        if newer {
            if let Some(value) = read(event) {
                latest = Some((event.ts, &event.name, value));
            }
        }
    }
    latest.map(|(_, _, value)| value)
}

/// A built-in local-time trait's value for a profile as of `at` (see [`zone_name`]).
pub fn local_value(field: LocalField, profile: &ProfileData, at: Millis) -> Option<TraitValue> {
    field.value(local_time::zone(zone_name(profile, at)?)?, at)
}

/// The value at a property path, or `None` when it is missing.
///
/// This is the one definition of property paths, shared by the interpreter and the index:
/// - a key whose value is JSON `null` counts as absent (null means "no value" everywhere);
/// - a top-level key equal to the whole path wins (`"a.b": 1` answers `a.b`);
/// - otherwise a dotted path is split at every dot and walks nested objects
///   (`{"a": {"b": 1}}` answers `a.b`). Keys that themselves contain dots are only reachable
///   at the top level, because the walk cannot tell which dots belong to a key.
pub fn property<'a>(properties: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(value) = properties.get(path).filter(|v| !v.is_null()) {
        return Some(value);
    }
    if !path.contains('.') {
        return None;
    }
    let mut segments = path.split('.');
    let mut current = properties.get(segments.next()?)?;
    for segment in segments {
        current = current.as_object()?.get(segment)?;
    }
    (!current.is_null()).then_some(current)
}

/// Whether two property values are the same for `with same`: strings byte for byte, numbers as
/// f64 (`1` and `1.0` are the same), booleans; lists and objects are never the same (they are
/// not single values), as in value tests.
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Bool(x), Value::Bool(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn exact_keys_win_over_nested_walks() {
        let p = props(json!({"a.b": 1, "a": {"b": 2, "c": {"d": 3}}}));
        assert_eq!(property(&p, "a.b"), Some(&json!(1)));
        assert_eq!(property(&p, "a.c.d"), Some(&json!(3)));
        assert_eq!(property(&p, "a.x"), None);
        assert_eq!(property(&p, "b"), None);
    }

    #[test]
    fn null_is_absent_so_the_walk_applies() {
        let p = props(json!({"a.b": null, "a": {"b": 2, "n": null}, "z": null}));
        assert_eq!(property(&p, "a.b"), Some(&json!(2)));
        assert_eq!(property(&p, "a.n"), None);
        assert_eq!(property(&p, "z"), None);
    }

    #[test]
    fn dotted_keys_below_the_top_are_not_reachable() {
        let p = props(json!({"a": {"b.c": 1}}));
        assert_eq!(property(&p, "a.b.c"), None);
    }
}
