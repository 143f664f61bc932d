//! `wenming up`: the whole suite in one process on SQLite under a data dir.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use wenming_authz::{IdentityKey, IdentitySigner, IdentityVerifier, Principal};
use wenming_domain::{Divisions, SystemClock};
use wenming_runtime::ServerSettings;
use wenming_runtime::db::{Database, DatabaseSettings};

use crate::cli::CliResult;

const KEY_FILE: &str = "identity.key";

/// SQLite URL of one service's database under `dir`.
fn sqlite_url(dir: &Path, service: &str) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        dir.join(format!("{service}.db")).display()
    )
}

/// Runs until SIGTERM or ctrl-c.
pub async fn run(data_dir: &Path, listen: SocketAddr, demo: bool) -> CliResult {
    std::fs::create_dir_all(data_dir)
        .map_err(|err| format!("data dir {}: {err}", data_dir.display()))?;
    let key = IdentityKey::load_or_create(&data_dir.join(KEY_FILE))?;
    // The development signing key `wenming token` uses; the gateway will trust it.
    wenming_gateway::dev_key::DevKey::load_or_create(data_dir)?;
    let db = Database::connect(&DatabaseSettings {
        url: sqlite_url(data_dir, "registry"),
        ..DatabaseSettings::default()
    })
    .await?;
    wenming_registry::migrate(&db).await?;

    // Until the gateway exists the registry is the public entry point.
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|err| format!("listen on {listen}: {err}"))?;
    let addr = listener.local_addr()?;
    let verifier = IdentityVerifier::new(&key);
    let server_db = db.clone();
    let registry = tokio::spawn(async move {
        let settings = ServerSettings::default();
        wenming_registry::serve(
            listener,
            server_db,
            Arc::new(SystemClock),
            verifier,
            &settings,
            wenming_runtime::shutdown::signal(),
        )
        .await
    });
    wait_serving(addr, wenming_registry::GRPC_SERVICE).await?;
    if demo {
        crate::demo::load(addr, &key).await?;
    }
    tracing::info!(%addr, data_dir = %data_dir.display(), "wenming ready");
    #[allow(clippy::print_stdout)]
    {
        println!(
            "wenming ready: registry on {addr}, data in {}",
            data_dir.display()
        );
    }
    registry.await??;
    tracing::info!("services stopped; closing databases");
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

/// A signed internal identity of the office of `region`, from the key in `data_dir`.
pub fn office_identity(
    data_dir: &Path,
    region: &str,
    ttl: u64,
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let path = data_dir.join(KEY_FILE);
    let text = std::fs::read_to_string(&path).map_err(|err| {
        format!(
            "{}: {err} (start `wenming up --data-dir {}` first)",
            path.display(),
            data_dir.display()
        )
    })?;
    let key = IdentityKey::from_base64(&text)?;
    let divisions = Divisions::henan();
    let code = divisions.resolve(region)?;
    let level = divisions
        .get(code)
        .map(|d| d.level)
        .ok_or("unknown region")?;
    let principal = Principal::office(format!("cli-{code}"), level, code);
    Ok(IdentitySigner::new(&key)
        .with_ttl(Duration::from_secs(ttl))
        .sign(&principal))
}
