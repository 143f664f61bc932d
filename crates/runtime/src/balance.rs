//! The replicas of one remote service, and which of them takes a call: the gateway's
//! backends and a service's upstreams (`crate::upstream`) alike.
//!
//! A backend is one or more URLs; each URL's host is resolved (DNS, or an address as
//! written) and every address is a replica with an HTTP/2 connection of its own. A call
//! goes to the less busy (fewer calls in flight) of two replicas taken in turn, so load
//! spreads evenly and a slow replica gets less of it. A call is handed to a replica
//! only over a connection that is open: one that cannot be opened takes the replica out
//! (for 1 s, doubling to 30 s while it keeps failing) and the call goes to the next
//! one, so a replica that stops costs no call beyond those in flight on it. The names
//! are resolved again every `REFRESH`, in the background, so replicas that come and go
//! (a Kubernetes headless Service, say) are followed without a restart.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::pki_types::ServerName;
use tokio_rustls::TlsConnector;

type Body = tonic::body::Body;
type Response = http::Response<hyper::body::Incoming>;
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How often the backend's names are resolved again.
const REFRESH: Duration = Duration::from_secs(5);
/// How soon a call looks the names up again when they resolved to nothing (a service
/// whose pods are not ready yet): sooner than `REFRESH`, as a lazily connected channel
/// would try again on its next call.
const EMPTY_REFRESH: Duration = Duration::from_secs(1);
/// How long resolving a backend's name may take.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long opening a connection to a replica may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a replica that failed stays out, at first and at most.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// HTTP/2 pings, idle or not, so that a replica whose host vanished (no FIN, no RST) is
/// noticed and its connection dropped before a call is sent on it.
const KEEP_ALIVE: Duration = Duration::from_secs(20);
const KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(10);

/// The replicas of one backend.
pub struct Replicas {
    /// The configured URLs (all `http://` or all `https://`).
    urls: Vec<http::Uri>,
    /// The suite's mutual TLS, for `https://` URLs.
    tls: Option<TlsConnector>,
    current: RwLock<Current>,
    /// A background resolution is under way (one at a time).
    resolving: AtomicBool,
    /// The first resolution, which calls wait for.
    first: tokio::sync::Mutex<()>,
    /// Turns for the choice of two.
    turn: AtomicUsize,
}

struct Current {
    replicas: Arc<[Arc<Replica>]>,
    resolved_at: Option<Instant>,
}

/// One URL, `http://host:port`, or `https://host:port` with the suite's mutual TLS.
fn parse_url(url: &str, tls: bool) -> Result<http::Uri, String> {
    let uri: http::Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
    match (uri.scheme_str(), tls) {
        (Some("http"), false) | (Some("https"), true) => {}
        (Some("https"), false) => {
            return Err(format!("{url}: https:// needs the suite's [tls] files"));
        }
        (Some("http"), true) => {
            return Err(format!(
                "{url}: with [tls] configured, calls between the suite's parts use \
                 https:// URLs (mutual TLS)"
            ));
        }
        _ => return Err(format!("{url}: a service's URL is http://host:port")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("{url}: a service's URL is http://host:port"));
    }
    Ok(uri)
}

/// One address of the backend.
struct Replica {
    addr: SocketAddr,
    /// The URL it was resolved from: its host is the `:authority` sent and the name its
    /// certificate is checked against.
    url: http::Uri,
    connection: Mutex<Option<SendRequest<Body>>>,
    /// One connection attempt at a time.
    connecting: tokio::sync::Mutex<()>,
    in_flight: AtomicUsize,
    health: Mutex<Health>,
}

#[derive(Default)]
struct Health {
    failures: u32,
    out_until: Option<Instant>,
}

/// Why a call reached no replica.
#[derive(Debug, thiserror::Error)]
pub enum Unreachable {
    /// No URL's host resolved to an address.
    #[error("no address for {0}")]
    NoAddress(String),
    /// The last replica tried could not take the call.
    #[error("{addr}: {source}")]
    Replica {
        /// The replica's address.
        addr: SocketAddr,
        /// What went wrong.
        source: BoxError,
    },
}

impl std::fmt::Debug for Replicas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replicas")
            .field("urls", &self.urls)
            .finish()
    }
}

