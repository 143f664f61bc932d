//! The integration tests, as one test binary: one link instead of one per file,
//! which keeps the build's time and disk small. Run one file's tests with
//! `cargo test --test integration <file>::`.

mod support;

mod audit;
mod backup;
mod balance;
mod durability;
mod platform_edge;
mod up;
