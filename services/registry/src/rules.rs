//! The registry's rules, decided without I/O: who registers, nominates, decides and
//! awards; the nomination window and batch; an award over a current title. The store
//! asks them with the rows it read and keeps in SQL only what must hold under
//! concurrency (unique codes, the batch counter, one current title per tier).
//!
//! "A title is held on a day" is one rule written twice, side by side here: in Rust
//! (`TitleValidity::is_valid_on`, used on rows in hand by VerifyTitle and pairing's
//! helper check) and as SQL ([`push_held_on`], used by ListUnits' title filter).
//! `tests/integration/rules_agree.rs` checks on generated rows that the two agree on both databases.
//!
//! The gateway's policy already keeps platforms and unit users away from most of these
//! calls; the service checks who the caller is again because a call that reaches it
//! without the gateway must meet the same rule, and the levels within "an office" (a
//! county nominates, a city awards city titles) are the service's to decide.

use jiff::Timestamp;
use jiff::civil::Date;
use wenming_authz::{PlatformAction, Scope};
use wenming_domain::{
    AdminLevel, ApplicationState, BatchRule, BatchRuleError, CampaignDeadline, Deadline, Divisions,
    HelperKind, OfficeKey, RegionCode, TitleState, TitleTier, TitleValidity, UnitKind,
};
use wenming_runtime::catalogue::{Rule, tier_violation};
use wenming_runtime::sql::Sql;

use crate::error::{RegistryError, Result};
use crate::messages as msg;
use crate::store::{ApplicationRecord, CampaignRecord, HeldTitle, NewUnit, UnitRecord};
use crate::title_terms::TitleTerms;

/// Whether a title with `validity` is held on `day` (the Rust form of the rule).
pub fn held_on(validity: &TitleValidity, day: Date) -> bool {
    validity.is_valid_on(day)
}

/// The same rule as SQL: ` AND …` on the title columns of `alias` (dates are
/// `YYYY-MM-DD` text, which sorts as the dates do).
pub fn push_held_on(sql: &mut Sql, alias: &str, day: Date) {
    let day = day.to_string();
    sql.push(&format!(" AND {alias}.awarded_on <= "))
        .bind(day.clone())
        .push(&format!(
            " AND ({alias}.valid_until IS NULL OR {alias}.valid_until > "
        ))
        .bind(day.clone())
        .push(&format!(
            ") AND ({alias}.revoked_on IS NULL OR {alias}.revoked_on > "
        ))
        .bind(day)
        .push(")");
}

/// Whether a unit is registered on `day`, and so can hold titles on it: it still is, or
/// it was deregistered after `day`. A unit deregistered before the day was recorded
/// (`deregistered_on` empty) counts as deregistered on every day: a platform must not be
/// told it held a title when the registry cannot say. (Another rule written twice:
/// [`push_registered_on`] is its SQL.)
pub fn registered_on(active: bool, deregistered_on: Option<Date>, day: Date) -> bool {
    active || deregistered_on.is_some_and(|left| day < left)
}

/// The same rule as SQL: ` AND …` on the unit columns of `alias`.
pub fn push_registered_on(sql: &mut Sql, alias: &str, day: Date) {
    sql.push(&format!(
        " AND ({alias}.state = 'active' OR {alias}.deregistered_on > "
    ))
    .bind(day.to_string())
    .push(")");
}

/// The first day a title awarded on `awarded_on` is no longer held: the award's own end
/// if it names one, else the tier's term from `terms` (every title has a term).
pub fn title_valid_until(
    tier: TitleTier,
    awarded_on: Date,
    given: Option<Date>,
    terms: &TitleTerms,
) -> Date {
    given.unwrap_or_else(|| {
        awarded_on.saturating_add(jiff::Span::new().years(i64::from(terms.years(tier))))
    })
}

/// The helper titles (national, provincial model: the ones a helper kind names) held on
/// `day` by a unit whose `titles` these are, highest first; none if it was not
/// registered on the day.
pub fn helper_tiers(titles: &[HeldTitle], registered: bool, day: Date) -> Vec<TitleTier> {
    if !registered {
        return Vec::new();
    }
    let mut tiers: Vec<TitleTier> = titles
        .iter()
        .filter(|t| {
            HelperKind::ALL
                .iter()
                .any(|k| k.required_title() == Some(t.tier))
        })
        .filter(|t| held_on(&t.validity, day))
        .map(|t| t.tier)
        .collect();
    tiers.sort_by_key(|t| std::cmp::Reverse(*t));
    tiers.dedup();
    tiers
}

