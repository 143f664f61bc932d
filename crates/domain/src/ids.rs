//! Typed identifiers: UUIDv7 (time-ordered, made by the application) wrapped
//! so that a unit id cannot be passed where a title id is expected.

use thiserror::Error;

/// Why a text is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("the {what} is not a valid UUID: {source}")]
pub struct IdError {
    /// What kind of id was expected, e.g. "unit id".
    pub what: &'static str,
    /// What is wrong with the text.
    pub source: uuid::Error,
}

impl IdError {
    /// Short stable machine name of the violated rule.
    pub fn rule(&self) -> &'static str {
        "uuid"
    }
}

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(uuid::Uuid);

        impl $name {
            /// A new, time-ordered (UUIDv7) id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }

            /// Parses any textual UUID form; it is displayed hyphenated and lower case.
            pub fn parse(text: &str) -> Result<Self, IdError> {
                uuid::Uuid::try_parse(text)
                    .map(Self)
                    .map_err(|source| IdError { what: $what, source })
            }

            /// Wraps an existing UUID (e.g. read from storage).
            pub const fn from_uuid(uuid: uuid::Uuid) -> Self {
                Self(uuid)
            }

            /// The underlying UUID.
            pub const fn as_uuid(&self) -> &uuid::Uuid {
                &self.0
            }
        }

        /// Same as [`Self::new`]: a fresh id.
        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl From<$name> for uuid::Uuid {
            fn from(id: $name) -> uuid::Uuid {
                id.0
            }
        }
    };
}

typed_id!(
    /// Identifies a unit in the registry.
    UnitId,
    "unit id"
);
typed_id!(
    /// Identifies a campaign (a nomination round, a pairing list round, …).
    CampaignId,
    "campaign id"
);
typed_id!(
    /// Identifies a unit's application to join, submitted through a platform.
    ApplicationId,
    "application id"
);
typed_id!(
    /// Identifies a move of a campaign's deadline.
    DeadlineMoveId,
    "deadline move id"
);
typed_id!(
    /// Identifies a nomination of a unit as a cultivation target.
    NominationId,
    "nomination id"
);
typed_id!(
    /// Identifies an awarded title.
    TitleId,
    "title id"
);
typed_id!(
    /// Identifies a designation of a paired unit as a key cultivation target.
    DesignationId,
    "designation id"
);
typed_id!(
    /// Identifies an inspection (巡回督导, 明察暗访, 随机调研).
    InspectionId,
    "inspection id"
);
typed_id!(
    /// Identifies a rectification task (整改任务).
    RectificationTaskId,
    "rectification task id"
);
typed_id!(
    /// Identifies a commendation by the province (通报表扬).
    CommendationId,
    "commendation id"
);
typed_id!(
    /// Identifies an admonishment talk (约谈).
    AdmonishmentTalkId,
    "admonishment talk id"
);
typed_id!(
    /// Identifies a pairing of a helper with a non-public unit.
    PairingId,
    "pairing id"
);
typed_id!(
    /// Identifies an exception to the one-to-one pairing rule.
    PairingExceptionId,
    "pairing exception id"
);
typed_id!(
    /// Identifies a ledger entry of a pairing.
    LedgerEntryId,
    "ledger entry id"
);
typed_id!(
    /// Identifies a creation activity of a pairing.
    ActivityId,
    "activity id"
);
typed_id!(
    /// Identifies an audit record.
    AuditId,
    "audit id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_v7_and_round_trip() {
        let id = UnitId::new();
        assert_eq!(id.as_uuid().get_version_num(), 7);
        let text = id.to_string();
        assert_eq!(text.len(), 36);
        assert_eq!(text, text.to_lowercase());
        assert_eq!(UnitId::parse(&text), Ok(id));
    }

    #[test]
    fn ids_display_canonically() {
        let id = TitleId::parse("0190C0DE-0000-7000-8000-000000000001").unwrap();
        assert_eq!(id.to_string(), "0190c0de-0000-7000-8000-000000000001");
    }

    #[test]
    fn later_ids_sort_later() {
        let a = AuditId::new();
        let b = AuditId::new();
        assert!(a < b);
    }

    #[test]
    fn bad_ids_name_their_kind() {
        let err = NominationId::parse("not-a-uuid").unwrap_err();
        assert_eq!(err.what, "nomination id");
        assert!(
            err.to_string()
                .starts_with("the nomination id is not a valid UUID")
        );
        assert_eq!(err.rule(), "uuid");
    }
}
