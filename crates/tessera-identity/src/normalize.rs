//! Normalisation of identifier values, so that one person's key is spelled one way, then the
//! blocklist.

use phonenumber::metadata::DATABASE;
use phonenumber::Mode;
use tessera_model::{Identifier, IdentifierKind};

use crate::blocklist::{blocking_rule, parse_rules, BlockRule};
use crate::IdentityConfig;

/// What [`normalize`] made of an identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Normalized {
    /// The canonical spelling, safe to link on.
    Ok(Identifier),
    /// Well-formed, but a placeholder that must never link (`rule` is the matching entry).
    Blocked { value: String, rule: String },
    /// Not a usable value of its kind.
    Invalid { reason: String },
}

/// Normalises one identifier, then applies the blocklist to the normalised value (or, when the
/// value cannot be normalised, to the raw trimmed value).
///
/// - `email`: trimmed and lowercased; it must have exactly one `@`, a non-empty local part, a
///   domain with a dot between non-empty labels, and no whitespace. Provider-specific rewrites
///   (Gmail dots, `+tags`) are not applied: they would merge distinct people on other domains.
/// - `phone`: parsed with `default_region` for numbers without `+country` and written in E.164
///   (`+14155550134`). The number must be possible: a known country code and a national number
///   whose length that country uses. Numbers only diallable locally (no area code) are invalid,
///   since many people share them across areas. Extensions are dropped.
/// - `user_id`, `loyalty_id`, `device_id`, `anonymous_id` and custom kinds: trimmed, otherwise
///   kept verbatim (case matters in most systems' ids).
///
/// Empty values are invalid for every kind.
pub fn normalize(id: &Identifier, config: &IdentityConfig) -> Normalized {
    Normalizer::new(config).normalize(id)
}

/// Normalises many identifiers under one config, parsing the blocklist once (an importer
/// makes one per file; [`normalize`] makes one per call).
#[derive(Debug)]
pub struct Normalizer<'c> {
    config: &'c IdentityConfig,
    rules: Vec<(&'c str, BlockRule<'c>)>,
}

