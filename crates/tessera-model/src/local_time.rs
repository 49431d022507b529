//! Local time in a profile's time zone: the built-in traits `local_hour` and `local_weekday`.
//!
//! They are read at the evaluation instant, in the profile's zone (which zone is the
//! evaluators' business: the trait `timezone`, else the latest event's `context.timezone`; see
//! `docs/language.md`). Zones are IANA names (`Europe/Paris`, `America/Chicago`, `UTC`), matched
//! exactly (case included) against the tz database compiled into the binary (`chrono-tz`), so
//! every evaluator, the SQL compiler included, agrees on what a name means whatever the host's
//! tzdata.

use chrono::{DateTime, Datelike, Offset, TimeZone, Timelike};
use chrono_tz::Tz;

use crate::{Millis, TraitType, TraitValue};

/// The trait that names a profile's time zone, when the profile has it.
pub const TIMEZONE_TRAIT: &str = "timezone";

/// The event property path that names the zone an event was sent from (Segment's `context`).
pub const CONTEXT_TIMEZONE: &str = "context.timezone";

/// Weekday names as `local_weekday` gives them, Monday first (ISO 8601 order).
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// A built-in local-time trait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalField {
    /// `local_hour`: the hour of the local wall-clock time, 0–23, a number.
    Hour,
    /// `local_weekday`: the local day of the week, `Monday` … `Sunday`, a string.
    Weekday,
}

impl LocalField {
    pub const ALL: [LocalField; 2] = [LocalField::Hour, LocalField::Weekday];

    /// The field a trait name refers to, if it is one of the built-ins.
    pub fn from_name(name: &str) -> Option<LocalField> {
        match name {
            "local_hour" => Some(LocalField::Hour),
            "local_weekday" => Some(LocalField::Weekday),
            _ => None,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            LocalField::Hour => "local_hour",
            LocalField::Weekday => "local_weekday",
        }
    }

    pub fn trait_type(self) -> TraitType {
        match self {
            LocalField::Hour => TraitType::Number,
            LocalField::Weekday => TraitType::String,
        }
    }

    /// The field's value at `at` in `zone`; `None` only for instants chrono cannot represent
    /// (beyond ±262,000 years).
    pub fn value(self, zone: Tz, at: Millis) -> Option<TraitValue> {
        let (hour, weekday) = hour_and_weekday(zone, at)?;
        Some(match self {
            LocalField::Hour => TraitValue::Number(f64::from(hour)),
            LocalField::Weekday => TraitValue::String(WEEKDAYS[weekday].to_string()),
        })
    }
}

/// The local hour (0–23) and weekday (0 = Monday) at `at` in `zone`; `None` only for instants
/// chrono cannot represent.
pub fn hour_and_weekday(zone: Tz, at: Millis) -> Option<(u32, usize)> {
    let local = DateTime::from_timestamp_millis(at)?.with_timezone(&zone);
    Some((
        local.hour(),
        local.weekday().num_days_from_monday() as usize,
    ))
}

/// The local time at `at` in `zone` as `Tue 12:34`, for explanations.
pub fn clock_text(zone: Tz, at: Millis) -> Option<String> {
    let local = DateTime::from_timestamp_millis(at)?.with_timezone(&zone);
    Some(local.format("%a %H:%M").to_string())
}

/// The zone an IANA name names, if the tz database has it (exact, case-sensitive match).
pub fn zone(name: &str) -> Option<Tz> {
    name.parse().ok()
}

/// Every zone name the tz database knows, links (aliases such as `US/Eastern`) included.
pub fn zone_names() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
}

/// The zone's offset from UTC at `at`, in milliseconds.
fn offset_millis(zone: Tz, at: Millis) -> Option<Millis> {
    let utc = DateTime::from_timestamp_millis(at)?.naive_utc();
    Some(Millis::from(zone.offset_from_utc_datetime(&utc).fix().local_minus_utc()) * 1_000)
}

const HOUR_MS: Millis = 3_600_000;

