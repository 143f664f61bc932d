//! The supervision service alone on a fresh database of the test's backend, over fakes
//! of the services it calls, and a channel to it.

use std::sync::Arc;

use tonic::transport::Channel;
use wenming_authz::IdentityKey;
use wenming_domain::FixedClock;
use wenming_testkit::TestDb;
use wenming_testkit::fakes::{FakePairing, FakeQuota, FakeRegistry};
use wenming_testkit::services::{Served, serve_over};

/// What a test holds: the server (stopped when dropped) and a channel to it.
pub struct Supervision {
    pub channel: Channel,
    _served: Served,
}

/// Serves supervision over the fakes, verifying identities signed with `key`.
pub async fn serve(
    test_db: &TestDb,
    key: &IdentityKey,
    now: &str,
    registry: Arc<FakeRegistry>,
    pairing: Arc<FakePairing>,
    quota: Arc<FakeQuota>,
) -> Supervision {
    let clock = Arc::new(FixedClock::new(now.parse().unwrap()));
    let served = serve_over(
        test_db,
        &wenming_supervision::SERVICE,
        clock,
        key,
        |context| wenming_supervision::routes_over(context, registry, pairing, quota),
    )
    .await;
    let channel = Channel::from_shared(format!("http://{}", served.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    Supervision {
        channel,
        _served: served,
    }
}
