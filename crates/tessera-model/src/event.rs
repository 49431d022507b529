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

/// The part of a Segment `context` that segments read, as the object segments see under the
/// event property `context` (`where context.device.type = "mobile"`,
/// `first(Page Viewed.context.channel) = "Email"`): `device.type`, `campaign.source`,
/// `campaign.medium`, `campaign.name`, `campaign.term`, `campaign.content`, `timezone`,
/// `locale` (each only when a non-empty string), `location.latitude` and `location.longitude`
/// (only together, when both are numbers on Earth) and always `channel`, see [`channel`].
/// `None` for an empty context (identify calls, imported rows without one).
pub fn segment_context(context: &Map<String, Value>) -> Option<Map<String, Value>> {
    if context.is_empty() {
        return None;
    }
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(|s| Value::String(s.to_string()))
    };
    let mut out = Map::new();
    if let Some(kind) = text(context.get("device").and_then(|d| d.get("type"))) {
        out.insert(
            "device".into(),
            Value::Object(Map::from_iter([("type".into(), kind)])),
        );
    }
    let campaign = context.get("campaign").and_then(Value::as_object);
    let mut utm = Map::new();
    for key in ["source", "medium", "name", "term", "content"] {
        if let Some(value) = text(campaign.and_then(|c| c.get(key))) {
            utm.insert(key.into(), value);
        }
    }
    let source = utm.get("source").and_then(Value::as_str);
    let medium = utm.get("medium").and_then(Value::as_str);
    out.insert(
        "channel".into(),
        Value::String(channel(source, medium).into()),
    );
    if !utm.is_empty() {
        out.insert("campaign".into(), Value::Object(utm));
    }
    for key in ["timezone", "locale"] {
        if let Some(value) = text(context.get(key)) {
            out.insert(key.into(), value);
        }
    }
    let location = context.get("location");
    let coordinate = |key: &str| location.and_then(|l| l.get(key));
    if let Some(point) = context_point(coordinate("latitude"), coordinate("longitude")) {
        out.insert(
            "location".into(),
            serde_json::json!({ "latitude": point.lat, "longitude": point.lon }),
        );
    }
    Some(out)
}

/// The built-in geo trait of where a profile was last seen: the `context.location` of its
/// latest event that has one (see `tessera_engine::data::last_location`).
pub const LAST_LOCATION: &str = "last_location";

/// The property paths of an event's location, as segments see it under `context`.
pub const CONTEXT_LATITUDE: &str = "context.location.latitude";
pub const CONTEXT_LONGITUDE: &str = "context.location.longitude";

/// A point from a Segment `context.location`'s `latitude` and `longitude`: both JSON numbers,
/// on Earth (latitude −90…90, longitude −180…180); anything else is no location.
pub fn context_point(latitude: Option<&Value>, longitude: Option<&Value>) -> Option<GeoPoint> {
    GeoPoint::new(latitude?.as_f64()?, longitude?.as_f64()?)
}