impl Replicas {
    /// Replicas of the service at `urls`: one URL (`http://host:port`) or several,
    /// separated by commas; `https://` with the suite's mutual TLS (`tls`), `http://`
    /// without it.
    pub fn parse(urls: &str, tls: Option<Arc<rustls::ClientConfig>>) -> Result<Self, String> {
        let urls = urls
            .split(',')
            .map(|url| parse_url(url.trim(), tls.is_some()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(urls, tls))
    }

    /// Replicas of the backend at `urls`, over `tls` when given (then every URL is
    /// `https://`). Nothing is resolved or connected before the first call.
    fn new(urls: Vec<http::Uri>, tls: Option<Arc<rustls::ClientConfig>>) -> Self {
        let tls = tls.map(|config| {
            let mut config = (*config).clone();
            config.alpn_protocols = vec![b"h2".to_vec()];
            TlsConnector::from(Arc::new(config))
        });
        Self {
            urls,
            tls,
            current: RwLock::new(Current {
                replicas: Arc::from(Vec::new()),
                resolved_at: None,
            }),
            resolving: AtomicBool::new(false),
            first: tokio::sync::Mutex::new(()),
            turn: AtomicUsize::new(0),
        }
    }

    /// Sends `request` (its path and headers; scheme and authority are set here) to a
    /// replica and returns the response's head: to the less busy of two, else to any
    /// other that takes it.
    pub async fn send(
        self: &Arc<Self>,
        request: http::Request<Body>,
    ) -> Result<Response, Unreachable> {
        let replicas = self.replicas().await?;
        let mut request = Some(request);
        let mut last = None;
        for replica in self.order(&replicas) {
            let Some(mut pending) = request.take() else {
                break;
            };
            let mut sender = match replica.sender(self.tls.as_ref()).await {
                Ok(sender) => sender,
                Err(source) => {
                    replica.failed(&source);
                    last = Some(Unreachable::Replica {
                        addr: replica.addr,
                        source,
                    });
                    request = Some(pending);
                    continue;
                }
            };
            *pending.uri_mut() = replica.uri(pending.uri());
            let _in_flight = InFlight::enter(&replica);
            match sender.try_send_request(pending).await {
                Ok(response) => {
                    replica.succeeded();
                    return Ok(response);
                }
                Err(mut err) => {
                    // Not sent (the connection closed before it took the call): safe to
                    // give to the next replica.
                    request = err.take_message();
                    replica.forget();
                    last = Some(Unreachable::Replica {
                        addr: replica.addr,
                        source: err.into_error().into(),
                    });
                    if request.is_none() {
                        break;
                    }
                }
            }
        }
        Err(last.unwrap_or_else(|| Unreachable::NoAddress(self.names())))
    }

    /// The replicas now: resolved on the first call (concurrent first calls wait for
    /// the one resolution), and again in the background once `REFRESH` has passed.
    async fn replicas(self: &Arc<Self>) -> Result<Arc<[Arc<Replica>]>, Unreachable> {
        let (replicas, fresh) = self.snapshot();
        if replicas.is_empty() {
            let _one = self.first.lock().await;
            let (replicas, fresh) = self.snapshot();
            if replicas.is_empty() && !fresh {
                self.resolve().await;
            }
            let (replicas, _) = self.snapshot();
            return if replicas.is_empty() {
                Err(Unreachable::NoAddress(self.names()))
            } else {
                Ok(replicas)
            };
        }
        if !fresh && !self.resolving.swap(true, Ordering::AcqRel) {
            let this = self.clone();
            tokio::spawn(async move { this.resolve().await });
        }
        Ok(replicas)
    }

    /// The replicas known and whether they were resolved less than `REFRESH` ago
    /// (`EMPTY_REFRESH` when none are known).
    fn snapshot(&self) -> (Arc<[Arc<Replica>]>, bool) {
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        let refresh = if current.replicas.is_empty() {
            EMPTY_REFRESH
        } else {
            REFRESH
        };
        (
            current.replicas.clone(),
            current.resolved_at.is_some_and(|at| at.elapsed() < refresh),
        )
    }

    /// Resolves every URL's host; replicas still named keep their connection and
    /// health. A failed resolution keeps the replicas known before it.
    async fn resolve(&self) {
        let mut found: Vec<(SocketAddr, &http::Uri)> = Vec::new();
        let mut failed = false;
        for url in &self.urls {
            let host = host_of(url);
            let port = url.port_u16().unwrap_or(default_port(url));
            let lookup =
                tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((host, port)));
            match lookup
                .await
                .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
            {
                Ok(addrs) => {
                    for addr in addrs {
                        if !found.iter().any(|(known, _)| *known == addr) {
                            found.push((addr, url));
                        }
                    }
                }
                Err(err) => {
                    failed = true;
                    tracing::warn!(%url, error = %err, "backend name not resolved");
                }
            }
        }
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        current.resolved_at = Some(Instant::now());
        self.resolving.store(false, Ordering::Release);
        if found.is_empty() || (failed && found.len() < current.replicas.len()) {
            return;
        }
        let replicas: Vec<Arc<Replica>> = found
            .into_iter()
            .map(|(addr, url)| {
                current
                    .replicas
                    .iter()
                    .find(|known| known.addr == addr)
                    .cloned()
                    .unwrap_or_else(|| Arc::new(Replica::new(addr, url.clone())))
            })
            .collect();
        if replicas.len() != current.replicas.len() {
            tracing::info!(backend = %self.names(), replicas = replicas.len(), "backend replicas");
        }
        current.replicas = Arc::from(replicas);
    }

