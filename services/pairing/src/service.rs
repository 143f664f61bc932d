//! The gRPC surface: parse at the edge, look facts up in the registry with the caller's
//! identity, call the store with the caller's scope, render.

use tonic::{Request, Response, Status};
use wenming_authz::Scope;
use wenming_domain::{
    AdminLevel, CampaignId, Description, EvidenceRef, Heading, HelperKind, OfficeKey, PairingId,
    PersonName, Reason, RegionCode, TextError, TitleTier, UnitId,
};
use wenming_proto::pairing::v1 as pb;
use wenming_proto::pairing::v1::pairing_service_server::PairingService;
use wenming_runtime::edge::{
    self, etag, optional_enum, page, parse_date, parse_name, parse_optional_date, request_id,
    required_enum,
};
use wenming_runtime::onward::Onward;
use wenming_runtime::scope_of;

use crate::error::{PairingError, Result};
use crate::messages as msg;
use crate::rules::{self, at_most, not_future, office_name};
use crate::{reports, store};
use std::sync::Arc;
use wenming_proto::convert::pairing::{category_from_pb, helper_kind_from_pb, state_from_pb};

use crate::render::{
    activity_to_pb, exception_to_pb, ledger_entry_to_pb, list_to_pb, pairing_to_pb, work_plan_to_pb,
};
use crate::store::{
    NewActivity, NewException, NewLedgerEntry, NewPairing, NewWorkPlan, PairingFilter, Store,
    Transition,
};
use wenming_clients::{CampaignFacts, Registry, UnitFacts};
use wenming_proto::convert::tier_from_pb;
use wenming_runtime::catalogue::{common, region_violation, text_violation, tier_violation};

/// Most milestones in one plan, participants and evidence references in one entry.
const MAX_MILESTONES: usize = 100;
const MAX_PARTICIPANTS: usize = 200;
const MAX_EVIDENCE: usize = 20;

/// The pairing service's gRPC service.
#[derive(Clone, Debug)]
pub struct PairingApi {
    store: Store,
    registry: Arc<dyn Registry>,
}

impl PairingApi {
    /// The service over `store`, looking units and campaigns up in `registry`.
    pub fn new(store: Store, registry: Arc<dyn Registry>) -> Self {
        Self { store, registry }
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }
}

fn text<T>(field: &str, parsed: std::result::Result<T, TextError>) -> Result<T> {
    parsed.map_err(|err| text_violation(field, &err).into())
}

fn pairing_id(field: &str, name: &str) -> Result<String> {
    Ok(parse_name(field, "pairings", name, |id| PairingId::parse(id).ok())?.to_string())
}

fn unit_id(field: &str, name: &str) -> Result<String> {
    Ok(parse_name(field, "units", name, |id| UnitId::parse(id).ok())?.to_string())
}

fn campaign_id(field: &str, name: &str) -> Result<String> {
    Ok(parse_name(field, "campaigns", name, |id| CampaignId::parse(id).ok())?.to_string())
}

fn office_region(field: &str, name: &str) -> Result<RegionCode> {
    Ok(parse_name(field, "offices", name, |code| {
        RegionCode::parse(code).ok()
    })?)
}

/// "campaigns/{id}/pairingLists/{office}" → (campaign id, office): a city or county
/// region code, or `provincial-direct`.
fn list_name(field: &str, name: &str) -> Result<(String, OfficeKey)> {
    let parsed = name
        .strip_prefix("campaigns/")
        .and_then(|rest| rest.split_once("/pairingLists/"))
        .and_then(|(campaign, office)| {
            Some((
                CampaignId::parse(campaign).ok()?.to_string(),
                OfficeKey::parse(office).ok()?,
            ))
        });
    let (campaign, office) = parsed.ok_or_else(|| {
        PairingError::invalid(
            field,
            &common::RESOURCE_NAME,
            format!(
                "'{name}' is not a name like campaigns/{{id}}/pairingLists/{{region_code}} or \
                 campaigns/{{id}}/pairingLists/provincial-direct"
            ),
        )
        .arg("collection", "campaigns/编号/pairingLists")
        .arg("value", name)
    })?;
    // City and county offices and the provincial-direct office keep pairing lists.
    let level = office.region().map(|region| {
        wenming_domain::Divisions::henan()
            .get(region)
            .map(|d| d.level)
    });
    match level {
        None | Some(Some(AdminLevel::City | AdminLevel::County)) => Ok((campaign, office)),
        _ => Err(PairingError::invalid(
            field,
            &msg::LIST_OFFICE,
            format!("{office} is not a city or county office; only they keep pairing lists"),
        )
        .arg("value", office)),
    }
}