/// The office that awarded (or, for national titles, recorded) a title of `tier` held
/// by a unit under `title_city`: that city's office for city titles, else the province.
pub fn awarding_region(
    tier: TitleTier,
    title_city: RegionCode,
    divisions: &Divisions,
) -> RegionCode {
    match tier.awarding_level() {
        AdminLevel::City => title_city,
        _ => divisions.province(),
    }
}

/// A unit that must still be registered for `what` (the English sentence).
pub fn registered(unit: &UnitRecord, what: &'static str) -> Result<()> {
    if unit.is_active() {
        return Ok(());
    }
    Err(
        RegistryError::precondition(&msg::UNIT_ACTIVE, unit.name(), what)
            .arg("unit", &unit.display_name),
    )
}

/// Only non-public units for `what` (nominated as cultivation targets, in the pool).
pub fn non_public(unit: &UnitRecord, what: &'static str) -> Result<()> {
    if unit.unit_kind().is_some_and(UnitKind::is_non_public) {
        return Ok(());
    }
    Err(
        RegistryError::precondition(&msg::UNIT_NON_PUBLIC, unit.name(), what)
            .arg("unit", &unit.display_name),
    )
}

/// A unit enters the reserve pool only when out of it, and leaves only when in it.
pub fn pool_change(unit: &UnitRecord, entering: bool) -> Result<()> {
    match (entering, unit.pool_reason.is_some()) {
        (true, false) | (false, true) => Ok(()),
        (true, true) => Err(RegistryError::precondition(
            &msg::RESERVE_POOL_ABSENT,
            unit.name(),
            "the unit is already in the reserve pool",
        )
        .arg("unit", &unit.display_name)),
        (false, false) => Err(RegistryError::precondition(
            &msg::RESERVE_POOL_PRESENT,
            unit.name(),
            "the unit is not in the reserve pool",
        )
        .arg("unit", &unit.display_name)),
    }
}

/// Each unit of a submission once (`units[i]` names the repeat).
pub fn distinct(ids: &[String]) -> Result<()> {
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            return Err(RegistryError::invalid(
                format!("units[{i}]"),
                &msg::DISTINCT,
                "the same unit is listed twice",
            ));
        }
    }
    Ok(())
}

/// A region a unit the caller registers (or moves) may be in: a county-level region
/// (or 济源) inside the caller's office.
pub fn unit_region(
    scope: &Scope,
    divisions: &Divisions,
    field: &str,
    region: RegionCode,
) -> Result<()> {
    if !divisions.is_unit_region(region) {
        return Err(RegistryError::invalid(
            field,
            &msg::UNIT_REGION,
            format!("{region} is not a county-level region a unit can belong to"),
        )
        .arg("value", region));
    }
    // The provincial-direct office's units are wherever in Henan they are.
    if !scope.is_provincial_direct() && !scope.office_contains(divisions, region) {
        return Err(RegistryError::invalid(
            field,
            &msg::OUT_OF_SCOPE,
            format!("{region} is outside the region of your office"),
        )
        .arg("value", region));
    }
    Ok(())
}

/// Whether a unit the caller registers is provincial-direct, given the mark it asked
/// for: every unit the provincial-direct office registers is; the province marks any;
/// a city or county office does not (refused on `field`).
pub fn provincial_direct_on_register(scope: &Scope, field: &str, requested: bool) -> Result<bool> {
    if scope.is_provincial_direct() {
        return Ok(true);
    }
    if requested {
        marks_provincial_direct(scope, field)?;
    }
    Ok(requested)
}

/// Only the province marks (or unmarks) a unit provincial-direct.
pub fn marks_provincial_direct(scope: &Scope, field: &str) -> Result<()> {
    match scope.office() {
        Some((AdminLevel::Province, _)) => Ok(()),
        _ => Err(RegistryError::invalid(
            field,
            &msg::PROVINCIAL_DIRECT_MARK,
            "only the provincial office marks a unit provincial-direct",
        )),
    }
}

