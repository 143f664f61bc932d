//! The audit trail as hash chains. Every record is a link of one of [`CHAINS`] chains:
//! its position (`seq`, from 1), the hash of the link before it (`prev_hash`; the first
//! link follows [`GENESIS`]) and its own hash over every field, so that a record edited,
//! deleted or moved no longer links (`wenming audit verify`, [`crate::audit_verify`]).
//!
//! A change appends its records to one chain, chosen by the resource of its first
//! record, as the last thing before it commits: the chain's head row is locked from
//! then until the commit, so appends to a chain never interleave, and a change holding a
//! head waits for nothing else (no lock cycle). Several chains let changes to different
//! resources commit side by side on PostgreSQL; SQLite has one writer anyway.

use sha2::{Digest, Sha256};
use sqlx::{Database as SqlxDatabase, Encode, Executor, FromRow, IntoArguments, Type};

use crate::audit::Record;
use crate::db::{Backend, Database};

/// How many chains a service's audit trail has (the rows of `audit_chain_heads`).
pub const CHAINS: i64 = 16;

/// What the first link of every chain follows.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The chain a change whose first record is about `resource` appends to.
pub fn chain_for(resource: &str) -> i64 {
    let digest = Sha256::digest(resource.as_bytes());
    i64::from(digest[0]) % CHAINS
}

/// The hash of a record at position `seq` of `chain`, following `prev_hash`: SHA-256
/// (hex) over every field, each length-prefixed so that no two records encode alike.
pub fn link_hash(chain: i64, seq: i64, prev_hash: &str, record: &Record) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"wenming audit link v1");
    hasher.update(chain.to_be_bytes());
    hasher.update(seq.to_be_bytes());
    for field in [
        Some(prev_hash),
        Some(record.id.as_str()),
        Some(record.subject.as_str()),
        Some(record.action.as_str()),
        Some(record.resource.as_str()),
        record.request_id.as_deref(),
        record.before_json.as_deref(),
        record.after_json.as_deref(),
    ] {
        match field {
            Some(text) => {
                hasher.update((text.len() as u64).to_be_bytes());
                hasher.update(text.as_bytes());
            }
            None => hasher.update(u64::MAX.to_be_bytes()),
        }
    }
    hasher.update(record.at.to_be_bytes());
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

const TAKE_HEAD: &str =
    "UPDATE audit_chain_heads SET seq = seq + $1 WHERE chain = $2 RETURNING seq, hash";
