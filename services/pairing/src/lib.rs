//! The pairing service (结对帮创): one-to-one pairings of helpers with non-public units,
//! their work plans, ledgers, activities and highlight brands, and the offices'
//! pairing lists. It is the first service that calls another: it asks the registry
//! about units, titles and campaigns with the caller's identity.
#![forbid(unsafe_code)]

mod error;
pub mod messages;
mod render;
pub mod rules;
mod service;
pub mod store;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use tonic::service::Routes;
use wenming_authz::IdentityVerifier;
use wenming_domain::Clock;
use wenming_proto::pairing::v1::pairing_service_server::{PairingServiceServer, SERVICE_NAME};
use wenming_runtime::db::Database;
use wenming_runtime::migrations::{Migrations, Reissued};
use wenming_runtime::{ServeError, ServerSettings};

pub use error::PairingError;
pub use service::PairingApi;
pub use store::Store;

/// The pairing service's embedded migrations (portable SQL, same files for both databases).
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The pairing service's migrations after the shared tables'.
pub static MIGRATIONS: Migrations = Migrations {
    own: &MIGRATOR,
    // 0001 lost the shared tables (now in crates/runtime/migrations).
    reissued: &[Reissued {
        version: 1,
        old_checksum: "oTzjcWZFi6YFETFnmLIWEEGA1jEj2LUyMqwxRk59duPOAe3b3oePXY4+UhKwRz8d",
    }],
};

/// Fully qualified gRPC service name, as health reports it.
pub const GRPC_SERVICE: &str = SERVICE_NAME;

/// Serves the pairing service on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    db: Database,
    clock: Arc<dyn Clock>,
    registry: Arc<dyn wenming_clients::Registry>,
    verifier: IdentityVerifier,
    settings: &ServerSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let (db_for_purge, clock_for_purge) = (db.clone(), clock.clone());
    let api = PairingApi::new(Store::new(db, clock), registry);
    let service = PairingServiceServer::new(api)
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
