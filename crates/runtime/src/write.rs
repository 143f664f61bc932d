//! A write transaction as one value: it carries who writes (the caller's subject and
//! request id) and when (one reading of the clock for the whole change), claims the
//! request id, writes the audit record and commits. Stores open one per change instead
//! of repeating "begin, claim, write, audit, commit".

use std::ops::{Deref, DerefMut};

use serde::Serialize;
use sqlx::{Any, AnyConnection, Transaction};
use wenming_authz::Scope;
use wenming_domain::Clock;

use crate::audit::{AuditEntry, Record};
use crate::db::{Backend, Database};
use crate::idempotency::{self, ClaimError};

/// One change in progress. Dropping it without [`WriteTx::commit`] rolls back.
#[derive(Debug)]
pub struct WriteTx<'a> {
    tx: Transaction<'static, Any>,
    backend: Backend,
    subject: &'a str,
    request_id: Option<&'a str>,
    now_ms: i64,
    /// Its audit records, chained when it commits.
    audit: Vec<Record>,
}

impl Database {
    /// Starts a change made by `scope`'s caller at `clock`'s now, retried under
    /// `request_id` if it has one.
    pub async fn write<'a>(
        &self,
        scope: &'a Scope,
        clock: &dyn Clock,
        request_id: Option<&'a str>,
    ) -> Result<WriteTx<'a>, sqlx::Error> {
        self.write_at(scope, clock.now().as_millisecond(), request_id)
            .await
    }

    /// Starts a change at `now_ms`, read from the clock earlier (a bulk import stamps
    /// its rows before it writes them).
    pub async fn write_at<'a>(
        &self,
        scope: &'a Scope,
        now_ms: i64,
        request_id: Option<&'a str>,
    ) -> Result<WriteTx<'a>, sqlx::Error> {
        Ok(WriteTx {
            tx: self.begin_write().await?,
            backend: self.backend(),
            subject: scope.subject(),
            request_id,
            now_ms,
            audit: Vec::new(),
        })
    }
}

impl Database {
    /// Starts a change a service makes on its own behalf (a background job), recorded
    /// in the audit trail as `subject`.
    pub async fn write_as_service<'a>(
        &self,
        subject: &'a str,
        clock: &dyn Clock,
    ) -> Result<WriteTx<'a>, sqlx::Error> {
        Ok(WriteTx {
            tx: self.begin_write().await?,
            backend: self.backend(),
            subject,
            request_id: None,
            now_ms: clock.now().as_millisecond(),
            audit: Vec::new(),
        })
    }
}

impl WriteTx<'_> {
    /// The change's time, in milliseconds since the epoch (the same for every row and
    /// the audit record).
    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }

    /// Who makes the change.
    pub fn subject(&self) -> &str {
        self.subject
    }

    /// Claims the request id for `operation` creating `resource`. `Some(earlier)` is the
    /// resource an earlier call with the same id created: the caller answers with it and
    /// drops this transaction. Without a request id there is nothing to claim.
    pub async fn claim(
        &mut self,
        operation: &str,
        resource: &str,
    ) -> Result<Option<String>, ClaimError> {
        let Some(request_id) = self.request_id else {
            return Ok(None);
        };
        idempotency::claim(
            &mut self.tx,
            self.subject,
            request_id,
            operation,
            resource,
            self.now_ms,
        )
        .await
    }

    /// Records `action` on `resource` (before and after) in the audit trail; written,
    /// chained, with the commit.
    pub fn audit<B: Serialize, A: Serialize>(
        &mut self,
        action: &'static str,
        resource: &str,
        before: Option<&B>,
        after: Option<&A>,
    ) -> Result<(), sqlx::Error> {
        let entry = AuditEntry {
            subject: self.subject,
            action,
            resource,
            request_id: self.request_id,
            at_ms: self.now_ms,
        };
        self.audit.push(Record::new(entry, before, after)?);
        Ok(())
    }

    /// Writes the audit records, chained, and commits the change.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        crate::audit_chain::append::<Any>(&mut self.tx, self.backend, &self.audit).await?;
        self.tx.commit().await
    }
}

impl Deref for WriteTx<'_> {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}
