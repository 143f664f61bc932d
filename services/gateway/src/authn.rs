//! Authentication of external callers: a bearer JWT signed with a trusted asymmetric key.

use std::path::PathBuf;
use std::str::FromStr as _;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use quick_cache::sync::Cache;
use serde::{Deserialize, Serialize};
use wenming_authz::Principal;
use wenming_domain::Divisions;

use crate::claims::ExternalClaims;
use crate::keys::{ALLOWED, TrustedKeys};

/// Most clock leeway the gateway accepts in configuration.
pub const MAX_LEEWAY_SECS: u64 = 30;
/// Verified tokens remembered by signature (until they expire).
const CACHE_ENTRIES: usize = 50_000;
/// An unknown `kid` re-reads the JWKS file at most this often (key rotation without
/// letting random kids make the gateway read files in a loop).
const RELOAD_INTERVAL: Duration = Duration::from_secs(10);

/// How tokens are checked.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct AuthnSettings {
    /// Required `iss`.
    pub issuer: String,
    /// Required `aud`.
    pub audience: String,
    /// JWKS file of the trusted keys (re-read when a token names an unknown `kid`).
    pub jwks_file: Option<PathBuf>,
    /// JWKS URL of the identity platform (`https://`; `http://` on loopback only),
    /// instead of a file: fetched at start, every `jwks_refresh_secs`, and soon after a
    /// token names an unknown `kid`.
    pub jwks_url: Option<String>,
    /// Seconds between fetches of `jwks_url`.
    pub jwks_refresh_secs: u64,
    /// A PEM file with the root certificate of a platform served under a private CA.
    pub jwks_ca_file: Option<PathBuf>,
    /// Clock leeway for `exp` and `nbf`, at most 30 s.
    pub leeway_secs: u64,
}

impl Default for AuthnSettings {
    fn default() -> Self {
        Self {
            issuer: "henan-identity".into(),
            audience: "wenming".into(),
            jwks_file: None,
            jwks_url: None,
            jwks_refresh_secs: 300,
            jwks_ca_file: None,
            leeway_secs: 30,
        }
    }
}

/// Why a call was not authenticated. The message says which check failed and nothing
/// about the keys.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `authorization: Bearer …` metadata.
    #[error("no bearer token")]
    Missing,
    /// Not three base64url parts with a JSON header.
    #[error("the bearer token is not a JWT")]
    Malformed,
    /// `alg: none`.
    #[error("unsigned tokens (alg=none) are refused")]
    Unsigned,
    /// An algorithm outside EdDSA, ES256, RS256.
    #[error("tokens signed with {0} are refused")]
    AlgorithmNotAllowed(String),
    /// No trusted key with the token's `kid`.
    #[error("the token's signing key is not trusted")]
    UnknownKey,
    /// The signature does not verify (or the algorithm is not the key's).
    #[error("the token's signature is invalid")]
    BadSignature,
    /// `exp` passed.
    #[error("the token has expired")]
    Expired,
    /// `nbf` not reached.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// Wrong `iss`.
    #[error("the token's issuer is not trusted")]
    WrongIssuer,
    /// Wrong `aud`.
    #[error("the token is meant for another audience")]
    WrongAudience,
    /// A required claim is absent.
    #[error("the token lacks the {0} claim")]
    MissingClaim(String),
    /// The claims do not describe a known caller.
    #[error("the token's claims are not usable: {0}")]
    InvalidClaims(String),
}

/// The trusted keys in use, shared with whatever refreshes them (the JWKS file is
/// re-read in place; a JWKS URL is fetched by a task, see `jwks_url`).
#[derive(Debug)]
pub struct KeyStore {
    keys: RwLock<(Arc<TrustedKeys>, Instant)>,
    /// Bumped whenever the keys change: tokens verified under an older set are checked
    /// again, so a key the platform withdrew stops being honoured at once.
    generation: std::sync::atomic::AtomicU64,
    unknown_key: tokio::sync::Notify,
}

impl KeyStore {
    fn new(keys: TrustedKeys) -> Self {
        Self {
            // As if loaded long ago: the first unknown kid may reload at once.
            keys: RwLock::new((
                Arc::new(keys),
                Instant::now()
                    .checked_sub(RELOAD_INTERVAL)
                    .unwrap_or_else(Instant::now),
            )),
            generation: std::sync::atomic::AtomicU64::new(0),
            unknown_key: tokio::sync::Notify::new(),
        }
    }

    /// Trusts `keys` from now on.
    pub fn replace(&self, keys: TrustedKeys) {
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = (Arc::new(keys), Instant::now());
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::Release);
    }

    fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Resolves once a token named a key id that is not trusted (since the last time).
    pub async fn unknown_key_seen(&self) {
        self.unknown_key.notified().await;
    }

    fn current(&self) -> (Arc<TrustedKeys>, Instant) {
        let guard = self.keys.read().unwrap_or_else(|e| e.into_inner());
        (guard.0.clone(), guard.1)
    }

    fn touch(&self) {
        self.keys.write().unwrap_or_else(|e| e.into_inner()).1 = Instant::now();
    }
}

