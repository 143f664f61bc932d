//! `spawn()`: the registry and the pairing service on 127.0.0.1:0, each with a fresh
//! database of its own, sharing an internal identity key and a settable clock; clients
//! that call either as any principal; and the setup the scenarios share.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};
use wenming_authz::{IdentityKey, Principal};
use wenming_domain::{AdminLevel, FixedClock, UnitId};
use wenming_proto::pairing::v1 as pp;
use wenming_proto::pairing::v1::pairing_service_client::PairingServiceClient;
use wenming_proto::registry::v1 as rp;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
pub use wenming_testkit::fixtures::*;
use wenming_testkit::services::{Options, Served, Services, serve_over, start};
use wenming_testkit::{AsPrincipal, TestDb};

pub type Pairing = PairingServiceClient<InterceptedService<Channel, AsPrincipal>>;
pub type Registry = RegistryServiceClient<InterceptedService<Channel, AsPrincipal>>;

/// Baofeng county (宝丰县) and its city, Pingdingshan (平顶山).
pub const BAOFENG: &str = "410421";
pub const YEXIAN: &str = "410422";
pub const PINGDINGSHAN: &str = "410400";

pub struct App {
    pub key: IdentityKey,
    /// The pairing service's own database.
    pub db: wenming_runtime::db::Database,
    pub clock: Arc<FixedClock>,
    registry: Channel,
    pairing: Channel,
    pairing_url: String,
    _services: Option<Services>,
    _served: Option<Served>,
}

/// Calls to the registry may take 2 s at most.
fn options() -> Options {
    Options {
        upstream_timeout: Duration::from_secs(2),
        ..Options::default()
    }
}

/// Both services, the pairing service calling the real registry.
pub async fn spawn(test_db: &TestDb) -> App {
    let key = IdentityKey::generate();
    let clock = Arc::new(FixedClock::new(april_15_2021()));
    let defs = [&wenming_registry::SERVICE, &wenming_pairing::SERVICE];
    let services = start(test_db, &defs, clock.clone(), &key, options()).await;
    App {
        key,
        db: services.db("pairing"),
        clock,
        registry: connect(&format!("http://{}", services.addr("registry"))).await,
        pairing: connect(&format!("http://{}", services.addr("pairing"))).await,
        pairing_url: format!("http://{}", services.addr("pairing")),
        _services: Some(services),
        _served: None,
    }
}

/// The pairing service alone, calling a registry at `registry_url` (which may be down
/// or never answer).
pub async fn spawn_pairing(
    test_db: &TestDb,
    key: IdentityKey,
    clock: Arc<FixedClock>,
    registry_url: &str,
) -> App {
    let options = Options {
        external: [("registry", registry_url.to_owned())].into(),
        ..options()
    };
    let services = start(
        test_db,
        &[&wenming_pairing::SERVICE],
        clock.clone(),
        &key,
        options,
    )
    .await;
    App {
        key,
        db: services.db("pairing"),
        clock,
        registry: Endpoint::from_shared(registry_url.to_owned())
            .unwrap()
            .connect_lazy(),
        pairing: connect(&format!("http://{}", services.addr("pairing"))).await,
        pairing_url: format!("http://{}", services.addr("pairing")),
        _services: Some(services),
        _served: None,
    }
}

/// The pairing service alone, asking `registry` (a fake); `registry_url` is where the
/// test's own registry clients go.
pub async fn spawn_pairing_on(
    test_db: &TestDb,
    key: IdentityKey,
    clock: Arc<FixedClock>,
    registry: Arc<dyn wenming_clients::Registry>,
    registry_url: &str,
) -> App {
    let served = serve_over(
        test_db,
        &wenming_pairing::SERVICE,
        clock.clone(),
        &key,
        |context| wenming_pairing::routes_over(context, registry),
    )
    .await;
    App {
        key,
        db: served.db.clone(),
        clock,
        registry: Endpoint::from_shared(registry_url.to_owned())
            .unwrap()
            .connect_lazy(),
        pairing: connect(&format!("http://{}", served.addr)).await,
        pairing_url: format!("http://{}", served.addr),
        _services: None,
        _served: Some(served),
    }
}

