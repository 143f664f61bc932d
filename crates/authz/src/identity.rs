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
    kid: String,
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
            kid: key.kid(),
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
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        // Encoding our own plain struct with HS256 cannot fail.
        jsonwebtoken::encode(&header, &claims, &self.key).unwrap_or_default()
    }
}

/// Identities remembered after their first verification (the gateway reuses one per
/// principal for 30 s, so a service sees the same token many times).
const VERIFIED_ENTRIES: usize = 10_000;

/// Verifies internal identities (every service).
#[derive(Clone)]
pub struct IdentityVerifier {
    /// The keys accepted, by id: the suite's key, and during a rotation the other one.
    keys: std::sync::Arc<Vec<(String, DecodingKey)>>,
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
        Self::accepting(key, &[])
    }

    /// A verifier for identities signed with `key` or any of `also` (the key before or
    /// after it in a rotation).
    pub fn accepting(key: &IdentityKey, also: &[IdentityKey]) -> Self {
        let keys = std::iter::once(key)
            .chain(also)
            .map(|k| (k.kid(), DecodingKey::from_secret(k.bytes())))
            .collect();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            keys: std::sync::Arc::new(keys),
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
        let header = jsonwebtoken::decode_header(token)
            .map_err(|err| IdentityError::Invalid(err.to_string()))?;
        // An identity without a key id comes from a signer older than rotation: it can
        // only be the suite's own key.
        let key = match header.kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|(id, _)| *id == kid)
                .map(|(_, key)| key)
                .ok_or_else(|| {
                    IdentityError::Invalid(format!("signed with key {kid}, which is not accepted"))
                })?,
            None => &self.keys[0].1,
        };
        let data = jsonwebtoken::decode::<Claims>(token, key, &self.validation)
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
    fn during_a_rotation_both_keys_are_accepted_and_no_third() {
        let (old, new) = (IdentityKey::generate(), IdentityKey::generate());
        let verifier = IdentityVerifier::accepting(&new, std::slice::from_ref(&old));
        for key in [&old, &new] {
            let token = IdentitySigner::new(key).sign(&office());
            assert!(verifier.verify(&token).is_ok());
        }
        let third = IdentitySigner::new(&IdentityKey::generate()).sign(&office());
        let err = verifier.verify(&third).unwrap_err();
        assert!(err.to_string().contains("not accepted"), "{err}");
        assert_ne!(old.kid(), new.kid());
    }

    #[test]
    fn another_key_is_refused() {
        let token = IdentitySigner::new(&IdentityKey::generate()).sign(&office());
        let err = IdentityVerifier::new(&IdentityKey::generate())
            .verify(&token)
            .unwrap_err();
        assert!(err.to_string().contains("not accepted"), "{err}");
        // A token that names the right key id but was signed with another key.
        let key = IdentityKey::generate();
        let forged = {
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some(key.kid());
            let claims = serde_json::json!({"sub": "x", "iss": ISSUER, "aud": AUDIENCE,
                "iat": 0, "exp": u64::MAX / 2, "role": "provincial_direct"});
            jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&[7u8; 32])).unwrap()
        };
        let err = IdentityVerifier::new(&key).verify(&forged).unwrap_err();
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
