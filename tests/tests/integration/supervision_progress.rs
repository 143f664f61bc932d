//! The progress report through the gateway, on SQLite and PostgreSQL: the province's
//! report rolls the registry's and the pairing service's counts up county → city →
//! province; a county reads its own region only; the XLSX export has a sheet per level
//! with Chinese headers and the same figures.

use calamine::{Data, Reader as _, Xlsx};
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use wenming_proto::supervision::v1 as sp;
use wenming_proto::supervision::v1::supervision_service_client::SupervisionServiceClient;
use wenming_testkit::fixtures::field_violations;
use wenming_testkit::{TestDb, db_test};
use wenming_tests::Bearer;
use wenming_tests::scene::{Scene, YEXIAN};

type Supervision = SupervisionServiceClient<InterceptedService<Channel, Bearer>>;

const BAOFENG: &str = "410421";

fn supervision(s: &Scene, bearer: Bearer) -> Supervision {
    SupervisionServiceClient::with_interceptor(s.suite.gateway.clone(), bearer)
}

fn report(region: &str) -> sp::GetProgressReportRequest {
    sp::GetProgressReportRequest {
        region_code: region.into(),
        ..Default::default()
    }
}

db_test!(the_progress_report_rolls_up_and_exports, body);
async fn body(test_db: &TestDb) {
    let s = Scene::start(test_db).await;
    let campaign = s.campaign().await;
    let county = s.suite.office("county", BAOFENG);
    // Two companies of 宝丰县, each paired with a titled hospital of 叶县.
    for name in ["宝丰县进度企业甲", "宝丰县进度企业乙"] {
        s.paired(county.clone(), county.clone(), &campaign, name, BAOFENG)
            .await;
    }

    let province = supervision(&s, s.province())
        .get_progress_report(report(""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(province.region_code, "410000");
    assert_eq!(province.as_of, "2021-04-16");
    let row = |code: &str| {
        province
            .rows
            .iter()
            .find(|r| r.region_code == code)
            .unwrap_or_else(|| panic!("no row {code}"))
            .clone()
    };
    let figures = |r: &sp::ProgressRow| (r.units, r.open_pairings, r.titled_units);
    assert_eq!(figures(&row(BAOFENG)), (2, 2, 0));
    assert_eq!(figures(&row(YEXIAN)), (2, 0, 2));
    assert_eq!(figures(&row("410400")), (4, 2, 2));
    assert_eq!(figures(&row("410000")), (4, 2, 2));
    assert_eq!(figures(&row("410100")), (0, 0, 0));
    assert_eq!(row(BAOFENG).display_name, "宝丰县");
    assert_eq!(row(BAOFENG).level, sp::ProgressLevel::County as i32);
    assert_eq!(province.rows[0].level, sp::ProgressLevel::Province as i32);
    // Every city and every county of Henan has a row, the province first.
    let cities = province
        .rows
        .iter()
        .filter(|r| r.level == sp::ProgressLevel::City as i32)
        .count();
    assert_eq!(cities, 18);

    // An allocation table the province has not imported: the quota service (asked
    // through the gateway's identity) has no such table.
    let err = supervision(&s, s.province())
        .get_progress_report(sp::GetProgressReportRequest {
            allocation_table: "allocationTables/2021-2023".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{err:?}");

    // A county reads its own region; not its neighbour's, nor the city's.
    let own = supervision(&s, county.clone())
        .get_progress_report(report(""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.rows.len(), 1);
    assert_eq!(figures(&own.rows[0]), (2, 2, 0));
    for other in [YEXIAN, "410400"] {
        let err = supervision(&s, county.clone())
            .get_progress_report(report(other))
            .await
            .unwrap_err();
        assert_eq!(field_violations(&err)[0].0, "region_code", "{other}");
    }
    let err = supervision(&s, s.suite.provincial_direct())
        .get_progress_report(report(""))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);

    // The city's workbook: a sheet for the city, one for its counties.
    let export = supervision(&s, s.pingdingshan())
        .export_progress_report(sp::ExportProgressReportRequest {
            report: Some(report("")),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(export.file_name, "平顶山市创建工作进度（2021-04-16）.xlsx");
    let mut book = Xlsx::new(std::io::Cursor::new(export.content)).unwrap();
    assert_eq!(book.sheet_names(), ["市级", "县级"]);
    let counties = book.worksheet_range("县级").unwrap();
    let header: Vec<String> = counties
        .rows()
        .nth(1)
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(&header[..4], ["地区代码", "地区", "单位数", "后备库"]);
    let baofeng = counties
        .rows()
        .find(|r| r[0] == Data::String(BAOFENG.into()))
        .unwrap();
    assert_eq!(baofeng[1], Data::String("宝丰县".into()));
    assert_eq!(baofeng[2], Data::Float(2.0));
    assert_eq!(baofeng[7], Data::Float(2.0), "结对中");
}
