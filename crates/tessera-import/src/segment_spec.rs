//! Segment tracking-spec messages (`track`, `identify`, `page`, `screen`, `group`, `alias`)
//! turned into store records.
//!
//! Follows the Segment HTTP Tracking API spec: `userId` or `anonymousId` is required (alias
//! needs `userId` and `previousId`); `timestamp` is the event time, else `originalTimestamp`
//! corrected for the sender's clock skew when `sentAt` and `receivedAt` are both present
//! (`receivedAt - (sentAt - originalTimestamp)`); traits come from `traits` (identify, group)
//! and `context.traits`; consent from `context.consent.categoryPreferences`.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tessera_model::{
    parse_timestamp, ConsentPurpose, EventKind, Identifier, IdentifierKind, Millis,
};
use tessera_store::{Record, TraitInput};

/// Why a message was rejected: the JSON field (dotted path) and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Identifiers of a message before normalisation, with the JSON field each came from
/// (so a bad email can be reported as `traits.email`).
pub type RawIdentifiers = Vec<(Identifier, String)>;

/// A message read from JSON, not yet normalised.
#[derive(Debug, Clone)]
pub struct Message {
    pub record: Record,
    pub identifiers: RawIdentifiers,
    /// For `alias`: the previous id, whose kind the store decides.
    pub previous_id: Option<String>,
}

/// How and when a message arrived: the parts of its time that do not come from the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    /// When Tessera received it.
    pub received_at: Millis,
    /// Whether the message's own `receivedAt` wins (files exported from Segment carry it;
    /// over HTTP the server's clock is the receive time).
    pub trust_received_at: bool,
    /// `sentAt` of the enclosing batch, for messages without their own.
    pub batch_sent_at: Option<Millis>,
    /// Whether a message with no time at all happened at `received_at` (the HTTP API's rule)
    /// rather than being rejected (files: an import must not invent times).
    pub default_to_received: bool,
}

impl Receipt {
    /// A line of a file read at `now`.
    pub fn file(now: Millis) -> Receipt {
        Receipt {
            received_at: now,
            trust_received_at: true,
            batch_sent_at: None,
            default_to_received: false,
        }
    }
}

/// Parses one message of a file read at `now`; see [`parse_message_with`].
pub fn parse_message(value: &Value, line_text: &str, now: Millis) -> Result<Message, FieldError> {
    parse_message_with(value, line_text, &Receipt::file(now))
}

