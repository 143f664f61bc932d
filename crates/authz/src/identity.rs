//! The signed internal identity: a short-lived HS256 JWT in the `x-wenming-identity`
//! metadata of every call between the gateway and the services.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use wenming_domain::{AdminLevel, RegionCode, UnitId};

use crate::{IdentityKey, PlatformAction, Principal, Role, Scope};

/// gRPC metadata key that carries the internal identity.
pub const IDENTITY_HEADER: &str = "x-wenming-identity";

const ISSUER: &str = "wenming";
const AUDIENCE: &str = "wenming-internal";
/// Internal identities live long enough for one call and its retries, no longer.
const DEFAULT_TTL: Duration = Duration::from_secs(60);

/// Why an internal identity was refused. Sent to callers as UNAUTHENTICATED.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// No identity metadata.
    #[error("the call carries no internal identity")]
    Missing,
    /// Signature, expiry, audience or issuer check failed.
    #[error("the internal identity is invalid: {0}")]
    Invalid(String),
    /// Signed, but the claims do not describe a principal we know.
    #[error("the internal identity names an unknown {0}")]
    Unknown(&'static str),
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iss: String,
    aud: String,
    iat: u64,
    exp: u64,
    #[serde(flatten)]
    role: RoleClaim,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
enum RoleClaim {
    Office {
        level: String,
        region: String,
    },
    ProvincialDirect,
    Unit {
        unit: String,
    },
    Platform {
        platform: String,
        actions: Vec<PlatformAction>,
    },
}

/// Signs internal identities (the gateway, and `wenming up`'s own tools).
#[derive(Clone)]
pub struct IdentitySigner {
    key: EncodingKey,
    ttl: Duration,
}

impl std::fmt::Debug for IdentitySigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentitySigner")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl IdentitySigner {
    /// A signer with the default lifetime.
    pub fn new(key: &IdentityKey) -> Self {
        Self {
            key: EncodingKey::from_secret(key.bytes()),
            ttl: DEFAULT_TTL,
        }
    }

    /// Same signer with another lifetime (tests use this to make expired identities).
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// A signed identity for `principal`, valid from now for the signer's lifetime.
    pub fn sign(&self, principal: &Principal) -> String {
        self.sign_at(principal, jsonwebtoken::get_current_timestamp())
    }

    /// Signs with an explicit issue time (seconds since the epoch).
    pub fn sign_at(&self, principal: &Principal, issued_at: u64) -> String {
        let role = match &principal.role {
            Role::Office { level, region } => RoleClaim::Office {
                level: level.as_str().to_owned(),
                region: region.to_string(),
            },
            Role::ProvincialDirect => RoleClaim::ProvincialDirect,
            Role::Unit { unit } => RoleClaim::Unit {
                unit: unit.to_string(),
            },
            Role::Platform { name, actions } => RoleClaim::Platform {
                platform: name.clone(),
                actions: actions.clone(),
            },
        };
        let claims = Claims {
            sub: principal.subject.clone(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: issued_at,
            exp: issued_at + self.ttl.as_secs(),
            role,
        };
        // Encoding our own plain struct with HS256 cannot fail.
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.key).unwrap_or_default()
    }
}

/// Identities remembered after their first verification (the gateway reuses one per
/// principal for 30 s, so a service sees the same token many times).
const VERIFIED_ENTRIES: usize = 10_000;

/// Verifies internal identities (every service).
#[derive(Clone)]
pub struct IdentityVerifier {
    key: DecodingKey,
    validation: Validation,
    /// Verified tokens with their `exp`: a hit skips the HMAC and the JSON, never the
    /// expiry check.
    verified: std::sync::Arc<quick_cache::sync::Cache<String, (Principal, u64)>>,
}

impl std::fmt::Debug for IdentityVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdentityVerifier(..)")
    }
}

