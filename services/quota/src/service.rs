//! The gRPC surface: parse at the edge, ask registry and pairing with the caller's
//! identity, let the rules decide, call the store, render.

use std::collections::BTreeMap;
use std::sync::Arc;

use tonic::{Request, Response, Status};
use wenming_clients::{ClientError, Pairing, Registry, Standing};
use wenming_domain::{DesignationId, QUOTA_TIERS, QuotaHolder, Reason, TitleTier, UnitId};
use wenming_proto::convert::tier_from_pb;
use wenming_proto::quota::v1 as pb;
use wenming_proto::quota::v1::quota_service_server::QuotaService;
use wenming_runtime::catalogue::{common, text_violation};
use wenming_runtime::edge::{self, etag, optional_enum, page, parse_name, request_id};
use wenming_runtime::onward::Onward;
use wenming_runtime::scope_of;
use wenming_runtime::status::Violation;

use crate::error::{QuotaError, Result};
use crate::messages as msg;
use crate::render::{self, DesignationLook};
use crate::rules::{self, MAX_QUOTA, Period, QuotaChange, TierCount};
use crate::store::{DesignationFilter, DesignationRecord, NewDesignation, Store, VersionView};
use crate::table_file::{self, Format};
use crate::{export, store};

/// Largest file an import takes: the annex is 600 bytes, a workbook of it 6 KiB.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// The quota service's gRPC service.
#[derive(Clone, Debug)]
pub struct QuotaApi {
    store: Store,
    registry: Arc<dyn Registry>,
    pairing: Arc<dyn Pairing>,
}

impl QuotaApi {
    /// The service over `store`, asking `registry` about units and titles and `pairing`
    /// about pairings.
    pub fn new(store: Store, registry: Arc<dyn Registry>, pairing: Arc<dyn Pairing>) -> Self {
        Self {
            store,
            registry,
            pairing,
        }
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn registry(&self) -> &dyn Registry {
        self.registry.as_ref()
    }
}

/// "allocationTables/{period}".
fn table_period(field: &str, name: &str) -> Result<Period> {
    Ok(
        parse_name(field, "allocationTables", name, Period::parse).map_err(|_| {
            Violation::new(
                field,
                &msg::PERIOD,
                format!("'{name}' is not a name like allocationTables/2021-2023"),
            )
            .arg("value", name)
        })?,
    )
}

/// "allocationTables/{period}" (`None`: the newest version) or
/// "allocationTables/{period}/versions/{n}".
fn version_ref(field: &str, name: &str) -> Result<(Period, Option<i64>)> {
    if let Some((table, number)) = name.split_once("/versions/") {
        let period = table_period(field, table)?;
        let number = number
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                Violation::new(
                    field,
                    &msg::VERSION_NAME,
                    format!("'{name}' is not a name like allocationTables/2021-2023/versions/1"),
                )
                .arg("value", name)
            })?;
        return Ok((period, Some(number)));
    }
    Ok((table_period(field, name)?, None))
}

/// "allocationTables/{period}/versions/{n}", the version required.
fn version_name(field: &str, name: &str) -> Result<(Period, i64)> {
    match version_ref(field, name)? {
        (period, Some(number)) => Ok((period, number)),
        (_, None) => Err(Violation::new(
            field,
            &msg::VERSION_NAME,
            format!("'{name}' names no version: allocationTables/{{period}}/versions/{{n}}"),
        )
        .arg("value", name)
        .into()),
    }
}

fn designation_id(field: &str, name: &str) -> Result<String> {
    Ok(parse_name(field, "designations", name, |id| {
        DesignationId::parse(id).ok()
    })?
    .to_string())
}

fn unit_id(field: &str, name: &str) -> Result<String> {
    Ok(parse_name(field, "units", name, |id| UnitId::parse(id).ok())?.to_string())
}

/// "offices/{city_code}" or "offices/provincial-direct", a holder of quota.
pub(crate) fn holder_name(field: &str, name: &str, store: &Store) -> Result<QuotaHolder> {
    rules::holder_of_name(name, store.divisions()).ok_or_else(|| {
        Violation::new(
            field,
            &msg::HOLDER,
            format!("'{name}' is neither offices/{{city_code}} nor offices/provincial-direct"),
        )
        .arg("value", name)
        .into()
    })
}

