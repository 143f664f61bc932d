//! Signed title attestations (R12): a VerifyTitle answer a platform can file as evidence
//! and check years later without calling us. The answer is signed as a compact JWS
//! (EdDSA, Ed25519) with the registry's attestation key; the public keys are published
//! as a JWKS (GetAttestationKeys), the key signing now beside those before or after it
//! in a rotation, so that every attestation ever issued stays checkable.
//!
//! Configuration, the registry's table: `attestation.key_file` (the private key, PKCS#8
//! PEM), `attestation.published_jwks_file` (public keys published beside it: retired
//! keys and the next one), `attestation.issuer` (the `iss` claim). Under `wenming up` the
//! key is `DIR/attestation-key.pem`, created on first start.

use std::path::PathBuf;

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use wenming_authz::SigningKey;
use wenming_proto::registry::v1 as pb;
use wenming_runtime::config::{ConfigError, Figment, optional};

use crate::error::{RegistryError, Result};
use crate::messages as msg;

/// The JWS `typ` of an attestation (RFC 8725 §3.11: a type of its own, so that no other
/// token of ours can be passed off as one).
pub const TYP: &str = "wenming-title-attestation+jwt";
/// The key file `wenming up` keeps in its data dir.
pub const KEY_FILE: &str = "attestation-key.pem";
/// Key ids of attestation keys start with this.
pub const KID_PREFIX: &str = "att-";
/// `iss` unless configured.
pub const DEFAULT_ISSUER: &str = "wenming-registry";

/// The registry's `[attestation]` settings.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AttestationSettings {
    /// The Ed25519 private key attestations are signed with (PKCS#8 PEM).
    pub key_file: Option<PathBuf>,
    /// Public keys published beside the signing key (a JWKS file).
    pub published_jwks_file: Option<PathBuf>,
    /// The `iss` claim, e.g. the province's URL for the suite.
    pub issuer: Option<String>,
}

/// What an attestation says: the answer to VerifyTitle, as signed. Field names are the
/// JSON claims; enums are their proto names, as the JSON API spells them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationClaims {
    /// Who signed: the registry's issuer.
    pub iss: String,
    /// The unit's unified social credit code.
    pub sub: String,
    /// Unique per attestation.
    pub jti: String,
    /// When it was signed (seconds since the epoch).
    pub iat: i64,
    /// The day the answer is about.
    pub as_of: String,
    /// The unit's registered name.
    pub unit_name: String,
    /// `UNIT_STATE_ACTIVE` or `UNIT_STATE_DEREGISTERED` on `as_of`.
    pub unit_state: String,
    /// The deregistration day, if it was by `as_of`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deregistered_on: Option<String>,
    /// The titles held on `as_of`, highest tier first.
    pub titles: Vec<AttestedTitle>,
}

/// One title held, as attested.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestedTitle {
    /// `TITLE_TIER_CITY`, `TITLE_TIER_PROVINCIAL`, `TITLE_TIER_PROVINCIAL_MODEL`,
    /// `TITLE_TIER_NATIONAL`.
    pub tier: String,
    /// First day held.
    pub awarded_on: String,
    /// First day no longer held by its term.
    pub valid_until: String,
    /// The awarding document.
    pub document_number: String,
    /// The awarding office's region code.
    pub awarding_office_code: String,
    /// Its name.
    pub awarding_office_name: String,
}

/// Signs attestations and publishes the keys that check them.
#[derive(Debug)]
pub struct Attestor {
    key: Option<SigningKey>,
    published: pb::AttestationKeySet,
    issuer: String,
}

impl Attestor {
    /// The attestor `config` (the registry's table) describes. Without a key it issues
    /// none (VerifyTitle with `attest` is then refused) but still publishes the keys.
    pub fn from_config(config: &Figment) -> std::result::Result<Self, String> {
        let settings: AttestationSettings = optional(config, "attestation")
            .map_err(|e: ConfigError| e.to_string())?
            .unwrap_or_default();
        let data_dir: Option<PathBuf> =
            optional(config, "data_dir").map_err(|e: ConfigError| e.to_string())?;
        let key = match (&settings.key_file, data_dir) {
            (Some(file), _) => Some(SigningKey::from_file(file, KID_PREFIX)),
            (None, Some(dir)) => Some(SigningKey::load_or_create(&dir.join(KEY_FILE), KID_PREFIX)),
            (None, None) => None,
        }
        .transpose()
        .map_err(|e| format!("attestation.key_file: {e}"))?;
        let mut keys: Vec<Jwk> = key.iter().map(|k| k.public_jwk().clone()).collect();
        if let Some(file) = &settings.published_jwks_file {
            let text = std::fs::read_to_string(file)
                .map_err(|e| format!("attestation.published_jwks_file {}: {e}", file.display()))?;
            let set: JwkSet = serde_json::from_str(&text)
                .map_err(|e| format!("attestation.published_jwks_file {}: {e}", file.display()))?;
            for jwk in set.keys {
                if jwk.common.key_id.is_none() {
                    return Err(format!(
                        "attestation.published_jwks_file {}: every key needs a kid",
                        file.display()
                    ));
                }
                if !keys.iter().any(|k| k.common.key_id == jwk.common.key_id) {
                    keys.push(jwk);
                }
            }
        }
        if key.is_none() {
            tracing::warn!(
                "no attestation key (registry.attestation.key_file): VerifyTitle issues no attestations"
            );
        }
        Ok(Self {
            key,
            published: pb::AttestationKeySet {
                keys: keys
                    .iter()
                    .map(key_to_pb)
                    .collect::<std::result::Result<_, _>>()?,
            },
            issuer: settings.issuer.unwrap_or_else(|| DEFAULT_ISSUER.to_owned()),
        })
    }

