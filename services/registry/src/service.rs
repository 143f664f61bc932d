//! The gRPC surface: parse at the edge, call the store with the caller's scope, render.

use std::collections::HashSet;
use std::sync::Arc;

use futures::StreamExt as _;
use tonic::{Request, Response, Status, Streaming};
use wenming_authz::Role;
use wenming_domain::{
    ApplicationId, ApplicationState, BatchRule, CampaignDeadline, CampaignId, CreditCode,
    Divisions, NominationId, Reason, TitleId, TitleState, UnitId,
};
use wenming_proto::registry::v1 as pb;
use wenming_proto::registry::v1::registry_service_server::RegistryService;
use wenming_runtime::audit_read;
use wenming_runtime::edge::{self, etag, page, request_id};
use wenming_runtime::scope_of;
use wenming_runtime::status::Violation;

use crate::attestation::Attestor;
use crate::convert::{
    campaign_deadline_from_pb, campaign_deadline_to_pb, kind_from_pb, nomination_status_from_pb,
    nomination_status_to_pb, optional_enum, parse_date, parse_name, parse_optional_date,
    required_enum, tier_from_pb, tier_to_pb, timestamp,
};
use crate::error::{RegistryError, Result};
use crate::messages as msg;
use crate::rules;
use crate::store::{
    ApplicationRecord, CampaignRecord, DeadlineMoveRecord, Decision, ImportOutcome,
    ImportRowResult, ListUnitsFilter, NewCampaign, NewTitle, NominationRecord, Page, Store,
    TitleRecord, UnitKey, VerifiedTitles,
};
use crate::title_changes;
use crate::title_terms::TitleTerms;
use crate::unit_pb::{apply_mask, parse_fields, parse_new_unit, unit_to_pb};
use wenming_runtime::catalogue::{common, region_violation, text_violation};

/// Rows written per transaction in ImportUnits, whatever batches the client streams:
/// fewer, larger transactions cost less per row on both databases.
const IMPORT_ROWS_PER_TRANSACTION: usize = 5_000;

/// Rows one ImportUnits call takes unless `registry.import_max_rows` says otherwise: its
/// answer holds a result per row, so the rows bound the memory a call holds.
pub const IMPORT_MAX_ROWS: usize = 100_000;

/// An ImportUnits stream beyond `max` rows: what was done with the `read` rows before
/// the limit, and that the rest were not read (the caller sends them in another call;
/// rows created already come back as duplicates).
fn too_many_rows(max: usize, read: usize, done: &pb::ImportUnitsResponse) -> RegistryError {
    RegistryError::invalid(
        "rows",
        &msg::IMPORT_TOO_MANY_ROWS,
        format!(
            "at most {max} rows per ImportUnits call: the first {read} rows were imported \
             ({} created, {} duplicates, {} invalid) and the rest were not read; send them in \
             another call",
            done.created, done.duplicates, done.invalid
        ),
    )
    .arg("max", max)
    .arg("read", read)
    .arg("created", done.created)
    .arg("duplicates", done.duplicates)
    .arg("invalid", done.invalid)
}

/// The registry's gRPC service.
#[derive(Clone, Debug)]
pub struct RegistryApi {
    store: Store,
    /// The term of a title whose award names no end.
    terms: TitleTerms,
    /// Signs VerifyTitle answers and publishes the keys that check them.
    attestor: Arc<Attestor>,
    /// Rows one ImportUnits call takes.
    import_max_rows: usize,
}

impl RegistryApi {
    /// The service over `store`, giving titles `terms`, attesting with `attestor`.
    pub fn new(store: Store, terms: TitleTerms, attestor: Attestor) -> Self {
        Self {
            store,
            terms,
            attestor: Arc::new(attestor),
            import_max_rows: IMPORT_MAX_ROWS,
        }
    }

