//! `spawn_registry()`: a registry on 127.0.0.1:0 with a fresh database and a settable
//! clock, and clients that call it as any principal.
#![allow(dead_code)]

use std::sync::Arc;

use tokio::net::TcpListener;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use wenming_authz::{IdentityKey, IdentityVerifier, Principal};
use wenming_domain::{AdminLevel, FixedClock, UnitId};
use wenming_proto::registry::v1 as pb;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_runtime::ServerSettings;
use wenming_runtime::db::Database;
pub use wenming_testkit::fixtures::*;
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

pub async fn spawn_registry(test_db: &TestDb) -> App {
    spawn_registry_with(test_db, ServerSettings::default()).await
}

pub async fn spawn_registry_with(test_db: &TestDb, settings: ServerSettings) -> App {
    let db = test_db.open(&wenming_registry::MIGRATIONS).await;
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
            campaign: Some(pingdingshan_campaign_pb()),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
}
