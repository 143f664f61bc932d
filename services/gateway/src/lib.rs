//! The gateway: the suite's only public entry. It authenticates every call with a bearer
//! JWT from the provincial identity platform, decides from one policy whether the caller
//! may make it, and forwards it to the service with a signed internal identity.
//!
//! Pieces: authentication ([`Authenticator`]), the Cedar policy ([`Policy`], the file
//! `policy/wenming.cedar`), forwarding ([`Proxy`]) and the development signing key of
//! `wenming up` ([`dev_key`]).
#![forbid(unsafe_code)]

mod authn;
mod cache_key;
mod claims;
pub mod dev_key;
mod edge;
mod jwks_url;
mod keys;
mod limits;
mod messages;
mod policy;
mod proxy;
mod server;
pub mod transcode;

pub use authn::{AuthError, Authenticator, AuthnSettings, KeyStore};
pub use claims::ExternalClaims;
pub use jwks_url::{JwksFetcher, spawn_refresh};
pub use keys::{KeyError, TrustedKeys};
pub use limits::RateLimits;
pub use policy::Policy;
pub use proxy::{Backend, Proxy};
pub use server::{GRPC_SERVICE, prepare, serve};
