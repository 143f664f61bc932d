//! The gRPC surface: parse at the edge, resolve the target in registry and pairing with
//! the caller's identity, let the rules decide, call the store, render.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use wenming_authz::{IdentitySigner, Scope};
use wenming_clients::{Onward, Pairing, Quota, Registry, UnitFacts};
use wenming_domain::{Description, InspectionId, PairingId, PersonName, Reason, TextError, UnitId};
use wenming_proto::supervision::v1 as pb;
use wenming_proto::supervision::v1::supervision_service_server::SupervisionService;
use wenming_runtime::catalogue::{common, text_violation};
use wenming_runtime::edge::{
    self, etag, optional_enum, page, parse_date, parse_name, request_id, required_enum,
};
use wenming_runtime::scope_of;
use wenming_runtime::status::Violation;

use crate::error::{Result, SupervisionError};
use crate::messages as msg;
use crate::render::{
    category_from_pb, commendation_to_pb, inspection_to_pb, kind_from_pb, state_from_pb,
    talk_to_pb, task_to_pb,
};
use crate::rules::{self, MAX_FINDINGS, MAX_INSPECTORS};
use crate::store::{FindingRecord, InspectionFilter, NewInspection, Store, VisitRecord};

/// The supervision service's gRPC service.
#[derive(Clone, Debug)]
pub struct SupervisionApi {
    store: Store,
    registry: Arc<dyn Registry>,
    pairing: Arc<dyn Pairing>,
    quota: Arc<dyn Quota>,
    /// Signs the deadline monitor's own calls.
    signer: IdentitySigner,
    /// When this process last scanned deadlines (ms since the epoch, by the store's
    /// clock).
    last_scan: Arc<std::sync::Mutex<Option<i64>>>,
}

impl SupervisionApi {
    /// The service over `store`, asking `registry` about units, `pairing` about
    /// pairings and `quota` about places (with the caller's identity, or as the deadline
    /// monitor signed by `signer`).
    pub fn new(
        store: Store,
        registry: Arc<dyn Registry>,
        pairing: Arc<dyn Pairing>,
        quota: Arc<dyn Quota>,
        signer: IdentitySigner,
    ) -> Self {
        Self {
            store,
            registry,
            pairing,
            quota,
            signer,
            last_scan: Arc::default(),
        }
    }

    pub(crate) fn signer(&self) -> &IdentitySigner {
        &self.signer
    }