fn tier(field: &str, value: i32) -> Result<TitleTier> {
    let parsed = optional_enum(field, value, tier_from_pb)?;
    Ok(rules::quota_tier(field, parsed)?)
}

fn reason(field: &str, value: &str) -> Result<Reason> {
    Reason::parse(value).map_err(|err| text_violation(field, &err).into())
}

fn required<T>(field: &str, value: Option<T>) -> Result<T> {
    value.ok_or_else(|| {
        QuotaError::invalid(field, &common::REQUIRED, format!("{field} is required"))
    })
}

/// The file's format: as given, else by its name's extension.
fn file_format(format: i32, file_name: &str) -> Result<Format> {
    let given = optional_enum("format", format, |value| {
        match pb::FileFormat::try_from(value).ok()? {
            pb::FileFormat::Unspecified => None,
            pb::FileFormat::Tsv => Some(Format::Tsv),
            pb::FileFormat::Csv => Some(Format::Csv),
            pb::FileFormat::Xlsx => Some(Format::Xlsx),
        }
    })?;
    given
        .or_else(|| Format::of_file_name(file_name))
        .ok_or_else(|| {
            QuotaError::invalid(
                "format",
                &msg::FORMAT,
                "give the format, or a file name ending in .tsv, .txt, .csv or .xlsx",
            )
        })
}

/// The quota changes of a reallocation, each naming its field.
fn changes(rows: &[pb::AllocationRow], store: &Store) -> Result<Vec<QuotaChange>> {
    if rows.is_empty() {
        return Err(QuotaError::invalid(
            "changes",
            &common::REQUIRED,
            "changes is required",
        ));
    }
    let mut violations = Vec::new();
    let mut parsed = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let holder = match holder_name(&format!("changes[{i}].holder"), &row.holder, store) {
            Ok(holder) => Some(holder),
            Err(QuotaError::Invalid(mut found)) => {
                violations.append(&mut found);
                None
            }
            Err(other) => return Err(other),
        };
        if row.quotas.is_empty() {
            violations.push(Violation::new(
                format!("changes[{i}].quotas"),
                &common::REQUIRED,
                "each change gives at least one tier's quota",
            ));
        }
        for (j, quota) in row.quotas.iter().enumerate() {
            let field = format!("changes[{i}].quotas[{j}]");
            let tier = match tier(&format!("{field}.tier"), quota.tier) {
                Ok(tier) => Some(tier),
                Err(QuotaError::Invalid(mut found)) => {
                    violations.append(&mut found);
                    None
                }
                Err(other) => return Err(other),
            };
            let number = i64::from(quota.quota);
            if !(0..=MAX_QUOTA).contains(&number) {
                violations.push(
                    Violation::new(
                        format!("{field}.quota"),
                        &msg::QUOTA_RANGE,
                        format!("{number} is not a quota between 0 and {MAX_QUOTA}"),
                    )
                    .arg("value", number)
                    .arg("max", MAX_QUOTA),
                );
            }
            if let (Some(holder), Some(tier)) = (holder, tier) {
                if parsed
                    .iter()
                    .any(|c: &QuotaChange| c.holder == holder && c.tier == tier)
                {
                    violations.push(
                        Violation::new(
                            format!("{field}.tier"),
                            &msg::CHANGE_TWICE,
                            "this holder's tier is changed twice",
                        )
                        .arg("holder", holder.display_name(store.divisions()))
                        .arg("tier", rules::tier_title(tier)),
                    );
                }
                parsed.push(QuotaChange {
                    holder,
                    tier,
                    quota: number,
                });
            }
        }
    }
    if violations.is_empty() {
        Ok(parsed)
    } else {
        Err(QuotaError::Invalid(violations))
    }
}

