//! The identity platform's JWKS fetched from its URL: at start, every
//! `jwks_refresh_secs`, and soon after a token names a key id the gateway does not know
//! (at most once per 10 s). A failed fetch keeps the keys already trusted.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::authn::KeyStore;
use crate::keys::{KeyError, TrustedKeys};

/// Longest a fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest JWKS document accepted (a platform's is a few KiB).
const MAX_BYTES: usize = 1024 * 1024;
/// Fetches made because of an unknown key id are at least this far apart.
const ON_DEMAND_INTERVAL: Duration = Duration::from_secs(10);

/// Fetches one JWKS URL.
#[derive(Clone, Debug)]
pub struct JwksFetcher {
    client: reqwest::Client,
    url: reqwest::Url,
}

impl JwksFetcher {
    /// A fetcher for `url`: `https://`, or `http://` on a loopback address only (keys
    /// fetched in clear could be swapped on the way). `ca_file` adds a PEM root for a
    /// platform whose certificate comes from a private CA.
    pub fn new(url: &str, ca_file: Option<&Path>) -> Result<Self, KeyError> {
        let url = reqwest::Url::parse(url).map_err(|e| KeyError::Fetch(format!("{url}: {e}")))?;
        let loopback = url.host_str().is_some_and(|host| {
            host == "localhost"
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        });
        if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
            return Err(KeyError::Fetch(format!(
                "{url}: the JWKS URL must be https:// (http:// only on a loopback address)"
            )));
        }
        // One process-wide TLS provider; a second install (tests) changes nothing.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none());
        if let Some(file) = ca_file {
            let pem = std::fs::read(file).map_err(|source| KeyError::Io {
                path: file.display().to_string(),
                source,
            })?;
            let certificate = reqwest::Certificate::from_pem(&pem)
                .map_err(|e| KeyError::Fetch(format!("{}: {e}", file.display())))?;
            builder = builder.add_root_certificate(certificate);
        }
        let client = builder
            .build()
            .map_err(|e| KeyError::Fetch(format!("HTTP client: {e}")))?;
        Ok(Self { client, url })
    }

    /// Fetches and parses the JWKS.
    pub async fn fetch(&self) -> Result<TrustedKeys, KeyError> {
        let failed = |e: String| KeyError::Fetch(format!("{}: {e}", self.url));
        let response = self
            .client
            .get(self.url.clone())
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| failed(e.to_string()))?;
        if !response.status().is_success() {
            return Err(failed(format!("answered {}", response.status())));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BYTES as u64)
        {
            return Err(failed(format!("larger than {MAX_BYTES} bytes")));
        }
        // Read in chunks, so a reply without Content-Length cannot exceed the cap either.
        let mut response = response;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| failed(e.to_string()))? {
            if body.len() + chunk.len() > MAX_BYTES {
                return Err(failed(format!("larger than {MAX_BYTES} bytes")));
            }
            body.extend_from_slice(&chunk);
        }
        let text = std::str::from_utf8(&body).map_err(|_| failed("not UTF-8".into()))?;
        TrustedKeys::from_jwks(text)
    }
}

/// Keeps `store` fresh from `fetcher` until the process ends: every `every`, and when a
/// token named an unknown key id.
pub fn spawn_refresh(
    store: Arc<KeyStore>,
    fetcher: JwksFetcher,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = store.unknown_key_seen() => {}
            }
            match fetcher.fetch().await {
                Ok(keys) => {
                    tracing::info!(keys = keys.len(), "refreshed the JWKS from its URL");
                    store.replace(keys);
                }
                Err(err) => {
                    tracing::warn!(error = %err, "could not refresh the JWKS; keeping the old keys");
                }
            }
            // Unknown kids that arrived during the fetch do not cause another at once.
            tokio::time::sleep(ON_DEMAND_INTERVAL.min(every)).await;
        }
    })
}
