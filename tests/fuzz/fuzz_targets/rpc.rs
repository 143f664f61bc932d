//! Any request to any RPC of any service, as the gateway hands it on: the first byte picks
//! the RPC (every method of the contracts, in the order of their paths), the second the
//! caller (an office of each level, the provincial-direct office, a unit, a platform with
//! every grant), the rest is the request message's bytes. The whole suite runs in this
//! process on SQLite files of its own, and each call goes through a service's layers,
//! decoding and handler as one from the network does (what its validation accepts is
//! written). What must hold: the answer is a status the caller can act on, never
//! INTERNAL, UNKNOWN or DATA_LOSS (a decode or validation step that failed to name the
//! field, a panic caught by tonic, a database error from input that should have been
//! refused), and never a panic or a hang.
#![no_main]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http_body_util::BodyExt as _;
use libfuzzer_sys::fuzz_target;
use wenming_authz::{
    IDENTITY_HEADER, IdentityKey, IdentitySigner, PlatformAction, Principal, Role,
};
use wenming_domain::{AdminLevel, RegionCode, SystemClock, UnitId};
use wenming_runtime::db::{Database, DatabaseSettings};
use wenming_runtime::local::LocalService;
use wenming_runtime::service::{self, Member, StartOptions};

use wenming_suite::SERVICES;

/// One RPC: its path, the service that answers it, and whether it answers a stream.
struct Rpc {
    path: String,
    service: LocalService,
    streams: bool,
}

/// The suite, running on a runtime of its own.
struct Suite {
    runtime: tokio::runtime::Runtime,
    rpcs: Vec<Rpc>,
    /// A signed identity per caller (valid for a day: a long run outlives the usual 60 s).
    callers: Vec<String>,
}

/// The databases' folder of this process: on memory where the machine has it (the
/// fuzzer measures the handlers, not fsync). A run ends without dropping its statics,
/// so the folders of runs that ended are removed here instead.
fn data_dir() -> PathBuf {
    let parent = Path::new("/dev/shm");
    let parent = if parent.is_dir() {
        parent.to_owned()
    } else {
        std::env::temp_dir()
    };
    const PREFIX: &str = "wenming-fuzz-rpc-";
    if let Ok(entries) = std::fs::read_dir(&parent) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let pid = name.to_str().and_then(|n| n.strip_prefix(PREFIX));
            if pid.is_some_and(|pid| !Path::new("/proc").join(pid).exists()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = parent.join(format!("{PREFIX}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("data directory");
    dir
}

fn suite() -> &'static Suite {
    static SUITE: OnceLock<Suite> = OnceLock::new();
    SUITE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let data = data_dir();
        let key = IdentityKey::generate();
        let started = runtime.block_on(async {
            let mut members = Vec::new();
            for def in SERVICES {
                let url = format!("sqlite://{}/{}.db?mode=rwc", data.display(), def.name);
                let db = Database::connect(&DatabaseSettings {
                    url,
                    ..DatabaseSettings::default()
                })
                .await
                .expect("open database");
                def.migrate(&db).await.expect("migrate");
                members.push(Member { def, db });
            }
            service::start(
                members,
                StartOptions {
                    clock: Arc::new(SystemClock),
                    key: &key,
                    settings: Default::default(),
                    upstream_timeout: Duration::from_secs(5),
                    external: BTreeMap::new(),
                    config: Default::default(),
                    tls: Default::default(),
                },
                // Never stopped: the process ends with the run.
                || std::future::pending(),
            )
            .await
            .expect("start the suite")
        });
        let pool = prost_reflect::DescriptorPool::decode(wenming_proto::FILE_DESCRIPTOR_SET)
            .expect("descriptor set");
        let mut rpcs = Vec::new();
        for def in SERVICES {
            let grpc = pool
                .get_service_by_name(def.grpc_service)
                .expect("service in the contracts");
            for method in grpc.methods() {
                rpcs.push(Rpc {
                    path: format!("/{}/{}", def.grpc_service, method.name()),
                    service: started.local(def.name),
                    streams: method.is_server_streaming(),
                });
            }
        }
        rpcs.sort_by(|a, b| a.path.cmp(&b.path));
        let signer = IdentitySigner::new(&key).with_ttl(Duration::from_secs(86_400));
        let region = |code: &str| RegionCode::parse(code).expect("region code");
        let callers = [
            Principal::office("province", AdminLevel::Province, region("410000")),
            Principal::office("city", AdminLevel::City, region("410400")),
            Principal::office("county", AdminLevel::County, region("410402")),
            Principal::provincial_direct("direct"),
            Principal::unit("unit", UnitId::new()),
            Principal {
                subject: "platform".into(),
                role: Role::Platform {
                    name: "fuzz".into(),
                    actions: PlatformAction::ALL.to_vec(),
                },
            },
        ]
        .iter()
        .map(|principal| signer.sign(principal))
        .collect();
        std::mem::forget(started);
        Suite {
            runtime,
            rpcs,
            callers,
        }
    })
}

/// A message in one uncompressed gRPC frame.
fn frame(message: &[u8]) -> Vec<u8> {
    let mut framed = Vec::with_capacity(message.len() + 5);
    framed.push(0);
    framed.extend_from_slice(&u32::try_from(message.len()).expect("small").to_be_bytes());
    framed.extend_from_slice(message);
    framed
}

fuzz_target!(|data: &[u8]| {
    let [rpc, caller, message @ ..] = data else {
        return;
    };
    let suite = suite();
    let rpc = &suite.rpcs[usize::from(*rpc) % suite.rpcs.len()];
    let identity = &suite.callers[usize::from(*caller) % suite.callers.len()];
    let request = http::Request::post(&rpc.path)
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header(IDENTITY_HEADER, identity)
        .body(axum::body::Body::from(frame(message)))
        .expect("request");
    let (head, trailers) = suite.runtime.block_on(async {
        let response = rpc.service.call(request).await;
        let (head, body) = response.into_parts();
        // An answer ends in its trailers. A stream that was opened (the request was
        // accepted) follows the log for as long as the caller listens: once it has
        // answered everything stored and goes quiet, it is dropped. Anything else gets
        // a bounded wait, so an answer never ending is a hang the fuzzer reports.
        let wait = if rpc.streams {
            Duration::from_millis(20)
        } else {
            Duration::from_secs(8)
        };
        match tokio::time::timeout(wait, body.collect()).await {
            Ok(collected) => (
                head,
                collected.expect("the answer's body").trailers().cloned(),
            ),
            Err(_) if rpc.streams => (head, None),
            Err(_) => panic!("{} did not answer within {wait:?}", rpc.path),
        }
    });
    let status = trailers
        .as_ref()
        .and_then(|t| t.get("grpc-status"))
        .or_else(|| head.headers.get("grpc-status"))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map(tonic::Code::from);
    // A follow stream still open has no status yet: it was accepted.
    let status = status.unwrap_or_else(|| {
        assert!(rpc.streams, "{}: an answer without a grpc-status", rpc.path);
        tonic::Code::Ok
    });
    assert!(
        !matches!(
            status,
            tonic::Code::Internal | tonic::Code::Unknown | tonic::Code::DataLoss
        ),
        "{} answered {status:?}: {:?} {:?}",
        rpc.path,
        head.headers.get("grpc-message"),
        trailers.as_ref().and_then(|t| t.get("grpc-message")),
    );
});