    /// The published key set.
    pub fn keys(&self) -> &pb::AttestationKeySet {
        &self.published
    }

    /// `answer` signed, issued at `iat` (seconds).
    pub fn attest(&self, answer: &pb::VerifyTitleResponse, iat: i64) -> Result<String> {
        let key = self.key.as_ref().ok_or_else(|| {
            RegistryError::precondition(
                &msg::NO_ATTESTATION_KEY,
                "attestationKeys",
                "this registry has no attestation key configured",
            )
        })?;
        let claims = claims_of(answer, &self.issuer, iat);
        key.sign(TYP, &claims).map_err(RegistryError::Internal)
    }
}

fn claims_of(answer: &pb::VerifyTitleResponse, issuer: &str, iat: i64) -> AttestationClaims {
    AttestationClaims {
        iss: issuer.to_owned(),
        sub: answer.credit_code.clone(),
        jti: uuid::Uuid::now_v7().to_string(),
        iat,
        as_of: answer.as_of.clone(),
        unit_name: answer.unit_display_name.clone(),
        unit_state: pb::UnitState::try_from(answer.unit_state)
            .unwrap_or_default()
            .as_str_name()
            .to_owned(),
        deregistered_on: (!answer.deregistered_on.is_empty())
            .then(|| answer.deregistered_on.clone()),
        titles: answer
            .titles
            .iter()
            .map(|t| AttestedTitle {
                tier: wenming_proto::common::v1::TitleTier::try_from(t.tier)
                    .unwrap_or_default()
                    .as_str_name()
                    .to_owned(),
                awarded_on: t.awarded_on.clone(),
                valid_until: t.valid_until.clone(),
                document_number: t.document_number.clone(),
                awarding_office_code: t.awarding_office_code.clone(),
                awarding_office_name: t.awarding_office_name.clone(),
            })
            .collect(),
    }
}

fn key_to_pb(jwk: &Jwk) -> std::result::Result<pb::AttestationKey, String> {
    let value = serde_json::to_value(jwk).map_err(|e| e.to_string())?;
    let field = |name: &str| value[name].as_str().unwrap_or_default().to_owned();
    if field("kty") != "OKP" || field("crv") != "Ed25519" {
        return Err(format!(
            "attestation key {}: only Ed25519 keys (kty OKP, crv Ed25519) sign attestations",
            field("kid")
        ));
    }
    Ok(pb::AttestationKey {
        kty: field("kty"),
        crv: field("crv"),
        x: field("x"),
        kid: field("kid"),
        alg: "EdDSA".to_owned(),
        r#use: "sig".to_owned(),
    })
}

/// Why an attestation does not check.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Not a compact JWS of ours.
    #[error("not an attestation: {0}")]
    Malformed(String),
    /// Signed with a key the set does not hold.
    #[error("signed with key {0}, which the key set does not hold")]
    UnknownKey(String),
    /// The signature does not match (the text was changed, or another key signed it).
    #[error("the signature does not check: {0}")]
    BadSignature(String),
}

/// A key set as JSON (what GetAttestationKeys answers over HTTP, or a saved copy).
pub fn parse_key_set(json: &str) -> std::result::Result<JwkSet, VerifyError> {
    serde_json::from_str(json).map_err(|e| VerifyError::Malformed(format!("key set: {e}")))
}