const SET_HEAD: &str = "UPDATE audit_chain_heads SET hash = $1 WHERE chain = $2";
/// A link's INSERT, as a literal both statements below are made of.
macro_rules! insert_link {
    () => {
        "INSERT INTO audit_records \
         (id, at, subject, action, resource, request_id, before_json, after_json, \
          chain, seq, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    };
}
const INSERT: &str = insert_link!();
/// [`INSERT`] of a change's last link with the head's new hash (the link's own, `$12`)
/// in the same statement: one round trip less for every change, on PostgreSQL, whose
/// WITH takes an INSERT (SQLite's does not).
const INSERT_LAST_AND_SET_HEAD: &str = concat!(
    "WITH link AS (",
    insert_link!(),
    ") UPDATE audit_chain_heads SET hash = $12 WHERE chain = $9"
);
const SEAL: &str =
    "UPDATE audit_records SET chain = $1, seq = $2, prev_hash = $3, hash = $4 WHERE id = $5";

/// Appends `records` (one change's, in order) to their chain, on the change's
/// connection to a `backend` database; the caller commits next. Generic over the
/// database so that the PostgreSQL bulk-import path, which holds a `PgConnection`,
/// chains the same way.
pub async fn append<DB>(
    conn: &mut DB::Connection,
    backend: Backend,
    records: &[Record],
) -> Result<(), sqlx::Error>
where
    DB: SqlxDatabase,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
{
    let Some(first) = records.first() else {
        return Ok(());
    };
    let chain = chain_for(&first.resource);
    let (mut seq, mut prev) = take_head::<DB>(conn, chain, records.len()).await?;
    let head_with_last = backend == Backend::Postgres;
    for (i, record) in records.iter().enumerate() {
        seq += 1;
        let hash = link_hash(chain, seq, &prev, record);
        let last = i + 1 == records.len();
        let statement = if last && head_with_last {
            INSERT_LAST_AND_SET_HEAD
        } else {
            INSERT
        };
        sqlx::query::<DB>(statement)
            .bind(record.id.clone())
            .bind(record.at)
            .bind(record.subject.clone())
            .bind(record.action.clone())
            .bind(record.resource.clone())
            .bind(record.request_id.clone())
            .bind(record.before_json.clone())
            .bind(record.after_json.clone())
            .bind(chain)
            .bind(seq)
            .bind(prev)
            .bind(hash.clone())
            .execute(&mut *conn)
            .await?;
        prev = hash;
    }
    if head_with_last {
        return Ok(());
    }
    set_head::<DB>(conn, chain, prev).await
}

/// Moves `chain`'s head on by `count` links, locking it until the commit; answers the
/// position and hash of the link the first new one follows.
async fn take_head<DB>(
    conn: &mut DB::Connection,
    chain: i64,
    count: usize,
) -> Result<(i64, String), sqlx::Error>
where
    DB: SqlxDatabase,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
{
    let count = i64::try_from(count).unwrap_or(i64::MAX);
    let (end, hash): (i64, String) = sqlx::query_as::<DB, (i64, String)>(TAKE_HEAD)
        .bind(count)
        .bind(chain)
        .fetch_one(&mut *conn)
        .await?;
    Ok((end - count, hash))
}

async fn set_head<DB>(
    conn: &mut DB::Connection,
    chain: i64,
    hash: String,
) -> Result<(), sqlx::Error>
where
    DB: SqlxDatabase,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
{
    sqlx::query::<DB>(SET_HEAD)
        .bind(hash)
        .bind(chain)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

type RecordRow = (
    String,
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The columns of a [`Record`], in [`RecordRow`]'s order.
pub(crate) const RECORD_COLUMNS: &str =
    "id, at, subject, action, resource, request_id, before_json, after_json";

pub(crate) fn record_of(row: RecordRow) -> Record {
    let (id, at, subject, action, resource, request_id, before_json, after_json) = row;
    Record {
        id,
        at,
        subject,
        action,
        resource,
        request_id,
        before_json,
        after_json,
    }
}

impl Database {
    /// Chains the records written before the trail was chained (or by an older version
    /// during a rolling upgrade): appended to chain 0 in the order they were written.
    /// Answers how many. Runs with the migrations.
    pub async fn seal_unchained_audit(&self) -> Result<u64, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let rows: Vec<RecordRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {RECORD_COLUMNS} FROM audit_records WHERE seq IS NULL ORDER BY at, id"
        )))
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let chain = 0;
        let (mut seq, mut prev) = take_head::<sqlx::Any>(&mut tx, chain, rows.len()).await?;
        for row in &rows {
            let record = record_of(row.clone());
            seq += 1;
            let hash = link_hash(chain, seq, &prev, &record);
            sqlx::query(SEAL)
                .bind(chain)
                .bind(seq)
                .bind(prev)
                .bind(hash.clone())
                .bind(record.id)
                .execute(&mut *tx)
                .await?;
            prev = hash;
        }
        set_head::<sqlx::Any>(&mut tx, chain, prev).await?;
        tx.commit().await?;
        tracing::info!(
            records = rows.len(),
            "audit records written before the chain chained"
        );
        Ok(rows.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            id: "a1".into(),
            at: 1_618_444_800_000,
            subject: "office:410400".into(),
            action: "CreateUnit".into(),
            resource: "units/u1".into(),
            request_id: None,
            before_json: None,
            after_json: Some(r#"{"name":"平煤"}"#.into()),
        }
    }

    #[test]
    fn every_field_and_the_position_enter_the_hash() {
        let base = link_hash(1, 1, GENESIS, &record());
        assert_eq!(base.len(), 64);
        assert_eq!(base, link_hash(1, 1, GENESIS, &record()), "deterministic");
        assert_ne!(base, link_hash(2, 1, GENESIS, &record()));
        assert_ne!(base, link_hash(1, 2, GENESIS, &record()));
        assert_ne!(base, link_hash(1, 1, &base, &record()));
        let edits: [fn(&mut Record); 8] = [
            |r| r.id.push('x'),
            |r| r.at += 1,
            |r| r.subject.push('x'),
            |r| r.action.push('x'),
            |r| r.resource.push('x'),
            |r| r.request_id = Some(String::new()),
            |r| r.before_json = Some(String::new()),
            |r| r.after_json = None,
        ];
        for edit in edits {
            let mut edited = record();
            edit(&mut edited);
            assert_ne!(base, link_hash(1, 1, GENESIS, &edited), "{edited:?}");
        }
    }

    #[test]
    fn fields_do_not_run_into_each_other() {
        let mut a = record();
        a.subject = "ab".into();
        a.action = "c".into();
        let mut b = record();
        b.subject = "a".into();
        b.action = "bc".into();
        assert_ne!(link_hash(0, 1, GENESIS, &a), link_hash(0, 1, GENESIS, &b));
    }

    #[test]
    fn chains_spread_over_all_of_them() {
        let used: std::collections::HashSet<i64> =
            (0..500).map(|n| chain_for(&format!("units/{n}"))).collect();
        assert_eq!(used.len() as i64, CHAINS);
        assert!(used.iter().all(|c| (0..CHAINS).contains(c)));
    }
}
