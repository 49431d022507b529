//! Typed profile traits and the rules that turn JSON or CSV text into them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::time::{format_millis, parse_timestamp, Millis};

/// The declared type of a trait. A trait's type is fixed by the first value seen for it
/// (or by a CSV mapping); later values are coerced to it or rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraitType {
    String,
    Number,
    Bool,
    Timestamp,
    Geo,
    StringList,
}

impl TraitType {
    pub fn as_str(self) -> &'static str {
        match self {
            TraitType::String => "string",
            TraitType::Number => "number",
            TraitType::Bool => "bool",
            TraitType::Timestamp => "timestamp",
            TraitType::Geo => "geo",
            TraitType::StringList => "string_list",
        }
    }
}

impl fmt::Display for TraitType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TraitType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "string" | "str" | "text" => TraitType::String,
            "number" | "num" | "float" | "int" | "integer" => TraitType::Number,
            "bool" | "boolean" => TraitType::Bool,
            "timestamp" | "time" | "datetime" | "date" => TraitType::Timestamp,
            "geo" | "point" => TraitType::Geo,
            "string_list" | "list" | "tags" => TraitType::StringList,
            other => {
                return Err(format!(
                    "unknown type `{other}`: expected one of string, number, bool, timestamp, geo, string_list"
                ))
            }
        })
    }
}

/// A geographic point in WGS 84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

impl GeoPoint {
    pub fn new(lat: f64, lon: f64) -> Option<GeoPoint> {
        ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon))
            .then_some(GeoPoint { lat, lon })
    }

    /// Great-circle distance in metres by the haversine formula on a sphere of the Earth's
    /// mean radius (IUGG: 6,371,008.8 m). Off the WGS 84 ellipsoid by at most about 0.5 %.
    pub fn distance_m(self, other: GeoPoint) -> f64 {
        let (lat1, lat2) = (self.lat.to_radians(), other.lat.to_radians());
        let d_lat = lat2 - lat1;
        let d_lon = (other.lon - self.lon).to_radians();
        let h = (d_lat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (d_lon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
    }
}

/// The Earth's mean radius (IUGG), in metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

#[cfg(test)]
mod geo_tests {
    use super::GeoPoint;

    #[test]
    fn haversine_distances_match_published_values() {
        // Chicago to New York: 1,144,292.85 m computed independently in Python (math module,
        // same formula and radius); published great-circle tables give about 1,145 km.
        let chicago = GeoPoint::new(41.8781, -87.6298).unwrap();
        let new_york = GeoPoint::new(40.7128, -74.0060).unwrap();
        let d = chicago.distance_m(new_york);
        assert!((d - 1_144_292.854_508_77).abs() < 1e-3, "{d}");
        let here = GeoPoint::new(10.0, 20.0).unwrap();
        assert_eq!(here.distance_m(here), 0.0);
        // A quarter of a great circle along the equator.
        let q = GeoPoint::new(0.0, 0.0)
            .unwrap()
            .distance_m(GeoPoint::new(0.0, 90.0).unwrap());
        assert!((q - std::f64::consts::FRAC_PI_2 * super::EARTH_RADIUS_M).abs() < 1e-6);
    }
}

/// A typed trait value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum TraitValue {
    String(String),
    Number(f64),
    Bool(bool),
    Timestamp(Millis),
    Geo(GeoPoint),
    StringList(Vec<String>),
}

impl TraitValue {
    pub fn trait_type(&self) -> TraitType {
        match self {
            TraitValue::String(_) => TraitType::String,
            TraitValue::Number(_) => TraitType::Number,
            TraitValue::Bool(_) => TraitType::Bool,
            TraitValue::Timestamp(_) => TraitType::Timestamp,
            TraitValue::Geo(_) => TraitType::Geo,
            TraitValue::StringList(_) => TraitType::StringList,
        }
    }

