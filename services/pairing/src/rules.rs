//! The pairing rules, decided without I/O: who arranges, who acts for the province, what
//! a caller may do with a pairing, which helpers and units qualify. The service asks
//! them at the edge and hands the store the checked values ([`ArrangingOffice`],
//! [`Province`]); the store holds only what must hold under concurrency (one-to-one, the
//! open list, plan versions), in SQL.
//!
//! Which pairings a caller reads is one rule in SQL ([`push_reads`]), used by every read.
//!
//! The gateway's policy lets only city and county offices call CreatePairing and
//! ReportPairingList, and only the province GrantPairingException and
//! ReopenPairingList. These rules check the same again, on purpose: a call that reaches
//! the service without the gateway (a misrouted internal call) must meet the same rule,
//! and the levels inside "an office" are the service's to know.

use wenming_authz::{Role, RowScope, Scope};
use wenming_clients::{HelperFacts, UnitFacts};
use wenming_domain::{
    AdminLevel, Deadline, Divisions, HelperKind, OfficeKey, PROVINCIAL_DIRECT, PairingState,
    RegionCode, TitleTier,
};
use wenming_runtime::catalogue::common;
use wenming_runtime::sql::Sql;

use crate::error::{PairingError, Result};
use crate::messages as msg;
use crate::store::{PairingRecord, Transition};

/// An office that arranges pairings and keeps a pairing list: a city or county office,
/// or the provincial-direct office. Only [`arranging_office`] makes one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArrangingOffice {
    key: OfficeKey,
    city: Option<RegionCode>,
}

impl ArrangingOffice {
    /// Which office.
    pub fn key(self) -> OfficeKey {
        self.key
    }

    /// Its city (itself for a city office; none for the provincial-direct office).
    pub fn city(self) -> Option<RegionCode> {
        self.city
    }

    /// What the rows it arranges store as the office's city: the city's code, or
    /// `provincial-direct`, which no city office matches.
    pub fn city_column(self) -> String {
        self.city
            .map_or_else(|| PROVINCIAL_DIRECT.to_owned(), |city| city.to_string())
    }

    /// Whether it is the provincial-direct office.
    pub fn is_provincial_direct(self) -> bool {
        self.key == OfficeKey::ProvincialDirect
    }
}

/// The stored city column of a list kept by `office` (see [`ArrangingOffice::city_column`]).
pub fn office_city(divisions: &Divisions, office: OfficeKey) -> String {
    match office {
        OfficeKey::Region(region) => divisions
            .city_of(region)
            .map(|c| c.to_string())
            .unwrap_or_default(),
        OfficeKey::ProvincialDirect => PROVINCIAL_DIRECT.to_owned(),
    }
}

/// The provincial office: only [`province`] makes one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Province(());

/// The caller as an arranging office, or the refusal.
pub fn arranging_office(scope: &Scope, divisions: &Divisions) -> Result<ArrangingOffice> {
    match (scope.office(), scope.is_provincial_direct()) {
        (Some((AdminLevel::City | AdminLevel::County, region)), _) => Ok(ArrangingOffice {
            key: OfficeKey::Region(region),
            city: Some(divisions.city_of(region).unwrap_or(region)),
        }),
        (None, true) => Ok(ArrangingOffice {
            key: OfficeKey::ProvincialDirect,
            city: None,
        }),
        _ => Err(PairingError::denied(
            &msg::ARRANGE,
            "only city and county offices and the provincial-direct office arrange pairings; \
             the province grants exceptions",
        )),
    }
}

/// The caller as the provincial office doing `what` (refused by `rule` otherwise).
pub fn province(
    scope: &Scope,
    rule: &'static wenming_runtime::catalogue::Rule,
    what: &'static str,
) -> Result<Province> {
    match scope.office() {
        Some((AdminLevel::Province, _)) => Ok(Province(())),
        _ => Err(PairingError::denied(rule, what)),
    }
}

/// The caller's office, for reading pairing lists.
pub fn list_reader(scope: &Scope) -> Result<OfficeKey> {
    scope.office_key().ok_or(PairingError::denied(
        &msg::READ_LISTS,
        "only civilisation offices read pairing lists",
    ))
}

/// Whether the caller reads the pairing list of `office`: that office and the offices
/// above it (the province above the provincial-direct office).
pub fn reads_list_of(scope: &Scope, divisions: &Divisions, office: OfficeKey) -> Result<bool> {
    let reader = list_reader(scope)?;
    Ok(match office {
        OfficeKey::Region(region) => scope.office_contains(divisions, region),
        OfficeKey::ProvincialDirect => {
            reader == OfficeKey::ProvincialDirect
                || reader == OfficeKey::Region(divisions.province())
        }
    })
}

