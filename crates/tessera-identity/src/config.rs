//! `[identity]` configuration: default phone region, per-kind limits, blocklist and priority.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tessera_model::IdentifierKind;

use crate::blocklist::BlockRule;

/// Identifier kinds in their default order of trust. Kinds a configured `priority` leaves out
/// keep this relative order after the listed ones; custom kinds come last, by name.
pub const DEFAULT_PRIORITY: [&str; 6] = [
    "user_id",
    "loyalty_id",
    "email",
    "phone",
    "device_id",
    "anonymous_id",
];

/// The most identifiers of a kind one profile may hold, for the kinds with their own default.
pub const DEFAULT_LIMITS: [(&str, usize); 6] = [
    ("user_id", 1),
    ("loyalty_id", 1),
    ("email", 5),
    ("phone", 5),
    ("device_id", 10),
    ("anonymous_id", 100),
];

/// The limit of a kind that neither [`DEFAULT_LIMITS`] nor the configuration names.
pub const DEFAULT_LIMIT: usize = 25;

/// Placeholder values that systems write when they have no real identifier. Linking on any of
/// them would merge every person who left the field blank, so they are blocked unless
/// `builtin_blocklist = false`. Entries are matched against normalised values, ignoring ASCII
/// case: phones in E.164, emails lowercased.
pub const DEFAULT_BLOCKED: &[&str] = &[
    // Any kind: what forms, exports and SDKs write for "no value".
    "none",
    "null",
    "nil",
    "undefined",
    "nan",
    "n/a",
    "na",
    "-",
    "unknown",
    "anonymous",
    "guest",
    "test",
    "[object object]",
    "0",
    "-1",
    "0000",
    "00000000",
    "12345678",
    "123456789",
    "1234567890",
    // The all-zero UUID: the advertising id iOS and Android report when tracking is limited.
    "00000000-0000-0000-0000-000000000000",
    // The ANDROID_ID a widespread Android 2.2 bug gave to millions of devices.
    "device_id:9774d56d682e549c",
    // Emails typed to get past a required field.
    "email:test@test.com",
    "email:test@example.com",
    "email:email@example.com",
    "email:user@example.com",
    "email:noemail@*",
    "email:no-email@*",
    "email:noreply@*",
    "email:no-reply@*",
    "email:donotreply@*",
    "email:none@*",
    "email:null@*",
    "email:unknown@*",
    "email:na@*",
    // Phones typed to get past a required field (NANP, as normalised with region US). Some
    // are already impossible numbers to the parser; they stay listed so that the list does
    // not depend on its details.
    "phone:+10000000000",
    "phone:+11111111111",
    "phone:+12222222222",
    "phone:+13333333333",
    "phone:+14444444444",
    "phone:+15555555555",
    "phone:+16666666666",
    "phone:+17777777777",
    "phone:+18888888888",
    "phone:+19999999999",
    "phone:+11234567890",
];

