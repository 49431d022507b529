//! Instants as UTC milliseconds, and their textual (RFC 3339) form.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};

/// Milliseconds since 1970-01-01T00:00:00Z. Every timestamp in Tessera is one of these.
pub type Millis = i64;

pub const MINUTE_MS: Millis = 60_000;
pub const HOUR_MS: Millis = 60 * MINUTE_MS;
pub const DAY_MS: Millis = 24 * HOUR_MS;

/// Parses an instant written as RFC 3339 (`2026-10-01T12:00:00Z`, `2026-10-01T12:00:00.250+02:00`),
/// as a naive date-time taken as UTC (`2026-10-01T12:00:00`, `2026-10-01 12:00:00`), or as a date
/// (`2026-10-01`, midnight UTC).
pub fn parse_timestamp(text: &str) -> Option<Millis> {
    let text = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Some(dt.timestamp_millis());
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(Utc.from_utc_datetime(&naive).timestamp_millis());
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(
            Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0)?)
                .timestamp_millis(),
        );
    }
    None
}

/// Formats an instant as RFC 3339 in UTC with a `Z` suffix; milliseconds only when non-zero.
pub fn format_millis(ms: Millis) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(dt) if ms % 1000 == 0 => dt.to_rfc3339_opts(SecondsFormat::Secs, true),
        Some(dt) => dt.to_rfc3339_opts(SecondsFormat::Millis, true),
        None => format!("@{ms}ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        assert_eq!(parse_timestamp("1970-01-02"), Some(DAY_MS));
        assert_eq!(parse_timestamp("1970-01-01T01:00:00Z"), Some(HOUR_MS));
        assert_eq!(parse_timestamp("1970-01-01T02:00:00+01:00"), Some(HOUR_MS));
        assert_eq!(parse_timestamp("1970-01-01 00:01:00"), Some(MINUTE_MS));
        assert_eq!(parse_timestamp("1970-01-01T00:00:00.250Z"), Some(250));
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp("2026-13-01"), None);
    }

    #[test]
    fn formats_round_trip() {
        for ms in [0, 250, DAY_MS * 20_000 + 7, -DAY_MS] {
            assert_eq!(parse_timestamp(&format_millis(ms)), Some(ms));
        }
        assert_eq!(format_millis(HOUR_MS), "1970-01-01T01:00:00Z");
    }
}