impl<'c> Normalizer<'c> {
    pub fn new(config: &'c IdentityConfig) -> Normalizer<'c> {
        Normalizer {
            config,
            rules: parse_rules(&config.blocked),
        }
    }

    /// See [`normalize`].
    pub fn normalize(&self, id: &Identifier) -> Normalized {
        normalize_with(id, self.config, &self.rules)
    }
}

fn normalize_with(
    id: &Identifier,
    config: &IdentityConfig,
    rules: &[(&str, BlockRule<'_>)],
) -> Normalized {
    let value = id.value.trim();
    if value.is_empty() {
        return Normalized::Invalid {
            reason: format!("empty {}", id.kind),
        };
    }
    let normalized = match id.kind {
        IdentifierKind::Email => normalize_email(value),
        IdentifierKind::Phone => normalize_phone(value, &config.default_region),
        _ => Ok(value.to_string()),
    };
    let normalized = match normalized {
        Ok(value) => Identifier {
            kind: id.kind.clone(),
            value,
        },
        Err(reason) => {
            // Placeholders such as a phone `0000` are junk, not typos: a blocklisted raw value
            // is reported as blocked (the record still lands) rather than invalid (rejected).
            let raw = Identifier {
                kind: id.kind.clone(),
                value: value.to_string(),
            };
            return match blocking_rule(rules, &raw) {
                Some(rule) => Normalized::Blocked {
                    value: raw.value,
                    rule: rule.to_string(),
                },
                None => Normalized::Invalid { reason },
            };
        }
    };
    match blocking_rule(rules, &normalized) {
        Some(rule) => Normalized::Blocked {
            value: normalized.value,
            rule: rule.to_string(),
        },
        None => Normalized::Ok(normalized),
    }
}

fn normalize_email(value: &str) -> Result<String, String> {
    let email = value.to_lowercase();
    let invalid = |why: &str| Err(format!("`{value}` is not an email address: {why}"));
    if email.chars().any(char::is_whitespace) {
        return invalid("it contains whitespace");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return invalid("no `@`");
    };
    if domain.contains('@') {
        return invalid("more than one `@`");
    }
    if local.is_empty() {
        return invalid("nothing before the `@`");
    }
    if !domain.contains('.') || domain.split('.').any(str::is_empty) {
        return invalid("the domain needs a dot between non-empty parts, e.g. `example.com`");
    }
    Ok(email)
}

fn normalize_phone(value: &str, region: &str) -> Result<String, String> {
    // An unknown region still lets numbers written with `+country` through.
    let region = region.parse::<phonenumber::country::Id>().ok();
    let number =
        parse_phone(value, region).map_err(|e| format!("`{value}` is not a phone number: {e}"))?;
    let code = number.code().value();
    let regions = DATABASE
        .by_code(&code)
        .ok_or_else(|| format!("`{value}` has an unknown country code +{code}"))?;
    // Lengths come from the number's own region: countries sharing a code differ (one NANP
    // region allows 7 digits). When the digits fit no region, the code's main country decides.
    let meta = number
        .metadata(&DATABASE)
        .or_else(|| {
            regions
                .iter()
                .copied()
                .find(|m| m.is_main_country_for_code())
        })
        .or_else(|| regions.first().copied());
    // The bundled metadata leaves the general descriptor's lengths empty, so the possible
    // lengths are gathered from the descriptors of the types a person's number can have.
    let lengths: Vec<u16> = meta
        .into_iter()
        .flat_map(|meta| {
            let d = meta.descriptors();
            [
                Some(d.general()),
                d.fixed_line(),
                d.mobile(),
                d.toll_free(),
                d.premium_rate(),
            ]
            .into_iter()
            .chain([
                d.shared_cost(),
                d.personal_number(),
                d.voip(),
                d.pager(),
                d.uan(),
            ])
            .chain([d.voicemail()])
            .flatten()
            .flat_map(|desc| desc.possible_length().iter().copied())
        })
        .collect();
    let national = number.national().to_string();
    let length = u16::try_from(national.len()).unwrap_or(u16::MAX);
    // A country whose metadata lists no lengths at all cannot be checked; trust the parser.
    if !lengths.is_empty() && !lengths.contains(&length) {
        return Err(format!(
            "`{value}` is not a possible phone number: +{code} numbers do not have {length} digits after the country code"
        ));
    }
    Ok(number.format().mode(Mode::E164).to_string())
}

/// Parses with the default region only where it applies. The `phonenumber` crate strips the
/// *default* region's trunk prefix from foreign numbers too (with region US, `+33 1 42 68 53
/// 00` would lose its `1`), so `+` numbers are parsed without a region, and numbers dialled
/// with the region's international prefix (`011 33 …` from the US) are re-parsed in `+` form.
fn parse_phone(
    value: &str,
    region: Option<phonenumber::country::Id>,
) -> Result<phonenumber::PhoneNumber, phonenumber::ParseError> {
    let Some(home) = region.and_then(|r| DATABASE.by_id(r.as_ref())) else {
        return phonenumber::parse(None, value);
    };
    if value.starts_with('+') {
        return phonenumber::parse(None, value);
    }
    let number = phonenumber::parse(region, value)?;
    let code = number.code().value();
    if code == home.country_code() {
        return Ok(number);
    }
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    let national = home
        .international_prefix()
        .and_then(|idd| idd.find(&digits))
        .filter(|m| m.start() == 0)
        .and_then(|m| digits[m.end()..].strip_prefix(code.to_string().as_str()));
    match national {
        Some(national) => phonenumber::parse(None, format!("+{code}{national}")),
        None => Ok(number),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(kind: &str, value: &str) -> Normalized {
        normalize(&Identifier::new(kind, value), &IdentityConfig::default())
    }

    fn ok(kind: &str, value: &str) -> Normalized {
        Normalized::Ok(Identifier::new(kind, value))
    }

    fn reason(n: Normalized) -> String {
        match n {
            Normalized::Invalid { reason } => reason,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        assert_eq!(
            norm("email", "  Ana.Lopez@Example.COM \t"),
            ok("email", "ana.lopez@example.com")
        );
        assert_eq!(
            norm("email", "ANA+news@x.co.uk"),
            ok("email", "ana+news@x.co.uk")
        );
    }

    #[test]
    fn malformed_emails_are_invalid_with_a_reason() {
        assert_eq!(
            reason(norm("email", "ana.example.com")),
            "`ana.example.com` is not an email address: no `@`"
        );
        assert!(reason(norm("email", "ana@@x.com")).contains("more than one `@`"));
        assert!(reason(norm("email", "a@b@x.com")).contains("more than one `@`"));
        assert!(reason(norm("email", "@x.com")).contains("nothing before the `@`"));
        assert!(reason(norm("email", "ana@localhost")).contains("needs a dot"));
        assert!(reason(norm("email", "ana@x.")).contains("needs a dot"));
        assert!(reason(norm("email", "ana@.com")).contains("needs a dot"));
        assert!(reason(norm("email", "ana lopez@x.com")).contains("whitespace"));
        assert_eq!(reason(norm("email", "   ")), "empty email");
    }

    #[test]
    fn us_national_phones_get_the_default_region() {
        for written in [
            "(415) 555-0134",
            "415.555.0134",
            "4155550134",
            "1 415 555 0134",
            "+1 (415) 555-0134",
        ] {
            assert_eq!(
                norm("phone", written),
                ok("phone", "+14155550134"),
                "{written}"
            );
        }
    }

    #[test]
    fn international_phones_keep_their_country() {
        assert_eq!(
            norm("phone", "+44 20 7946 0958"),
            ok("phone", "+442079460958")
        );
        assert_eq!(
            norm("phone", "+33 1 42 68 53 00"),
            ok("phone", "+33142685300")
        );
        assert_eq!(
            norm("phone", "011 33 1 42 68 53 00"),
            ok("phone", "+33142685300")
        );
        assert_eq!(
            norm("phone", "+39 06 1234 5678"),
            ok("phone", "+390612345678")
        );
    }

    #[test]
    fn another_default_region_changes_national_numbers() {
        let config = IdentityConfig {
            default_region: "GB".into(),
            ..IdentityConfig::default()
        };
        let gb = |v: &str| normalize(&Identifier::new("phone", v), &config);
        assert_eq!(gb("020 7946 0958"), ok("phone", "+442079460958"));
        assert_eq!(gb("+1 415 555 0134"), ok("phone", "+14155550134"));
        assert_eq!(gb("00 33 1 42 68 53 00"), ok("phone", "+33142685300"));
        // The same digits are another person's number in another region.
        assert_eq!(gb("(415) 555-0134"), ok("phone", "+444155550134"));
        let de = IdentityConfig {
            default_region: "DE".into(),
            ..IdentityConfig::default()
        };
        assert_eq!(
            normalize(&Identifier::new("phone", "030 123456"), &de),
            ok("phone", "+4930123456")
        );
    }

    #[test]
    fn impossible_phones_are_invalid() {
        assert!(
            reason(norm("phone", "555-0134")).contains("not a possible phone number"),
            "local-only"
        );
        assert!(reason(norm("phone", "12")).contains("not a phone number"));
        assert!(reason(norm("phone", "call me")).contains("not a phone number"));
        assert!(
            reason(norm("phone", "+1 415 555 01344 1234")).contains("not a possible phone number")
        );
    }

    #[test]
    fn plain_ids_are_trimmed_only() {
        assert_eq!(norm("user_id", "  U-17 "), ok("user_id", "U-17"));
        assert_eq!(
            norm("device_id", "ABC"),
            ok("device_id", "ABC"),
            "case is kept"
        );
        assert_eq!(norm("crm_id", "x 1"), ok("crm_id", "x 1"));
        assert_eq!(reason(norm("anonymous_id", "")), "empty anonymous_id");
        assert_eq!(reason(norm("loyalty_id", " \n")), "empty loyalty_id");
    }

    #[test]
    fn unparseable_placeholders_are_blocked_not_invalid() {
        assert_eq!(
            norm("phone", " 0000 "),
            Normalized::Blocked {
                value: "0000".into(),
                rule: "0000".into()
            }
        );
        assert!(matches!(norm("phone", "12"), Normalized::Invalid { .. }));
    }

    #[test]
    fn placeholders_are_blocked_after_normalisation() {
        assert_eq!(
            norm("user_id", " 0000 "),
            Normalized::Blocked {
                value: "0000".into(),
                rule: "0000".into()
            }
        );
        assert_eq!(
            norm("loyalty_id", "N/A"),
            Normalized::Blocked {
                value: "N/A".into(),
                rule: "n/a".into()
            }
        );
        assert_eq!(
            norm("email", " Test@Test.com"),
            Normalized::Blocked {
                value: "test@test.com".into(),
                rule: "email:test@test.com".into()
            }
        );
        assert_eq!(
            norm("email", "NoEmail@shop.com"),
            Normalized::Blocked {
                value: "noemail@shop.com".into(),
                rule: "email:noemail@*".into()
            }
        );
        assert_eq!(
            norm("phone", "(222) 222-2222"),
            Normalized::Blocked {
                value: "+12222222222".into(),
                rule: "phone:+12222222222".into()
            }
        );
        assert_eq!(
            norm("device_id", "00000000-0000-0000-0000-000000000000"),
            Normalized::Blocked {
                value: "00000000-0000-0000-0000-000000000000".into(),
                rule: "00000000-0000-0000-0000-000000000000".into()
            }
        );
        assert_eq!(norm("user_id", "00001"), ok("user_id", "00001"));
    }

    #[test]
    fn no_default_placeholder_phone_survives() {
        // Some are rejected as impossible numbers before the blocklist sees them (the parser
        // reads a leading 1 or 0 as a trunk prefix); either way they never link.
        for entry in crate::DEFAULT_BLOCKED
            .iter()
            .filter_map(|e| e.strip_prefix("phone:"))
        {
            let n = norm("phone", entry);
            assert!(
                !matches!(n, Normalized::Ok(_)),
                "{entry} normalised to {n:?}"
            );
        }
        assert!(!matches!(
            norm("phone", "+1 000 000 0000"),
            Normalized::Ok(_)
        ));
        assert!(!matches!(
            norm("phone", "(123) 456-7890"),
            Normalized::Ok(_)
        ));
    }

    #[test]
    fn configured_globs_block() {
        let mut config = IdentityConfig::default();
        config.blocked.push("email:*@corp.invalid".into());
        config.blocked.push("device_id:test-*".into());
        let n = |kind: &str, v: &str| normalize(&Identifier::new(kind, v), &config);
        assert!(
            matches!(n("email", "Ops@Corp.Invalid"), Normalized::Blocked { rule, .. } if rule == "email:*@corp.invalid")
        );
        assert!(
            matches!(n("device_id", "TEST-rig-4"), Normalized::Blocked { rule, .. } if rule == "device_id:test-*")
        );
        assert_eq!(n("user_id", "test-rig-4"), ok("user_id", "test-rig-4"));
    }
}
