//! Command-line interface.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use wenming_domain::SystemClock;
use wenming_runtime::db::Database;

use wenming_runtime::service::{ServiceContext, Upstreams};
use wenming_runtime::upstream::Upstream;

use crate::config::{self, Config};

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
        /// Serve the whole suite's Prometheus metrics at http://ADDR/metrics.
        #[arg(long, value_name = "ADDR")]
        metrics_listen: Option<SocketAddr>,
        /// The gateway's certificate chain (PEM): TLS on the public address, re-read when
        /// the file changes.
        #[arg(long, value_name = "FILE", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The certificate's private key (PEM).
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// A web origin whose pages may call the gateway (gRPC-Web, JSON), e.g.
        /// http://localhost:5173; repeatable.
        #[arg(long = "cors-origin", value_name = "ORIGIN")]
        cors_origins: Vec<String>,
    },
    /// Run one service against its configured database.
    Serve {
        /// Which service (or the gateway).
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(wenming_suite::serve_names()))]
        service: String,
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
    /// Bulk-import records from a file through the running suite's gateway.
    Import {
        /// What the file holds (see `wenming import --help`).
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(wenming_suite::imports().map(|i| i.what)))]
        what: String,
        /// The file.
        file: PathBuf,
        /// Address of the suite's gateway (`https://` when it serves TLS).
        #[arg(long, default_value = "http://127.0.0.1:50051")]
        addr: String,
        /// The CA certificate (PEM) an `https://` gateway's certificate is checked
        /// against; default: the system's roots.
        #[arg(long, value_name = "FILE")]
        ca_file: Option<PathBuf>,
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
    /// Write a file (a report) a service answers with, through the running suite's gateway.
    Export {
        /// What to write (see `wenming export --help`).
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(wenming_suite::exports().map(|e| e.what)))]
        what: String,
        /// The file to write.
        file: PathBuf,
        /// The region reported on, and the office the development token is for.
        #[arg(long)]
        region: String,
        /// Address of the suite's gateway (`https://` when it serves TLS).
        #[arg(long, default_value = "http://127.0.0.1:50051")]
        addr: String,
        /// The CA certificate (PEM) an `https://` gateway's certificate is checked
        /// against; default: the system's roots.
        #[arg(long, value_name = "FILE")]
        ca_file: Option<PathBuf>,
        /// Where `wenming up` keeps its development key (used when no --token is given).
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        /// A bearer token from the identity platform; default: a development token for
        /// the office of --region, signed with the data dir's key.
        #[arg(long, env = "WENMING_TOKEN")]
        token: Option<String>,
    },
    /// Copy the data of a running `wenming up` into a new directory (a consistent copy
    /// of each service's database, and the keys); restore by starting `wenming up
    /// --data-dir` on the copy.
    Backup {
        /// The data dir of `wenming up`.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        /// A new (or empty) directory to copy into.
        #[arg(long)]
        to: PathBuf,
    },
    /// Check the audit trail: every service's records still chain (exit 1 naming the
    /// first broken record otherwise).
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Title attestations: check one offline, or make the next signing key.
    Attestation {
        #[command(subcommand)]
        command: AttestationCommand,
    },
    /// Ask a server's health service whether it serves (exit 0) or not (exit 1): for
    /// container HEALTHCHECKs and probes.
    Health {
        /// The server's address, e.g. 127.0.0.1:50061 (or https://host:port).
        #[arg(env = "WENMING_HEALTH_ADDR", default_value = "127.0.0.1:50051")]
        addr: String,
        /// The CA certificate (PEM) for an `https://` address.
        #[arg(long, value_name = "FILE")]
        ca_file: Option<PathBuf>,
        /// The gRPC service to ask about; empty: the whole server.
        #[arg(long, default_value = "")]
        service: String,
    },
    /// Print a bearer token signed with the development key of `wenming up` (the gateway
    /// of the embedded suite trusts it).
    Token {
        /// Where `wenming up` keeps its keys.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        /// province, city, county, provincial-direct, unit or platform.
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
        /// A platform's grant, repeatable: verify_title (the default when none is
        /// given), submit_application, follow_titles.
        #[arg(long = "grant", value_parser = parse_grant)]
        grants: Vec<wenming_authz::PlatformAction>,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: u64,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check the hash chains of the audit records.
    Verify {
        /// The databases of `wenming up` under this directory.
        #[arg(long, conflicts_with = "config")]
        data_dir: Option<PathBuf>,
        /// The databases a configuration file names (WENMING_* variables apply).
        #[arg(long, env = "WENMING_CONFIG")]
        config: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum AttestationCommand {
    /// Check an attestation (the compact JWS VerifyTitle answered with `attest`) against
    /// a saved key set; prints what it attests, or exits 1 saying why it does not check.
    Verify {
        /// The file holding the attestation.
        file: PathBuf,
        /// The key set (JWKS JSON, as GetAttestationKeys answers).
        #[arg(long)]
        jwks: PathBuf,
    },
    /// Create a new attestation key (PKCS#8 PEM, mode 0600) and print its public JWK,
    /// for the published key set (docs/OPERATIONS.md, "Attestation keys").
    NewKey {
        /// Where to write the private key; an existing file is never overwritten.
        file: PathBuf,
    },
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
            metrics_listen,
            tls_cert,
            tls_key,
            cors_origins,
        } => {
            crate::up::run(crate::up::Up {
                cors_origins,
                data_dir,
                listen,
                demo,
                metrics_listen,
                tls: wenming_runtime::tls::PublicTls {
                    cert_file: tls_cert,
                    key_file: tls_key,
                },
            })
            .await
        }
        Command::Serve { service, config } => serve(service, config).await,
        Command::Migrate { config } => migrate(config).await,
        Command::Import {
            what,
            file,
            addr,
            ca_file,
            data_dir,
            region,
            token,
        } => {
            let import = wenming_suite::imports()
                .find(|i| i.what == what)
                .ok_or_else(|| format!("nothing imports {what}"))?;
            let token = match token {
                Some(token) => token,
                None => crate::tokens::office_token(&data_dir, &region, 3600)?,
            };
            let channel = crate::dial::channel(&addr, ca_file.as_deref())?;
            (import.run)(&file, channel, &token).await
        }
        Command::Export {
            what,
            file,
            region,
            addr,
            ca_file,
            data_dir,
            token,
        } => {
            let export = wenming_suite::exports()
                .find(|e| e.what == what)
                .ok_or_else(|| format!("nothing exports {what}"))?;
            let token = match token {
                Some(token) => token,
                None => crate::tokens::office_token(&data_dir, &region, 3600)?,
            };
            let channel = crate::dial::channel(&addr, ca_file.as_deref())?;
            (export.run)(&file, channel, &token, &region).await
        }
        Command::Backup { data_dir, to } => crate::backup::run(&data_dir, &to).await,
        Command::Audit {
            command: AuditCommand::Verify { data_dir, config },
        } => {
            let databases = match &data_dir {
                Some(dir) => crate::audit::Databases::DataDir(dir),
                None => crate::audit::Databases::Config(config.as_deref()),
            };
            crate::audit::verify(databases).await
        }
        Command::Attestation {
            command: AttestationCommand::Verify { file, jwks },
        } => crate::attestation::verify(&file, &jwks),
        Command::Attestation {
            command: AttestationCommand::NewKey { file },
        } => crate::attestation::new_key(&file),
        Command::Health {
            addr,
            service,
            ca_file,
        } => crate::health::check(&addr, &service, ca_file.as_deref()).await,
        Command::Token {
            data_dir,
            level,
            region,
            unit,
            platform,
            grants,
            ttl,
        } => {
            let who = crate::tokens::Who {
                level: &level,
                region,
                unit,
                platform,
                grants,
            };
            let token = crate::tokens::dev_token(&data_dir, who, ttl)?;
            #[allow(clippy::print_stdout)]
            {
                println!("{token}");
            }
            Ok(())
        }
    }
}

