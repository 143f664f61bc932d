//! A progress report naming an allocation table shows its places and designations on
//! the holders' rows (a city's own, every holder's on the province's) and none on the
//! counties; a county's report does not ask the quota service. Over fakes of the
//! registry, the pairing service and the quota service, on both databases.

use crate::support;

use std::sync::Arc;

use tonic::Code;
use wenming_authz::{IdentityKey, Principal};
use wenming_clients::HolderPlaces;
use wenming_domain::{AdminLevel, RegionCode};
use wenming_proto::supervision::v1 as sp;
use wenming_proto::supervision::v1::supervision_service_client::SupervisionServiceClient;
use wenming_testkit::fakes::{FakePairing, FakeQuota, FakeRegistry};
use wenming_testkit::{AsPrincipal, TestDb, db_test};

const TABLE: &str = "allocationTables/2021-2023";

db_test!(places_show_on_the_holders_rows, body);
async fn body(test_db: &TestDb) {
    let key = IdentityKey::generate();
    let quota = Arc::new(FakeQuota::default());
    quota.put_places(
        TABLE,
        vec![
            HolderPlaces {
                holder: "410400".into(),
                quota: 12,
                designated: 5,
            },
            HolderPlaces {
                holder: "provincial-direct".into(),
                quota: 8,
                designated: 2,
            },
        ],
    );
    let served = support::serve(
        test_db,
        &key,
        "2021-06-30T02:00:00Z",
        Arc::new(FakeRegistry::default()),
        Arc::new(FakePairing::default()),
        quota.clone(),
    )
    .await;
    let channel = served.channel.clone();
    let office = |level: AdminLevel, code: &str| {
        SupervisionServiceClient::with_interceptor(
            channel.clone(),
            AsPrincipal::new(
                &key,
                Principal::office("t", level, RegionCode::parse(code).unwrap()),
            ),
        )
    };
    let report = |table: &str| sp::GetProgressReportRequest {
        allocation_table: table.into(),
        ..Default::default()
    };

    let province = office(AdminLevel::Province, "410000")
        .get_progress_report(report(TABLE))
        .await
        .unwrap()
        .into_inner();
    let row = |code: &str| {
        province
            .rows
            .iter()
            .find(|r| r.region_code == code)
            .unwrap()
    };
    assert_eq!((row("410000").places, row("410000").designated), (20, 7));
    assert_eq!((row("410400").places, row("410400").designated), (12, 5));
    assert_eq!(row("410421").places, 0);
    assert_eq!(row("410100").places, 0);
    assert_eq!(province.allocation_table, TABLE);

    // Without a table: no places.
    let plain = office(AdminLevel::City, "410400")
        .get_progress_report(report(""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(plain.rows[0].places, 0);
    // A county's report names the table but holds none.
    let county = office(AdminLevel::County, "410421")
        .get_progress_report(report(TABLE))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(county.rows[0].places, 0);
    // A malformed table name is refused naming the field.
    let err = office(AdminLevel::Province, "410000")
        .get_progress_report(report("tables/2021"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        wenming_testkit::fixtures::field_violations(&err)[0].0,
        "allocation_table"
    );
}