impl QuotaApi {
    /// The attention and title of each designation, asked of pairing (its pairing) and
    /// the registry (the unit's standing today) with the caller's identity. Withdrawn
    /// designations are not looked up.
    async fn look(
        &self,
        onward: &Onward,
        records: &[DesignationRecord],
    ) -> Result<Vec<DesignationLook>> {
        let active: Vec<&DesignationRecord> =
            records.iter().filter(|r| r.state == "active").collect();
        let today = self.store.clock().today_in_china();
        let codes: Vec<String> = active.iter().map(|r| r.credit_code.clone()).collect();
        let standings = async {
            if codes.is_empty() {
                Ok(Vec::new())
            } else {
                self.registry.standings(onward, &codes, today).await
            }
        };
        let pairings = futures::future::try_join_all(active.iter().map(|record| async {
            match self
                .pairing
                .pairing(onward, "designation.pairing", &record.pairing)
                .await
            {
                Ok(pairing) => Ok(Some(pairing.is_open())),
                // Out of the caller's sight now: nothing to say about it.
                Err(ClientError::NotFound { .. }) => Ok(None),
                Err(err) => Err(err),
            }
        }));
        let (standings, pairings) = tokio::try_join!(standings, pairings)?;
        let mut looks: BTreeMap<&str, DesignationLook> = BTreeMap::new();
        for ((record, standing), open) in active.iter().zip(&standings).zip(pairings) {
            let tier = store::tier_from_column(&record.tier)?;
            looks.insert(
                &record.id,
                DesignationLook {
                    attention: rules::attention(open, standing.as_ref()),
                    titled: rules::titled(tier, standing.as_ref()),
                },
            );
        }
        Ok(records
            .iter()
            .map(|r| looks.remove(r.id.as_str()).unwrap_or_default())
            .collect())
    }

    async fn designation_pb(
        &self,
        onward: &Onward,
        record: DesignationRecord,
    ) -> Result<pb::Designation> {
        let look = self.look(onward, std::slice::from_ref(&record)).await?;
        render::designation_to_pb(&record, &look[0])
    }

    /// Per holder of `reader` (every holder: `None`), its counts of each tier in `period`
    /// and the version in force, judged today.
    async fn counts(
        &self,
        onward: &Onward,
        period: Period,
        reader: Option<QuotaHolder>,
    ) -> Result<(VersionView, BTreeMap<QuotaHolder, [TierCount; 2]>)> {
        let version = self
            .store
            .in_force(period)
            .await?
            .ok_or_else(|| store::no_table_in_force(period))?;
        let (places, active) = self.store.places(period, reader).await?;
        let divisions = self.store.divisions();
        let mut counts: BTreeMap<QuotaHolder, [TierCount; 2]> = BTreeMap::new();
        for place in &places {
            let holder = store::holder_from_column(&place.holder, divisions)?;
            let tier = store::tier_from_column(&place.tier)?;
            let Some(t) = rules::tier_index(tier) else {
                continue;
            };
            let count = &mut counts.entry(holder).or_default()[t];
            count.quota = place.quota;
            count.designated = place.used;
        }
        let codes: Vec<String> = active.iter().map(|(_, _, code)| code.clone()).collect();
        let standings: Vec<Option<Standing>> = if codes.is_empty() {
            Vec::new()
        } else {
            let today = self.store.clock().today_in_china();
            self.registry.standings(onward, &codes, today).await?
        };
        for ((holder, tier, _), standing) in active.iter().zip(&standings) {
            let holder = store::holder_from_column(holder, divisions)?;
            let tier = store::tier_from_column(tier)?;
            if let Some(t) = rules::tier_index(tier)
                && rules::titled(tier, standing.as_ref())
            {
                counts.entry(holder).or_default()[t].titled += 1;
            }
        }
        Ok((version, counts))
    }
}

#[tonic::async_trait]
impl QuotaService for QuotaApi {
    async fn list_audit_records(
        &self,
        request: Request<pb::ListAuditRecordsRequest>,
    ) -> Result<Response<pb::ListAuditRecordsResponse>, Status> {
        let scope = scope_of(&request)?;
        let answer: Result<_, QuotaError> = wenming_runtime::audit_read::answer(
            &self.store().db,
            &scope,
            request.get_ref(),
            |resource| self.audit_readable(&scope, resource),
        )
        .await;
        Ok(Response::new(answer?))
    }

