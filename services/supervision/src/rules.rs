//! The supervision rules, decided without I/O: who plans, what a region target may be,
//! what a visit record must say, and when an inspection is blind. The store applies the
//! same blindness in SQL to every read (see `store::push_visible`).

use jiff::civil::Date;
use wenming_authz::Scope;
use wenming_domain::{AdminLevel, Divisions, OfficeKey, PairingState, RegionCode};
use wenming_runtime::status::Violation;

use crate::error::{Result, SupervisionError};
use crate::messages as msg;

/// Most inspectors of one inspection, findings of one visit.
pub const MAX_INSPECTORS: usize = 50;
/// Most findings of one visit.
pub const MAX_FINDINGS: usize = 100;

/// The office planning an inspection, as its rows record it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planner {
    /// Its key: a region code or "provincial-direct".
    pub office: String,
    /// Its region ("" for the provincial-direct office).
    pub region: String,
    /// The city its region lies in ("" for the province and the provincial-direct
    /// office): a city office sees what its counties plan.
    pub city: String,
}

/// The caller as a planning office, or the refusal.
pub fn planner(scope: &Scope, divisions: &Divisions) -> Result<Planner> {
    let office = scope.office_key().ok_or(SupervisionError::denied(
        &msg::OFFICES_ONLY,
        "only offices plan and record inspections",
    ))?;
    Ok(match (office, scope.office()) {
        (OfficeKey::Region(_), Some((level, region))) => Planner {
            office: region.to_string(),
            region: region.to_string(),
            city: match level {
                AdminLevel::Province => String::new(),
                AdminLevel::City => region.to_string(),
                _ => divisions
                    .parent(region)
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
            },
        },
        _ => Planner {
            office: office.to_string(),
            region: String::new(),
            city: String::new(),
        },
    })
}

/// A region target, "regions/{code}": a city or county inside the caller's region, as
/// (its region column, its city column).
pub fn region_target(
    scope: &Scope,
    divisions: &Divisions,
    field: &str,
    code: &str,
) -> Result<(RegionCode, String)> {
    let refuse = || {
        SupervisionError::from(
            Violation::new(
                field,
                &msg::TARGET_REGION,
                format!("{code} is not a city or county of the office's region"),
            )
            .arg("value", code),
        )
    };
    let region = RegionCode::parse(code).map_err(|_| refuse())?;
    let level = divisions.get(region).map(|d| d.level).ok_or_else(refuse)?;
    let city = match level {
        AdminLevel::City => region.to_string(),
        AdminLevel::County => divisions
            .parent(region)
            .map(|p| p.to_string())
            .ok_or_else(refuse)?,
        _ => return Err(refuse()),
    };
    if !scope.office_contains(divisions, region) {
        return Err(refuse());
    }
    Ok((region, city))
}

/// Planned dates in order.
pub fn planned_dates(start: Date, end: Date) -> Result<()> {
    if end < start {
        return Err(Violation::new(
            "inspection.planned_end",
            &msg::DATES,
            "ends before it starts",
        )
        .arg("start", start)
        .arg("end", end)
        .into());
    }
    Ok(())
}

/// Whether an inspection of `kind` in `state` is blind: a covert visit not recorded as
/// done (a cancelled one stays blind: it was never announced, and its plan says where
/// the office suspected something).
pub fn blind(kind: &str, state: &str) -> bool {
    kind == "covert_visit" && state != "done"
}

/// The caller may record or cancel only what its own office planned.
pub fn planning_office(scope: &Scope, office: &str) -> Result<()> {
    own_office(
        scope,
        office,
        &msg::PLANNING_OFFICE,
        "only the planning office records or cancels an inspection",
    )
}

/// The caller is the office `office` (a key), or is refused by `rule`.
fn own_office(
    scope: &Scope,
    office: &str,
    rule: &'static wenming_runtime::catalogue::Rule,
    what: &'static str,
) -> Result<()> {
    if scope.office_key().map(|o| o.to_string()).as_deref() == Some(office) {
        Ok(())
    } else {
        Err(SupervisionError::denied(rule, what))
    }
}

/// An office that follows a task up, as its rows record it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowUp {
    /// Its key.
    pub office: String,
    /// Its region ("" for the provincial-direct office).
    pub region: String,
    /// The city its region lies in ("" for the province and the provincial-direct office).
    pub city: String,
    /// The office one level above, whose queue the task joins when overdue ("" for the
    /// province).
    pub escalated_to: String,
}

