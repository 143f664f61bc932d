//! `spawn_registry()`: a registry on 127.0.0.1:0 with a fresh database and a settable
//! clock, and clients that call it as any principal.
#![allow(dead_code)]

use std::sync::Arc;

use tokio::net::TcpListener;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use wenming_authz::{IdentityKey, IdentityVerifier, Principal};
use wenming_domain::{AdminLevel, CreditCode, FixedClock, RegionCode, UnitId};
use wenming_proto::registry::v1 as pb;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_runtime::ServerSettings;
use wenming_runtime::db::Database;
use wenming_testkit::{AsPrincipal, TestDb};

pub type Client = RegistryServiceClient<InterceptedService<Channel, AsPrincipal>>;

pub struct App {
    pub addr: std::net::SocketAddr,
    pub key: IdentityKey,
    pub clock: Arc<FixedClock>,
    pub db: Database,
    channel: Channel,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<Result<(), wenming_runtime::ServeError>>,
}

/// 2021-04-15 10:00 in Shanghai: before Pingdingshan's 20 April nomination deadline.
pub fn april_15_2021() -> jiff::Timestamp {
    "2021-04-15T02:00:00Z".parse().unwrap()
}

pub async fn spawn_registry(test_db: &TestDb) -> App {
    spawn_registry_with(test_db, ServerSettings::default()).await
}

pub async fn spawn_registry_with(test_db: &TestDb, settings: ServerSettings) -> App {
    let db = test_db.open(&wenming_registry::MIGRATOR).await;
    let key = IdentityKey::generate();
    let clock = Arc::new(FixedClock::new(april_15_2021()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server_db = db.clone();
    let verifier = IdentityVerifier::new(&key);
    let server_clock = clock.clone();
    let server = tokio::spawn(async move {
        wenming_registry::serve(
            listener,
            server_db,
            server_clock,
            verifier,
            &settings,
            async move {
                let _ = stopped.await;
            },
        )
        .await
    });
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    App {
        addr,
        key,
        clock,
        db,
        channel,
        stop: Some(stop),
        server,
    }
}

impl App {
    /// Starts the drain, as SIGTERM does.
    pub fn begin_shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Waits for the server to stop and returns how it ended.
    pub async fn stopped(self) -> Result<(), wenming_runtime::ServeError> {
        self.server.await.expect("server task")
    }

    pub fn client(&self, principal: Principal) -> Client {
        RegistryServiceClient::with_interceptor(
            self.channel.clone(),
            AsPrincipal::new(&self.key, principal),
        )
    }

    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    pub fn province(&self) -> Client {
        self.client(office(AdminLevel::Province, "410000"))
    }

    pub fn city(&self, code: &str) -> Client {
        self.client(office(AdminLevel::City, code))
    }

    pub fn county(&self, code: &str) -> Client {
        self.client(office(AdminLevel::County, code))
    }

    pub fn platform(&self) -> Client {
        self.client(Principal::platform("platform-tax", "tax"))
    }

    pub fn unit_user(&self, unit_name: &str) -> Client {
        let id = UnitId::parse(unit_name.trim_start_matches("units/")).unwrap();
        self.client(Principal::unit("unit-user", id))
    }
}

pub fn office(level: AdminLevel, code: &str) -> Principal {
    Principal::office(
        format!("office-{code}"),
        level,
        RegionCode::parse(code).unwrap(),
    )
}

/// A valid credit code registered in `region`, distinct per `n`.
pub fn credit_code(region: &str, n: u32) -> String {
    CreditCode::complete(&format!("91{region}{n:08}"))
        .unwrap()
        .as_str()
        .to_owned()
}

/// A private enterprise in `region`.
pub fn company(name: &str, region: &str, n: u32) -> pb::Unit {
    pb::Unit {
        display_name: name.to_owned(),
        credit_code: credit_code(region, n),
        region_code: region.to_owned(),
        kind: pb::UnitKind::PrivateEnterprise as i32,
        scale: pb::UnitScale::Medium as i32,
        nature: "制造业".to_owned(),
        business: Some(pb::BusinessManagement {
            employees: 320,
            main_business: "耐火材料".to_owned(),
            annual_revenue_10k_yuan: 12_000,
        }),
        party_building: Some(pb::PartyBuilding {
            organisation_type: pb::PartyOrganisationType::Branch as i32,
            party_members: 18,
            instructor_name: "王指导".to_owned(),
            service_centre: "宝丰县产业集聚区党群服务中心".to_owned(),
        }),
        civilisation_officer: Some(pb::CivilisationOfficer {
            person_name: "李文明".to_owned(),
            phone: "13800001234".to_owned(),
        }),
        ..Default::default()
    }
}

pub async fn create(client: &mut Client, unit: pb::Unit) -> pb::Unit {
    client
        .create_unit(pb::CreateUnitRequest {
            unit: Some(unit),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
}

/// The Pingdingshan 2021 campaign, created by the city office.
pub async fn pingdingshan_campaign(app: &App) -> pb::Campaign {
    app.city("410400")
        .create_campaign(pb::CreateCampaignRequest {
            campaign: Some(pb::Campaign {
                display_name: "2021年非公单位文明单位创建".to_owned(),
                document_number: "平文明办〔2021〕11号".to_owned(),
                nomination_deadline: "2021-04-20".to_owned(),
                pairing_list_deadline: "2021-05-01".to_owned(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
}

/// The BadRequest field violations of a status, as (field, reason).
pub fn field_violations(status: &tonic::Status) -> Vec<(String, String)> {
    use tonic_types::StatusExt as _;
    status
        .get_details_bad_request()
        .map(|b| {
            b.field_violations
                .into_iter()
                .map(|v| (v.field, v.reason))
                .collect()
        })
        .unwrap_or_default()
}

/// The PreconditionFailure violation types of a status.
pub fn precondition_types(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt as _;
    status
        .get_details_precondition_failure()
        .map(|p| p.violations.into_iter().map(|v| v.r#type).collect())
        .unwrap_or_default()
}
