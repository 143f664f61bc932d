//! The claims of an external token, and the principal they describe.

use serde::{Deserialize, Serialize};
use wenming_authz::{PlatformAction, Principal, Role};
use wenming_domain::{AdminLevel, Divisions, RegionCode, UnitId};

/// Claims the provincial identity platform puts in a token, besides the registered ones
/// (`iss`, `aud`, `exp`, `nbf`, `iat`) that the validation checks.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExternalClaims {
    /// Stable subject.
    pub sub: String,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Not before, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Issued at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// province, city, county, provincial_direct (or provincial-direct), unit or
    /// platform.
    pub level: String,
    /// Region code of an office.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Unit id of a unit user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Name of a platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Actions granted to a platform; default: title verification only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<PlatformAction>>,
}

impl ExternalClaims {
    /// The principal, if the claims name one consistently: an office's region must exist
    /// and be of the office's level.
    pub fn principal(&self, divisions: &Divisions) -> Result<Principal, String> {
        let role = match self.level.as_str() {
            "unit" => {
                let unit = self
                    .unit
                    .as_deref()
                    .ok_or("a unit token needs a unit claim")?;
                Role::Unit {
                    unit: UnitId::parse(unit).map_err(|_| "the unit claim is not a unit id")?,
                }
            }
            // The provincial-direct office has no region: a region claim is refused, so
            // a token cannot look like both.
            "provincial_direct" | "provincial-direct" => {
                if self.region.is_some() {
                    return Err("a provincial-direct office token has no region claim".into());
                }
                Role::ProvincialDirect
            }
            "platform" => Role::Platform {
                name: self
                    .platform
                    .clone()
                    .filter(|p| !p.is_empty())
                    .ok_or("a platform token needs a platform claim")?,
                actions: self
                    .actions
                    .clone()
                    .unwrap_or_else(|| vec![PlatformAction::VerifyTitle]),
            },
            level => {
                let level: AdminLevel = level
                    .parse()
                    .map_err(|_| format!("unknown level '{level}'"))?;
                let region = self
                    .region
                    .as_deref()
                    .ok_or("an office token needs a region claim")?;
                let code: RegionCode = divisions
                    .resolve(region)
                    .map_err(|e| format!("region: {e}"))?;
                if divisions.get(code).map(|d| d.level) != Some(level) {
                    return Err(format!("region {code} is not a {} region", level.as_str()));
                }
                Role::Office {
                    level,
                    region: code,
                }
            }
        };
        Ok(Principal {
            subject: self.sub.clone(),
            role,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(level: &str, region: Option<&str>) -> ExternalClaims {
        ExternalClaims {
            sub: "s".into(),
            iss: "i".into(),
            aud: "a".into(),
            exp: 0,
            nbf: None,
            iat: None,
            level: level.into(),
            region: region.map(str::to_owned),
            unit: None,
            platform: None,
            actions: None,
        }
    }

    #[test]
    fn the_provincial_direct_office_has_no_region() {
        let d = Divisions::henan();
        for level in ["provincial_direct", "provincial-direct"] {
            let principal = claims(level, None).principal(d).unwrap();
            assert_eq!(principal.role, Role::ProvincialDirect);
        }
        assert!(
            claims("provincial-direct", Some("410000"))
                .principal(d)
                .is_err()
        );
        assert!(claims("county", Some("410400")).principal(d).is_err());
        assert!(claims("county", Some("410421")).principal(d).is_ok());
    }
}
