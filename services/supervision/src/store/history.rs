//! A unit's supervision history: the newest rows of each kind about the unit that the
//! caller may see, each kind read through its own visibility rule.

use wenming_authz::Scope;
use wenming_runtime::sql::{Sql, Table};

use super::{
    CommendationRecord, InspectionRecord, Store, TalkRecord, TaskRecord, push_consequence_visible,
    push_task_visible, push_visible,
};
use crate::error::Result;

/// Most rows of each kind a history holds.
pub const HISTORY_PER_KIND: i64 = 200;

/// The rows about one unit, newest first within each kind.
#[derive(Debug, Default)]
pub struct UnitHistory {
    pub inspections: Vec<InspectionRecord>,
    pub tasks: Vec<TaskRecord>,
    pub commendations: Vec<CommendationRecord>,
    pub talks: Vec<TalkRecord>,
    /// Whether a kind had more rows than [`HISTORY_PER_KIND`].
    pub truncated: bool,
}

impl Store {
    /// The history of the unit `unit_id` as `scope` may see it.
    pub async fn unit_history(&self, scope: &Scope, unit_id: &str) -> Result<UnitHistory> {
        let mut history = UnitHistory::default();
        let mut truncated = false;
        history.inspections = self
            .newest(scope, unit_id, push_visible, &mut truncated)
            .await?;
        history.tasks = self
            .newest(scope, unit_id, push_task_visible, &mut truncated)
            .await?;
        history.commendations = self
            .newest(scope, unit_id, push_consequence_visible, &mut truncated)
            .await?;
        history.talks = self
            .newest(scope, unit_id, push_consequence_visible, &mut truncated)
            .await?;
        history.truncated = truncated;
        Ok(history)
    }

    async fn newest<T>(
        &self,
        scope: &Scope,
        unit_id: &str,
        visible: fn(&mut Sql, &Scope),
        truncated: &mut bool,
    ) -> Result<Vec<T>>
    where
        T: Table,
    {
        let mut sql = Sql::new(&format!(
            "SELECT {} FROM {} WHERE target_unit = ",
            T::COLUMNS,
            T::FROM
        ));
        sql.bind(unit_id.to_owned());
        visible(&mut sql, scope);
        sql.push(&format!(
            " ORDER BY {} DESC LIMIT {}",
            T::KEY,
            HISTORY_PER_KIND + 1
        ));
        let mut rows: Vec<T> = sql.query_as().fetch_all(self.db.pool()).await?;
        if rows.len() as i64 > HISTORY_PER_KIND {
            rows.truncate(HISTORY_PER_KIND as usize);
            *truncated = true;
        }
        Ok(rows)
    }
}
