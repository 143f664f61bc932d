//! Who is calling, and what they may see.
//!
//! The gateway authenticates external callers and forwards a short-lived, signed internal
//! identity ([`IdentitySigner`]); every service verifies it ([`IdentityVerifier`]) and
//! receives a [`Scope`]. Store functions take a `&Scope`, so a handler that forgot to
//! check who is calling does not compile.
#![forbid(unsafe_code)]

mod identity;
mod key;
mod principal;
mod scope;
mod signing_key;

pub use identity::{IDENTITY_HEADER, IdentityError, IdentitySigner, IdentityVerifier};
pub use key::{IdentityKey, KeyError, write_secret_file};
pub use principal::{PlatformAction, Principal, Role};
pub use scope::{RowScope, Scope};
pub use signing_key::{SigningKey, SigningKeyError};
