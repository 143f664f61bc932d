//! Bulk registration: batches of rows, one result per row. A bad row never stops the
//! good ones; each batch commits in one transaction with one audit record.

use std::collections::HashSet;

use serde::Serialize;
use wenming_authz::Scope;
use wenming_domain::UnitId;
use wenming_runtime::db::{Backend, is_unique_violation};
use wenming_runtime::sql::Sql;
use wenming_runtime::status::Violation;

use super::Store;
use super::units::{NewUnit, UnitRecord};
use crate::error::{RegistryError, Result};
use crate::messages as msg;
use wenming_runtime::audit::{self, AuditEntry};

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
        crate::rules::office(
            scope,
            &msg::OFFICES_REGISTER,
            "only civilisation offices register units",
        )?;
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
                            pending.push((results.len(), self.unit_record(&id, unit, now)));
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
        let ids: Vec<(usize, String)> = pending.iter().map(|(i, u)| (*i, u.id.clone())).collect();
        let records: Vec<UnitRecord> = pending.into_iter().map(|(_, u)| u).collect();
        let inserted = match &self.pg_bulk {
            Some(pg) => copy_units(pg, scope, &records, now).await?,
            None => self.insert_batch(scope, records, now).await?,
        };
        for (index, id) in &ids {
            if !inserted.contains(id) {
                results[*index].outcome = ImportOutcome::Duplicate;
            }
        }
        Ok(results)
    }

    /// The portable path: multi-row INSERTs in one transaction.
    async fn insert_batch(
        &self,
        scope: &Scope,
        units: Vec<UnitRecord>,
        now: i64,
    ) -> Result<HashSet<String>> {
        let ids: Vec<String> = units.iter().map(|u| u.id.clone()).collect();
        let mut tx = self.db.write_at(scope, now, None).await?;
        let mut inserted = HashSet::with_capacity(units.len());
        let mut units = units.into_iter().peekable();
        while units.peek().is_some() {
            let chunk = units.by_ref().take(ROWS_PER_STATEMENT);
            inserted.extend(insert_units(&mut tx, self.db.backend(), chunk).await?);
        }
        let created: Vec<String> = ids.into_iter().filter(|id| inserted.contains(id)).collect();
        tx.audit(
            "ImportUnits",
            "units",
            None::<&()>,
            Some(&Imported { created: &created }),
        )?;
        tx.commit().await?;
        Ok(inserted)
    }
}

#[derive(Serialize)]
struct Imported<'a> {
    created: &'a [String],
}

/// The audit record of an import on the COPY path, which writes on a native PostgreSQL
/// connection (sqlx `Any` cannot COPY) and so cannot go through `WriteTx`.
fn import_audit(scope: &Scope, now: i64) -> AuditEntry<'_> {
    AuditEntry {
        subject: scope.subject(),
        action: "ImportUnits",
        resource: "units",
        request_id: None,
        at_ms: now,
    }
}

fn created_in_order(units: &[UnitRecord], inserted: &HashSet<String>) -> Vec<String> {
    units
        .iter()
        .filter(|u| inserted.contains(&u.id))
        .map(|u| u.id.clone())
        .collect()
}

/// The PostgreSQL fast path: `COPY` straight into `units` the rows whose credit code is
/// not registered yet. Should another call register one of them in between, the COPY
/// fails on the unique index and the batch goes again through a staging table whose
/// INSERT skips taken codes.
async fn copy_units(
    pg: &sqlx::PgPool,
    scope: &Scope,
    units: &[UnitRecord],
    now: i64,
) -> Result<HashSet<String>> {
    match copy_new_units(pg, scope, units, now).await {
        Err(RegistryError::Database(err)) if is_unique_violation(&err) => {
            copy_through_staging(pg, scope, units, now).await
        }
        other => other,
    }
}