    pub(crate) fn last_scan(&self) -> Option<i64> {
        *self.last_scan.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn scanned_at(&self, at: i64) {
        *self.last_scan.lock().unwrap_or_else(|e| e.into_inner()) = Some(at);
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn registry(&self) -> &dyn Registry {
        self.registry.as_ref()
    }

    pub(crate) fn pairing(&self) -> &dyn Pairing {
        self.pairing.as_ref()
    }

    pub(crate) fn quota(&self) -> &dyn Quota {
        self.quota.as_ref()
    }
}

pub(crate) fn text<T>(field: &str, parsed: std::result::Result<T, TextError>) -> Result<T> {
    parsed.map_err(|err| text_violation(field, &err).into())
}

fn inspection_id(field: &str, name: &str) -> Result<String> {
    Ok(parse_name(field, "inspections", name, |id| {
        InspectionId::parse(id).ok()
    })?
    .to_string())
}

/// Where a target lies, resolved.
pub(crate) struct Resolved {
    pub(crate) display_name: String,
    pub(crate) region: String,
    pub(crate) city: String,
    pub(crate) unit: Option<String>,
    pub(crate) helper_unit: Option<String>,
    pub(crate) direct: bool,
}

fn unit_resolved(unit: &UnitFacts, helper: Option<&str>) -> Resolved {
    Resolved {
        display_name: unit.display_name.clone(),
        region: unit.region_code.clone(),
        city: unit.city_code.clone(),
        unit: Some(unit.name.trim_start_matches("units/").to_owned()),
        helper_unit: helper
            .and_then(|h| h.strip_prefix("units/"))
            .map(str::to_owned),
        direct: unit.provincial_direct,
    }
}

impl SupervisionApi {
    /// The target named in `field`, as the caller sees it in registry and pairing.
    pub(crate) async fn resolve(
        &self,
        onward: &Onward,
        scope: &Scope,
        field: &str,
        target: &str,
    ) -> Result<Resolved> {
        let divisions = self.store.divisions();
        if let Some(code) = target.strip_prefix("regions/") {
            let (region, city) = rules::region_target(scope, divisions, field, code)?;
            return Ok(Resolved {
                display_name: divisions
                    .get(region)
                    .map_or_else(|| code.to_owned(), |d| d.name.clone()),
                region: region.to_string(),
                city,
                unit: None,
                helper_unit: None,
                direct: false,
            });
        }
        if target
            .strip_prefix("units/")
            .is_some_and(|id| UnitId::parse(id).is_ok())
        {
            let (unit, pairings) = tokio::try_join!(
                self.registry.unit(onward, field, target),
                self.pairing.open_pairings_of(onward, field, target),
            )
            .map_err(SupervisionError::from)?;
            let helper = pairings.first().map(|p| p.helper.as_str());
            return Ok(unit_resolved(&unit, helper));
        }
        if target
            .strip_prefix("pairings/")
            .is_some_and(|id| PairingId::parse(id).is_ok())
        {
            let pairing = self.pairing.pairing(onward, field, target).await?;
            let unit = self.registry.unit(onward, field, &pairing.unit).await?;
            return Ok(unit_resolved(&unit, Some(&pairing.helper)));
        }
        Err(Violation::new(
            field,
            &msg::TARGET,
            format!("'{target}' is not regions/{{code}}, units/{{id}} or pairings/{{id}}"),
        )
        .arg("value", target)
        .into())
    }

    /// A visit record's findings, each pairing it names checked with the caller's
    /// identity.
    async fn findings(
        &self,
        onward: &Onward,
        findings: &[pb::Finding],
    ) -> Result<Vec<FindingRecord>> {
        if findings.len() > MAX_FINDINGS {
            return Err(SupervisionError::invalid(
                "visit.findings",
                &msg::TOO_MANY,
                format!("at most {MAX_FINDINGS}"),
            )
            .arg("max", MAX_FINDINGS));
        }
        let mut violations = Vec::new();
        let mut records = Vec::with_capacity(findings.len());
        for (i, f) in findings.iter().enumerate() {
            let field = |name: &str| format!("visit.findings[{i}].{name}");
            let category = match required_enum(&field("category"), f.category, category_from_pb) {
                Ok(c) => c,
                Err(v) => {
                    violations.push(v);
                    continue;
                }
            };
            let mut described = |name: &str, value: &str| match Description::parse(value) {
                Ok(d) => d.as_str().to_owned(),
                Err(err) => {
                    violations.push(text_violation(&field(name), &err));
                    String::new()
                }
            };
            let description = described("description", &f.description);
            let measure = described("measure", &f.measure);
            let cause = if f.cause.trim().is_empty() {
                if category == "low_enthusiasm" {
                    violations.push(Violation::new(
                        field("cause"),
                        &msg::CAUSE,
                        "low enthusiasm needs its cause",
                    ));
                }
                String::new()
            } else {
                described("cause", &f.cause)
            };
            if !f.pairing.is_empty()
                && let Err(v) = parse_name(&field("pairing"), "pairings", &f.pairing, |id| {
                    PairingId::parse(id).ok()
                })
            {
                violations.push(v);
            }
            records.push(FindingRecord {
                category: category.to_owned(),
                cause,
                description,
                measure,
                pairing: f.pairing.clone(),
            });
        }
        if !violations.is_empty() {
            return Err(SupervisionError::Invalid(violations));
        }
        for (i, f) in records.iter().enumerate() {
            if !f.pairing.is_empty() {
                self.pairing
                    .pairing(onward, &format!("visit.findings[{i}].pairing"), &f.pairing)
                    .await?;
            }
        }
        Ok(records)
    }
}

#[tonic::async_trait]
impl SupervisionService for SupervisionApi {
    async fn list_audit_records(
        &self,
        request: Request<pb::ListAuditRecordsRequest>,
    ) -> Result<Response<pb::ListAuditRecordsResponse>, Status> {
        let scope = scope_of(&request)?;
        let answer: Result<_, SupervisionError> = wenming_runtime::audit_read::answer(
            &self.store().db,
            &scope,
            request.get_ref(),
            |resource| self.audit_readable(&scope, resource),
        )
        .await;
        Ok(Response::new(answer?))
    }

    async fn plan_inspection(
        &self,
        request: Request<pb::PlanInspectionRequest>,
    ) -> Result<Response<pb::Inspection>, Status> {
        let onward = Onward::of(&request);
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let request_id = request_id(&req.request_id)?;
        let inspection = req.inspection.ok_or_else(|| {
            SupervisionError::invalid("inspection", &common::REQUIRED, "inspection is required")
        })?;
        let kind = required_enum("inspection.kind", inspection.kind, kind_from_pb)?;
        if inspection.inspectors.is_empty() {
            return Err(SupervisionError::invalid(
                "inspection.inspectors",
                &msg::INSPECTORS,
                "at least one inspector",
            )
            .into());
        }
        if inspection.inspectors.len() > MAX_INSPECTORS {
            return Err(SupervisionError::invalid(
                "inspection.inspectors",
                &msg::TOO_MANY,
                format!("at most {MAX_INSPECTORS}"),
            )
            .arg("max", MAX_INSPECTORS)
            .into());
        }
        let inspectors = inspection
            .inspectors
            .iter()
            .enumerate()
            .map(|(i, name)| {
                text(
                    &format!("inspection.inspectors[{i}]"),
                    PersonName::parse(name),
                )
                .map(|n| n.as_str().to_owned())
            })
            .collect::<Result<Vec<_>>>()?;
        let start = parse_date("inspection.planned_start", &inspection.planned_start)?;
        let end = parse_date("inspection.planned_end", &inspection.planned_end)?;
        rules::planned_dates(start, end)?;
        let purpose = if inspection.purpose.trim().is_empty() {
            String::new()
        } else {
            text(
                "inspection.purpose",
                Description::parse(&inspection.purpose),
            )?
            .as_str()
            .to_owned()
        };
        // Before any lookup.
        let planner = rules::planner(&scope, self.store.divisions())?;
        let target = self
            .resolve(&onward, &scope, "inspection.target", &inspection.target)
            .await?;
        let record = self
            .store
            .plan_inspection(
                &scope,
                planner,
                NewInspection {
                    kind,
                    target: inspection.target.clone(),
                    target_display_name: target.display_name,
                    target_region: target.region,
                    target_city: target.city,
                    target_unit: target.unit,
                    target_helper_unit: target.helper_unit,
                    target_direct: target.direct,
                    inspectors,
                    planned_start: start.to_string(),
                    planned_end: end.to_string(),
                    purpose,
                },
                request_id,
            )
            .await?;
        Ok(Response::new(inspection_to_pb(&record)?))
    }

    async fn get_inspection(
        &self,
        request: Request<pb::GetInspectionRequest>,
    ) -> Result<Response<pb::Inspection>, Status> {
        let scope = scope_of(&request)?;
        let id = inspection_id("name", &request.get_ref().name)?;
        let record = self.store.get_inspection(&scope, &id).await?;
        Ok(Response::new(inspection_to_pb(&record)?))
    }

    async fn list_inspections(
        &self,
        request: Request<pb::ListInspectionsRequest>,
    ) -> Result<Response<pb::ListInspectionsResponse>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let (size, after) = page(req.page_size, &req.page_token)?;
        let region = crate::names::optional_region("region_code", &req.region_code)?;
        let filter = InspectionFilter {
            kind: optional_enum("kind", req.kind, kind_from_pb)?,
            state: optional_enum("state", req.state, state_from_pb)?,
            region,
        };
        let page = self
            .store
            .list_inspections(&scope, &filter, after.as_deref(), size)
            .await?;
        Ok(Response::new(pb::ListInspectionsResponse {
            inspections: page
                .items
                .iter()
                .map(inspection_to_pb)
                .collect::<Result<_>>()?,
            next_page_token: edge::next_page_token(page.next.as_deref()),
        }))
    }

    async fn record_visit(
        &self,
        request: Request<pb::RecordVisitRequest>,
    ) -> Result<Response<pb::Inspection>, Status> {
        let onward = Onward::of(&request);
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let id = inspection_id("name", &req.name)?;
        let version = etag("etag", &req.etag)?;
        let visit = req.visit.ok_or_else(|| {
            SupervisionError::invalid("visit", &common::REQUIRED, "visit is required")
        })?;
        let visited_on = parse_date("visit.visited_on", &visit.visited_on)?;
        if visited_on > self.store.clock().today_in_china() {
            return Err(SupervisionError::invalid(
                "visit.visited_on",
                &msg::VISIT_DAY,
                "a visit is recorded after it happened",
            )
            .arg("value", visited_on)
            .into());
        }
        let summary = text("visit.summary", Description::parse(&visit.summary))?;
        rules::planner(&scope, self.store.divisions())?;
        let findings = self.findings(&onward, &visit.findings).await?;
        let record = VisitRecord {
            visited_on: visited_on.to_string(),
            summary: summary.as_str().to_owned(),
            recorded_by: scope.subject().to_owned(),
            recorded_at: self.store.clock().now().as_millisecond(),
            findings,
        };
        let closed = self
            .store
            .close_inspection(&scope, &id, Some(record), None, version, |before| {
                rules::planning_office(&scope, &before.planning_office)
            })
            .await?;
        Ok(Response::new(inspection_to_pb(&closed)?))
    }

    async fn cancel_inspection(
        &self,
        request: Request<pb::CancelInspectionRequest>,
    ) -> Result<Response<pb::Inspection>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let id = inspection_id("name", &req.name)?;
        let version = etag("etag", &req.etag)?;
        let reason = text("reason", Reason::parse(&req.reason))?;
        rules::planner(&scope, self.store.divisions())?;
        let closed = self
            .store
            .close_inspection(&scope, &id, None, Some(&reason), version, |before| {
                rules::planning_office(&scope, &before.planning_office)
            })
            .await?;
        Ok(Response::new(inspection_to_pb(&closed)?))
    }