    /// The same service, taking at most `rows` rows per ImportUnits call.
    #[must_use]
    pub fn with_import_max_rows(mut self, rows: usize) -> Self {
        self.import_max_rows = rows;
        self
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// A campaign as answered, with its deadline moves.
    async fn campaign_answer(
        &self,
        record: &CampaignRecord,
    ) -> Result<Response<pb::Campaign>, Status> {
        let moves = self.store.deadline_moves(&[record.id.as_str()]).await?;
        Ok(Response::new(campaign_to_pb(
            record,
            moves.get(&record.id).map_or(&[], Vec::as_slice),
        )))
    }
}

fn unit_id(field: &str, name: &str) -> Result<String> {
    Ok(parse_name(field, "units", name, |id| UnitId::parse(id).ok())?.to_string())
}

fn campaign_id(field: &str, name: &str) -> Result<String> {
    Ok(parse_name(field, "campaigns", name, |id| CampaignId::parse(id).ok())?.to_string())
}

fn nomination_id(field: &str, name: &str) -> Result<String> {
    Ok(parse_name(field, "nominations", name, |id| {
        NominationId::parse(id).ok()
    })?
    .to_string())
}

fn title_id(field: &str, name: &str) -> Result<String> {
    Ok(parse_name(field, "titles", name, |id| TitleId::parse(id).ok())?.to_string())
}

fn reason(field: &str, text: &str) -> Result<Reason> {
    Reason::parse(text).map_err(|err| text_violation(field, &err).into())
}

fn next_token<T>(page: &Page<T>) -> String {
    edge::next_page_token(page.next.as_deref())
}

fn campaign_to_pb(c: &CampaignRecord, moves: &[DeadlineMoveRecord]) -> pb::Campaign {
    pb::Campaign {
        name: c.name(),
        display_name: c.display_name.clone(),
        organising_region_code: c.organising_region.clone(),
        document_number: c.document_number.clone(),
        nomination_deadline: c.nomination_deadline.clone(),
        pairing_list_deadline: c.pairing_list_deadline.clone().unwrap_or_default(),
        batch_min: u32::try_from(c.batch_min).unwrap_or(0),
        batch_max: u32::try_from(c.batch_max).unwrap_or(0),
        target_tiers: c
            .tiers()
            .into_iter()
            .map(|t| tier_to_pb(t) as i32)
            .collect(),
        create_time: Some(timestamp(c.created_at)),
        parent_campaign: c
            .parent_id
            .as_ref()
            .map(|id| format!("campaigns/{id}"))
            .unwrap_or_default(),
        deadline_moves: moves
            .iter()
            .map(|m| pb::DeadlineMove {
                deadline: m
                    .deadline
                    .parse::<CampaignDeadline>()
                    .map_or(pb::CampaignDeadline::Unspecified, campaign_deadline_to_pb)
                    as i32,
                moved_from: m.moved_from.clone().unwrap_or_default(),
                moved_to: m.moved_to.clone(),
                reason: m.reason.clone(),
                moved_by: m.moved_by.clone(),
                move_time: Some(timestamp(m.moved_at)),
            })
            .collect(),
    }
}

fn nomination_to_pb(n: &NominationRecord) -> pb::Nomination {
    let status = |s: &str| {
        s.parse()
            .map_or(pb::NominationStatus::Unspecified, nomination_status_to_pb) as i32
    };
    pb::Nomination {
        name: n.name(),
        campaign: format!("campaigns/{}", n.campaign_id),
        unit: format!("units/{}", n.unit_id),
        unit_display_name: n.unit_display_name.clone(),
        county_code: n.county_code.clone(),
        status: status(&n.status),
        history: n
            .history
            .iter()
            .map(|e| pb::NominationEvent {
                status: status(&e.status),
                actor: e.actor.clone(),
                reason: e.reason.clone(),
                time: Some(timestamp(e.at)),
            })
            .collect(),
        etag: n.version.to_string(),
        submit_time: Some(timestamp(n.submitted_at)),
        target_tier: n
            .target_tier
            .as_deref()
            .and_then(|t| t.parse().ok())
            .map_or(pb::TitleTier::Unspecified, tier_to_pb) as i32,
    }
}

fn title_to_pb(t: &TitleRecord) -> pb::Title {
    pb::Title {
        name: t.name(),
        unit: format!("units/{}", t.unit_id),
        tier: t
            .title_tier()
            .map_or(pb::TitleTier::Unspecified, tier_to_pb) as i32,
        awarded_on: t.awarded_on.clone(),
        valid_until: t.valid_until.clone().unwrap_or_default(),
        document_number: t.document_number.clone(),
        state: match t.title_state() {
            Ok(TitleState::Current) => pb::TitleState::Current,
            Ok(TitleState::Revoked) => pb::TitleState::Revoked,
            Ok(TitleState::Superseded) => pb::TitleState::Superseded,
            Err(_) => pb::TitleState::Unspecified,
        } as i32,
        revoked_on: t.revoked_on.clone().unwrap_or_default(),
        revocation_reason: t.revocation_reason.clone().unwrap_or_default(),
        awarded_by: t.awarded_by.clone(),
        create_time: Some(timestamp(t.created_at)),
    }
}

pub(crate) fn text_field(field: &str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(RegistryError::invalid(
            field,
            &common::TOO_LONG,
            format!("must be at most {max} characters"),
        )
        .arg("max", max));
    }
    Ok(value.to_owned())
}

