//! RecordCommendation: the supervision service puts a province's commendation on the
//! unit's record. Parsed here, decided by `rules::commending_office`, stored by the store.

use wenming_authz::Scope;
use wenming_domain::{CommendationId, PairingId, UnitId};
use wenming_proto::registry::v1 as pb;

use crate::convert::{parse_date, parse_name};
use crate::error::{RegistryError, Result};
use crate::rules;
use crate::service::{RegistryApi, text_field};
use crate::store::CommendationRecord;
use wenming_runtime::catalogue::common;

pub(crate) fn commendation_to_pb(c: &CommendationRecord) -> pb::UnitCommendation {
    pb::UnitCommendation {
        name: c.name.clone(),
        document_number: c.document_number.clone(),
        title: c.title.clone(),
        commended_on: c.commended_on.clone(),
        pairing: c.pairing.clone(),
    }
}

impl RegistryApi {
    pub(crate) async fn record_commendation_call(
        &self,
        scope: &Scope,
        req: pb::RecordCommendationRequest,
    ) -> Result<CommendationRecord> {
        let unit = parse_name("unit", "units", &req.unit, |id| UnitId::parse(id).ok())?;
        let c = req.commendation.ok_or_else(|| {
            RegistryError::invalid(
                "commendation",
                &common::REQUIRED,
                "commendation is required",
            )
        })?;
        let name = parse_name("commendation.name", "commendations", &c.name, |id| {
            CommendationId::parse(id).ok()
        })?;
        let pairing = parse_name("commendation.pairing", "pairings", &c.pairing, |id| {
            PairingId::parse(id).ok()
        })?;
        let document_number = text_field("commendation.document_number", &c.document_number, 100)?;
        let title = text_field("commendation.title", &c.title, 200)?;
        for (field, value) in [
            ("commendation.document_number", &document_number),
            ("commendation.title", &title),
        ] {
            if value.is_empty() {
                return Err(RegistryError::invalid(
                    field,
                    &common::REQUIRED,
                    format!("{field} is required"),
                ));
            }
        }
        let commended_on = parse_date("commendation.commended_on", &c.commended_on)?;
        rules::commending_office(scope)?;
        self.store()
            .record_commendation(
                scope,
                &unit.to_string(),
                CommendationRecord {
                    name: format!("commendations/{name}"),
                    document_number,
                    title,
                    commended_on: commended_on.to_string(),
                    pairing: format!("pairings/{pairing}"),
                },
            )
            .await
    }
}