/// Identity resolution settings, the `[identity]` table of `tessera.toml`.
///
/// Every field has a default and unknown keys are rejected. In TOML, `limits` entries override
/// the defaults of the kinds they name, and `blocked` entries are added to
/// [`DEFAULT_BLOCKED`] (set `builtin_blocklist = false` to start from an empty list), because
/// replacing the defaults by accident would silently re-enable linking on junk values. The
/// struct itself always holds the effective values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawIdentityConfig", into = "RawIdentityConfig")]
pub struct IdentityConfig {
    /// ISO 3166 alpha-2 region for phone numbers written without `+country`, e.g. `"US"`.
    pub default_region: String,
    /// The most identifiers of a kind (by name) one canonical profile may hold; `0` means
    /// identifiers of that kind are never attached, so they never link.
    pub limits: BTreeMap<String, usize>,
    /// The limit of kinds `limits` does not name.
    pub default_limit: usize,
    /// Values never used to link: `"value"` (any kind) or `"kind:value"`, compared with the
    /// normalised value ignoring ASCII case; `*` may start and/or end the value (`noemail@*`,
    /// `*@example.invalid`, `device_id:*`). A value containing `:` is written `*:value`.
    pub blocked: Vec<String>,
    /// Kinds in order of trust; the first one found on a record picks the profile it lands on.
    pub priority: Vec<String>,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            default_region: "US".to_string(),
            limits: DEFAULT_LIMITS
                .iter()
                .map(|(k, n)| (k.to_string(), *n))
                .collect(),
            default_limit: DEFAULT_LIMIT,
            blocked: DEFAULT_BLOCKED.iter().map(|s| s.to_string()).collect(),
            priority: DEFAULT_PRIORITY.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl IdentityConfig {
    /// A configuration with no limits at all: every shared identifier links. Meant for tests
    /// and for comparing against plain connected components, not for production data.
    pub fn unlimited() -> Self {
        IdentityConfig {
            limits: BTreeMap::new(),
            default_limit: usize::MAX,
            ..IdentityConfig::default()
        }
    }

    /// The most identifiers of `kind` one canonical profile may hold.
    pub fn limit(&self, kind: &IdentifierKind) -> usize {
        self.limits
            .get(kind.as_str())
            .copied()
            .unwrap_or(self.default_limit)
    }

    /// Sort key of a kind by trust, smaller first. Listed kinds come first in list order, then
    /// unlisted built-in kinds in [`DEFAULT_PRIORITY`] order, then custom kinds (which callers
    /// order by name to stay deterministic).
    pub fn rank(&self, kind: &IdentifierKind) -> (u8, usize) {
        let name = kind.as_str();
        if let Some(i) = self.priority.iter().position(|k| k == name) {
            (0, i)
        } else if let Some(i) = DEFAULT_PRIORITY.iter().position(|k| *k == name) {
            (1, i)
        } else {
            (2, 0)
        }
    }

    /// Checks what deserialisation checks, for configurations built in code.
    pub fn validate(&self) -> Result<(), String> {
        if self
            .default_region
            .parse::<phonenumber::country::Id>()
            .is_err()
        {
            return Err(format!(
                "default_region `{}` is not an ISO 3166 alpha-2 region code (e.g. \"US\", \"GB\", \"DE\")",
                self.default_region
            ));
        }
        for entry in &self.blocked {
            BlockRule::parse(entry)
                .map_err(|reason| format!("blocked entry `{entry}`: {reason}"))?;
        }
        for (i, kind) in self.priority.iter().enumerate() {
            if kind.trim().is_empty() {
                return Err("priority contains an empty kind name".to_string());
            }
            if self.priority[..i].contains(kind) {
                return Err(format!("priority lists `{kind}` twice"));
            }
        }
        Ok(())
    }
}

/// The TOML form, where `limits` and `blocked` extend the defaults rather than replace them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawIdentityConfig {
    default_region: String,
    limits: BTreeMap<String, usize>,
    default_limit: usize,
    builtin_blocklist: bool,
    blocked: Vec<String>,
    priority: Vec<String>,
}

impl Default for RawIdentityConfig {
    fn default() -> Self {
        let defaults = IdentityConfig::default();
        RawIdentityConfig {
            default_region: defaults.default_region,
            limits: BTreeMap::new(),
            default_limit: defaults.default_limit,
            builtin_blocklist: true,
            blocked: Vec::new(),
            priority: defaults.priority,
        }
    }
}

impl TryFrom<RawIdentityConfig> for IdentityConfig {
    type Error = String;

    fn try_from(raw: RawIdentityConfig) -> Result<Self, String> {
        let defaults = IdentityConfig::default();
        let mut limits = defaults.limits;
        limits.extend(raw.limits);
        let mut blocked: Vec<String> = if raw.builtin_blocklist {
            defaults.blocked
        } else {
            Vec::new()
        };
        for entry in raw.blocked {
            if !blocked.contains(&entry) {
                blocked.push(entry);
            }
        }
        let config = IdentityConfig {
            // Region codes are conventionally upper case; accept `gb` as well.
            default_region: raw.default_region.trim().to_ascii_uppercase(),
            limits,
            default_limit: raw.default_limit,
            blocked,
            priority: raw.priority,
        };
        config.validate()?;
        Ok(config)
    }
}

