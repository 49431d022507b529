//! Tiny hand-made datasets shared by the integration tests.

#![allow(dead_code)]

use serde_json::{json, Map, Value};
use tessera_engine::{EventData, ProfileData};
use tessera_model::{Millis, TraitValue, DAY_MS};

pub const AT: Millis = 100 * DAY_MS;

pub fn props(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

pub fn event(name: &str, ts: Millis, properties: Value) -> EventData {
    EventData::new(name, ts, props(properties))
}

pub fn day(d: f64) -> Millis {
    (d * DAY_MS as f64) as Millis
}

pub fn number(x: f64) -> TraitValue {
    TraitValue::Number(x)
}

pub fn string(s: &str) -> TraitValue {
    TraitValue::String(s.to_string())
}

pub fn profile(traits: &[(&str, TraitValue)], events: Vec<EventData>) -> ProfileData {
    ProfileData {
        traits: traits
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        events,
    }
}

pub fn order(ts: Millis, revenue: f64, category: &str, channel: &str) -> EventData {
    event(
        "Order Completed",
        ts,
        json!({"revenue": revenue, "category": category, "channel": channel, "product_id": format!("P-{category}")}),
    )
}