#[tonic::async_trait]
impl RegistryService for RegistryApi {
    async fn create_unit(
        &self,
        request: Request<pb::CreateUnitRequest>,
    ) -> Result<Response<pb::Unit>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let unit = req.unit.unwrap_or_default();
        let divisions = self.store.divisions();
        let mut new = parse_new_unit(&unit, "unit", divisions).map_err(RegistryError::Invalid)?;
        new.fields.provincial_direct = rules::provincial_direct_on_register(
            &scope,
            "unit.provincial_direct",
            new.fields.provincial_direct,
        )?;
        let record = self
            .store
            .create_unit(&scope, new, request_id(&req.request_id)?)
            .await?;
        Ok(Response::new(unit_to_pb(&record, divisions)))
    }

    async fn get_unit(
        &self,
        request: Request<pb::GetUnitRequest>,
    ) -> Result<Response<pb::Unit>, Status> {
        let scope = scope_of(&request)?;
        let id = unit_id("name", &request.get_ref().name)?;
        let record = self.store.get_unit(&scope, &id).await?;
        Ok(Response::new(unit_to_pb(&record, self.store.divisions())))
    }

    async fn update_unit(
        &self,
        request: Request<pb::UpdateUnitRequest>,
    ) -> Result<Response<pb::Unit>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let patch = req.unit.unwrap_or_default();
        let id = unit_id("unit.name", &patch.name)?;
        let version = etag("unit.etag", &patch.etag)?;
        let paths = req.update_mask.map(|m| m.paths).unwrap_or_default();
        let unit_user = matches!(scope.principal().role, Role::Unit { .. });
        let divisions = self.store.divisions();
        let record = self
            .store
            .update_unit(&scope, &id, version, |before| {
                let mut merged = unit_to_pb(before, divisions);
                apply_mask(&mut merged, &patch, &paths, unit_user)
                    .map_err(RegistryError::Invalid)?;
                parse_fields(&merged, "unit", divisions).map_err(RegistryError::Invalid)
            })
            .await?;
        Ok(Response::new(unit_to_pb(&record, divisions)))
    }

    async fn list_units(
        &self,
        request: Request<pb::ListUnitsRequest>,
    ) -> Result<Response<pb::ListUnitsResponse>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let (size, after) = page(req.page_size, &req.page_token)?;
        let divisions = self.store.divisions();
        let region = if req.region_code.is_empty() {
            None
        } else {
            Some(
                divisions
                    .resolve(&req.region_code)
                    .map_err(|err| RegistryError::from(region_violation("region_code", &err)))?,
            )
        };
        let nomination = optional_enum(
            "nomination_status",
            req.nomination_status,
            nomination_status_from_pb,
        )?
        .map(|status| -> Result<_> {
            let campaign = if req.campaign.is_empty() {
                None
            } else {
                Some(campaign_id("campaign", &req.campaign)?)
            };
            Ok((status.as_str().to_owned(), campaign))
        })
        .transpose()?;
        let title = match optional_enum("title_tier", req.title_tier, tier_from_pb)? {
            Some(tier) => {
                let day = parse_optional_date("title_valid_on", &req.title_valid_on)?
                    .unwrap_or_else(|| self.store.clock().today_in_china());
                Some((tier, day))
            }
            None => None,
        };
        let filter = ListUnitsFilter {
            region,
            kind: optional_enum("kind", req.kind, kind_from_pb)?,
            in_pool: match pb::ReservePoolFilter::try_from(req.reserve_pool) {
                Ok(pb::ReservePoolFilter::InPool) => Some(true),
                Ok(pb::ReservePoolFilter::NotInPool) => Some(false),
                _ => None,
            },
            nomination,
            title,
            name_contains: Some(text_field("name_contains", &req.name_contains, 100)?)
                .filter(|s| !s.is_empty()),
            include_deregistered: req.include_deregistered,
            provincial_direct: match pb::ProvincialDirectFilter::try_from(req.provincial_direct) {
                Ok(pb::ProvincialDirectFilter::Only) => Some(true),
                Ok(pb::ProvincialDirectFilter::Excluded) => Some(false),
                _ => None,
            },
        };
        let page = self
            .store
            .list_units(&scope, &filter, after.as_deref(), size)
            .await?;
        Ok(Response::new(pb::ListUnitsResponse {
            units: page
                .items
                .iter()
                .map(|u| unit_to_pb(u, divisions))
                .collect(),
            next_page_token: next_token(&page),
        }))
    }

    async fn deregister_unit(
        &self,
        request: Request<pb::DeregisterUnitRequest>,
    ) -> Result<Response<pb::Unit>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let id = unit_id("name", &req.name)?;
        let reason = reason("reason", &req.reason)?;
        let version = etag("etag", &req.etag)?;
        let record = self
            .store
            .deregister_unit(&scope, &id, &reason, version)
            .await?;
        Ok(Response::new(unit_to_pb(&record, self.store.divisions())))
    }

    async fn import_units(
        &self,
        request: Request<Streaming<pb::ImportUnitsRequest>>,
    ) -> Result<Response<pb::ImportUnitsResponse>, Status> {
        let scope = scope_of(&request)?;
        let divisions = self.store.divisions();
        let mut stream = request.into_inner();
        let parse_scope = scope.clone();
        // Decoding and validating the next batch overlaps with writing this one: the
        // database works on its own thread while this task parses.
        let (parsed, mut to_write) = tokio::sync::mpsc::channel(2);
        let max_rows = self.import_max_rows;
        // Rows read; `Some` when the stream went beyond `max_rows` (what came before is
        // written, the batch that crossed the limit and the rest are not read).
        let parse = async move {
            let mut rows = Vec::new();
            let mut read = 0;
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                if read + batch.rows.len() > max_rows {
                    if !rows.is_empty() {
                        let _ = parsed.send(rows).await;
                    }
                    return Ok(Some(read));
                }
                read += batch.rows.len();
                rows.extend(batch.rows.into_iter().map(|row| {
                    let unit = row.unit.unwrap_or_default();
                    let parsed = parse_new_unit(&unit, "unit", divisions).and_then(|mut new| {
                        let direct = rules::provincial_direct_on_register(
                            &parse_scope,
                            "unit.provincial_direct",
                            new.fields.provincial_direct,
                        );
                        match direct {
                            Ok(direct) => {
                                new.fields.provincial_direct = direct;
                                Ok(new)
                            }
                            Err(RegistryError::Invalid(violations)) => Err(violations),
                            // The rule refuses only on the field.
                            Err(_) => Ok(new),
                        }
                    });
                    (row.row_number, parsed)
                }));
                if rows.len() >= IMPORT_ROWS_PER_TRANSACTION
                    && parsed.send(std::mem::take(&mut rows)).await.is_err()
                {
                    return Ok(None);
                }
            }
            if !rows.is_empty() {
                let _ = parsed.send(rows).await;
            }
            Ok::<_, Status>(None)
        };
        let write = async {
            let mut seen = HashSet::new();
            let mut response = pb::ImportUnitsResponse::default();
            while let Some(rows) = to_write.recv().await {
                for result in self.store.import_batch(&scope, rows, &mut seen).await? {
                    let row = row_result(result, &mut response);
                    response.results.push(row);
                }
            }
            Ok::<_, Status>(response)
        };
        let (beyond, response) = tokio::try_join!(parse, write)?;
        if let Some(read) = beyond {
            return Err(too_many_rows(max_rows, read, &response).into());
        }
        Ok(Response::new(response))
    }

    async fn add_to_reserve_pool(
        &self,
        request: Request<pb::AddToReservePoolRequest>,
    ) -> Result<Response<pb::Unit>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let id = unit_id("unit", &req.unit)?;
        let reason = reason("reason", &req.reason)?;
        let tier = required_enum("target_tier", req.target_tier, tier_from_pb)?;
        let record = self
            .store
            .set_reserve_pool(&scope, &id, Some((tier, &reason)), None)
            .await?;
        Ok(Response::new(unit_to_pb(&record, self.store.divisions())))
    }

    async fn remove_from_reserve_pool(
        &self,
        request: Request<pb::RemoveFromReservePoolRequest>,
    ) -> Result<Response<pb::Unit>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let id = unit_id("unit", &req.unit)?;
        let reason = reason("reason", &req.reason)?;
        let record = self
            .store
            .set_reserve_pool(&scope, &id, None, Some(&reason))
            .await?;
        Ok(Response::new(unit_to_pb(&record, self.store.divisions())))
    }

    async fn create_campaign(
        &self,
        request: Request<pb::CreateCampaignRequest>,
    ) -> Result<Response<pb::Campaign>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let c = req.campaign.unwrap_or_default();
        let display_name = text_field("campaign.display_name", &c.display_name, 100)?;
        if display_name.chars().count() < 2 {
            return Err(RegistryError::invalid(
                "campaign.display_name",
                &common::TOO_SHORT,
                "must be at least 2 characters",
            )
            .arg("min", 2)
            .into());
        }
        let batch = match (c.batch_min, c.batch_max) {
            (0, 0) => BatchRule::SEED,
            (min, max) if min >= 1 && min <= max && max <= 100 => BatchRule { min, max },
            _ => {
                return Err(RegistryError::invalid(
                    "campaign.batch_max",
                    &msg::BATCH_RANGE,
                    "need 1 <= batch_min <= batch_max <= 100 (or both 0 for the seed's 3 to 5)",
                )
                .into());
            }
        };
        let mut target_tiers = Vec::new();
        for (i, tier) in c.target_tiers.iter().enumerate() {
            target_tiers.push(required_enum(
                &format!("campaign.target_tiers[{i}]"),
                *tier,
                tier_from_pb,
            )?);
        }
        let campaign = NewCampaign {
            display_name,
            document_number: text_field("campaign.document_number", &c.document_number, 100)?,
            nomination_deadline: parse_date(
                "campaign.nomination_deadline",
                &c.nomination_deadline,
            )?,
            pairing_list_deadline: parse_optional_date(
                "campaign.pairing_list_deadline",
                &c.pairing_list_deadline,
            )?,
            batch,
            target_tiers,
            parent_id: if c.parent_campaign.is_empty() {
                None
            } else {
                Some(campaign_id("campaign.parent_campaign", &c.parent_campaign)?)
            },
        };
        let record = self
            .store
            .create_campaign(&scope, campaign, request_id(&req.request_id)?)
            .await?;
        self.campaign_answer(&record).await
    }

    async fn get_campaign(
        &self,
        request: Request<pb::GetCampaignRequest>,
    ) -> Result<Response<pb::Campaign>, Status> {
        let scope = scope_of(&request)?;
        let id = campaign_id("name", &request.get_ref().name)?;
        let record = self.store.get_campaign(&scope, &id).await?;
        self.campaign_answer(&record).await
    }

    async fn move_campaign_deadline(
        &self,
        request: Request<pb::MoveCampaignDeadlineRequest>,
    ) -> Result<Response<pb::Campaign>, Status> {
        let scope = scope_of(&request)?;
        let req = request.get_ref();
        let id = campaign_id("campaign", &req.campaign)?;
        let which = required_enum("deadline", req.deadline, campaign_deadline_from_pb)?;
        let moved_to = parse_date("moved_to", &req.moved_to)?;
        let reason = reason("reason", &req.reason)?;
        let record = self
            .store
            .move_deadline(&scope, &id, which, moved_to, &reason)
            .await?;
        self.campaign_answer(&record).await
    }

    async fn list_campaigns(
        &self,
        request: Request<pb::ListCampaignsRequest>,
    ) -> Result<Response<pb::ListCampaignsResponse>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let (size, after) = page(req.page_size, &req.page_token)?;
        let parent = if req.parent_campaign.is_empty() {
            None
        } else {
            Some(campaign_id("parent_campaign", &req.parent_campaign)?)
        };
        let page = self
            .store
            .list_campaigns(&scope, parent.as_deref(), after.as_deref(), size)
            .await?;
        let ids: Vec<&str> = page.items.iter().map(|c| c.id.as_str()).collect();
        let moves = self.store.deadline_moves(&ids).await?;
        Ok(Response::new(pb::ListCampaignsResponse {
            campaigns: page
                .items
                .iter()
                .map(|c| campaign_to_pb(c, moves.get(&c.id).map_or(&[], Vec::as_slice)))
                .collect(),
            next_page_token: next_token(&page),
        }))
    }

    async fn submit_nominations(
        &self,
        request: Request<pb::SubmitNominationsRequest>,
    ) -> Result<Response<pb::SubmitNominationsResponse>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let campaign = campaign_id("campaign", &req.campaign)?;
        if req.units.is_empty() {
            return Err(RegistryError::invalid(
                "units",
                &common::REQUIRED,
                "name at least one unit",
            )
            .into());
        }
        let units = req
            .units
            .iter()
            .enumerate()
            .map(|(i, name)| unit_id(&format!("units[{i}]"), name))
            .collect::<Result<Vec<_>>>()?;
        let records = self
            .store
            .submit_nominations(
                &scope,
                &campaign,
                &units,
                optional_enum("target_tier", req.target_tier, tier_from_pb)?,
                request_id(&req.request_id)?,
            )
            .await?;
        Ok(Response::new(pb::SubmitNominationsResponse {
            nominations: records.iter().map(nomination_to_pb).collect(),
        }))
    }

    async fn decide_nomination(
        &self,
        request: Request<pb::DecideNominationRequest>,
    ) -> Result<Response<pb::Nomination>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let id = nomination_id("name", &req.name)?;
        let accept = match pb::NominationDecision::try_from(req.decision) {
            Ok(pb::NominationDecision::Accept) => true,
            Ok(pb::NominationDecision::Return) => false,
            _ => {
                return Err(RegistryError::invalid(
                    "decision",
                    &common::REQUIRED,
                    "ACCEPT or RETURN",
                )
                .into());
            }
        };
        let reason = if accept && req.reason.trim().is_empty() {
            None
        } else {
            Some(reason("reason", &req.reason)?)
        };
        let version = etag("etag", &req.etag)?;
        let record = self
            .store
            .decide_nomination(&scope, &id, accept, reason.as_ref(), version)
            .await?;
        Ok(Response::new(nomination_to_pb(&record)))
    }

    async fn list_nominations(
        &self,
        request: Request<pb::ListNominationsRequest>,
    ) -> Result<Response<pb::ListNominationsResponse>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let (size, after) = page(req.page_size, &req.page_token)?;
        let campaign = if req.campaign.is_empty() {
            None
        } else {
            Some(campaign_id("campaign", &req.campaign)?)
        };
        let status = optional_enum("status", req.status, nomination_status_from_pb)?;
        let region = if req.region_code.is_empty() {
            None
        } else {
            Some(
                self.store
                    .divisions()
                    .resolve(&req.region_code)
                    .map_err(|err| RegistryError::from(region_violation("region_code", &err)))?,
            )
        };
        let page = self
            .store
            .list_nominations(
                &scope,
                campaign.as_deref(),
                status,
                region,
                after.as_deref(),
                size,
            )
            .await?;
        Ok(Response::new(pb::ListNominationsResponse {
            nominations: page.items.iter().map(nomination_to_pb).collect(),
            next_page_token: next_token(&page),
        }))
    }

    async fn award_title(
        &self,
        request: Request<pb::AwardTitleRequest>,
    ) -> Result<Response<pb::Title>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let t = req.title.unwrap_or_default();
        let awarded_on = parse_date("title.awarded_on", &t.awarded_on)?;
        let valid_until = parse_optional_date("title.valid_until", &t.valid_until)?;
        if valid_until.is_some_and(|until| until <= awarded_on) {
            return Err(RegistryError::invalid(
                "title.valid_until",
                &msg::AFTER_AWARD,
                "must be after awarded_on",
            )
            .into());
        }
        let tier = required_enum("title.tier", t.tier, tier_from_pb)?;
        let title = NewTitle {
            unit_id: unit_id("title.unit", &t.unit)?,
            tier,
            awarded_on,
            valid_until: rules::title_valid_until(tier, awarded_on, valid_until, &self.terms),
            document_number: text_field("title.document_number", &t.document_number, 100)?,
        };
        let record = self
            .store
            .award_title(&scope, title, request_id(&req.request_id)?)
            .await?;
        Ok(Response::new(title_to_pb(&record)))
    }

    async fn revoke_title(
        &self,
        request: Request<pb::RevokeTitleRequest>,
    ) -> Result<Response<pb::Title>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let id = title_id("name", &req.name)?;
        let reason = reason("reason", &req.reason)?;
        let revoked_on = parse_optional_date("revoked_on", &req.revoked_on)?;
        let record = self
            .store
            .revoke_title(&scope, &id, &reason, revoked_on)
            .await?;
        Ok(Response::new(title_to_pb(&record)))
    }

    async fn list_titles(
        &self,
        request: Request<pb::ListTitlesRequest>,
    ) -> Result<Response<pb::ListTitlesResponse>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let (size, after) = page(req.page_size, &req.page_token)?;
        let unit = if req.unit.is_empty() {
            None
        } else {
            Some(unit_id("unit", &req.unit)?)
        };
        let page = self
            .store
            .list_titles(&scope, unit.as_deref(), after.as_deref(), size)
            .await?;
        Ok(Response::new(pb::ListTitlesResponse {
            titles: page.items.iter().map(title_to_pb).collect(),
            next_page_token: next_token(&page),
        }))
    }

    async fn verify_title(
        &self,
        request: Request<pb::VerifyTitleRequest>,
    ) -> Result<Response<pb::VerifyTitleResponse>, Status> {
        let scope = scope_of(&request)?;
        let req = request.get_ref();
        let code = CreditCode::parse(&req.credit_code)
            .map_err(|err| RegistryError::from(msg::credit_code_violation("credit_code", &err)))?;
        let day = parse_optional_date("as_of", &req.as_of)?
            .unwrap_or_else(|| self.store.clock().today_in_china());
        let verified = self.store.verify_title(&scope, &code, day).await?;
        let mut answer = verified_to_pb(verified, day, self.store.divisions());
        if req.attest {
            let iat = self.store.clock().now().as_second();
            answer.attestation = self.attestor.attest(&answer, iat)?;
        }
        Ok(Response::new(answer))
    }

    async fn verify_titles(
        &self,
        request: Request<pb::VerifyTitlesRequest>,
    ) -> Result<Response<pb::VerifyTitlesResponse>, Status> {
        let scope = scope_of(&request)?;
        let req = request.get_ref();
        let codes = parse_credit_codes(&req.credit_codes)?;
        let day = parse_optional_date("as_of", &req.as_of)?
            .unwrap_or_else(|| self.store.clock().today_in_china());
        let mut results = Vec::with_capacity(codes.len());
        for code in codes {
            let answer = match self.store.verify_title(&scope, &code, day).await {
                Ok(verified) => Some(verified_to_pb(verified, day, self.store.divisions())),
                Err(RegistryError::NotFound { .. }) => None,
                Err(err) => return Err(err.into()),
            };
            results.push(pb::VerifyTitlesResult {
                credit_code: code.as_str().to_owned(),
                found: answer.is_some(),
                answer,
            });
        }
        Ok(Response::new(pb::VerifyTitlesResponse { results }))
    }

    async fn get_attestation_keys(
        &self,
        request: Request<pb::GetAttestationKeysRequest>,
    ) -> Result<Response<pb::AttestationKeySet>, Status> {
        // Public keys: any caller with an identity reads them.
        let _scope = scope_of(&request)?;
        Ok(Response::new(self.attestor.keys().clone()))
    }

    async fn list_title_changes(
        &self,
        request: Request<pb::ListTitleChangesRequest>,
    ) -> Result<Response<pb::ListTitleChangesResponse>, Status> {
        let scope = scope_of(&request)?;
        let answer = title_changes::list(&self.store, &scope, request.get_ref()).await?;
        Ok(Response::new(answer))
    }

    type WatchTitleChangesStream = title_changes::TitleChangeStream;

    async fn watch_title_changes(
        &self,
        request: Request<pb::WatchTitleChangesRequest>,
    ) -> Result<Response<Self::WatchTitleChangesStream>, Status> {
        let scope = scope_of(&request)?;
        let draining = wenming_runtime::follow::Draining::of(&request);
        let stream = title_changes::watch(&self.store, &scope, request.get_ref(), draining)?;
        Ok(Response::new(stream))
    }

    async fn submit_application(
        &self,
        request: Request<pb::SubmitApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let unit = req.application.and_then(|a| a.unit).unwrap_or_default();
        let divisions = self.store.divisions();
        let new =
            parse_new_unit(&unit, "application.unit", divisions).map_err(RegistryError::Invalid)?;
        let record = self
            .store
            .submit_application(&scope, new, request_id(&req.request_id)?)
            .await?;
        Ok(Response::new(application_to_pb(&record, divisions)?))
    }

    async fn get_application(
        &self,
        request: Request<pb::GetApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let scope = scope_of(&request)?;
        let id = application_id("name", &request.get_ref().name)?;
        let record = self.store.get_application(&scope, &id).await?;
        Ok(Response::new(application_to_pb(
            &record,
            self.store.divisions(),
        )?))
    }

    async fn list_applications(
        &self,
        request: Request<pb::ListApplicationsRequest>,
    ) -> Result<Response<pb::ListApplicationsResponse>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let (size, after) = page(req.page_size, &req.page_token)?;
        let state = optional_enum("state", req.state, application_state_from_pb)?;
        let page = self
            .store
            .list_applications(&scope, state, after.as_deref(), size)
            .await?;
        let divisions = self.store.divisions();
        Ok(Response::new(pb::ListApplicationsResponse {
            applications: page
                .items
                .iter()
                .map(|a| application_to_pb(a, divisions))
                .collect::<Result<_>>()?,
            next_page_token: next_token(&page),
        }))
    }

    async fn decide_application(
        &self,
        request: Request<pb::DecideApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let scope = scope_of(&request)?;
        let req = request.get_ref();
        let id = application_id("name", &req.name)?;
        let decision = if req.accept {
            Decision::Accept
        } else {
            Decision::Decline(reason("reason", &req.reason)?)
        };
        let record = self.store.decide_application(&scope, &id, decision).await?;
        Ok(Response::new(application_to_pb(
            &record,
            self.store.divisions(),
        )?))
    }

    async fn count_units_by_region(
        &self,
        request: Request<pb::CountUnitsByRegionRequest>,
    ) -> Result<Response<pb::CountUnitsByRegionResponse>, Status> {
        let scope = scope_of(&request)?;
        Ok(Response::new(
            self.count_units_call(&scope, request.get_ref()).await?,
        ))
    }

    async fn list_audit_records(
        &self,
        request: Request<pb::ListAuditRecordsRequest>,
    ) -> Result<Response<pb::ListAuditRecordsResponse>, Status> {
        let scope = scope_of(&request)?;
        let answer: Result<_, RegistryError> =
            audit_read::answer(&self.store().db, &scope, request.get_ref(), |resource| {
                self.audit_readable(&scope, resource)
            })
            .await;
        Ok(Response::new(answer?))
    }

    async fn record_commendation(
        &self,
        request: Request<pb::RecordCommendationRequest>,
    ) -> Result<Response<pb::UnitCommendation>, Status> {
        let scope = scope_of(&request)?;
        let record = self
            .record_commendation_call(&scope, request.into_inner())
            .await?;
        Ok(Response::new(crate::commendations::commendation_to_pb(
            &record,
        )))
    }

    async fn get_helper_eligibility(
        &self,
        request: Request<pb::GetHelperEligibilityRequest>,
    ) -> Result<Response<pb::HelperEligibility>, Status> {
        let scope = scope_of(&request)?;
        let req = request.get_ref();
        let key = match (req.unit.is_empty(), req.credit_code.is_empty()) {
            (false, true) => UnitKey::Id(unit_id("unit", &req.unit)?),
            (true, false) => UnitKey::Code(CreditCode::parse(&req.credit_code).map_err(|err| {
                RegistryError::from(msg::credit_code_violation("credit_code", &err))
            })?),
            _ => {
                return Err(RegistryError::invalid(
                    "unit",
                    &msg::UNIT_OR_CODE,
                    "give the unit's name or its credit code, one of the two",
                )
                .into());
            }
        };
        let day = parse_optional_date("as_of", &req.as_of)?
            .unwrap_or_else(|| self.store.clock().today_in_china());
        let facts = self.store.helper_eligibility(&scope, key, day).await?;
        Ok(Response::new(pb::HelperEligibility {
            unit: format!("units/{}", facts.unit_id),
            credit_code: facts.credit_code,
            unit_display_name: facts.display_name,
            registered: facts.registered,
            as_of: day.to_string(),
            helper_tiers: facts
                .helper_tiers
                .into_iter()
                .map(|t| tier_to_pb(t) as i32)
                .collect(),
        }))
    }
}