    async fn open_rectification_task(
        &self,
        request: Request<pb::OpenRectificationTaskRequest>,
    ) -> Result<Response<pb::RectificationTask>, Status> {
        let scope = scope_of(&request)?;
        let task = self.open_task(&scope, request.into_inner()).await?;
        Ok(Response::new(task_to_pb(&task, self.today())?))
    }

    async fn get_rectification_task(
        &self,
        request: Request<pb::GetRectificationTaskRequest>,
    ) -> Result<Response<pb::RectificationTask>, Status> {
        let scope = scope_of(&request)?;
        let id = crate::tasks::task_id("name", &request.get_ref().name)?;
        let task = self.store.get_task(&scope, &id).await?;
        Ok(Response::new(task_to_pb(&task, self.today())?))
    }

    async fn list_rectification_tasks(
        &self,
        request: Request<pb::ListRectificationTasksRequest>,
    ) -> Result<Response<pb::ListRectificationTasksResponse>, Status> {
        let scope = scope_of(&request)?;
        let page = self.list_tasks(&scope, request.get_ref()).await?;
        let today = self.today();
        Ok(Response::new(pb::ListRectificationTasksResponse {
            tasks: page
                .items
                .iter()
                .map(|t| task_to_pb(t, today))
                .collect::<Result<_>>()?,
            next_page_token: edge::next_page_token(page.next.as_deref()),
        }))
    }

