//! Health that follows the database: a service whose database does not answer reports
//! its gRPC service NOT_SERVING (readiness: load balancers and orchestrators stop sending
//! it calls) and SERVING again once it answers, without a restart. The whole server's
//! status ("") stays SERVING: liveness must not restart a process because a dependency
//! is down.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::db::Database;

/// Probes `db` every `every` (each probe given as long to answer) and reports the
/// outcome for `names`, until `draining` is set.
pub(crate) fn spawn(
    db: Database,
    health: HealthReporter,
    names: Vec<String>,
    every: Duration,
    draining: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut serving = true;
        loop {
            ticks.tick().await;
            let answered = matches!(
                tokio::time::timeout(every, sqlx::query("SELECT 1").execute(db.pool())).await,
                Ok(Ok(_))
            );
            if draining.load(Ordering::SeqCst) {
                return;
            }
            if answered == serving {
                continue;
            }
            serving = answered;
            let status = if serving {
                tracing::info!("database answers again: serving");
                ServingStatus::Serving
            } else {
                tracing::warn!("database does not answer: not serving");
                ServingStatus::NotServing
            };
            for name in &names {
                health.set_service_status(name, status).await;
            }
        }
    })
}