    async fn import_allocation_table(
        &self,
        request: Request<pb::ImportAllocationTableRequest>,
    ) -> Result<Response<pb::AllocationTableVersion>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let request_id = request_id(&req.request_id)?;
        let period = table_period("table", &req.table)?;
        if req.content.len() > MAX_FILE_BYTES {
            return Err(QuotaError::invalid(
                "content",
                &msg::FILE_SIZE,
                format!("the file is larger than {MAX_FILE_BYTES} bytes"),
            )
            .arg("max", MAX_FILE_BYTES)
            .into());
        }
        let file_name = req.file_name.trim();
        if file_name.chars().count() > 200 {
            return Err(QuotaError::invalid(
                "file_name",
                &common::TOO_LONG,
                "must be at most 200 characters",
            )
            .arg("max", 200)
            .into());
        }
        let format = file_format(req.format, file_name)?;
        let province = rules::province(&scope)?;
        let rows = table_file::read(&req.content, format).map_err(|err| {
            QuotaError::invalid("content", &msg::UNREADABLE, err.to_string()).arg("reason", &err)
        })?;
        let table =
            rules::parse_table(self.store.divisions(), &rows).map_err(QuotaError::Invalid)?;
        let view = self
            .store
            .import_version(&scope, province, period, &table, file_name, request_id)
            .await?;
        Ok(Response::new(render::version_to_pb(
            &view,
            self.store.divisions(),
        )))
    }

    async fn get_allocation_table(
        &self,
        request: Request<pb::GetAllocationTableRequest>,
    ) -> Result<Response<pb::AllocationTableVersion>, Status> {
        let (period, number) = version_ref("name", &request.get_ref().name)?;
        let view = self.store.get_version(period, number).await?;
        Ok(Response::new(render::version_to_pb(
            &view,
            self.store.divisions(),
        )))
    }

    async fn list_allocation_table_versions(
        &self,
        request: Request<pb::ListAllocationTableVersionsRequest>,
    ) -> Result<Response<pb::ListAllocationTableVersionsResponse>, Status> {
        let req = request.into_inner();
        let period = table_period("table", &req.table)?;
        let (size, after) = page(req.page_size, &req.page_token)?;
        let after = after
            .map(|a| {
                a.parse::<i64>().map_err(|_| {
                    QuotaError::invalid(
                        "page_token",
                        &common::PAGE_TOKEN,
                        "not a token from a previous page",
                    )
                })
            })
            .transpose()?;
        let page = self.store.list_versions(period, after, size).await?;
        let divisions = self.store.divisions();
        Ok(Response::new(pb::ListAllocationTableVersionsResponse {
            versions: page
                .items
                .iter()
                .map(|v| render::version_to_pb(v, divisions))
                .collect(),
            next_page_token: edge::next_page_token(page.next.as_deref()),
        }))
    }

    async fn confirm_allocation_table(
        &self,
        request: Request<pb::ConfirmAllocationTableRequest>,
    ) -> Result<Response<pb::AllocationTableVersion>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let (period, number) = version_name("name", &req.name)?;
        let version = etag("etag", &req.etag)?;
        let province = rules::province(&scope)?;
        let view = self
            .store
            .confirm(
                &scope,
                province,
                period,
                number,
                version,
                req.accept_discrepancies,
            )
            .await?;
        Ok(Response::new(render::version_to_pb(
            &view,
            self.store.divisions(),
        )))
    }

    async fn reallocate_quota(
        &self,
        request: Request<pb::ReallocateQuotaRequest>,
    ) -> Result<Response<pb::AllocationTableVersion>, Status> {
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let request_id = request_id(&req.request_id)?;
        let period = table_period("table", &req.table)?;
        let version = etag("etag", &req.etag)?;
        let changes = changes(&req.changes, &self.store)?;
        let why = reason("reason", &req.reason)?;
        let province = rules::province(&scope)?;
        let change_totals = req.change_totals;
        let view = self
            .store
            .reallocate(
                &scope,
                province,
                period,
                version,
                |rows| rules::reallocate(rows, &changes, change_totals),
                why.as_str(),
                request_id,
            )
            .await?;
        Ok(Response::new(render::version_to_pb(
            &view,
            self.store.divisions(),
        )))
    }

    async fn export_allocation_table(
        &self,
        request: Request<pb::ExportAllocationTableRequest>,
    ) -> Result<Response<pb::ExportAllocationTableResponse>, Status> {
        let onward = Onward::of(&request);
        let scope = scope_of(&request)?;
        let (period, number) = version_ref("name", &request.get_ref().name)?;
        let view = self.store.get_version(period, number).await?;
        // Fulfilment as the caller may read it: every row for the province, its own for
        // a holder, none for other offices.
        let divisions = self.store.divisions();
        let counts = match rules::fulfilment_reader(&scope, divisions) {
            Ok(reader) => match self.counts(&onward, period, reader).await {
                Ok((_, counts)) => counts,
                Err(QuotaError::Precondition { .. }) => BTreeMap::new(),
                Err(err) => return Err(err.into()),
            },
            Err(_) => BTreeMap::new(),
        };
        let workbook = export::workbook(period, &view, &counts, divisions)?;
        Ok(Response::new(pb::ExportAllocationTableResponse {
            content: workbook,
            file_name: export::file_name(period, view.record.version),
            content_type: export::CONTENT_TYPE.to_owned(),
        }))
    }

    async fn create_designation(
        &self,
        request: Request<pb::CreateDesignationRequest>,
    ) -> Result<Response<pb::Designation>, Status> {
        let onward = Onward::of(&request);
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let request_id = request_id(&req.request_id)?;
        let designation = required("designation", req.designation)?;
        let period = table_period("designation.table", &designation.table)?;
        let unit = unit_id("designation.unit", &designation.unit)?;
        let tier = tier("designation.tier", designation.tier)?;
        // Before any lookup.
        let holder = rules::holder(&scope, self.store.divisions())?;
        let (facts, pairings) = tokio::try_join!(
            self.registry
                .unit(&onward, "designation.unit", &designation.unit),
            self.pairing
                .open_pairings_of(&onward, "designation.unit", &designation.unit),
        )
        .map_err(QuotaError::from)?;
        rules::designated_unit(holder, &facts, self.store.divisions())?;
        let pairing = rules::open_pairing(&facts, &pairings)?;
        let record = self
            .store
            .create_designation(
                &scope,
                NewDesignation {
                    period,
                    holder,
                    tier,
                    unit_id: unit,
                    unit_display_name: facts.display_name.clone(),
                    unit_region: facts.region_code.clone(),
                    unit_city: facts.city_code.clone(),
                    unit_provincial_direct: facts.provincial_direct,
                    credit_code: facts.credit_code.clone(),
                    pairing: pairing.name.clone(),
                },
                request_id,
            )
            .await?;
        Ok(Response::new(self.designation_pb(&onward, record).await?))
    }

    async fn get_designation(
        &self,
        request: Request<pb::GetDesignationRequest>,
    ) -> Result<Response<pb::Designation>, Status> {
        let onward = Onward::of(&request);
        let scope = scope_of(&request)?;
        let id = designation_id("name", &request.get_ref().name)?;
        let record = self.store.get_designation(&scope, &id).await?;
        Ok(Response::new(self.designation_pb(&onward, record).await?))
    }

    async fn list_designations(
        &self,
        request: Request<pb::ListDesignationsRequest>,
    ) -> Result<Response<pb::ListDesignationsResponse>, Status> {
        let onward = Onward::of(&request);
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let period = table_period("table", &req.table)?;
        let (size, after) = page(req.page_size, &req.page_token)?;
        let filter =
            DesignationFilter {
                holder: (!req.holder.is_empty())
                    .then(|| holder_name("holder", &req.holder, &self.store))
                    .transpose()?,
                tier: (req.tier != 0)
                    .then(|| tier("tier", req.tier))
                    .transpose()?,
                state: optional_enum("state", req.state, |value| {
                    match pb::DesignationState::try_from(value).ok()? {
                        pb::DesignationState::Unspecified => None,
                        pb::DesignationState::Active => Some("active"),
                        pb::DesignationState::Withdrawn => Some("withdrawn"),
                    }
                })?,
            };
        let page = self
            .store
            .list_designations(&scope, period, &filter, after.as_deref(), size)
            .await?;
        let looks = self.look(&onward, &page.items).await?;
        Ok(Response::new(pb::ListDesignationsResponse {
            designations: page
                .items
                .iter()
                .zip(&looks)
                .map(|(record, look)| render::designation_to_pb(record, look))
                .collect::<Result<_>>()?,
            next_page_token: edge::next_page_token(page.next.as_deref()),
        }))
    }

    async fn withdraw_designation(
        &self,
        request: Request<pb::WithdrawDesignationRequest>,
    ) -> Result<Response<pb::Designation>, Status> {
        let onward = Onward::of(&request);
        let scope = scope_of(&request)?;
        let req = request.into_inner();
        let id = designation_id("name", &req.name)?;
        let why = reason("reason", &req.reason)?;
        let version = etag("etag", &req.etag)?;
        let holder = rules::holder(&scope, self.store.divisions())?;
        let record = self
            .store
            .withdraw_designation(&scope, holder, &id, &why, version)
            .await?;
        Ok(Response::new(self.designation_pb(&onward, record).await?))
    }

    async fn get_fulfilment(
        &self,
        request: Request<pb::GetFulfilmentRequest>,
    ) -> Result<Response<pb::Fulfilment>, Status> {
        let onward = Onward::of(&request);
        let scope = scope_of(&request)?;
        let period = table_period("table", &request.get_ref().table)?;
        let divisions = self.store.divisions();
        let reader = rules::fulfilment_reader(&scope, divisions)?;
        let (version, counts) = self.counts(&onward, period, reader).await?;
        let holders: Vec<QuotaHolder> = match reader {
            Some(holder) => vec![holder],
            None => divisions.quota_holders().collect(),
        };
        let mut totals = [TierCount::default(); 2];
        let rows = holders
            .iter()
            .map(|holder| {
                let count = counts.get(holder).copied().unwrap_or_default();
                for t in 0..QUOTA_TIERS.len() {
                    totals[t] = totals[t].plus(count[t]);
                }
                render::holder_fulfilment(*holder, &count, divisions)
            })
            .collect();
        Ok(Response::new(pb::Fulfilment {
            table: format!("allocationTables/{period}"),
            version: i32::try_from(version.record.version).unwrap_or(i32::MAX),
            as_of: self.store.clock().today_in_china().to_string(),
            holders: rows,
            totals: render::tier_fulfilments(&totals),
        }))
    }

    async fn create_recommendation_round(
        &self,
        request: Request<pb::CreateRecommendationRoundRequest>,
    ) -> Result<Response<pb::RecommendationRound>, Status> {
        let scope = scope_of(&request)?;
        let record = self.create_round(&scope, request.into_inner()).await?;
        Ok(Response::new(render::round_to_pb(
            &record,
            self.store.divisions(),
        )?))
    }

    async fn get_recommendation_round(
        &self,
        request: Request<pb::GetRecommendationRoundRequest>,
    ) -> Result<Response<pb::RecommendationRound>, Status> {
        let year = crate::recommend::round_year("name", &request.get_ref().name)?;
        let record = self.store.get_round(year).await?;
        Ok(Response::new(render::round_to_pb(
            &record,
            self.store.divisions(),
        )?))
    }

    async fn submit_recommendation_list(
        &self,
        request: Request<pb::SubmitRecommendationListRequest>,
    ) -> Result<Response<pb::RecommendationList>, Status> {
        let onward = Onward::of(&request);
        let scope = scope_of(&request)?;
        let record = self
            .submit_list(&onward, &scope, request.into_inner())
            .await?;
        Ok(Response::new(render::list_to_pb(
            &record,
            self.store.divisions(),
        )?))
    }

    async fn get_recommendation_list(
        &self,
        request: Request<pb::GetRecommendationListRequest>,
    ) -> Result<Response<pb::RecommendationList>, Status> {
        let scope = scope_of(&request)?;
        let record = self.read_list(&scope, &request.get_ref().name).await?;
        Ok(Response::new(render::list_to_pb(
            &record,
            self.store.divisions(),
        )?))
    }

    async fn list_recommendation_lists(
        &self,
        request: Request<pb::ListRecommendationListsRequest>,
    ) -> Result<Response<pb::ListRecommendationListsResponse>, Status> {
        let scope = scope_of(&request)?;
        let lists = self.read_lists(&scope, &request.get_ref().round).await?;
        let divisions = self.store.divisions();
        Ok(Response::new(pb::ListRecommendationListsResponse {
            lists: lists
                .iter()
                .map(|l| render::list_to_pb(l, divisions))
                .collect::<Result<_>>()?,
        }))
    }
}
