//! Configuration: the defaults that run, then a TOML file, then `WENMING_*` environment
//! variables (`__` separates nesting: `WENMING_REGISTRY__DATABASE__URL`).

use std::path::Path;

pub use figment::Figment;
use figment::providers::{Env, Format as _, Serialized, Toml};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why configuration could not be loaded; names the key at fault.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(#[from] Box<figment::Error>);

/// Loads `T` from its defaults, an optional file and the environment.
pub fn load<T>(file: Option<&Path>) -> Result<T, ConfigError>
where
    T: Serialize + DeserializeOwned + Default,
{
    sources::<T>(file)
        .extract()
        .map_err(|err| ConfigError(Box::new(err)))
}

/// The layered sources themselves (defaults of `T`, the file, the environment), for
/// tables whose keys come from data (one per service).
pub fn sources<T>(file: Option<&Path>) -> Figment
where
    T: Serialize + Default,
{
    let mut figment = Figment::from(Serialized::defaults(T::default()));
    if let Some(file) = file {
        figment = figment.merge(Toml::file_exact(file));
    }
    figment.merge(Env::prefixed("WENMING_").split("__"))
}

/// The value at `key` (dotted), or `None` when no source sets it.
pub fn optional<T: DeserializeOwned>(
    figment: &Figment,
    key: &str,
) -> Result<Option<T>, ConfigError> {
    if figment.find_value(key).is_err() {
        return Ok(None);
    }
    figment
        .extract_inner(key)
        .map(Some)
        .map_err(|err| ConfigError(Box::new(err)))
}
