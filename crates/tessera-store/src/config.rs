//! `tessera.toml`: identity rules and trait merge rules of a data directory.

use std::path::Path;

use serde::Deserialize;
use tessera_identity::{IdentityConfig, TraitMergeConfig};

use crate::{Error, Result};

/// The data directory's configuration. Every field has a default; unknown keys are errors.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub identity: IdentityConfig,
    #[serde(default)]
    pub traits: TraitsConfig,
    #[serde(default)]
    pub server: ServerSection,
    #[serde(default)]
    pub rfm: RfmSection,
    /// `[computed]`: named traits computed from events, e.g.
    /// `lifetime_spend = "sum(Order Completed.revenue)"` (checked where they are used).
    #[serde(default)]
    pub computed: std::collections::BTreeMap<String, String>,
}

/// `[rfm]`: what the built-in RFM traits (`rfm.r`, `rfm.f`, `rfm.m`, `rfm.segment`) measure.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RfmSection {
    /// The purchase event.
    #[serde(default = "RfmSection::default_event")]
    pub event: String,
    /// The purchase's value property (monetary = sum of it; non-numbers are skipped).
    #[serde(default = "RfmSection::default_value")]
    pub value: String,
    /// Purchases in the last this many days count (`at - window < ts <= at`).
    #[serde(default = "RfmSection::default_window_days")]
    pub window_days: u32,
}

impl RfmSection {
    fn default_event() -> String {
        "Order Completed".into()
    }
    fn default_value() -> String {
        "revenue".into()
    }
    fn default_window_days() -> u32 {
        365
    }
}

impl Default for RfmSection {
    fn default() -> Self {
        RfmSection {
            event: Self::default_event(),
            value: Self::default_value(),
            window_days: Self::default_window_days(),
        }
    }
}

/// `[server]`: settings of `tessera serve`. Command-line flags and environment variables
/// override them; absent ones take the built-in defaults.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// `host:port` to listen on.
    pub listen: Option<String>,
    pub max_event_bytes: Option<usize>,
    pub max_batch_bytes: Option<usize>,
    pub queue_capacity: Option<usize>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraitsConfig {
    #[serde(default)]
    pub merge: TraitMergeConfig,
}

impl Config {
    /// Written by `tessera init`: the defaults, spelled out so users see what they can change.
    pub const DEFAULT_TOML: &'static str = r#"# Tessera data directory configuration.

[identity]
# Region assumed for phone numbers written without a +country prefix (ISO 3166 alpha-2).
default_region = "US"
# Values never used to link records (after normalisation): "value" or "kind:value",
# with `*` allowed at the start or end. Add your own junk values here.
# blocked = ["test@test.com", "0000"]

# At most this many identifiers of a kind on one profile. A link that would exceed a limit
# is refused and recorded, so one shared device or junk value cannot merge many people.
[identity.limits]
user_id = 1
loyalty_id = 1
email = 5
phone = 5
device_id = 10
anonymous_id = 100

# `tessera serve` (flags and TESSERA_LISTEN override these).
[server]
# listen = "127.0.0.1:8088"
# max_event_bytes = 32768        # largest message (Segment's limit: 32 KB)
# max_batch_bytes = 512000       # largest /v1/batch body after decompression (500 KB)
# queue_capacity = 256           # requests waiting for the writer before 429

# The built-in RFM traits (rfm.r, rfm.f, rfm.m: quintile scores 1-5; rfm.segment: Champions,
# Loyal Customers, ...; see docs/language.md) are computed from this purchase event.
[rfm]
# event = "Order Completed"
# value = "revenue"
# window_days = 365

# Computed traits: a name for a count or an aggregate of events, usable in segments like a
# number trait (`lifetime_spend > 500`). See docs/language.md.
[computed]
# lifetime_spend = "sum(Order Completed.revenue)"
# orders_90d = "count(Order Completed in last 90d)"

# How values of a trait from different merged records combine: lww (latest timestamp wins,
# the default), first (earliest wins), max, or sum.
[traits.merge]
# loyalty_points = "sum"
# first_channel = "first"
"#;

    /// Loads the file; a missing file means all defaults.
    pub fn load(path: &Path) -> Result<Config> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text).map_err(|message| Error::Config {
                path: path.into(),
                message,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(source) => Err(Error::Io {
                path: path.into(),
                source,
            }),
        }
    }

    /// Parses the TOML text; the error names the line, column and key.
    pub fn parse(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_file_parses_to_defaults() {
        let config = Config::parse(Config::DEFAULT_TOML).unwrap();
        assert_eq!(config.identity.default_region, "US");
        assert_eq!(config.identity.limits.get("user_id"), Some(&1));
    }

    #[test]
    fn the_server_section_is_read() {
        let config =
            Config::parse("[server]\nlisten = \"0.0.0.0:9000\"\nqueue_capacity = 8\n").unwrap();
        assert_eq!(config.server.listen.as_deref(), Some("0.0.0.0:9000"));
        assert_eq!(config.server.queue_capacity, Some(8));
        assert!(Config::parse("[server]\nlisten_on = 1\n")
            .unwrap_err()
            .contains("listen_on"));
    }

    #[test]
    fn the_rfm_section_has_defaults_and_is_checked() {
        let config = Config::parse("[rfm]\nwindow_days = 90\n").unwrap();
        assert_eq!(
            (
                config.rfm.event.as_str(),
                config.rfm.value.as_str(),
                config.rfm.window_days
            ),
            ("Order Completed", "revenue", 90)
        );
        assert!(Config::parse("[rfm]\nwindow = 90\n")
            .unwrap_err()
            .contains("window"));
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = Config::parse("[identity]\ndefault_regoin = \"GB\"\n").unwrap_err();
        assert!(err.contains("default_regoin"), "{err}");
        assert!(err.contains("line 2"), "{err}");
    }
}