async fn copy_new_units(
    pg: &sqlx::PgPool,
    scope: &Scope,
    units: &[UnitRecord],
    now: i64,
) -> Result<HashSet<String>> {
    let mut tx = pg.begin().await?;
    let codes: Vec<String> = units.iter().map(|u| u.credit_code.clone()).collect();
    let taken: Vec<(String,)> =
        sqlx::query_as("SELECT credit_code FROM units WHERE credit_code = ANY($1)")
            .bind(codes)
            .fetch_all(&mut *tx)
            .await?;
    let taken: HashSet<String> = taken.into_iter().map(|(code,)| code).collect();
    let fresh: Vec<&UnitRecord> = units
        .iter()
        .filter(|u| !taken.contains(&u.credit_code))
        .collect();
    copy_in(&mut tx, "units", &fresh).await?;
    let inserted: HashSet<String> = fresh.iter().map(|u| u.id.clone()).collect();
    finish(tx, scope, units, &inserted, now).await?;
    Ok(inserted)
}

async fn copy_through_staging(
    pg: &sqlx::PgPool,
    scope: &Scope,
    units: &[UnitRecord],
    now: i64,
) -> Result<HashSet<String>> {
    let mut tx = pg.begin().await?;
    sqlx::query(
        "CREATE TEMPORARY TABLE import_units (LIKE units INCLUDING DEFAULTS) ON COMMIT DROP",
    )
    .execute(&mut *tx)
    .await?;
    copy_in(&mut tx, "import_units", &units.iter().collect::<Vec<_>>()).await?;
    let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO units ({COPY_COLUMNS}) SELECT {COPY_COLUMNS} FROM import_units \
         ON CONFLICT (credit_code) DO NOTHING RETURNING id"
    )))
    .fetch_all(&mut *tx)
    .await?;
    let inserted: HashSet<String> = rows.into_iter().map(|(id,)| id).collect();
    finish(tx, scope, units, &inserted, now).await?;
    Ok(inserted)
}

async fn copy_in(
    tx: &mut sqlx::PgConnection,
    table: &str,
    units: &[&UnitRecord],
) -> Result<(), sqlx::Error> {
    let mut data = Vec::with_capacity(units.len() * 256);
    for unit in units {
        copy_row(&mut data, unit);
    }
    let mut copy = tx
        .copy_in_raw(&format!("COPY {table} ({COPY_COLUMNS}) FROM STDIN"))
        .await?;
    copy.send(data).await?;
    copy.finish().await?;
    Ok(())
}