/// Who keeps (changes, deregisters, pools) a unit: a city or county office reads the
/// provincial-direct units of its region but keeps only the others; the
/// provincial-direct office and the province keep them.
pub fn keeps_unit(scope: &Scope, unit: &UnitRecord) -> Result<()> {
    let regional = matches!(
        scope.office(),
        Some((AdminLevel::City | AdminLevel::County, _))
    );
    if unit.is_provincial_direct() && regional {
        return Err(RegistryError::denied(
            &msg::KEPT_BY_PROVINCIAL_DIRECT,
            "a provincial-direct unit is kept by the provincial-direct office",
        ));
    }
    Ok(())
}

/// A revocation on `day` of a title in `state` awarded on `awarded_on`: only a current
/// title, and not from a day before its award.
pub fn revocation(state: TitleState, title: &str, awarded_on: Date, day: Date) -> Result<()> {
    if state != TitleState::Current {
        return Err(RegistryError::precondition(
            &msg::TITLE_CURRENT,
            title,
            format!("the title is {}, not current", state.as_str()),
        )
        .arg("state", state.label_zh()));
    }
    if day < awarded_on {
        return Err(RegistryError::invalid(
            "revoked_on",
            &msg::AFTER_AWARD,
            format!("the title was awarded on {awarded_on}"),
        ));
    }
    Ok(())
}

/// The caller as an office (of a region, or the provincial-direct office), for what
/// only offices do (`rule` and `what` say what).
pub fn office(scope: &Scope, rule: &'static Rule, what: &'static str) -> Result<OfficeKey> {
    scope.office_key().ok_or(RegistryError::denied(rule, what))
}

/// The provincial campaign `parent` a new campaign of `organiser` names: only a city's
/// campaign belongs to one, it must be the province's, and the new campaign takes the
/// province's pairing-list deadline instead of setting its own (`own_deadline`).
pub fn campaign_parent(
    organiser: RegionCode,
    parent: &CampaignRecord,
    own_deadline: Option<Date>,
    divisions: &Divisions,
) -> Result<()> {
    let field = "campaign.parent_campaign";
    if divisions.get(organiser).map(|d| d.level) != Some(AdminLevel::City) {
        return Err(RegistryError::invalid(
            field,
            &msg::PARENT_FOR_CITIES,
            "only a city office's campaign belongs to a provincial campaign",
        ));
    }
    if parent.organising_region != divisions.province().to_string() {
        return Err(RegistryError::invalid(
            field,
            &msg::PARENT_PROVINCIAL,
            "must be a campaign organised by the provincial office",
        ));
    }
    if own_deadline.is_some() {
        return Err(RegistryError::invalid(
            "campaign.pairing_list_deadline",
            &msg::PAIRING_DEADLINE_INHERITED,
            "a campaign that belongs to a provincial one takes its pairing-list deadline: leave it empty",
        ));
    }
    Ok(())
}

/// Whether the caller may move `which` deadline of `campaign` to `moved_to`: the
/// organising office may, to today or later; a pairing-list deadline that comes from a
/// provincial campaign is moved there.
pub fn deadline_move(
    scope: &Scope,
    campaign: &CampaignRecord,
    which: CampaignDeadline,
    moved_to: Date,
    today: Date,
) -> Result<()> {
    let organiser = matches!(
        scope.office(),
        Some((AdminLevel::City | AdminLevel::Province, region))
            if region.to_string() == campaign.organising_region
    );
    if !organiser {
        return Err(RegistryError::denied(
            &msg::MOVE_DEADLINE_ORGANISER,
            "only the organising office moves a campaign's deadlines",
        ));
    }
    if which == CampaignDeadline::PairingList
        && let Some(parent) = &campaign.parent_id
    {
        return Err(RegistryError::precondition(
            &msg::PAIRING_DEADLINE_PROVINCES,
            campaign.name(),
            format!(
                "the pairing-list deadline is the provincial campaign's: move it on campaigns/{parent}"
            ),
        )
        .arg("parent", format!("campaigns/{parent}")));
    }
    if moved_to < today {
        return Err(RegistryError::invalid(
            "moved_to",
            &msg::DEADLINE_IN_PAST,
            format!("must be today ({today}) or later"),
        )
        .arg("today", today));
    }
    Ok(())
}

/// The platform submitting an application on a unit's behalf (granted
/// `submit_application`), by name.
pub fn application_platform(scope: &Scope) -> Result<String> {
    scope
        .platform_granted(PlatformAction::SubmitApplication)
        .map(str::to_owned)
        .ok_or(RegistryError::denied(
            &msg::PLATFORMS_SUBMIT,
            "only platforms granted submit_application submit applications",
        ))
}

