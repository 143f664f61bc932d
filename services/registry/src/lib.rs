//! The registry service: units, reserve pool, campaigns, nominations and titles, and the
//! title verification that e-government platforms call.
#![forbid(unsafe_code)]

mod convert;
pub mod demo;
mod error;
pub mod messages;
pub mod rules;
mod service;
pub mod store;
mod unit_pb;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use tonic::service::Routes;
use wenming_authz::IdentityVerifier;
use wenming_domain::Clock;
use wenming_proto::registry::v1::registry_service_server::{RegistryServiceServer, SERVICE_NAME};
use wenming_runtime::db::Database;
use wenming_runtime::migrations::{Migrations, Reissued};
use wenming_runtime::{ServeError, ServerSettings};

pub use error::RegistryError;
pub use service::RegistryApi;
pub use store::Store;

/// The registry's embedded migrations (portable SQL, same files for both databases).
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The registry's migrations after the shared tables'.
pub static MIGRATIONS: Migrations = Migrations {
    own: &MIGRATOR,
    // 0001 lost the shared tables (now in crates/runtime/migrations).
    reissued: &[Reissued {
        version: 1,
        old_checksum: "VvZVA5Gt9l3/TVKO+nRpCXPxgg+WVnTnPsdD+NkUusyeOA5f3peKUTloQvEnrsV+",
    }],
};

/// Runs the migrations and seeds the division table (idempotent).
pub async fn migrate(db: &Database) -> Result<(), wenming_runtime::db::DbError> {
    db.migrate(&MIGRATIONS).await?;
    let mut tx = db.begin_write().await?;
    for division in wenming_domain::Divisions::henan().iter() {
        sqlx::query(
            "INSERT INTO divisions (code, name, level, parent_code) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(division.code.to_string())
        .bind(division.name.clone())
        .bind(division.level.as_str())
        .bind(division.parent.map(|p| p.to_string()))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Fully qualified gRPC service name, as health reports it.
pub const GRPC_SERVICE: &str = SERVICE_NAME;

/// Serves the registry on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    db: Database,
    clock: Arc<dyn Clock>,
    verifier: IdentityVerifier,
    settings: &ServerSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let (db_for_purge, clock_for_purge) = (db.clone(), clock.clone());
    let api = RegistryApi::new(Store::new(db, clock));
    let service = RegistryServiceServer::new(api)
        .max_decoding_message_size(settings.max_message_bytes)
        .max_encoding_message_size(settings.max_response_bytes);
    // Request ids outlive their retention by at most an hour.
    let purge = wenming_runtime::idempotency::spawn_purge(
        db_for_purge,
        clock_for_purge,
        std::time::Duration::from_secs(3600),
    );
    let served = wenming_runtime::serve(
        listener,
        settings,
        wenming_runtime::Access::Internal(Box::new(verifier)),
        Routes::new(service),
        &[GRPC_SERVICE],
        shutdown,
    )
    .await;
    purge.abort();
    served
}