    /// The order in which replicas are tried: the less busy of the two whose turn it
    /// is, then the other replicas that are in, then those that are out (soonest back
    /// first: with every replica out, a call still tries them rather than failing).
    fn order(&self, replicas: &[Arc<Replica>]) -> Vec<Arc<Replica>> {
        let now = Instant::now();
        let (mut order, mut out): (Vec<_>, Vec<_>) = replicas
            .iter()
            .cloned()
            .partition(|replica| replica.is_in(now));
        if order.len() > 1 {
            let turn = self.turn.fetch_add(1, Ordering::Relaxed) % order.len();
            order.rotate_left(turn);
            if order[1].in_flight.load(Ordering::Relaxed)
                < order[0].in_flight.load(Ordering::Relaxed)
            {
                order.swap(0, 1);
            }
        }
        out.sort_by_key(|replica| replica.out_until());
        order.extend(out);
        order
    }

    fn names(&self) -> String {
        self.urls
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A URL's host as DNS and TLS take it: an IPv6 literal without its brackets.
fn host_of(url: &http::Uri) -> &str {
    url.host()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']')
}

fn default_port(url: &http::Uri) -> u16 {
    if url.scheme_str() == Some("https") {
        443
    } else {
        80
    }
}

impl Replica {
    fn new(addr: SocketAddr, url: http::Uri) -> Self {
        Self {
            addr,
            url,
            connection: Mutex::new(None),
            connecting: tokio::sync::Mutex::new(()),
            in_flight: AtomicUsize::new(0),
            health: Mutex::new(Health::default()),
        }
    }

    /// The call's URI on this replica: the configured scheme and host, the call's path.
    fn uri(&self, call: &http::Uri) -> http::Uri {
        let mut parts = self.url.clone().into_parts();
        parts.path_and_query = call.path_and_query().cloned();
        http::Uri::from_parts(parts).unwrap_or_else(|_| call.clone())
    }

    /// An open connection: the one held, or a new one.
    async fn sender(&self, tls: Option<&TlsConnector>) -> Result<SendRequest<Body>, BoxError> {
        if let Some(sender) = self.open() {
            return Ok(sender);
        }
        let failures = self.failures();
        let _one = self.connecting.lock().await;
        if let Some(sender) = self.open() {
            return Ok(sender);
        }
        // The attempt this call waited for failed: the next replica, not another wait.
        if self.failures() != failures {
            return Err("its connection failed a moment ago".into());
        }
        let sender = tokio::time::timeout(CONNECT_TIMEOUT, self.connect(tls))
            .await
            .map_err(|_| "connect timed out")??;
        *self.connection.lock().unwrap_or_else(|e| e.into_inner()) = Some(sender.clone());
        Ok(sender)
    }

    fn open(&self) -> Option<SendRequest<Body>> {
        self.connection
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .filter(|sender| !sender.is_closed())
            .cloned()
    }

    async fn connect(&self, tls: Option<&TlsConnector>) -> Result<SendRequest<Body>, BoxError> {
        let stream = tokio::net::TcpStream::connect(self.addr).await?;
        stream.set_nodelay(true)?;
        match tls {
            Some(tls) => {
                let host = host_of(&self.url);
                let name = ServerName::try_from(host.to_owned())?;
                handshake(tls.connect(name, stream).await?).await
            }
            None => handshake(stream).await,
        }
    }

    /// Drops the connection held if it is closed (not one opened since by another call).
    fn forget(&self) {
        let mut held = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        if held.as_ref().is_some_and(SendRequest::is_closed) {
            *held = None;
        }
    }