async fn serve(service: String, file: Option<PathBuf>) -> CliResult {
    let config = Config::load(file.as_deref())?;
    let key = config.suite.identity.key()?;
    if service == "gateway" {
        return serve_gateway(&config, &key).await;
    }
    let def = wenming_suite::find(&service).ok_or_else(|| format!("no service {service}"))?;
    let settings = config.service(def)?;
    let db = Database::connect(&settings.database).await?;
    if settings.database.migrate_on_start {
        def.migrate(&db).await?;
    }
    let client_tls = config.suite.tls.client()?;
    let mut upstreams = Upstreams::default();
    for (name, url, timeout) in &settings.upstreams {
        upstreams.insert(name, Upstream::new(url, client_tls.clone())?, *timeout);
    }
    let listener = tokio::net::TcpListener::bind(settings.listen).await?;
    let metrics = metrics_note(config.suite.server.metrics_listen).await?;
    let addr = listener.local_addr()?;
    let listener = wenming_runtime::Listener::new(listener, config.suite.tls.server()?);
    let context = ServiceContext {
        db: db.clone(),
        clock: Arc::new(SystemClock),
        settings: config.suite.server.clone(),
        upstreams,
        config: config.sources().focus(def.name),
        signer: wenming_authz::IdentitySigner::new(&key),
    };
    // Prepared (routes, health port) before it says it is ready.
    let prepared = def
        .prepare(context, config.suite.identity.verifier()?)
        .await?;
    tracing::info!(%addr, service = def.name, tls = config.suite.tls.enabled(), "serving");
    #[allow(clippy::print_stdout)]
    {
        println!("wenming ready: {} on {addr}{metrics}", def.name);
    }
    prepared
        .serve(listener, wenming_runtime::shutdown::signal())
        .await?;
    db.close().await;
    Ok(())
}