/// What an application may be for: a non-public unit, not marked provincial-direct
/// (only the province marks that).
pub fn application_unit(scope: &Scope, unit: &NewUnit) -> Result<()> {
    if !unit.fields.kind.is_non_public() {
        return Err(RegistryError::invalid(
            "application.unit.kind",
            &msg::APPLICATION_NON_PUBLIC,
            "the application channel is for non-public units",
        ));
    }
    if unit.fields.provincial_direct {
        marks_provincial_direct(scope, "application.unit.provincial_direct")?;
    }
    Ok(())
}

/// Who decides an application: the office of the unit's region itself (its county
/// office; 济源's office for 济源, which has no counties). Offices above read it.
pub fn decides_application(scope: &Scope, application: &ApplicationRecord) -> Result<()> {
    let state = application.application_state()?;
    if !matches!(scope.office(), Some((_, region)) if region.to_string() == application.region_code)
    {
        return Err(RegistryError::denied(
            &msg::DECIDES_APPLICATIONS,
            "an application is decided by the office of the unit's region",
        ));
    }
    if state != ApplicationState::Pending {
        return Err(RegistryError::precondition(
            &msg::APPLICATION_DECIDED,
            application.name(),
            format!("the application is already {state}"),
        )
        .arg("state", state.label_zh()));
    }
    Ok(())
}

/// The caller as an office that organises campaigns: a city or the province.
pub fn organising_office(scope: &Scope) -> Result<RegionCode> {
    match scope.office() {
        Some((AdminLevel::Province | AdminLevel::City, region)) => Ok(region),
        _ => Err(RegistryError::denied(
            &msg::ORGANISE_CAMPAIGNS,
            "only city and provincial offices organise campaigns",
        )),
    }
}

/// An office nominating, with the office that organises the campaigns it nominates for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nominating {
    /// A county office, or the provincial-direct office.
    pub office: OfficeKey,
    /// The county's city; the province for the provincial-direct office.
    pub organiser: RegionCode,
}

impl Nominating {
    /// Whether the provincial-direct office nominates.
    pub fn is_provincial_direct(self) -> bool {
        self.office == OfficeKey::ProvincialDirect
    }
}

/// The caller as a nominating office: a county office (to its city), or the
/// provincial-direct office (to the province), as the notice has counties report to
/// the city and the provincial-direct office report like a city.
pub fn nominating_office(scope: &Scope, divisions: &Divisions) -> Result<Nominating> {
    match (scope.office(), scope.is_provincial_direct()) {
        (Some((AdminLevel::County, county)), _) => Ok(Nominating {
            office: OfficeKey::Region(county),
            organiser: divisions.city_of(county).unwrap_or(county),
        }),
        (None, true) => Ok(Nominating {
            office: OfficeKey::ProvincialDirect,
            organiser: divisions.province(),
        }),
        _ => Err(RegistryError::denied(
            &msg::COUNTIES_NOMINATE,
            "only county offices and the provincial-direct office submit nominations",
        )),
    }
}

/// A unit the office nominates: provincial-direct units only by the provincial-direct
/// office (a county sees those in its county, but does not nominate them).
pub fn nominee(nominating: Nominating, unit: &UnitRecord) -> Result<()> {
    if unit.is_provincial_direct() && !nominating.is_provincial_direct() {
        return Err(RegistryError::precondition(
            &msg::UNIT_PROVINCIAL_DIRECT,
            unit.name(),
            "a provincial-direct unit is nominated by the provincial-direct office",
        )
        .arg("unit", &unit.display_name));
    }
    Ok(())
}

/// An office nominates for its organiser's campaign (`campaign` names it), before the
/// end of the deadline day in China.
pub fn nomination_window(
    nominating: Nominating,
    campaign: &str,
    organiser: RegionCode,
    deadline: Deadline,
    now: Timestamp,
) -> Result<()> {
    let city = nominating.organiser;
    if organiser != city {
        return Err(RegistryError::precondition(
            &msg::NOMINATION_ORGANISER,
            campaign,
            format!("the campaign is organised by {organiser}, not by {city}, whom you report to"),
        )
        .arg("organiser", organiser)
        .arg("city", city));
    }
    if !deadline.is_open_at(now) {
        return Err(RegistryError::precondition(
            &msg::NOMINATION_DEADLINE,
            campaign,
            format!("nominations closed at the end of {}", deadline.date),
        )
        .arg("deadline", deadline.date));
    }
    Ok(())
}

