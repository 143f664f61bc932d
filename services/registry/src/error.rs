//! The registry's error: the shared error core with no cases of its own. Its rules and
//! their zh-CN texts are in [`crate::messages`].

/// Everything a registry call can fail with.
pub type RegistryError = wenming_runtime::Error;

pub(crate) type Result<T, E = RegistryError> = std::result::Result<T, E>;