    fn failures(&self) -> u32 {
        self.health
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .failures
    }

    fn is_in(&self, now: Instant) -> bool {
        self.out_until().is_none_or(|until| until <= now)
    }

    fn out_until(&self) -> Option<Instant> {
        self.health
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .out_until
    }

    fn failed(&self, error: &BoxError) {
        let mut health = self.health.lock().unwrap_or_else(|e| e.into_inner());
        if health.out_until.is_some_and(|until| until > Instant::now()) {
            // Out already: calls failing side by side count once.
            return;
        }
        health.failures = health.failures.saturating_add(1);
        let backoff = FIRST_BACKOFF
            .saturating_mul(1 << health.failures.saturating_sub(1).min(5))
            .min(MAX_BACKOFF);
        health.out_until = Some(Instant::now() + backoff);
        tracing::warn!(addr = %self.addr, %error, ?backoff, "backend replica taken out");
    }

    fn succeeded(&self) {
        let mut health = self.health.lock().unwrap_or_else(|e| e.into_inner());
        if health.failures > 0 {
            tracing::info!(addr = %self.addr, "backend replica back");
            *health = Health::default();
        }
    }
}

/// An HTTP/2 connection over `io`, driven by a task of its own until it closes.
async fn handshake<T>(io: T) -> Result<SendRequest<Body>, BoxError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
        .timer(TokioTimer::new())
        .keep_alive_interval(KEEP_ALIVE)
        .keep_alive_timeout(KEEP_ALIVE_TIMEOUT)
        .keep_alive_while_idle(true)
        .handshake(TokioIo::new(io))
        .await?;
    tokio::spawn(async move {
        if let Err(err) = connection.await {
            tracing::debug!(error = %err, "backend connection closed");
        }
    });
    sender.ready().await?;
    Ok(sender)
}

/// Counts a call in flight on a replica while it is held.
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn enter(replica: &'a Replica) -> Self {
        replica.in_flight.fetch_add(1, Ordering::Relaxed);
        Self(&replica.in_flight)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replicas(urls: &[&str]) -> Arc<Replicas> {
        Arc::new(Replicas::new(
            urls.iter().map(|url| url.parse().unwrap()).collect(),
            None,
        ))
    }

    #[tokio::test]
    async fn names_resolve_to_one_replica_per_address() {
        let backend = replicas(&[
            "http://localhost:50061",
            "http://127.0.0.1:50061",
            "http://127.0.0.1:50062",
        ]);
        let found = backend.replicas().await.unwrap();
        let addrs: Vec<String> = found.iter().map(|r| r.addr.to_string()).collect();
        assert!(addrs.contains(&"127.0.0.1:50061".to_owned()), "{addrs:?}");
        assert!(addrs.contains(&"127.0.0.1:50062".to_owned()), "{addrs:?}");
        assert_eq!(
            addrs.iter().filter(|a| *a == "127.0.0.1:50061").count(),
            1,
            "{addrs:?}"
        );
        // Resolved again, a replica keeps its state.
        found[0].failed(&"refused".into());
        backend.resolve().await;
        let again = backend.replicas().await.unwrap();
        assert!(Arc::ptr_eq(&found[0], &again[0]));
        assert!(!again[0].is_in(Instant::now()));
    }

    #[tokio::test]
    async fn a_name_that_does_not_resolve_is_no_address() {
        let backend = replicas(&["http://wenming-no-such-host.invalid:50061"]);
        let call = http::Request::new(Body::empty());
        assert!(matches!(
            backend.send(call).await,
            Err(Unreachable::NoAddress(_))
        ));
    }

    #[test]
    fn a_busy_replica_is_passed_over_and_an_out_one_goes_last() {
        let backend = replicas(&["http://127.0.0.1:1"]);
        let [a, b, c] = [1, 2, 3].map(|port| {
            Arc::new(Replica::new(
                SocketAddr::from(([127, 0, 0, 1], port)),
                "http://127.0.0.1:1".parse().unwrap(),
            ))
        });
        a.in_flight.store(5, Ordering::Relaxed);
        c.failed(&"refused".into());
        let all = [a.clone(), b.clone(), c.clone()];
        for _ in 0..4 {
            let order = backend.order(&all);
            assert_eq!(order.len(), 3);
            assert!(Arc::ptr_eq(&order[0], &b), "the idle replica first");
            assert!(Arc::ptr_eq(&order[2], &c), "the one taken out last");
        }
        c.succeeded();
        assert!(c.is_in(Instant::now()));
    }
}
