//! The supervision rules, decided without I/O: who plans, what a region target may be,
//! what a visit record must say, and when an inspection is blind. The store applies the
//! same blindness in SQL to every read (see `store::push_visible`).

use jiff::civil::Date;
use wenming_authz::Scope;
use wenming_domain::{AdminLevel, Divisions, OfficeKey, RegionCode};
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
    if scope.office_key().map(|o| o.to_string()).as_deref() == Some(office) {
        Ok(())
    } else {
        Err(SupervisionError::denied(
            &msg::PLANNING_OFFICE,
            "only the planning office records or cancels an inspection",
        ))
    }
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
    fn dates_in_order() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert!(planned_dates(d("2021-06-01"), d("2021-06-01")).is_ok());
        assert!(planned_dates(d("2021-06-02"), d("2021-06-01")).is_err());
    }
}