/// The most credit codes one VerifyTitles call takes.
pub const MAX_VERIFY_CODES: usize = 100;

/// The codes of a VerifyTitles call, each checked; every bad one is named
/// (`credit_codes[3]`) in one refusal.
fn parse_credit_codes(codes: &[String]) -> Result<Vec<CreditCode>> {
    if codes.is_empty() {
        return Err(RegistryError::invalid(
            "credit_codes",
            &common::REQUIRED,
            "at least one credit code is required",
        ));
    }
    if codes.len() > MAX_VERIFY_CODES {
        return Err(RegistryError::invalid(
            "credit_codes",
            &common::TOO_MANY,
            format!(
                "at most {MAX_VERIFY_CODES} credit codes per call, not {}",
                codes.len()
            ),
        )
        .arg("max", MAX_VERIFY_CODES)
        .arg("found", codes.len()));
    }
    let mut parsed = Vec::with_capacity(codes.len());
    let mut violations = Vec::new();
    for (i, text) in codes.iter().enumerate() {
        match CreditCode::parse(text) {
            Ok(code) => parsed.push(code),
            Err(err) => violations.push(msg::credit_code_violation(
                &format!("credit_codes[{i}]"),
                &err,
            )),
        }
    }
    if violations.is_empty() {
        Ok(parsed)
    } else {
        Err(RegistryError::Invalid(violations))
    }
}

