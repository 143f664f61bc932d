//! An Ed25519 signing key kept as a PKCS#8 PEM file, with its public half as a JSON Web
//! Key (RFC 8037) named by its RFC 7638 thumbprint: the development token key of `wenming
//! up` and the registry's attestation keys.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, KeypairBytes};
use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore as _;
use serde::Serialize;

/// Why a signing key could not be used.
#[derive(Debug, thiserror::Error)]
#[error("signing key {path}: {reason}")]
pub struct SigningKeyError {
    path: String,
    reason: String,
}

/// An Ed25519 key pair that signs compact JWS (alg EdDSA).
pub struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    jwk: Jwk,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Reads the key at `path`, or creates it (mode 0600) when there is none; its key
    /// id is `prefix` and the start of its thumbprint.
    pub fn load_or_create(path: &Path, prefix: &str) -> Result<Self, SigningKeyError> {
        let error = |reason: String| SigningKeyError {
            path: path.display().to_string(),
            reason,
        };
        match std::fs::read_to_string(path) {
            Ok(pem) => Self::from_pem(&pem, prefix).map_err(error),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let pem = new_pem().map_err(error)?;
                crate::write_secret_file(path, pem.as_bytes()).map_err(|e| error(e.to_string()))?;
                Self::from_pem(&pem, prefix).map_err(error)
            }
            Err(err) => Err(error(err.to_string())),
        }
    }

    /// Reads the key at `path`, which must exist.
    pub fn from_file(path: &Path, prefix: &str) -> Result<Self, SigningKeyError> {
        let error = |reason: String| SigningKeyError {
            path: path.display().to_string(),
            reason,
        };
        let pem = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
        Self::from_pem(&pem, prefix).map_err(error)
    }

    /// Writes a fresh key to `path` (refusing to overwrite one).
    pub fn create(path: &Path, prefix: &str) -> Result<Self, SigningKeyError> {
        let error = |reason: String| SigningKeyError {
            path: path.display().to_string(),
            reason,
        };
        let pem = new_pem().map_err(error)?;
        crate::write_secret_file(path, pem.as_bytes()).map_err(|e| error(e.to_string()))?;
        Self::from_pem(&pem, prefix).map_err(error)
    }

    /// A key from its PKCS#8 PEM text.
    pub fn from_pem(pem: &str, prefix: &str) -> Result<Self, String> {
        let signing = ed25519_dalek::SigningKey::from_pkcs8_pem(pem).map_err(|e| e.to_string())?;
        // PKCS#8 v1 (no embedded public key), the form jsonwebtoken reads.
        let v1 = KeypairBytes {
            secret_key: signing.to_bytes(),
            public_key: None,
        }
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| e.to_string())?;
        let encoding = EncodingKey::from_ed_pem(v1.as_bytes()).map_err(|e| e.to_string())?;
        let public = URL_SAFE_NO_PAD.encode(signing.verifying_key().to_bytes());
        let mut jwk: Jwk = serde_json::from_value(serde_json::json!({
            "kty": "OKP", "crv": "Ed25519", "x": public, "alg": "EdDSA", "use": "sig"
        }))
        .map_err(|e| e.to_string())?;
        let thumbprint = jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|e| e.to_string())?;
        let kid = format!("{prefix}{}", &thumbprint[..thumbprint.len().min(16)]);
        jwk.common.key_id = Some(kid.clone());
        Ok(Self { kid, encoding, jwk })
    }

    /// Its key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Its public half, as a JSON Web Key carrying the key id.
    pub fn public_jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// `claims` signed as a compact JWS with this key's id in the header and `typ`.
    pub fn sign<T: Serialize>(&self, typ: &str, claims: &T) -> Result<String, String> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        header.typ = Some(typ.to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(|e| e.to_string())
    }
}

/// A fresh key as PKCS#8 v1 PEM.
fn new_pem() -> Result<String, String> {
    let mut seed = [0u8; 32];
    rand::rng().fill_bytes(&mut seed);
    Ok(KeypairBytes {
        secret_key: seed,
        public_key: None,
    }
    .to_pkcs8_pem(LineEnding::LF)
    .map_err(|e| e.to_string())?
    .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_key_reads_back_with_the_same_id_and_signs_what_its_jwk_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.pem");
        let first = SigningKey::load_or_create(&path, "t-").unwrap();
        let again = SigningKey::load_or_create(&path, "t-").unwrap();
        assert_eq!(first.kid(), again.kid());
        assert!(first.kid().starts_with("t-"));
        assert!(SigningKey::create(&path, "t-").is_err(), "never overwrites");

        let token = first
            .sign("test+jwt", &serde_json::json!({"sub": "x"}))
            .unwrap();
        let key = jsonwebtoken::DecodingKey::from_jwk(again.public_jwk()).unwrap();
        let mut validation = jsonwebtoken::Validation::new(Algorithm::EdDSA);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation).unwrap();
        assert_eq!(data.claims["sub"], "x");
        assert_eq!(data.header.typ.as_deref(), Some("test+jwt"));

        let other = SigningKey::create(&dir.path().join("other.pem"), "t-").unwrap();
        let key = jsonwebtoken::DecodingKey::from_jwk(other.public_jwk()).unwrap();
        assert!(
            jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation).is_err(),
            "another key does not verify it"
        );
    }
}