    pub fn as_number(&self) -> Option<f64> {
        match self {
            TraitValue::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// Infers the type of a JSON value seen for a trait that has no type yet. `null` has no
    /// type. Strings that are full RFC 3339 date-times become timestamps; objects with numeric
    /// `lat`/`lon` (or `latitude`/`longitude`) become geo points.
    pub fn infer_type(value: &Value) -> Option<TraitType> {
        match value {
            Value::Null => None,
            Value::Bool(_) => Some(TraitType::Bool),
            Value::Number(_) => Some(TraitType::Number),
            Value::String(s) => Some(
                if s.len() >= 20 && chrono::DateTime::parse_from_rfc3339(s).is_ok() {
                    TraitType::Timestamp
                } else {
                    TraitType::String
                },
            ),
            Value::Array(_) => Some(TraitType::StringList),
            Value::Object(_) => Some(TraitType::Geo),
        }
    }

    /// Converts a JSON value to a value of type `ty`, with the documented coercions:
    /// numbers and booleans written as strings are accepted for number and bool traits,
    /// numbers (epoch milliseconds) and date strings for timestamps, and scalars are turned
    /// into strings for string traits. Returns the reason when the value does not fit.
    pub fn from_json(value: &Value, ty: TraitType) -> Result<TraitValue, String> {
        let wrong = || format!("expected {ty}, found {}", describe_json(value));
        match (ty, value) {
            (TraitType::String, Value::String(s)) => Ok(TraitValue::String(s.clone())),
            (TraitType::String, Value::Number(n)) => Ok(TraitValue::String(n.to_string())),
            (TraitType::String, Value::Bool(b)) => Ok(TraitValue::String(b.to_string())),
            (TraitType::Number, Value::Number(n)) => n
                .as_f64()
                .filter(|f| f.is_finite())
                .map(TraitValue::Number)
                .ok_or_else(wrong),
            (TraitType::Number, Value::String(s)) => Self::parse_text(s, ty).map_err(|_| wrong()),
            (TraitType::Bool, Value::Bool(b)) => Ok(TraitValue::Bool(*b)),
            (TraitType::Bool, Value::String(s)) => Self::parse_text(s, ty).map_err(|_| wrong()),
            (TraitType::Timestamp, Value::String(s)) => {
                Self::parse_text(s, ty).map_err(|_| wrong())
            }
            (TraitType::Timestamp, Value::Number(n)) => {
                n.as_i64().map(TraitValue::Timestamp).ok_or_else(wrong)
            }
            (TraitType::Geo, Value::Object(map)) => {
                let coord =
                    |a: &str, b: &str| map.get(a).or_else(|| map.get(b)).and_then(Value::as_f64);
                match (coord("lat", "latitude"), coord("lon", "longitude")) {
                    (Some(lat), Some(lon)) => GeoPoint::new(lat, lon)
                        .map(TraitValue::Geo)
                        .ok_or_else(|| format!("coordinates out of range: lat {lat}, lon {lon}")),
                    _ => Err("expected an object with numeric `lat` and `lon`".to_string()),
                }
            }
            (TraitType::Geo, Value::String(s)) => Self::parse_text(s, ty).map_err(|_| wrong()),
            (TraitType::StringList, Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(n) => Ok(n.to_string()),
                    other => Err(format!(
                        "list items must be strings, found {}",
                        describe_json(other)
                    )),
                })
                .collect::<Result<_, _>>()
                .map(TraitValue::StringList),
            (TraitType::StringList, Value::String(s)) => Self::parse_text(s, ty),
            _ => Err(wrong()),
        }
    }

    /// Parses a value of type `ty` from text (a CSV cell). Lists are `|`-separated, geo points
    /// are `lat,lon` or `lat lon`, booleans are `true/false/yes/no/1/0` (any case).
    pub fn parse_text(text: &str, ty: TraitType) -> Result<TraitValue, String> {
        let t = text.trim();
        match ty {
            TraitType::String => Ok(TraitValue::String(text.to_string())),
            TraitType::Number => t
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(TraitValue::Number)
                .ok_or_else(|| format!("`{t}` is not a number")),
            TraitType::Bool => match t.to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "1" | "t" => Ok(TraitValue::Bool(true)),
                "false" | "no" | "n" | "0" | "f" => Ok(TraitValue::Bool(false)),
                _ => Err(format!("`{t}` is not a boolean (true/false, yes/no, 1/0)")),
            },
            TraitType::Timestamp => parse_timestamp(t)
                .map(TraitValue::Timestamp)
                .ok_or_else(|| format!("`{t}` is not a date or RFC 3339 timestamp")),
            TraitType::Geo => {
                let parts: Vec<&str> = t.split([',', ' ', ';']).filter(|p| !p.is_empty()).collect();
                let parsed: Option<Vec<f64>> = (parts.len() == 2)
                    .then(|| parts.iter().map(|p| p.parse::<f64>().ok()).collect())
                    .flatten();
                match parsed.as_deref() {
                    Some([lat, lon]) => GeoPoint::new(*lat, *lon)
                        .map(TraitValue::Geo)
                        .ok_or_else(|| format!("coordinates out of range: `{t}`")),
                    _ => Err(format!("`{t}` is not a `lat,lon` point")),
                }
            }
            TraitType::StringList => Ok(TraitValue::StringList(
                t.split('|')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect(),
            )),
        }
    }