/// Parses one message. `id_seed` seeds a deterministic message id when none is given, so
/// re-importing the same file stores nothing twice.
///
/// The event time is `timestamp` when given (libraries set it, and server-side callers pass
/// historical times in it); otherwise `originalTimestamp` corrected for the sender's clock
/// skew with `sentAt` (the message's or the batch's): `receivedAt − (sentAt −
/// originalTimestamp)`, or `originalTimestamp` as is without a `sentAt`; otherwise, per
/// [`Receipt::default_to_received`], the receive time or a rejection.
pub fn parse_message_with(
    value: &Value,
    id_seed: &str,
    receipt: &Receipt,
) -> Result<Message, FieldError> {
    let obj = value
        .as_object()
        .ok_or_else(|| FieldError::new("", "a message must be a JSON object"))?;
    let kind_text = str_field(obj, "type")?.ok_or_else(|| {
        FieldError::new(
            "type",
            "missing; expected one of track, identify, page, screen, group, alias",
        )
    })?;
    let kind = EventKind::parse(kind_text).ok_or_else(|| {
        FieldError::new("type", format!("`{kind_text}` is not a message type; expected track, identify, page, screen, group or alias"))
    })?;
    let message_id = match obj.get("messageId") {
        None | Some(Value::Null) => derived_message_id(id_seed),
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(_) => return Err(FieldError::new("messageId", "must be a non-empty string")),
    };
    let own_received = if receipt.trust_received_at {
        time_field(obj, "receivedAt")?
    } else {
        None
    };
    let received_at = own_received.unwrap_or(receipt.received_at);
    let timestamp = match time_field(obj, "timestamp")? {
        Some(ts) => ts,
        None => match time_field(obj, "originalTimestamp")? {
            Some(original) => match time_field(obj, "sentAt")?.or(receipt.batch_sent_at) {
                Some(sent) => received_at - (sent - original),
                None => original,
            },
            None if receipt.default_to_received => received_at,
            None => {
                return Err(FieldError::new(
                    "timestamp",
                    "missing; a message needs `timestamp` (or `originalTimestamp`) as an ISO 8601 date-time",
                ))
            }
        },
    };
    let properties = object_field(obj, "properties")?;
    let context = object_field(obj, "context")?;

    let mut identifiers: RawIdentifiers = Vec::new();
    let user_id = id_field(obj, "userId")?;
    let anonymous_id = id_field(obj, "anonymousId")?;
    if let Some(id) = &user_id {
        identifiers.push((
            Identifier::new(IdentifierKind::UserId, id.clone()),
            "userId".into(),
        ));
    }
    if let Some(id) = &anonymous_id {
        identifiers.push((
            Identifier::new(IdentifierKind::AnonymousId, id.clone()),
            "anonymousId".into(),
        ));
    }
    let previous_id = id_field(obj, "previousId")?;
    match kind {
        EventKind::Alias if user_id.is_none() || previous_id.is_none() => {
            let field = if user_id.is_none() {
                "userId"
            } else {
                "previousId"
            };
            return Err(FieldError::new(
                field,
                "missing; alias needs both `userId` and `previousId`",
            ));
        }
        _ if user_id.is_none() && anonymous_id.is_none() => {
            return Err(FieldError::new(
                "userId",
                "missing; a message needs `userId` or `anonymousId`",
            ))
        }
        _ => {}
    }
    if let Some(Value::Object(device)) = context.get("device") {
        if let Some(Value::String(id)) = device.get("id") {
            if !id.is_empty() {
                identifiers.push((
                    Identifier::new(IdentifierKind::DeviceId, id.clone()),
                    "context.device.id".into(),
                ));
            }
        }
    }

    let mut traits: Vec<(String, TraitInput)> = Vec::new();
    let mut add_traits =
        |source: &Map<String, Value>, prefix: &str, identifiers: &mut RawIdentifiers| {
            for (key, value) in source {
                // Email and phone in traits are identifiers too (as in Segment's identity resolution).
                if let ("email" | "phone", Value::String(s)) = (key.as_str(), value) {
                    if !s.trim().is_empty() {
                        identifiers.push((
                            Identifier::new(key.as_str(), s.clone()),
                            format!("{prefix}.{key}"),
                        ));
                    }
                }
                traits.retain(|(k, _)| k != key);
                traits.push((key.clone(), TraitInput::Json(value.clone())));
            }
        };
    if let Some(ctx_traits) = context.get("traits") {
        let map = ctx_traits
            .as_object()
            .ok_or_else(|| FieldError::new("context.traits", "must be an object"))?;
        add_traits(map, "context.traits", &mut identifiers);
    }
    if matches!(kind, EventKind::Identify) {
        let top = object_field(obj, "traits")?;
        add_traits(&top, "traits", &mut identifiers);
    }
    // Group traits describe the account, not the person: they stay in the event's properties.
    let mut properties = properties;
    if matches!(kind, EventKind::Group) {
        if let Some(group_id) = obj.get("groupId") {
            properties.insert("groupId".into(), group_id.clone());
        }
        if let Some(t) = obj.get("traits") {
            properties.insert("traits".into(), t.clone());
        }
    }

    let name = match kind {
        EventKind::Track => match obj.get("event") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(Value::String(_)) | None | Some(Value::Null) => {
                return Err(FieldError::new(
                    "event",
                    "missing; a track message needs the event name, e.g. \"Order Completed\"",
                ))
            }
            Some(_) => return Err(FieldError::new("event", "must be a string")),
        },
        EventKind::Page | EventKind::Screen => {
            if let Some(Value::String(page)) = obj.get("name") {
                properties
                    .entry("name")
                    .or_insert_with(|| Value::String(page.clone()));
            }
            if let Some(Value::String(category)) = obj.get("category") {
                properties
                    .entry("category")
                    .or_insert_with(|| Value::String(category.clone()));
            }
            kind.default_event_name().to_string()
        }
        _ => kind.default_event_name().to_string(),
    };

    let mut consents = Vec::new();
    if let Some(prefs) = context
        .get("consent")
        .and_then(|c| c.get("categoryPreferences"))
        .and_then(Value::as_object)
    {
        for (category, granted) in prefs {
            // Vendor-specific categories without a Tessera purpose are kept in the context only.
            if let (Ok(purpose), Some(granted)) =
                (category.parse::<ConsentPurpose>(), granted.as_bool())
            {
                consents.push((purpose, granted));
            }
        }
    }

    Ok(Message {
        record: Record {
            message_id,
            kind,
            name,
            timestamp,
            received_at,
            identifiers: Vec::new(),
            traits,
            consents,
            properties,
            context,
        },
        identifiers,
        previous_id,
    })
}

