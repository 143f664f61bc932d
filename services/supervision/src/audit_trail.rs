//! ListAuditRecords: which of supervision's resources an office below the province may read
//! the records of: an inspection, rectification task, admonishment talk or commendation it can read
//! itself (a planned covert visit stays NOT_FOUND below its planner, its records too). Read in its scope, so one outside it answers NOT_FOUND. The
//! province reads the whole trail.

use wenming_authz::Scope;
use wenming_runtime::audit_read;

use crate::error::{Result, SupervisionError};
use crate::service::SupervisionApi;

impl SupervisionApi {
    /// Reads `resource` in the caller's scope: NOT_FOUND outside it.
    pub(crate) async fn audit_readable(&self, scope: &Scope, resource: String) -> Result<()> {
        let store = self.store();
        if let Some(id) = resource.strip_prefix("inspections/") {
            store.get_inspection(scope, id).await?;
        } else if let Some(id) = resource.strip_prefix("rectificationTasks/") {
            store.get_task(scope, id).await?;
        } else if let Some(id) = resource.strip_prefix("admonishmentTalks/") {
            store.get_talk(scope, id).await?;
        } else if let Some(id) = resource.strip_prefix("commendations/") {
            store.get_commendation(scope, id).await?;
        } else {
            return Err(SupervisionError::from(audit_read::unreadable_kind(
                &resource,
                "inspections/{id}, rectificationTasks/{id}, admonishmentTalks/{id} or commendations/{id}",
            )));
        }
        Ok(())
    }
}
