//! `wenming up`: the whole suite in one process on SQLite under a data dir.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use wenming_authz::{IdentityKey, IdentitySigner, IdentityVerifier};
use wenming_domain::SystemClock;
use wenming_gateway::dev_key::{self, DevKey};
use wenming_gateway::{Authenticator, AuthnSettings, Policy, Proxy, RateLimits};
use wenming_runtime::ServerSettings;
use wenming_runtime::db::{Database, DatabaseSettings};

use crate::cli::{CliResult, backend};
use crate::config::PairingSettings;

const KEY_FILE: &str = "identity.key";

/// SQLite URL of one service's database under `dir`.
fn sqlite_url(dir: &Path, service: &str) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        dir.join(format!("{service}.db")).display()
    )
}

/// Runs until SIGTERM or ctrl-c: each service on its own loopback port, the gateway on
/// `listen`, the only address open to callers.
pub async fn run(data_dir: &Path, listen: SocketAddr, demo: bool) -> CliResult {
    std::fs::create_dir_all(data_dir)
        .map_err(|err| format!("data dir {}: {err}", data_dir.display()))?;
    let key = IdentityKey::load_or_create(&data_dir.join(KEY_FILE))?;
    // The development signing key: `wenming token` signs with it, the gateway trusts it.
    let dev_key = DevKey::load_or_create(data_dir)?;
    let db = Database::connect(&DatabaseSettings {
        url: sqlite_url(data_dir, "registry"),
        ..DatabaseSettings::default()
    })
    .await?;
    wenming_registry::migrate(&db).await?;

    let registry_listener = TcpListener::bind("127.0.0.1:0").await?;
    let registry_addr = registry_listener.local_addr()?;
    let verifier = IdentityVerifier::new(&key);
    let server_db = db.clone();
    let registry = tokio::spawn(async move {
        let settings = ServerSettings::default();
        wenming_registry::serve(
            registry_listener,
            server_db,
            Arc::new(SystemClock),
            verifier,
            &settings,
            wenming_runtime::shutdown::signal(),
        )
        .await
    });

    let pairing_db = Database::connect(&DatabaseSettings {
        url: sqlite_url(data_dir, "pairing"),
        ..DatabaseSettings::default()
    })
    .await?;
    pairing_db.migrate(&wenming_pairing::MIGRATIONS).await?;
    let pairing_listener = TcpListener::bind("127.0.0.1:0").await?;
    let pairing_addr = pairing_listener.local_addr()?;
    let pairing_settings = PairingSettings {
        registry_url: format!("http://{registry_addr}"),
        ..PairingSettings::default()
    };
    let (verifier, server_db) = (IdentityVerifier::new(&key), pairing_db.clone());
    let registry_client = pairing_settings.registry()?;
    let pairing = tokio::spawn(async move {
        wenming_pairing::serve(
            pairing_listener,
            server_db,
            Arc::new(SystemClock),
            registry_client,
            verifier,
            &ServerSettings::default(),
            wenming_runtime::shutdown::signal(),
        )
        .await
    });

    let listener = TcpListener::bind(listen)
        .await
        .map_err(|err| format!("listen on {listen}: {err}"))?;
    let addr = listener.local_addr()?;
    let authn = Authenticator::new(
        AuthnSettings {
            issuer: dev_key::DEV_ISSUER.into(),
            audience: dev_key::DEV_AUDIENCE.into(),
            jwks_file: Some(dev_key.jwks_path().to_owned()),
            ..AuthnSettings::default()
        },
        dev_key.trusted_keys()?,
    )?;
    let settings = ServerSettings::default();
    let proxy = Proxy::new(
        authn,
        Policy::shipped()?,
        Some(&RateLimits::default()),
        IdentitySigner::new(&key),
        vec![
            backend(
                wenming_registry::GRPC_SERVICE,
                &format!("http://{registry_addr}"),
            )?,
            backend(
                wenming_pairing::GRPC_SERVICE,
                &format!("http://{pairing_addr}"),
            )?,
        ],
        Duration::from_secs(settings.request_timeout_secs),
    );
    let gateway = tokio::spawn(async move {
        wenming_gateway::serve(
            listener,
            proxy,
            &settings,
            wenming_runtime::shutdown::signal(),
        )
        .await
    });

    wait_serving(registry_addr, wenming_registry::GRPC_SERVICE).await?;
    wait_serving(pairing_addr, wenming_pairing::GRPC_SERVICE).await?;
    wait_serving(addr, wenming_gateway::GRPC_SERVICE).await?;
    if demo {
        crate::demo::load(registry_addr, pairing_addr, &key).await?;
    }
    tracing::info!(%addr, %registry_addr, %pairing_addr, data_dir = %data_dir.display(), "wenming ready");
    #[allow(clippy::print_stdout)]
    {
        println!(
            "wenming ready: gateway on {addr} (registry on {registry_addr}, pairing on \
             {pairing_addr}), data in {}",
            data_dir.display()
        );
    }
    gateway.await??;
    pairing.await??;
    registry.await??;
    tracing::info!("services stopped; closing databases");
    pairing_db.close().await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Asks the health service until it answers SERVING. The listener is bound already, so
/// the first call waits in the accept backlog rather than failing.
async fn wait_serving(addr: SocketAddr, service: &str) -> CliResult {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await?;
    let status = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await?
        .into_inner()
        .status;
    if status == ServingStatus::Serving as i32 {
        Ok(())
    } else {
        Err(format!("{service} reports status {status}").into())
    }
}