/// A stable id from the line's bytes: the same line always gets the same id.
pub(crate) fn derived_message_id(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

fn str_field<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, FieldError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(FieldError::new(key, "must be a string")),
    }
}

/// Ids may be strings or numbers (the Segment libraries send numbers as given).
fn id_field(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, FieldError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(FieldError::new(key, "must be a string or a number")),
    }
}

fn time_field(obj: &Map<String, Value>, key: &str) -> Result<Option<Millis>, FieldError> {
    match str_field(obj, key)? {
        None => Ok(None),
        Some(text) => parse_timestamp(text).map(Some).ok_or_else(|| {
            FieldError::new(
                key,
                format!("`{text}` is not an ISO 8601 date-time such as 2026-10-01T12:00:00Z"),
            )
        }),
    }
}

fn object_field(obj: &Map<String, Value>, key: &str) -> Result<Map<String, Value>, FieldError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(_) => Err(FieldError::new(key, "must be an object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn track_message_becomes_a_record() {
        let msg = json!({"type": "track", "event": "Order Completed", "userId": 42, "messageId": "m1",
            "timestamp": "2026-10-01T00:00:00Z", "properties": {"revenue": 10},
            "context": {"traits": {"email": "A@B.co"}, "device": {"id": "d1"}}});
        let m = parse_message(&msg, "", 0).unwrap();
        assert_eq!(m.record.name, "Order Completed");
        assert_eq!(m.record.message_id, "m1");
        let kinds: Vec<String> = m.identifiers.iter().map(|(i, _)| i.to_string()).collect();
        assert_eq!(kinds, ["user_id:42", "device_id:d1", "email:A@B.co"]);
    }

    #[test]
    fn clock_skew_is_corrected_from_sent_and_received() {
        let msg = json!({"type": "page", "anonymousId": "a", "originalTimestamp": "2026-10-01T00:00:00Z",
            "sentAt": "2026-10-01T00:00:10Z", "receivedAt": "2026-10-01T00:01:10Z", "name": "Home"});
        let m = parse_message(&msg, "", 0).unwrap();
        assert_eq!(
            m.record.timestamp,
            parse_timestamp("2026-10-01T00:01:00Z").unwrap()
        );
        assert_eq!(m.record.name, "Page Viewed");
        assert_eq!(m.record.properties["name"], "Home");
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (
                json!({"type": "track", "userId": "u", "timestamp": "2026-10-01"}),
                "event",
            ),
            (json!({"type": "trak", "userId": "u"}), "type"),
            (
                json!({"type": "track", "event": "E", "timestamp": "2026-10-01"}),
                "userId",
            ),
            (
                json!({"type": "track", "event": "E", "userId": "u"}),
                "timestamp",
            ),
            (
                json!({"type": "track", "event": "E", "userId": "u", "timestamp": "soon"}),
                "timestamp",
            ),
            (
                json!({"type": "track", "event": "E", "userId": "u", "timestamp": "2026-10-01", "properties": [1]}),
                "properties",
            ),
            (
                json!({"type": "alias", "userId": "u", "timestamp": "2026-10-01"}),
                "previousId",
            ),
        ];
        for (msg, field) in cases {
            let err = parse_message(&msg, "", 0).unwrap_err();
            assert_eq!(err.field, field, "{msg}: {err:?}");
        }
    }

    #[test]
    fn derived_ids_are_stable() {
        assert_eq!(derived_message_id("x"), derived_message_id("x"));
        assert_ne!(derived_message_id("x"), derived_message_id("y"));
    }
}