/// A VerifyTitle answer for `day`, naming each title's awarding office.
fn verified_to_pb(
    verified: VerifiedTitles,
    day: jiff::civil::Date,
    divisions: &Divisions,
) -> pb::VerifyTitleResponse {
    pb::VerifyTitleResponse {
        credit_code: verified.credit_code,
        unit_display_name: verified.display_name,
        unit_state: if verified.registered {
            pb::UnitState::Active
        } else {
            pb::UnitState::Deregistered
        } as i32,
        as_of: day.to_string(),
        titles: verified
            .titles
            .iter()
            .map(|t| {
                let office = rules::awarding_region(t.tier, t.city_code, divisions);
                pb::VerifiedTitle {
                    tier: tier_to_pb(t.tier) as i32,
                    awarded_on: t.validity.awarded_on.to_string(),
                    valid_until: t
                        .validity
                        .valid_until
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                    document_number: t.document_number.clone(),
                    awarding_office_code: office.to_string(),
                    awarding_office_name: divisions
                        .get(office)
                        .map(|d| format!("{}文明办", d.name))
                        .unwrap_or_default(),
                }
            })
            .collect(),
        deregistered_on: verified
            .deregistered_on
            .map(|d| d.to_string())
            .unwrap_or_default(),
        commendations: verified
            .commendations
            .iter()
            .map(crate::commendations::commendation_to_pb)
            .collect(),
        attestation: String::new(),
    }
}

