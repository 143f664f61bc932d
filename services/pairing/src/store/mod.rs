//! The pairing store: every rule that must hold under concurrency (one-to-one, the
//! open list, plan versions) is enforced here by the database, inside one transaction
//! with its audit record.

mod lists;
mod pairings;
mod work;

use std::sync::Arc;

use serde::Serialize;
use wenming_authz::{Role, RowScope, Scope};
use wenming_domain::{AdminLevel, Clock, Divisions, RegionCode};
use wenming_runtime::db::Database;
use wenming_runtime::sql::Sql;

pub use lists::{ListEventRecord, PairingListRecord, PairingListView};
pub use pairings::{
    EventRecord, ExceptionRecord, NewException, NewPairing, PairingFilter, PairingRecord,
    PairingView, Transition,
};
pub use work::{
    ActivityRecord, LedgerEntryRecord, MilestoneRecord, NewActivity, NewLedgerEntry, NewWorkPlan,
    WorkPlanRecord,
};

use crate::error::{PairingError, Result};
use crate::messages as msg;
use wenming_runtime::catalogue::Rule;

/// The pairing store.
#[derive(Clone, Debug)]
pub struct Store {
    db: Database,
    clock: Arc<dyn Clock>,
    divisions: &'static Divisions,
}

/// What the caller may do with one pairing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Access {
    /// Read it and its work.
    read: bool,
    /// Confirm, conclude or dissolve it: the arranging office or an office above.
    arrange: bool,
    /// Write its plan, ledger, activities and brand: the helper or the unit.
    work: bool,
    /// Accept it (proposed → active): the helper (unit or office).
    accept: bool,
}

impl Store {
    /// A store on `db`, judging dates and deadlines by `clock`.
    pub fn new(db: Database, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            clock,
            divisions: Divisions::henan(),
        }
    }

    /// The division table.
    pub fn divisions(&self) -> &'static Divisions {
        self.divisions
    }

    /// The clock.
    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// The caller's rights on `pairing`.
    fn access(&self, scope: &Scope, pairing: &PairingRecord) -> Access {
        match &scope.principal().role {
            Role::Office { region, .. } => {
                let arrange = RegionCode::parse(&pairing.office_region)
                    .is_ok_and(|office| scope.office_contains(self.divisions, office));
                let work = pairing.helper == office_name(*region);
                let read = arrange
                    || work
                    || scope.rows().allows(
                        &pairing.unit_id,
                        &pairing.unit_region,
                        &pairing.unit_city,
                    );
                Access {
                    read,
                    arrange,
                    work,
                    // A helper office accepts a pairing arranged above it.
                    accept: work,
                }
            }
            Role::Unit { unit } => {
                let unit = unit.to_string();
                let helper = pairing.helper_unit_id.as_deref() == Some(unit.as_str());
                let own = helper || pairing.unit_id == unit;
                Access {
                    read: own,
                    arrange: false,
                    work: own,
                    accept: helper,
                }
            }
            Role::Platform { .. } => Access::default(),
        }
    }
}

/// The resource name of an office as a helper: "offices/{region_code}".
pub fn office_name(region: RegionCode) -> String {
    format!("offices/{region}")
}

/// The office level and region of a caller that must be an office.
fn office_of(
    scope: &Scope,
    rule: &'static Rule,
    what: &'static str,
) -> Result<(AdminLevel, RegionCode)> {
    scope.office().ok_or(PairingError::denied(rule, what))
}

/// Only city and county offices arrange pairings (and keep pairing lists).
pub(crate) fn require_arranging_office(scope: &Scope) -> Result<(AdminLevel, RegionCode)> {
    match office_of(
        scope,
        &msg::ARRANGE,
        "only city and county offices arrange pairings",
    )? {
        (level @ (AdminLevel::City | AdminLevel::County), region) => Ok((level, region)),
        _ => Err(PairingError::denied(
            &msg::ARRANGE,
            "only city and county offices arrange pairings; the province grants exceptions",
        )),
    }
}

/// Only the provincial office grants exceptions and reopens lists; `what` says which.
pub(crate) fn require_province(
    scope: &Scope,
    rule: &'static Rule,
    what: &'static str,
) -> Result<RegionCode> {
    match office_of(scope, rule, what)? {
        (AdminLevel::Province, region) => Ok(region),
        _ => Err(PairingError::denied(rule, what)),
    }
}

/// Appends ` AND (...)` restricting pairings to those `scope` reads: its units' pairings
/// for offices, plus those it helps; a unit's own pairings and those it helps.
fn push_pairing_scope(sql: &mut Sql, scope: &Scope) {
    match scope.rows() {
        RowScope::Everything => {}
        RowScope::City(city) => {
            sql.push(" AND (unit_city = ")
                .bind(city.to_string())
                .push(" OR helper = ")
                .bind(office_name(city))
                .push(")");
        }
        RowScope::County(county) => {
            sql.push(" AND (unit_region = ")
                .bind(county.to_string())
                .push(" OR helper = ")
                .bind(office_name(county))
                .push(")");
        }
        RowScope::Unit(unit) => {
            sql.push(" AND (unit_id = ")
                .bind(unit.to_string())
                .push(" OR helper_unit_id = ")
                .bind(unit.to_string())
                .push(")");
        }
        RowScope::Nothing => {
            sql.push(" AND 1 = 0");
        }
    }
}

/// JSON text of a value stored in a TEXT column.
fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|err| PairingError::Internal(format!("json: {err}")))
}

/// A value read back from a JSON TEXT column.
fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|err| PairingError::Internal(format!("stored json: {err}")))
}
