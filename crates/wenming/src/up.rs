//! `wenming up`: the whole suite in one process on SQLite under a data dir.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic_health::pb::health_check_response::ServingStatus;
use wenming_authz::{IdentityKey, IdentitySigner};
use wenming_domain::SystemClock;
use wenming_gateway::dev_key::{self, DevKey};
use wenming_gateway::{Authenticator, AuthnSettings, Policy, Proxy};
use wenming_runtime::ServerSettings;
use wenming_runtime::db::{Database, DatabaseSettings};
use wenming_runtime::service::{self, DemoContext, Member, StartOptions};

use crate::cli::CliResult;
use wenming_suite::SERVICES;

const KEY_FILE: &str = "identity.key";

/// Longest a call between services may take.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(5);

/// One service's SQLite file under `dir`.
pub fn database_file(dir: &Path, service: &str) -> PathBuf {
    dir.join(format!("{service}.db"))
}

/// SQLite URL of one service's database under `dir`, created if missing.
fn sqlite_url(dir: &Path, service: &str) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        database_file(dir, service).display()
    )
}

/// How `wenming up` runs.
#[derive(Debug)]
pub struct Up {
    /// Where the databases and keys live.
    pub data_dir: PathBuf,
    /// The gateway's address, the only one open to callers.
    pub listen: SocketAddr,
    /// Load the demo data.
    pub demo: bool,
    /// Where to serve the suite's metrics.
    pub metrics_listen: Option<SocketAddr>,
    /// The gateway's public certificate (none: plaintext).
    pub tls: wenming_runtime::tls::PublicTls,
    /// Web origins allowed to call from a browser (besides `gateway.cors_origins`).
    pub cors_origins: Vec<String>,
}

/// Runs until SIGTERM or ctrl-c: each service on its own loopback port, the gateway on
/// `listen`, the only address open to callers.
pub async fn run(up: Up) -> CliResult {
    let Up {
        data_dir,
        listen,
        demo,
        metrics_listen,
        tls,
        mut cors_origins,
    } = up;
    let data_dir = data_dir.as_path();
    let config = crate::config::Config::load(None)?;
    cors_origins.extend(config.suite.gateway.cors_origins.iter().cloned());
    // Checked before anything starts: a bad certificate stops `up` at once.
    let public_tls = tls.server()?;
    std::fs::create_dir_all(data_dir)
        .map_err(|err| format!("data dir {}: {err}", data_dir.display()))?;
    let key = IdentityKey::load_or_create(&data_dir.join(KEY_FILE))?;
    // The development signing key: `wenming token` signs with it, the gateway trusts it.
    let dev_key = DevKey::load_or_create(data_dir)?;
    let mut members = Vec::new();
    for def in SERVICES {
        let db = Database::connect(&DatabaseSettings {
            url: sqlite_url(data_dir, def.name),
            ..DatabaseSettings::default()
        })
        .await?;
        def.migrate(&db).await?;
        members.push(Member { def, db });
    }
    let databases: Vec<Database> = members.iter().map(|m| m.db.clone()).collect();
    // The server settings of the configuration (WENMING_SERVER__*); the services on
    // loopback have no health port of their own: only the gateway's address is public.
    let gateway_settings = config.suite.server.clone();
    let health_listen = gateway_settings.health_listen;
    let settings = ServerSettings {
        health_listen: None,
        ..gateway_settings.clone()
    };
    let started = service::start(
        members,
        StartOptions {
            clock: Arc::new(SystemClock),
            key: &key,
            settings: settings.clone(),
            upstream_timeout: UPSTREAM_TIMEOUT,
            external: Default::default(),
            // Defaults and the environment: `up` runs with no file; each service may
            // keep files of its own (the registry's attestation key) in the data dir.
            config: SERVICES
                .iter()
                .fold(config.sources().clone(), |config, def| {
                    config.merge(figment::providers::Serialized::default(
                        &format!("{}.data_dir", def.name),
                        data_dir,
                    ))
                }),
            // One process: the services' calls stay on loopback.
            tls: Default::default(),
        },
        wenming_runtime::shutdown::signal,
    )
    .await?;

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
    // The gateway calls the services in this process (their loopback ports stay for
    // calls between services and for tools).
    let backends = SERVICES
        .iter()
        .map(|def| {
            wenming_gateway::Backend::local(def.grpc_service, started.local(def.name))
                .labelled(def.zh_name)
        })
        .collect::<Vec<_>>();
    let proxy = Proxy::new(
        authn,
        Policy::shipped()?,
        Some(&config.suite.gateway.rate_limits),
        IdentitySigner::new(&key),
        backends,
        Duration::from_secs(settings.request_timeout_secs),
    );
    let tls_note = if public_tls.is_some() { " (TLS)" } else { "" };
    let listener = wenming_runtime::Listener::new(listener, public_tls);
    // Prepared here, so that its health port (if any) is bound before anyone asks.
    let gateway = wenming_gateway::prepare(proxy, &gateway_settings, &cors_origins).await?;
    let gateway = tokio::spawn(async move {
        gateway
            .serve(listener, wenming_runtime::shutdown::signal())
            .await
    });

    for def in SERVICES {
        wait_serving(started.addr(def.name), def.grpc_service).await?;
    }
    // The gateway's health as a probe sees it: on its address in plaintext, or on its
    // health port under TLS (without one, the services' health stands for it).
    match (tls_note.is_empty(), health_listen) {
        (true, _) => wait_serving(addr, wenming_gateway::GRPC_SERVICE).await?,
        (false, Some(health)) => wait_serving(health, wenming_gateway::GRPC_SERVICE).await?,
        (false, None) => {}
    }
    if demo {
        let context = DemoContext {
            addrs: started.addrs.clone(),
            key: key.clone(),
        };
        for def in SERVICES {
            if let Some(load) = def.demo {
                load(&context).await?;
            }
        }
    }
    let services = SERVICES
        .iter()
        .map(|def| format!("{} on {}", def.name, started.addr(def.name)))
        .collect::<Vec<_>>()
        .join(", ");
    let metrics = crate::cli::metrics_note(metrics_listen).await?;
    tracing::info!(%addr, %services, data_dir = %data_dir.display(), "wenming ready");
    #[allow(clippy::print_stdout)]
    {
        println!(
            "wenming ready: gateway on {addr}{tls_note} ({services}), data in {}{metrics}",
            data_dir.display()
        );
    }
    gateway.await??;
    started.stopped().await?;
    tracing::info!("services stopped; closing databases");
    for db in databases {
        db.close().await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// Asks the health service until it answers SERVING. The listener is bound already, so
/// the first call waits in the accept backlog rather than failing.
async fn wait_serving(addr: SocketAddr, service: &str) -> CliResult {
    let status =
        crate::health::serving_status(&format!("http://{addr}"), service, Duration::from_secs(5))
            .await?;
    if status == ServingStatus::Serving as i32 {
        Ok(())
    } else {
        Err(format!("{service} reports status {status}").into())
    }
}