/// Checks `jws` against the key set `jwks` (a JWKS as GetAttestationKeys publishes it)
/// and answers what it attests.
pub fn verify(jws: &str, jwks: &JwkSet) -> std::result::Result<AttestationClaims, VerifyError> {
    let header = jsonwebtoken::decode_header(jws.trim())
        .map_err(|e| VerifyError::Malformed(e.to_string()))?;
    if header.alg != Algorithm::EdDSA || header.typ.as_deref() != Some(TYP) {
        return Err(VerifyError::Malformed(format!(
            "alg {:?}, typ {:?}: an attestation is EdDSA with typ {TYP}",
            header.alg, header.typ
        )));
    }
    let kid = header
        .kid
        .ok_or_else(|| VerifyError::Malformed("no kid in the header".into()))?;
    let jwk = jwks
        .find(&kid)
        .ok_or_else(|| VerifyError::UnknownKey(kid.clone()))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| VerifyError::Malformed(e.to_string()))?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    // An attestation states what held on a day; it does not expire.
    validation.validate_exp = false;
    validation.required_spec_claims = ["iss", "sub", "iat"].map(str::to_owned).into();
    jsonwebtoken::decode::<AttestationClaims>(jws.trim(), &key, &validation)
        .map(|data| data.claims)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                VerifyError::BadSignature(e.to_string())
            }
            _ => VerifyError::Malformed(e.to_string()),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer() -> pb::VerifyTitleResponse {
        pb::VerifyTitleResponse {
            credit_code: "91410421000000019H".into(),
            unit_display_name: "平顶山宝丰耐材有限公司".into(),
            unit_state: pb::UnitState::Active as i32,
            as_of: "2024-03-01".into(),
            titles: vec![pb::VerifiedTitle {
                tier: wenming_proto::common::v1::TitleTier::Provincial as i32,
                awarded_on: "2022-01-15".into(),
                valid_until: "2025-01-15".into(),
                document_number: "豫文明〔2022〕3号".into(),
                awarding_office_code: "410000".into(),
                awarding_office_name: "河南省文明办".into(),
            }],
            ..Default::default()
        }
    }

    fn attestor(dir: &std::path::Path) -> Attestor {
        let config = Figment::from(figment::providers::Serialized::default(
            "data_dir",
            dir.display().to_string(),
        ));
        Attestor::from_config(&config).unwrap()
    }

    #[test]
    fn an_attestation_checks_against_the_published_keys_and_says_what_was_answered() {
        let dir = tempfile::tempdir().unwrap();
        let attestor = attestor(dir.path());
        let jws = attestor.attest(&answer(), 1_709_251_200).unwrap();
        let jwks: JwkSet =
            serde_json::from_value(serde_json::to_value(wire_jwks(attestor.keys())).unwrap())
                .unwrap();
        let claims = verify(&jws, &jwks).unwrap();
        assert_eq!(claims.sub, "91410421000000019H");
        assert_eq!(claims.as_of, "2024-03-01");
        assert_eq!(claims.iat, 1_709_251_200);
        assert_eq!(claims.unit_state, "UNIT_STATE_ACTIVE");
        assert_eq!(claims.titles[0].tier, "TITLE_TIER_PROVINCIAL");
        assert_eq!(claims.titles[0].document_number, "豫文明〔2022〕3号");
        let again = attestor.attest(&answer(), 1_709_251_200).unwrap();
        assert_ne!(
            verify(&again, &jwks).unwrap().jti,
            claims.jti,
            "every attestation has its own id"
        );
    }

    #[test]
    fn a_changed_attestation_or_a_foreign_key_does_not_check() {
        let dir = tempfile::tempdir().unwrap();
        let ours = attestor(dir.path());
        let jwks: JwkSet =
            serde_json::from_value(serde_json::to_value(wire_jwks(ours.keys())).unwrap()).unwrap();
        let jws = ours.attest(&answer(), 1).unwrap();
        // The payload re-encoded with another title: the signature no longer matches.
        let mut parts: Vec<String> = jws.split('.').map(str::to_owned).collect();
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let payload = String::from_utf8(engine.decode(&parts[1]).unwrap()).unwrap();
        parts[1] = engine.encode(payload.replace("TITLE_TIER_PROVINCIAL", "TITLE_TIER_NATIONAL"));
        assert!(matches!(
            verify(&parts.join("."), &jwks),
            Err(VerifyError::BadSignature(_))
        ));

        let other = tempfile::tempdir().unwrap();
        let stranger = attestor(other.path()).attest(&answer(), 1).unwrap();
        assert!(matches!(
            verify(&stranger, &jwks),
            Err(VerifyError::UnknownKey(_))
        ));
        assert!(matches!(
            verify("not.a.jws", &jwks),
            Err(VerifyError::Malformed(_))
        ));
    }

    /// The key set as JSON clients read it.
    fn wire_jwks(set: &pb::AttestationKeySet) -> serde_json::Value {
        serde_json::json!({ "keys": set.keys.iter().map(|k| serde_json::json!({
            "kty": k.kty, "crv": k.crv, "x": k.x, "kid": k.kid, "alg": k.alg, "use": k.r#use
        })).collect::<Vec<_>>() })
    }
}
