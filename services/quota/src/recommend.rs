//! The recommendation RPCs (R8): parse at the edge, look each unit up in the registry
//! with the caller's identity, judge the whole list by its round's rules, store.

use std::collections::BTreeMap;

use wenming_authz::Scope;
use wenming_clients::Onward;
use wenming_domain::{Heading, TitleTier};
use wenming_proto::convert::tier_from_pb;
use wenming_proto::quota::v1 as pb;
use wenming_runtime::catalogue::{common, text_violation};
use wenming_runtime::edge::{etag, optional_enum, parse_name, request_id};
use wenming_runtime::status::Violation;

use crate::error::{QuotaCase, QuotaError, Result};
use crate::messages as msg;
use crate::rules::recommendation::{
    self as rec, Broken, Lines, ListOwner, Listed, MAX_PLACES, PROVINCE_SEGMENT, Shares,
};
use crate::rules::{self, holder_of_unit};
use crate::service::QuotaApi;
use crate::store::{AcceptedList, ListRecord, NewRound, RoundRecord, list_name};

/// Most units one list names.
const MAX_UNITS: usize = 1_000;

/// "recommendationRounds/{year}".
pub(crate) fn round_year(field: &str, name: &str) -> Result<i64> {
    let year = parse_name(field, "recommendationRounds", name, |y| {
        y.parse::<i64>().ok().filter(|y| (2000..2100).contains(y))
    })
    .map_err(|_| {
        Violation::new(
            field,
            &msg::ROUND_NAME,
            format!("'{name}' is not a name like recommendationRounds/2022"),
        )
        .arg("value", name)
    })?;
    Ok(year)
}

/// "recommendationRounds/{year}/lists/{segment}" → (year, owner).
fn list_ref(
    field: &str,
    name: &str,
    scope_divisions: &wenming_domain::Divisions,
) -> Result<(i64, ListOwner)> {
    let bad = || {
        QuotaError::from(
            Violation::new(
                field,
                &msg::LIST_NAME,
                format!(
                    "'{name}' is not a name like recommendationRounds/2022/lists/410400 \
                     (a city's code, provincial-direct or province)"
                ),
            )
            .arg("value", name),
        )
    };
    let (round, segment) = name.split_once("/lists/").ok_or_else(bad)?;
    let year = round_year(field, round).map_err(|_| bad())?;
    let owner = ListOwner::of_segment(segment, scope_divisions).ok_or_else(bad)?;
    Ok((year, owner))
}

fn number(
    violations: &mut Vec<Violation>,
    field: String,
    value: i32,
    max: i64,
    rule: &'static wenming_runtime::catalogue::Rule,
) -> i64 {
    let value = i64::from(value);
    if !(0..=max).contains(&value) {
        violations.push(
            Violation::new(field, rule, format!("{value} is not between 0 and {max}"))
                .arg("value", value)
                .arg("max", max),
        );
    }
    value
}

/// A round's places rows, checked, by list segment.
fn places(
    rows: &[pb::RecommendationPlaces],
    province: Option<&pb::RecommendationPlaces>,
    national: bool,
    api: &QuotaApi,
    violations: &mut Vec<Violation>,
) -> BTreeMap<String, Lines> {
    let divisions = api.store().divisions();
    let mut by_segment = BTreeMap::new();
    let lines_of =
        |field: &str, row: &pb::RecommendationPlaces, violations: &mut Vec<Violation>| {
            let lines = Lines {
                places: number(
                    violations,
                    format!("{field}.places"),
                    row.places,
                    MAX_PLACES,
                    &msg::PLACES_RANGE,
                ),
                non_public_minimum: number(
                    violations,
                    format!("{field}.non_public_minimum"),
                    row.non_public_minimum,
                    MAX_PLACES,
                    &msg::PLACES_RANGE,
                ),
                community_minimum: number(
                    violations,
                    format!("{field}.community_minimum"),
                    row.community_minimum,
                    MAX_PLACES,
                    &msg::PLACES_RANGE,
                ),
            };
            if lines.non_public_minimum + lines.community_minimum > lines.places {
                violations.push(
                    Violation::new(
                        field,
                        &msg::LINES,
                        "the non-public and community lines exceed the places",
                    )
                    .arg("non_public", lines.non_public_minimum)
                    .arg("community", lines.community_minimum)
                    .arg("places", lines.places),
                );
            }
            lines
        };
    for (i, row) in rows.iter().enumerate() {
        let field = format!("round.places[{i}]");
        let holder =
            match crate::service::holder_name(&format!("{field}.holder"), &row.holder, api.store())
            {
                Ok(holder) => holder,
                Err(QuotaError::Invalid(mut found)) => {
                    violations.append(&mut found);
                    continue;
                }
                Err(_) => continue,
            };
        let lines = lines_of(&field, row, violations);
        let segment = ListOwner::Holder(holder).segment();
        if by_segment.insert(segment, lines).is_some() {
            violations.push(
                Violation::new(
                    format!("{field}.holder"),
                    &msg::ROUND_HOLDER_TWICE,
                    "given twice",
                )
                .arg("holder", holder.display_name(divisions)),
            );
        }
    }
    let province_code = divisions.province().to_string();
    match (province, national) {
        (Some(row), true) if row.holder == format!("offices/{province_code}") => {
            let lines = lines_of("round.province_places", row, violations);
            by_segment.insert(PROVINCE_SEGMENT.to_owned(), lines);
        }
        (None, false) => {}
        _ => violations.push(Violation::new(
            "round.province_places",
            &msg::PROVINCE_PLACES,
            format!("set exactly for national rounds, with holder offices/{province_code}"),
        )),
    }
    by_segment
}

