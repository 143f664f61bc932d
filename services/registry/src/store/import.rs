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
        let records: Vec<&UnitRecord> = pending.iter().map(|(_, u)| u).collect();
        let inserted = match &self.pg_bulk {
            Some(pg) => copy_units(pg, scope, &records, now).await?,
            None => self.insert_batch(scope, &records, now).await?,
        };
        for (index, unit) in &pending {
            if !inserted.contains(&unit.id) {
                results[*index].outcome = ImportOutcome::Duplicate;
            }
        }
        Ok(results)
    }

    /// The portable path: multi-row INSERTs in one transaction.
    async fn insert_batch(
        &self,
        scope: &Scope,
        units: &[&UnitRecord],
        now: i64,
    ) -> Result<HashSet<String>> {
        let mut tx = self.db.begin_write().await?;
        let mut inserted = HashSet::with_capacity(units.len());
        for chunk in units.chunks(ROWS_PER_STATEMENT) {
            inserted.extend(insert_units(&mut tx, chunk.iter().copied()).await?);
        }
        let created = created_in_order(units, &inserted);
        audit::record(
            &mut tx,
            import_audit(scope, now),
            None::<&()>,
            Some(&Imported { created: &created }),
        )
        .await?;
        tx.commit().await?;
        Ok(inserted)
    }
}

#[derive(Serialize)]
struct Imported<'a> {
    created: &'a [String],
}

fn import_audit(scope: &Scope, now: i64) -> AuditEntry<'_> {
    AuditEntry {
        subject: scope.subject(),
        action: "ImportUnits",
        resource: "units",
        request_id: None,
        at_ms: now,
    }
}

fn created_in_order(units: &[&UnitRecord], inserted: &HashSet<String>) -> Vec<String> {
    units
        .iter()
        .filter(|u| inserted.contains(&u.id))
        .map(|u| u.id.clone())
        .collect()
}

/// The PostgreSQL fast path: `COPY` the batch into a temporary table, then move the
/// rows whose credit code is free into `units`, all in one transaction.
async fn copy_units(
    pg: &sqlx::PgPool,
    scope: &Scope,
    units: &[&UnitRecord],
    now: i64,
) -> Result<HashSet<String>> {
    let mut tx = pg.begin().await?;
    sqlx::query(
        "CREATE TEMPORARY TABLE import_units (LIKE units INCLUDING DEFAULTS) ON COMMIT DROP",
    )
    .execute(&mut *tx)
    .await?;
    let mut data = Vec::with_capacity(units.len() * 256);
    for unit in units {
        copy_row(&mut data, unit);
    }
    let mut copy = tx
        .copy_in_raw(&format!("COPY import_units ({COPY_COLUMNS}) FROM STDIN"))
        .await?;
    copy.send(data).await?;
    copy.finish().await?;
    let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO units ({COPY_COLUMNS}) SELECT {COPY_COLUMNS} FROM import_units \
         ON CONFLICT (credit_code) DO NOTHING RETURNING id"
    )))
    .fetch_all(&mut *tx)
    .await?;
    let inserted: HashSet<String> = rows.into_iter().map(|(id,)| id).collect();
    let created = created_in_order(units, &inserted);
    audit::record_pg(
        &mut tx,
        import_audit(scope, now),
        &Imported { created: &created },
    )
    .await?;
    tx.commit().await?;
    Ok(inserted)
}

const COPY_COLUMNS: &str = "id, display_name, credit_code, region_code, city_code, kind, scale, \
    nature, employees, main_business, annual_revenue_10k_yuan, party_organisation_type, \
    party_members, party_instructor, party_service_centre, officer_name, officer_phone, state, \
    version, created_at, updated_at";

/// One row in COPY's text format: tab-separated, `\N` for NULL.
fn copy_row(out: &mut Vec<u8>, u: &UnitRecord) {
    let texts: [Option<&str>; 18] = [
        Some(&u.id),
        Some(&u.display_name),
        Some(&u.credit_code),
        Some(&u.region_code),
        Some(&u.city_code),
        Some(&u.kind),
        u.scale.as_deref(),
        Some(&u.nature),
        None,
        Some(&u.main_business),
        None,
        u.party_organisation_type.as_deref(),
        None,
        Some(&u.party_instructor),
        Some(&u.party_service_centre),
        Some(&u.officer_name),
        Some(&u.officer_phone),
        Some(&u.state),
    ];
    let numbers = [
        (8, u.employees),
        (10, u.annual_revenue_10k_yuan),
        (12, u.party_members),
    ];
    for (i, text) in texts.iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        if let Some((_, n)) = numbers.iter().find(|(at, _)| *at == i) {
            out.extend_from_slice(n.to_string().as_bytes());
        } else {
            match text {
                Some(text) => escape_copy_text(out, text),
                None => out.extend_from_slice(b"\\N"),
            }
        }
    }
    for n in [u.version, u.created_at, u.updated_at] {
        out.push(b'\t');
        out.extend_from_slice(n.to_string().as_bytes());
    }
    out.push(b'\n');
}

/// Escapes a value for COPY's text format (backslash, tab, newline, carriage return).
fn escape_copy_text(out: &mut Vec<u8>, text: &str) {
    for byte in text.bytes() {
        match byte {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            other => out.push(other),
        }
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

#[cfg(test)]
mod tests {
    use super::escape_copy_text;

    #[test]
    fn copy_text_escapes_separators() {
        let mut out = Vec::new();
        escape_copy_text(&mut out, "a\tb\nc\\d\re");
        assert_eq!(out, b"a\\tb\\nc\\\\d\\re");
    }
}