async fn connect(url: &str) -> Channel {
    Channel::from_shared(url.to_owned())
        .unwrap()
        .connect()
        .await
        .unwrap()
}

impl App {
    pub fn pairing(&self, principal: Principal) -> Pairing {
        PairingServiceClient::with_interceptor(
            self.pairing.clone(),
            AsPrincipal::new(&self.key, principal),
        )
    }

    pub fn pairing_channel(&self) -> Channel {
        self.pairing.clone()
    }

    /// The pairing service as another service reaches it.
    pub fn pairing_upstream(&self) -> wenming_runtime::upstream::Upstream {
        wenming_runtime::upstream::Upstream::new(&self.pairing_url, None).unwrap()
    }

    pub fn registry(&self, principal: Principal) -> Registry {
        RegistryServiceClient::with_interceptor(
            self.registry.clone(),
            AsPrincipal::new(&self.key, principal),
        )
    }

    pub fn province(&self) -> Pairing {
        self.pairing(office(AdminLevel::Province, "410000"))
    }

    pub fn city(&self) -> Pairing {
        self.pairing(office(AdminLevel::City, PINGDINGSHAN))
    }

    pub fn county(&self, code: &str) -> Pairing {
        self.pairing(office(AdminLevel::County, code))
    }

    pub fn unit_user(&self, unit: &str) -> Pairing {
        let id = UnitId::parse(unit.trim_start_matches("units/")).unwrap();
        self.pairing(Principal::unit(format!("user-of-{id}"), id))
    }