impl From<IdentityConfig> for RawIdentityConfig {
    /// Spells out the effective lists so that serialising and reading back is the identity.
    fn from(config: IdentityConfig) -> Self {
        RawIdentityConfig {
            default_region: config.default_region,
            limits: config.limits,
            default_limit: config.default_limit,
            builtin_blocklist: false,
            blocked: config.blocked,
            priority: config.priority,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of `tessera.toml` as far as this crate is concerned.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        #[serde(default)]
        identity: IdentityConfig,
    }

    fn parse(text: &str) -> Result<IdentityConfig, String> {
        toml::from_str::<File>(text)
            .map(|f| f.identity)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn empty_file_gives_documented_defaults() {
        let config = parse("").unwrap();
        assert_eq!(config, IdentityConfig::default());
        assert_eq!(config.default_region, "US");
        assert_eq!(config.limit(&IdentifierKind::UserId), 1);
        assert_eq!(config.limit(&IdentifierKind::LoyaltyId), 1);
        assert_eq!(config.limit(&IdentifierKind::Email), 5);
        assert_eq!(config.limit(&IdentifierKind::Phone), 5);
        assert_eq!(config.limit(&IdentifierKind::DeviceId), 10);
        assert_eq!(config.limit(&IdentifierKind::AnonymousId), 100);
        assert_eq!(config.limit(&IdentifierKind::from("crm_id")), 25);
        assert!(config.blocked.iter().any(|b| b == "email:noemail@*"));
        assert_eq!(parse("[identity]\n").unwrap(), IdentityConfig::default());
    }

    #[test]
    fn listed_limits_override_only_their_kinds() {
        let config = parse("[identity.limits]\nemail = 2\ncrm_id = 1\n").unwrap();
        assert_eq!(config.limit(&IdentifierKind::Email), 2);
        assert_eq!(config.limit(&IdentifierKind::from("crm_id")), 1);
        assert_eq!(
            config.limit(&IdentifierKind::UserId),
            1,
            "unlisted kinds keep their default"
        );
        assert_eq!(config.limit(&IdentifierKind::from("other")), 25);
    }

    #[test]
    fn blocked_entries_extend_the_builtin_list_unless_disabled() {
        let config = parse("[identity]\nblocked = [\"email:*@corp.invalid\", \"null\"]\n").unwrap();
        assert_eq!(
            config.blocked.len(),
            DEFAULT_BLOCKED.len() + 1,
            "duplicates are dropped"
        );
        assert_eq!(config.blocked.last().unwrap(), "email:*@corp.invalid");

        let config = parse("[identity]\nbuiltin_blocklist = false\nblocked = [\"xyz\"]\n").unwrap();
        assert_eq!(config.blocked, vec!["xyz".to_string()]);
    }

    #[test]
    fn priority_and_region_are_read() {
        let config =
            parse("[identity]\ndefault_region = \"gb\"\npriority = [\"email\", \"user_id\"]\n")
                .unwrap();
        assert_eq!(config.default_region, "GB");
        let mut kinds: Vec<IdentifierKind> =
            ["crm_id", "anonymous_id", "user_id", "phone", "email"]
                .map(Into::into)
                .to_vec();
        kinds.sort_by_key(|k| config.rank(k));
        let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            ["email", "user_id", "phone", "anonymous_id", "crm_id"]
        );
    }

    #[test]
    fn unknown_field_is_named_with_the_valid_ones() {
        let err = parse("[identity]\nlimts = { email = 2 }\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("unknown field `limts`"), "{err}");
        assert!(err.contains("expected one of"), "{err}");
        assert!(err.contains("`limits`"), "{err}");
    }

    #[test]
    fn invalid_values_are_explained() {
        let err = parse("[identity]\ndefault_region = \"USA\"\n").unwrap_err();
        assert!(
            err.contains("default_region `USA` is not an ISO 3166 alpha-2 region code"),
            "{err}"
        );

        let err = parse("[identity]\nblocked = [\"te*st\"]\n").unwrap_err();
        assert!(
            err.contains("blocked entry `te*st`: `*` may only start or end a value"),
            "{err}"
        );

        let err = parse("[identity]\nblocked = [\"phone:(000) 000-0000\"]\n").unwrap_err();
        assert!(err.contains("E.164"), "{err}");

        let err = parse("[identity]\npriority = [\"email\", \"email\"]\n").unwrap_err();
        assert!(err.contains("priority lists `email` twice"), "{err}");

        let err = parse("[identity.limits]\nemail = -1\n").unwrap_err();
        assert!(err.contains("email"), "{err}");
    }

    #[test]
    fn serialising_round_trips() {
        let config =
            parse("[identity]\nblocked = [\"xyz\"]\n[identity.limits]\nemail = 3\n").unwrap();
        let text = toml::to_string(&File2 {
            identity: config.clone(),
        })
        .unwrap();
        assert_eq!(parse(&text).unwrap(), config);
    }

    #[derive(Serialize)]
    struct File2 {
        identity: IdentityConfig,
    }
}
