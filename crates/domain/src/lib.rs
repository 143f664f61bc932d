//! Domain types and rules of wenming that must agree in every service:
//! administrative divisions and region containment, credit-code validation,
//! unit kinds, title tiers, nomination batch size and deadline arithmetic.
//!
//! No I/O: everything here is pure and synchronous.
#![forbid(unsafe_code)]

pub mod campaign;
pub mod credit_code;
pub mod deadline;
pub mod division;
mod division_csv;
pub mod ids;
mod named_enum;
pub mod nomination;
pub mod pairing;
pub mod quota;
mod region_code;
pub mod title;
pub mod unit;
pub mod unit_kind;

pub use campaign::{ApplicationState, CampaignDeadline};
pub use credit_code::{CreditCode, CreditCodeError};
pub use deadline::{
    CHINA_TIME_ZONE, Clock, Deadline, FixedClock, SystemClock, china_time_zone, today_in_china,
};
pub use division::{
    AdminLevel, Division, DivisionError, Divisions, OfficeKey, PROVINCIAL_DIRECT, QuotaHolder,
    RegionCode, RegionCodeError,
};
pub use ids::{
    ActivityId, AdmonishmentTalkId, ApplicationId, AuditId, CampaignId, CommendationId,
    DeadlineMoveId, DesignationId, IdError, InspectionId, LedgerEntryId, NominationId,
    PairingExceptionId, PairingId, RectificationTaskId, TitleId, UnitId,
};
pub use named_enum::UnknownName;
pub use nomination::{BatchRule, BatchRuleError, NominationStatus};
pub use pairing::{Description, EvidenceRef, Heading, HelperKind, LedgerCategory, PairingState};
pub use quota::{QUOTA_TIERS, holder_named};
pub use title::{TierChoiceError, TitleState, TitleTier, TitleValidity};
pub use unit::{
    PersonName, PersonNameError, PhoneNumber, PhoneNumberError, Reason, ReasonError, TextError,
    UnitName, UnitNameError, UnitScale,
};
pub use unit_kind::UnitKind;