/// The tier a submission cultivates its units for (`TitleTier::choose`), refused on
/// `target_tier`.
pub fn nomination_tier(
    requested: Option<TitleTier>,
    campaign_tiers: &[TitleTier],
) -> Result<TitleTier> {
    TitleTier::choose(requested, campaign_tiers)
        .map_err(|err| tier_violation("target_tier", &err).into())
}

/// The county's active nominations after a submission (`active_after`) against the
/// campaign's batch rule; `active_now` is reported to the caller.
pub fn batch(rule: BatchRule, campaign: &str, active_now: i64, active_after: i64) -> Result<()> {
    let Err(err) = rule.check(u32::try_from(active_after).unwrap_or(u32::MAX)) else {
        return Ok(());
    };
    let (rule_broken, limit) = match err {
        BatchRuleError::TooFew { min, .. } => (&msg::NOMINATION_BATCH_MIN, ("min", min)),
        BatchRuleError::TooMany { max, .. } => (&msg::NOMINATION_BATCH_MAX, ("max", max)),
    };
    Err(RegistryError::precondition(
        rule_broken,
        campaign,
        format!("{err} (your county has {active_now} active nominations in this campaign)"),
    )
    .arg(limit.0, limit.1)
    .arg("found", active_after))
}

/// Only the organising office decides a campaign's nominations.
pub fn deciding_office(scope: &Scope, organiser: RegionCode) -> Result<()> {
    if scope.office().map(|(_, region)| region) == Some(organiser) {
        Ok(())
    } else {
        Err(RegistryError::denied(
            &msg::ORGANISER_DECIDES,
            "only the organising office decides nominations",
        ))
    }
}

/// Which office awards (and revokes) titles of `tier` for a unit under `unit_city`:
/// the unit's city office for city titles; the province for the others (it records
/// national titles, which the central commission awards).
pub fn awarding_office(scope: &Scope, tier: TitleTier, unit_city: &str) -> Result<()> {
    let allowed = match (tier.awarding_level(), scope.office()) {
        (AdminLevel::City, Some((AdminLevel::City, region))) => region.to_string() == unit_city,
        (AdminLevel::Province, Some((AdminLevel::Province, _))) => true,
        _ => false,
    };
    if allowed {
        Ok(())
    } else if tier.awarding_level() == AdminLevel::City {
        Err(RegistryError::denied(
            &msg::CITY_TITLES,
            "city titles are awarded by the unit's city office",
        ))
    } else {
        Err(RegistryError::denied(
            &msg::PROVINCIAL_TITLES,
            "provincial, provincial-model and national titles are recorded by the provincial office",
        ))
    }
}

/// Only the provincial office records commendations (the supervision service calls with
/// its identity).
pub fn commending_office(scope: &Scope) -> Result<()> {
    match scope.office() {
        Some((AdminLevel::Province, _)) => Ok(()),
        _ => Err(RegistryError::denied(
            &msg::COMMENDED_BY_PROVINCE,
            "commendations are made by the provincial office",
        )),
    }
}

/// What a new award does to the unit's current title of its tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverCurrent {
    /// There is none.
    Nothing,
    /// The current one has expired by the award date: it becomes superseded.
    Supersede,
    /// The current one is still held on the award date (or starts after it): refused.
    Refuse,
}

