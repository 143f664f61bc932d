//! A service as data: what the suite needs to migrate, start, wire, route to, demo and
//! import into any of its services. Each service crate exports one [`ServiceDef`]; the
//! binary's list of them drives `wenming up`, `serve`, `migrate`, `import`, the gateway's
//! backends, and the test kit starts any set of them the same way.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::service::Routes;
use tonic::transport::{Channel, Endpoint};
use wenming_authz::{IdentityKey, IdentitySigner, IdentityVerifier};
use wenming_domain::Clock;

use crate::config::Figment;
use crate::db::{Database, DbError};
use crate::migrations::Migrations;
use crate::server::Listener;
use crate::tls::InternalTls;
use crate::upstream::Upstream;
use crate::{Access, ServeError, ServerSettings};

/// Errors of the hooks a service provides.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A future a hook returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A service's reference-data hook: writes what its tables need (idempotent).
pub type SeedFn = fn(&Database) -> BoxFuture<'_, Result<(), DbError>>;

/// A service's demo hook: loads its demo data through its own API.
pub type DemoFn = fn(&DemoContext) -> BoxFuture<'_, Result<(), BoxError>>;

/// One service of the suite.
#[derive(Debug)]
pub struct ServiceDef {
    /// Short name: its configuration table, database file, `serve` argument and the
    /// name other services know it by, e.g. `registry`.
    pub name: &'static str,
    /// Fully qualified gRPC service name (health, the gateway's routing).
    pub grpc_service: &'static str,
    /// How an official names it, e.g. "单位名录服务" (the gateway's refusals).
    pub zh_name: &'static str,
    /// Port `wenming serve` listens on unless configured.
    pub default_port: u16,
    /// Its database's migrations.
    pub migrations: &'static Migrations,
    /// Reference data written after the migrations (idempotent).
    pub seed: Option<SeedFn>,
    /// The services it calls, by name (started before it).
    pub upstreams: &'static [&'static str],
    /// Its gRPC routes over `context`.
    pub routes: fn(ServiceContext) -> Result<Routes, BoxError>,
    /// Demo data it loads through its own API (`wenming up --demo`), after the
    /// services it calls loaded theirs.
    pub demo: Option<DemoFn>,
    /// Files `wenming import <what> FILE` sends it.
    pub imports: &'static [Import],
    /// Files `wenming export <what> --region CODE FILE` writes from it.
    pub exports: &'static [Export],
}

/// A kind of file a service's API answers with, written by `wenming export`.
#[derive(Debug)]
pub struct Export {
    /// What `wenming export <what>` names, e.g. `progress`.
    pub what: &'static str,
    /// One line of help.
    pub about: &'static str,
    /// Writes `file` for the region `region` from what `channel` (the gateway) answers
    /// the bearer `token`.
    pub run: ExportFn,
}

/// Writes a file (its path) for a region (the last argument) from what a channel to the
/// gateway answers a bearer token (the third).
pub type ExportFn =
    for<'a> fn(&'a Path, Channel, &'a str, &'a str) -> BoxFuture<'a, Result<(), BoxError>>;

/// A kind of file a service imports through its API.
#[derive(Debug)]
pub struct Import {
    /// What `wenming import <what>` names, e.g. `units`.
    pub what: &'static str,
    /// One line of help.
    pub about: &'static str,
    /// Sends `file` through `channel` (the gateway) with `token`.
    pub run: for<'a> fn(&'a Path, Channel, &'a str) -> BoxFuture<'a, Result<(), BoxError>>,
}

/// What a service's routes are built on.
#[derive(Debug)]
pub struct ServiceContext {
    /// Its own database.
    pub db: Database,
    /// The clock it judges dates and deadlines by.
    pub clock: Arc<dyn Clock>,
    /// Server limits.
    pub settings: ServerSettings,
    /// The services it calls.
    pub upstreams: Upstreams,
    /// Its own table of the configuration (`[<name>]`, `WENMING_<NAME>__…`), for the
    /// settings only it reads (the registry's title terms, say).
    pub config: Figment,
    /// Signs the identity of the calls it makes on its own behalf (a background job;
    /// see `Onward::on_own_behalf`), with the suite's internal key.
    pub signer: IdentitySigner,
}

