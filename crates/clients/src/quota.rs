//! What services ask the quota service: the places of each holder and how many are
//! designated, as a progress report needs them.

use std::time::Duration;

use tonic::Code;
use wenming_proto::quota::v1 as pb;
use wenming_proto::quota::v1::quota_service_client::QuotaServiceClient;
use wenming_runtime::onward::Onward;
use wenming_runtime::upstream::Upstream;

use crate::error::ClientError;
use crate::messages::{ALLOCATION_TABLE, QUOTA_SERVICE};

/// One holder's places in an allocation table in force, all tiers together.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HolderPlaces {
    /// The holder's key: a city's region code, or "provincial-direct".
    pub holder: String,
    /// Places allocated.
    pub quota: u64,
    /// Places taken by active designations.
    pub designated: u64,
}

/// The quota service, as another service asks it on behalf of its caller (who must be
/// the province or a holder: the quota service answers each its own rows).
#[tonic::async_trait]
pub trait Quota: Send + Sync + std::fmt::Debug {
    /// The places and designations of table `table` ("allocationTables/{period}") the
    /// caller may read; NOT_FOUND when it has no confirmed version (none is in force).
    async fn places(&self, onward: &Onward, table: &str) -> Result<Vec<HolderPlaces>, ClientError>;
}

/// The quota service over gRPC.
#[derive(Clone, Debug)]
pub struct GrpcQuota {
    client: QuotaServiceClient<Upstream>,
    timeout: Duration,
}

impl GrpcQuota {
    /// The quota service through `upstream`; each call takes at most `timeout`.
    pub fn new(upstream: Upstream, timeout: Duration) -> Self {
        Self {
            client: QuotaServiceClient::new(upstream),
            timeout,
        }
    }
}

#[tonic::async_trait]
impl Quota for GrpcQuota {
    async fn places(&self, onward: &Onward, table: &str) -> Result<Vec<HolderPlaces>, ClientError> {
        let mut client = self.client.clone();
        let answer = onward
            .call(
                pb::GetFulfilmentRequest {
                    table: table.to_owned(),
                },
                self.timeout,
                |request| client.get_fulfilment(request),
            )
            .await;
        let fulfilment = match answer {
            Ok(f) => f,
            // A table without a confirmed version is no table in force.
            Err(status) if status.code() == Code::FailedPrecondition => {
                return Err(ClientError::NotFound {
                    kind: &ALLOCATION_TABLE,
                    name: table.to_owned(),
                });
            }
            Err(status) => {
                return Err(ClientError::from_status(
                    &QUOTA_SERVICE,
                    status,
                    &ALLOCATION_TABLE,
                    "allocation_table",
                    table,
                ));
            }
        };
        let n = |v: i32| u64::try_from(v).unwrap_or(0);
        Ok(fulfilment
            .holders
            .into_iter()
            .map(|h| HolderPlaces {
                holder: h
                    .holder
                    .strip_prefix("offices/")
                    .unwrap_or(&h.holder)
                    .to_owned(),
                quota: h.tiers.iter().map(|t| n(t.quota)).sum(),
                designated: h.tiers.iter().map(|t| n(t.designated)).sum(),
            })
            .collect())
    }
}