impl IdentityVerifier {
    /// A verifier for identities signed with `key`.
    pub fn new(key: &IdentityKey) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            key: DecodingKey::from_secret(key.bytes()),
            validation,
            verified: std::sync::Arc::new(quick_cache::sync::Cache::new(VERIFIED_ENTRIES)),
        }
    }

    /// Checks the token and returns the caller's scope.
    pub fn verify(&self, token: &str) -> Result<Scope, IdentityError> {
        self.verify_at(token, jsonwebtoken::get_current_timestamp())
    }

    /// [`Self::verify`] with a remembered token judged at `now` (seconds since the epoch).
    fn verify_at(&self, token: &str, now: u64) -> Result<Scope, IdentityError> {
        if let Some((principal, exp)) = self.verified.get(token) {
            return if now > exp + self.validation.leeway {
                Err(IdentityError::Invalid("ExpiredSignature".into()))
            } else {
                Ok(Scope::verified(principal))
            };
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|err| IdentityError::Invalid(err.to_string()))?;
        let claims = data.claims;
        let exp = claims.exp;
        let role = match claims.role {
            RoleClaim::Office { level, region } => Role::Office {
                level: level
                    .parse::<AdminLevel>()
                    .map_err(|_| IdentityError::Unknown("level"))?,
                region: RegionCode::parse(&region).map_err(|_| IdentityError::Unknown("region"))?,
            },
            RoleClaim::ProvincialDirect => Role::ProvincialDirect,
            RoleClaim::Unit { unit } => Role::Unit {
                unit: UnitId::parse(&unit).map_err(|_| IdentityError::Unknown("unit"))?,
            },
            RoleClaim::Platform { platform, actions } => Role::Platform {
                name: platform,
                actions,
            },
        };
        let principal = Principal {
            subject: claims.sub,
            role,
        };
        self.verified
            .insert(token.to_owned(), (principal.clone(), exp));
        Ok(Scope::verified(principal))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn office() -> Principal {
        Principal::office(
            "office-410421",
            AdminLevel::County,
            RegionCode::parse("410421").unwrap(),
        )
    }

    #[test]
    fn a_remembered_identity_still_expires() {
        let key = IdentityKey::generate();
        let verifier = IdentityVerifier::new(&key);
        let token = IdentitySigner::new(&key).sign(&office());
        let now = jsonwebtoken::get_current_timestamp();
        assert!(verifier.verify_at(&token, now).is_ok());
        assert!(verifier.verify_at(&token, now).is_ok(), "from the cache");
        let err = verifier.verify_at(&token, now + 60 + 6).unwrap_err();
        assert!(matches!(err, IdentityError::Invalid(_)), "{err}");
    }

    #[test]
    fn a_signed_identity_round_trips() {
        let key = IdentityKey::generate();
        for principal in [
            office(),
            Principal::unit("u1", UnitId::new()),
            Principal::platform("tax-bureau", "tax"),
            Principal::provincial_direct("shengzhi-1"),
        ] {
            let token = IdentitySigner::new(&key).sign(&principal);
            let scope = IdentityVerifier::new(&key).verify(&token).unwrap();
            assert_eq!(scope.principal(), &principal);
        }
    }

    #[test]
    fn another_key_is_refused() {
        let token = IdentitySigner::new(&IdentityKey::generate()).sign(&office());
        let err = IdentityVerifier::new(&IdentityKey::generate())
            .verify(&token)
            .unwrap_err();
        assert!(err.to_string().contains("InvalidSignature"), "{err}");
    }

    #[test]
    fn an_expired_identity_is_refused() {
        let key = IdentityKey::generate();
        let old = jsonwebtoken::get_current_timestamp() - 3600;
        let token = IdentitySigner::new(&key).sign_at(&office(), old);
        let err = IdentityVerifier::new(&key).verify(&token).unwrap_err();
        assert!(err.to_string().contains("ExpiredSignature"), "{err}");
    }

    #[test]
    fn a_tampered_identity_is_refused() {
        let key = IdentityKey::generate();
        let token = IdentitySigner::new(&key).sign(&office());
        // Swap the payload for one that claims the province.
        let province = IdentitySigner::new(&IdentityKey::generate()).sign(&Principal::office(
            "x",
            AdminLevel::Province,
            RegionCode::parse("410000").unwrap(),
        ));
        let mut parts: Vec<&str> = token.split('.').collect();
        parts[1] = province.split('.').nth(1).unwrap();
        let forged = parts.join(".");
        assert!(IdentityVerifier::new(&key).verify(&forged).is_err());
        assert!(IdentityVerifier::new(&key).verify("").is_err());
    }
}
