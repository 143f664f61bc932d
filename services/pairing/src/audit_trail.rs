//! ListAuditRecords: which of pairing's resources an office below the province may read
//! the records of: a pairing it can read itself, or what is under one (its work plan, ledger entries,
//! activities). Read in its scope, so one outside it answers NOT_FOUND. The
//! province reads the whole trail.

use wenming_authz::Scope;
use wenming_runtime::audit_read;

use crate::error::{PairingError, Result};
use crate::service::PairingApi;

impl PairingApi {
    /// Reads `resource` in the caller's scope: NOT_FOUND outside it.
    pub(crate) async fn audit_readable(&self, scope: &Scope, resource: String) -> Result<()> {
        let id = resource
            .strip_prefix("pairings/")
            .map(|rest| rest.split('/').next().unwrap_or(rest));
        match id {
            Some(id) => {
                self.store().get_pairing(scope, id).await?;
            }
            None => {
                return Err(PairingError::from(audit_read::unreadable_kind(
                    &resource,
                    "pairings/{id} (or what is under it)",
                )));
            }
        }
        Ok(())
    }
}
