//! Audit records, written in the transaction of the change they describe. Every service
//! has an `audit_records` table of the same shape in its own database.

use serde::Serialize;
use sqlx::AnyConnection;
use wenming_domain::AuditId;

/// One audited change.
#[derive(Debug)]
pub struct AuditEntry<'a> {
    /// Who made the change.
    pub subject: &'a str,
    /// The RPC or operation, e.g. "CreatePairing".
    pub action: &'static str,
    /// Resource name of what changed.
    pub resource: &'a str,
    /// The caller's idempotency key, if any.
    pub request_id: Option<&'a str>,
    /// When, in milliseconds since the epoch.
    pub at_ms: i64,
}

const INSERT: &str = "INSERT INTO audit_records \
    (id, at, subject, action, resource, request_id, before_json, after_json) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Writes the record; `before`/`after` are snapshots of the resource.
pub async fn record<B: Serialize, A: Serialize>(
    conn: &mut AnyConnection,
    entry: AuditEntry<'_>,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<(), sqlx::Error> {
    let before = before.map(to_json).transpose()?;
    let after = after.map(to_json).transpose()?;
    sqlx::query(INSERT)
        .bind(AuditId::new().to_string())
        .bind(entry.at_ms)
        .bind(entry.subject.to_owned())
        .bind(entry.action)
        .bind(entry.resource.to_owned())
        .bind(entry.request_id.map(str::to_owned))
        .bind(before)
        .bind(after)
        .execute(conn)
        .await?;
    Ok(())
}

fn to_json<T: Serialize>(value: &T) -> Result<String, sqlx::Error> {
    serde_json::to_string(value).map_err(|err| sqlx::Error::Encode(Box::new(err)))
}

/// The same record written on a PostgreSQL connection (the bulk-import fast path).
pub async fn record_pg<A: Serialize>(
    conn: &mut sqlx::PgConnection,
    entry: AuditEntry<'_>,
    after: &A,
) -> Result<(), sqlx::Error> {
    sqlx::query(INSERT)
        .bind(AuditId::new().to_string())
        .bind(entry.at_ms)
        .bind(entry.subject.to_owned())
        .bind(entry.action)
        .bind(entry.resource.to_owned())
        .bind(entry.request_id.map(str::to_owned))
        .bind(None::<String>)
        .bind(Some(to_json(after)?))
        .execute(conn)
        .await?;
    Ok(())
}