/// A helper's resource name, checked: "offices/{region_code}" or "units/{unit_id}".
fn helper_name(field: &str, name: &str) -> Result<String> {
    if name.starts_with("offices/") {
        Ok(office_name(office_region(field, name)?))
    } else {
        Ok(format!("units/{}", unit_id(field, name)?))
    }
}

/// "campaigns/{id}/pairingLists/{office}".
fn request_list_name(campaign: &str, office: OfficeKey) -> String {
    crate::store::list_name(campaign, &office.to_string())
}

fn reason(field: &str, value: &str) -> Result<Reason> {
    text(field, Reason::parse(value))
}

fn required<T>(field: &str, value: Option<T>) -> Result<T> {
    value.ok_or_else(|| {
        PairingError::invalid(field, &common::REQUIRED, format!("{field} is required"))
    })
}

impl PairingApi {
    /// The helper of a new pairing, checked: an office inside the caller's region at the
    /// level its kind names, or a unit holding its kind's title today.
    async fn resolve_helper(
        &self,
        onward: &Onward,
        scope: &Scope,
        kind: HelperKind,
        name: &str,
    ) -> Result<(String, Option<String>, String)> {
        let field = "pairing.helper.name";
        let Some(tier) = kind.required_title() else {
            let region = office_region(field, name)?;
            let divisions = self.store.divisions();
            let (helper, display_name) =
                rules::office_helper(scope, divisions, kind, field, name, region)?;
            return Ok((helper, None, display_name));
        };
        let id = unit_id(field, name)?;
        let today = self.store.clock().today_in_china();
        // Asked of any unit, wherever it is registered: helpers come from anywhere.
        let helper = self.registry.helper(onward, field, name, today).await?;
        rules::unit_helper(&helper, kind, tier, today)?;
        Ok((format!("units/{id}"), Some(id), helper.display_name))
    }

    async fn transition(
        &self,
        request: Request<(String, String, String)>,
        step: Transition,
    ) -> Result<pb::Pairing, Status> {
        let scope = scope_of(&request)?;
        let (name, why, version) = request.into_inner();
        let id = pairing_id("name", &name)?;
        let why = reason("reason", &why)?;
        let version = etag("etag", &version)?;
        let view = self
            .store
            .transition(&scope, &id, step, &why, version)
            .await?;
        Ok(pairing_to_pb(&view)?)
    }

    /// The unit `name` from the registry, as the caller sees it.
    async fn unit(&self, onward: &Onward, field: &str, name: &str) -> Result<UnitFacts> {
        Ok(self.registry.unit(onward, field, name).await?)
    }

    async fn campaign(
        &self,
        onward: &Onward,
        field: &str,
        campaign_id: &str,
    ) -> Result<CampaignFacts> {
        Ok(self
            .registry
            .campaign(onward, field, &format!("campaigns/{campaign_id}"))
            .await?)
    }

    async fn campaign_deadline(
        &self,
        onward: &Onward,
        field: &str,
        campaign_id: &str,
    ) -> Result<Option<String>> {
        let campaign = self.campaign(onward, field, campaign_id).await?;
        Ok(campaign.pairing_list_deadline.map(|d| d.to_string()))
    }
}

#[tonic::async_trait]
impl PairingService for PairingApi {
    async fn list_audit_records(
        &self,
        request: Request<pb::ListAuditRecordsRequest>,
    ) -> Result<Response<pb::ListAuditRecordsResponse>, Status> {
        let scope = scope_of(&request)?;
        let answer: Result<_, PairingError> = wenming_runtime::audit_read::answer(
            &self.store().db,
            &scope,
            request.get_ref(),
            |resource| self.audit_readable(&scope, resource),
        )
        .await;
        Ok(Response::new(answer?))
    }

