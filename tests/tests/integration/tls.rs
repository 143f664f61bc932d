//! TLS at the edge and inside (issue 12): a platform verifies a title over TLS while the
//! gateway reaches the services, and they each other, over mutual TLS with a private
//! CA; plaintext to the TLS gateway fails; a renewed certificate reaches new connections
//! while calls on open ones go on; a service refuses callers without a certificate of
//! its CA. Real sockets, certificates made per test.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
use wenming_authz::PlatformAction;
use wenming_proto::registry::v1 as pb;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_proto::supervision::v1 as sp;
use wenming_proto::supervision::v1::supervision_service_client::SupervisionServiceClient;
use wenming_testkit::pki::Pki;
use wenming_testkit::{TestDb, db_test};
use wenming_tests::{Suite, SuiteOptions};

async fn tls_suite(db: &TestDb, pki: &Pki) -> Suite {
    Suite::start_opts(
        db,
        "2021-04-16T01:00:00Z".parse().unwrap(),
        SuiteOptions {
            tls: Some(pki),
            ..SuiteOptions::default()
        },
    )
    .await
}

/// A company of 宝丰县 holding a provincial title since 2021-01-10.
async fn titled_unit(suite: &Suite) -> pb::Unit {
    suite.titled_unit(7001, "宝丰县安全传输有限公司").await
}

