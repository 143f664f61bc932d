//! ListAuditRecords: the registry's audit trail. The province reads all of it; another
//! office names a unit or a campaign it can read (checked by reading it in its scope,
//! so a unit outside it answers NOT_FOUND), and reads that resource's records.

use wenming_authz::Scope;
use wenming_proto::registry::v1 as pb;
use wenming_runtime::audit_read::{self, AuditQuery, Reach};
use wenming_runtime::catalogue::common;
use wenming_runtime::status::Violation;

use crate::error::{RegistryError, Result};
use crate::service::RegistryApi;

impl RegistryApi {
    pub(crate) async fn list_audit_call(
        &self,
        scope: &Scope,
        req: &pb::ListAuditRecordsRequest,
    ) -> Result<pb::ListAuditRecordsResponse> {
        let query = AuditQuery::parse(
            &req.resource,
            &req.actor,
            req.start_time.as_ref(),
            req.end_time.as_ref(),
            req.page_size,
            &req.page_token,
        )?;
        if let Reach::Resource(resource) = audit_read::reach(scope.principal(), &query)? {
            self.check_readable(scope, &resource).await?;
        }
        let page = self.store().db.list_audit(&query).await?;
        Ok(pb::ListAuditRecordsResponse {
            records: page.records,
            next_page_token: page.next_page_token,
        })
    }

    /// Reads `resource` in the caller's scope: NOT_FOUND outside it.
    async fn check_readable(&self, scope: &Scope, resource: &str) -> Result<()> {
        if let Some(id) = resource.strip_prefix("units/") {
            self.store().get_unit(scope, id).await?;
        } else if let Some(id) = resource.strip_prefix("campaigns/") {
            self.store().get_campaign(scope, id).await?;
        } else {
            return Err(RegistryError::from(
                Violation::new(
                    "resource",
                    &common::RESOURCE_NAME,
                    "below the province, name a unit (units/{id}) or a campaign (campaigns/{id})",
                )
                .arg("collection", "units")
                .arg("value", resource),
            ));
        }
        Ok(())
    }
}