    async fn create_pairing(
        &self,
        request: Request<pb::CreatePairingRequest>,
    ) -> Result<Response<pb::Pairing>, Status> {
        let onward = Onward::of(&request);
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let request_id = request_id(&req.request_id)?;
        let pairing = required("pairing", req.pairing)?;
        let campaign = campaign_id("pairing.campaign", &pairing.campaign)?;
        let helper = required("pairing.helper", pairing.helper)?;
        let kind = required_enum("pairing.helper.kind", helper.kind, helper_kind_from_pb)?;
        let unit = unit_id("pairing.unit", &pairing.unit)?;
        // Before any registry lookup.
        let office = rules::arranging_office(&scope, self.store.divisions())?;
        // The three lookups are independent: ask the registry for them at once.
        let requested_tier =
            optional_enum("pairing.target_tier", pairing.target_tier, tier_from_pb)?;
        let (campaign_facts, facts, (helper_name, helper_unit_id, helper_display_name)) = tokio::try_join!(
            self.campaign(&onward, "pairing.campaign", &campaign),
            self.unit(&onward, "pairing.unit", &pairing.unit),
            self.resolve_helper(&onward, &scope, kind, &helper.name),
        )?;
        rules::helped_unit(office, &facts, helper_unit_id.as_deref(), &unit)?;
        let target_tier = TitleTier::choose(requested_tier, &campaign_facts.target_tiers)
            .map_err(|err| PairingError::from(tier_violation("pairing.target_tier", &err)))?;
        let deadline = campaign_facts.pairing_list_deadline.map(|d| d.to_string());
        let view = self
            .store
            .create_pairing(
                &scope,
                office,
                NewPairing {
                    campaign_id: campaign,
                    deadline,
                    helper_kind: kind,
                    target_tier,
                    helper: helper_name,
                    helper_unit_id,
                    helper_display_name,
                    unit_id: unit,
                    unit_display_name: facts.display_name,
                    unit_region: facts.region_code,
                    unit_city: facts.city_code,
                    unit_provincial_direct: facts.provincial_direct,
                },
                request_id,
            )
            .await?;
        Ok(Response::new(pairing_to_pb(&view)?))
    }

    async fn get_pairing(
        &self,
        request: Request<pb::GetPairingRequest>,
    ) -> Result<Response<pb::Pairing>, Status> {
        let scope = scope_of(&request)?;
        let id = pairing_id("name", &request.get_ref().name)?;
        let view = self.store.get_pairing(&scope, &id).await?;
        Ok(Response::new(pairing_to_pb(&view)?))
    }

