//! Fixtures every service's tests use: principals, valid credit codes, a private
//! enterprise as the registry expects it, the 2021 Pingdingshan campaign, and readers
//! of the google.rpc details in a status.

use wenming_authz::Principal;
use wenming_domain::{AdminLevel, CreditCode, RegionCode};
use wenming_proto::registry::v1 as pb;

/// 2021-04-15 10:00 in Shanghai: before Pingdingshan's 20 April nomination deadline.
pub fn april_15_2021() -> jiff::Timestamp {
    "2021-04-15T02:00:00Z".parse().expect("timestamp")
}

pub fn office(level: AdminLevel, code: &str) -> Principal {
    Principal::office(
        format!("office-{code}"),
        level,
        RegionCode::parse(code).expect("fixture"),
    )
}

/// A valid credit code registered in `region`, distinct per `n`.
pub fn credit_code(region: &str, n: u32) -> String {
    CreditCode::complete(&format!("91{region}{n:08}"))
        .expect("fixture")
        .as_str()
        .to_owned()
}

/// A private enterprise in `region`.
pub fn company(name: &str, region: &str, n: u32) -> pb::Unit {
    pb::Unit {
        display_name: name.to_owned(),
        credit_code: credit_code(region, n),
        region_code: region.to_owned(),
        kind: pb::UnitKind::PrivateEnterprise as i32,
        scale: pb::UnitScale::Medium as i32,
        nature: "制造业".to_owned(),
        business: Some(pb::BusinessManagement {
            employees: 320,
            main_business: "耐火材料".to_owned(),
            annual_revenue_10k_yuan: 12_000,
        }),
        party_building: Some(pb::PartyBuilding {
            organisation_type: pb::PartyOrganisationType::Branch as i32,
            party_members: 18,
            instructor_name: "王指导".to_owned(),
            service_centre: "宝丰县产业集聚区党群服务中心".to_owned(),
        }),
        civilisation_officer: Some(pb::CivilisationOfficer {
            person_name: "李文明".to_owned(),
            phone: "13800001234".to_owned(),
        }),
        ..Default::default()
    }
}

/// The Pingdingshan 2021 campaign as the city office creates it.
pub fn pingdingshan_campaign_pb() -> pb::Campaign {
    pb::Campaign {
        display_name: "2021年非公单位文明单位创建".to_owned(),
        document_number: "平文明办〔2021〕11号".to_owned(),
        nomination_deadline: "2021-04-20".to_owned(),
        pairing_list_deadline: "2021-05-01".to_owned(),
        // "平顶山市文明单位及河南省文明单位（标兵）培育对象".
        target_tiers: vec![
            pb::TitleTier::City as i32,
            pb::TitleTier::Provincial as i32,
            pb::TitleTier::ProvincialModel as i32,
        ],
        ..Default::default()
    }
}

/// The province's 2021 campaign (豫文明办〔2021〕5号) as the provincial office creates
/// it: pairing lists due to the province by 1 May for every office. (The notice sets no
/// provincial nomination date; 30 April stands for the one the provincial-direct office
/// nominates by.)
pub fn henan_campaign_pb() -> pb::Campaign {
    pb::Campaign {
        display_name: "2021年全省非公单位文明单位创建".to_owned(),
        document_number: "豫文明办〔2021〕5号".to_owned(),
        nomination_deadline: "2021-04-30".to_owned(),
        pairing_list_deadline: "2021-05-01".to_owned(),
        target_tiers: vec![
            pb::TitleTier::Provincial as i32,
            pb::TitleTier::ProvincialModel as i32,
        ],
        ..Default::default()
    }
}

/// The zh-CN message of a refusal (`google.rpc.LocalizedMessage`); panics when there is
/// none, since every refusal must carry one.
pub fn zh_cn(status: &tonic::Status) -> String {
    let message = wenming_runtime::status::zh_cn_of(status)
        .unwrap_or_else(|| panic!("no zh-CN LocalizedMessage in {status:?}"));
    assert!(
        !message.is_empty() && !message.contains('{'),
        "unfinished zh-CN message: {message}"
    );
    message
}

/// The BadRequest field violations of a status, as (field, reason). Checks on the way
/// that the refusal and each violation carry their zh-CN message.
pub fn field_violations(status: &tonic::Status) -> Vec<(String, String)> {
    use tonic_types::StatusExt as _;
    zh_cn(status);
    status
        .get_details_bad_request()
        .map(|b| {
            b.field_violations
                .into_iter()
                .map(|v| {
                    let zh = v.localized_message.map(|m| m.message).unwrap_or_default();
                    assert!(!zh.is_empty(), "{} has no zh-CN message", v.field);
                    (v.field, v.reason)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The PreconditionFailure violation types of a status.
pub fn precondition_types(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt as _;
    zh_cn(status);
    status
        .get_details_precondition_failure()
        .map(|p| p.violations.into_iter().map(|v| v.r#type).collect())
        .unwrap_or_default()
}
