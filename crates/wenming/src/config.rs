//! The suite's configuration file (see docs/OPERATIONS.md for every key).

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use wenming_authz::IdentityKey;
use wenming_runtime::ServerSettings;
use wenming_runtime::db::DatabaseSettings;

/// Message when `migrate` finds nothing to do.
pub const NO_DATABASE: &str = "no database configured: set registry.database.url \
    (WENMING_REGISTRY__DATABASE__URL) or pairing.database.url (WENMING_PAIRING__DATABASE__URL)";

/// Everything `serve` and `migrate` read.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SuiteConfig {
    /// The internal identity key.
    pub identity: IdentitySettings,
    /// Limits every server applies.
    pub server: ServerSettings,
    /// The registry service.
    pub registry: ServiceSettings,
    /// The pairing service.
    pub pairing: PairingSettings,
    /// The gateway.
    pub gateway: GatewaySettings,
}

/// The gateway: where it listens, whom it trusts, what it allows, where it forwards.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct GatewaySettings {
    /// Public address.
    pub listen: SocketAddr,
    /// Token checks (issuer, audience, JWKS file, leeway).
    pub authn: wenming_gateway::AuthnSettings,
    /// A Cedar policy file replacing the shipped `policy/wenming.cedar`.
    pub policy_file: Option<PathBuf>,
    /// Per-principal budgets.
    pub rate_limits: wenming_gateway::RateLimits,
    /// URL of the registry service, e.g. `http://registry:50061`.
    pub registry_url: String,
    /// URL of the pairing service, e.g. `http://pairing:50062`.
    pub pairing_url: String,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 50051)),
            authn: wenming_gateway::AuthnSettings::default(),
            policy_file: None,
            rate_limits: wenming_gateway::RateLimits::default(),
            registry_url: "http://127.0.0.1:50061".into(),
            pairing_url: "http://127.0.0.1:50062".into(),
        }
    }
}

/// Where the internal identity key comes from: `key` (base64) wins over `key_file`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct IdentitySettings {
    /// Base64 of at least 32 random bytes.
    pub key: Option<String>,
    /// A file holding the base64 key.
    pub key_file: Option<PathBuf>,
}

impl IdentitySettings {
    /// Loads the key; a service without one refuses to start.
    pub fn key(&self) -> Result<IdentityKey, Box<dyn std::error::Error + Send + Sync>> {
        if let Some(key) = &self.key {
            return Ok(IdentityKey::from_base64(key)?);
        }
        if let Some(file) = &self.key_file {
            let text = std::fs::read_to_string(file)
                .map_err(|err| format!("identity.key_file {}: {err}", file.display()))?;
            return Ok(IdentityKey::from_base64(&text)?);
        }
        Err("no internal identity key: set identity.key (WENMING_IDENTITY__KEY) or identity.key_file".into())
    }
}

/// One service's listener and database.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceSettings {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Its database.
    pub database: DatabaseSettings,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 50061)),
            database: DatabaseSettings::default(),
        }
    }
}

/// The pairing service: its listener and database, and how it reaches the registry.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct PairingSettings {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Its own database (never the registry's).
    pub database: DatabaseSettings,
    /// URL of the registry service.
    pub registry_url: String,
    /// Longest a registry lookup may take, in seconds (less if the caller's deadline is
    /// nearer).
    pub registry_timeout_secs: u64,
}

impl Default for PairingSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 50062)),
            database: DatabaseSettings::default(),
            registry_url: "http://127.0.0.1:50061".into(),
            registry_timeout_secs: 5,
        }
    }
}

impl PairingSettings {
    /// The registry client the pairing service calls.
    pub fn registry(
        &self,
    ) -> Result<std::sync::Arc<dyn wenming_clients::Registry>, tonic::transport::Error> {
        Ok(std::sync::Arc::new(wenming_clients::GrpcRegistry::new(
            tonic::transport::Endpoint::from_shared(self.registry_url.clone())?
                .connect_timeout(std::time::Duration::from_secs(2))
                .connect_lazy(),
            std::time::Duration::from_secs(self.registry_timeout_secs),
        )))
    }
}
