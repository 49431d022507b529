//! Events: something a profile did at a time, with properties and context.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::time::Millis;
use crate::traits::GeoPoint;

/// The Segment message types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Track,
    Identify,
    Page,
    Screen,
    Group,
    Alias,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Track => "track",
            EventKind::Identify => "identify",
            EventKind::Page => "page",
            EventKind::Screen => "screen",
            EventKind::Group => "group",
            EventKind::Alias => "alias",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        Some(match s {
            "track" => EventKind::Track,
            "identify" => EventKind::Identify,
            "page" => EventKind::Page,
            "screen" => EventKind::Screen,
            "group" => EventKind::Group,
            "alias" => EventKind::Alias,
            _ => return None,
        })
    }

    /// The event name segments use for messages that carry no `event` field: page views are
    /// `Page Viewed` and screen views `Screen Viewed` (with the page name in property `name`),
    /// and the other kinds are named after the kind.
    pub fn default_event_name(self) -> &'static str {
        match self {
            EventKind::Track => "Track",
            EventKind::Identify => "Identify",
            EventKind::Page => "Page Viewed",
            EventKind::Screen => "Screen Viewed",
            EventKind::Group => "Group",
            EventKind::Alias => "Alias",
        }
    }

    /// Whether events of this kind are behaviour that segments count (track, page, screen),
    /// as opposed to identity and profile updates.
    pub fn is_behavioural(self) -> bool {
        matches!(self, EventKind::Track | EventKind::Page | EventKind::Screen)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Device {
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "type")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// UTM campaign parameters, as in Segment's `context.campaign`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// The parts of an event's context that Tessera interprets. The raw context is kept too.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<Device>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<Campaign>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<GeoPoint>,
}

impl EventContext {
    /// Reads the interpreted fields from a Segment `context` object; unknown fields are ignored
    /// here (the raw object is stored beside).
    pub fn from_segment(context: &Map<String, Value>) -> EventContext {
        let string = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        let device = context
            .get("device")
            .and_then(Value::as_object)
            .map(|d| Device {
                kind: string(d.get("type")),
                id: string(d.get("id")),
            });
        let campaign = context
            .get("campaign")
            .and_then(Value::as_object)
            .map(|c| Campaign {
                source: string(c.get("source")),
                medium: string(c.get("medium")),
                name: string(c.get("name")),
                term: string(c.get("term")),
                content: string(c.get("content")),
            });
        let location = context
            .get("location")
            .and_then(Value::as_object)
            .and_then(|l| {
                GeoPoint::new(l.get("latitude")?.as_f64()?, l.get("longitude")?.as_f64()?)
            });
        EventContext {
            device,
            locale: string(context.get("locale")),
            timezone: string(context.get("timezone")),
            campaign,
            location,
        }
    }
}

/// An event as stored: the message id makes storing it idempotent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub message_id: String,
    pub kind: EventKind,
    pub name: String,
    pub timestamp: Millis,
    pub received_at: Millis,
    pub properties: Map<String, Value>,
    pub context: Map<String, Value>,
}
