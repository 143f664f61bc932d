//! The integration tests, as one test binary: one link instead of one per file,
//! which keeps the build's time and disk small. Run one file's tests with
//! `cargo test --test integration <file>::`.

mod support;

mod attestation;
mod campaigns;
mod helpers;
mod nominations;
mod nominations_titles;
mod rules_agree;
mod serving;
mod shared_tables;
mod title_feed;
mod titles;
mod units;
mod verification;
