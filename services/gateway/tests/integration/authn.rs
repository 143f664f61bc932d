//! Every way a token can be wrong, and the ways it can be right.

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use wenming_authz::{PlatformAction, Role};
use wenming_gateway::dev_key::DevKey;
use wenming_gateway::{AuthError, Authenticator, AuthnSettings, ExternalClaims, TrustedKeys};

const ISSUER: &str = "henan-identity";
const AUDIENCE: &str = "wenming";

struct Signer {
    kid: &'static str,
    alg: Algorithm,
    key: EncodingKey,
}

impl Signer {
    fn from_pem(kid: &'static str, alg: Algorithm, pem: &[u8]) -> Self {
        let key = match alg {
            Algorithm::ES256 => EncodingKey::from_ec_pem(pem),
            Algorithm::RS256 => EncodingKey::from_rsa_pem(pem),
            _ => EncodingKey::from_ed_pem(pem),
        }
        .unwrap();
        Self { kid, alg, key }
    }

    fn jwk(&self) -> Jwk {
        let mut jwk = Jwk::from_encoding_key(&self.key, self.alg).unwrap();
        jwk.common.key_id = Some(self.kid.to_owned());
        jwk
    }

    fn sign(&self, claims: &ExternalClaims) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.to_owned());
        jsonwebtoken::encode(&header, claims, &self.key).unwrap()
    }
}

fn es256() -> Signer {
    Signer::from_pem(
        "es-1",
        Algorithm::ES256,
        include_bytes!("../keys/es256-test.pem"),
    )
}

fn rs256() -> Signer {
    Signer::from_pem(
        "rs-1",
        Algorithm::RS256,
        include_bytes!("../keys/rs256-test.pem"),
    )
}

