//! A commendation is kept only if the registry took its copy for the unit's record: with
//! the registry down, CommendPairing answers UNAVAILABLE and nothing is written; once it
//! is back, the same call succeeds and the registry holds the copy. Over fakes of the
//! registry and the pairing service, on both databases.

use crate::support;

use std::sync::Arc;

use tonic::Code;
use wenming_authz::{IdentityKey, Principal};
use wenming_clients::{PairingFacts, UnitFacts};
use wenming_domain::{AdminLevel, PairingId, PairingState, RegionCode, UnitId};
use wenming_proto::supervision::v1 as sp;
use wenming_proto::supervision::v1::supervision_service_client::SupervisionServiceClient;
use wenming_testkit::fakes::{FakePairing, FakeQuota, FakeRegistry};
use wenming_testkit::{AsPrincipal, TestDb, db_test};

db_test!(a_commendation_the_registry_did_not_take_is_not_kept, body);
async fn body(test_db: &TestDb) {
    let key = IdentityKey::generate();
    let (registry, pairing) = (
        Arc::new(FakeRegistry::default()),
        Arc::new(FakePairing::default()),
    );
    let (unit, helper) = (
        format!("units/{}", UnitId::new()),
        format!("units/{}", UnitId::new()),
    );
    registry.put_unit(UnitFacts {
        name: unit.clone(),
        display_name: "宝丰县示范企业".into(),
        credit_code: "91410421MA0000000X".into(),
        kind: None,
        region_code: "410421".into(),
        city_code: "410400".into(),
        active: true,
        provincial_direct: false,
        base_level: false,
    });
    let pairing_name = format!("pairings/{}", PairingId::new());
    pairing.put_pairing(PairingFacts {
        name: pairing_name.clone(),
        campaign: String::new(),
        office_region_code: "410421".into(),
        helper_kind: None,
        helper: helper.clone(),
        unit: unit.clone(),
        unit_region_code: "410421".into(),
        state: Some(PairingState::Active),
        target_tier: None,
    });
    let served = support::serve(
        test_db,
        &key,
        "2021-04-16T01:00:00Z",
        registry.clone(),
        pairing.clone(),
        Arc::new(FakeQuota::default()),
    )
    .await;
    let channel = served.channel.clone();
    let province = Principal::office(
        "province",
        AdminLevel::Province,
        RegionCode::parse("410000").unwrap(),
    );
    let mut client =
        SupervisionServiceClient::with_interceptor(channel, AsPrincipal::new(&key, province));
    let request = || sp::CommendPairingRequest {
        commendation: Some(sp::Commendation {
            pairing: pairing_name.clone(),
            document_number: "豫文明办〔2021〕15号".into(),
            title: "结对帮扶成效显著".into(),
            commended_on: "2021-04-15".into(),
            ..Default::default()
        }),
        request_id: "commend-1".into(),
    };

    registry.set_down(true);
    let err = client.commend_pairing(request()).await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    let listed = client
        .list_commendations(sp::ListCommendationsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.commendations.is_empty(), "nothing kept");
    assert!(registry.commendations().is_empty());

    // The retry with the same request id, once the registry is back, makes it.
    registry.set_down(false);
    let made = client
        .commend_pairing(request())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(made.unit, unit);
    assert_eq!(made.helper, helper);
    let copies = registry.commendations();
    assert_eq!(copies.len(), 1);
    assert_eq!(copies[0].0, unit);
    assert_eq!(copies[0].1.name, made.name);
    assert_eq!(copies[0].1.document_number, "豫文明办〔2021〕15号");
    let again = client
        .commend_pairing(request())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.name, made.name, "a retry returns the first result");
    assert_eq!(registry.commendations().len(), 1);
}
