//! The integration tests, as one test binary: one link instead of one per file,
//! which keeps the build's time and disk small. Run one file's tests with
//! `cargo test --test integration <file>::`. `metrics.rs` and `trace_context.rs` are
//! binaries of their own: they read process-wide state that other tests would disturb.

mod applications;
mod audit_trail;
mod backup_restore;
mod bad_input;
mod json_http;
mod notice_flow;
mod pairing_flow;
mod permission_matrix;
mod postgres_tls;
mod provincial_direct;
mod quota_flow;
mod registry_flow;
mod supervision_consequences;
mod supervision_deadlines;
mod supervision_done;
mod supervision_flow;
mod supervision_progress;
mod tls;