/// The marketing channel of a visit from its UTM source and medium, after Google Analytics'
/// default channel grouping (simplified to what UTM parameters alone can tell; case is
/// ignored): no source and no medium is `Direct`; medium `cpc`, `ppc`, `paidsearch` or
/// starting with `paid` (except `paid_social`/`paidsocial`: `Paid Social`) is `Paid Search`;
/// `display`, `banner`, `cpm`, `interstitial` → `Display`; `email`, `e-mail`, `e_mail`,
/// `e mail` → `Email`; `affiliate` → `Affiliates`; `referral`, `app`, `link` → `Referral`;
/// `organic` → `Organic Search`; `social`, `social-network`, `social-media`, `sm`, or a
/// social source (facebook, instagram, twitter, x, linkedin, tiktok, pinterest, reddit,
/// youtube) → `Organic Social`; `sms` → `SMS`; `push` → `Mobile Push Notifications`; anything
/// else `Unassigned`.
pub fn channel(source: Option<&str>, medium: Option<&str>) -> &'static str {
    let source = source.map(str::to_ascii_lowercase);
    let medium = medium.map(str::to_ascii_lowercase);
    let (source, medium) = (source.as_deref(), medium.as_deref());
    const SOCIAL: [&str; 9] = [
        "facebook",
        "instagram",
        "twitter",
        "x",
        "linkedin",
        "tiktok",
        "pinterest",
        "reddit",
        "youtube",
    ];
    match (source, medium) {
        (None, None) => "Direct",
        (_, Some("paid_social" | "paidsocial" | "paid-social")) => "Paid Social",
        (_, Some("cpc" | "ppc" | "paidsearch")) => "Paid Search",
        (_, Some(m)) if m.starts_with("paid") => "Paid Search",
        (_, Some("display" | "banner" | "cpm" | "interstitial")) => "Display",
        (_, Some("email" | "e-mail" | "e_mail" | "e mail")) => "Email",
        (_, Some("affiliate")) => "Affiliates",
        (_, Some("referral" | "app" | "link")) => "Referral",
        (_, Some("organic")) => "Organic Search",
        (_, Some("social" | "social-network" | "social-media" | "sm")) => "Organic Social",
        (Some(s), _) if SOCIAL.contains(&s) => "Organic Social",
        (_, Some("sms")) => "SMS",
        (_, Some("push")) => "Mobile Push Notifications",
        _ => "Unassigned",
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_segment_context_keeps_what_segments_read_and_names_the_channel() {
        let context = json!({
            "device": {"type": "mobile", "id": "d1"},
            "campaign": {"source": "Newsletter", "medium": "EMAIL", "name": "spring", "term": ""},
            "timezone": "Europe/Paris",
            "userAgent": "Mozilla/5.0",
            "library": {"name": "analytics.js"}
        });
        let summary = segment_context(context.as_object().unwrap()).unwrap();
        assert_eq!(
            Value::Object(summary),
            json!({
                "device": {"type": "mobile"},
                "campaign": {"source": "Newsletter", "medium": "EMAIL", "name": "spring"},
                "channel": "Email",
                "timezone": "Europe/Paris"
            })
        );
        let plain = json!({"library": {"name": "analytics-python"}});
        assert_eq!(
            Value::Object(segment_context(plain.as_object().unwrap()).unwrap()),
            json!({"channel": "Direct"})
        );
        assert_eq!(segment_context(&Map::new()), None);
        // A location needs both coordinates, as numbers on Earth.
        for (location, kept) in [
            (
                json!({"latitude": 41.88, "longitude": -87.63, "speed": 0}),
                true,
            ),
            (json!({"latitude": "41.88", "longitude": -87.63}), false),
            (json!({"latitude": 91.0, "longitude": -87.63}), false),
            (json!({"latitude": 41.88}), false),
        ] {
            let context = json!({ "location": location });
            let summary = segment_context(context.as_object().unwrap()).unwrap();
            assert_eq!(
                summary.get("location"),
                kept.then(|| json!({"latitude": 41.88, "longitude": -87.63}))
                    .as_ref(),
                "{location}"
            );
        }
    }

    #[test]
    fn channels_follow_the_default_grouping() {
        let cases = [
            (None, None, "Direct"),
            (Some("google"), Some("cpc"), "Paid Search"),
            (Some("google"), Some("paid"), "Paid Search"),
            (Some("facebook"), Some("paid_social"), "Paid Social"),
            (Some("facebook"), None, "Organic Social"),
            (Some("x"), Some("referral"), "Referral"),
            (Some("google"), Some("organic"), "Organic Search"),
            (Some("partner"), Some("affiliate"), "Affiliates"),
            (Some("gdn"), Some("banner"), "Display"),
            (None, Some("sms"), "SMS"),
            (None, Some("push"), "Mobile Push Notifications"),
            (Some("somewhere"), Some("print"), "Unassigned"),
        ];
        for (source, medium, expected) in cases {
            assert_eq!(channel(source, medium), expected, "{source:?} {medium:?}");
        }
    }
}
