//! What the deadline monitor counts as late, decided without I/O from what the registry,
//! the pairing service and the task table say.

use jiff::civil::Date;
use wenming_clients::{CampaignFacts, ListReport, NominationTally, OverdueMilestone};
use wenming_domain::{AdminLevel, Divisions, PROVINCIAL_DIRECT, RegionCode};

use crate::store::{FoundItem, TaskRecord};

/// An office's key, region and city columns ("" city for the province and the
/// provincial-direct office).
fn office_columns(divisions: &Divisions, office: &str) -> (String, String) {
    if office == PROVINCIAL_DIRECT {
        return (String::new(), String::new());
    }
    let city = RegionCode::parse(office)
        .ok()
        .and_then(|code| match divisions.get(code).map(|d| d.level) {
            Some(AdminLevel::City) => Some(code),
            Some(AdminLevel::County) => divisions.parent(code),
            _ => None,
        })
        .map(|c| c.to_string())
        .unwrap_or_default();
    (office.to_owned(), city)
}

fn office_name(divisions: &Divisions, office: &str) -> String {
    RegionCode::parse(office)
        .ok()
        .and_then(|code| divisions.get(code))
        .map_or_else(|| "省直文明办".to_owned(), |d| format!("{}文明办", d.name))
}

/// An item about the office `office` (its key) missing a deadline of `campaign`.
fn office_item(
    divisions: &Divisions,
    kind: &'static str,
    campaign: &CampaignFacts,
    office: &str,
    due: Date,
    (nominated, required): (i64, i64),
) -> FoundItem {
    let (region, city) = office_columns(divisions, office);
    FoundItem {
        kind,
        campaign: campaign.name.clone(),
        subject: format!("offices/{office}"),
        subject_display_name: office_name(divisions, office),
        due_date: due.to_string(),
        nominated,
        required,
        office_key: office.to_owned(),
        office_region: region.clone(),
        office_city: city.clone(),
        target_region: region,
        target_city: city,
        target_unit: None,
        target_helper_unit: None,
        target_direct: office == PROVINCIAL_DIRECT,
    }
}

/// The counties of a city's campaign that nominated fewer than its minimum (submitted
/// or accepted) once its nomination deadline has passed.
pub fn short_counties(
    divisions: &Divisions,
    campaign: &CampaignFacts,
    tallies: &[NominationTally],
    today: Date,
) -> Vec<FoundItem> {
    let (Some(due), Ok(city)) = (
        campaign.nomination_deadline,
        RegionCode::parse(&campaign.organising_region),
    ) else {
        return Vec::new();
    };
    if today <= due || divisions.get(city).map(|d| d.level) != Some(AdminLevel::City) {
        return Vec::new();
    }
    divisions
        .children(city)
        .iter()
        .filter_map(|county| {
            let county = county.to_string();
            let nominated = tallies
                .iter()
                .find(|t| t.county == county)
                .map_or(0, |t| t.submitted + t.accepted);
            (nominated < campaign.batch_min).then(|| {
                office_item(
                    divisions,
                    "nominations_short",
                    campaign,
                    &county,
                    due,
                    (i64::from(nominated), i64::from(campaign.batch_min)),
                )
            })
        })
        .collect()
}

/// The offices that have not reported their list of a provincial campaign by its
/// pairing-list deadline.
pub fn unreported_lists(
    divisions: &Divisions,
    campaign: &CampaignFacts,
    reports: &[ListReport],
    today: Date,
) -> Vec<FoundItem> {
    let Some(due) = campaign.pairing_list_deadline else {
        return Vec::new();
    };
    if today <= due {
        return Vec::new();
    }
    reports
        .iter()
        .filter(|r| !r.reported)
        .map(|r| {
            office_item(
                divisions,
                "pairing_list_unreported",
                campaign,
                &r.office,
                due,
                (0, 0),
            )
        })
        .collect()
}