/// Renders one row's result and counts it.
fn row_result(
    result: ImportRowResult,
    totals: &mut pb::ImportUnitsResponse,
) -> pb::ImportRowResult {
    let (outcome, unit, errors) = match result.outcome {
        ImportOutcome::Created(id) => {
            totals.created += 1;
            (pb::ImportOutcome::Created, format!("units/{id}"), vec![])
        }
        ImportOutcome::Duplicate => {
            totals.duplicates += 1;
            (pb::ImportOutcome::Duplicate, String::new(), vec![])
        }
        ImportOutcome::Invalid(violations) => {
            totals.invalid += 1;
            (
                pb::ImportOutcome::Invalid,
                String::new(),
                violations_to_pb(violations),
            )
        }
    };
    pb::ImportRowResult {
        row_number: result.row_number,
        outcome: outcome as i32,
        unit,
        errors,
    }
}

fn violations_to_pb(violations: Vec<Violation>) -> Vec<pb::FieldError> {
    violations
        .into_iter()
        .map(|v| pb::FieldError {
            description_zh_cn: v.zh_cn(),
            field: v.field,
            rule: v.rule.name.to_owned(),
            description: v.description,
        })
        .collect()
}

fn application_id(field: &str, name: &str) -> Result<String> {
    Ok(parse_name(field, "applications", name, |id| {
        ApplicationId::parse(id).ok()
    })?
    .to_string())
}