db_test!(
    a_platform_verifies_over_tls_while_the_suite_speaks_mutual_tls_inside,
    tls_everywhere
);
async fn tls_everywhere(db: &TestDb) {
    let pki = Pki::new("wenming test CA");
    let suite = tls_suite(db, &pki).await;
    let unit = titled_unit(&suite).await;

    let mut platform = RegistryServiceClient::with_interceptor(
        suite.gateway.clone(),
        suite.platform_granted("tax", &[PlatformAction::VerifyTitle]),
    );
    let answer = platform
        .verify_title(pb::VerifyTitleRequest {
            credit_code: unit.credit_code.clone(),
            as_of: String::new(),
            attest: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.titles.len(), 1);

    // A call that crosses services behind the gateway: supervision asks the registry
    // and the pairing service for the progress report, over mutual TLS.
    let report = SupervisionServiceClient::with_interceptor(
        suite.gateway.clone(),
        suite.office("province", "410000"),
    )
    .get_progress_report(sp::GetProgressReportRequest {
        region_code: "410000".into(),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner();
    assert!(!report.rows.is_empty(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_or_an_untrusted_certificate_does_not_reach_a_tls_gateway() {
    let db = TestDb::sqlite().await;
    let pki = Pki::new("wenming test CA");
    let suite = tls_suite(&db, &pki).await;
    let port = suite.gateway_addr.port();

    let plaintext = Channel::from_shared(format!("http://127.0.0.1:{port}"))
        .unwrap()
        .connect()
        .await;
    if let Ok(channel) = plaintext {
        let err = RegistryServiceClient::with_interceptor(channel, suite.platform("tax"))
            .verify_title(pb::VerifyTitleRequest::default())
            .await
            .unwrap_err();
        // The TLS server answers a connection that does not start with a handshake with
        // an alert and closes it: the client's transport fails (how it words that varies
        // with timing), no gateway or service answered.
        assert!(
            std::error::Error::source(&err).is_some(),
            "a transport failure, not an answer: {err:?}"
        );
    }

    // A client that trusts another CA refuses the gateway's certificate.
    let other = Pki::new("another CA");
    let untrusted = Channel::from_shared(format!("https://localhost:{port}"))
        .unwrap()
        .tls_config(ClientTlsConfig::new().ca_certificate(pem(&other.ca_file())))
        .unwrap()
        .connect()
        .await;
    assert!(untrusted.is_err(), "the handshake fails");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewed_certificate_reaches_new_connections_and_open_calls_go_on() {
    let db = TestDb::sqlite().await;
    let pki = Pki::new("wenming test CA");
    let suite = tls_suite(&db, &pki).await;
    let files = suite.public_tls.clone().unwrap();
    let (cert_file, key_file) = (files.cert_file.unwrap(), files.key_file.unwrap());
    let first = served_certificate(suite.gateway_addr, &pki.ca_file()).await;
    assert_eq!(first, chain_of(&cert_file));

    // A watch open on the first connection.
    let mut watch = RegistryServiceClient::with_interceptor(
        suite.gateway.clone(),
        suite.office("province", "410000"),
    )
    .watch_title_changes(pb::WatchTitleChangesRequest::default())
    .await
    .unwrap()
    .into_inner();

    // The renewal: a new pair written beside, then moved over the served files (as
    // cert-manager and Kubernetes Secret volumes swap them).
    let (new_cert, new_key) = pki.issue("renewed", &["127.0.0.1", "localhost"]);
    std::fs::rename(&new_key, &key_file).unwrap();
    std::fs::rename(&new_cert, &cert_file).unwrap();
    let renewed = served_certificate(suite.gateway_addr, &pki.ca_file()).await;
    assert_eq!(renewed, chain_of(&cert_file));
    assert_ne!(renewed, first);

    // The open call goes on: a change recorded now reaches it.
    let unit = titled_unit(&suite).await;
    let change = tokio::time::timeout(Duration::from_secs(10), watch.message())
        .await
        .expect("the watch answers")
        .unwrap()
        .unwrap();
    assert_eq!(change.credit_code, unit.credit_code);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_refuses_callers_without_a_certificate_of_its_ca() {
    let db = TestDb::sqlite().await;
    let pki = Pki::new("wenming test CA");
    let suite = tls_suite(&db, &pki).await;
    let url = format!("https://localhost:{}", suite.registry.port());
    let health = |channel: Channel| async move {
        tonic_health::pb::health_client::HealthClient::new(channel)
            .check(tonic_health::pb::HealthCheckRequest::default())
            .await
    };

    // With a certificate of the CA: it answers (health needs no identity).
    let member = pki.internal("a-member");
    let channel = Channel::from_shared(url.clone())
        .unwrap()
        .tls_config(member.tonic_client().unwrap().unwrap())
        .unwrap()
        .connect()
        .await
        .unwrap();
    health(channel).await.unwrap();

    // Without one, or with another CA's: no connection, or no answer.
    let other = Pki::new("another CA");
    let (stranger_cert, stranger_key) = other.issue("stranger", &["localhost"]);
    for config in [
        ClientTlsConfig::new().ca_certificate(pem(&pki.ca_file())),
        ClientTlsConfig::new()
            .ca_certificate(pem(&pki.ca_file()))
            .identity(Identity::from_pem(
                std::fs::read(&stranger_cert).unwrap(),
                std::fs::read(&stranger_key).unwrap(),
            )),
    ] {
        let refused = match Channel::from_shared(url.clone())
            .unwrap()
            .tls_config(config)
            .unwrap()
            .connect()
            .await
        {
            Err(_) => true,
            Ok(channel) => health(channel).await.is_err(),
        };
        assert!(
            refused,
            "a caller without a certificate of the CA is refused"
        );
    }
    let plaintext = Channel::from_shared(format!("http://127.0.0.1:{}", suite.registry.port()))
        .unwrap()
        .connect()
        .await;
    if let Ok(channel) = plaintext {
        assert!(health(channel).await.is_err());
    }
}

fn pem(path: &Path) -> Certificate {
    Certificate::from_pem(std::fs::read(path).unwrap())
}

fn chain_of(path: &Path) -> Vec<u8> {
    wenming_runtime::tls::chain(path).unwrap()[0].to_vec()
}

/// The certificate the server at `addr` presents to a new connection (as localhost).
async fn served_certificate(addr: std::net::SocketAddr, ca: &Path) -> Vec<u8> {
    let config = rustls::ClientConfig::builder_with_provider(wenming_runtime::tls::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(wenming_runtime::tls::roots(ca).unwrap())
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(
            rustls::pki_types::ServerName::try_from("localhost").unwrap(),
            tcp,
        )
        .await
        .unwrap();
    tls.get_ref().1.peer_certificates().unwrap()[0].to_vec()
}