    async fn list_pairings(
        &self,
        request: Request<pb::ListPairingsRequest>,
    ) -> Result<Response<pb::ListPairingsResponse>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let (size, after) = page(req.page_size, &req.page_token)?;
        let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let filter = PairingFilter {
            campaign_id: nonempty(&req.campaign)
                .map(|c| campaign_id("campaign", &c))
                .transpose()?,
            office_region: nonempty(&req.office_region_code)
                .map(|c| {
                    RegionCode::parse(&c).map(|r| r.to_string()).map_err(|err| {
                        PairingError::from(region_violation("office_region_code", &err))
                    })
                })
                .transpose()?,
            helper: nonempty(&req.helper)
                .map(|helper| helper_name("helper", &helper))
                .transpose()?,
            unit_id: nonempty(&req.unit)
                .map(|u| unit_id("unit", &u))
                .transpose()?,
            state: optional_enum("state", req.state, state_from_pb)?,
        };
        let page = self
            .store
            .list_pairings(&scope, &filter, after.as_deref(), size)
            .await?;
        Ok(Response::new(pb::ListPairingsResponse {
            pairings: page
                .items
                .iter()
                .map(pairing_to_pb)
                .collect::<Result<_>>()?,
            next_page_token: edge::next_page_token(page.next.as_deref()),
        }))
    }

    async fn activate_pairing(
        &self,
        request: Request<pb::ActivatePairingRequest>,
    ) -> Result<Response<pb::Pairing>, Status> {
        let request = request.map(|r| (r.name, r.reason, r.etag));
        Ok(Response::new(
            self.transition(request, Transition::Activate).await?,
        ))
    }

    async fn conclude_pairing(
        &self,
        request: Request<pb::ConcludePairingRequest>,
    ) -> Result<Response<pb::Pairing>, Status> {
        let request = request.map(|r| (r.name, r.reason, r.etag));
        Ok(Response::new(
            self.transition(request, Transition::Conclude).await?,
        ))
    }

    async fn dissolve_pairing(
        &self,
        request: Request<pb::DissolvePairingRequest>,
    ) -> Result<Response<pb::Pairing>, Status> {
        let request = request.map(|r| (r.name, r.reason, r.etag));
        Ok(Response::new(
            self.transition(request, Transition::Dissolve).await?,
        ))
    }

    async fn grant_pairing_exception(
        &self,
        request: Request<pb::GrantPairingExceptionRequest>,
    ) -> Result<Response<pb::PairingException>, Status> {
        let onward = Onward::of(&request);
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let request_id = request_id(&req.request_id)?;
        let exception = required("exception", req.exception)?;
        let campaign = campaign_id("exception.campaign", &exception.campaign)?;
        let unit = unit_id("exception.unit", &exception.unit)?;
        let why = reason("exception.reason", &exception.reason)?;
        let helper = helper_name("exception.helper", &exception.helper)?;
        let province = rules::province(
            &scope,
            &msg::GRANT_EXCEPTIONS,
            "only the provincial office grants exceptions",
        )?;
        tokio::try_join!(
            self.campaign_deadline(&onward, "exception.campaign", &campaign),
            self.unit(&onward, "exception.unit", &exception.unit),
        )?;
        let record = self
            .store
            .grant_exception(
                &scope,
                province,
                NewException {
                    campaign_id: campaign,
                    helper,
                    unit_id: unit,
                    reason: why,
                },
                request_id,
            )
            .await?;
        Ok(Response::new(exception_to_pb(&record)))
    }

    async fn set_highlight_brand(
        &self,
        request: Request<pb::SetHighlightBrandRequest>,
    ) -> Result<Response<pb::Pairing>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let id = pairing_id("pairing", &req.pairing)?;
        let brand = required("highlight_brand", req.highlight_brand)?;
        let name = text(
            "highlight_brand.display_name",
            Heading::parse(&brand.display_name),
        )?;
        let description = text(
            "highlight_brand.description",
            Description::parse(&brand.description),
        )?;
        let version = etag("etag", &req.etag)?;
        let view = self
            .store
            .set_brand(&scope, &id, &name, &description, version)
            .await?;
        Ok(Response::new(pairing_to_pb(&view)?))
    }

    async fn submit_work_plan(
        &self,
        request: Request<pb::SubmitWorkPlanRequest>,
    ) -> Result<Response<pb::WorkPlan>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let id = pairing_id("pairing", &req.pairing)?;
        let plan = required("work_plan", req.work_plan)?;
        let summary = text("work_plan.summary", Description::parse(&plan.summary))?;
        if plan.milestones.is_empty() {
            return Err(PairingError::invalid(
                "work_plan.milestones",
                &common::REQUIRED,
                "a work plan needs at least one milestone with a responsible person and a due date",
            )
            .into());
        }
        at_most(
            "work_plan.milestones",
            plan.milestones.len(),
            MAX_MILESTONES,
        )?;
        if req.base_version < 0 {
            return Err(PairingError::invalid(
                "base_version",
                &common::NON_NEGATIVE,
                "must not be negative",
            )
            .into());
        }
        let today = self.store.clock().today_in_china();
        let mut milestones = Vec::with_capacity(plan.milestones.len());
        for (i, m) in plan.milestones.iter().enumerate() {
            let field = |f: &str| format!("work_plan.milestones[{i}].{f}");
            let completed = parse_optional_date(&field("completed_on"), &m.completed_on)?;
            if let Some(day) = completed {
                not_future(&field("completed_on"), day, today)?;
            }
            milestones.push((
                text(&field("title"), Heading::parse(&m.title))?,
                text(
                    &field("responsible_person"),
                    PersonName::parse(&m.responsible_person),
                )?,
                parse_date(&field("due_date"), &m.due_date)?,
                completed,
            ));
        }
        let record = self
            .store
            .submit_work_plan(
                &scope,
                &id,
                NewWorkPlan {
                    summary,
                    milestones,
                    base_version: req.base_version,
                },
            )
            .await?;
        Ok(Response::new(work_plan_to_pb(&record)?))
    }

    async fn get_work_plan(
        &self,
        request: Request<pb::GetWorkPlanRequest>,
    ) -> Result<Response<pb::WorkPlan>, Status> {
        let scope = scope_of(&request)?;
        let req = request.get_ref();
        let id = pairing_id("pairing", &req.pairing)?;
        if req.version < 0 {
            return Err(PairingError::invalid(
                "version",
                &common::NON_NEGATIVE,
                "must not be negative",
            )
            .into());
        }
        let record = self.store.get_work_plan(&scope, &id, req.version).await?;
        Ok(Response::new(work_plan_to_pb(&record)?))
    }

    async fn add_ledger_entry(
        &self,
        request: Request<pb::AddLedgerEntryRequest>,
    ) -> Result<Response<pb::LedgerEntry>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let id = pairing_id("pairing", &req.pairing)?;
        let request_id = request_id(&req.request_id)?;
        let entry = required("entry", req.entry)?;
        let date = parse_date("entry.date", &entry.date)?;
        not_future("entry.date", date, self.store.clock().today_in_china())?;
        if entry.participants.is_empty() {
            return Err(PairingError::invalid(
                "entry.participants",
                &common::REQUIRED,
                "name at least one participant",
            )
            .into());
        }
        at_most(
            "entry.participants",
            entry.participants.len(),
            MAX_PARTICIPANTS,
        )?;
        at_most("entry.evidence", entry.evidence.len(), MAX_EVIDENCE)?;
        let participants = entry
            .participants
            .iter()
            .enumerate()
            .map(|(i, p)| text(&format!("entry.participants[{i}]"), PersonName::parse(p)))
            .collect::<Result<Vec<_>>>()?;
        let evidence = entry
            .evidence
            .iter()
            .enumerate()
            .map(|(i, e)| text(&format!("entry.evidence[{i}]"), EvidenceRef::parse(e)))
            .collect::<Result<Vec<_>>>()?;
        let activity_id = if entry.activity.is_empty() {
            None
        } else {
            let prefix = format!("pairings/{id}/activities/");
            let activity = entry
                .activity
                .strip_prefix(&prefix)
                .and_then(|a| wenming_domain::ActivityId::parse(a).ok())
                .ok_or_else(|| {
                    PairingError::invalid(
                        "entry.activity",
                        &common::RESOURCE_NAME,
                        format!("'{}' is not a name like {prefix}{{id}}", entry.activity),
                    )
                    .arg("collection", prefix.trim_end_matches('/'))
                    .arg("value", &entry.activity)
                })?;
            Some(activity.to_string())
        };
        let record = self
            .store
            .add_ledger_entry(
                &scope,
                &id,
                NewLedgerEntry {
                    date,
                    category: required_enum("entry.category", entry.category, category_from_pb)?,
                    description: text("entry.description", Description::parse(&entry.description))?,
                    participants,
                    evidence,
                    activity_id,
                },
                request_id,
            )
            .await?;
        Ok(Response::new(ledger_entry_to_pb(&record)?))
    }

    async fn list_ledger_entries(
        &self,
        request: Request<pb::ListLedgerEntriesRequest>,
    ) -> Result<Response<pb::ListLedgerEntriesResponse>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let id = pairing_id("pairing", &req.pairing)?;
        let (size, after) = page(req.page_size, &req.page_token)?;
        let category = optional_enum("category", req.category, category_from_pb)?;
        let page = self
            .store
            .list_ledger_entries(&scope, &id, category, after.as_deref(), size)
            .await?;
        Ok(Response::new(pb::ListLedgerEntriesResponse {
            entries: page
                .items
                .iter()
                .map(ledger_entry_to_pb)
                .collect::<Result<_>>()?,
            next_page_token: edge::next_page_token(page.next.as_deref()),
        }))
    }

    async fn record_activity(
        &self,
        request: Request<pb::RecordActivityRequest>,
    ) -> Result<Response<pb::Activity>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let id = pairing_id("pairing", &req.pairing)?;
        let request_id = request_id(&req.request_id)?;
        let activity = required("activity", req.activity)?;
        let start_date = parse_date("activity.start_date", &activity.start_date)?;
        let end_date = parse_optional_date("activity.end_date", &activity.end_date)?;
        if end_date.is_some_and(|end| end < start_date) {
            return Err(PairingError::invalid(
                "activity.end_date",
                &msg::NOT_BEFORE_START,
                "the last day is before the first",
            )
            .into());
        }
        let record = self
            .store
            .record_activity(
                &scope,
                &id,
                NewActivity {
                    title: text("activity.title", Heading::parse(&activity.title))?,
                    category: required_enum(
                        "activity.category",
                        activity.category,
                        category_from_pb,
                    )?,
                    start_date,
                    end_date,
                    description: text(
                        "activity.description",
                        Description::parse(&activity.description),
                    )?,
                },
                request_id,
            )
            .await?;
        Ok(Response::new(activity_to_pb(&record)?))
    }

    async fn list_activities(
        &self,
        request: Request<pb::ListActivitiesRequest>,
    ) -> Result<Response<pb::ListActivitiesResponse>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let id = pairing_id("pairing", &req.pairing)?;
        let (size, after) = page(req.page_size, &req.page_token)?;
        let page = self
            .store
            .list_activities(&scope, &id, after.as_deref(), size)
            .await?;
        Ok(Response::new(pb::ListActivitiesResponse {
            activities: page
                .items
                .iter()
                .map(activity_to_pb)
                .collect::<Result<_>>()?,
            next_page_token: edge::next_page_token(page.next.as_deref()),
        }))
    }

    async fn get_pairing_list(
        &self,
        request: Request<pb::GetPairingListRequest>,
    ) -> Result<Response<pb::PairingList>, Status> {
        let onward = Onward::of(&request);
        let scope = scope_of(&request)?;
        let (campaign, region) = list_name("name", &request.get_ref().name)?;
        let deadline = self.campaign_deadline(&onward, "name", &campaign).await?;
        let view = self
            .store
            .get_list(&scope, &campaign, region, deadline)
            .await?;
        Ok(Response::new(list_to_pb(&view)?))
    }

    async fn list_pairing_lists(
        &self,
        request: Request<pb::ListPairingListsRequest>,
    ) -> Result<Response<pb::ListPairingListsResponse>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let campaign = campaign_id("campaign", &req.campaign)?;
        let (size, after) = page(req.page_size, &req.page_token)?;
        let page = self
            .store
            .list_lists(&scope, &campaign, after.as_deref(), size)
            .await?;
        Ok(Response::new(pb::ListPairingListsResponse {
            pairing_lists: page.items.iter().map(list_to_pb).collect::<Result<_>>()?,
            next_page_token: edge::next_page_token(page.next.as_deref()),
        }))
    }

    async fn report_pairing_list(
        &self,
        request: Request<pb::ReportPairingListRequest>,
    ) -> Result<Response<pb::PairingList>, Status> {
        let onward = Onward::of(&request);
        let scope = scope_of(&request)?;
        let (campaign, region) = list_name("name", &request.get_ref().name)?;
        let deadline = self.campaign_deadline(&onward, "name", &campaign).await?;
        let list = request_list_name(&campaign, region);
        let office = rules::list_reporter(&scope, self.store.divisions(), region, &list)?;
        let view = self
            .store
            .report_list(&scope, office, &campaign, deadline)
            .await?;
        Ok(Response::new(list_to_pb(&view)?))
    }

    async fn reopen_pairing_list(
        &self,
        request: Request<pb::ReopenPairingListRequest>,
    ) -> Result<Response<pb::PairingList>, Status> {
        let scope = scope_of(&request)?;
        let req = request.get_ref();
        let (campaign, region) = list_name("name", &req.name)?;
        let why = reason("reason", &req.reason)?;
        let province = rules::province(
            &scope,
            &msg::REOPEN_LISTS,
            "only the provincial office reopens pairing lists",
        )?;
        let view = self
            .store
            .reopen_list(&scope, &campaign, region, province, &why)
            .await?;
        Ok(Response::new(list_to_pb(&view)?))
    }

    async fn count_pairings_by_region(
        &self,
        request: Request<pb::CountPairingsByRegionRequest>,
    ) -> Result<Response<pb::CountPairingsByRegionResponse>, Status> {
        let scope = scope_of(&request)?;
        Ok(Response::new(
            self.count_pairings_call(&scope, request.get_ref()).await?,
        ))
    }

    async fn list_overdue_milestones(
        &self,
        request: Request<pb::ListOverdueMilestonesRequest>,
    ) -> Result<Response<pb::ListOverdueMilestonesResponse>, Status> {
        let scope = scope_of(&request)?;
        Ok(Response::new(
            self.overdue_milestones_call(&scope, request.get_ref())
                .await?,
        ))
    }

    async fn list_pairing_list_reports(
        &self,
        request: Request<pb::ListPairingListReportsRequest>,
    ) -> Result<Response<pb::ListPairingListReportsResponse>, Status> {
        let onward = Onward::of(&request);
        let scope = scope_of(&request)?;
        let campaign = campaign_id("campaign", &request.get_ref().campaign)?;
        let province = rules::province(
            &scope,
            &msg::FOLLOW_REPORTS,
            "only the provincial office follows every office's pairing list",
        )?;
        let name = format!("campaigns/{campaign}");
        let (facts, children) =
            tokio::try_join!(self.campaign(&onward, "campaign", &campaign), async {
                Ok::<_, PairingError>(
                    self.registry
                        .child_campaigns(&onward, "campaign", &name)
                        .await?,
                )
            },)?;
        let divisions = self.store.divisions();
        reports::provincial_campaign(&facts, divisions)?;
        let children: Vec<(String, String)> = children
            .into_iter()
            .map(|c| {
                let id = c.name.trim_start_matches("campaigns/").to_owned();
                (id, c.organising_region)
            })
            .collect();
        let mut ids: Vec<String> = children.iter().map(|(id, _)| id.clone()).collect();
        ids.push(campaign.clone());
        let lists = self.store.list_states(province, &ids).await?;
        let rows = reports::report_rows(divisions, &campaign, &children, lists);
        let today = self.store.clock().today_in_china();
        let deadline = facts.pairing_list_deadline;
        let reports: Vec<pb::PairingListReport> = rows
            .iter()
            .map(|row| {
                let list = row.list.as_ref();
                let reported = list.is_some_and(|l| l.is_reported());
                let reported_at = list.filter(|l| l.is_reported()).and_then(|l| l.reported_at);
                pb::PairingListReport {
                    office_region_code: row.office.clone(),
                    office_display_name: reports::office_display_name(divisions, &row.office),
                    campaign: row
                        .campaign_id
                        .as_ref()
                        .map(|id| format!("campaigns/{id}"))
                        .unwrap_or_default(),
                    pairing_list: row
                        .campaign_id
                        .as_ref()
                        .map(|id| store::list_name(id, &row.office))
                        .unwrap_or_default(),
                    reported,
                    pairing_count: list
                        .map_or(0, |l| u32::try_from(l.pairing_count).unwrap_or(u32::MAX)),
                    report_time: reported_at.map(edge::timestamp),
                    days_late: reports::days_late(deadline, reported_at, today),
                }
            })
            .collect();
        let reported_count = reports.iter().filter(|r| r.reported).count();
        Ok(Response::new(pb::ListPairingListReportsResponse {
            campaign: name,
            deadline: deadline.map(|d| d.to_string()).unwrap_or_default(),
            as_of: today.to_string(),
            reported_count: u32::try_from(reported_count).unwrap_or(u32::MAX),
            not_reported_count: u32::try_from(reports.len() - reported_count).unwrap_or(u32::MAX),
            reports,
        }))
    }
}
