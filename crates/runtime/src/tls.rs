//! TLS with rustls (the ring provider): the gateway's public certificate, and mutual TLS
//! between the gateway and the services with a private CA.
//!
//! A server's certificate and key are files, read again when either changes: before
//! each handshake the server compares the files' modification times and sizes with
//! those it loaded (two `stat` calls, nothing next to a handshake), loads the new pair
//! once it parses and the key matches the certificate, and hands it to new connections;
//! connections already open keep theirs, so a renewal drops no call. A pair that does
//! not load (half-written, mismatched) is logged and the previous one stays in use.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use serde::{Deserialize, Serialize};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;

/// Longest a TLS handshake may take before the connection is closed.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or parsed.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A configuration that names some files and not others.
    #[error("{0}")]
    Incomplete(String),
    /// rustls refused the configuration.
    #[error("TLS: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The files of the suite's mutual TLS between the gateway and the services (the
/// top-level `[tls]` table): this process's certificate and key, presented as a server
/// and as a client, and the private CA that signed every party's.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct InternalTls {
    /// The private CA (PEM): servers accept only clients it signed, clients accept only
    /// servers it signed.
    pub ca_file: Option<PathBuf>,
    /// This process's certificate chain (PEM).
    pub cert_file: Option<PathBuf>,
    /// Its private key (PKCS#8, PKCS#1 or SEC1 PEM).
    pub key_file: Option<PathBuf>,
}

impl InternalTls {
    /// The three files, when configured (all or none).
    fn files(&self) -> Result<Option<(&Path, &Path, &Path)>, TlsError> {
        match (&self.ca_file, &self.cert_file, &self.key_file) {
            (None, None, None) => Ok(None),
            (Some(ca), Some(cert), Some(key)) => Ok(Some((ca, cert, key))),
            _ => Err(TlsError::Incomplete(
                "tls: set ca_file, cert_file and key_file together (mutual TLS between the \
                 gateway and the services), or none"
                    .into(),
            )),
        }
    }

    /// Whether the suite's internal calls use TLS.
    pub fn enabled(&self) -> bool {
        self.cert_file.is_some() || self.key_file.is_some() || self.ca_file.is_some()
    }

    /// A service's server side: its certificate, and only clients the CA signed.
    pub fn server(&self) -> Result<Option<Arc<ServerTls>>, TlsError> {
        self.files()?
            .map(|(ca, cert, key)| {
                ServerTls::new(cert, key, Some(ca), Protocols::Http2).map(Arc::new)
            })
            .transpose()
    }

    /// The client side (the gateway's and the services' calls): servers the CA signed,
    /// presenting this process's certificate.
    pub fn client(&self) -> Result<Option<Arc<rustls::ClientConfig>>, TlsError> {
        let Some((ca, cert, key)) = self.files()? else {
            return Ok(None);
        };
        // No ALPN here: the connector that uses it offers h2 itself.
        let config = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots(ca)?)
            .with_client_auth_cert(chain(cert)?, private_key(key)?)?;
        Ok(Some(Arc::new(config)))
    }
}

impl InternalTls {
    /// The client side as tonic channels take it (calls between services).
    pub fn tonic_client(&self) -> Result<Option<tonic::transport::ClientTlsConfig>, TlsError> {
        let Some((ca, cert, key)) = self.files()? else {
            return Ok(None);
        };
        let read = |path: &Path| std::fs::read(path).map_err(|e| file_error(path, e));
        Ok(Some(
            tonic::transport::ClientTlsConfig::new()
                .ca_certificate(tonic::transport::Certificate::from_pem(read(ca)?))
                .identity(tonic::transport::Identity::from_pem(
                    read(cert)?,
                    read(key)?,
                )),
        ))
    }

    /// The scheme of the suite's internal URLs: `https` with TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.enabled() { "https" } else { "http" }
    }
}

/// The public side of the gateway (`[gateway.tls]`, `wenming up --tls-cert --tls-key`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct PublicTls {
    /// The certificate chain platforms see (PEM), re-read when it changes.
    pub cert_file: Option<PathBuf>,
    /// Its private key (PEM), re-read with it.
    pub key_file: Option<PathBuf>,
}

impl PublicTls {
    /// The gateway's server side: HTTP/2 and HTTP/1.1 (JSON and gRPC-Web callers).
    pub fn server(&self) -> Result<Option<Arc<ServerTls>>, TlsError> {
        match (&self.cert_file, &self.key_file) {
            (None, None) => Ok(None),
            (Some(cert), Some(key)) => {
                ServerTls::new(cert, key, None, Protocols::Http2AndHttp1).map(|t| Some(Arc::new(t)))
            }
            _ => Err(TlsError::Incomplete(
                "gateway.tls: set cert_file and key_file together, or neither".into(),
            )),
        }
    }
}

/// Which application protocols a server offers (ALPN).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocols {
    /// gRPC only (services).
    Http2,
    /// gRPC, and HTTP/1.1 for JSON and gRPC-Web (the gateway).
    Http2AndHttp1,
}

