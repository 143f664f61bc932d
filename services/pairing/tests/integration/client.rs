//! The typed pairing client other services use, against the real pairing service: it
//! reads what the service holds, under the caller's scope.

use crate::support;

use std::time::Duration;

use support::*;
use wenming_authz::{IDENTITY_HEADER, IdentitySigner, Principal};
use wenming_clients::{ClientError, GrpcPairing, Onward, Pairing as _};
use wenming_domain::{AdminLevel, HelperKind, PairingState};
use wenming_proto::pairing::v1 as pp;
use wenming_testkit::{TestDb, db_test};

/// What a call from `principal` hands on.
fn onward_as(app: &App, principal: &Principal) -> Onward {
    let mut request = tonic::Request::new(());
    let identity = IdentitySigner::new(&app.key).sign(principal);
    request
        .metadata_mut()
        .insert(IDENTITY_HEADER, identity.parse().unwrap());
    Onward::of(&request)
}

db_test!(
    the_pairing_client_reads_under_the_callers_scope,
    client_body
);
async fn client_body(test_db: &TestDb) {
    let app = spawn(test_db).await;
    let campaign = app.campaign().await;
    let company = app.company("宝丰县恒达耐材有限公司", BAOFENG, 1).await;
    let created = app
        .city()
        .create_pairing(proposal(
            &campaign,
            pp::HelperKind::CityOffice,
            &format!("offices/{PINGDINGSHAN}"),
            &company,
        ))
        .await
        .unwrap()
        .into_inner();
    let client = GrpcPairing::new(app.pairing_upstream(), Duration::from_secs(5));
    let city = onward_as(&app, &office(AdminLevel::City, PINGDINGSHAN));

    let facts = client
        .pairing(&city, "pairing", &created.name)
        .await
        .unwrap();
    assert_eq!(facts.unit, company);
    assert_eq!(facts.campaign, campaign);
    assert_eq!(facts.helper_kind, Some(HelperKind::CityOffice));
    assert_eq!(facts.state, Some(PairingState::Proposed));
    assert!(facts.is_open());
    let open = client
        .open_pairings_of(&city, "unit", &company)
        .await
        .unwrap();
    assert_eq!(open, [facts]);

    // Another county's office sees neither.
    let other = onward_as(&app, &office(AdminLevel::County, YEXIAN));
    let err = client
        .pairing(&other, "pairing", &created.name)
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::NotFound { .. }), "{err:?}");
    let open = client
        .open_pairings_of(&other, "unit", &company)
        .await
        .unwrap();
    assert!(open.is_empty());
}
