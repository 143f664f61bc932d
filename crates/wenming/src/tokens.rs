//! Development bearer tokens, signed with the key `wenming up` keeps in its data dir.

use std::path::Path;

use wenming_domain::Divisions;
use wenming_gateway::ExternalClaims;
use wenming_gateway::dev_key::{DEV_AUDIENCE, DEV_ISSUER, DevKey};

use crate::cli::CliResult;

/// A token for the given caller, valid for `ttl` seconds.
pub fn dev_token(
    data_dir: &Path,
    level: &str,
    region: Option<String>,
    unit: Option<String>,
    platform: Option<String>,
    ttl: u64,
) -> CliResult<String> {
    let key = DevKey::load_or_create(data_dir)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let subject = region
        .as_deref()
        .or(unit.as_deref())
        .or(platform.as_deref())
        .unwrap_or("dev");
    Ok(key.issue(&ExternalClaims {
        sub: format!("dev-{level}-{subject}"),
        iss: DEV_ISSUER.into(),
        aud: DEV_AUDIENCE.into(),
        exp: now + ttl,
        nbf: None,
        iat: Some(now),
        level: level.to_owned(),
        region,
        unit,
        platform,
        actions: None,
    }))
}

/// A token for the office of `region` (its level read from the division table).
pub fn office_token(data_dir: &Path, region: &str, ttl: u64) -> CliResult<String> {
    let divisions = Divisions::henan();
    let code = divisions.resolve(region)?;
    let level = divisions
        .get(code)
        .map(|d| d.level.as_str())
        .ok_or("unknown region")?;
    dev_token(data_dir, level, Some(code.to_string()), None, None, ttl)
}
