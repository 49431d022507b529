//! Consent per purpose.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The purposes a person can grant or refuse separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentPurpose {
    Analytics,
    Personalization,
    Advertising,
    Email,
}

impl ConsentPurpose {
    pub const ALL: [ConsentPurpose; 4] = [
        ConsentPurpose::Analytics,
        ConsentPurpose::Personalization,
        ConsentPurpose::Advertising,
        ConsentPurpose::Email,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConsentPurpose::Analytics => "analytics",
            ConsentPurpose::Personalization => "personalization",
            ConsentPurpose::Advertising => "advertising",
            ConsentPurpose::Email => "email",
        }
    }
}

impl fmt::Display for ConsentPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ConsentPurpose {
    type Err = String;
    /// Accepts our names and the category names of Segment's consent spec
    /// (`Advertising`, `Analytics`, `Personalization`, `Marketing` and `Email`), any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "analytics" | "statistics" => Ok(ConsentPurpose::Analytics),
            "personalization" | "personalisation" | "functional" => {
                Ok(ConsentPurpose::Personalization)
            }
            "advertising" | "ads" | "targeting" => Ok(ConsentPurpose::Advertising),
            "email" | "marketing" => Ok(ConsentPurpose::Email),
            _ => Err(format!(
                "unknown consent purpose `{s}`: expected analytics, personalization, advertising or email"
            )),
        }
    }
}

/// Consent state of one profile: `None` means never stated (treated as not granted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consents {
    pub analytics: Option<bool>,
    pub personalization: Option<bool>,
    pub advertising: Option<bool>,
    pub email: Option<bool>,
}

impl Consents {
    pub fn get(&self, purpose: ConsentPurpose) -> Option<bool> {
        match purpose {
            ConsentPurpose::Analytics => self.analytics,
            ConsentPurpose::Personalization => self.personalization,
            ConsentPurpose::Advertising => self.advertising,
            ConsentPurpose::Email => self.email,
        }
    }

    pub fn set(&mut self, purpose: ConsentPurpose, granted: bool) {
        let slot = match purpose {
            ConsentPurpose::Analytics => &mut self.analytics,
            ConsentPurpose::Personalization => &mut self.personalization,
            ConsentPurpose::Advertising => &mut self.advertising,
            ConsentPurpose::Email => &mut self.email,
        };
        *slot = Some(granted);
    }

    /// Whether the purpose was explicitly granted; absence of a statement is not consent.
    pub fn granted(&self, purpose: ConsentPurpose) -> bool {
        self.get(purpose) == Some(true)
    }
}
