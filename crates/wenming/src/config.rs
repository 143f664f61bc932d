//! The suite's configuration (see docs/OPERATIONS.md for every key). The tables of the
//! shared settings are typed here; each service's table is named after it and read
//! through the list of services (`<service>.listen`, `<service>.database`,
//! `<service>.<upstream>_url`, `<service>.<upstream>_timeout_secs`), as is the gateway's
//! backend of each (`gateway.<service>_url`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use wenming_authz::{IdentityKey, IdentityVerifier};
use wenming_runtime::ServerSettings;
use wenming_runtime::config::Figment;
use wenming_runtime::config::{ConfigError, optional};
use wenming_runtime::db::DatabaseSettings;
use wenming_runtime::service::ServiceDef;

use wenming_suite::SERVICES;

/// Longest a call to another service takes unless configured.
const UPSTREAM_TIMEOUT_SECS: u64 = 5;

/// The shared settings `serve` and `migrate` read.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SuiteConfig {
    /// The internal identity key.
    pub identity: IdentitySettings,
    /// Limits every server applies.
    pub server: ServerSettings,
    /// The gateway.
    pub gateway: GatewaySettings,
    /// Mutual TLS between the gateway and the services (all of them, or none).
    pub tls: wenming_runtime::tls::InternalTls,
}

/// The gateway: where it listens, whom it trusts, what it allows.
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
    /// The public certificate (TLS on `listen`; none: plaintext).
    pub tls: wenming_runtime::tls::PublicTls,
    /// Web origins whose pages may call the gateway (gRPC-Web, JSON), e.g.
    /// `https://portal.henan.gov.cn`; none: no cross-origin calls.
    pub cors_origins: Vec<String>,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 50051)),
            authn: wenming_gateway::AuthnSettings::default(),
            policy_file: None,
            rate_limits: wenming_gateway::RateLimits::default(),
            tls: wenming_runtime::tls::PublicTls::default(),
            cors_origins: Vec::new(),
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
    /// Files of other keys accepted from callers while the suite's key rotates (the
    /// next key before the switch, the previous one after it); the key above signs.
    pub accept_key_files: Vec<PathBuf>,
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

    /// What a service accepts: the key, and the keys of a rotation in progress.
    pub fn verifier(&self) -> Result<IdentityVerifier, Box<dyn std::error::Error + Send + Sync>> {
        let key = self.key()?;
        let also = self
            .accept_key_files
            .iter()
            .map(|file| {
                let text = std::fs::read_to_string(file).map_err(|err| {
                    format!("identity.accept_key_files {}: {err}", file.display())
                })?;
                Ok(IdentityKey::from_base64(&text)?)
            })
            .collect::<Result<Vec<_>, Box<dyn std::error::Error + Send + Sync>>>()?;
        Ok(IdentityVerifier::accepting(&key, &also))
    }
}

/// One service's settings, from its table.
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Its own database.
    pub database: DatabaseSettings,
    /// The services it calls: name, URL and the longest a call may take (less if the
    /// caller's deadline is nearer).
    pub upstreams: Vec<(&'static str, String, Duration)>,
}

/// The configuration: the shared settings, and the sources the services' tables are
/// read from.
#[derive(Debug)]
pub struct Config {
    /// The shared settings.
    pub suite: SuiteConfig,
    figment: Figment,
}

impl Config {
    /// Defaults, then `file`, then `WENMING_*` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let figment = wenming_runtime::config::sources::<SuiteConfig>(file);
        let suite = figment
            .extract()
            .map_err(|err| ConfigError::from(Box::new(err)))?;
        Ok(Self { suite, figment })
    }

    /// Every source, layered: services read their own tables from it.
    pub fn sources(&self) -> &Figment {
        &self.figment
    }

    /// The settings of `def`.
    pub fn service(&self, def: &ServiceDef) -> Result<ServiceConfig, ConfigError> {
        let name = def.name;
        let listen = optional(&self.figment, &format!("{name}.listen"))?
            .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], def.default_port)));
        let database = optional(&self.figment, &format!("{name}.database"))?.unwrap_or_default();
        let mut upstreams = Vec::new();
        for upstream in def.upstreams {
            let url = match optional(&self.figment, &format!("{name}.{upstream}_url"))? {
                Some(url) => url,
                None => self.default_url(upstream),
            };
            let secs = optional(&self.figment, &format!("{name}.{upstream}_timeout_secs"))?
                .unwrap_or(UPSTREAM_TIMEOUT_SECS);
            upstreams.push((*upstream, url, Duration::from_secs(secs)));
        }
        Ok(ServiceConfig {
            listen,
            database,
            upstreams,
        })
    }

    /// Where the gateway forwards calls to `def`.
    pub fn backend_url(&self, def: &ServiceDef) -> Result<String, ConfigError> {
        Ok(
            optional(&self.figment, &format!("gateway.{}_url", def.name))?
                .unwrap_or_else(|| self.default_url(def.name)),
        )
    }

    /// A service on this host at its default port (every name a `ServiceDef` gives as
    /// an upstream is in the list: `wenming_suite`'s test checks it), `https` under [tls].
    fn default_url(&self, name: &str) -> String {
        let port = wenming_suite::find(name).map_or(0, |def| def.default_port);
        format!("{}://127.0.0.1:{port}", self.suite.tls.scheme())
    }
}

/// What `migrate` says when no service has a database.
pub fn no_database() -> String {
    let keys: Vec<String> = SERVICES
        .iter()
        .map(|def| {
            format!(
                "{0}.database.url (WENMING_{1}__DATABASE__URL)",
                def.name,
                def.name.to_uppercase()
            )
        })
        .collect();
    format!("no database configured: set {}", keys.join(" or "))
}
