//! Idempotency keys: the first call with a `request_id` claims it inside its transaction;
//! a retry (or a concurrent duplicate, which waits on the key's unique index) finds the
//! claim and returns the first result instead of creating again.

use sqlx::AnyConnection;

/// Why a request id could not be claimed.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// The caller used the same request id for another call.
    #[error("request_id was already used for {operation}")]
    Reused {
        /// The operation that used it first.
        operation: String,
    },
}

impl ClaimError {
    /// The violation to answer a reused id with.
    pub fn reused(operation: &str) -> crate::status::Violation {
        crate::status::Violation::new(
            "request_id",
            &crate::catalogue::common::REUSED,
            format!(
                "this request_id was already used for another call ({operation}); use a new one"
            ),
        )
        .arg("operation", operation)
    }
}

/// Claims `(subject, request_id)` for `resource`. Returns the resource recorded by an
/// earlier call of the same operation if the key was already claimed; a key claimed by
/// another operation is refused.
pub async fn claim(
    conn: &mut AnyConnection,
    subject: &str,
    request_id: &str,
    operation: &str,
    resource: &str,
    at_ms: i64,
) -> Result<Option<String>, ClaimError> {
    let inserted = sqlx::query(
        "INSERT INTO request_ids (subject, request_id, operation, resource, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(subject.to_owned())
    .bind(request_id.to_owned())
    .bind(operation.to_owned())
    .bind(resource.to_owned())
    .bind(at_ms)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(None);
    }
    let (earlier_operation, earlier): (String, String) = sqlx::query_as(
        "SELECT operation, resource FROM request_ids WHERE subject = $1 AND request_id = $2",
    )
    .bind(subject.to_owned())
    .bind(request_id.to_owned())
    .fetch_one(&mut *conn)
    .await?;
    if earlier_operation != operation {
        return Err(ClaimError::Reused {
            operation: earlier_operation,
        });
    }
    Ok(Some(earlier))
}

/// How long a request id is kept: a retry within this time gets the first answer; after
/// it the id may be used again. Clients retry within minutes; a week leaves room for a
/// batch resent the next working day.
pub const RETENTION: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// Deletes the request ids claimed before `before_ms`; returns how many.
pub async fn purge(pool: &sqlx::AnyPool, before_ms: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM request_ids WHERE created_at < $1")
        .bind(before_ms)
        .execute(pool)
        .await?
        .rows_affected())
}

/// Purges expired request ids now and then every `every`, for as long as the process
/// runs (a failed purge is logged and tried again next time).
pub fn spawn_purge(
    db: crate::db::Database,
    clock: std::sync::Arc<dyn wenming_domain::Clock>,
    every: std::time::Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            let retention = i64::try_from(RETENTION.as_millis()).unwrap_or(i64::MAX);
            let before = clock.now().as_millisecond().saturating_sub(retention);
            match purge(db.pool(), before).await {
                Ok(0) => {}
                Ok(purged) => tracing::info!(purged, "expired request ids purged"),
                Err(err) => tracing::warn!(error = %err, "request id purge failed"),
            }
        }
    })
}
