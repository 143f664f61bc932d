//! The commendation RPCs: the province commends a pairing (通报表扬); the commendation
//! goes on the unit's record in the registry in the same step.

use wenming_authz::Scope;
use wenming_clients::{Onward, UnitCommendation};
use wenming_domain::{Heading, PairingId};
use wenming_proto::supervision::v1 as pb;
use wenming_runtime::catalogue::common;
use wenming_runtime::edge::{page, parse_date, parse_name, request_id};
use wenming_runtime::sql::Page;

use crate::error::{Result, SupervisionError};
use crate::rules;
use crate::service::{SupervisionApi, text};
use crate::store::{CommendationFilter, CommendationRecord, NewCommendation};

pub(crate) fn commendation_id(field: &str, name: &str) -> Result<String> {
    Ok(parse_name(field, "commendations", name, |id| {
        wenming_domain::CommendationId::parse(id).ok()
    })?
    .to_string())
}

impl SupervisionApi {
    pub(crate) async fn commend(
        &self,
        onward: &Onward,
        scope: &Scope,
        req: pb::CommendPairingRequest,
    ) -> Result<CommendationRecord> {
        let request_id = request_id(&req.request_id)?;
        let c = req.commendation.ok_or_else(|| {
            SupervisionError::invalid(
                "commendation",
                &common::REQUIRED,
                "commendation is required",
            )
        })?;
        let field = "commendation.pairing";
        parse_name(field, "pairings", &c.pairing, |id| {
            PairingId::parse(id).ok()
        })?;
        let document_number = text(
            "commendation.document_number",
            Heading::parse(&c.document_number),
        )?;
        let title = text("commendation.title", Heading::parse(&c.title))?;
        let commended_on = parse_date("commendation.commended_on", &c.commended_on)?;
        rules::not_after_today(
            "commendation.commended_on",
            commended_on,
            self.store().clock().today_in_china(),
        )?;
        let office = rules::commending_office(scope, self.store().divisions())?;
        let pairing = self.pairing().pairing(onward, field, &c.pairing).await?;
        rules::commendable(&pairing.name, pairing.state)?;
        let unit = self.registry().unit(onward, field, &pairing.unit).await?;
        let new = NewCommendation {
            pairing: pairing.name.clone(),
            document_number: document_number.as_str().to_owned(),
            title: title.as_str().to_owned(),
            commended_on: commended_on.to_string(),
            helper: pairing.helper.clone(),
            target_display_name: unit.display_name.clone(),
            target_region: unit.region_code.clone(),
            target_city: unit.city_code.clone(),
            target_unit: unit.name.trim_start_matches("units/").to_owned(),
            target_helper_unit: pairing.helper.strip_prefix("units/").map(str::to_owned),
            target_direct: unit.provincial_direct,
        };
        let registry = self.registry();
        self.store()
            .commend(scope, office, new, request_id, async |record| {
                registry
                    .record_commendation(
                        onward,
                        &pairing.unit,
                        &UnitCommendation {
                            name: record.name(),
                            document_number: record.document_number.clone(),
                            title: record.title.clone(),
                            commended_on,
                            pairing: record.pairing.clone(),
                        },
                    )
                    .await
                    .map_err(SupervisionError::from)
            })
            .await
    }

    pub(crate) async fn list_commendations(
        &self,
        scope: &Scope,
        req: &pb::ListCommendationsRequest,
    ) -> Result<Page<CommendationRecord>> {
        let (size, after) = page(req.page_size, &req.page_token)?;
        let filter = CommendationFilter {
            pairing: if req.pairing.is_empty() {
                None
            } else {
                parse_name("pairing", "pairings", &req.pairing, |id| {
                    PairingId::parse(id).ok()
                })?;
                Some(req.pairing.clone())
            },
            unit: crate::names::optional_unit("unit", &req.unit)?,
        };
        self.store()
            .list_commendations(scope, &filter, after.as_deref(), size)
            .await
    }
}
