//! The keys the gateway trusts: a JWKS document, indexed by key id.

use std::collections::HashMap;
use std::path::Path;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey};

/// Algorithms a token may be signed with. Symmetric ones are never accepted from outside.
pub const ALLOWED: [Algorithm; 3] = [Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256];

/// Why a JWKS could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file could not be read.
    #[error("JWKS file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The JWKS URL is unusable or did not answer with a JWKS.
    #[error("JWKS URL {0}")]
    Fetch(String),
    /// Not a JWKS document.
    #[error("JWKS: {0}")]
    Parse(String),
    /// A key without `kid`, with an algorithm outside the allow-list, or unusable.
    #[error("JWKS key {kid}: {reason}")]
    Key {
        /// The key id (or "?").
        kid: String,
        /// What is wrong.
        reason: String,
    },
}

/// Trusted verification keys by `kid`, each bound to one algorithm.
#[derive(Clone, Default)]
pub struct TrustedKeys {
    by_kid: HashMap<String, (Algorithm, DecodingKey)>,
}

impl std::fmt::Debug for TrustedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustedKeys")
            .field("kids", &self.by_kid.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl TrustedKeys {
    /// Parses a JWKS document of at least one key. Every key needs a `kid` and an allowed
    /// algorithm (named by `alg`, or implied by an Ed25519 or P-256 key).
    pub fn from_jwks(json: &str) -> Result<Self, KeyError> {
        let set: JwkSet = serde_json::from_str(json).map_err(|e| KeyError::Parse(e.to_string()))?;
        // An empty set would make every token fail; keep the keys trusted so far instead.
        if set.keys.is_empty() {
            return Err(KeyError::Parse("the JWKS holds no keys".into()));
        }
        let mut by_kid = HashMap::new();
        for jwk in &set.keys {
            let kid = jwk.common.key_id.clone().ok_or_else(|| KeyError::Key {
                kid: "?".into(),
                reason: "no kid".into(),
            })?;
            let key_error = |reason: String| KeyError::Key {
                kid: kid.clone(),
                reason,
            };
            let algorithm = match (jwk.common.key_algorithm, &jwk.algorithm) {
                (Some(alg), _) => Algorithm::try_from(alg).map_err(|e| key_error(e.to_string()))?,
                (None, AlgorithmParameters::OctetKeyPair(_)) => Algorithm::EdDSA,
                (None, AlgorithmParameters::EllipticCurve(ec))
                    if ec.curve == EllipticCurve::P256 =>
                {
                    Algorithm::ES256
                }
                (None, AlgorithmParameters::RSA(_)) => Algorithm::RS256,
                _ => return Err(key_error("cannot tell its algorithm; set alg".into())),
            };
            if !ALLOWED.contains(&algorithm) {
                return Err(key_error(format!("algorithm {algorithm:?} is not allowed")));
            }
            let key = DecodingKey::from_jwk(jwk).map_err(|e| key_error(e.to_string()))?;
            by_kid.insert(kid, (algorithm, key));
        }
        Ok(Self { by_kid })
    }

    /// Reads a JWKS file.
    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_jwks(&text)
    }

    /// The key and algorithm for `kid`.
    pub fn get(&self, kid: &str) -> Option<&(Algorithm, DecodingKey)> {
        self.by_kid.get(kid)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.by_kid.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_kid.is_empty()
    }
}
