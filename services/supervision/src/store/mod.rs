//! The supervision store: every read goes through one visibility rule
//! ([`push_visible`]), so a blind covert visit is absent alike from gets, lists and
//! counts (tasks, commendations and talks, never hidden, follow the same reach without
//! it); every write is one transaction with its audit record.

mod commendations;
mod counts;
mod deadlines;
mod history;
mod inspections;
mod talks;
mod tasks;

use std::sync::Arc;

use wenming_authz::{RowScope, Scope};
use wenming_domain::Clock;
use wenming_runtime::db::Database;
use wenming_runtime::sql::Sql;
use wenming_runtime::store::StoreBase;

pub use commendations::{CommendationFilter, CommendationRecord, NewCommendation};
pub use counts::SupervisionCounts;
pub use deadlines::{DeadlineFilter, DeadlineRecord, FoundItem, ScanOutcome};
pub use history::UnitHistory;
pub use inspections::{
    FindingRecord, InspectionFilter, InspectionRecord, NewInspection, VisitRecord,
};
pub use talks::{HeldTalk, NewTalk, TalkEnd, TalkFilter, TalkRecord};
pub use tasks::{NewTask, TaskEvent, TaskFilter, TaskOrigin, TaskRecord};

/// The supervision store.
#[derive(Clone, Debug)]
pub struct Store {
    base: StoreBase,
    /// Bumped when a scan adds deadline items (watchers wait on it).
    deadlines_changed: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Store {
    /// A store on `db`, judging dates by `clock`.
    pub fn new(db: Database, clock: Arc<dyn Clock>) -> Self {
        Self {
            base: StoreBase::new(db, clock),
            deadlines_changed: Arc::new(tokio::sync::watch::Sender::new(0)),
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
const BLIND: &str = "kind = 'covert_visit' AND state <> 'done'";

/// The columns a row's reach is read from: the office that owns it (the inspection's
/// planner, the task's follow-up office) as key, region and city; and what hides it from
/// everyone reading it only through its target.
struct Reach {
    office: &'static str,
    region: &'static str,
    city: &'static str,
    hidden: Option<&'static str>,
}

/// ` AND …`: the rows `scope` may see. Offices see the rows their office or one below
/// it owns, and the rows not hidden whose target lies in their region (the
/// provincial-direct office: whose target is provincial-direct); unit users the rows
/// not hidden whose target is their unit or a pairing it helps in; nobody else any.
fn push_reach(sql: &mut Sql, scope: &Scope, reach: &Reach) {
    let shown = reach
        .hidden
        .map_or_else(String::new, |hidden| format!("NOT ({hidden}) AND "));
    match scope.rows() {
        RowScope::Everything => {}
        RowScope::City(code) | RowScope::County(code) => {
            let (own, target) = if matches!(scope.rows(), RowScope::City(_)) {
                (reach.city, "target_city")
            } else {
                (reach.region, "target_region")
            };
            let code = code.to_string();
            sql.push(&format!(" AND ({own} = "))
                .bind(code.clone())
                .push(&format!(" OR ({shown}{target} = "))
                .bind(code)
                .push("))");
        }
        RowScope::ProvincialDirect => {
            sql.push(&format!(
                " AND ({} = 'provincial-direct' OR ({shown}target_direct = 1))",
                reach.office
            ));
        }
        RowScope::Unit(unit) => {
            let unit = unit.to_string();
            sql.push(&format!(" AND {shown}(target_unit = "))
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

/// The inspections `scope` may see: a covert visit not recorded as done is hidden from
/// everyone below its planner.
pub fn push_visible(sql: &mut Sql, scope: &Scope) {
    push_reach(
        sql,
        scope,
        &Reach {
            office: "planning_office",
            region: "planning_region",
            city: "planning_city",
            hidden: Some(BLIND),
        },
    );
}

/// The rectification tasks `scope` may see (never hidden: they come from recorded
/// visits).
pub fn push_task_visible(sql: &mut Sql, scope: &Scope) {
    push_reach(
        sql,
        scope,
        &Reach {
            office: "follow_up_office",
            region: "follow_up_region",
            city: "follow_up_city",
            hidden: None,
        },
    );
}

/// The commendations and talks `scope` may see (never hidden: a unit is told of both).
pub fn push_consequence_visible(sql: &mut Sql, scope: &Scope) {
    push_reach(
        sql,
        scope,
        &Reach {
            office: "office_key",
            region: "office_region",
            city: "office_city",
            hidden: None,
        },
    );
}

/// ` AND …`: rows whose target lies in `region` (a city or county code).
fn push_target_in(sql: &mut Sql, region: &str) {
    sql.push(" AND (target_region = ")
        .bind(region.to_owned())
        .push(" OR target_city = ")
        .bind(region.to_owned())
        .push(")");
}

/// JSON text of a value stored in a TEXT column.
fn to_json<T: serde::Serialize>(value: &T) -> crate::error::Result<String> {
    serde_json::to_string(value)
        .map_err(|err| crate::error::SupervisionError::Internal(format!("json: {err}")))
}
