//! What a wenming service asks another service, and how: each service's client is a
//! trait (what is asked, in domain terms) with a gRPC implementation that passes the
//! caller's identity, trace context and deadline on ([`Onward`]). A service holds an
//! `Arc<dyn …>`, so its rules are tested against the real server and, where a test
//! needs answers no real server gives on demand, against the in-memory fakes in
//! `wenming-testkit`.
//!
//! Answers the other service refuses become [`ClientError`]s, which every service's
//! error takes (`?`): NOT_FOUND stays the caller's NOT_FOUND (absent or outside their
//! scope), time and availability problems pass on as `Upstream`, anything else is a
//! fault of ours.
#![forbid(unsafe_code)]

mod error;
pub mod messages;
mod pairing;
mod quota;
mod registry;

pub use error::ClientError;
pub use pairing::{
    GrpcPairing, ListReport, OverdueMilestone, Pairing, PairingCounts, PairingFacts,
};
pub use quota::{GrpcQuota, HolderPlaces, Quota};
pub use registry::{
    CampaignFacts, GrpcRegistry, HelperFacts, NominationTally, Registry, STANDINGS_PER_CALL,
    Standing, UnitCommendation, UnitCounts, UnitFacts,
};
pub use wenming_runtime::onward::Onward;
