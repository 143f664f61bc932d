//! The province's roll-up of a provincial campaign's pairing lists, decided without I/O:
//! which offices must report (each city-level office, 济源 included, and the
//! provincial-direct office, the addressees of the provincial notice), which list each
//! keeps, and how late each is against the province's deadline.

use jiff::civil::Date;
use wenming_clients::CampaignFacts;
use wenming_domain::{AdminLevel, Divisions, OfficeKey, PROVINCIAL_DIRECT, today_in_china};

use crate::error::{PairingError, Result};
use crate::messages as msg;

/// A pairing list as the roll-up needs it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ListState {
    /// The campaign it is kept under (id).
    pub campaign_id: String,
    /// The office: a region code or "provincial-direct".
    pub office_region: String,
    /// "open" or "reported".
    pub state: String,
    /// When it was last reported (ms), if ever.
    pub reported_at: Option<i64>,
    /// Proposed and active pairings on it.
    pub pairing_count: i64,
}

impl ListState {
    /// Whether it stands reported (not reopened since).
    pub fn is_reported(&self) -> bool {
        self.state == "reported"
    }
}

/// One row of the roll-up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportRow {
    /// The office: a region code or "provincial-direct".
    pub office: String,
    /// The campaign its list is kept under; `None` for a city with no campaign that
    /// belongs to the provincial one.
    pub campaign_id: Option<String>,
    /// Its list, if it has one.
    pub list: Option<ListState>,
}

/// The campaign of a roll-up must be the province's.
pub fn provincial_campaign(campaign: &CampaignFacts, divisions: &Divisions) -> Result<()> {
    if campaign.organising_region == divisions.province().to_string() {
        Ok(())
    } else {
        Err(PairingError::precondition(
            &msg::NOT_PROVINCIAL,
            &campaign.name,
            "the roll-up of pairing lists is of a campaign the provincial office organises",
        )
        .arg("campaign", &campaign.name))
    }
}

/// The rows for the provincial campaign `provincial_id`, whose campaigns that belong to
/// it are `children` (id, organising region), given every list kept under them: one
/// row per city-level office and campaign of its (a row without campaign when it has
/// none), the provincial-direct office's list under the provincial campaign, then every
/// other list (counties', a city's kept under the provincial campaign itself). In
/// region-code order, the provincial-direct office last.
pub fn report_rows(
    divisions: &Divisions,
    provincial_id: &str,
    children: &[(String, String)],
    lists: Vec<ListState>,
) -> Vec<ReportRow> {
    let mut remaining = lists;
    let mut take = |campaign: &str, office: &str| {
        let at = remaining
            .iter()
            .position(|l| l.campaign_id == campaign && l.office_region == office)?;
        Some(remaining.swap_remove(at))
    };
    let mut rows = Vec::new();
    for city in divisions.iter().filter(|d| d.level == AdminLevel::City) {
        let office = city.code.to_string();
        let mut theirs = children
            .iter()
            .filter(|(_, organiser)| *organiser == office);
        let mut any = false;
        for (campaign, _) in theirs.by_ref() {
            any = true;
            rows.push(ReportRow {
                office: office.clone(),
                campaign_id: Some(campaign.clone()),
                list: take(campaign, &office),
            });
        }
        if !any {
            rows.push(ReportRow {
                office,
                campaign_id: None,
                list: None,
            });
        }
    }
    rows.push(ReportRow {
        office: PROVINCIAL_DIRECT.to_owned(),
        campaign_id: Some(provincial_id.to_owned()),
        list: take(provincial_id, PROVINCIAL_DIRECT),
    });
    for list in remaining {
        rows.push(ReportRow {
            office: list.office_region.clone(),
            campaign_id: Some(list.campaign_id.clone()),
            list: Some(list),
        });
    }
    rows.sort_by(|a, b| {
        let key = |r: &ReportRow| {
            (
                r.office == PROVINCIAL_DIRECT,
                r.office.clone(),
                r.campaign_id.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    rows
}

/// Days past `deadline` (inclusive: late from the day after): of the report for a
/// reported list, of `today` for one not reported. 0 when on time, not due or without a
/// deadline.
pub fn days_late(deadline: Option<Date>, reported_at: Option<i64>, today: Date) -> u32 {
    let Some(deadline) = deadline else {
        return 0;
    };
    let day = reported_at
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map_or(today, today_in_china);
    if day <= deadline {
        return 0;
    }
    deadline
        .until(day)
        .ok()
        .and_then(|span| u32::try_from(span.get_days()).ok())
        .unwrap_or(0)
}

/// The name officials read for an office of the roll-up.
pub fn office_display_name(divisions: &Divisions, office: &str) -> String {
    match OfficeKey::parse(office) {
        Ok(OfficeKey::ProvincialDirect) => "省直文明办".to_owned(),
        Ok(OfficeKey::Region(region)) => divisions
            .get(region)
            .map(|d| format!("{}文明办", d.name))
            .unwrap_or_else(|| office.to_owned()),
        Err(_) => office.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    fn list(campaign: &str, office: &str, reported: bool) -> ListState {
        ListState {
            campaign_id: campaign.into(),
            office_region: office.into(),
            state: if reported { "reported" } else { "open" }.into(),
            reported_at: reported.then_some(0),
            pairing_count: 1,
        }
    }

    #[test]
    fn every_city_and_the_provincial_direct_office_has_a_row() {
        let d = Divisions::henan();
        let children = [("pds".to_owned(), "410400".to_owned())];
        let lists = vec![
            list("pds", "410400", true),
            list("pds", "410421", false),
            list("henan", PROVINCIAL_DIRECT, false),
        ];
        let rows = report_rows(d, "henan", &children, lists);
        let cities = d.iter().filter(|x| x.level == AdminLevel::City).count();
        // Every city, the provincial-direct office, and 宝丰县's list.
        assert_eq!(rows.len(), cities + 2);
        let pingdingshan = rows.iter().position(|r| r.office == "410400").unwrap();
        assert!(rows[pingdingshan].list.as_ref().unwrap().is_reported());
        assert_eq!(rows[pingdingshan + 1].office, "410421");
        let zhengzhou = rows.iter().find(|r| r.office == "410100").unwrap();
        assert_eq!(
            (zhengzhou.campaign_id.as_deref(), zhengzhou.list.as_ref()),
            (None, None)
        );
        assert!(
            rows.iter().any(|r| r.office == "419001"),
            "济源 reports too"
        );
        let last = rows.last().unwrap();
        assert_eq!(last.office, PROVINCIAL_DIRECT);
        assert_eq!(last.campaign_id.as_deref(), Some("henan"));
    }

    #[test]
    fn lateness_counts_days_after_the_deadline() {
        let deadline = Some(date(2021, 5, 1));
        assert_eq!(days_late(deadline, None, date(2021, 5, 1)), 0);
        assert_eq!(days_late(deadline, None, date(2021, 5, 4)), 3);
        assert_eq!(days_late(None, None, date(2021, 5, 4)), 0);
        // Reported at 2021-05-02 10:00 China time: one day late, whatever today is.
        let reported: jiff::Timestamp = "2021-05-02T02:00:00Z".parse().unwrap();
        assert_eq!(
            days_late(deadline, Some(reported.as_millisecond()), date(2021, 6, 1)),
            1
        );
    }

    #[test]
    fn offices_are_named_as_officials_read_them() {
        let d = Divisions::henan();
        assert_eq!(office_display_name(d, "410400"), "平顶山市文明办");
        assert_eq!(office_display_name(d, PROVINCIAL_DIRECT), "省直文明办");
    }
}