/// The earliest instant after `at` at which the local hour (and so possibly the weekday) in
/// `zone` may differ from its value at `at`: the next local hour boundary, or an earlier change
/// of the zone's UTC offset (daylight saving). Never later than the true change; it may be a
/// boundary at which nothing changes (the repeated hour when clocks go back), which only costs
/// a re-evaluation. `None` when `at` is beyond what chrono represents.
pub fn next_local_change(zone: Tz, at: Millis) -> Option<Millis> {
    let offset = offset_millis(zone, at)?;
    let into_hour = (at + offset).rem_euclid(HOUR_MS);
    let boundary = at.checked_add(HOUR_MS - into_hour)?;
    if offset_millis(zone, boundary - 1)? == offset {
        return Some(boundary);
    }
    // The offset changes before the boundary (zones change it at most once within an hour):
    // find the first instant with the new offset.
    let (mut same, mut changed) = (at, boundary - 1);
    while changed - same > 1 {
        let mid = same + (changed - same) / 2;
        if offset_millis(zone, mid)? == offset {
            same = mid;
        } else {
            changed = mid;
        }
    }
    Some(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_timestamp;

    fn ms(s: &str) -> Millis {
        parse_timestamp(s).unwrap()
    }

    #[test]
    fn local_hour_and_weekday_follow_the_zone_and_daylight_saving() {
        let paris = zone("Europe/Paris").unwrap();
        // Winter: UTC+1. Summer: UTC+2.
        let winter = ms("2026-01-15T10:30:00Z");
        assert_eq!(
            LocalField::Hour.value(paris, winter),
            Some(TraitValue::Number(11.0))
        );
        let summer = ms("2026-07-15T10:30:00Z");
        assert_eq!(
            LocalField::Hour.value(paris, summer),
            Some(TraitValue::Number(12.0))
        );
        // 2026-11-01 03:00 UTC is still Saturday evening in Los Angeles.
        let la = zone("America/Los_Angeles").unwrap();
        assert_eq!(
            LocalField::Weekday.value(la, ms("2026-11-01T03:00:00Z")),
            Some(TraitValue::String("Saturday".into()))
        );
        // A zone 5:45 ahead of UTC.
        let kathmandu = zone("Asia/Kathmandu").unwrap();
        assert_eq!(
            LocalField::Hour.value(kathmandu, ms("2026-03-01T06:14:59Z")),
            Some(TraitValue::Number(11.0))
        );
        assert_eq!(
            LocalField::Hour.value(kathmandu, ms("2026-03-01T06:15:00Z")),
            Some(TraitValue::Number(12.0))
        );
        assert_eq!(zone("europe/paris"), None, "names are case-sensitive");
        assert_eq!(zone("Mars/Olympus"), None);
        assert!(zone_names().any(|n| n == "US/Eastern"));
    }

    #[test]
    fn the_next_change_is_the_local_hour_boundary_or_the_offset_change() {
        let kathmandu = zone("Asia/Kathmandu").unwrap();
        assert_eq!(
            next_local_change(kathmandu, ms("2026-03-01T06:00:00Z")),
            Some(ms("2026-03-01T06:15:00Z"))
        );
        // Exactly on a boundary: the next one, an hour later.
        assert_eq!(
            next_local_change(kathmandu, ms("2026-03-01T06:15:00Z")),
            Some(ms("2026-03-01T07:15:00Z"))
        );
        // Clocks in Paris go forward at 01:00 UTC on 2026-03-29 (02:00 → 03:00 local).
        let paris = zone("Europe/Paris").unwrap();
        assert_eq!(
            next_local_change(paris, ms("2026-03-29T00:30:00Z")),
            Some(ms("2026-03-29T01:00:00Z"))
        );
        // Property: between `at` and the next change, the local hour does not change (Lord
        // Howe Island moves its clocks by 30 minutes, half-way through a local hour).
        for zone_name in ["Europe/Paris", "Australia/Lord_Howe", "America/St_Johns"] {
            let zone = zone(zone_name).unwrap();
            let mut at = ms("2026-03-01T00:07:00Z");
            while at < ms("2026-12-01T00:00:00Z") {
                let next = next_local_change(zone, at).unwrap();
                assert!(next > at && next - at <= HOUR_MS);
                let hour = LocalField::Hour.value(zone, at);
                assert_eq!(
                    LocalField::Hour.value(zone, next - 1),
                    hour,
                    "{zone_name} {at}"
                );
                at = next + 17 * 60_000;
            }
        }
    }
}
