//! Audit records, written in the transaction of the change they describe and chained
//! (see [`crate::audit_chain`]). Every service has an `audit_records` table of the same
//! shape in its own database.

use serde::Serialize;
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

/// A record's fields as stored (before it takes its place in a chain).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Its id.
    pub id: String,
    /// When, in milliseconds since the epoch.
    pub at: i64,
    /// Who.
    pub subject: String,
    /// The RPC or operation.
    pub action: String,
    /// Resource name of what changed.
    pub resource: String,
    /// The caller's idempotency key.
    pub request_id: Option<String>,
    /// The resource before the change, as JSON.
    pub before_json: Option<String>,
    /// The resource after the change, as JSON.
    pub after_json: Option<String>,
}

impl Record {
    /// A new record of `entry` with snapshots of the resource before and after.
    pub fn new<B: Serialize, A: Serialize>(
        entry: AuditEntry<'_>,
        before: Option<&B>,
        after: Option<&A>,
    ) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: AuditId::new().to_string(),
            at: entry.at_ms,
            subject: entry.subject.to_owned(),
            action: entry.action.to_owned(),
            resource: entry.resource.to_owned(),
            request_id: entry.request_id.map(str::to_owned),
            before_json: before.map(to_json).transpose()?,
            after_json: after.map(to_json).transpose()?,
        })
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String, sqlx::Error> {
    serde_json::to_string(value).map_err(|err| sqlx::Error::Encode(Box::new(err)))
}

/// Writes and chains the record on a PostgreSQL connection (the bulk-import fast path,
/// whose transaction is not a [`crate::write::WriteTx`]), just before it commits.
pub async fn record_pg<A: Serialize>(
    conn: &mut sqlx::PgConnection,
    entry: AuditEntry<'_>,
    after: &A,
) -> Result<(), sqlx::Error> {
    let record = Record::new(entry, None::<&()>, Some(after))?;
    crate::audit_chain::append::<sqlx::Postgres>(
        conn,
        crate::db::Backend::Postgres,
        std::slice::from_ref(&record),
    )
    .await
}