async fn serve_gateway(config: &Config, key: &wenming_authz::IdentityKey) -> CliResult {
    let settings = &config.suite.gateway;
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
    let internal_tls = config.suite.tls.client()?;
    let backends = wenming_suite::SERVICES
        .iter()
        .map(|def| {
            Ok(backend(
                def.grpc_service,
                &config.backend_url(def)?,
                internal_tls.clone(),
            )?
            .labelled(def.zh_name))
        })
        .collect::<CliResult<Vec<_>>>()?;
    let proxy = wenming_gateway::Proxy::new(
        authn,
        policy,
        Some(&settings.rate_limits),
        wenming_authz::IdentitySigner::new(key),
        backends,
        std::time::Duration::from_secs(config.suite.server.request_timeout_secs),
    );
    let tls = settings.tls.server()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let listener = tokio::net::TcpListener::bind(settings.listen).await?;
    let metrics = metrics_note(config.suite.server.metrics_listen).await?;
    let addr = listener.local_addr()?;
    let listener = wenming_runtime::Listener::new(listener, tls);
    let gateway =
        wenming_gateway::prepare(proxy, &config.suite.server, &settings.cors_origins).await?;
    tracing::info!(%addr, %scheme, "gateway serving");
    #[allow(clippy::print_stdout)]
    {
        println!("wenming ready: gateway on {addr}{metrics}");
    }
    gateway
        .serve(listener, wenming_runtime::shutdown::signal())
        .await?;
    Ok(())
}

/// Serves the metrics at `listen`, if given, and says where for the ready line (port 0
/// picks a free one).
pub(crate) async fn metrics_note(listen: Option<SocketAddr>) -> CliResult<String> {
    Ok(match listen {
        Some(at) => format!(
            ", metrics on http://{}/metrics",
            wenming_runtime::metrics::spawn(at).await?
        ),
        None => String::new(),
    })
}

/// Where the gateway forwards calls to `service` (connected lazily: a backend that is
/// down answers UNAVAILABLE), over the suite's mutual TLS when `tls` is given.
pub fn backend(
    service: &str,
    url: &str,
    tls: Option<std::sync::Arc<rustls::ClientConfig>>,
) -> CliResult<wenming_gateway::Backend> {
    Ok(wenming_gateway::Backend::new(service, url, tls)?)
}

async fn migrate(file: Option<PathBuf>) -> CliResult {
    let config = Config::load(file.as_deref())?;
    let mut done = 0;
    for def in wenming_suite::SERVICES {
        let settings = config.service(def)?;
        if !settings.database.is_configured() {
            continue;
        }
        let db = Database::connect(&settings.database).await?;
        def.migrate(&db).await?;
        db.close().await;
        tracing::info!(service = def.name, "migrated");
        done += 1;
    }
    if done == 0 {
        return Err(config::no_database().into());
    }
    Ok(())
}

/// A platform grant named on the command line.
fn parse_grant(name: &str) -> Result<wenming_authz::PlatformAction, String> {
    wenming_authz::PlatformAction::parse(name).ok_or_else(|| {
        let known: Vec<&str> = wenming_authz::PlatformAction::ALL
            .iter()
            .map(|a| a.as_str())
            .collect();
        format!("unknown grant '{name}'; one of: {}", known.join(", "))
    })
}
