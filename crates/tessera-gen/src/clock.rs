//! Instants for generated data: the default "as of" time and fast RFC 3339 rendering.
//!
//! A 100k-customer run formats millions of timestamps, so this avoids chrono's general-purpose
//! formatter and writes the fixed `YYYY-MM-DDTHH:MM:SS[.mmm]Z` form into a stack buffer.

use std::fmt;

use tessera_model::{Millis, DAY_MS, HOUR_MS, MINUTE_MS};

/// 2026-11-01T00:00:00Z, the default "as of" instant of generated data.
pub const DEFAULT_NOW: Millis = 1_793_491_200_000;

/// An RFC 3339 UTC timestamp rendered without allocating.
#[derive(Clone, Copy)]
pub struct Stamp {
    bytes: [u8; 24],
    len: usize,
}

impl Stamp {
    /// `2026-10-30T12:01:02Z`: whole seconds, as CRM and POS exports write them.
    pub fn seconds(ms: Millis) -> Stamp {
        Stamp::render(ms, false)
    }

    /// `2026-10-30T12:01:02.123Z`: always with milliseconds, as analytics SDKs send them.
    pub fn millis(ms: Millis) -> Stamp {
        Stamp::render(ms, true)
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits and separators are ever written.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }

    fn render(ms: Millis, with_millis: bool) -> Stamp {
        let days = ms.div_euclid(DAY_MS);
        let in_day = ms.rem_euclid(DAY_MS);
        let (year, month, day) = civil_from_days(days);
        let mut bytes = [0u8; 24];
        let mut len = 0;
        let mut push = |value: i64, width: usize, after: u8| {
            let mut v = value;
            for i in (0..width).rev() {
                bytes[len + i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
            len += width;
            if after != 0 {
                bytes[len] = after;
                len += 1;
            }
        };
        push(year.clamp(0, 9999), 4, b'-');
        push(month, 2, b'-');
        push(day, 2, b'T');
        push(in_day / HOUR_MS, 2, b':');
        push(in_day % HOUR_MS / MINUTE_MS, 2, b':');
        if with_millis {
            push(in_day % MINUTE_MS / 1000, 2, b'.');
            push(in_day % 1000, 3, b'Z');
        } else {
            push(in_day % MINUTE_MS / 1000, 2, b'Z');
        }
        Stamp { bytes, len }
    }
}

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Gregorian date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_model::{format_millis, parse_timestamp};

    #[test]
    fn default_now_is_the_first_of_november() {
        assert_eq!(parse_timestamp("2026-11-01T00:00:00Z"), Some(DEFAULT_NOW));
    }

    #[test]
    fn agrees_with_the_model_formatter() {
        // Spread over leap years, month ends and the millisecond field.
        let mut ms: Millis = 946_684_800_000 - 3 * DAY_MS;
        while ms < DEFAULT_NOW + 400 * DAY_MS {
            let whole = ms - ms % 1000;
            assert_eq!(Stamp::seconds(whole).as_str(), format_millis(whole));
            assert_eq!(parse_timestamp(Stamp::millis(ms).as_str()), Some(ms));
            ms += 7 * DAY_MS + 3 * HOUR_MS + 17 * MINUTE_MS + 12_345;
        }
        assert_eq!(
            Stamp::millis(DEFAULT_NOW + 62_123).as_str(),
            "2026-11-01T00:01:02.123Z"
        );
    }
}