/// The caller as the office reporting the list `list` of `office`: only that office
/// reports it (offices above are refused; others do not see it).
pub fn list_reporter(
    scope: &Scope,
    divisions: &Divisions,
    office: OfficeKey,
    list: &str,
) -> Result<ArrangingOffice> {
    let Some(own) = scope.office_key() else {
        return Err(PairingError::denied(
            &msg::REPORT_LISTS,
            "only the offices that keep pairing lists report them",
        ));
    };
    if own == office
        && let Ok(arranging) = arranging_office(scope, divisions)
    {
        return Ok(arranging);
    }
    Err(if reads_list_of(scope, divisions, office)? {
        PairingError::denied(
            &msg::REPORT_OWN_LIST,
            "a pairing list is reported by its own office",
        )
    } else {
        PairingError::not_found(&msg::PAIRING_LIST, list)
    })
}

/// The resource name of an office as a helper: "offices/{region_code}".
pub fn office_name(region: RegionCode) -> String {
    format!("offices/{region}")
}

/// What the caller may do with a pairing it reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Access {
    /// Confirm, conclude or dissolve it: the arranging office or an office above.
    pub arrange: bool,
    /// Write its plan, ledger, activities and brand: the helper or the unit.
    pub work: bool,
    /// Accept it (proposed → active): the helper (unit or office).
    pub accept: bool,
}

/// The caller's rights on `pairing`.
pub fn access(scope: &Scope, divisions: &Divisions, pairing: &PairingRecord) -> Access {
    match &scope.principal().role {
        Role::Office { region, .. } => {
            let arrange = RegionCode::parse(&pairing.office_region)
                .is_ok_and(|office| scope.office_contains(divisions, office));
            let work = pairing.helper == office_name(*region);
            Access {
                arrange,
                work,
                // A helper office accepts a pairing arranged above it.
                accept: work,
            }
        }
        Role::ProvincialDirect => Access {
            arrange: pairing.office_region == PROVINCIAL_DIRECT,
            work: false,
            accept: false,
        },
        Role::Unit { unit } => {
            let unit = unit.to_string();
            let helper = pairing.helper_unit_id.as_deref() == Some(unit.as_str());
            Access {
                arrange: false,
                work: helper || pairing.unit_id == unit,
                accept: helper,
            }
        }
        Role::Platform { .. } => Access::default(),
    }
}

/// Appends ` AND (…)` restricting pairings to those `scope` reads: an office reads the
/// pairings of units in its region, those arranged in its region and those it helps in;
/// a unit's users read the pairings their unit is helped in or helps; platforms none.
pub fn push_reads(sql: &mut Sql, scope: &Scope) {
    match scope.rows() {
        RowScope::Everything => {}
        RowScope::City(city) => {
            sql.push(" AND (unit_city = ")
                .bind(city.to_string())
                .push(" OR office_city = ")
                .bind(city.to_string())
                .push(" OR helper = ")
                .bind(office_name(city))
                .push(")");
        }
        RowScope::County(county) => {
            sql.push(" AND (unit_region = ")
                .bind(county.to_string())
                .push(" OR office_region = ")
                .bind(county.to_string())
                .push(" OR helper = ")
                .bind(office_name(county))
                .push(")");
        }
        RowScope::ProvincialDirect => {
            sql.push(" AND (unit_provincial_direct = 1 OR office_region = ")
                .bind(PROVINCIAL_DIRECT.to_owned())
                .push(")");
        }
        RowScope::Unit(unit) => {
            sql.push(" AND (unit_id = ")
                .bind(unit.to_string())
                .push(" OR helper_unit_id = ")
                .bind(unit.to_string())
                .push(")");
        }
        RowScope::Nothing => {
            sql.push(" AND 1 = 0");
        }
    }
}

/// Whether the caller may make `step` on a pairing it has `access` to.
pub fn may_step(access: Access, step: Transition) -> Result<()> {
    if access.arrange || (step == Transition::Activate && access.accept) {
        return Ok(());
    }
    Err(match step {
        Transition::Activate => PairingError::denied(
            &msg::CONFIRM,
            "only the arranging office, an office above it or the helper confirms a pairing",
        ),
        _ => PairingError::denied(
            &msg::END,
            "only the arranging office or an office above it ends a pairing",
        ),
    })
}