/// The services one service calls: each with its replicas ([`Upstream`]) and the
/// longest a call may take.
#[derive(Clone, Debug, Default)]
pub struct Upstreams(BTreeMap<String, (Upstream, Duration)>);

impl Upstreams {
    /// Adds `name` reached through `upstream`, each call taking at most `timeout`.
    pub fn insert(&mut self, name: &str, upstream: Upstream, timeout: Duration) {
        self.0.insert(name.to_owned(), (upstream, timeout));
    }

    /// The upstream and timeout of `name`.
    pub fn get(&self, name: &str) -> Result<(Upstream, Duration), BoxError> {
        self.0
            .get(name)
            .cloned()
            .ok_or_else(|| format!("no upstream {name} configured").into())
    }
}

/// Where demo data goes.
#[derive(Debug)]
pub struct DemoContext {
    /// Every started service's address, by name.
    pub addrs: BTreeMap<&'static str, SocketAddr>,
    /// The internal identity key, to call the services as an office.
    pub key: IdentityKey,
}

impl DemoContext {
    /// A connected channel to the service `name`.
    pub async fn channel(&self, name: &str) -> Result<Channel, BoxError> {
        let addr = self
            .addrs
            .get(name)
            .ok_or_else(|| format!("{name} is not running"))?;
        Ok(Endpoint::from_shared(format!("http://{addr}"))?
            .connect()
            .await?)
    }
}

impl ServiceDef {
    /// Runs its migrations (the shared tables first), then its seed.
    pub async fn migrate(&self, db: &Database) -> Result<(), DbError> {
        db.migrate(self.migrations).await?;
        if let Some(seed) = self.seed {
            seed(db).await?;
        }
        Ok(())
    }

    /// Serves it on `listener` until `shutdown` resolves: its routes behind the
    /// identity layer, health and reflection, and the hourly purge of expired request
    /// ids.
    pub async fn serve(
        &'static self,
        listener: impl Into<Listener>,
        context: ServiceContext,
        verifier: IdentityVerifier,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        self.prepare(context, verifier)
            .await?
            .serve(listener, shutdown)
            .await
    }

    /// Its server, ready to serve on a listener and to be called in this process.
    pub async fn prepare(
        &'static self,
        context: ServiceContext,
        verifier: IdentityVerifier,
    ) -> Result<Prepared, ServeError> {
        let (db, clock, settings) = (
            context.db.clone(),
            context.clock.clone(),
            context.settings.clone(),
        );
        let routes = (self.routes)(context).map_err(ServeError::Setup)?;
        self.prepare_routes(routes, &db, clock, &settings, verifier)
            .await
    }

    /// Serves `routes` as this service (tests that build the routes over a fake
    /// upstream use it; everything else goes through [`ServiceDef::serve`]).
    #[allow(clippy::too_many_arguments)]
    pub async fn serve_routes(
        &'static self,
        listener: impl Into<Listener>,
        routes: Routes,
        db: &Database,
        clock: Arc<dyn Clock>,
        settings: &ServerSettings,
        verifier: IdentityVerifier,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        self.prepare_routes(routes, db, clock, settings, verifier)
            .await?
            .serve(listener, shutdown)
            .await
    }

    async fn prepare_routes(
        &'static self,
        routes: Routes,
        db: &Database,
        clock: Arc<dyn Clock>,
        settings: &ServerSettings,
        verifier: IdentityVerifier,
    ) -> Result<Prepared, ServeError> {
        let server = crate::Server::new(
            settings,
            Access::Internal(Box::new(verifier)),
            routes,
            &[self.grpc_service],
            Some(db),
        )
        .await?;
        Ok(Prepared {
            def: self,
            server,
            db: db.clone(),
            clock,
        })
    }
}

/// A service's server, prepared: call it in this process, or serve it.
#[derive(Debug)]
pub struct Prepared {
    def: &'static ServiceDef,
    server: crate::Server,
    db: Database,
    clock: Arc<dyn Clock>,
}

impl Prepared {
    /// The service in this process (the gateway of `wenming up` calls it so).
    pub fn local(&self) -> crate::local::LocalService {
        self.server.local()
    }

