//! ListAuditRecords: which of the registry's resources an office below the province
//! may read the records of: a unit or a campaign it can read itself (read in its scope,
//! so one outside it answers NOT_FOUND). The province reads the whole trail.

use wenming_authz::Scope;
use wenming_runtime::audit_read;

use crate::error::{RegistryError, Result};
use crate::service::RegistryApi;

impl RegistryApi {
    /// Reads `resource` in the caller's scope: NOT_FOUND outside it.
    pub(crate) async fn audit_readable(&self, scope: &Scope, resource: String) -> Result<()> {
        if let Some(id) = resource.strip_prefix("units/") {
            self.store().get_unit(scope, id).await?;
        } else if let Some(id) = resource.strip_prefix("campaigns/") {
            self.store().get_campaign(scope, id).await?;
        } else {
            return Err(RegistryError::from(audit_read::unreadable_kind(
                &resource,
                "units/{id} or campaigns/{id}",
            )));
        }
        Ok(())
    }
}