/// Whether the caller may write the work of a pairing in `state`.
pub fn may_work(access: Access, name: &str, state: PairingState) -> Result<()> {
    if !access.work {
        return Err(PairingError::denied(
            &msg::WORK,
            "only the helper and the unit write to a pairing; offices above read it",
        ));
    }
    if !state.accepts_work() {
        return Err(PairingError::precondition(
            &msg::CLOSED,
            name,
            format!("the pairing is {state}: its work can no longer change"),
        ));
    }
    Ok(())
}

/// Ledger entries record the work of an active pairing only.
pub fn ledger_open(name: &str, state: PairingState) -> Result<()> {
    if state == PairingState::Active {
        return Ok(());
    }
    Err(PairingError::precondition(
        &msg::NOT_ACTIVE,
        name,
        "ledger entries record the work of an active pairing; confirm it first",
    ))
}

/// Whether a list reported at `now` is late for `deadline` (a `YYYY-MM-DD` day, which
/// ends at midnight China Standard Time); a list without a deadline is never late.
pub fn is_late(deadline: Option<&str>, now: jiff::Timestamp) -> bool {
    deadline
        .and_then(|d| d.parse().ok())
        .is_some_and(|date| !Deadline::new(date).is_open_at(now))
}

/// An office helper: an office at the level its kind names, inside the arranging
/// office's region (NOT_FOUND otherwise, as for anything out of scope). Returns its
/// name and display name.
pub fn office_helper(
    scope: &Scope,
    divisions: &Divisions,
    kind: HelperKind,
    field: &str,
    name: &str,
    region: RegionCode,
) -> Result<(String, String)> {
    let level = match kind {
        HelperKind::CityOffice => AdminLevel::City,
        _ => AdminLevel::County,
    };
    let division = divisions
        .get(region)
        .filter(|d| d.level == level)
        .ok_or_else(|| {
            PairingError::invalid(
                field,
                &msg::HELPER_LEVEL,
                format!("{name} is not a {} office", level.as_str()),
            )
            .arg("value", name)
            .arg(
                "level",
                if level == AdminLevel::City {
                    "市级"
                } else {
                    "县级"
                },
            )
        })?;
    if !scope.office_contains(divisions, region) {
        return Err(PairingError::not_found(&msg::OFFICE, name));
    }
    Ok((office_name(region), division.name.clone()))
}

/// A unit helper, registered anywhere in Henan: registered, and holding its kind's
/// title (`tier`) on `today`.
pub fn unit_helper(
    helper: &HelperFacts,
    kind: HelperKind,
    tier: TitleTier,
    today: jiff::civil::Date,
) -> Result<()> {
    if !helper.registered {
        return Err(PairingError::precondition(
            &msg::HELPER_DEREGISTERED,
            &helper.name,
            "the helper unit is deregistered",
        )
        .arg("helper", &helper.display_name));
    }
    if !helper.helper_tiers.contains(&tier) {
        return Err(PairingError::precondition(
            &msg::HELPER_TITLE,
            &helper.name,
            format!(
                "a {} helper must hold a valid {} title today ({today}); {} does not",
                kind.as_str(),
                tier.as_str(),
                helper.display_name
            ),
        )
        .arg("helper", &helper.display_name)
        .arg("today", today)
        .arg("tier", tier.label_zh()));
    }
    Ok(())
}

/// The unit helped: not the helper itself, non-public, registered, and the arranging
/// office's to pair (a provincial-direct unit the provincial-direct office's, any other
/// the city or county office of its region's).
pub fn helped_unit(
    office: ArrangingOffice,
    unit: &UnitFacts,
    helper_unit_id: Option<&str>,
    unit_id: &str,
) -> Result<()> {
    if unit.provincial_direct != office.is_provincial_direct() {
        return Err(PairingError::precondition(
            &msg::UNIT_OFFICE,
            &unit.name,
            if unit.provincial_direct {
                "a provincial-direct unit is paired by the provincial-direct office"
            } else {
                "the provincial-direct office pairs provincial-direct units only"
            },
        )
        .arg("unit", &unit.display_name));
    }
    if helper_unit_id == Some(unit_id) {
        return Err(PairingError::invalid(
            "pairing.helper.name",
            &msg::SELF,
            "a unit cannot help itself",
        ));
    }
    if !unit.kind.is_some_and(|k| k.is_non_public()) {
        return Err(PairingError::precondition(
            &msg::UNIT_NOT_NON_PUBLIC,
            &unit.name,
            format!("{} is not a non-public unit", unit.display_name),
        )
        .arg("unit", &unit.display_name));
    }
    if !unit.active {
        return Err(PairingError::precondition(
            &msg::UNIT_DEREGISTERED,
            &unit.name,
            "the unit is deregistered",
        ));
    }
    Ok(())
}

