//! The quota service through the gateway, on SQLite and PostgreSQL: the province
//! imports the notice's annex as officials send it (TSV, GBK CSV, XLSX), its wrong
//! declared totals keep it a draft until confirmed as it is, versions stay readable,
//! reallocations keep the totals, the table exports as XLSX; the holders designate their
//! paired units within quota, never beyond it however many call at once; fulfilment and
//! attention follow what registry and pairing say today.

use std::io::Cursor;

use calamine::{Data, Reader as _, Xlsx};
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic_types::StatusExt as _;
use wenming_proto::pairing::v1 as pp;
use wenming_proto::quota::v1 as qp;
use wenming_proto::quota::v1::quota_service_client::QuotaServiceClient;
use wenming_proto::registry::v1 as rp;
use wenming_testkit::fixtures::{company, field_violations, precondition_types, zh_cn};
use wenming_testkit::{TestDb, db_test};
use wenming_tests::Bearer;
use wenming_tests::scene::{Scene, YEXIAN};

type Quota = QuotaServiceClient<InterceptedService<Channel, Bearer>>;

const ANNEX: &str = include_str!("../../../services/quota/data/annex-2021-2023.tsv");
const TABLE: &str = "allocationTables/2021-2023";
const BAOFENG: &str = "410421";
const MODEL: i32 = rp::TitleTier::ProvincialModel as i32;
const PROVINCIAL: i32 = rp::TitleTier::Provincial as i32;

/// The shared scene with the quota service's calls.
struct QuotaScene(Scene);

impl std::ops::Deref for QuotaScene {
    type Target = Scene;

    fn deref(&self) -> &Scene {
        &self.0
    }
}

impl QuotaScene {
    async fn start(test_db: &TestDb) -> QuotaScene {
        QuotaScene(Scene::start(test_db).await)
    }

    fn quota(&self, bearer: Bearer) -> Quota {
        QuotaServiceClient::with_interceptor(self.suite.gateway.clone(), bearer)
    }

