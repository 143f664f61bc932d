//! The platform edge as an integrator meets it (issue 12), against `wenming up` with a
//! certificate: TLS on the public address (and plaintext refused), a title verified
//! with an attestation that `wenming attestation verify` checks offline against the
//! saved key set, and the title-change feed followed across a restart of the suite.

use crate::support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::*;
use tonic::transport::{Certificate, Channel, ClientTlsConfig};
use wenming_proto::registry::v1 as pb;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_testkit::pki::Pki;

type Client = RegistryServiceClient<tonic::service::interceptor::InterceptedService<Channel, Auth>>;

/// `wenming up` on `dir` with the public certificate of `pki`.
fn up_with_tls(dir: &Path, pki: &Pki) -> Suite {
    let tls = pki.public("gateway");
    let mut command = Command::new(BIN);
    command
        .args(["up", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .arg("--tls-cert")
        .arg(tls.cert_file.unwrap())
        .arg("--tls-key")
        .arg(tls.key_file.unwrap());
    Suite::spawn(command)
}

fn https(suite: &Suite) -> String {
    format!("https://localhost:{}", port(suite))
}

fn port(suite: &Suite) -> &str {
    suite.addr.rsplit(':').next().unwrap()
}

async fn client(suite: &Suite, pki: &Pki, token: &str) -> Client {
    let channel = Channel::from_shared(https(suite))
        .unwrap()
        .tls_config(
            ClientTlsConfig::new()
                .ca_certificate(Certificate::from_pem(std::fs::read(pki.ca_file()).unwrap())),
        )
        .unwrap()
        .connect()
        .await
        .unwrap();
    RegistryServiceClient::with_interceptor(channel, auth(token))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_verifies_over_tls_files_the_attestation_and_checks_it_offline() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new("provincial platform CA");
    let suite = up_with_tls(dir.path(), &pki);

    // The container's health check speaks TLS too.
    let health = Command::new(BIN)
        .args(["health", &https(&suite), "--ca-file"])
        .arg(pki.ca_file())
        .output()
        .unwrap();
    assert!(
        health.status.success(),
        "{}",
        String::from_utf8_lossy(&health.stderr)
    );

    // Plaintext to the TLS address reaches nothing.
    let plain = bearer_client(&suite.addr, "x")
        .await
        .verify_title(pb::VerifyTitleRequest::default())
        .await
        .unwrap_err();
    assert!(std::error::Error::source(&plain).is_some(), "{plain:?}");

    let county = cli_token(&["--level", "county", "--region", "410421"], dir.path());
    let province = cli_token(&["--level", "province", "--region", "410000"], dir.path());
    let tax = cli_token(
        &[
            "--level",
            "platform",
            "--platform",
            "tax",
            "--grant",
            "verify_title",
        ],
        dir.path(),
    );
    let code = wenming_testkit::fixtures::credit_code("410421", 8100);
    let unit = client(&suite, &pki, &county)
        .await
        .create_unit(pb::CreateUnitRequest {
            unit: Some(pb::Unit {
                display_name: "宝丰县归档测试有限公司".into(),
                credit_code: code.clone(),
                region_code: "410421".into(),
                kind: pb::UnitKind::PrivateEnterprise as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    client(&suite, &pki, &province)
        .await
        .award_title(award(&unit.name, "2024-01-10"))
        .await
        .unwrap();

    let mut platform = client(&suite, &pki, &tax).await;
    let answer = platform
        .verify_title(pb::VerifyTitleRequest {
            credit_code: code.clone(),
            as_of: String::new(),
            attest: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!answer.attestation.is_empty());
    let keys = platform
        .get_attestation_keys(pb::GetAttestationKeysRequest {})
        .await
        .unwrap()
        .into_inner();

    // Filed: the attestation and the key set, as files.
    let filed = tempfile::tempdir().unwrap();
    let jws = filed.path().join("attestation.jws");
    let jwks = filed.path().join("jwks.json");
    std::fs::write(&jws, &answer.attestation).unwrap();
    std::fs::write(&jwks, jwks_json(&keys)).unwrap();
    let checked = Command::new(BIN)
        .args(["attestation", "verify"])
        .arg(&jws)
        .arg("--jwks")
        .arg(&jwks)
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    let claims: serde_json::Value = serde_json::from_slice(&checked.stdout).unwrap();
    assert_eq!(claims["sub"], code.as_str());
    assert_eq!(claims["titles"][0]["tier"], "TITLE_TIER_PROVINCIAL");
    // The same check with a common JOSE library, as docs/OPERATIONS.md shows it.
    if let Some(python) = python_with_pyjwt() {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/examples/verify_attestation.py"
        );
        let out = Command::new(python)
            .arg(script)
            .arg(&jws)
            .arg(&jwks)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let claims: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(claims["sub"], code.as_str());
    }

    // A changed attestation does not check, and says why.
    let mut parts: Vec<&str> = answer.attestation.split('.').collect();
    let other = platform
        .verify_title(pb::VerifyTitleRequest {
            credit_code: code.clone(),
            as_of: "2024-01-09".into(),
            attest: true,
        })
        .await
        .unwrap()
        .into_inner()
        .attestation;
    parts[1] = other.split('.').nth(1).unwrap();
    std::fs::write(&jws, parts.join(".")).unwrap();
    let refused = Command::new(BIN)
        .args(["attestation", "verify"])
        .arg(&jws)
        .arg("--jwks")
        .arg(&jwks)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("does not check"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    // The same over JSON, with an ordinary HTTP client over TLS: verify, keep the
    // attestation and the key set as served, check them offline.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(&std::fs::read(pki.ca_file()).unwrap()).unwrap(),
        )
        .build()
        .unwrap();
    let get = |path: &str, token: &str| {
        http.get(format!("{}{path}", https(&suite)))
            .header("authorization", format!("Bearer {token}"))
            .send()
    };
    let answer: serde_json::Value = get(
        &format!("/v1/titles:verify?credit_code={code}&attest=true"),
        &tax,
    )
    .await
    .unwrap()
    .json_body()
    .await;
    assert_eq!(
        answer["titles"][0]["tier"], "TITLE_TIER_PROVINCIAL",
        "{answer}"
    );
    std::fs::write(&jws, answer["attestation"].as_str().unwrap()).unwrap();
    let served = get("/v1/attestationKeys", &tax)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    std::fs::write(&jwks, served).unwrap();
    let checked = Command::new(BIN)
        .args(["attestation", "verify"])
        .arg(&jws)
        .arg("--jwks")
        .arg(&jwks)
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );

    // A JSON call the policy refuses is in the denial log, as a gRPC one would be.
    let refused = get("/v1/titleChanges", &tax).await.unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    assert!(suite.terminate());
    let denials = std::fs::read_to_string(dir.path().join("denials.jsonl")).unwrap();
    assert!(
        denials.contains("wenming.registry.v1.RegistryService/ListTitleChanges"),
        "{denials}"
    );
}

/// A response body as JSON.
trait JsonBody {
    async fn json_body(self) -> serde_json::Value;
}

impl JsonBody for reqwest::Response {
    async fn json_body(self) -> serde_json::Value {
        serde_json::from_slice(&self.bytes().await.unwrap()).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_reconnects_after_a_restart_with_its_cursor_and_misses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new("provincial platform CA");
    let suite = up_with_tls(dir.path(), &pki);
    let county = cli_token(&["--level", "county", "--region", "410421"], dir.path());
    let province = cli_token(&["--level", "province", "--region", "410000"], dir.path());
    let credit = cli_token(
        &[
            "--level",
            "platform",
            "--platform",
            "credit",
            "--grant",
            "follow_titles",
        ],
        dir.path(),
    );
    let mut units = Vec::new();
    for n in 0..2 {
        units.push(
            client(&suite, &pki, &county)
                .await
                .create_unit(pb::CreateUnitRequest {
                    unit: Some(pb::Unit {
                        display_name: format!("宝丰县订阅测试{n}有限公司"),
                        credit_code: wenming_testkit::fixtures::credit_code("410421", 8200 + n),
                        region_code: "410421".into(),
                        kind: pb::UnitKind::PrivateEnterprise as i32,
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await
                .unwrap()
                .into_inner(),
        );
    }
    let mut stream = client(&suite, &pki, &credit)
        .await
        .watch_title_changes(pb::WatchTitleChangesRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut office = client(&suite, &pki, &province).await;
    let title = office
        .award_title(award(&units[0].name, "2024-01-10"))
        .await
        .unwrap()
        .into_inner();
    let awarded = next(&mut stream).await;
    assert_eq!(awarded.title, title.name);
    // A revocation made after it subscribed reaches it.
    office
        .revoke_title(pb::RevokeTitleRequest {
            name: title.name.clone(),
            reason: "发生重大安全生产事故".into(),
            revoked_on: String::new(),
        })
        .await
        .unwrap();
    let revoked = next(&mut stream).await;
    assert_eq!(revoked.kind, pb::TitleChangeKind::Revoked as i32);

    // The suite stops; a change lands after it is back; the follower reconnects with
    // the cursor it kept.
    drop(stream);
    assert!(suite.terminate());
    let suite = up_with_tls(dir.path(), &pki);
    let later = client(&suite, &pki, &province)
        .await
        .award_title(award(&units[1].name, "2024-02-01"))
        .await
        .unwrap()
        .into_inner();
    let mut stream = client(&suite, &pki, &credit)
        .await
        .watch_title_changes(pb::WatchTitleChangesRequest {
            after: revoked.cursor.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let after = next(&mut stream).await;
    assert_eq!(after.title, later.name, "nothing repeated, nothing missed");
    assert!(suite.terminate());
}

fn award(unit: &str, on: &str) -> pb::AwardTitleRequest {
    pb::AwardTitleRequest {
        title: Some(pb::Title {
            unit: unit.to_owned(),
            tier: pb::TitleTier::Provincial as i32,
            awarded_on: on.into(),
            document_number: "豫文明〔2024〕1号".into(),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

async fn next(stream: &mut tonic::Streaming<pb::TitleChange>) -> pb::TitleChange {
    tokio::time::timeout(Duration::from_secs(10), stream.message())
        .await
        .expect("a change within 10 s")
        .unwrap()
        .expect("the stream stays open")
}

fn jwks_json(set: &pb::AttestationKeySet) -> String {
    serde_json::json!({ "keys": set.keys.iter().map(|k| serde_json::json!({
        "kty": k.kty, "crv": k.crv, "x": k.x, "kid": k.kid, "alg": k.alg, "use": k.r#use
    })).collect::<Vec<_>>() })
    .to_string()
}

/// A port nothing listens on now (for settings that cannot take port 0).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Production's shape: `serve registry` and `serve gateway` as processes configured by
/// environment variables, mutual TLS between them, the public certificate on the
/// gateway, and the registry's health on a plaintext port for probes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_tls_inside_and_out() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new("wenming internal CA");
    let key = wenming_authz::IdentityKey::generate().to_base64();
    let path = |p: std::path::PathBuf| p.display().to_string();
    let internal = |stem: &str| {
        let tls = pki.internal(stem);
        [
            ("WENMING_TLS__CA_FILE", path(tls.ca_file.unwrap())),
            ("WENMING_TLS__CERT_FILE", path(tls.cert_file.unwrap())),
            ("WENMING_TLS__KEY_FILE", path(tls.key_file.unwrap())),
        ]
    };
    let health_port = free_port();
    let db = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("registry.db").display()
    );
    let mut command = serve_registry(&db, &key);
    command.envs(internal("registry")).env(
        "WENMING_SERVER__HEALTH_LISTEN",
        format!("127.0.0.1:{health_port}"),
    );
    let registry = Suite::spawn(command);

    // The probe's view: plaintext health on its own port; the service port wants TLS.
    let probe = Command::new(BIN)
        .args(["health", &format!("127.0.0.1:{health_port}")])
        .output()
        .unwrap();
    assert!(
        probe.status.success(),
        "{}",
        String::from_utf8_lossy(&probe.stderr)
    );
    let plain = Command::new(BIN)
        .args(["health", &registry.addr])
        .output()
        .unwrap();
    assert!(!plain.status.success(), "the service port is TLS only");

    let token = cli_token(&["--level", "county", "--region", "410421"], dir.path());
    let public = pki.public("gateway-public");
    let mut command = serve_gateway(
        dir.path(),
        &key,
        &format!("https://localhost:{}", port(&registry)),
    );
    command.envs(internal("gateway")).envs([
        (
            "WENMING_GATEWAY__TLS__CERT_FILE",
            path(public.cert_file.unwrap()),
        ),
        (
            "WENMING_GATEWAY__TLS__KEY_FILE",
            path(public.key_file.unwrap()),
        ),
    ]);
    let gateway = Suite::spawn(command);
    let listed = client(&gateway, &pki, &token)
        .await
        .list_units(pb::ListUnitsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.units.is_empty());
    assert!(gateway.terminate());
    assert!(registry.terminate());
}

/// The internal identity key rotates without a quiet period: a service that accepts the
/// next key answers gateways signing with either key, and once the previous key is
/// dropped a gateway still signing with it is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_identity_key_rotates_while_calls_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (
        wenming_authz::IdentityKey::generate(),
        wenming_authz::IdentityKey::generate(),
    );
    let new_file = dir.path().join("next.key");
    std::fs::write(&new_file, new.to_base64()).unwrap();
    let db = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("registry.db").display()
    );
    let registry = |key: &wenming_authz::IdentityKey, accept: Option<&Path>| {
        let mut command = serve_registry(&db, &key.to_base64());
        if let Some(file) = accept {
            command.env(
                "WENMING_IDENTITY__ACCEPT_KEY_FILES",
                format!("[{}]", file.display()),
            );
        }
        Suite::spawn(command)
    };
    let token = cli_token(&["--level", "county", "--region", "410421"], dir.path());
    let gateway = |key: &wenming_authz::IdentityKey, registry: &Suite| {
        Suite::spawn(serve_gateway(dir.path(), &key.to_base64(), &registry.url()))
    };
    let list = |gateway: &Suite| {
        let (addr, token) = (gateway.addr.clone(), token.clone());
        async move {
            bearer_client(&addr, &token)
                .await
                .list_units(pb::ListUnitsRequest::default())
                .await
                .map(|_| ())
                .map_err(|status| status.code())
        }
    };

    // Step 1: the registry signs with the old key and accepts the new one; gateways on
    // either key are served at once.
    let accepting = registry(&old, Some(&new_file));
    let (on_old, on_new) = (gateway(&old, &accepting), gateway(&new, &accepting));
    assert_eq!(list(&on_old).await, Ok(()));
    assert_eq!(list(&on_new).await, Ok(()));
    for process in [on_old, on_new, accepting] {
        assert!(process.terminate());
    }

    // Step 3: the old key is dropped: only the new one passes.
    let rotated = registry(&new, None);
    let (on_old, on_new) = (gateway(&old, &rotated), gateway(&new, &rotated));
    assert_eq!(list(&on_new).await, Ok(()));
    assert_eq!(list(&on_old).await, Err(tonic::Code::Unauthenticated));
    for process in [on_old, on_new, rotated] {
        assert!(process.terminate());
    }
}

/// `python3` when it can import PyJWT with Ed25519 (CI installs it: there the check must
/// run; elsewhere it is skipped with a note).
fn python_with_pyjwt() -> Option<&'static str> {
    let ok = Command::new("python3")
        .args(["-c", "import jwt, cryptography"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI installs PyJWT (pip install 'pyjwt[crypto]') for the JOSE interoperability check"
        );
        eprintln!("skipped the PyJWT check: pip install 'pyjwt[crypto]'");
        return None;
    }
    Some("python3")
}

/// `wenming up` with a certificate answers health in plaintext on
/// `server.health_listen`, for a container HEALTHCHECK that cannot speak TLS.
#[test]
fn up_with_tls_serves_health_in_plaintext_on_its_health_port() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new("provincial platform CA");
    let tls = pki.public("gateway");
    let health_port = free_port();
    let mut command = Command::new(BIN);
    command
        .args(["up", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .arg("--tls-cert")
        .arg(tls.cert_file.unwrap())
        .arg("--tls-key")
        .arg(tls.key_file.unwrap())
        .env(
            "WENMING_SERVER__HEALTH_LISTEN",
            format!("127.0.0.1:{health_port}"),
        );
    let suite = Suite::spawn(command);
    let probe = Command::new(BIN)
        .args(["health", &format!("127.0.0.1:{health_port}")])
        .output()
        .unwrap();
    assert!(
        probe.status.success(),
        "{}",
        String::from_utf8_lossy(&probe.stderr)
    );
    assert!(suite.terminate());
}