/// Writes the audit record and commits.
async fn finish(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    scope: &Scope,
    units: &[UnitRecord],
    inserted: &HashSet<String>,
    now: i64,
) -> Result<()> {
    let created = created_in_order(units, inserted);
    audit::record_pg(
        &mut tx,
        import_audit(scope, now),
        &Imported { created: &created },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

const COPY_COLUMNS: &str = "id, display_name, credit_code, region_code, city_code, kind, scale, \
    nature, employees, main_business, annual_revenue_10k_yuan, party_organisation_type, \
    party_members, party_instructor, party_service_centre, officer_name, officer_phone, state, \
    version, created_at, updated_at, provincial_direct, base_level";

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
    for n in [
        u.version,
        u.created_at,
        u.updated_at,
        u.provincial_direct,
        u.base_level,
    ] {
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
pub(crate) async fn insert_units(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    units: impl Iterator<Item = UnitRecord>,
) -> Result<HashSet<String>, sqlx::Error> {
    let mut sql = Sql::for_backend(
        backend,
        "INSERT INTO units (id, display_name, credit_code, region_code, city_code, kind, scale, nature, \
         employees, main_business, annual_revenue_10k_yuan, party_organisation_type, party_members, \
         party_instructor, party_service_centre, officer_name, officer_phone, state, \
         deregistration_reason, pool_reason, pool_target_tier, pool_added_by, pool_added_at, \
         version, created_at, updated_at, provincial_direct, base_level) VALUES ",
    );
    for (i, u) in units.enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.bind(u.id).push(", ");
        sql.bind(u.display_name).push(", ");
        sql.bind(u.credit_code).push(", ");
        sql.bind(u.region_code).push(", ");
        sql.bind(u.city_code).push(", ");
        sql.bind(u.kind).push(", ");
        sql.bind(u.scale).push(", ");
        sql.bind(u.nature).push(", ");
        sql.bind(u.employees).push(", ");
        sql.bind(u.main_business).push(", ");
        sql.bind(u.annual_revenue_10k_yuan).push(", ");
        sql.bind(u.party_organisation_type).push(", ");
        sql.bind(u.party_members).push(", ");
        sql.bind(u.party_instructor).push(", ");
        sql.bind(u.party_service_centre).push(", ");
        sql.bind(u.officer_name).push(", ");
        sql.bind(u.officer_phone).push(", ");
        sql.bind(u.state).push(", NULL, NULL, NULL, NULL, NULL, ");
        sql.bind(u.version).push(", ");
        sql.bind(u.created_at).push(", ");
        sql.bind(u.updated_at).push(", ");
        sql.bind(u.provincial_direct).push(", ");
        sql.bind(u.base_level).push(")");
    }
    sql.push(" ON CONFLICT (credit_code) DO NOTHING RETURNING id");
    let rows: Vec<(String,)> = sql.query_as().fetch_all(conn).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use wenming_authz::{IdentityKey, IdentitySigner, IdentityVerifier, Principal};
    use wenming_domain::{AdminLevel, CreditCode, RegionCode, SystemClock};

    use super::*;
    use crate::store::{NewUnit, UnitFields};

    /// The fallback the COPY path takes when it loses a race: taken codes are skipped.
    #[tokio::test]
    async fn staging_path_skips_taken_codes() {
        let Some(test_db) = wenming_testkit::TestDb::postgres().await else {
            return;
        };
        let db = test_db.open(&crate::MIGRATIONS).await;
        let store = Store::new(db.clone(), Arc::new(SystemClock));
        let key = IdentityKey::generate();
        let region = RegionCode::parse("410421").unwrap();
        let token =
            IdentitySigner::new(&key).sign(&Principal::office("t", AdminLevel::County, region));
        let scope = IdentityVerifier::new(&key).verify(&token).unwrap();
        let record = |n: u32| {
            let unit = NewUnit {
                credit_code: CreditCode::complete(&format!("91410421{n:08}")).unwrap(),
                fields: UnitFields {
                    display_name: wenming_domain::UnitName::parse("某某公司").unwrap(),
                    region,
                    kind: wenming_domain::UnitKind::PrivateEnterprise,
                    scale: None,
                    nature: String::new(),
                    employees: 0,
                    main_business: String::new(),
                    annual_revenue_10k_yuan: 0,
                    party_organisation_type: None,
                    party_members: 0,
                    party_instructor: String::new(),
                    party_service_centre: String::new(),
                    officer_name: None,
                    officer_phone: None,
                    provincial_direct: false,
                    base_level: false,
                },
            };
            store.unit_record(&wenming_domain::UnitId::new().to_string(), unit, 0)
        };
        let first = record(1);
        let pg = store.pg_bulk.clone().unwrap();
        let inserted = copy_through_staging(&pg, &scope, std::slice::from_ref(&first), 0)
            .await
            .unwrap();
        assert!(inserted.contains(&first.id));
        let mut again = record(1);
        again.id = wenming_domain::UnitId::new().to_string();
        let second = record(2);
        let both = [again.clone(), second.clone()];
        // The direct COPY fails on the taken code...
        assert!(matches!(
            copy_in(&mut pg.begin().await.unwrap(), "units", &both.iter().collect::<Vec<_>>()).await,
            Err(err) if is_unique_violation(&err)
        ));
        // ...and the staging path keeps the new row only.
        let inserted = copy_through_staging(&pg, &scope, &both, 0).await.unwrap();
        assert_eq!(inserted, HashSet::from([second.id.clone()]));
        db.close().await;
        test_db.cleanup().await;
    }

    #[test]
    fn copy_text_escapes_separators() {
        let mut out = Vec::new();
        escape_copy_text(&mut out, "a\tb\nc\\d\re");
        assert_eq!(out, b"a\\tb\\nc\\\\d\\re");
    }
}
