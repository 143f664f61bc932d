//! How the command-line clients reach a gateway: `http://` on the embedded default,
//! `https://` with the system's roots or a CA file (a private CA, a test certificate).

use std::path::Path;

use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

use crate::cli::CliResult;

/// An endpoint for `addr` (`host:port` is `http://host:port`), trusting `ca_file` for
/// `https://` when given and the system's roots otherwise.
pub fn endpoint(addr: &str, ca_file: Option<&Path>) -> CliResult<Endpoint> {
    let url = if addr.contains("://") {
        addr.to_owned()
    } else {
        format!("http://{addr}")
    };
    let endpoint = Endpoint::from_shared(url.clone())?;
    if !url.starts_with("https://") {
        if ca_file.is_some() {
            return Err(format!("{url}: --ca-file is for https:// addresses").into());
        }
        return Ok(endpoint);
    }
    let tls = match ca_file {
        Some(file) => ClientTlsConfig::new().ca_certificate(Certificate::from_pem(
            std::fs::read(file).map_err(|err| format!("{}: {err}", file.display()))?,
        )),
        None => ClientTlsConfig::new().with_native_roots(),
    };
    Ok(endpoint.tls_config(tls)?)
}

/// A channel to `addr`, connected on first use (a bad file is reported before the
/// suite is asked).
pub fn channel(addr: &str, ca_file: Option<&Path>) -> CliResult<Channel> {
    Ok(endpoint(addr, ca_file)?.connect_lazy())
}
