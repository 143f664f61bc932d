//! `GET /metrics` on a port of its own (never the gRPC port: a scraper needs no token
//! and the public address serves no plain HTTP).

use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use tokio::net::TcpListener;

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Serves the process's metrics on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    let app = axum::Router::new().route("/metrics", axum::routing::get(metrics_text));
    axum::serve(listener, app).await
}

/// Binds `addr` and serves the metrics there in the background, for the life of the
/// process; answers the address bound (port 0 picks one).
pub async fn spawn(addr: std::net::SocketAddr) -> std::io::Result<std::net::SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(err) = serve(listener).await {
            tracing::error!(error = %err, "metrics endpoint stopped");
        }
    });
    tracing::info!(addr = %bound, "metrics on http://{bound}/metrics");
    Ok(bound)
}

async fn metrics_text() -> impl IntoResponse {
    ([(CONTENT_TYPE, OPENMETRICS)], super::render())
}
