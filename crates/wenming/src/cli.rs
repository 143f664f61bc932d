//! Command-line interface.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use wenming_authz::IdentityVerifier;
use wenming_domain::SystemClock;
use wenming_runtime::db::Database;

use crate::config::{self, SuiteConfig};

/// Errors a command ends with; printed as one line.
pub type CliResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The wenming suite: civilised-unit creation for non-public units.
#[derive(Debug, Parser)]
#[command(name = "wenming", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole suite in one process on SQLite files under DIR.
    Up {
        /// Where the databases and keys live.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        /// The public entry point.
        #[arg(long, default_value = "127.0.0.1:50051")]
        listen: SocketAddr,
        /// Load the 2021 Pingdingshan campaign of the seed notice as demo data.
        #[arg(long)]
        demo: bool,
    },
    /// Run one service against its configured database.
    Serve {
        /// Which service.
        service: Service,
        /// TOML configuration file (environment variables WENMING_* override it).
        #[arg(long, env = "WENMING_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Run the migrations of every service whose database is configured, then exit.
    Migrate {
        /// TOML configuration file.
        #[arg(long, env = "WENMING_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Bulk-import records through the running suite.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Print a bearer token signed with the development key of `wenming up` (the gateway
    /// of the embedded suite trusts it).
    Token {
        /// Where `wenming up` keeps its keys.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        /// province, city, county, unit or platform.
        #[arg(long)]
        level: String,
        /// Region code of an office.
        #[arg(long, required_if_eq_any([("level", "province"), ("level", "city"), ("level", "county")]))]
        region: Option<String>,
        /// Unit id of a unit user.
        #[arg(long, required_if_eq("level", "unit"))]
        unit: Option<String>,
        /// Name of a platform.
        #[arg(long, required_if_eq("level", "platform"))]
        platform: Option<String>,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: u64,
    },
}

#[derive(Debug, Subcommand)]
enum ImportWhat {
    /// Units from a CSV or XLSX file (first row: column names; see README).
    Units {
        /// The file (.csv or .xlsx).
        file: PathBuf,
        /// Address of the suite.
        #[arg(long, default_value = "http://127.0.0.1:50051")]
        addr: String,
        /// Where `wenming up` keeps its development key (used when no --token is given).
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        /// Region code of the importing office (for the development token).
        #[arg(long)]
        region: String,
        /// A bearer token from the identity platform; default: a development token for
        /// the office of --region, signed with the data dir's key.
        #[arg(long, env = "WENMING_TOKEN")]
        token: Option<String>,
    },
}

/// The services `serve` can run.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Service {
    /// Units, reserve pool, nominations, titles.
    Registry,
    /// Pairings, work plans, ledgers, pairing lists.
    Pairing,
    /// The public entry: authentication, policy, forwarding.
    Gateway,
}

impl Cli {
    /// Where refused calls are kept: `DIR/denials.jsonl` under `wenming up`, else the
    /// file named by `WENMING_DENIAL_LOG` (for `serve gateway`), if any.
    pub fn denial_log(&self) -> Option<PathBuf> {
        match &self.command {
            Command::Up { data_dir, .. } => Some(data_dir.join("denials.jsonl")),
            _ => std::env::var_os("WENMING_DENIAL_LOG").map(PathBuf::from),
        }
    }
}

/// Runs the command.
pub async fn run(cli: Cli) -> CliResult {
    match cli.command {
        Command::Up {
            data_dir,
            listen,
            demo,
        } => crate::up::run(&data_dir, listen, demo).await,
        Command::Serve { service, config } => serve(service, config).await,
        Command::Migrate { config } => migrate(config).await,
        Command::Import {
            what:
                ImportWhat::Units {
                    file,
                    addr,
                    data_dir,
                    region,
                    token,
                },
        } => {
            let token = match token {
                Some(token) => token,
                None => crate::tokens::office_token(&data_dir, &region, 3600)?,
            };
            crate::import::import_units(&file, &addr, &token).await
        }
        Command::Token {
            data_dir,
            level,
            region,
            unit,
            platform,
            ttl,
        } => {
            let token = crate::tokens::dev_token(&data_dir, &level, region, unit, platform, ttl)?;
            #[allow(clippy::print_stdout)]
            {
                println!("{token}");
            }
            Ok(())
        }
    }
}

