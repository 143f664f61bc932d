//! The gateway: the suite's only public entry. It authenticates every call with a bearer
//! JWT from the provincial identity platform, decides from one policy whether the caller
//! may make it, and forwards it to the service with a signed internal identity.
//!
//! Built so far: authentication ([`Authenticator`]) and the development signing key of
//! `wenming up` ([`dev_key`]). The policy and the forwarding follow (see the issue).
#![forbid(unsafe_code)]

mod authn;
mod claims;
pub mod dev_key;
mod keys;

pub use authn::{AuthError, Authenticator, AuthnSettings};
pub use claims::ExternalClaims;
pub use keys::{KeyError, TrustedKeys};
