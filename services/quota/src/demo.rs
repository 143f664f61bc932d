//! Demo data of the quota service (`wenming up --demo`): the province imports the
//! notice's annex verbatim (its declared totals, 128 and 476, are not its sums, 124 and
//! 460), confirms it as it is, and Pingdingshan designates the company of the pairing
//! demo for 河南省文明单位. Idempotent: fixed request ids, and a table already in force
//! is left as it is.

use wenming_authz::{IdentityKey, Principal};
use wenming_domain::{AdminLevel, RegionCode};
use wenming_proto::pairing::v1 as pp;
use wenming_proto::pairing::v1::pairing_service_client::PairingServiceClient;
use wenming_proto::quota::v1 as pb;
use wenming_proto::quota::v1::quota_service_client::QuotaServiceClient;
use wenming_proto::registry::v1::TitleTier;
use wenming_runtime::client::AsPrincipal;
use wenming_runtime::service::{BoxError, DemoContext};

/// The notice's annex, as the province sends it.
pub const ANNEX: &str = include_str!("../data/annex-2021-2023.tsv");
const TABLE: &str = "allocationTables/2021-2023";

fn office(key: &IdentityKey, level: AdminLevel, code: &str) -> Result<AsPrincipal, BoxError> {
    let region = RegionCode::parse(code)?;
    Ok(AsPrincipal::new(
        key,
        Principal::office(format!("demo-{region}"), level, region),
    ))
}

/// Loads the quota demo data (after the pairing service's).
pub async fn load(context: &DemoContext) -> Result<(), BoxError> {
    let channel = context.channel(crate::SERVICE.name).await?;
    let province = office(&context.key, AdminLevel::Province, "410000")?;
    let mut quota = QuotaServiceClient::with_interceptor(channel.clone(), province);
    let newest = quota
        .import_allocation_table(pb::ImportAllocationTableRequest {
            table: TABLE.into(),
            content: ANNEX.as_bytes().to_vec(),
            format: pb::FileFormat::Tsv as i32,
            file_name: "附件：2021—2023年度全省重点培养结对帮创非公单位指标分配表.tsv".into(),
            request_id: "demo-quota-import".into(),
        })
        .await?
        .into_inner();
    if newest.state == pb::AllocationTableState::Draft as i32 {
        quota
            .confirm_allocation_table(pb::ConfirmAllocationTableRequest {
                name: newest.name,
                etag: newest.etag,
                accept_discrepancies: true,
            })
            .await?;
    }

    let city = office(&context.key, AdminLevel::City, "410400")?;
    let pairings =
        PairingServiceClient::with_interceptor(context.channel("pairing").await?, city.clone())
            .list_pairings(pp::ListPairingsRequest {
                state: pp::PairingState::Proposed as i32,
                ..Default::default()
            })
            .await?
            .into_inner()
            .pairings;
    if let Some(pairing) = pairings.first() {
        QuotaServiceClient::with_interceptor(channel, city)
            .create_designation(pb::CreateDesignationRequest {
                designation: Some(pb::Designation {
                    table: TABLE.into(),
                    unit: pairing.unit.clone(),
                    tier: TitleTier::Provincial as i32,
                    ..Default::default()
                }),
                request_id: "demo-designation-1".into(),
            })
            .await?;
    }
    tracing::info!("quota demo data loaded: the annex in force, one Pingdingshan designation");
    Ok(())
}