    /// The Pingdingshan 2021 campaign (pairing lists due 1 May 2021); its name.
    pub async fn campaign(&self) -> String {
        self.registry(office(AdminLevel::City, PINGDINGSHAN))
            .create_campaign(rp::CreateCampaignRequest {
                campaign: Some(pingdingshan_campaign_pb()),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .name
    }

    /// A private enterprise registered by its county office; its name.
    pub async fn company(&self, display_name: &str, county: &str, n: u32) -> String {
        self.registry(office(AdminLevel::County, county))
            .create_unit(rp::CreateUnitRequest {
                unit: Some(company(display_name, county, n)),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .name
    }

    /// A public institution holding a current `tier` title since 2019; its name.
    pub async fn titled_unit(
        &self,
        display_name: &str,
        county: &str,
        n: u32,
        tier: rp::TitleTier,
    ) -> String {
        let unit = rp::Unit {
            kind: rp::UnitKind::PublicInstitution as i32,
            ..company(display_name, county, n)
        };
        let name = self
            .registry(office(AdminLevel::County, county))
            .create_unit(rp::CreateUnitRequest {
                unit: Some(unit),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .name;
        self.registry(office(AdminLevel::Province, "410000"))
            .award_title(rp::AwardTitleRequest {
                title: Some(rp::Title {
                    unit: name.clone(),
                    tier: tier as i32,
                    awarded_on: "2019-01-01".into(),
                    document_number: "豫文明〔2019〕1号".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap();
        name
    }
}

/// A CreatePairing request.
pub fn proposal(
    campaign: &str,
    kind: pp::HelperKind,
    helper: &str,
    unit: &str,
) -> pp::CreatePairingRequest {
    pp::CreatePairingRequest {
        pairing: Some(pp::Pairing {
            campaign: campaign.to_owned(),
            helper: Some(pp::Helper {
                kind: kind as i32,
                name: helper.to_owned(),
                display_name: String::new(),
            }),
            unit: unit.to_owned(),
            target_tier: rp::TitleTier::Provincial as i32,
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

/// An ActivatePairing request.
pub fn activate(name: &str) -> pp::ActivatePairingRequest {
    pp::ActivatePairingRequest {
        name: name.to_owned(),
        reason: "双方已签订结对帮创协议".to_owned(),
        etag: String::new(),
    }
}

/// The Pingdingshan campaign, a company of 宝丰县 and a national civilised unit of the
/// same county: what most pairing scenarios start from.
pub struct Scene {
    pub app: App,
    pub campaign: String,
    pub company: String,
    pub helper: String,
}

pub async fn scene(test_db: &TestDb) -> Scene {
    let app = spawn(test_db).await;
    let campaign = app.campaign().await;
    let company = app.company("宝丰县恒达耐材有限公司", BAOFENG, 1).await;
    let helper = app
        .titled_unit("宝丰县人民医院", BAOFENG, 2, rp::TitleTier::National)
        .await;
    Scene {
        app,
        campaign,
        company,
        helper,
    }
}

impl Scene {
    /// The city's proposal: the national civilised unit helps the company.
    pub fn proposal(&self) -> pp::CreatePairingRequest {
        proposal(
            &self.campaign,
            pp::HelperKind::NationalCivilisedUnit,
            &self.helper,
            &self.company,
        )
    }

    /// The proposal made by the city and accepted by the helper unit.
    pub async fn active_pairing(&self) -> pp::Pairing {
        let pairing = self
            .app
            .city()
            .create_pairing(self.proposal())
            .await
            .unwrap()
            .into_inner();
        self.app
            .unit_user(&self.helper)
            .activate_pairing(activate(&pairing.name))
            .await
            .unwrap()
            .into_inner()
    }

    /// A work plan of the pairing on `base`.
    pub fn plan(&self, pairing: &str, summary: &str, base: i64) -> pp::SubmitWorkPlanRequest {
        pp::SubmitWorkPlanRequest {
            pairing: pairing.to_owned(),
            work_plan: Some(pp::WorkPlan {
                summary: summary.to_owned(),
                milestones: vec![pp::Milestone {
                    title: "建立党建+文明创建工作机制".into(),
                    responsible_person: "张建华".into(),
                    due_date: "2021-06-30".into(),
                    completed_on: String::new(),
                }],
                ..Default::default()
            }),
            base_version: base,
        }
    }

    /// A training recorded by the helper unit.
    pub async fn activity(&self, pairing: &str) -> pp::Activity {
        self.app
            .unit_user(&self.helper)
            .record_activity(pp::RecordActivityRequest {
                pairing: pairing.to_owned(),
                activity: Some(pp::Activity {
                    title: "文明礼仪培训".into(),
                    category: pp::LedgerCategory::Training as i32,
                    start_date: "2021-05-10".into(),
                    description: "医院志愿者为企业员工讲授文明礼仪".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
    }

    /// A ledger entry of the training, under request id "ledger-1".
    pub fn ledger_entry(&self, pairing: &str, activity: &str) -> pp::AddLedgerEntryRequest {
        pp::AddLedgerEntryRequest {
            pairing: pairing.to_owned(),
            entry: Some(pp::LedgerEntry {
                date: "2021-04-14".into(),
                category: pp::LedgerCategory::Training as i32,
                description: "开展文明礼仪培训，员工62人参加".into(),
                participants: vec!["宝丰县人民医院志愿服务队".into(), "恒达耐材全体员工".into()],
                evidence: vec!["台账档案 2021-培训-01".into()],
                activity: activity.to_owned(),
                ..Default::default()
            }),
            request_id: "ledger-1".into(),
        }
    }
}

/// Audit records of `resource` in the pairing service's database.
pub async fn audit_count(app: &App, resource: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_records WHERE resource = $1")
        .bind(resource.to_owned())
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    n
}

/// Pairings in the pairing service's database.
pub async fn pairing_rows(app: &App) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM pairings")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    n
}