fn untrusted() -> Signer {
    Signer::from_pem(
        "ed-x",
        Algorithm::EdDSA,
        include_bytes!("../keys/eddsa-untrusted-test.pem"),
    )
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn county_claims() -> ExternalClaims {
    ExternalClaims {
        sub: "official-1".into(),
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        exp: now() + 600,
        nbf: None,
        iat: Some(now()),
        level: "county".into(),
        region: Some("410421".into()),
        unit: None,
        platform: None,
        actions: None,
    }
}

fn authenticator(signers: &[&Signer]) -> Authenticator {
    let jwks = JwkSet {
        keys: signers.iter().map(|s| s.jwk()).collect(),
    };
    let keys = TrustedKeys::from_jwks(&serde_json::to_string(&jwks).unwrap()).unwrap();
    Authenticator::new(AuthnSettings::default(), keys).unwrap()
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[test]
fn es256_and_rs256_tokens_name_their_principal() {
    let (es, rs) = (es256(), rs256());
    let auth = authenticator(&[&es, &rs]);
    for signer in [&es, &rs] {
        let principal = auth
            .authenticate(Some(&bearer(&signer.sign(&county_claims()))))
            .unwrap();
        assert_eq!(principal.subject, "official-1");
        assert!(
            matches!(principal.role, Role::Office { region, .. } if region.to_string() == "410421")
        );
    }
}

#[test]
fn platforms_get_title_verification_by_default() {
    let es = es256();
    let auth = authenticator(&[&es]);
    let mut claims = county_claims();
    claims.level = "platform".into();
    claims.region = None;
    claims.platform = Some("tax".into());
    let principal = auth.authenticate(Some(&bearer(&es.sign(&claims)))).unwrap();
    assert_eq!(
        principal.role,
        Role::Platform {
            name: "tax".into(),
            actions: vec![PlatformAction::VerifyTitle]
        }
    );
}

#[test]
fn missing_and_malformed_tokens_are_refused() {
    let auth = authenticator(&[&es256()]);
    assert_eq!(auth.authenticate(None), Err(AuthError::Missing));
    assert_eq!(
        auth.authenticate(Some("Basic abc")),
        Err(AuthError::Missing)
    );
    assert_eq!(auth.authenticate(Some("Bearer ")), Err(AuthError::Missing));
    assert_eq!(
        auth.authenticate(Some("Bearer abc.def")),
        Err(AuthError::Malformed)
    );
    assert_eq!(
        auth.authenticate(Some("Bearer !!!.e30.sig")),
        Err(AuthError::Malformed)
    );
}

#[test]
fn unsigned_tokens_are_refused() {
    let auth = authenticator(&[&es256()]);
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let claims = serde_json::to_string(&county_claims()).unwrap();
    for alg in ["none", "None", "NONE"] {
        let token = format!(
            "{}.{}.",
            b64(&format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#)),
            b64(&claims)
        );
        assert_eq!(
            auth.authenticate(Some(&bearer(&token))),
            Err(AuthError::Unsigned)
        );
    }
}

#[test]
fn symmetric_algorithms_are_refused() {
    let es = es256();
    let auth = authenticator(&[&es]);
    // HS256 signed with the public key as a secret: the classic key-confusion attack.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("es-1".into());
    let secret = serde_json::to_vec(&es.jwk()).unwrap();
    let token = jsonwebtoken::encode(
        &header,
        &county_claims(),
        &EncodingKey::from_secret(&secret),
    )
    .unwrap();
    assert_eq!(
        auth.authenticate(Some(&bearer(&token))),
        Err(AuthError::AlgorithmNotAllowed("HS256".into()))
    );
}

#[test]
fn keys_never_trusted_are_refused() {
    let (es, stranger) = (es256(), untrusted());
    let auth = authenticator(&[&es]);
    // Unknown kid.
    assert_eq!(
        auth.authenticate(Some(&bearer(&stranger.sign(&county_claims())))),
        Err(AuthError::UnknownKey)
    );
    // A trusted kid on a token signed by another key (and another algorithm).
    let forged = Signer {
        kid: "es-1",
        ..untrusted()
    };
    assert_eq!(
        auth.authenticate(Some(&bearer(&forged.sign(&county_claims())))),
        Err(AuthError::BadSignature)
    );
    // Claims changed after signing.
    let token = es.sign(&county_claims());
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut province = county_claims();
    province.level = "province".into();
    province.region = Some("410000".into());
    parts[1] = es.sign(&province).split('.').nth(1).unwrap().to_owned();
    assert_eq!(
        auth.authenticate(Some(&bearer(&parts.join(".")))),
        Err(AuthError::BadSignature)
    );
}

#[test]
fn time_claims_are_enforced_with_at_most_30_seconds_of_leeway() {
    let es = es256();
    let auth = authenticator(&[&es]);
    let mut expired = county_claims();
    expired.exp = now() - 120;
    assert_eq!(
        auth.authenticate(Some(&bearer(&es.sign(&expired)))),
        Err(AuthError::Expired)
    );
    let mut just_expired = county_claims();
    just_expired.exp = now() - 5;
    assert!(
        auth.authenticate(Some(&bearer(&es.sign(&just_expired))))
            .is_ok()
    );
    let mut early = county_claims();
    early.nbf = Some(now() + 120);
    assert_eq!(
        auth.authenticate(Some(&bearer(&es.sign(&early)))),
        Err(AuthError::NotYetValid)
    );
    let too_lenient = AuthnSettings {
        leeway_secs: 60,
        ..AuthnSettings::default()
    };
    assert!(Authenticator::new(too_lenient, TrustedKeys::default()).is_err());
}

#[test]
fn issuer_audience_and_claims_are_checked() {
    let es = es256();
    let auth = authenticator(&[&es]);
    let mut other_issuer = county_claims();
    other_issuer.iss = "someone-else".into();
    assert_eq!(
        auth.authenticate(Some(&bearer(&es.sign(&other_issuer)))),
        Err(AuthError::WrongIssuer)
    );
    let mut other_audience = county_claims();
    other_audience.aud = "another-system".into();
    assert_eq!(
        auth.authenticate(Some(&bearer(&es.sign(&other_audience)))),
        Err(AuthError::WrongAudience)
    );
    // A county office claiming a city's region.
    let mut inconsistent = county_claims();
    inconsistent.region = Some("410400".into());
    assert!(matches!(
        auth.authenticate(Some(&bearer(&es.sign(&inconsistent)))),
        Err(AuthError::InvalidClaims(_))
    ));
}

#[test]
fn a_rotated_key_is_picked_up_from_the_jwks_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jwks.json");
    let (es, rs) = (es256(), rs256());
    let write = |signers: &[&Signer]| {
        let jwks = JwkSet {
            keys: signers.iter().map(|s| s.jwk()).collect(),
        };
        std::fs::write(&file, serde_json::to_string(&jwks).unwrap()).unwrap();
    };
    write(&[&es]);
    let settings = AuthnSettings {
        jwks_file: Some(file.clone()),
        ..AuthnSettings::default()
    };
    let auth = Authenticator::new(settings, TrustedKeys::from_file(&file).unwrap()).unwrap();
    assert!(
        auth.authenticate(Some(&bearer(&es.sign(&county_claims()))))
            .is_ok()
    );
    // The platform rotates to a new key.
    write(&[&es, &rs]);
    assert!(
        auth.authenticate(Some(&bearer(&rs.sign(&county_claims()))))
            .is_ok()
    );
}

#[test]
fn the_dev_key_issues_tokens_its_jwks_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let key = DevKey::load_or_create(dir.path()).unwrap();
    let again = DevKey::load_or_create(dir.path()).unwrap();
    let settings = AuthnSettings {
        issuer: wenming_gateway::dev_key::DEV_ISSUER.into(),
        audience: wenming_gateway::dev_key::DEV_AUDIENCE.into(),
        ..AuthnSettings::default()
    };
    let auth = Authenticator::new(settings, again.trusted_keys().unwrap()).unwrap();
    let mut claims = county_claims();
    claims.iss = wenming_gateway::dev_key::DEV_ISSUER.into();
    assert!(
        auth.authenticate(Some(&bearer(&key.issue(&claims))))
            .is_ok()
    );
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(dir.path().join(wenming_gateway::dev_key::KEY_FILE))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// A JWKS endpoint on loopback serving whatever `jwks` holds (status 200), or `status`.
async fn jwks_server(jwks: std::sync::Arc<std::sync::Mutex<(u16, String)>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/.well-known/jwks.json",
        listener.local_addr().unwrap()
    );
    let app = axum::Router::new().route(
        "/.well-known/jwks.json",
        axum::routing::get(move || {
            let (status, body) = jwks.lock().unwrap().clone();
            async move { (http::StatusCode::from_u16(status).unwrap(), body) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn jwks_of(signers: &[&Signer]) -> String {
    serde_json::to_string(&JwkSet {
        keys: signers.iter().map(|s| s.jwk()).collect(),
    })
    .unwrap()
}

#[test]
fn a_jwks_url_must_be_https_outside_loopback() {
    use wenming_gateway::JwksFetcher;
    for url in [
        "http://idp.example.gov.cn/jwks.json",
        "ftp://127.0.0.1/jwks",
        "not a url",
    ] {
        let err = JwksFetcher::new(url, None).unwrap_err();
        assert!(err.to_string().contains("JWKS URL"), "{url}: {err}");
    }
    assert!(JwksFetcher::new("https://idp.example.gov.cn/jwks.json", None).is_ok());
    assert!(JwksFetcher::new("http://127.0.0.1:8080/jwks.json", None).is_ok());
    assert!(JwksFetcher::new("http://[::1]:8080/jwks.json", None).is_ok());
}

#[tokio::test]
async fn a_rotated_key_is_fetched_from_the_jwks_url() {
    use std::time::Duration;
    use wenming_gateway::{JwksFetcher, spawn_refresh};
    let (es, rs) = (es256(), rs256());
    let served = std::sync::Arc::new(std::sync::Mutex::new((200, jwks_of(&[&es]))));
    let url = jwks_server(served.clone()).await;
    let fetcher = JwksFetcher::new(&url, None).unwrap();
    let settings = AuthnSettings {
        jwks_url: Some(url),
        ..AuthnSettings::default()
    };
    let auth = Authenticator::new(settings, fetcher.fetch().await.unwrap()).unwrap();
    // A refresh period far longer than the test: only the unknown kid can trigger it.
    spawn_refresh(auth.key_store(), fetcher.clone(), Duration::from_secs(3600));
    assert!(
        auth.authenticate(Some(&bearer(&es.sign(&county_claims()))))
            .is_ok()
    );

    // The platform publishes a second key and signs with it: the first call with it is
    // refused (the fetch does not hold the call up), then the key is trusted.
    served.lock().unwrap().1 = jwks_of(&[&es, &rs]);
    let token = bearer(&rs.sign(&county_claims()));
    assert_eq!(
        auth.authenticate(Some(&token)).unwrap_err(),
        AuthError::UnknownKey
    );
    tokio::time::timeout(Duration::from_secs(10), async {
        while auth.authenticate(Some(&token)).is_err() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the rotated key is fetched after an unknown kid");

    // A failing platform is reported and changes nothing already trusted.
    *served.lock().unwrap() = (503, String::new());
    let err = fetcher.fetch().await.unwrap_err();
    assert!(err.to_string().contains("503"), "{err}");
    *served.lock().unwrap() = (200, "{\"keys\": \"nope\"}".into());
    assert!(fetcher.fetch().await.is_err());
    *served.lock().unwrap() = (200, "{\"keys\": []}".into());
    let err = fetcher.fetch().await.unwrap_err();
    assert!(err.to_string().contains("no keys"), "{err}");
    *served.lock().unwrap() = (
        200,
        format!("{{\"keys\": [], \"pad\": \"{}\"}}", "x".repeat(2 << 20)),
    );
    let err = fetcher.fetch().await.unwrap_err();
    assert!(err.to_string().contains("larger than"), "{err}");
    assert!(auth.authenticate(Some(&token)).is_ok());

    // A key the platform withdraws stops working at once, even for tokens verified
    // (and remembered) before.
    let old_token = bearer(&es.sign(&county_claims()));
    assert!(auth.authenticate(Some(&old_token)).is_ok());
    auth.key_store()
        .replace(TrustedKeys::from_jwks(&jwks_of(&[&rs])).unwrap());
    assert_eq!(
        auth.authenticate(Some(&old_token)).unwrap_err(),
        AuthError::UnknownKey
    );
    assert!(auth.authenticate(Some(&token)).is_ok());
}
