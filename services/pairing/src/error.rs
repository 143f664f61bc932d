//! The pairing service's error: the shared error core with no cases of its own. Its
//! rules and their zh-CN texts are in [`crate::messages`].

/// Everything a pairing call can fail with.
pub type PairingError = wenming_runtime::Error;

pub(crate) type Result<T, E = PairingError> = std::result::Result<T, E>;
