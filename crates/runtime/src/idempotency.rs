//! Idempotency keys: the first call with a `request_id` claims it inside its transaction;
//! a retry (or a concurrent duplicate, which waits on the key's unique index) finds the
//! claim and returns the first result instead of creating again.

use sqlx::AnyConnection;

/// Claims `(subject, request_id)` for `resource`. Returns the resource recorded by an
/// earlier call if the key was already claimed.
pub async fn claim(
    conn: &mut AnyConnection,
    subject: &str,
    request_id: &str,
    operation: &str,
    resource: &str,
    at_ms: i64,
) -> Result<Option<String>, sqlx::Error> {
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
    let earlier: (String,) =
        sqlx::query_as("SELECT resource FROM request_ids WHERE subject = $1 AND request_id = $2")
            .bind(subject.to_owned())
            .bind(request_id.to_owned())
            .fetch_one(&mut *conn)
            .await?;
    Ok(Some(earlier.0))
}