    /// The JSON form used in the store and in exports (timestamps as RFC 3339 strings).
    pub fn to_json(&self) -> Value {
        match self {
            TraitValue::String(s) => Value::String(s.clone()),
            TraitValue::Number(n) => {
                serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number)
            }
            TraitValue::Bool(b) => Value::Bool(*b),
            TraitValue::Timestamp(ms) => Value::String(format_millis(*ms)),
            TraitValue::Geo(p) => serde_json::json!({ "lat": p.lat, "lon": p.lon }),
            TraitValue::StringList(items) => {
                Value::Array(items.iter().cloned().map(Value::String).collect())
            }
        }
    }
}

impl fmt::Display for TraitValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraitValue::String(s) => write!(f, "{s:?}"),
            TraitValue::Number(n) => write!(f, "{n}"),
            TraitValue::Bool(b) => write!(f, "{b}"),
            TraitValue::Timestamp(ms) => f.write_str(&format_millis(*ms)),
            TraitValue::Geo(p) => write!(f, "({}, {})", p.lat, p.lon),
            TraitValue::StringList(items) => write!(f, "{items:?}"),
        }
    }
}

fn describe_json(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn infers_types_from_json() {
        assert_eq!(TraitValue::infer_type(&json!(3)), Some(TraitType::Number));
        assert_eq!(
            TraitValue::infer_type(&json!("2026-01-01T00:00:00Z")),
            Some(TraitType::Timestamp)
        );
        assert_eq!(
            TraitValue::infer_type(&json!("2026")),
            Some(TraitType::String)
        );
        assert_eq!(TraitValue::infer_type(&json!(null)), None);
    }

    #[test]
    fn coerces_documented_forms_and_rejects_others() {
        assert_eq!(
            TraitValue::from_json(&json!("34"), TraitType::Number),
            Ok(TraitValue::Number(34.0))
        );
        assert_eq!(
            TraitValue::from_json(&json!("abc"), TraitType::Number),
            Err("expected number, found string \"abc\"".to_string())
        );
        assert_eq!(
            TraitValue::parse_text("Yes", TraitType::Bool),
            Ok(TraitValue::Bool(true))
        );
        assert_eq!(
            TraitValue::parse_text("40.7,-73.9", TraitType::Geo),
            Ok(TraitValue::Geo(GeoPoint {
                lat: 40.7,
                lon: -73.9
            }))
        );
        assert!(TraitValue::parse_text("95,0", TraitType::Geo).is_err());
        assert_eq!(
            TraitValue::parse_text("a| b||c", TraitType::StringList),
            Ok(TraitValue::StringList(vec![
                "a".into(),
                "b".into(),
                "c".into()
            ]))
        );
    }

    #[test]
    fn json_form_round_trips() {
        for value in [
            TraitValue::Number(1.5),
            TraitValue::Timestamp(86_400_000),
            TraitValue::Geo(GeoPoint { lat: 1.0, lon: 2.0 }),
            TraitValue::StringList(vec!["x".into()]),
        ] {
            assert_eq!(
                TraitValue::from_json(&value.to_json(), value.trait_type()),
                Ok(value)
            );
        }
    }
}
