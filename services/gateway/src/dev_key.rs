//! The development signing key of `wenming up`: an Ed25519 key kept as a PEM file in the
//! data dir, trusted through a JWKS file beside it, so that `wenming token` can issue
//! tokens the embedded gateway accepts. Production trusts the identity platform's JWKS.

use std::path::{Path, PathBuf};

use jsonwebtoken::jwk::JwkSet;
use wenming_authz::SigningKey;

use crate::claims::ExternalClaims;
use crate::keys::TrustedKeys;

/// File of the private key (PKCS#8 PEM, mode 0600).
pub const KEY_FILE: &str = "dev-signing-key.pem";
/// File of the public key as a JWKS.
pub const JWKS_FILE: &str = "dev-jwks.json";
/// Issuer of development tokens.
pub const DEV_ISSUER: &str = "wenming-dev";
/// Audience of development tokens.
pub const DEV_AUDIENCE: &str = "wenming";

/// The development key pair.
#[derive(Debug)]
pub struct DevKey {
    key: SigningKey,
    jwks_path: PathBuf,
}

/// Why the development key could not be used.
#[derive(Debug, thiserror::Error)]
#[error("development signing key in {dir}: {reason}")]
pub struct DevKeyError {
    dir: String,
    reason: String,
}

impl DevKey {
    /// Reads the key from `dir`, creating it (and its JWKS) on first use.
    pub fn load_or_create(dir: &Path) -> Result<Self, DevKeyError> {
        let error = |reason: String| DevKeyError {
            dir: dir.display().to_string(),
            reason,
        };
        let key = SigningKey::load_or_create(&dir.join(KEY_FILE), "dev-")
            .map_err(|e| error(e.to_string()))?;
        let jwks = serde_json::to_string_pretty(&JwkSet {
            keys: vec![key.public_jwk().clone()],
        })
        .map_err(|e| error(e.to_string()))?;
        let jwks_path = dir.join(JWKS_FILE);
        std::fs::write(&jwks_path, jwks).map_err(|e| error(e.to_string()))?;
        Ok(Self { key, jwks_path })
    }

    /// The JWKS file the gateway trusts.
    pub fn jwks_path(&self) -> &Path {
        &self.jwks_path
    }

    /// The trusted keys (just this one).
    pub fn trusted_keys(&self) -> Result<TrustedKeys, crate::KeyError> {
        TrustedKeys::from_file(&self.jwks_path)
    }

    /// Signs `claims`.
    pub fn issue(&self, claims: &ExternalClaims) -> String {
        // Signing our own claims with a key we just loaded cannot fail.
        self.key.sign("JWT", claims).unwrap_or_default()
    }
}
