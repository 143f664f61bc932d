//! The development signing key of `wenming up`: an Ed25519 key kept as a PEM file in the
//! data dir, trusted through a JWKS file beside it, so that `wenming token` can issue
//! tokens the embedded gateway accepts. Production trusts the identity platform's JWKS.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, KeypairBytes};
use jsonwebtoken::jwk::{Jwk, JwkSet, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};

use rand::RngCore as _;

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
pub struct DevKey {
    kid: String,
    encoding: EncodingKey,
    jwks_path: PathBuf,
}

impl std::fmt::Debug for DevKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
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
        let key_path = dir.join(KEY_FILE);
        let signing = match std::fs::read_to_string(&key_path) {
            Ok(pem) => {
                ed25519_dalek::SigningKey::from_pkcs8_pem(&pem).map_err(|e| error(e.to_string()))?
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let mut seed = [0u8; 32];
                rand::rng().fill_bytes(&mut seed);
                let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
                // PKCS#8 v1 (no embedded public key), the form jsonwebtoken reads.
                let pem = KeypairBytes {
                    secret_key: seed,
                    public_key: None,
                }
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| error(e.to_string()))?;
                wenming_authz::write_secret_file(&key_path, pem.as_bytes())
                    .map_err(|e| error(e.to_string()))?;
                signing
            }
            Err(err) => return Err(error(err.to_string())),
        };
        let pem = KeypairBytes {
            secret_key: signing.to_bytes(),
            public_key: None,
        }
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| error(e.to_string()))?;
        let encoding =
            EncodingKey::from_ed_pem(pem.as_bytes()).map_err(|e| error(e.to_string()))?;
        let public = URL_SAFE_NO_PAD.encode(signing.verifying_key().to_bytes());
        let mut jwk: Jwk = serde_json::from_value(serde_json::json!({
            "kty": "OKP", "crv": "Ed25519", "x": public, "alg": "EdDSA", "use": "sig"
        }))
        .map_err(|e| error(e.to_string()))?;
        let kid = kid_of(&jwk);
        jwk.common.key_id = Some(kid.clone());
        let jwks = serde_json::to_string_pretty(&JwkSet { keys: vec![jwk] })
            .map_err(|e| error(e.to_string()))?;
        let jwks_path = dir.join(JWKS_FILE);
        std::fs::write(&jwks_path, jwks).map_err(|e| error(e.to_string()))?;
        Ok(Self {
            kid,
            encoding,
            jwks_path,
        })
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
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        // Signing our own claims with a key we just loaded cannot fail.
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap_or_default()
    }
}

/// A key id derived from the public key (its RFC 7638 thumbprint), stable across restarts.
fn kid_of(jwk: &Jwk) -> String {
    jwk.thumbprint(ThumbprintHash::SHA256)
        .map(|t| format!("dev-{}", &t[..t.len().min(16)]))
        .unwrap_or_else(|_| "dev".to_owned())
}
