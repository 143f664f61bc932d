//! Every service's `ListAuditRecords` has the same request and response shape, in its
//! own package (buf wants one request type per RPC): these traits let one function
//! answer all of them (`wenming_runtime::audit_read::answer`).

use crate::common::v1::AuditRecord;

/// A `ListAuditRecordsRequest` of any service.
pub trait AuditListRequest {
    /// Only this resource's records.
    fn resource(&self) -> &str;
    /// Only this actor's changes.
    fn actor(&self) -> &str;
    /// At or after this instant.
    fn start_time(&self) -> Option<&prost_types::Timestamp>;
    /// Before this instant.
    fn end_time(&self) -> Option<&prost_types::Timestamp>;
    /// The page size asked for.
    fn page_size(&self) -> i32;
    /// From a previous response.
    fn page_token(&self) -> &str;
}

/// A `ListAuditRecordsResponse` of any service.
pub trait AuditListResponse {
    /// A page of `records` and the token of the next.
    fn page(records: Vec<AuditRecord>, next_page_token: String) -> Self;
}

macro_rules! audit_messages {
    ($($package:ident),*) => {$(
        impl AuditListRequest for crate::$package::v1::ListAuditRecordsRequest {
            fn resource(&self) -> &str {
                &self.resource
            }
            fn actor(&self) -> &str {
                &self.actor
            }
            fn start_time(&self) -> Option<&prost_types::Timestamp> {
                self.start_time.as_ref()
            }
            fn end_time(&self) -> Option<&prost_types::Timestamp> {
                self.end_time.as_ref()
            }
            fn page_size(&self) -> i32 {
                self.page_size
            }
            fn page_token(&self) -> &str {
                &self.page_token
            }
        }

        impl AuditListResponse for crate::$package::v1::ListAuditRecordsResponse {
            fn page(records: Vec<AuditRecord>, next_page_token: String) -> Self {
                Self {
                    records,
                    next_page_token,
                }
            }
        }
    )*};
}

audit_messages!(registry, pairing, quota, supervision);