async fn serve(service: Service, file: Option<PathBuf>) -> CliResult {
    let config: SuiteConfig = wenming_runtime::config::load(file.as_deref())?;
    let key = config.identity.key()?;
    match service {
        Service::Registry => {
            let settings = &config.registry;
            let db = Database::connect(&settings.database).await?;
            if settings.database.migrate_on_start {
                wenming_registry::migrate(&db).await?;
            }
            let listener = tokio::net::TcpListener::bind(settings.listen).await?;
            let addr = listener.local_addr()?;
            tracing::info!(%addr, "registry serving");
            #[allow(clippy::print_stdout)]
            {
                println!("wenming ready: registry on {addr}");
            }
            wenming_registry::serve(
                listener,
                db.clone(),
                Arc::new(SystemClock),
                IdentityVerifier::new(&key),
                &config.server,
                wenming_runtime::shutdown::signal(),
            )
            .await?;
            db.close().await;
        }
        Service::Pairing => {
            let settings = &config.pairing;
            let db = Database::connect(&settings.database).await?;
            if settings.database.migrate_on_start {
                db.migrate(&wenming_pairing::MIGRATIONS).await?;
            }
            let listener = tokio::net::TcpListener::bind(settings.listen).await?;
            let addr = listener.local_addr()?;
            tracing::info!(%addr, registry = %settings.registry_url, "pairing serving");
            #[allow(clippy::print_stdout)]
            {
                println!("wenming ready: pairing on {addr}");
            }
            wenming_pairing::serve(
                listener,
                db.clone(),
                Arc::new(SystemClock),
                settings.registry()?,
                IdentityVerifier::new(&key),
                &config.server,
                wenming_runtime::shutdown::signal(),
            )
            .await?;
            db.close().await;
        }
        Service::Gateway => serve_gateway(&config, &key).await?,
    }
    Ok(())
}

async fn serve_gateway(config: &SuiteConfig, key: &wenming_authz::IdentityKey) -> CliResult {
    let settings = &config.gateway;
    let authn = &settings.authn;
    let (keys, fetcher) = match (&authn.jwks_file, &authn.jwks_url) {
        (Some(file), None) => (wenming_gateway::TrustedKeys::from_file(file)?, None),
        (None, Some(url)) => {
            let fetcher = wenming_gateway::JwksFetcher::new(url, authn.jwks_ca_file.as_deref())?;
            // Without the platform's keys no call could be served: refuse to start.
            (fetcher.fetch().await?, Some(fetcher))
        }
        (Some(_), Some(_)) => {
            return Err("set gateway.authn.jwks_file or gateway.authn.jwks_url, not both".into());
        }
        (None, None) => {
            return Err(
                "gateway.authn.jwks_file or gateway.authn.jwks_url must name the \
                        identity platform's JWKS"
                    .into(),
            );
        }
    };
    let authn = wenming_gateway::Authenticator::new(authn.clone(), keys)?;
    if let Some(fetcher) = fetcher {
        wenming_gateway::spawn_refresh(
            authn.key_store(),
            fetcher,
            std::time::Duration::from_secs(settings.authn.jwks_refresh_secs.max(10)),
        );
    }
    let policy = match &settings.policy_file {
        Some(file) => wenming_gateway::Policy::parse(
            &std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?,
        )?,
        None => wenming_gateway::Policy::shipped()?,
    };
    let backends = vec![
        backend(wenming_registry::GRPC_SERVICE, &settings.registry_url)?,
        backend(wenming_pairing::GRPC_SERVICE, &settings.pairing_url)?,
    ];
    let proxy = wenming_gateway::Proxy::new(
        authn,
        policy,
        Some(&settings.rate_limits),
        wenming_authz::IdentitySigner::new(key),
        backends,
        std::time::Duration::from_secs(config.server.request_timeout_secs),
    );
    let listener = tokio::net::TcpListener::bind(settings.listen).await?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "gateway serving");
    #[allow(clippy::print_stdout)]
    {
        println!("wenming ready: gateway on {addr}");
    }
    wenming_gateway::serve(
        listener,
        proxy,
        &config.server,
        wenming_runtime::shutdown::signal(),
    )
    .await?;
    Ok(())
}

/// Where the gateway forwards calls to `service` (connected lazily: a backend that is
/// down answers UNAVAILABLE).
pub fn backend(service: &str, url: &str) -> CliResult<wenming_gateway::Backend> {
    Ok(wenming_gateway::Backend::new(service, url)?)
}

async fn migrate(file: Option<PathBuf>) -> CliResult {
    let config: SuiteConfig = wenming_runtime::config::load(file.as_deref())?;
    let mut done = 0;
    if !config.registry.database.url.is_empty() {
        let db = Database::connect(&config.registry.database).await?;
        wenming_registry::migrate(&db).await?;
        db.close().await;
        tracing::info!("registry migrated");
        done += 1;
    }
    if !config.pairing.database.url.is_empty() {
        let db = Database::connect(&config.pairing.database).await?;
        db.migrate(&wenming_pairing::MIGRATIONS).await?;
        db.close().await;
        tracing::info!("pairing migrated");
        done += 1;
    }
    if done == 0 {
        return Err(config::NO_DATABASE.into());
    }
    Ok(())
}
