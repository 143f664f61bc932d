//! Rows and running servers shared by the benchmarks.

use std::net::SocketAddr;
use std::sync::Arc;

use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use wenming_authz::{IdentityKey, Principal};
use wenming_domain::{AdminLevel, CreditCode, RegionCode, SystemClock};
use wenming_proto::registry::v1 as pb;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_runtime::ServerSettings;
use wenming_runtime::client::AsPrincipal;
use wenming_runtime::db::Database;

/// The county all benchmark units live in (宝丰县).
pub const COUNTY: &str = "410421";

/// A valid credit code, distinct per `n`.
pub fn credit_code(n: u32) -> String {
    CreditCode::complete(&format!("91{COUNTY}{n:08}"))
        .map(|c| c.as_str().to_owned())
        .unwrap_or_default()
}

/// The unit of row `n`, as the API takes it.
pub fn unit(n: u32) -> pb::Unit {
    pb::Unit {
        display_name: format!("基准测试企业{n}号有限公司"),
        credit_code: credit_code(n),
        region_code: COUNTY.into(),
        kind: pb::UnitKind::PrivateEnterprise as i32,
        scale: pb::UnitScale::Small as i32,
        nature: "制造业".into(),
        business: Some(pb::BusinessManagement {
            employees: 50,
            main_business: "机械加工".into(),
            annual_revenue_10k_yuan: 3000,
        }),
        ..Default::default()
    }
}

/// A registry client with a signed identity.
pub type Client = RegistryServiceClient<InterceptedService<Channel, AsPrincipal>>;

/// A registry serving `db` on a loopback port, stopped when the sender drops.
pub struct Registry {
    pub addr: SocketAddr,
    pub key: IdentityKey,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Registry {
    pub async fn start(db: Database) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let def = &wenming_registry::SERVICE;
        def.migrate(&db).await?;
        let key = IdentityKey::generate();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let stopped = std::sync::Mutex::new(Some(stopped));
        let started = wenming_runtime::service::start(
            vec![wenming_runtime::service::Member { def, db }],
            wenming_runtime::service::StartOptions {
                clock: Arc::new(SystemClock),
                key: &key,
                settings: ServerSettings::default(),
                upstream_timeout: std::time::Duration::from_secs(5),
                external: Default::default(),
                config: Default::default(),
                tls: Default::default(),
            },
            move || {
                let stopped = stopped.lock().ok().and_then(|mut s| s.take());
                async move {
                    if let Some(stopped) = stopped {
                        let _ = stopped.await;
                    }
                }
            },
        )
        .await?;
        let addr = started.addr(def.name);
        Ok(Self {
            addr,
            key,
            _stop: stop,
        })
    }

    /// A client calling as `principal` on a new connection.
    pub async fn client(
        &self,
        principal: Principal,
    ) -> Result<Client, Box<dyn std::error::Error + Send + Sync>> {
        let channel = Channel::from_shared(format!("http://{}", self.addr))?
            .connect()
            .await?;
        Ok(
            RegistryServiceClient::with_interceptor(
                channel,
                AsPrincipal::new(&self.key, principal),
            )
            .max_decoding_message_size(64 * 1024 * 1024),
        )
    }
}

/// The county office of the benchmark units.
pub fn county_office() -> Principal {
    Principal::office(
        "bench-county",
        AdminLevel::County,
        RegionCode::parse(COUNTY).expect("the benchmark county is a valid code"),
    )
}

/// The median of a few durations.
pub fn median(mut samples: Vec<std::time::Duration>) -> std::time::Duration {
    samples.sort();
    samples[samples.len() / 2]
}