fn application_state_from_pb(value: i32) -> Option<ApplicationState> {
    Some(match pb::ApplicationState::try_from(value).ok()? {
        pb::ApplicationState::Unspecified => return None,
        pb::ApplicationState::Pending => ApplicationState::Pending,
        pb::ApplicationState::Accepted => ApplicationState::Accepted,
        pb::ApplicationState::Declined => ApplicationState::Declined,
    })
}

fn application_state_to_pb(state: ApplicationState) -> pb::ApplicationState {
    match state {
        ApplicationState::Pending => pb::ApplicationState::Pending,
        ApplicationState::Accepted => pb::ApplicationState::Accepted,
        ApplicationState::Declined => pb::ApplicationState::Declined,
    }
}

/// An application as answered: its unit as it will be registered (no name, version or
/// times of its own until then).
fn application_to_pb(a: &ApplicationRecord, divisions: &Divisions) -> Result<pb::Application> {
    let unit = pb::Unit {
        name: String::new(),
        etag: String::new(),
        create_time: None,
        update_time: None,
        ..unit_to_pb(&a.unit()?, divisions)
    };
    Ok(pb::Application {
        name: a.name(),
        unit: Some(unit),
        platform: a.platform.clone(),
        state: application_state_to_pb(a.application_state()?) as i32,
        decline_reason: a.decline_reason.clone().unwrap_or_default(),
        registered_unit: a
            .unit_id
            .as_ref()
            .map(|id| format!("units/{id}"))
            .unwrap_or_default(),
        decided_by: a.decided_by.clone().unwrap_or_default(),
        create_time: Some(timestamp(a.created_at)),
        decide_time: a.decided_at.map(timestamp),
    })
}
