//! Demo data of the supervision service (`wenming up --demo`): Pingdingshan's roving
//! inspection of 宝丰县, recorded a month ago with a finding, and the rectification task
//! 宝丰县 follows up, ten days overdue, in the city's queue. Idempotent: fixed request ids,
//! and a visit already recorded is left as it is.

use jiff::ToSpan as _;
use wenming_authz::Principal;
use wenming_domain::{AdminLevel, RegionCode};
use wenming_proto::supervision::v1 as pb;
use wenming_proto::supervision::v1::supervision_service_client::SupervisionServiceClient;
use wenming_runtime::client::AsPrincipal;
use wenming_runtime::service::{BoxError, DemoContext};

/// Loads the supervision demo data.
pub async fn load(context: &DemoContext) -> Result<(), BoxError> {
    let city = AsPrincipal::new(
        &context.key,
        Principal::office(
            "demo-410400",
            AdminLevel::City,
            RegionCode::parse("410400")?,
        ),
    );
    let mut client = SupervisionServiceClient::with_interceptor(
        context.channel(crate::SERVICE.name).await?,
        city,
    );
    let today = wenming_domain::today_in_china(jiff::Timestamp::now());
    let visited = today.checked_sub(30.days())?;
    let inspection = client
        .plan_inspection(pb::PlanInspectionRequest {
            inspection: Some(pb::Inspection {
                kind: pb::InspectionKind::Roving as i32,
                target: "regions/410421".into(),
                inspectors: vec!["张督导".into(), "李督导".into()],
                planned_start: visited.to_string(),
                planned_end: visited.to_string(),
                purpose: "巡回督导宝丰县非公单位结对帮创工作".into(),
                ..Default::default()
            }),
            request_id: "demo-inspection-1".into(),
        })
        .await?
        .into_inner();
    if inspection.state == pb::InspectionState::Planned as i32 {
        client
            .record_visit(pb::RecordVisitRequest {
                name: inspection.name.clone(),
                visit: Some(pb::Visit {
                    visited_on: visited.to_string(),
                    summary: "走访三家结对企业，查看帮扶台账，与企业负责人座谈".into(),
                    findings: vec![pb::Finding {
                        category: pb::FindingCategory::GoingThroughTheMotions as i32,
                        cause: String::new(),
                        description: "部分结对只有签约仪式，之后没有开展帮扶活动".into(),
                        measure: "县文明办逐一约谈帮扶单位，补齐帮扶计划和台账".into(),
                        pairing: String::new(),
                    }],
                    ..Default::default()
                }),
                etag: inspection.etag.clone(),
            })
            .await?;
    }
    client
        .open_rectification_task(pb::OpenRectificationTaskRequest {
            task: Some(pb::RectificationTask {
                finding: format!("{}/findings/1", inspection.name),
                description: "为每个结对补齐帮扶计划，每月至少开展一次帮扶活动".into(),
                responsible_person: "王主任".into(),
                due_date: today.checked_sub(10.days())?.to_string(),
                follow_up_office: "offices/410421".into(),
                ..Default::default()
            }),
            request_id: "demo-task-1".into(),
        })
        .await?;
    tracing::info!(
        "supervision demo data loaded: a roving inspection of 宝丰县 and an overdue task"
    );
    Ok(())
}
