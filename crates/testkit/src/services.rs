//! `start()`: any set of services, each with a fresh database of its own on the test's
//! backend, on ports of 127.0.0.1, as the suite runs them (their migrations and seed,
//! the identity layer, health, the request-id purge).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tonic::transport::Channel;
use wenming_authz::{IdentityKey, IdentityVerifier};
use wenming_domain::Clock;
use wenming_runtime::ServerSettings;
use wenming_runtime::db::Database;
use wenming_runtime::service::{self, Member, ServiceContext, ServiceDef, StartOptions, Started};

use crate::TestDb;

/// Running services.
#[derive(Debug)]
pub struct Services {
    started: Option<Started>,
    dbs: BTreeMap<&'static str, Database>,
    stop: watch::Sender<bool>,
}

/// How to start them.
#[derive(Debug)]
pub struct Options {
    /// Server limits.
    pub settings: ServerSettings,
    /// Upstreams that are not started here, by name: a URL.
    pub external: BTreeMap<&'static str, String>,
    /// Longest a call to another service may take.
    pub upstream_timeout: Duration,
    /// The configuration the services read their own tables from.
    pub config: wenming_runtime::config::Figment,
    /// Mutual TLS between the services (none: plaintext).
    pub tls: wenming_runtime::tls::InternalTls,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            settings: ServerSettings::default(),
            external: BTreeMap::new(),
            upstream_timeout: Duration::from_secs(5),
            config: wenming_runtime::config::Figment::new(),
            tls: Default::default(),
        }
    }
}

/// Starts `defs` (callees before callers) on `test_db`'s backend, each on a fresh
/// database of its own (the test's own database for the first service started on it).
pub async fn start(
    test_db: &TestDb,
    defs: &[&'static ServiceDef],
    clock: Arc<dyn Clock>,
    key: &IdentityKey,
    options: Options,
) -> Services {
    let mut members = Vec::new();
    for def in defs {
        let db = test_db.open_next(def.name, def.migrations).await;
        if let Some(seed) = def.seed {
            seed(&db).await.expect("seed test database");
        }
        members.push((*def, db));
    }
    start_on(members, clock, key, options).await
}

/// Starts each service on the database given with it, as they are (a restart: the
/// databases of services a test stopped, opened again).
pub async fn start_on(
    databases: Vec<(&'static ServiceDef, Database)>,
    clock: Arc<dyn Clock>,
    key: &IdentityKey,
    options: Options,
) -> Services {
    let mut members = Vec::new();
    let mut dbs = BTreeMap::new();
    for (def, db) in databases {
        dbs.insert(def.name, db.clone());
        members.push(Member { def, db });
    }
    let (stop, stopped) = watch::channel(false);
    let started = service::start(
        members,
        StartOptions {
            clock,
            key,
            settings: options.settings,
            upstream_timeout: options.upstream_timeout,
            external: options.external,
            config: options.config,
            tls: options.tls,
        },
        move || {
            let mut stopped = stopped.clone();
            async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            }
        },
    )
    .await
    .expect("start services");
    Services {
        started: Some(started),
        dbs,
        stop,
    }
}

impl Services {
    fn started(&self) -> &Started {
        self.started.as_ref().expect("running")
    }

    /// Where `name` listens.
    pub fn addr(&self, name: &str) -> SocketAddr {
        self.started().addr(name)
    }

    /// `name` in this process (as `wenming up`'s gateway calls it).
    pub fn local(&self, name: &str) -> wenming_runtime::local::LocalService {
        self.started().local(name)
    }

    /// Every service's address, by name.
    pub fn addrs(&self) -> &BTreeMap<&'static str, SocketAddr> {
        &self.started().addrs
    }

    /// `name`'s own database.
    pub fn db(&self, name: &str) -> Database {
        self.dbs[name].clone()
    }

    /// A channel to `name` (connected on first use).
    pub fn channel(&self, name: &str) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr(name)))
            .expect("uri")
            .connect_lazy()
    }

    /// Starts the drain of every service, as SIGTERM does.
    pub fn begin_shutdown(&self) {
        let _ = self.stop.send(true);
    }

    /// Waits for every service to stop and returns how they ended.
    pub async fn stopped(mut self) -> Result<(), wenming_runtime::service::BoxError> {
        self.started.take().expect("running").stopped().await
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// A service whose routes a test builds itself (over fakes of the services it calls),
/// served as the suite serves it; it stops when this is dropped.
#[derive(Debug)]
pub struct Served {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its database.
    pub db: Database,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Serves `def` on a fresh database of `test_db`'s backend and a port of 127.0.0.1,
/// with the routes `routes` builds from its context (e.g. `routes_over(context,
/// fake)`), verifying identities signed with `key`.
pub async fn serve_over(
    test_db: &TestDb,
    def: &'static ServiceDef,
    clock: Arc<dyn Clock>,
    key: &IdentityKey,
    routes: impl FnOnce(ServiceContext) -> tonic::service::Routes,
) -> Served {
    let db = test_db.open_next(def.name, def.migrations).await;
    let routes = routes(ServiceContext {
        db: db.clone(),
        clock: clock.clone(),
        settings: ServerSettings::default(),
        upstreams: Default::default(),
        config: Default::default(),
        signer: wenming_authz::IdentitySigner::new(key),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (server_db, verifier) = (db.clone(), IdentityVerifier::new(key));
    tokio::spawn(async move {
        def.serve_routes(
            listener,
            routes,
            &server_db,
            clock,
            &ServerSettings::default(),
            verifier,
            async move {
                let _ = stopped.await;
            },
        )
        .await
    });
    Served {
        addr,
        db,
        _stop: stop,
    }
}
