//! Development bearer tokens, signed with the key `wenming up` keeps in its data dir.

use std::path::Path;

use wenming_domain::Divisions;
use wenming_gateway::ExternalClaims;
use wenming_gateway::dev_key::{DEV_AUDIENCE, DEV_ISSUER, DevKey};

use crate::cli::CliResult;

/// Who a development token is for.
#[derive(Debug)]
pub struct Who<'a> {
    /// province, city, county, provincial-direct, unit or platform.
    pub level: &'a str,
    /// An office's region code.
    pub region: Option<String>,
    /// A unit user's unit id.
    pub unit: Option<String>,
    /// A platform's name.
    pub platform: Option<String>,
    /// A platform's grants (none: the default, verify_title).
    pub grants: Vec<wenming_authz::PlatformAction>,
}

/// A token for `who`, valid for `ttl` seconds.
pub fn dev_token(data_dir: &Path, who: Who<'_>, ttl: u64) -> CliResult<String> {
    let Who {
        level,
        region,
        unit,
        platform,
        grants,
    } = who;
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
        actions: (!grants.is_empty()).then_some(grants),
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
    let who = Who {
        level,
        region: Some(code.to_string()),
        unit: None,
        platform: None,
        grants: Vec::new(),
    };
    dev_token(data_dir, who, ttl)
}