impl QuotaApi {
    pub(crate) async fn create_round(
        &self,
        scope: &Scope,
        req: pb::CreateRecommendationRoundRequest,
    ) -> Result<RoundRecord> {
        let request_id = request_id(&req.request_id)?;
        let round = req.round.unwrap_or_default();
        let mut violations = Vec::new();
        let year = i64::from(round.year);
        if !(2000..2100).contains(&year) {
            violations.push(
                Violation::new(
                    "round.year",
                    &msg::ROUND_NAME,
                    "a year between 2000 and 2099",
                )
                .arg("value", year),
            );
        }
        let tier = optional_enum("round.tier", round.tier, tier_from_pb)
            .map_err(|v| vec![v])
            .and_then(|t| {
                t.filter(|t| rec::round_tier(*t)).ok_or_else(|| {
                    vec![Violation::new(
                        "round.tier",
                        &msg::ROUND_TIER,
                        "must be TITLE_TIER_NATIONAL, TITLE_TIER_PROVINCIAL_MODEL or TITLE_TIER_PROVINCIAL",
                    )]
                })
            });
        let tier = match tier {
            Ok(tier) => Some(tier),
            Err(mut found) => {
                violations.append(&mut found);
                None
            }
        };
        let mut heading = |field: &str, text: &str| match Heading::parse(text) {
            Ok(h) => h.as_str().to_owned(),
            Err(err) => {
                violations.push(text_violation(field, &err));
                String::new()
            }
        };
        let display_name = heading("round.display_name", &round.display_name);
        let document_number = heading("round.document_number", &round.document_number);
        let agency_cap_percent = number(
            &mut violations,
            "round.agency_cap_percent".into(),
            round.agency_cap_percent,
            100,
            &msg::PERCENT,
        );
        let base_level_minimum_percent = number(
            &mut violations,
            "round.base_level_minimum_percent".into(),
            round.base_level_minimum_percent,
            100,
            &msg::PERCENT,
        );
        let national = tier == Some(TitleTier::National);
        let places = places(
            &round.places,
            round.province_places.as_ref(),
            national,
            self,
            &mut violations,
        );
        if !violations.is_empty() {
            return Err(QuotaError::Invalid(violations));
        }
        let province = rules::province(scope)?;
        let tier = tier.ok_or_else(|| QuotaError::Internal("tier checked".into()))?;
        self.store()
            .create_round(
                scope,
                province,
                NewRound {
                    year,
                    tier,
                    display_name,
                    document_number,
                    agency_cap_percent,
                    base_level_minimum_percent,
                    places,
                },
                request_id,
            )
            .await
    }