/// Verifies bearer tokens and remembers the ones it verified until they expire.
pub struct Authenticator {
    settings: AuthnSettings,
    store: Arc<KeyStore>,
    /// Verified tokens: the principal, `exp`, and the key generation they were checked
    /// under.
    verified: Cache<String, (Principal, u64, u64)>,
    divisions: &'static Divisions,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// An authenticator trusting `keys`.
    pub fn new(settings: AuthnSettings, keys: TrustedKeys) -> Result<Self, String> {
        if settings.leeway_secs > MAX_LEEWAY_SECS {
            return Err(format!(
                "gateway.authn.leeway_secs is {}, at most {MAX_LEEWAY_SECS} is allowed",
                settings.leeway_secs
            ));
        }
        Ok(Self {
            settings,
            store: Arc::new(KeyStore::new(keys)),
            verified: Cache::new(CACHE_ENTRIES),
            divisions: Divisions::henan(),
        })
    }

    /// The keys in use, for a task that refreshes them.
    pub fn key_store(&self) -> Arc<KeyStore> {
        self.store.clone()
    }

    /// The caller named by an `authorization` metadata value.
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<Principal, AuthError> {
        let token = authorization
            .and_then(|value| {
                let (scheme, token) = value.trim().split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then_some(token.trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::Missing)?;
        let mut parts = token.split('.');
        let (Some(header), Some(_), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AuthError::Malformed);
        };
        let now = jsonwebtoken::get_current_timestamp();
        // The cache is keyed by the whole token (the signature alone could be replayed
        // onto other claims with a broken verifier; the whole token cannot).
        let generation = self.store.generation();
        let cached = self
            .verified
            .get(token)
            .filter(|(_, _, checked_under)| *checked_under == generation);
        wenming_runtime::metrics::cache_lookup("gateway_token", cached.is_some());
        if let Some((principal, exp, _)) = cached {
            return if now > exp + self.settings.leeway_secs {
                Err(AuthError::Expired)
            } else {
                Ok(principal)
            };
        }
        if signature.is_empty() {
            return Err(self.unsigned_or_malformed(header));
        }
        let (alg, kid) = read_header(header)?;
        let keys = self.keys_for(&kid);
        let (key_alg, key) = keys.get(&kid).ok_or(AuthError::UnknownKey)?;
        if *key_alg != alg {
            return Err(AuthError::BadSignature);
        }
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_audience(&[&self.settings.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = self.settings.leeway_secs;
        let claims = jsonwebtoken::decode::<ExternalClaims>(token, key, &validation)
            .map_err(|err| match err.kind() {
                ErrorKind::ExpiredSignature => AuthError::Expired,
                ErrorKind::ImmatureSignature => AuthError::NotYetValid,
                ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
                ErrorKind::InvalidAudience => AuthError::WrongAudience,
                ErrorKind::InvalidSignature => AuthError::BadSignature,
                ErrorKind::MissingRequiredClaim(claim) => AuthError::MissingClaim(claim.clone()),
                ErrorKind::Json(_) => AuthError::InvalidClaims("not the expected claims".into()),
                _ => AuthError::Malformed,
            })?
            .claims;
        let principal = claims
            .principal(self.divisions)
            .map_err(AuthError::InvalidClaims)?;
        self.verified.insert(
            token.to_owned(),
            (principal.clone(), claims.exp, generation),
        );
        Ok(principal)
    }

    fn unsigned_or_malformed(&self, header: &str) -> AuthError {
        match read_header(header) {
            Err(AuthError::Unsigned) => AuthError::Unsigned,
            Err(other) => other,
            Ok(_) => AuthError::BadSignature,
        }
    }

    /// The trusted keys, re-read from the JWKS file when `kid` is unknown (rotation); with
    /// a JWKS URL, the refresh task is asked to fetch (this call does not wait for it).
    fn keys_for(&self, kid: &str) -> Arc<TrustedKeys> {
        let (keys, loaded) = self.store.current();
        if keys.get(kid).is_some() {
            return keys;
        }
        if self.settings.jwks_url.is_some() {
            self.store.unknown_key.notify_one();
            return keys;
        }
        if loaded.elapsed() < RELOAD_INTERVAL {
            return keys;
        }
        let Some(file) = &self.settings.jwks_file else {
            return keys;
        };
        match TrustedKeys::from_file(file) {
            Ok(fresh) => {
                tracing::info!(
                    keys = fresh.len(),
                    "reloaded the JWKS for an unknown key id"
                );
                self.store.replace(fresh);
                self.store.current().0
            }
            Err(err) => {
                tracing::warn!(error = %err, "could not reload the JWKS; keeping the old keys");
                self.store.touch();
                keys
            }
        }
    }
}

/// The header's algorithm (refusing `none` and anything outside the allow-list) and kid.
fn read_header(segment: &str) -> Result<(Algorithm, String), AuthError> {
    #[derive(Deserialize)]
    struct Header {
        alg: String,
        kid: Option<String>,
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(segment.trim_end_matches('='))
        .map_err(|_| AuthError::Malformed)?;
    let header: Header = serde_json::from_slice(&bytes).map_err(|_| AuthError::Malformed)?;
    if header.alg.eq_ignore_ascii_case("none") {
        return Err(AuthError::Unsigned);
    }
    let alg = Algorithm::from_str(&header.alg)
        .ok()
        .filter(|alg| ALLOWED.contains(alg))
        .ok_or(AuthError::AlgorithmNotAllowed(header.alg))?;
    Ok((alg, header.kid.ok_or(AuthError::UnknownKey)?))
}
