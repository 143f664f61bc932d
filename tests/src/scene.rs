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
use wenming_testkit::fixtures::{company, henan_campaign_pb, pingdingshan_campaign_pb};

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
        self.create_campaign(self.pingdingshan(), pingdingshan_campaign_pb())
            .await
    }

    /// `campaign` created by `bearer`: its name.
    pub async fn create_campaign(&self, bearer: Bearer, campaign: rp::Campaign) -> String {
        self.registry(bearer)
            .create_campaign(rp::CreateCampaignRequest {
                campaign: Some(campaign),
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

    /// The province's 2021 campaign and Pingdingshan's, which belongs to it (and takes
    /// its pairing-list deadline, 1 May): their names.
    pub async fn provincial_campaigns(&self) -> (String, String) {
        let henan = self
            .create_campaign(self.province(), henan_campaign_pb())
            .await;
        let pingdingshan = self
            .create_campaign(
                self.pingdingshan(),
                rp::Campaign {
                    parent_campaign: henan.clone(),
                    pairing_list_deadline: String::new(),
                    ..pingdingshan_campaign_pb()
                },
            )
            .await;
        (henan, pingdingshan)
    }

    /// `county` nominates three companies of its own (put in the reserve pool) for
    /// Pingdingshan's `campaign`, and the city returns the first: two remain. The
    /// nominations as submitted.
    pub async fn two_of_three_nominated(
        &self,
        county: &str,
        campaign: &str,
    ) -> Vec<rp::Nomination> {
        let office = self.suite.office("county", county);
        let mut units = Vec::new();
        for n in 0..3 {
            let unit = self
                .register(
                    office.clone(),
                    company(&format!("{county}推荐企业{n}"), county, self.code()),
                )
                .await;
            self.registry(office.clone())
                .add_to_reserve_pool(rp::AddToReservePoolRequest {
                    unit: unit.clone(),
                    reason: "规模以上民营企业，党支部健全".into(),
                    target_tier: PROVINCIAL,
                })
                .await
                .unwrap();
            units.push(unit);
        }
        let nominations = self
            .registry(office)
            .submit_nominations(rp::SubmitNominationsRequest {
                campaign: campaign.into(),
                units,
                request_id: String::new(),
                target_tier: PROVINCIAL,
            })
            .await
            .unwrap()
            .into_inner()
            .nominations;
        self.registry(self.pingdingshan())
            .decide_nomination(rp::DecideNominationRequest {
                name: nominations[0].name.clone(),
                decision: rp::NominationDecision::Return as i32,
                reason: "该企业近三年有行政处罚记录".into(),
                etag: nominations[0].etag.clone(),
            })
            .await
            .unwrap();
        nominations
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
