//! The process's shutdown signal.

use std::future::Future;

use tokio::signal::unix::{SignalKind, signal as unix_signal};

/// Resolves on SIGTERM or SIGINT (ctrl-c). The handlers are installed when this is
/// called, not when the future is first polled: a SIGTERM that arrives in between
/// would otherwise kill the process without a drain. Call it inside the runtime.
pub fn signal() -> impl Future<Output = ()> + Send + 'static {
    let terminate = unix_signal(SignalKind::terminate());
    let interrupt = unix_signal(SignalKind::interrupt());
    async move {
        let wait = |stream: std::io::Result<tokio::signal::unix::Signal>| async move {
            match stream {
                Ok(mut stream) => {
                    stream.recv().await;
                }
                // Without this handler we still stop on the other signal.
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = wait(terminate) => {}
            () = wait(interrupt) => {}
        }
        tracing::info!("shutdown signal received, draining");
    }
}