/// A TLS server configuration whose certificate follows its files.
pub struct ServerTls {
    acceptor: tokio_rustls::TlsAcceptor,
    certs: Arc<ReloadingCert>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("cert", &self.certs.cert)
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// Serves the pair `cert`/`key`; with `client_ca`, only to clients that CA signed.
    pub fn new(
        cert: &Path,
        key: &Path,
        client_ca: Option<&Path>,
        protocols: Protocols,
    ) -> Result<Self, TlsError> {
        let certs = Arc::new(ReloadingCert::load(cert, key)?);
        let builder = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?;
        let builder = match client_ca {
            Some(ca) => builder.with_client_cert_verifier(
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots(ca)?), provider())
                    .build()
                    .map_err(|e| TlsError::Rustls(rustls::Error::General(e.to_string())))?,
            ),
            None => builder.with_no_client_auth(),
        };
        let mut config = builder.with_cert_resolver(certs.clone());
        config.alpn_protocols = match protocols {
            Protocols::Http2 => vec![b"h2".to_vec()],
            Protocols::Http2AndHttp1 => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
        };
        Ok(Self {
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
            certs,
        })
    }

    /// The connections of `listener`, each after its handshake (done off the accept
    /// loop, within [`HANDSHAKE_TIMEOUT`]; a failed one is logged and dropped). Ends
    /// when the stream is dropped.
    pub fn incoming(
        self: Arc<Self>,
        listener: TcpListener,
    ) -> impl futures::Stream<Item = Result<TlsStream<TcpStream>, std::io::Error>> + Send + 'static
    {
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    () = tx.closed() => return,
                    accepted = listener.accept() => accepted,
                };
                let (tcp, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        // Out of descriptors, say: wait a moment rather than spin.
                        tracing::warn!(error = %err, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = tcp.set_nodelay(true);
                self.certs.refresh();
                let (acceptor, tx) = (self.acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => {
                            let _ = tx.send(Ok(stream)).await;
                        }
                        Ok(Err(err)) => {
                            tracing::debug!(%peer, error = %err, "TLS handshake failed")
                        }
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        tokio_stream::wrappers::ReceiverStream::new(rx)
    }
}

/// The certificate a server presents, loaded again when its files change.
#[derive(Debug)]
struct ReloadingCert {
    cert: PathBuf,
    key: PathBuf,
    /// What the files looked like when last loaded (or last tried).
    stamp: Mutex<Stamp>,
    current: RwLock<Arc<CertifiedKey>>,
}

/// Modification time and size of the certificate and key files.
type Stamp = [(Option<SystemTime>, u64); 2];

impl ReloadingCert {
    fn load(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let stamp = stamp(cert, key);
        let current = certified_key(cert, key)?;
        Ok(Self {
            cert: cert.to_owned(),
            key: key.to_owned(),
            stamp: Mutex::new(stamp),
            current: RwLock::new(Arc::new(current)),
        })
    }

    /// Loads the pair again if either file changed since it was last looked at.
    fn refresh(&self) {
        let now = stamp(&self.cert, &self.key);
        {
            let mut seen = self.stamp.lock().unwrap_or_else(|e| e.into_inner());
            if *seen == now {
                return;
            }
            *seen = now;
        }
        match certified_key(&self.cert, &self.key) {
            Ok(loaded) => {
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(loaded);
                tracing::info!(cert = %self.cert.display(), "TLS certificate reloaded");
            }
            // Half-written or mismatched: keep serving the previous pair, and look again
            // at the next change.
            Err(err) => {
                tracing::warn!(error = %err, "TLS certificate not reloaded; the previous one stays")
            }
        }
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        )
    }
}

fn stamp(cert: &Path, key: &Path) -> Stamp {
    let one = |path: &Path| match std::fs::metadata(path) {
        Ok(meta) => (meta.modified().ok(), meta.len()),
        Err(_) => (None, 0),
    };
    [one(cert), one(key)]
}

fn certified_key(cert: &Path, key: &Path) -> Result<CertifiedKey, TlsError> {
    let key_der = private_key(key)?;
    let signing = provider()
        .key_provider
        .load_private_key(key_der)
        .map_err(|e| file_error(key, e))?;
    let certified = CertifiedKey::new(chain(cert)?, signing);
    certified
        .keys_match()
        .map_err(|e| file_error(cert, format!("does not match {}: {e}", key.display())))?;
    Ok(certified)
}

fn file_error(path: &Path, reason: impl std::fmt::Display) -> TlsError {
    TlsError::File {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// The certificates of a PEM file, at least one.
pub fn chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_error(path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(path, e))?;
    if certs.is_empty() {
        return Err(file_error(path, "no certificate in the file"));
    }
    Ok(certs)
}

fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| file_error(path, e))
}

/// The CA certificates of a PEM file as trust roots.
pub fn roots(path: &Path) -> Result<rustls::RootCertStore, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in chain(path)? {
        roots.add(cert).map_err(|e| file_error(path, e))?;
    }
    Ok(roots)
}

/// The ring provider, which the suite uses everywhere (no C toolchain beyond cc).
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}
