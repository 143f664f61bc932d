//! What services ask the pairing service: a pairing, and the open pairing of a unit.

use std::time::Duration;

use tonic::transport::Channel;
use wenming_domain::{HelperKind, PairingState, TitleTier};
use wenming_proto::convert::pairing::{helper_kind_from_pb, state_from_pb, state_to_pb};
use wenming_proto::convert::tier_from_pb;
use wenming_proto::pairing::v1 as pb;
use wenming_proto::pairing::v1::pairing_service_client::PairingServiceClient;
use wenming_runtime::onward::Onward;

use crate::error::ClientError;
use crate::messages::{PAIRING, PAIRING_SERVICE, UNIT};

/// A pairing as other services' rules need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairingFacts {
    /// "pairings/{id}".
    pub name: String,
    /// "campaigns/{id}".
    pub campaign: String,
    /// The arranging office's region code.
    pub office_region_code: String,
    /// The helper's kind.
    pub helper_kind: Option<HelperKind>,
    /// "offices/{code}" or "units/{id}".
    pub helper: String,
    /// "units/{id}".
    pub unit: String,
    /// The unit's county-level region.
    pub unit_region_code: String,
    /// Where it stands.
    pub state: Option<PairingState>,
    /// The title it cultivates the unit for (none on pairings made before tiers).
    pub target_tier: Option<TitleTier>,
}

impl PairingFacts {
    /// Proposed or active: the helper and the unit are paired.
    pub fn is_open(&self) -> bool {
        self.state.is_some_and(PairingState::is_open)
    }
}

/// The pairing service, as another service asks it on behalf of its caller (whose
/// scope the pairing service applies).
#[tonic::async_trait]
pub trait Pairing: Send + Sync + std::fmt::Debug {
    /// The pairing `name` ("pairings/{id}").
    async fn pairing(
        &self,
        onward: &Onward,
        field: &str,
        name: &str,
    ) -> Result<PairingFacts, ClientError>;

    /// The open (proposed or active) pairings the unit `unit` ("units/{id}") is helped
    /// in, oldest first.
    async fn open_pairings_of(
        &self,
        onward: &Onward,
        field: &str,
        unit: &str,
    ) -> Result<Vec<PairingFacts>, ClientError>;
}

/// The pairing service over gRPC.
#[derive(Clone, Debug)]
pub struct GrpcPairing {
    client: PairingServiceClient<Channel>,
    timeout: Duration,
}

impl GrpcPairing {
    /// The pairing service on `channel`; each call takes at most `timeout`.
    pub fn new(channel: Channel, timeout: Duration) -> Self {
        Self {
            client: PairingServiceClient::new(channel),
            timeout,
        }
    }
}

fn facts(pairing: pb::Pairing) -> PairingFacts {
    let helper = pairing.helper.unwrap_or_default();
    PairingFacts {
        name: pairing.name,
        campaign: pairing.campaign,
        office_region_code: pairing.office_region_code,
        helper_kind: helper_kind_from_pb(helper.kind),
        helper: helper.name,
        unit: pairing.unit,
        unit_region_code: pairing.unit_region_code,
        state: state_from_pb(pairing.state),
        target_tier: tier_from_pb(pairing.target_tier),
    }
}

#[tonic::async_trait]
impl Pairing for GrpcPairing {
    async fn pairing(
        &self,
        onward: &Onward,
        field: &str,
        name: &str,
    ) -> Result<PairingFacts, ClientError> {
        let mut client = self.client.clone();
        let pairing = onward
            .call(
                pb::GetPairingRequest {
                    name: name.to_owned(),
                },
                self.timeout,
                |request| client.get_pairing(request),
            )
            .await
            .map_err(|status| {
                ClientError::from_status(&PAIRING_SERVICE, status, &PAIRING, field, name)
            })?;
        Ok(facts(pairing))
    }

    async fn open_pairings_of(
        &self,
        onward: &Onward,
        field: &str,
        unit: &str,
    ) -> Result<Vec<PairingFacts>, ClientError> {
        let mut open = Vec::new();
        for state in [PairingState::Proposed, PairingState::Active] {
            let mut page_token = String::new();
            loop {
                let mut client = self.client.clone();
                let page = onward
                    .call(
                        pb::ListPairingsRequest {
                            page_size: 100,
                            page_token: page_token.clone(),
                            unit: unit.to_owned(),
                            state: state_to_pb(state) as i32,
                            ..Default::default()
                        },
                        self.timeout,
                        |request| client.list_pairings(request),
                    )
                    .await
                    .map_err(|status| {
                        ClientError::from_status(&PAIRING_SERVICE, status, &UNIT, field, unit)
                    })?;
                open.extend(page.pairings.into_iter().map(facts));
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
        }
        // Names are UUIDv7: in creation order.
        open.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(open)
    }
}
