//! The kinds of caller the suite knows.

use serde::{Deserialize, Serialize};
use wenming_domain::{AdminLevel, RegionCode, UnitId};

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// Stable subject from the identity platform, used in audit records.
    pub subject: String,
    /// What kind of caller this is, with its anchor in the division tree.
    pub role: Role,
}

/// Kinds of caller.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// A civilisation office at a level, for a region.
    Office {
        /// Province, city or county.
        level: AdminLevel,
        /// The office's region; its level matches `level`.
        region: RegionCode,
    },
    /// The provincial-direct office (省直文明办): the office of the units of provincial
    /// organs and enterprises under the province, wherever in Henan they are. It has no
    /// region; its scope is the units marked provincial-direct.
    ProvincialDirect,
    /// A user of one unit.
    Unit {
        /// The unit the user acts for.
        unit: UnitId,
    },
    /// An e-government platform (machine client) with the actions granted to it.
    Platform {
        /// Platform name, e.g. "tax".
        name: String,
        /// Granted actions.
        actions: Vec<PlatformAction>,
    },
}

/// Actions an e-government platform can be granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlatformAction {
    /// Ask which titles a unit holds (the default grant).
    VerifyTitle,
    /// Submit a unit's application to join, on its behalf, and read its outcome.
    SubmitApplication,
    /// Follow the feed of title changes (every title in the province, as it changes).
    FollowTitles,
}

impl PlatformAction {
    /// Every grant.
    pub const ALL: [PlatformAction; 3] = [
        PlatformAction::VerifyTitle,
        PlatformAction::SubmitApplication,
        PlatformAction::FollowTitles,
    ];

    /// The grant named `name` (as in tokens).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// The grant's name in tokens and in the policy (`context.actions`).
    pub const fn as_str(self) -> &'static str {
        match self {
            PlatformAction::VerifyTitle => "verify_title",
            PlatformAction::SubmitApplication => "submit_application",
            PlatformAction::FollowTitles => "follow_titles",
        }
    }
}

impl Principal {
    /// An office principal.
    pub fn office(subject: impl Into<String>, level: AdminLevel, region: RegionCode) -> Self {
        Self {
            subject: subject.into(),
            role: Role::Office { level, region },
        }
    }

    /// The provincial-direct office principal.
    pub fn provincial_direct(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            role: Role::ProvincialDirect,
        }
    }

    /// A unit-user principal.
    pub fn unit(subject: impl Into<String>, unit: UnitId) -> Self {
        Self {
            subject: subject.into(),
            role: Role::Unit { unit },
        }
    }

    /// A platform principal with the default grant (title verification only).
    pub fn platform(subject: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            role: Role::Platform {
                name: name.into(),
                actions: vec![PlatformAction::VerifyTitle],
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_names_are_the_token_names() {
        for action in PlatformAction::ALL {
            let json = serde_json::to_string(&action).unwrap();
            assert_eq!(json, format!("\"{}\"", action.as_str()));
            assert_eq!(PlatformAction::parse(action.as_str()), Some(action));
        }
    }
}
