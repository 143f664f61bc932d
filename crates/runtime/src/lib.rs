//! What every wenming service stands on: serving with health, reflection, identity and a
//! bounded drain; configuration; the database pool and migrations; the mapping of
//! errors to gRPC statuses with google.rpc details.
#![forbid(unsafe_code)]

pub mod audit;
pub mod audit_chain;
pub mod audit_read;
pub mod audit_verify;
pub mod balance;
mod call_span;
pub mod catalogue;
pub mod client;
pub mod config;
pub mod db;
pub mod edge;
pub mod error;
pub mod follow;
mod health_probe;
pub mod idempotency;
mod identity_layer;
pub mod local;
mod localize_layer;
mod log_fields;
mod log_ids;
pub mod metrics;
pub mod migrations;
pub mod onward;
pub mod paging;
pub mod row_scope;
mod server;
pub mod service;
pub mod shutdown;
pub mod sql;
pub mod status;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod trace_context;
pub mod upstream;
pub mod write;

pub use error::{Error, NoCases, ServiceCases};
pub use identity_layer::{IdentityLayer, scope_of};
pub use server::{Access, Listener, ServeError, Server, ServerSettings, serve};