    /// Serves it on `listener` until `shutdown` resolves, purging expired request ids
    /// hourly meanwhile.
    pub async fn serve(
        self,
        listener: impl Into<Listener>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        crate::metrics::register_pool(self.def.name, &self.db);
        let purge =
            crate::idempotency::spawn_purge(self.db.clone(), self.clock, Duration::from_secs(3600));
        let served = self.server.serve(listener, shutdown).await;
        purge.abort();
        served
    }
}

/// A service to start, with its (migrated) database.
#[derive(Debug)]
pub struct Member {
    /// Which service.
    pub def: &'static ServiceDef,
    /// Its own database.
    pub db: Database,
}

/// Services started on loopback ports.
#[derive(Debug)]
pub struct Started {
    /// Where each listens, by name.
    pub addrs: BTreeMap<&'static str, SocketAddr>,
    /// Each one, callable in this process, by name.
    pub locals: BTreeMap<&'static str, crate::local::LocalService>,
    /// Each one's server, in start order.
    pub tasks: Vec<(
        &'static str,
        tokio::task::JoinHandle<Result<(), ServeError>>,
    )>,
}

impl Started {
    /// The address of `name`.
    pub fn addr(&self, name: &str) -> SocketAddr {
        self.addrs[name]
    }

    /// `name` in this process.
    pub fn local(&self, name: &str) -> crate::local::LocalService {
        self.locals[name].clone()
    }

    /// Waits for every server to stop, the last started first (callers before the
    /// services they call).
    pub async fn stopped(self) -> Result<(), BoxError> {
        for (name, task) in self.tasks.into_iter().rev() {
            task.await
                .map_err(|err| format!("{name} panicked: {err}"))?
                .map_err(|err| format!("{name}: {err}"))?;
        }
        Ok(())
    }
}

/// How [`start`] runs its members.
#[derive(Debug)]
pub struct StartOptions<'a> {
    /// Their clock.
    pub clock: Arc<dyn Clock>,
    /// The internal identity key they verify callers with.
    pub key: &'a IdentityKey,
    /// Their server limits.
    pub settings: ServerSettings,
    /// Longest a call to another service may take.
    pub upstream_timeout: Duration,
    /// Upstreams outside the members, by name: a URL (tests of a service whose
    /// upstream is down or silent).
    pub external: BTreeMap<&'static str, String>,
    /// The whole configuration; each member is given its own table of it.
    pub config: Figment,
    /// Mutual TLS between them (none: plaintext on loopback, as `wenming up` runs).
    pub tls: InternalTls,
}

/// Starts `members` in the order given, each on its own port of 127.0.0.1, each calling
/// the members before it (or `external` ones) that it names as upstreams, all stopping
/// when their `shutdown()` future resolves.
pub async fn start<F>(
    members: Vec<Member>,
    options: StartOptions<'_>,
    shutdown: impl Fn() -> F,
) -> Result<Started, BoxError>
where
    F: Future<Output = ()> + Send + 'static,
{
    let mut started = Started {
        addrs: BTreeMap::new(),
        locals: BTreeMap::new(),
        tasks: Vec::new(),
    };
    let server_tls = options.tls.server()?;
    let client_tls = options.tls.client()?;
    let scheme = options.tls.scheme();
    for member in members {
        let def = member.def;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut upstreams = Upstreams::default();
        for upstream in def.upstreams {
            let url = match (started.addrs.get(upstream), options.external.get(upstream)) {
                (Some(at), _) => format!("{scheme}://{at}"),
                (None, Some(url)) => url.clone(),
                (None, None) => {
                    return Err(format!(
                        "{} calls {upstream}, which must start before it",
                        def.name
                    )
                    .into());
                }
            };
            upstreams.insert(
                upstream,
                Upstream::new(&url, client_tls.clone())?,
                options.upstream_timeout,
            );
        }
        let context = ServiceContext {
            db: member.db,
            clock: options.clock.clone(),
            settings: options.settings.clone(),
            upstreams,
            config: options.config.focus(def.name),
            signer: IdentitySigner::new(options.key),
        };
        let verifier = IdentityVerifier::new(options.key);
        let stop = shutdown();
        let listener = Listener::new(listener, server_tls.clone());
        let prepared = def.prepare(context, verifier).await?;
        started.locals.insert(def.name, prepared.local());
        let task = tokio::spawn(async move { prepared.serve(listener, stop).await });
        started.addrs.insert(def.name, addr);
        started.tasks.push((def.name, task));
    }
    Ok(started)
}
