//! A scene for cross-service scenarios: the suite without rate limits (one office makes
//! dozens of calls in a row), clients through the gateway, and the setup many
//! scenarios share: units with distinct credit codes, titles, Pingdingshan's campaign, a
//! company paired with a titled helper of its own.

use std::sync::atomic::{AtomicU32, Ordering};

use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use wenming_proto::pairing::v1 as pp;
use wenming_proto::pairing::v1::pairing_service_client::PairingServiceClient;
use wenming_proto::registry::v1 as rp;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_testkit::TestDb;
use wenming_testkit::fixtures::{company, pingdingshan_campaign_pb};

use crate::{Bearer, Suite};

/// The registry through the gateway.
pub type Registry = RegistryServiceClient<InterceptedService<Channel, Bearer>>;
/// The pairing service through the gateway.
pub type Pairing = PairingServiceClient<InterceptedService<Channel, Bearer>>;

/// 叶县, where every scene's helper units are registered.
pub const YEXIAN: &str = "410422";
const PROVINCIAL: i32 = rp::TitleTier::Provincial as i32;

/// A running suite and the credit codes handed out so far.
#[derive(Debug)]
pub struct Scene {
    /// The suite.
    pub suite: Suite,
    next_code: AtomicU32,
}

impl Scene {
    pub async fn start(test_db: &TestDb) -> Scene {
        // No rate limits: a scene registers and pairs dozens of units as one office.
        let suite = Suite::start_with(test_db, "2021-04-16T01:00:00Z".parse().unwrap(), None).await;
        Scene {
            suite,
            next_code: AtomicU32::new(1),
        }
    }

    pub fn registry(&self, bearer: Bearer) -> Registry {
        RegistryServiceClient::with_interceptor(self.suite.gateway.clone(), bearer)
    }

    pub fn pairing(&self, bearer: Bearer) -> Pairing {
        PairingServiceClient::with_interceptor(self.suite.gateway.clone(), bearer)
    }

    pub fn province(&self) -> Bearer {
        self.suite.office("province", "410000")
    }

    pub fn pingdingshan(&self) -> Bearer {
        self.suite.office("city", "410400")
    }

    pub fn code(&self) -> u32 {
        self.next_code.fetch_add(1, Ordering::Relaxed)
    }

    pub async fn register(&self, bearer: Bearer, unit: rp::Unit) -> String {
        self.registry(bearer)
            .create_unit(rp::CreateUnitRequest {
                unit: Some(unit),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .name
    }

    /// Pingdingshan's campaign.
    pub async fn campaign(&self) -> String {
        self.registry(self.pingdingshan())
            .create_campaign(rp::CreateCampaignRequest {
                campaign: Some(pingdingshan_campaign_pb()),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .name
    }

    /// A company of `county` registered by `registrar`, paired by `arranger` in
    /// `campaign` with a national civilised unit of 叶县 of its own.
    pub async fn paired(
        &self,
        registrar: Bearer,
        arranger: Bearer,
        campaign: &str,
        name: &str,
        county: &str,
    ) -> (String, pp::Pairing) {
        let unit = self
            .register(registrar, company(name, county, self.code()))
            .await;
        let helper = self
            .register(
                self.suite.office("county", YEXIAN),
                rp::Unit {
                    kind: rp::UnitKind::PublicInstitution as i32,
                    ..company(&format!("{name}的帮扶医院"), YEXIAN, self.code())
                },
            )
            .await;
        self.award(&helper, rp::TitleTier::National).await;
        let pairing = self
            .pairing(arranger)
            .create_pairing(pp::CreatePairingRequest {
                pairing: Some(pp::Pairing {
                    campaign: campaign.into(),
                    helper: Some(pp::Helper {
                        kind: pp::HelperKind::NationalCivilisedUnit as i32,
                        name: helper,
                        display_name: String::new(),
                    }),
                    unit: unit.clone(),
                    target_tier: PROVINCIAL,
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        (unit, pairing)
    }

    pub async fn award(&self, unit: &str, tier: rp::TitleTier) {
        self.registry(self.province())
            .award_title(rp::AwardTitleRequest {
                title: Some(rp::Title {
                    unit: unit.into(),
                    tier: tier as i32,
                    awarded_on: "2020-11-20".into(),
                    document_number: "豫文明委〔2020〕6号".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap();
    }
}
