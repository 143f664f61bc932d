//! The supervision service's error: the shared error core with no cases of its own.
//! Its rules and their zh-CN texts are in [`crate::messages`].

/// Everything a supervision call can fail with.
pub type SupervisionError = wenming_runtime::Error;

pub(crate) type Result<T, E = SupervisionError> = std::result::Result<T, E>;