/// A milestone past due (the pairing service selected those), followed up by the
/// office that arranged the pairing.
pub fn overdue_milestone(divisions: &Divisions, m: &OverdueMilestone) -> FoundItem {
    let (region, city) = office_columns(divisions, &m.office);
    FoundItem {
        kind: "milestone_overdue",
        campaign: m.campaign.clone(),
        subject: format!("{}/workPlan/milestones/{}", m.pairing, m.index),
        subject_display_name: m.title.clone(),
        due_date: m.due_date.clone(),
        nominated: 0,
        required: 0,
        office_key: m.office.clone(),
        office_region: region,
        office_city: city,
        target_region: m.unit_region_code.clone(),
        target_city: m.unit_city_code.clone(),
        target_unit: m.unit.strip_prefix("units/").map(str::to_owned),
        target_helper_unit: m
            .helper_unit
            .as_deref()
            .and_then(|u| u.strip_prefix("units/"))
            .map(str::to_owned),
        target_direct: m.unit_provincial_direct,
    }
}

/// An open task past its due date (the caller selected those).
pub fn overdue_task(task: &TaskRecord) -> FoundItem {
    FoundItem {
        kind: "task_overdue",
        campaign: String::new(),
        subject: task.name(),
        subject_display_name: task.target_display_name.clone(),
        due_date: task.due_date.clone(),
        nominated: 0,
        required: 0,
        office_key: task.follow_up_office.clone(),
        office_region: task.follow_up_region.clone(),
        office_city: task.follow_up_city.clone(),
        target_region: task.target_region.clone(),
        target_city: task.target_city.clone(),
        target_unit: task.target_unit.clone(),
        target_helper_unit: task.target_helper_unit.clone(),
        target_direct: task.target_direct != 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn campaign(organiser: &str) -> CampaignFacts {
        CampaignFacts {
            name: "campaigns/c".into(),
            display_name: String::new(),
            nomination_deadline: Some("2021-04-20".parse().unwrap()),
            batch_min: 3,
            pairing_list_deadline: Some("2021-05-01".parse().unwrap()),
            target_tiers: Vec::new(),
            organising_region: organiser.into(),
            parent: None,
        }
    }

    #[test]
    fn counties_short_after_the_deadline_only() {
        let d = Divisions::henan();
        let tally = [NominationTally {
            county: "410421".into(),
            submitted: 1,
            accepted: 1,
            returned: 4,
        }];
        let day = |s: &str| s.parse::<Date>().unwrap();
        assert!(short_counties(d, &campaign("410400"), &tally, day("2021-04-20")).is_empty());
        let short = short_counties(d, &campaign("410400"), &tally, day("2021-04-21"));
        let baofeng = short
            .iter()
            .find(|i| i.subject == "offices/410421")
            .unwrap();
        assert_eq!((baofeng.nominated, baofeng.required), (2, 3));
        assert_eq!(baofeng.office_city, "410400");
        assert_eq!(short.len(), d.children("410400".parse().unwrap()).len());
        assert!(short_counties(d, &campaign("410000"), &tally, day("2021-04-21")).is_empty());
    }

    #[test]
    fn unreported_lists_after_the_deadline_only() {
        let d = Divisions::henan();
        let reports = [
            ListReport {
                office: "410400".into(),
                office_display_name: String::new(),
                reported: false,
                days_late: 0,
            },
            ListReport {
                office: PROVINCIAL_DIRECT.into(),
                office_display_name: String::new(),
                reported: false,
                days_late: 0,
            },
            ListReport {
                office: "410100".into(),
                office_display_name: String::new(),
                reported: true,
                days_late: 0,
            },
        ];
        let day = |s: &str| s.parse::<Date>().unwrap();
        assert!(unreported_lists(d, &campaign("410000"), &reports, day("2021-05-01")).is_empty());
        let late = unreported_lists(d, &campaign("410000"), &reports, day("2021-05-02"));
        assert_eq!(late.len(), 2);
        assert!(late[1].target_direct);
        assert_eq!(late[0].subject_display_name, "平顶山市文明办");
    }
}