/// The follow-up office `office` ("" = the planning office) of a task on an inspection
/// planned by `planning_office` (key) targeting `target_region`: the planning office,
/// or an office below it whose region holds the target.
pub fn follow_up(
    divisions: &Divisions,
    field: &str,
    office: &str,
    planning_office: &str,
    target_region: &str,
) -> Result<FollowUp> {
    let key = if office.is_empty() {
        planning_office.to_owned()
    } else {
        office
            .strip_prefix("offices/")
            .map(str::to_owned)
            .ok_or_else(|| follow_up_refused(field, office))?
    };
    let province = divisions.province();
    if key == wenming_domain::PROVINCIAL_DIRECT {
        if planning_office != key {
            return Err(follow_up_refused(field, office));
        }
        return Ok(FollowUp {
            office: key,
            region: String::new(),
            city: String::new(),
            escalated_to: province.to_string(),
        });
    }
    let region = RegionCode::parse(&key).map_err(|_| follow_up_refused(field, office))?;
    let planner = RegionCode::parse(planning_office).ok();
    let target = RegionCode::parse(target_region).ok();
    let below_planner = planner.is_some_and(|p| divisions.contains(p, region));
    let holds_target = target.is_some_and(|t| divisions.contains(region, t));
    if !(below_planner && (holds_target || key == planning_office)) {
        return Err(follow_up_refused(field, office));
    }
    let level = divisions.get(region).map(|d| d.level);
    let city = match level {
        Some(AdminLevel::City) => region.to_string(),
        Some(AdminLevel::County) => divisions
            .parent(region)
            .map(|p| p.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    };
    let escalated_to = match level {
        Some(AdminLevel::Province) | None => String::new(),
        _ => divisions
            .parent(region)
            .map(|p| p.to_string())
            .unwrap_or_default(),
    };
    Ok(FollowUp {
        office: key,
        region: region.to_string(),
        city,
        escalated_to,
    })
}

fn follow_up_refused(field: &str, office: &str) -> SupervisionError {
    Violation::new(
        field,
        &msg::FOLLOW_UP,
        format!(
            "'{office}' is neither the planning office nor an office below it holding the target"
        ),
    )
    .arg("value", office)
    .into()
}

/// Days `today` is past `due` (0 when not past).
pub fn days_overdue(due: Date, today: Date) -> i32 {
    if today <= due {
        return 0;
    }
    // A span between civil dates counts whole days by default.
    today.since(due).map_or(0, |span| span.get_days())
}

/// Whether the caller acts for `office` or an office above it (closing, reopening).
pub fn at_or_above(scope: &Scope, divisions: &Divisions, office: &str) -> bool {
    if scope.office_key().map(|o| o.to_string()).as_deref() == Some(office) {
        return true;
    }
    match RegionCode::parse(office) {
        Ok(region) => scope.office_contains(divisions, region),
        // The provincial-direct office: the province is above it.
        Err(_) => matches!(scope.office(), Some((AdminLevel::Province, _))),
    }
}

/// A day that must not be after `today` (a document's, a talk's).
pub fn not_after_today(field: &str, day: Date, today: Date) -> Result<()> {
    if day > today {
        return Err(SupervisionError::invalid(
            field,
            &msg::NOT_AFTER_TODAY,
            format!("{day} is after today"),
        )
        .arg("value", day));
    }
    Ok(())
}

/// The caller as the commending office: only the province commends.
pub fn commending_office(scope: &Scope, divisions: &Divisions) -> Result<Planner> {
    match scope.office() {
        Some((AdminLevel::Province, _)) => planner(scope, divisions),
        _ => Err(SupervisionError::denied(
            &msg::COMMENDED_BY_PROVINCE,
            "commendations are made by the provincial office",
        )),
    }
}

/// A pairing may be commended once it has worked: active or concluded.
pub fn commendable(pairing: &str, state: Option<PairingState>) -> Result<()> {
    match state {
        Some(PairingState::Active | PairingState::Concluded) => Ok(()),
        other => Err(SupervisionError::precondition(
            &msg::PAIRING_NOT_WORKED,
            pairing,
            "only active or concluded pairings are commended",
        )
        .arg("pairing", pairing)
        .arg("state", other.map_or("未知", PairingState::label_zh))),
    }
}

/// The caller may record or cancel only the talks its own office scheduled.
pub fn summoning_office(scope: &Scope, office: &str) -> Result<()> {
    own_office(
        scope,
        office,
        &msg::SUMMONING_OFFICE,
        "only the summoning office records or cancels a talk",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_covert_visit_not_done_is_blind() {
        assert!(blind("covert_visit", "planned"));
        assert!(!blind("covert_visit", "done"));
        assert!(blind("covert_visit", "cancelled"));
        assert!(!blind("open_visit", "planned"));
    }

    #[test]
    fn follow_up_offices_and_their_escalation() {
        let d = Divisions::henan();
        let city = follow_up(d, "f", "", "410400", "410421").unwrap();
        assert_eq!(
            (city.office.as_str(), city.escalated_to.as_str()),
            ("410400", "410000")
        );
        let county = follow_up(d, "f", "offices/410421", "410400", "410421").unwrap();
        assert_eq!(
            (county.city.as_str(), county.escalated_to.as_str()),
            ("410400", "410400")
        );
        assert!(follow_up(d, "f", "offices/410422", "410400", "410421").is_err());
        assert!(follow_up(d, "f", "offices/410000", "410400", "410421").is_err());
        let province = follow_up(d, "f", "", "410000", "410421").unwrap();
        assert_eq!(province.escalated_to, "");
        assert!(follow_up(d, "f", "offices/provincial-direct", "410400", "410421").is_err());
    }

    #[test]
    fn only_pairings_that_worked_are_commended() {
        assert!(commendable("pairings/x", Some(PairingState::Active)).is_ok());
        assert!(commendable("pairings/x", Some(PairingState::Concluded)).is_ok());
        assert!(commendable("pairings/x", Some(PairingState::Proposed)).is_err());
        assert!(commendable("pairings/x", Some(PairingState::Dissolved)).is_err());
        assert!(commendable("pairings/x", None).is_err());
    }

    #[test]
    fn overdue_days() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert_eq!(days_overdue(d("2021-06-30"), d("2021-06-30")), 0);
        assert_eq!(days_overdue(d("2021-06-30"), d("2021-07-03")), 3);
    }

    #[test]
    fn dates_in_order() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert!(planned_dates(d("2021-06-01"), d("2021-06-01")).is_ok());
        assert!(planned_dates(d("2021-06-02"), d("2021-06-01")).is_err());
    }
}