    async fn import(
        &self,
        bearer: Bearer,
        content: Vec<u8>,
        file_name: &str,
    ) -> Result<qp::AllocationTableVersion, tonic::Status> {
        self.quota(bearer)
            .import_allocation_table(qp::ImportAllocationTableRequest {
                table: TABLE.into(),
                content,
                format: qp::FileFormat::Unspecified as i32,
                file_name: file_name.into(),
                request_id: String::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// The annex imported and confirmed as it is.
    async fn annex_in_force(&self) -> qp::AllocationTableVersion {
        let draft = self
            .import(self.province(), ANNEX.as_bytes().to_vec(), "annex.tsv")
            .await
            .unwrap();
        self.quota(self.province())
            .confirm_allocation_table(qp::ConfirmAllocationTableRequest {
                name: draft.name,
                etag: draft.etag,
                accept_discrepancies: true,
            })
            .await
            .unwrap()
            .into_inner()
    }

    async fn designate(
        &self,
        bearer: Bearer,
        unit: &str,
        tier: i32,
    ) -> Result<qp::Designation, tonic::Status> {
        self.quota(bearer)
            .create_designation(qp::CreateDesignationRequest {
                designation: Some(qp::Designation {
                    table: TABLE.into(),
                    unit: unit.into(),
                    tier,
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn fulfilment(&self, bearer: Bearer) -> Result<qp::Fulfilment, tonic::Status> {
        self.quota(bearer)
            .get_fulfilment(qp::GetFulfilmentRequest {
                table: TABLE.into(),
            })
            .await
            .map(tonic::Response::into_inner)
    }
}

fn quota_of(version: &qp::AllocationTableVersion, holder: &str, tier: i32) -> i32 {
    version
        .rows
        .iter()
        .find(|r| r.holder == holder)
        .and_then(|r| r.quotas.iter().find(|q| q.tier == tier))
        .map(|q| q.quota)
        .unwrap_or_else(|| panic!("no quota of {holder} for {tier}"))
}

fn totals(version: &qp::AllocationTableVersion) -> Vec<i32> {
    version.totals.iter().map(|t| t.quota).collect()
}

/// The tier's counts of a holder's fulfilment: (quota, designated, titled, gap, free).
fn counts(holder: &qp::HolderFulfilment, tier: i32) -> (i32, i32, i32, i32, i32) {
    let t = holder.tiers.iter().find(|t| t.tier == tier).unwrap();
    (t.quota, t.designated, t.titled, t.gap, t.free)
}

fn gbk(text: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(text).0.into_owned()
}

/// The annex as Excel writes it: a title line over the table, numbers as numbers.
fn annex_xlsx() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .write_string(0, 0, "2021—2023年度全省重点培养结对帮创非公单位指标分配表")
        .unwrap();
    for (r, line) in ANNEX.lines().enumerate() {
        for (c, cell) in line.split('\t').enumerate() {
            let (row, col) = (r as u32 + 2, c as u16);
            match cell.parse::<f64>() {
                Ok(n) => sheet.write_number(row, col, n).unwrap(),
                Err(_) => sheet.write_string(row, col, cell).unwrap(),
            };
        }
    }
    book.save_to_buffer().unwrap()
}

/// Every row of the first sheet of `bytes`, as text.
fn sheet_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut book = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Float(f) => format!("{f}"),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

db_test!(
    the_annex_is_imported_confirmed_reallocated_and_exported,
    tables_body
);
async fn tables_body(test_db: &TestDb) {
    let s = QuotaScene::start(test_db).await;

    // Only the province imports.
    let err = s
        .import(s.pingdingshan(), ANNEX.as_bytes().to_vec(), "annex.tsv")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);

    // A file with bad cells: every one named by row and column, nothing stored.
    let bad = ANNEX
        .replace("郑 州 市\t12", "郑 州 市\t十二")
        .replace("开 封 市\t8\t20", "开 封 市\t8\t-2")
        .replace("洛 阳 市", "洛 阳 县");
    let err = s
        .import(s.province(), bad.into_bytes(), "annex.tsv")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let reasons: Vec<String> = field_violations(&err).into_iter().map(|(_, r)| r).collect();
    assert_eq!(
        reasons,
        [
            "TABLE.NUMBER",
            "TABLE.NEGATIVE",
            "TABLE.HOLDER_UNKNOWN",
            "TABLE.HOLDER_MISSING"
        ]
    );
    let zh: Vec<String> = err
        .get_details_bad_request()
        .unwrap()
        .field_violations
        .into_iter()
        .map(|v| v.localized_message.unwrap().message)
        .collect();
    assert!(zh[0].contains("第 3 行（郑 州 市）第 2 列"), "{zh:?}");
    assert!(zh[2].contains("第 5 行第 1 列“洛 阳 县”"), "{zh:?}");
    let err = s
        .quota(s.province())
        .get_allocation_table(qp::GetAllocationTableRequest { name: TABLE.into() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);

    // The annex itself: both declared totals are wrong, so it stays a draft.
    let draft = s
        .import(s.province(), ANNEX.as_bytes().to_vec(), "附件.tsv")
        .await
        .unwrap();
    assert_eq!(draft.name, format!("{TABLE}/versions/1"));
    assert_eq!(draft.state, qp::AllocationTableState::Draft as i32);
    assert_eq!(draft.rows.len(), 19);
    assert_eq!(draft.rows[0].holder, "offices/provincial-direct");
    assert_eq!(draft.rows[0].holder_display_name, "省直");
    assert_eq!(quota_of(&draft, "offices/410400", MODEL), 8);
    assert_eq!(quota_of(&draft, "offices/410400", PROVINCIAL), 32);
    assert_eq!(totals(&draft), [124, 460]);
    let found: Vec<(String, i64, i64)> = draft
        .discrepancies
        .iter()
        .map(|d| (d.column.clone(), d.declared, d.sum))
        .collect();
    assert_eq!(
        found,
        [
            ("河南省文明单位标兵（个）".to_owned(), 128, 124),
            ("河南省文明单位（个）".to_owned(), 476, 460)
        ]
    );
    // Designations wait for a table in force.
    let err = s.fulfilment(s.province()).await.unwrap_err();
    assert_eq!(precondition_types(&err), ["quota.no_table_in_force"]);
    // Confirming needs the province to accept the rows as they are.
    let confirm = |accept: bool, etag: String| {
        let mut client = s.quota(s.province());
        let name = draft.name.clone();
        async move {
            client
                .confirm_allocation_table(qp::ConfirmAllocationTableRequest {
                    name,
                    etag,
                    accept_discrepancies: accept,
                })
                .await
                .map(tonic::Response::into_inner)
        }
    };
    let err = confirm(false, draft.etag.clone()).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(precondition_types(&err), ["quota.discrepancies"]);
    assert!(
        zh_cn(&err).contains("声明 128，各行之和 124"),
        "{}",
        zh_cn(&err)
    );
    let err = s
        .quota(s.pingdingshan())
        .confirm_allocation_table(qp::ConfirmAllocationTableRequest {
            name: draft.name.clone(),
            etag: String::new(),
            accept_discrepancies: true,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let first = confirm(true, draft.etag.clone()).await.unwrap();
    assert_eq!(first.state, qp::AllocationTableState::Confirmed as i32);
    assert!(!first.confirmed_by.is_empty());
    let err = confirm(true, first.etag.clone()).await.unwrap_err();
    assert_eq!(precondition_types(&err), ["quota.not_a_draft"]);

    // The same table as Excel saves it in a Chinese locale (GBK CSV), and as XLSX:
    // each lands as a new draft, the later discarding the earlier.
    let csv = gbk(&ANNEX.replace('\t', ","));
    let from_csv = s.import(s.province(), csv, "2021-2023.csv").await.unwrap();
    assert_eq!(from_csv.version, 2);
    assert_eq!(totals(&from_csv), [124, 460]);
    let from_xlsx = s
        .import(s.province(), annex_xlsx(), "2021-2023.xlsx")
        .await
        .unwrap();
    assert_eq!(from_xlsx.version, 3);
    assert_eq!(from_xlsx.rows, first.rows);
    assert_eq!(from_xlsx.discrepancies.len(), 2);
    let versions = s
        .quota(s.suite.office("county", BAOFENG))
        .list_allocation_table_versions(qp::ListAllocationTableVersionsRequest {
            table: TABLE.into(),
            page_size: 2,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let states: Vec<i32> = versions.versions.iter().map(|v| v.state).collect();
    assert_eq!(
        states,
        [
            qp::AllocationTableState::Draft as i32,
            qp::AllocationTableState::Discarded as i32
        ]
    );
    assert!(!versions.next_page_token.is_empty());

    // Reallocation: two model places move from 郑州 to 平顶山; the totals stay.
    let move_two = |quotas: [(&'static str, i32); 2], change_totals: bool, etag: String| {
        let mut client = s.quota(s.province());
        async move {
            client
                .reallocate_quota(qp::ReallocateQuotaRequest {
                    table: TABLE.into(),
                    etag,
                    changes: quotas
                        .iter()
                        .map(|(holder, quota)| qp::AllocationRow {
                            holder: (*holder).into(),
                            holder_display_name: String::new(),
                            quotas: vec![qp::TierQuota {
                                tier: MODEL,
                                quota: *quota,
                            }],
                        })
                        .collect(),
                    reason: "郑州市申请调出两个标兵指标".into(),
                    change_totals,
                    request_id: String::new(),
                })
                .await
                .map(tonic::Response::into_inner)
        }
    };
    let err = move_two(
        [("offices/410100", 10), ("offices/410400", 8)],
        false,
        first.etag.clone(),
    )
    .await
    .unwrap_err();
    assert_eq!(precondition_types(&err), ["quota.total_changed"]);
    assert!(
        zh_cn(&err).contains("由 124 个变为 122 个"),
        "{}",
        zh_cn(&err)
    );
    let err = move_two(
        [("offices/410100", 10), ("offices/410421", 10)],
        false,
        first.etag.clone(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        field_violations(&err),
        [("changes[1].holder".to_owned(), "QUOTA.HOLDER".to_owned())]
    );
    let moved = move_two(
        [("offices/410100", 10), ("offices/410400", 10)],
        false,
        first.etag.clone(),
    )
    .await
    .unwrap();
    assert_eq!(moved.version, 4);
    assert_eq!(moved.source, qp::AllocationSource::Reallocation as i32);
    assert_eq!(moved.reason, "郑州市申请调出两个标兵指标");
    assert_eq!(quota_of(&moved, "offices/410400", MODEL), 10);
    assert_eq!(totals(&moved), [124, 460]);
    // A stale etag is refused; a deliberate change of the total is taken.
    let err = move_two(
        [("offices/410100", 12), ("offices/410400", 10)],
        true,
        first.etag.clone(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::Aborted);
    let grown = move_two(
        [("offices/410100", 12), ("offices/410400", 10)],
        true,
        moved.etag.clone(),
    )
    .await
    .unwrap();
    assert_eq!(totals(&grown), [126, 460]);
    // Every version stays readable.
    let old = s
        .quota(s.pingdingshan())
        .get_allocation_table(qp::GetAllocationTableRequest {
            name: format!("{TABLE}/versions/1"),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(old.state, qp::AllocationTableState::Superseded as i32);
    assert_eq!(quota_of(&old, "offices/410400", MODEL), 8);

    // The export: the annex's layout, the fulfilment beside each tier, and it imports
    // again as it is.
    let export = s
        .quota(s.province())
        .export_allocation_table(qp::ExportAllocationTableRequest { name: TABLE.into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        export.file_name,
        "2021—2023年度全省重点培养结对帮创非公单位指标分配表（第5版）.xlsx"
    );
    let rows = sheet_rows(&export.content);
    assert_eq!(
        rows[2],
        [
            "地 市",
            "河南省文明单位标兵（个）",
            "已确定培养",
            "已获评",
            "缺口",
            "河南省文明单位（个）",
            "已确定培养",
            "已获评",
            "缺口"
        ]
    );
    let pingdingshan = rows.iter().find(|r| r[0] == "平顶山市").unwrap();
    assert_eq!(pingdingshan[1..5], ["10", "0", "0", "10"]);
    let total = rows.last().unwrap();
    assert_eq!(
        (total[0].as_str(), total[1].as_str(), total[5].as_str()),
        ("合 计", "126", "460")
    );
    let again = s
        .import(s.province(), export.content, &export.file_name)
        .await
        .unwrap();
    assert_eq!(again.rows, grown.rows);
    assert!(again.discrepancies.is_empty());
    // A county office reads the table but no fulfilment.
    let export = s
        .quota(s.suite.office("county", BAOFENG))
        .export_allocation_table(qp::ExportAllocationTableRequest {
            name: format!("{TABLE}/versions/5"),
        })
        .await
        .unwrap()
        .into_inner();
    let rows = sheet_rows(&export.content);
    let pingdingshan = rows.iter().find(|r| r[0] == "平顶山市").unwrap();
    assert_eq!(pingdingshan[1..5], ["10", "", "", ""]);
}

db_test!(
    fifty_parallel_designations_against_eight_places_give_eight,
    contention_body
);
async fn contention_body(test_db: &TestDb) {
    let s = QuotaScene::start(test_db).await;
    s.annex_in_force().await;
    let campaign = s.campaign().await;
    let county = s.suite.office("county", BAOFENG);
    let mut units = Vec::new();
    for n in 0..50 {
        let (unit, _) = s
            .paired(
                county.clone(),
                county.clone(),
                &campaign,
                &format!("宝丰县重点培养企业{n}"),
                BAOFENG,
            )
            .await;
        units.push(unit);
    }
    let calls = units.iter().map(|unit| {
        let s = &s;
        async move { s.designate(s.pingdingshan(), unit, MODEL).await }
    });
    let results = futures::future::join_all(calls).await;
    let made: Vec<&qp::Designation> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(made.len(), 8, "exactly the eight places are taken");
    for err in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
        let failure = err.get_details_quota_failure().expect("a QuotaFailure");
        assert_eq!(failure.violations.len(), 1);
        assert_eq!(
            failure.violations[0].subject,
            "offices/410400/tiers/provincial_model"
        );
        assert_eq!(failure.violations[0].description, "8 of 8 places used");
        let zh = zh_cn(err);
        assert!(
            zh.contains("平顶山市河南省文明单位标兵指标 8 个已全部确定"),
            "{zh}"
        );
    }
    let own = s.fulfilment(s.pingdingshan()).await.unwrap();
    assert_eq!(own.holders.len(), 1);
    assert_eq!(counts(&own.holders[0], MODEL), (8, 8, 0, 8, 0));

    // Withdrawing frees the place, and the next designation takes it.
    let withdrawn = s
        .quota(s.pingdingshan())
        .withdraw_designation(qp::WithdrawDesignationRequest {
            name: made[0].name.clone(),
            reason: "企业经营困难，暂缓培养".into(),
            etag: made[0].etag.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(withdrawn.state, qp::DesignationState::Withdrawn as i32);
    assert_eq!(withdrawn.withdraw_reason, "企业经营困难，暂缓培养");
    let own = s.fulfilment(s.pingdingshan()).await.unwrap();
    assert_eq!(counts(&own.holders[0], MODEL), (8, 7, 0, 8, 1));
    let waiting = units
        .iter()
        .find(|u| !made.iter().any(|d| &d.unit == *u))
        .unwrap();
    s.designate(s.pingdingshan(), waiting, MODEL).await.unwrap();
    let err = s
        .designate(s.pingdingshan(), &made[0].unit, MODEL)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted);

    // The province cannot cut Pingdingshan below what it has designated.
    let err = s
        .quota(s.province())
        .reallocate_quota(qp::ReallocateQuotaRequest {
            table: TABLE.into(),
            etag: String::new(),
            changes: vec![
                qp::AllocationRow {
                    holder: "offices/410400".into(),
                    holder_display_name: String::new(),
                    quotas: vec![qp::TierQuota {
                        tier: MODEL,
                        quota: 6,
                    }],
                },
                qp::AllocationRow {
                    holder: "offices/410100".into(),
                    holder_display_name: String::new(),
                    quotas: vec![qp::TierQuota {
                        tier: MODEL,
                        quota: 14,
                    }],
                },
            ],
            reason: "调整指标".into(),
            change_totals: false,
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(precondition_types(&err), ["quota.below_designated"]);
    assert!(
        zh_cn(&err).contains("已确定 8 个重点培养对象"),
        "{}",
        zh_cn(&err)
    );
}

db_test!(
    designations_follow_pairing_registry_and_scope,
    designations_body
);
async fn designations_body(test_db: &TestDb) {
    let s = QuotaScene::start(test_db).await;
    s.annex_in_force().await;
    let campaign = s.campaign().await;
    let county = s.suite.office("county", BAOFENG);
    let (unit, pairing) = s
        .paired(
            county.clone(),
            county.clone(),
            &campaign,
            "宝丰县示范耐材有限公司",
            BAOFENG,
        )
        .await;

    // Who designates: the holders only.
    let err = s
        .designate(county.clone(), &unit, PROVINCIAL)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = s
        .designate(s.province(), &unit, PROVINCIAL)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    // The tier must be one the table allocates.
    let err = s
        .designate(s.pingdingshan(), &unit, rp::TitleTier::City as i32)
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        [("designation.tier".to_owned(), "QUOTA.TIER".to_owned())]
    );
    // A unit of another city is not Pingdingshan's to see.
    let zhengzhou = s.suite.office("city", "410100");
    let err = s
        .designate(zhengzhou.clone(), &unit, PROVINCIAL)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    // An unpaired unit is refused.
    let lone = s
        .register(
            county.clone(),
            company("宝丰县未结对企业", BAOFENG, s.code()),
        )
        .await;
    let err = s
        .designate(s.pingdingshan(), &lone, PROVINCIAL)
        .await
        .unwrap_err();
    assert_eq!(precondition_types(&err), ["quota.not_paired"]);
    assert!(zh_cn(&err).contains("宝丰县未结对企业"), "{}", zh_cn(&err));

    let made = s
        .designate(s.pingdingshan(), &unit, PROVINCIAL)
        .await
        .unwrap();
    assert_eq!(made.holder, "offices/410400");
    assert_eq!(made.pairing, pairing.name);
    assert_eq!(made.unit_region_code, BAOFENG);
    assert_eq!(made.state, qp::DesignationState::Active as i32);
    assert!(made.attention.is_empty());
    assert!(!made.titled);
    // One designation at a time per unit, whatever the tier.
    let err = s
        .designate(s.pingdingshan(), &unit, MODEL)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);

    // The provincial-direct office designates its units within its own quota; the
    // city of the unit's region cannot.
    let direct = s.suite.provincial_direct();
    let (direct_unit, _) = s
        .paired(
            direct.clone(),
            direct.clone(),
            &henan_campaign(&s).await,
            "河南省某省属企业",
            BAOFENG,
        )
        .await;
    let err = s
        .designate(s.pingdingshan(), &direct_unit, MODEL)
        .await
        .unwrap_err();
    assert_eq!(precondition_types(&err), ["quota.unit_holder"]);
    assert!(zh_cn(&err).contains("省直"), "{}", zh_cn(&err));
    let direct_made = s
        .designate(direct.clone(), &direct_unit, MODEL)
        .await
        .unwrap();
    assert_eq!(direct_made.holder, "offices/provincial-direct");

    // Who reads: the province everything, the city its own, the county its region's,
    // another city nothing of Pingdingshan's.
    let get = |bearer: Bearer, name: String| {
        let mut client = s.quota(bearer);
        async move {
            client
                .get_designation(qp::GetDesignationRequest { name })
                .await
                .map(tonic::Response::into_inner)
        }
    };
    for reader in [s.province(), s.pingdingshan(), county.clone()] {
        assert!(get(reader, made.name.clone()).await.is_ok());
    }
    let err = get(zhengzhou.clone(), made.name.clone()).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = get(s.suite.office("county", YEXIAN), made.name.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = s
        .quota(zhengzhou.clone())
        .withdraw_designation(qp::WithdrawDesignationRequest {
            name: made.name.clone(),
            reason: "不是本市的".into(),
            etag: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let listed = s
        .quota(s.province())
        .list_designations(qp::ListDesignationsRequest {
            table: TABLE.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .designations;
    assert_eq!(listed.len(), 2);
    let listed = s
        .quota(s.pingdingshan())
        .list_designations(qp::ListDesignationsRequest {
            table: TABLE.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .designations;
    let names: Vec<&str> = listed.iter().map(|d| d.name.as_str()).collect();
    // The city reads the provincial-direct unit's designation in its region too.
    assert_eq!(names, [made.name.as_str(), direct_made.name.as_str()]);
    let listed = s
        .quota(s.pingdingshan())
        .list_designations(qp::ListDesignationsRequest {
            table: TABLE.into(),
            holder: "offices/410400".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .designations;
    assert_eq!(listed.len(), 1);

    // Fulfilment: the province reads every holder and the totals, a holder its own row,
    // a county none.
    let all = s.fulfilment(s.province()).await.unwrap();
    assert_eq!(all.holders.len(), 19);
    assert_eq!(all.as_of, "2021-04-16");
    let t = all.totals.iter().find(|t| t.tier == MODEL).unwrap();
    assert_eq!((t.quota, t.designated), (124, 1));
    let own = s.fulfilment(direct.clone()).await.unwrap();
    assert_eq!(own.holders.len(), 1);
    assert_eq!(own.holders[0].holder_display_name, "省直");
    assert_eq!(counts(&own.holders[0], MODEL), (8, 1, 0, 8, 7));
    let err = s.fulfilment(county.clone()).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);

    // The unit is awarded the tier: it counts as titled, the gap shrinks.
    s.award(&unit, rp::TitleTier::Provincial).await;
    let own = s.fulfilment(s.pingdingshan()).await.unwrap();
    assert_eq!(counts(&own.holders[0], PROVINCIAL), (32, 1, 1, 31, 31));
    assert!(
        get(s.pingdingshan(), made.name.clone())
            .await
            .unwrap()
            .titled
    );

    // The pairing is dissolved and the unit deregistered: the designation stays, with
    // its place, and says what needs attention.
    s.pairing(s.pingdingshan())
        .dissolve_pairing(pp::DissolvePairingRequest {
            name: pairing.name.clone(),
            reason: "帮扶单位撤出".into(),
            etag: String::new(),
        })
        .await
        .unwrap();
    let read = get(s.pingdingshan(), made.name.clone()).await.unwrap();
    assert_eq!(
        read.attention,
        [qp::DesignationAttention::PairingNotOpen as i32]
    );
    s.registry(county.clone())
        .deregister_unit(rp::DeregisterUnitRequest {
            name: unit.clone(),
            reason: "企业注销".into(),
            etag: String::new(),
        })
        .await
        .unwrap();
    let read = get(s.pingdingshan(), made.name.clone()).await.unwrap();
    assert_eq!(
        read.attention,
        [
            qp::DesignationAttention::PairingNotOpen as i32,
            qp::DesignationAttention::UnitDeregistered as i32
        ]
    );
    assert_eq!(read.state, qp::DesignationState::Active as i32);
    let own = s.fulfilment(s.pingdingshan()).await.unwrap();
    assert_eq!(counts(&own.holders[0], PROVINCIAL), (32, 1, 0, 32, 31));
}

/// The province's campaign, which provincial-direct pairings belong to.
async fn henan_campaign(s: &QuotaScene) -> String {
    s.registry(s.province())
        .create_campaign(rp::CreateCampaignRequest {
            campaign: Some(wenming_testkit::fixtures::henan_campaign_pb()),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .name
}

/// A unit of 宝丰县 of `kind`, base-level or not, registered by the county.
async fn unit_of_kind(s: &QuotaScene, name: &str, kind: rp::UnitKind, base_level: bool) -> String {
    s.register(
        s.suite.office("county", BAOFENG),
        rp::Unit {
            kind: kind as i32,
            base_level,
            ..company(name, BAOFENG, s.code())
        },
    )
    .await
}

fn places(holder: &str, places: i32, non_public: i32, community: i32) -> qp::RecommendationPlaces {
    qp::RecommendationPlaces {
        holder: holder.into(),
        holder_display_name: String::new(),
        places,
        non_public_minimum: non_public,
        community_minimum: community,
    }
}

async fn create_round(
    s: &QuotaScene,
    bearer: Bearer,
    round: qp::RecommendationRound,
) -> Result<qp::RecommendationRound, tonic::Status> {
    s.quota(bearer)
        .create_recommendation_round(qp::CreateRecommendationRoundRequest {
            round: Some(round),
            request_id: String::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn submit(
    s: &QuotaScene,
    bearer: Bearer,
    name: &str,
    units: &[String],
) -> Result<qp::RecommendationList, tonic::Status> {
    s.quota(bearer)
        .submit_recommendation_list(qp::SubmitRecommendationListRequest {
            list: Some(qp::RecommendationList {
                name: name.into(),
                units: units
                    .iter()
                    .map(|u| qp::RecommendedUnit {
                        unit: u.clone(),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }),
            etag: String::new(),
            request_id: String::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// (type, description) of each PreconditionFailure violation.
fn broken(status: &tonic::Status) -> Vec<(String, String)> {
    zh_cn(status);
    status
        .get_details_precondition_failure()
        .map(|f| {
            f.violations
                .into_iter()
                .map(|v| (v.r#type, v.description))
                .collect()
        })
        .unwrap_or_default()
}

/// Pingdingshan's ten: three administrative agencies (not base-level), four companies
/// and three communities (base-level).
async fn pingdingshan_ten(s: &QuotaScene) -> Vec<String> {
    let mut units = Vec::new();
    for n in 0..3 {
        units.push(
            unit_of_kind(
                s,
                &format!("宝丰县机关{n}"),
                rp::UnitKind::AdministrativeAgency,
                false,
            )
            .await,
        );
    }
    for n in 0..4 {
        units.push(
            unit_of_kind(
                s,
                &format!("宝丰县企业{n}"),
                rp::UnitKind::PrivateEnterprise,
                true,
            )
            .await,
        );
    }
    for n in 0..3 {
        units.push(
            unit_of_kind(
                s,
                &format!("宝丰县社区{n}"),
                rp::UnitKind::CommunityStreet,
                true,
            )
            .await,
        );
    }
    units
}

fn round_2022() -> qp::RecommendationRound {
    qp::RecommendationRound {
        year: 2022,
        tier: PROVINCIAL,
        display_name: "2022年度河南省文明单位评选推荐".into(),
        document_number: "豫文明办〔2022〕3号".into(),
        agency_cap_percent: 20,
        base_level_minimum_percent: 60,
        places: vec![
            places("offices/410400", 10, 3, 2),
            places("offices/provincial-direct", 5, 2, 0),
        ],
        ..Default::default()
    }
}

db_test!(
    recommendation_lists_are_judged_by_their_rounds_rules,
    recommendations_body
);
async fn recommendations_body(test_db: &TestDb) {
    let s = QuotaScene::start(test_db).await;
    // Only the province sets a round; its rows are checked field by field.
    let err = create_round(&s, s.pingdingshan(), round_2022())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = create_round(
        &s,
        s.province(),
        qp::RecommendationRound {
            agency_cap_percent: 120,
            places: vec![
                places("offices/410421", 5, 0, 0),
                places("offices/410400", 2, 2, 1),
            ],
            province_places: Some(places("offices/410000", 2, 0, 0)),
            ..round_2022()
        },
    )
    .await
    .unwrap_err();
    let fields: Vec<String> = field_violations(&err).into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        fields,
        [
            "round.agency_cap_percent",
            "round.places[0].holder",
            "round.places[1]",
            "round.province_places"
        ]
    );
    let round = create_round(&s, s.province(), round_2022()).await.unwrap();
    assert_eq!(round.name, "recommendationRounds/2022");
    assert_eq!(round.places[0].holder_display_name, "省直");
    assert_eq!(round.places[1].holder_display_name, "平顶山市");
    let err = create_round(&s, s.province(), round_2022())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);

    let ten = pingdingshan_ten(&s).await;
    let list = "recommendationRounds/2022/lists/410400";
    // Three agencies of ten break the 20 % cap; nothing else is wrong.
    let err = submit(&s, s.pingdingshan(), list, &ten).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(
        broken(&err),
        [(
            "recommendation.agency_cap".to_owned(),
            "administrative agencies 3 of 10 = 30 %, cap 20 %".to_owned()
        )]
    );
    assert!(
        zh_cn(&err).contains("行政机关 3 个，占全部 10 个的 30%，超过上限 20%"),
        "{}",
        zh_cn(&err)
    );
    // Every rule broken is named at once.
    let mut worse = ten[..3].to_vec();
    worse.push(unit_of_kind(&s, "宝丰县医院", rp::UnitKind::PublicInstitution, false).await);
    let err = submit(&s, s.pingdingshan(), list, &worse)
        .await
        .unwrap_err();
    let types: Vec<String> = broken(&err).into_iter().map(|(t, _)| t).collect();
    assert_eq!(
        types,
        [
            "recommendation.agency_cap",
            "recommendation.non_public_minimum",
            "recommendation.community_minimum",
            "recommendation.base_level_share"
        ]
    );
    let err = s
        .quota(s.province())
        .get_recommendation_list(qp::GetRecommendationListRequest { name: list.into() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "a refused list is not kept");
    // Two agencies of ten are within the cap: accepted.
    let mut good = ten.clone();
    good[0] = unit_of_kind(&s, "宝丰县企业4", rp::UnitKind::PrivateEnterprise, true).await;
    let accepted = submit(&s, s.pingdingshan(), list, &good).await.unwrap();
    let tally = accepted.tally.unwrap();
    assert_eq!(
        (
            tally.units,
            tally.administrative_agencies,
            tally.non_public,
            tally.communities,
            tally.base_level
        ),
        (10, 2, 5, 3, 8)
    );
    assert_eq!(
        accepted.units[0].kind,
        rp::UnitKind::PrivateEnterprise as i32
    );
    assert!(accepted.units[0].base_level);

    // Out of scope: another city neither submits nor reads Pingdingshan's list, a county
    // reads no list, and a unit Pingdingshan cannot see is not found.
    let zhengzhou = s.suite.office("city", "410100");
    let err = submit(&s, zhengzhou.clone(), list, &good)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = s
        .quota(zhengzhou.clone())
        .get_recommendation_list(qp::GetRecommendationListRequest { name: list.into() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = s
        .quota(s.suite.office("county", BAOFENG))
        .get_recommendation_list(qp::GetRecommendationListRequest { name: list.into() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let elsewhere = s
        .register(
            s.suite.office("county", "410102"),
            company("郑州某公司", "410102", s.code()),
        )
        .await;
    let err = submit(&s, s.pingdingshan(), list, &[elsewhere])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let own = s
        .quota(zhengzhou.clone())
        .list_recommendation_lists(qp::ListRecommendationListsRequest {
            round: "recommendationRounds/2022".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .lists;
    assert!(
        own.is_empty(),
        "Zhengzhou has no places and reads no other list"
    );
    let err = submit(
        &s,
        zhengzhou,
        "recommendationRounds/2022/lists/410100",
        &good[..1],
    )
    .await
    .unwrap_err();
    assert_eq!(precondition_types(&err), ["recommendation.no_places"]);

    // 2023, the national recommendation: Pingdingshan's candidates, then the province's
    // list drawn from them.
    let national = qp::RecommendationRound {
        year: 2023,
        tier: rp::TitleTier::National as i32,
        display_name: "第七届全国文明单位评选推荐".into(),
        document_number: "豫文明办〔2023〕2号".into(),
        agency_cap_percent: 20,
        base_level_minimum_percent: 50,
        places: vec![places("offices/410400", 3, 1, 0)],
        province_places: Some(places("offices/410000", 2, 1, 0)),
        ..Default::default()
    };
    create_round(&s, s.province(), national).await.unwrap();
    let candidates = [good[3].clone(), good[4].clone(), good[7].clone()];
    submit(
        &s,
        s.pingdingshan(),
        "recommendationRounds/2023/lists/410400",
        &candidates,
    )
    .await
    .unwrap();
    let province_list = "recommendationRounds/2023/lists/province";
    let err = submit(&s, s.pingdingshan(), province_list, &candidates[..2])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = submit(
        &s,
        s.province(),
        province_list,
        &[good[3].clone(), good[5].clone()],
    )
    .await
    .unwrap_err();
    let found = broken(&err);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "recommendation.not_a_candidate");
    let err = submit(
        &s,
        s.province(),
        "recommendationRounds/2022/lists/province",
        &good[..1],
    )
    .await
    .unwrap_err();
    assert_eq!(precondition_types(&err), ["recommendation.not_national"]);
    let chosen = submit(&s, s.province(), province_list, &candidates[..2])
        .await
        .unwrap();
    assert_eq!(chosen.holder, "offices/410000");
    assert!(
        chosen
            .units
            .iter()
            .all(|u| u.candidate_of == "offices/410400")
    );
    let round = s
        .quota(s.pingdingshan())
        .get_recommendation_round(qp::GetRecommendationRoundRequest {
            name: "recommendationRounds/2023".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(round.closed);
    let err = submit(
        &s,
        s.pingdingshan(),
        "recommendationRounds/2023/lists/410400",
        &candidates[..1],
    )
    .await
    .unwrap_err();
    assert_eq!(precondition_types(&err), ["recommendation.round_closed"]);
    let all = s
        .quota(s.province())
        .list_recommendation_lists(qp::ListRecommendationListsRequest {
            round: "recommendationRounds/2023".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .lists;
    let names: Vec<&str> = all.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(
        names,
        ["recommendationRounds/2023/lists/410400", province_list]
    );
}

db_test!(
    the_annex_to_a_refused_recommendation_end_to_end,
    done_when_body
);
/// The whole story in one run: the annex verbatim, confirmed; Pingdingshan's
/// eight model places filled and the ninth refused; the province's fulfilment and its
/// export; a recommendation list over the agency cap refused by name.
async fn done_when_body(test_db: &TestDb) {
    let s = QuotaScene::start(test_db).await;
    let draft = s
        .import(s.province(), ANNEX.as_bytes().to_vec(), "附件.tsv")
        .await
        .unwrap();
    let reported: Vec<(i64, i64)> = draft
        .discrepancies
        .iter()
        .map(|d| (d.sum, d.declared))
        .collect();
    assert_eq!(reported, [(124, 128), (460, 476)]);
    let confirmed = s
        .quota(s.province())
        .confirm_allocation_table(qp::ConfirmAllocationTableRequest {
            name: draft.name,
            etag: draft.etag,
            accept_discrepancies: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(confirmed.state, qp::AllocationTableState::Confirmed as i32);

    let campaign = s.campaign().await;
    let county = s.suite.office("county", BAOFENG);
    for n in 1..=9 {
        let (unit, _) = s
            .paired(
                county.clone(),
                s.pingdingshan(),
                &campaign,
                &format!("宝丰县培育企业{n}"),
                BAOFENG,
            )
            .await;
        let made = s.designate(s.pingdingshan(), &unit, MODEL).await;
        if n <= 8 {
            assert!(made.is_ok(), "place {n}: {made:?}");
        } else {
            let err = made.unwrap_err();
            assert_eq!(err.code(), Code::ResourceExhausted);
            let failure = err.get_details_quota_failure().unwrap();
            assert_eq!(
                failure.violations[0].subject,
                "offices/410400/tiers/provincial_model"
            );
        }
    }
    let all = s.fulfilment(s.province()).await.unwrap();
    let pingdingshan = all
        .holders
        .iter()
        .find(|h| h.holder == "offices/410400")
        .unwrap();
    assert_eq!(counts(pingdingshan, MODEL), (8, 8, 0, 8, 0));
    let export = s
        .quota(s.province())
        .export_allocation_table(qp::ExportAllocationTableRequest { name: TABLE.into() })
        .await
        .unwrap()
        .into_inner();
    let rows = sheet_rows(&export.content);
    let row = rows.iter().find(|r| r[0] == "平顶山市").unwrap();
    assert_eq!(row[1..5], ["8", "8", "0", "8"]);

    create_round(&s, s.province(), round_2022()).await.unwrap();
    let ten = pingdingshan_ten(&s).await;
    let err = submit(
        &s,
        s.pingdingshan(),
        "recommendationRounds/2022/lists/410400",
        &ten,
    )
    .await
    .unwrap_err();
    assert_eq!(precondition_types(&err), ["recommendation.agency_cap"]);
}
