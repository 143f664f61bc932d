//! ListAuditRecords: which of quota's resources an office below the province may read
//! the records of: a designation it can read itself (allocation tables and recommendation lists are
//! the province's). Read in its scope, so one outside it answers NOT_FOUND. The
//! province reads the whole trail.

use wenming_authz::Scope;
use wenming_runtime::audit_read;

use crate::error::{QuotaError, Result};
use crate::service::QuotaApi;

impl QuotaApi {
    /// Reads `resource` in the caller's scope: NOT_FOUND outside it.
    pub(crate) async fn audit_readable(&self, scope: &Scope, resource: String) -> Result<()> {
        match resource.strip_prefix("designations/") {
            Some(id) => {
                self.store().get_designation(scope, id).await?;
            }
            None => {
                return Err(QuotaError::from(audit_read::unreadable_kind(
                    &resource,
                    "designations/{id}",
                )));
            }
        }
        Ok(())
    }
}
