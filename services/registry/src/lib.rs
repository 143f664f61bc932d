//! The registry service: units, reserve pool, campaigns, nominations and titles, and the
//! title verification that e-government platforms call.
#![forbid(unsafe_code)]

pub mod attestation;
mod audit_trail;
mod commendations;
mod convert;
mod counts;
pub mod demo;
mod error;
mod import_file;
pub mod messages;
pub mod rules;
mod service;
pub mod store;
mod title_changes;
pub mod title_terms;
mod unit_pb;

use tonic::service::Routes;
use wenming_proto::registry::v1::registry_service_server::{RegistryServiceServer, SERVICE_NAME};
use wenming_runtime::db::{Database, DbError};
use wenming_runtime::service::{
    BoxError, BoxFuture, DemoContext, Import, ServiceContext, ServiceDef,
};

pub use error::RegistryError;
pub use service::RegistryApi;
pub use store::Store;

// Parsing at the edge, public for the fuzz targets (tests/fuzz).
pub use import_file::{FileFormat, units_of};
pub use unit_pb::check_new_unit;

// 0001 was reissued when the shared tables moved to crates/runtime/migrations.
wenming_runtime::service_migrations! { 1 => "VvZVA5Gt9l3/TVKO+nRpCXPxgg+WVnTnPsdD+NkUusyeOA5f3peKUTloQvEnrsV+" }

/// The registry, as the suite runs it.
pub static SERVICE: ServiceDef = ServiceDef {
    name: "registry",
    grpc_service: SERVICE_NAME,
    zh_name: "单位名录服务",
    default_port: 50061,
    migrations: &MIGRATIONS,
    seed: Some(seed),
    upstreams: &[],
    routes,
    demo: Some(demo),
    imports: &[Import {
        what: "units",
        about: "units from a CSV or XLSX file (first row: column names)",
        run: import_units,
    }],
    exports: &[],
};

fn routes(context: ServiceContext) -> Result<Routes, BoxError> {
    let settings = &context.settings;
    let terms = title_terms::TitleTerms::from_config(&context.config)?;
    let attestor = attestation::Attestor::from_config(&context.config)?;
    let store = Store::new(context.db, context.clock);
    let import_max_rows =
        wenming_runtime::config::optional::<usize>(&context.config, "import_max_rows")?
            .unwrap_or(service::IMPORT_MAX_ROWS);
    if import_max_rows == 0 {
        return Err("configuration: registry.import_max_rows is at least 1".into());
    }
    let api = RegistryApi::new(store, terms, attestor).with_import_max_rows(import_max_rows);
    let service = RegistryServiceServer::new(api)
        .max_decoding_message_size(settings.max_message_bytes)
        .max_encoding_message_size(settings.max_response_bytes);
    Ok(Routes::new(service))
}

fn seed(db: &Database) -> BoxFuture<'_, Result<(), DbError>> {
    Box::pin(seed_divisions(db))
}

fn demo(context: &DemoContext) -> BoxFuture<'_, Result<(), BoxError>> {
    Box::pin(demo::load(context))
}

fn import_units<'a>(
    file: &'a std::path::Path,
    channel: tonic::transport::Channel,
    token: &'a str,
) -> BoxFuture<'a, Result<(), BoxError>> {
    Box::pin(import_file::import_units(file, channel, token))
}

/// Seeds the division table, so reports can join names (idempotent).
async fn seed_divisions(db: &Database) -> Result<(), DbError> {
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