    pub(crate) async fn submit_list(
        &self,
        onward: &Onward,
        scope: &Scope,
        req: pb::SubmitRecommendationListRequest,
    ) -> Result<ListRecord> {
        let request_id = request_id(&req.request_id)?;
        let version = etag("etag", &req.etag)?;
        let list = req.list.unwrap_or_default();
        let divisions = self.store().divisions();
        let (year, owner) = list_ref("list.name", &list.name, divisions)?;
        if list.units.is_empty() {
            return Err(QuotaError::invalid(
                "list.units",
                &common::REQUIRED,
                "list.units is required",
            ));
        }
        if list.units.len() > MAX_UNITS {
            return Err(QuotaError::invalid(
                "list.units",
                &common::TOO_MANY,
                format!("at most {MAX_UNITS} units"),
            )
            .arg("max", MAX_UNITS));
        }
        let mut violations = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for (i, unit) in list.units.iter().enumerate() {
            let field = format!("list.units[{i}].unit");
            if let Err(v) = parse_name(&field, "units", &unit.unit, |id| {
                wenming_domain::UnitId::parse(id).ok()
            }) {
                violations.push(v);
            } else if !seen.insert(unit.unit.clone()) {
                violations.push(
                    Violation::new(field, &msg::UNIT_TWICE, "named twice").arg("value", &unit.unit),
                );
            }
        }
        if !violations.is_empty() {
            return Err(QuotaError::Invalid(violations));
        }
        // Who: the holder its own list, the province its list of a national round.
        match owner {
            ListOwner::Province => {
                rules::province(scope)?;
            }
            ListOwner::Holder(holder) => {
                let caller = rules::holder(scope, divisions)?;
                if caller != holder {
                    return Err(QuotaError::denied(
                        &msg::LIST_OWNER,
                        "a holder submits its own list only",
                    ));
                }
            }
        }
        let round = self.store().get_round(year).await?;
        let name = list_name(year, &owner.segment());
        if owner == ListOwner::Province && round.tier()? != TitleTier::National {
            return Err(QuotaError::precondition(
                &msg::NOT_NATIONAL,
                &name,
                "only a national round has a list of the province",
            )
            .arg("round", round.name()));
        }
        let lines = round
            .lines()?
            .get(&owner.segment())
            .copied()
            .ok_or_else(|| {
                let holder = match owner {
                    ListOwner::Holder(h) => h.display_name(divisions),
                    ListOwner::Province => "省文明办".to_owned(),
                };
                QuotaError::precondition(
                    &msg::NO_PLACES,
                    &name,
                    "the round gives this holder no places",
                )
                .arg("round", round.name())
                .arg("holder", holder)
            })?;
        // Each unit as the registry describes it to the caller, asked at once.
        let facts =
            futures::future::try_join_all(list.units.iter().enumerate().map(|(i, unit)| {
                let field = format!("list.units[{i}].unit");
                async move { self.registry().unit(onward, &field, &unit.unit).await }
            }))
            .await?;
        let candidates: BTreeMap<String, String> = if owner == ListOwner::Province {
            let mut named = BTreeMap::new();
            for accepted in self.store().lists(year).await? {
                if accepted.segment != PROVINCE_SEGMENT {
                    for unit in accepted.listed()? {
                        named.insert(unit.unit_id, accepted.segment.clone());
                    }
                }
            }
            named
        } else {
            BTreeMap::new()
        };
        let mut broken: Vec<Broken> = Vec::new();
        let mut units = Vec::with_capacity(facts.len());
        for unit in &facts {
            let unit_id = unit.name.trim_start_matches("units/").to_owned();
            if !unit.active {
                broken.push(rec::deregistered(&unit.name, &unit.display_name));
            }
            let candidate_of = match owner {
                ListOwner::Holder(holder) => {
                    let own = holder_of_unit(unit, divisions);
                    if own != Some(holder) {
                        let whose = own
                            .map_or_else(|| unit.city_code.clone(), |o| o.display_name(divisions));
                        broken.push(rec::not_the_holders(&unit.name, &unit.display_name, &whose));
                    }
                    None
                }
                ListOwner::Province => {
                    let of = candidates.get(&unit_id).cloned();
                    if of.is_none() {
                        broken.push(rec::not_a_candidate(&unit.name, &unit.display_name));
                    }
                    of
                }
            };
            units.push(Listed {
                unit_id,
                display_name: unit.display_name.clone(),
                kind: unit.kind.map(|k| k.as_str().to_owned()),
                base_level: unit.base_level,
                region_code: unit.region_code.clone(),
                candidate_of,
            });
        }
        let tally = rec::tally(&units, lines);
        let shares = Shares {
            agency_cap_percent: round.agency_cap_percent,
            base_level_minimum_percent: round.base_level_minimum_percent,
        };
        broken.extend(rec::breaks(&name, shares, lines, tally));
        if !broken.is_empty() {
            return Err(QuotaError::Service(QuotaCase::ListBreaksRules {
                list: name,
                broken,
            }));
        }
        self.store()
            .put_list(
                scope,
                AcceptedList {
                    year,
                    owner,
                    units,
                    tally,
                },
                version,
                request_id,
            )
            .await
    }

    /// The list `name`, if the caller may read it: the province any, a holder its own.
    pub(crate) async fn read_list(&self, scope: &Scope, name: &str) -> Result<ListRecord> {
        let divisions = self.store().divisions();
        let (year, owner) = list_ref("name", name, divisions)?;
        let readable = match owner {
            _ if rules::province(scope).is_ok() => true,
            ListOwner::Holder(holder) => rules::holder(scope, divisions).ok() == Some(holder),
            ListOwner::Province => false,
        };
        let found = if readable {
            self.store().get_list(year, &owner.segment()).await?
        } else {
            None
        };
        found.ok_or_else(|| QuotaError::not_found(&msg::LIST, name))
    }

    /// The lists of a round the caller may read.
    pub(crate) async fn read_lists(&self, scope: &Scope, round: &str) -> Result<Vec<ListRecord>> {
        let year = round_year("round", round)?;
        self.store().get_round(year).await?;
        let divisions = self.store().divisions();
        if rules::province(scope).is_ok() {
            let mut lists = self.store().lists(year).await?;
            // Holder order, the province's last.
            lists.sort_by_key(|l| {
                ListOwner::of_segment(&l.segment, divisions)
                    .map_or(usize::MAX, |o| o.order(divisions))
            });
            return Ok(lists);
        }
        let holder = rules::holder(scope, divisions)?;
        Ok(self
            .store()
            .get_list(year, &ListOwner::Holder(holder).segment())
            .await?
            .into_iter()
            .collect())
    }
}