/// A date that must not lie after `today`.
pub fn not_future(field: &str, day: jiff::civil::Date, today: jiff::civil::Date) -> Result<()> {
    if day > today {
        return Err(PairingError::invalid(
            field,
            &msg::NOT_IN_FUTURE,
            format!("{day} is after today ({today}, China Standard Time)"),
        )
        .arg("today", today));
    }
    Ok(())
}

/// At most `max` items in `field`.
pub fn at_most(field: &str, len: usize, max: usize) -> Result<()> {
    if len > max {
        return Err(PairingError::invalid(
            field,
            &common::TOO_MANY,
            format!("at most {max} allowed, {len} given"),
        )
        .arg("max", max)
        .arg("found", len));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;
    use wenming_authz::Principal;
    use wenming_domain::{UnitId, UnitKind};

    use super::*;

    fn scope(principal: Principal) -> Scope {
        let key = wenming_authz::IdentityKey::generate();
        let token = wenming_authz::IdentitySigner::new(&key).sign(&principal);
        wenming_authz::IdentityVerifier::new(&key)
            .verify(&token)
            .expect("signed just now")
    }

    fn office(level: AdminLevel, code: &str) -> Scope {
        scope(Principal::office(
            "s",
            level,
            RegionCode::parse(code).unwrap(),
        ))
    }

    fn pairing(office: &str, helper: &str, helper_unit: Option<&str>, unit: &str) -> PairingRecord {
        PairingRecord {
            id: "p".into(),
            campaign_id: "c".into(),
            office_region: office.into(),
            office_city: "410400".into(),
            helper_kind: "city_office".into(),
            helper: helper.into(),
            helper_unit_id: helper_unit.map(str::to_owned),
            helper_display_name: String::new(),
            unit_id: unit.into(),
            unit_display_name: String::new(),
            unit_region: "410421".into(),
            unit_city: "410400".into(),
            state: "proposed".into(),
            helper_slot: None,
            unit_slot: None,
            exception_id: None,
            brand_name: None,
            brand_description: None,
            version: 1,
            created_by: String::new(),
            created_at: 0,
            updated_at: 0,
            target_tier: None,
            unit_provincial_direct: 0,
        }
    }

    fn facts(kind: UnitKind, active: bool) -> UnitFacts {
        UnitFacts {
            name: "units/x".into(),
            display_name: "某单位".into(),
            credit_code: String::new(),
            kind: Some(kind),
            region_code: "410421".into(),
            city_code: "410400".into(),
            active,
            provincial_direct: false,
            base_level: false,
        }
    }

    #[test]
    fn only_city_and_county_offices_arrange() {
        let d = Divisions::henan();
        let county = arranging_office(&office(AdminLevel::County, "410421"), d).unwrap();
        assert_eq!(
            county.city().map(|c| c.to_string()).as_deref(),
            Some("410400")
        );
        let direct = arranging_office(&scope(Principal::provincial_direct("d")), d).unwrap();
        assert!(direct.is_provincial_direct());
        assert_eq!(direct.city_column(), PROVINCIAL_DIRECT);
        assert!(arranging_office(&office(AdminLevel::City, "410400"), d).is_ok());
        assert!(arranging_office(&office(AdminLevel::Province, "410000"), d).is_err());
        let unit = scope(Principal::unit("u", UnitId::new()));
        assert!(arranging_office(&unit, d).is_err());
        assert!(
            province(
                &office(AdminLevel::Province, "410000"),
                &msg::REOPEN_LISTS,
                "x"
            )
            .is_ok()
        );
        assert!(province(&office(AdminLevel::City, "410400"), &msg::REOPEN_LISTS, "x").is_err());
    }

    #[test]
    fn offices_above_arrange_helpers_work_and_accept() {
        let d = Divisions::henan();
        let p = pairing("410421", "offices/410421", None, "u1");
        let city = access(&office(AdminLevel::City, "410400"), d, &p);
        assert_eq!((city.arrange, city.work, city.accept), (true, false, false));
        let county = access(&office(AdminLevel::County, "410421"), d, &p);
        assert_eq!(
            (county.arrange, county.work, county.accept),
            (true, true, true)
        );
        let other = access(&office(AdminLevel::County, "410422"), d, &p);
        assert_eq!(other, Access::default());

        let helper = UnitId::new().to_string();
        let p = pairing("410400", &format!("units/{helper}"), Some(&helper), "u1");
        let helper_user = access(
            &scope(Principal::unit("h", UnitId::parse(&helper).unwrap())),
            d,
            &p,
        );
        assert_eq!(
            (helper_user.arrange, helper_user.work, helper_user.accept),
            (false, true, true)
        );
        assert!(may_step(helper_user, Transition::Activate).is_ok());
        assert!(may_step(helper_user, Transition::Conclude).is_err());
        assert!(may_work(helper_user, "pairings/p", PairingState::Active).is_ok());
        assert!(may_work(helper_user, "pairings/p", PairingState::Concluded).is_err());
        assert!(may_work(city, "pairings/p", PairingState::Active).is_err());
    }

    #[test]
    fn ledgers_need_an_active_pairing_and_late_is_after_the_day() {
        assert!(ledger_open("p", PairingState::Active).is_ok());
        assert!(ledger_open("p", PairingState::Proposed).is_err());
        let last_minute: jiff::Timestamp = "2021-05-01T15:59:59Z".parse().unwrap();
        let next_day: jiff::Timestamp = "2021-05-01T16:00:00Z".parse().unwrap();
        assert!(!is_late(Some("2021-05-01"), last_minute));
        assert!(is_late(Some("2021-05-01"), next_day));
        assert!(!is_late(None, next_day));
    }

    #[test]
    fn helpers_and_units_qualify_as_the_notice_says() {
        let d = Divisions::henan();
        let city = office(AdminLevel::City, "410400");
        let baofeng = RegionCode::parse("410421").unwrap();
        assert!(
            office_helper(
                &city,
                d,
                HelperKind::CountyOffice,
                "f",
                "offices/410421",
                baofeng
            )
            .is_ok()
        );
        // A county named as a city office helper is refused on the field.
        let err = office_helper(
            &city,
            d,
            HelperKind::CityOffice,
            "f",
            "offices/410421",
            baofeng,
        )
        .unwrap_err();
        assert!(matches!(err, PairingError::Invalid(_)));
        // Another city's county is out of scope.
        let zhengzhou_county = RegionCode::parse("410102").unwrap();
        let err = office_helper(
            &city,
            d,
            HelperKind::CountyOffice,
            "f",
            "offices/410102",
            zhengzhou_county,
        )
        .unwrap_err();
        assert!(matches!(err, PairingError::NotFound { .. }));

        let today = date(2021, 4, 15);
        let tier = TitleTier::National;
        let kind = HelperKind::NationalCivilisedUnit;
        let helper = |registered, tiers: &[TitleTier]| HelperFacts {
            name: "units/h".into(),
            display_name: "平顶山市第一人民医院".into(),
            registered,
            helper_tiers: tiers.to_vec(),
        };
        assert!(unit_helper(&helper(true, &[tier]), kind, tier, today).is_ok());
        assert!(unit_helper(&helper(true, &[]), kind, tier, today).is_err());
        let model = [TitleTier::ProvincialModel];
        assert!(unit_helper(&helper(true, &model), kind, tier, today).is_err());
        assert!(unit_helper(&helper(false, &[tier]), kind, tier, today).is_err());

        let county = arranging_office(&office(AdminLevel::County, "410421"), d).unwrap();
        let direct = arranging_office(&scope(Principal::provincial_direct("d")), d).unwrap();
        let company = facts(UnitKind::PrivateEnterprise, true);
        assert!(helped_unit(county, &company, None, "x").is_ok());
        assert!(helped_unit(county, &company, Some("x"), "x").is_err());
        assert!(helped_unit(county, &facts(UnitKind::PublicInstitution, true), None, "x").is_err());
        assert!(
            helped_unit(
                county,
                &facts(UnitKind::PrivateEnterprise, false),
                None,
                "x"
            )
            .is_err()
        );
        // A provincial-direct unit is the provincial-direct office's to pair, and only it.
        let provincial = UnitFacts {
            provincial_direct: true,
            ..company.clone()
        };
        assert!(helped_unit(direct, &provincial, None, "x").is_ok());
        assert!(helped_unit(county, &provincial, None, "x").is_err());
        assert!(helped_unit(direct, &company, None, "x").is_err());
    }
}
