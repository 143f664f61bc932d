//! The supervision store: every read goes through one visibility rule
//! ([`push_visible`]), so a blind covert visit is absent alike from gets, lists and
//! counts; every write is one transaction with its audit record.

mod inspections;

use std::sync::Arc;

use wenming_authz::{RowScope, Scope};
use wenming_domain::Clock;
use wenming_runtime::db::Database;
use wenming_runtime::sql::Sql;
use wenming_runtime::store::StoreBase;

pub use inspections::{
    FindingRecord, InspectionFilter, InspectionRecord, NewInspection, VisitRecord,
};

/// The supervision store.
#[derive(Clone, Debug)]
pub struct Store {
    base: StoreBase,
}

impl Store {
    /// A store on `db`, judging dates by `clock`.
    pub fn new(db: Database, clock: Arc<dyn Clock>) -> Self {
        Self {
            base: StoreBase::new(db, clock),
        }
    }
}

impl std::ops::Deref for Store {
    type Target = StoreBase;

    fn deref(&self) -> &StoreBase {
        &self.base
    }
}

/// The SQL of a blind row: a covert visit not recorded as done (`rules::blind`).
const BLIND: &str = "(kind = 'covert_visit' AND state <> 'done')";

/// ` AND …`: the inspections `scope` may see. Offices see what their office or one
/// below it planned, and what is not blind and targets their region; unit users what
/// is not blind and targets their unit or a pairing their unit helps in; nobody else
/// anything.
pub fn push_visible(sql: &mut Sql, scope: &Scope) {
    match scope.rows() {
        RowScope::Everything => {}
        RowScope::City(city) => {
            let city = city.to_string();
            sql.push(" AND (planning_city = ")
                .bind(city.clone())
                .push(&format!(" OR (NOT {BLIND} AND target_city = "))
                .bind(city)
                .push("))");
        }
        RowScope::County(county) => {
            let county = county.to_string();
            sql.push(" AND (planning_region = ")
                .bind(county.clone())
                .push(&format!(" OR (NOT {BLIND} AND target_region = "))
                .bind(county)
                .push("))");
        }
        RowScope::ProvincialDirect => {
            sql.push(&format!(
                " AND (planning_office = 'provincial-direct' OR (NOT {BLIND} AND target_direct = 1))"
            ));
        }
        RowScope::Unit(unit) => {
            let unit = unit.to_string();
            sql.push(&format!(" AND NOT {BLIND} AND (target_unit = "))
                .bind(unit.clone())
                .push(" OR target_helper_unit = ")
                .bind(unit)
                .push(")");
        }
        RowScope::Nothing => {
            sql.push(" AND 1 = 0");
        }
    }
}