    async fn record_task_progress(
        &self,
        request: Request<pb::RecordTaskProgressRequest>,
    ) -> Result<Response<pb::RectificationTask>, Status> {
        let scope = scope_of(&request)?;
        let task = self.task_progress(&scope, request.into_inner()).await?;
        Ok(Response::new(task_to_pb(&task, self.today())?))
    }

    async fn close_rectification_task(
        &self,
        request: Request<pb::CloseRectificationTaskRequest>,
    ) -> Result<Response<pb::RectificationTask>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let task = self
            .close_or_reopen(&scope, &req.name, &req.reason, &req.etag, true)
            .await?;
        Ok(Response::new(task_to_pb(&task, self.today())?))
    }

    async fn reopen_rectification_task(
        &self,
        request: Request<pb::ReopenRectificationTaskRequest>,
    ) -> Result<Response<pb::RectificationTask>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let task = self
            .close_or_reopen(&scope, &req.name, &req.reason, &req.etag, false)
            .await?;
        Ok(Response::new(task_to_pb(&task, self.today())?))
    }
    async fn commend_pairing(
        &self,
        request: Request<pb::CommendPairingRequest>,
    ) -> Result<Response<pb::Commendation>, Status> {
        let onward = Onward::of(&request);
        let scope = scope_of(&request)?;
        let record = self.commend(&onward, &scope, request.into_inner()).await?;
        Ok(Response::new(commendation_to_pb(&record)))
    }

    async fn get_commendation(
        &self,
        request: Request<pb::GetCommendationRequest>,
    ) -> Result<Response<pb::Commendation>, Status> {
        let scope = scope_of(&request)?;
        let id = crate::commendations::commendation_id("name", &request.get_ref().name)?;
        let record = self.store.get_commendation(&scope, &id).await?;
        Ok(Response::new(commendation_to_pb(&record)))
    }

    async fn list_commendations(
        &self,
        request: Request<pb::ListCommendationsRequest>,
    ) -> Result<Response<pb::ListCommendationsResponse>, Status> {
        let scope = scope_of(&request)?;
        let page = self.list_commendations(&scope, request.get_ref()).await?;
        Ok(Response::new(pb::ListCommendationsResponse {
            commendations: page.items.iter().map(commendation_to_pb).collect(),
            next_page_token: edge::next_page_token(page.next.as_deref()),
        }))
    }

    async fn schedule_admonishment_talk(
        &self,
        request: Request<pb::ScheduleAdmonishmentTalkRequest>,
    ) -> Result<Response<pb::AdmonishmentTalk>, Status> {
        let onward = Onward::of(&request);
        let scope = scope_of(&request)?;
        let talk = self
            .schedule_talk(&onward, &scope, request.into_inner())
            .await?;
        Ok(Response::new(talk_to_pb(&talk)?))
    }

    async fn get_admonishment_talk(
        &self,
        request: Request<pb::GetAdmonishmentTalkRequest>,
    ) -> Result<Response<pb::AdmonishmentTalk>, Status> {
        let scope = scope_of(&request)?;
        let id = crate::talks::talk_id("name", &request.get_ref().name)?;
        let talk = self.store.get_talk(&scope, &id).await?;
        Ok(Response::new(talk_to_pb(&talk)?))
    }

    async fn list_admonishment_talks(
        &self,
        request: Request<pb::ListAdmonishmentTalksRequest>,
    ) -> Result<Response<pb::ListAdmonishmentTalksResponse>, Status> {
        let scope = scope_of(&request)?;
        let page = self.list_talks(&scope, request.get_ref()).await?;
        Ok(Response::new(pb::ListAdmonishmentTalksResponse {
            talks: page.items.iter().map(talk_to_pb).collect::<Result<_>>()?,
            next_page_token: edge::next_page_token(page.next.as_deref()),
        }))
    }

    async fn record_admonishment_talk(
        &self,
        request: Request<pb::RecordAdmonishmentTalkRequest>,
    ) -> Result<Response<pb::AdmonishmentTalk>, Status> {
        let scope = scope_of(&request)?;
        let talk = self.record_talk(&scope, request.into_inner()).await?;
        Ok(Response::new(talk_to_pb(&talk)?))
    }

    async fn cancel_admonishment_talk(
        &self,
        request: Request<pb::CancelAdmonishmentTalkRequest>,
    ) -> Result<Response<pb::AdmonishmentTalk>, Status> {
        let scope = scope_of(&request)?;
        let talk = self.cancel_talk(&scope, request.into_inner()).await?;
        Ok(Response::new(talk_to_pb(&talk)?))
    }

    async fn list_unit_history(
        &self,
        request: Request<pb::ListUnitHistoryRequest>,
    ) -> Result<Response<pb::ListUnitHistoryResponse>, Status> {
        let onward = Onward::of(&request);
        let scope = scope_of(&request)?;
        let history = self
            .unit_history(&onward, &scope, request.get_ref())
            .await?;
        Ok(Response::new(history))
    }

    async fn list_deadline_items(
        &self,
        request: Request<pb::ListDeadlineItemsRequest>,
    ) -> Result<Response<pb::ListDeadlineItemsResponse>, Status> {
        let scope = scope_of(&request)?;
        Ok(Response::new(
            self.list_deadlines(&scope, request.get_ref()).await?,
        ))
    }

    type WatchDeadlineItemsStream = crate::deadlines::DeadlineStream;

    async fn watch_deadline_items(
        &self,
        request: Request<pb::WatchDeadlineItemsRequest>,
    ) -> Result<Response<Self::WatchDeadlineItemsStream>, Status> {
        let scope = scope_of(&request)?;
        let draining = wenming_runtime::follow::Draining::of(&request);
        Ok(Response::new(self.watch_deadlines(
            scope,
            request.get_ref(),
            draining,
        )?))
    }

    async fn get_progress_report(
        &self,
        request: Request<pb::GetProgressReportRequest>,
    ) -> Result<Response<pb::ProgressReport>, Status> {
        let onward = Onward::of(&request);
        let scope = scope_of(&request)?;
        Ok(Response::new(
            self.progress(&onward, &scope, request.get_ref()).await?,
        ))
    }

    async fn export_progress_report(
        &self,
        request: Request<pb::ExportProgressReportRequest>,
    ) -> Result<Response<pb::ExportProgressReportResponse>, Status> {
        let onward = Onward::of(&request);
        let scope = scope_of(&request)?;
        let report_request = request.get_ref().report.clone().unwrap_or_default();
        let report = self.progress(&onward, &scope, &report_request).await?;
        Ok(Response::new(pb::ExportProgressReportResponse {
            file_name: crate::progress_xlsx::file_name(&report),
            content_type: crate::progress_xlsx::CONTENT_TYPE.to_owned(),
            content: crate::progress_xlsx::workbook(&report)?,
        }))
    }
}

impl SupervisionApi {
    fn today(&self) -> jiff::civil::Date {
        self.store.clock().today_in_china()
    }
}
