//! Typed identifiers: the keys through which records point at a profile.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The kind of an identifier. The built-in kinds get their own normalisation rules
/// (see `tessera-identity`); any other name is a custom kind compared verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum IdentifierKind {
    UserId,
    AnonymousId,
    Email,
    Phone,
    LoyaltyId,
    DeviceId,
    Custom(String),
}

impl IdentifierKind {
    pub const BUILT_IN: [IdentifierKind; 6] = [
        IdentifierKind::UserId,
        IdentifierKind::AnonymousId,
        IdentifierKind::Email,
        IdentifierKind::Phone,
        IdentifierKind::LoyaltyId,
        IdentifierKind::DeviceId,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            IdentifierKind::UserId => "user_id",
            IdentifierKind::AnonymousId => "anonymous_id",
            IdentifierKind::Email => "email",
            IdentifierKind::Phone => "phone",
            IdentifierKind::LoyaltyId => "loyalty_id",
            IdentifierKind::DeviceId => "device_id",
            IdentifierKind::Custom(name) => name,
        }
    }
}

impl From<&str> for IdentifierKind {
    fn from(name: &str) -> Self {
        match name {
            "user_id" => IdentifierKind::UserId,
            "anonymous_id" => IdentifierKind::AnonymousId,
            "email" => IdentifierKind::Email,
            "phone" => IdentifierKind::Phone,
            "loyalty_id" => IdentifierKind::LoyaltyId,
            "device_id" => IdentifierKind::DeviceId,
            other => IdentifierKind::Custom(other.to_string()),
        }
    }
}

impl From<String> for IdentifierKind {
    fn from(name: String) -> Self {
        IdentifierKind::from(name.as_str())
    }
}

impl From<IdentifierKind> for String {
    fn from(kind: IdentifierKind) -> Self {
        kind.as_str().to_string()
    }
}

impl FromStr for IdentifierKind {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(IdentifierKind::from(s))
    }
}

impl fmt::Display for IdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One identifier value of one kind, e.g. `email:ana@example.com`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Identifier {
    pub kind: IdentifierKind,
    pub value: String,
}

impl Identifier {
    pub fn new(kind: impl Into<IdentifierKind>, value: impl Into<String>) -> Self {
        Identifier {
            kind: kind.into(),
            value: value.into(),
        }
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.value)
    }
}

impl FromStr for Identifier {
    type Err = String;
    /// Parses `kind:value`; a bare value is taken as a `user_id`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            Some((kind, value)) if !kind.is_empty() && !value.is_empty() => {
                Ok(Identifier::new(kind, value))
            }
            Some(_) => Err(format!(
                "`{s}` is not `kind:value`, e.g. `email:ana@example.com`"
            )),
            None if s.is_empty() => Err("empty identifier".to_string()),
            None => Ok(Identifier::new(IdentifierKind::UserId, s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_text() {
        for kind in IdentifierKind::BUILT_IN {
            assert_eq!(IdentifierKind::from(kind.as_str()), kind);
        }
        assert_eq!(
            IdentifierKind::from("crm_id"),
            IdentifierKind::Custom("crm_id".into())
        );
    }

    #[test]
    fn parses_kind_value_pairs() {
        let id: Identifier = "email:a@b.co".parse().unwrap();
        assert_eq!(id, Identifier::new(IdentifierKind::Email, "a@b.co"));
        assert_eq!(
            "u1".parse::<Identifier>().unwrap().kind,
            IdentifierKind::UserId
        );
        assert!(":x".parse::<Identifier>().is_err());
    }
}