/// An award from `awarded_on` over the current title (if any) of the same tier.
pub fn award_over(current: Option<&TitleValidity>, awarded_on: Date) -> OverCurrent {
    match current {
        None => OverCurrent::Nothing,
        Some(v) if held_on(v, awarded_on) || v.awarded_on > awarded_on => OverCurrent::Refuse,
        Some(_) => OverCurrent::Supersede,
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;
    use wenming_authz::Principal;

    use super::*;

    fn scope(level: AdminLevel, code: &str) -> Scope {
        let key = wenming_authz::IdentityKey::generate();
        let principal = Principal::office("s", level, RegionCode::parse(code).unwrap());
        let token = wenming_authz::IdentitySigner::new(&key).sign(&principal);
        wenming_authz::IdentityVerifier::new(&key)
            .verify(&token)
            .expect("signed just now")
    }

    fn provincial_direct() -> Scope {
        let key = wenming_authz::IdentityKey::generate();
        let token =
            wenming_authz::IdentitySigner::new(&key).sign(&Principal::provincial_direct("s"));
        wenming_authz::IdentityVerifier::new(&key)
            .verify(&token)
            .expect("signed just now")
    }

    fn rule_of(err: RegistryError) -> &'static str {
        match err {
            RegistryError::Precondition { rule, .. } => rule.name,
            RegistryError::PermissionDenied { rule, .. } => rule.name,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn counties_nominate_for_their_city_before_the_deadline() {
        let d = Divisions::henan();
        let baofeng = nominating_office(&scope(AdminLevel::County, "410421"), d).unwrap();
        assert_eq!(baofeng.organiser.to_string(), "410400");
        assert!(nominating_office(&scope(AdminLevel::City, "410400"), d).is_err());
        let direct = nominating_office(&provincial_direct(), d).unwrap();
        assert_eq!(direct.organiser.to_string(), "410000");
        let pingdingshan = RegionCode::parse("410400").unwrap();
        let zhengzhou = RegionCode::parse("410100").unwrap();
        let deadline = Deadline::new(date(2021, 4, 20));
        let before: Timestamp = "2021-04-20T15:59:59Z".parse().unwrap();
        let after: Timestamp = "2021-04-20T16:00:00Z".parse().unwrap();
        assert!(nomination_window(baofeng, "c", pingdingshan, deadline, before).is_ok());
        let late = nomination_window(baofeng, "c", pingdingshan, deadline, after).unwrap_err();
        assert_eq!(rule_of(late), "nomination.deadline");
        let elsewhere = nomination_window(baofeng, "c", zhengzhou, deadline, before).unwrap_err();
        assert_eq!(rule_of(elsewhere), "nomination.organiser");
    }

    #[test]
    fn a_nomination_names_one_of_the_campaigns_tiers() {
        let seed = [
            TitleTier::City,
            TitleTier::Provincial,
            TitleTier::ProvincialModel,
        ];
        assert_eq!(
            nomination_tier(Some(TitleTier::City), &seed).unwrap(),
            TitleTier::City
        );
        assert!(nomination_tier(Some(TitleTier::National), &seed).is_err());
        assert!(nomination_tier(None, &seed).is_err());
        assert_eq!(
            nomination_tier(None, &[TitleTier::City]).unwrap(),
            TitleTier::City
        );
        assert_eq!(
            nomination_tier(Some(TitleTier::National), &[]).unwrap(),
            TitleTier::National
        );
    }

    #[test]
    fn batches_hold_three_to_five() {
        assert!(batch(BatchRule::SEED, "c", 0, 3).is_ok());
        assert_eq!(
            rule_of(batch(BatchRule::SEED, "c", 0, 2).unwrap_err()),
            "nomination.batch_min"
        );
        assert_eq!(
            rule_of(batch(BatchRule::SEED, "c", 5, 6).unwrap_err()),
            "nomination.batch_max"
        );
    }

    #[test]
    fn awards_come_from_the_right_office() {
        let city = scope(AdminLevel::City, "410400");
        let province = scope(AdminLevel::Province, "410000");
        assert!(awarding_office(&city, TitleTier::City, "410400").is_ok());
        assert_eq!(
            rule_of(awarding_office(&city, TitleTier::City, "410100").unwrap_err()),
            "city_titles"
        );
        assert_eq!(
            rule_of(awarding_office(&city, TitleTier::Provincial, "410400").unwrap_err()),
            "provincial_titles"
        );
        assert!(awarding_office(&province, TitleTier::National, "410400").is_ok());
        assert!(awarding_office(&province, TitleTier::City, "410400").is_err());
        assert!(deciding_office(&city, RegionCode::parse("410400").unwrap()).is_ok());
        assert!(deciding_office(&province, RegionCode::parse("410400").unwrap()).is_err());
    }

    #[test]
    fn revocations_of_current_titles_only_and_not_before_the_award() {
        let awarded = date(2022, 1, 10);
        assert!(revocation(TitleState::Current, "t", awarded, date(2022, 1, 10)).is_ok());
        assert_eq!(
            rule_of(revocation(TitleState::Revoked, "t", awarded, date(2023, 1, 1)).unwrap_err()),
            "title.current"
        );
        assert!(matches!(
            revocation(TitleState::Current, "t", awarded, date(2022, 1, 9)),
            Err(RegistryError::Invalid(_))
        ));
        assert!(distinct(&["a".into(), "b".into()]).is_ok());
        assert!(distinct(&["a".into(), "a".into()]).is_err());
    }

    #[test]
    fn units_are_registered_in_the_offices_region() {
        let d = Divisions::henan();
        let city = scope(AdminLevel::City, "410400");
        let baofeng = RegionCode::parse("410421").unwrap();
        assert!(unit_region(&city, d, "f", baofeng).is_ok());
        // A city region is no unit's region; another city's county is out of scope.
        assert!(unit_region(&city, d, "f", RegionCode::parse("410400").unwrap()).is_err());
        assert!(unit_region(&city, d, "f", RegionCode::parse("410102").unwrap()).is_err());
        // 济源 has no counties: its units sit in the city-level region.
        let jiyuan = scope(AdminLevel::City, "419001");
        assert!(unit_region(&jiyuan, d, "f", RegionCode::parse("419001").unwrap()).is_ok());
    }

    #[test]
    fn a_new_award_supersedes_only_an_expired_title() {
        let held = TitleValidity {
            awarded_on: date(2021, 1, 1),
            valid_until: Some(date(2024, 1, 1)),
            revoked_on: None,
        };
        assert_eq!(award_over(None, date(2022, 1, 1)), OverCurrent::Nothing);
        assert_eq!(
            award_over(Some(&held), date(2022, 1, 1)),
            OverCurrent::Refuse
        );
        assert_eq!(
            award_over(Some(&held), date(2020, 1, 1)),
            OverCurrent::Refuse
        );
        assert_eq!(
            award_over(Some(&held), date(2024, 1, 1)),
            OverCurrent::Supersede
        );
    }

    #[test]
    fn a_deregistered_unit_is_registered_only_before_its_day() {
        let left = date(2023, 6, 1);
        assert!(registered_on(true, None, left));
        assert!(registered_on(false, Some(left), date(2023, 5, 31)));
        assert!(!registered_on(false, Some(left), left));
        assert!(!registered_on(false, Some(left), date(2024, 1, 1)));
        // Deregistered before the day was recorded: never.
        assert!(!registered_on(false, None, date(2000, 1, 1)));
    }

    #[test]
    fn a_title_without_an_end_gets_its_tiers_term() {
        let terms = TitleTerms {
            city_years: 2,
            ..TitleTerms::default()
        };
        let on = date(2024, 2, 29);
        assert_eq!(
            title_valid_until(TitleTier::City, on, None, &terms),
            date(2026, 2, 28)
        );
        assert_eq!(
            title_valid_until(TitleTier::National, on, None, &terms),
            date(2027, 2, 28)
        );
        let given = date(2025, 1, 1);
        assert_eq!(
            title_valid_until(TitleTier::City, on, Some(given), &terms),
            given
        );
    }

    #[test]
    fn city_titles_are_the_citys_and_the_rest_the_provinces() {
        let d = Divisions::henan();
        let pingdingshan = RegionCode::parse("410400").unwrap();
        assert_eq!(
            awarding_region(TitleTier::City, pingdingshan, d),
            pingdingshan
        );
        for tier in [
            TitleTier::Provincial,
            TitleTier::ProvincialModel,
            TitleTier::National,
        ] {
            assert_eq!(awarding_region(tier, pingdingshan, d).to_string(), "410000");
        }
    }

    #[test]
    fn only_national_and_provincial_model_titles_make_a_helper() {
        let held = |tier, until| HeldTitle {
            tier,
            validity: TitleValidity {
                awarded_on: date(2020, 1, 1),
                valid_until: Some(until),
                revoked_on: None,
            },
            document_number: String::new(),
            city_code: RegionCode::parse("410400").unwrap(),
        };
        let titles = [
            held(TitleTier::City, date(2030, 1, 1)),
            held(TitleTier::Provincial, date(2030, 1, 1)),
            held(TitleTier::ProvincialModel, date(2030, 1, 1)),
            held(TitleTier::National, date(2021, 1, 1)),
        ];
        let day = date(2021, 4, 20);
        assert_eq!(
            helper_tiers(&titles, true, day),
            [TitleTier::ProvincialModel]
        );
        assert_eq!(
            helper_tiers(&titles, true, date(2020, 6, 1)),
            [TitleTier::National, TitleTier::ProvincialModel]
        );
        assert!(helper_tiers(&titles, false, day).is_empty());
    }
}
