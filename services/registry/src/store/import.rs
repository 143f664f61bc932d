//! Bulk registration: batches of rows, one result per row. A bad row never stops the
//! good ones; each batch commits in one transaction with one audit record.

use std::collections::HashSet;

use serde::Serialize;
use wenming_authz::Scope;
use wenming_domain::UnitId;
use wenming_runtime::sql::Sql;
use wenming_runtime::status::Violation;

use super::Store;
use super::audit::{self, AuditEntry};
use super::units::{NewUnit, UnitRecord};
use crate::error::{RegistryError, Result};

/// Rows per INSERT statement: 26 parameters a row stays well under both databases' limits.
const ROWS_PER_STATEMENT: usize = 200;

/// What happened to one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportOutcome {
    /// Registered as this unit id.
    Created(String),
    /// The credit code is already registered (or earlier in the same import).
    Duplicate,
    /// Refused for these reasons.
    Invalid(Vec<Violation>),
}

/// The result of one row.
#[derive(Clone, Debug)]
pub struct ImportRowResult {
    /// Row number as sent.
    pub row_number: u64,
    /// Outcome.
    pub outcome: ImportOutcome,
}

impl Store {
    /// Imports one batch of parsed rows. `seen` carries the credit codes of earlier
    /// batches of the same import, so a code repeated in the file is a duplicate.
    pub async fn import_batch(
        &self,
        scope: &Scope,
        rows: Vec<(u64, Result<NewUnit, Vec<Violation>>)>,
        seen: &mut HashSet<String>,
    ) -> Result<Vec<ImportRowResult>> {
        if scope.office().is_none() {
            return Err(RegistryError::PermissionDenied(
                "only civilisation offices register units",
            ));
        }
        let now = self.now_ms();
        let mut results = Vec::with_capacity(rows.len());
        let mut pending: Vec<(usize, UnitRecord)> = Vec::new();
        for (row_number, parsed) in rows {
            let outcome = match parsed {
                Err(violations) => ImportOutcome::Invalid(violations),
                Ok(unit) => {
                    match self.check_region_in_scope(scope, "unit.region_code", unit.fields.region)
                    {
                        Err(RegistryError::Invalid(violations)) => {
                            ImportOutcome::Invalid(violations)
                        }
                        Err(other) => return Err(other),
                        Ok(()) if !seen.insert(unit.credit_code.as_str().to_owned()) => {
                            ImportOutcome::Duplicate
                        }
                        Ok(()) => {
                            let id = UnitId::new().to_string();
                            pending.push((results.len(), self.unit_record(&id, &unit, now)));
                            ImportOutcome::Created(id)
                        }
                    }
                }
            };
            results.push(ImportRowResult {
                row_number,
                outcome,
            });
        }
        if pending.is_empty() {
            return Ok(results);
        }
        let mut tx = self.db.begin_write().await?;
        let mut created = Vec::with_capacity(pending.len());
        for chunk in pending.chunks(ROWS_PER_STATEMENT) {
            let inserted = insert_units(&mut tx, chunk.iter().map(|(_, u)| u)).await?;
            for (index, unit) in chunk {
                if inserted.contains(&unit.id) {
                    created.push(unit.id.clone());
                } else {
                    results[*index].outcome = ImportOutcome::Duplicate;
                }
            }
        }
        #[derive(Serialize)]
        struct Imported<'a> {
            created: &'a [String],
        }
        audit::record(
            &mut tx,
            AuditEntry {
                subject: scope.subject(),
                action: "ImportUnits",
                resource: "units",
                request_id: None,
                at_ms: now,
            },
            None::<&()>,
            Some(&Imported { created: &created }),
        )
        .await?;
        tx.commit().await?;
        Ok(results)
    }
}

/// One multi-row INSERT that skips taken credit codes; returns the ids inserted.
pub(crate) async fn insert_units<'a>(
    conn: &mut sqlx::AnyConnection,
    units: impl Iterator<Item = &'a UnitRecord>,
) -> Result<HashSet<String>, sqlx::Error> {
    let mut sql = Sql::new(
        "INSERT INTO units (id, display_name, credit_code, region_code, city_code, kind, scale, nature, \
         employees, main_business, annual_revenue_10k_yuan, party_organisation_type, party_members, \
         party_instructor, party_service_centre, officer_name, officer_phone, state, \
         deregistration_reason, pool_reason, pool_target_tier, pool_added_by, pool_added_at, \
         version, created_at, updated_at) VALUES ",
    );
    for (i, u) in units.enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.bind(u.id.clone()).push(", ");
        sql.bind(u.display_name.clone()).push(", ");
        sql.bind(u.credit_code.clone()).push(", ");
        sql.bind(u.region_code.clone()).push(", ");
        sql.bind(u.city_code.clone()).push(", ");
        sql.bind(u.kind.clone()).push(", ");
        sql.bind(u.scale.clone()).push(", ");
        sql.bind(u.nature.clone()).push(", ");
        sql.bind(u.employees).push(", ");
        sql.bind(u.main_business.clone()).push(", ");
        sql.bind(u.annual_revenue_10k_yuan).push(", ");
        sql.bind(u.party_organisation_type.clone()).push(", ");
        sql.bind(u.party_members).push(", ");
        sql.bind(u.party_instructor.clone()).push(", ");
        sql.bind(u.party_service_centre.clone()).push(", ");
        sql.bind(u.officer_name.clone()).push(", ");
        sql.bind(u.officer_phone.clone()).push(", ");
        sql.bind(u.state.clone())
            .push(", NULL, NULL, NULL, NULL, NULL, ");
        sql.bind(u.version).push(", ");
        sql.bind(u.created_at).push(", ");
        sql.bind(u.updated_at).push(")");
    }
    sql.push(" ON CONFLICT (credit_code) DO NOTHING RETURNING id");
    let rows: Vec<(String,)> = sql.query_as().fetch_all(conn).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}
