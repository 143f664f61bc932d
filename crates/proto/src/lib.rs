//! Generated gRPC contracts of wenming (from `proto/`, never edited by hand) and the file
//! descriptor set that every server hands to reflection.
#![forbid(unsafe_code)]

/// Encoded `FileDescriptorSet` of every wenming proto and its imports.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/wenming_descriptor.bin"));

pub mod audit;
pub mod codec;
pub mod convert;

/// `wenming.common.v1`: what several contracts share.
#[allow(missing_debug_implementations, clippy::all, clippy::pedantic)]
pub mod common {
    /// Version 1 of the shared types.
    pub mod v1 {
        tonic::include_proto!("wenming.common.v1");
    }
}

/// `wenming.registry.v1`
#[allow(missing_debug_implementations, clippy::all, clippy::pedantic)]
pub mod registry {
    /// Version 1 of the registry contract.
    pub mod v1 {
        tonic::include_proto!("wenming.registry.v1");
        // Moved to `wenming.common.v1` (same numbers, same wire); named here as before.
        pub use crate::common::v1::{FieldError, TitleTier};
    }
}

/// `wenming.pairing.v1`
#[allow(missing_debug_implementations, clippy::all, clippy::pedantic)]
pub mod pairing {
    /// Version 1 of the pairing contract.
    pub mod v1 {
        tonic::include_proto!("wenming.pairing.v1");
    }
}

/// `wenming.quota.v1`
#[allow(missing_debug_implementations, clippy::all, clippy::pedantic)]
pub mod quota {
    /// Version 1 of the quota contract.
    pub mod v1 {
        tonic::include_proto!("wenming.quota.v1");
    }
}

/// `wenming.supervision.v1`
#[allow(missing_debug_implementations, clippy::all, clippy::pedantic)]
pub mod supervision {
    /// Version 1 of the supervision contract.
    pub mod v1 {
        tonic::include_proto!("wenming.supervision.v1");
    }
}
