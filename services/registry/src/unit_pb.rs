//! A unit between the wire and the store: parsing a `pb::Unit` into validated fields
//! (collecting every violation), and rendering a stored unit.

use wenming_domain::{CreditCode, Divisions, PersonName, PhoneNumber, RegionCode, UnitName};
use wenming_proto::registry::v1 as pb;
use wenming_runtime::catalogue::{common, region_violation, text_violation};
use wenming_runtime::status::Violation;

use crate::messages as msg;

use crate::convert::{kind_from_pb, kind_to_pb, scale_from_pb, scale_to_pb, tier_to_pb, timestamp};
use crate::store::{NewUnit, UnitFields, UnitRecord};

/// Longest free-text field we keep (nature, main business, centre names).
const MAX_TEXT: usize = 200;

/// Whether `unit` may be registered as it is (every field checked, each violation
/// named): the validation CreateUnit runs before it touches the database.
pub fn check_new_unit(unit: &pb::Unit) -> Result<(), Vec<Violation>> {
    parse_new_unit(unit, "unit", Divisions::henan()).map(|_| ())
}

/// Parses a unit to register; `prefix` is the field path of the unit ("unit").
pub(crate) fn parse_new_unit(
    unit: &pb::Unit,
    prefix: &str,
    divisions: &Divisions,
) -> Result<NewUnit, Vec<Violation>> {
    let mut violations = Vec::new();
    let credit_code = CreditCode::parse(&unit.credit_code)
        .map_err(|err| {
            violations.push(msg::credit_code_violation(
                &format!("{prefix}.credit_code"),
                &err,
            ));
        })
        .ok();
    let fields = parse_fields(unit, prefix, divisions)
        .map_err(|v| violations.extend(v))
        .ok();
    match (credit_code, fields) {
        (Some(credit_code), Some(fields)) if violations.is_empty() => Ok(NewUnit {
            credit_code,
            fields,
        }),
        _ => Err(violations),
    }
}

/// Parses the changeable fields of a unit.
pub(crate) fn parse_fields(
    unit: &pb::Unit,
    prefix: &str,
    divisions: &Divisions,
) -> Result<UnitFields, Vec<Violation>> {
    let mut v = Vec::new();
    let field = |name: &str| format!("{prefix}.{name}");
    let display_name = UnitName::parse(&unit.display_name)
        .map_err(|err| v.push(text_violation(&field("display_name"), &err)))
        .ok();
    let region = divisions
        .resolve(unit.region_code.trim())
        .map_err(|err| v.push(region_violation(&field("region_code"), &err)))
        .ok();
    let kind = kind_from_pb(unit.kind);
    if kind.is_none() {
        v.push(Violation::new(
            field("kind"),
            &common::REQUIRED,
            "the ownership kind must be set",
        ));
    }
    let scale = scale_from_pb(unit.scale);
    if scale.is_none() && unit.scale != 0 {
        v.push(Violation::new(
            field("scale"),
            &common::UNKNOWN_VALUE,
            "unknown scale",
        ));
    }
    let business = unit.business.clone().unwrap_or_default();
    let party = unit.party_building.clone().unwrap_or_default();
    let officer = unit.civilisation_officer.clone().unwrap_or_default();
    let party_type = match pb::PartyOrganisationType::try_from(party.organisation_type) {
        Ok(pb::PartyOrganisationType::Unspecified) => None,
        Ok(t) => Some(t.as_str_name().to_owned()),
        Err(_) => {
            v.push(Violation::new(
                field("party_building.organisation_type"),
                &common::UNKNOWN_VALUE,
                "unknown party organisation type",
            ));
            None
        }
    };
    let mut text = |name: &str, value: &str| -> String {
        let value = value.trim();
        if value.chars().count() > MAX_TEXT {
            v.push(
                Violation::new(
                    field(name),
                    &common::TOO_LONG,
                    format!("must be at most {MAX_TEXT} characters"),
                )
                .arg("max", MAX_TEXT),
            );
        }
        value.to_owned()
    };
    let nature = text("nature", &unit.nature);
    let main_business = text("business.main_business", &business.main_business);
    let party_instructor = text("party_building.instructor_name", &party.instructor_name);
    let party_service_centre = text("party_building.service_centre", &party.service_centre);
    let officer_name = if officer.person_name.trim().is_empty() {
        None
    } else {
        PersonName::parse(&officer.person_name)
            .map_err(|err| {
                v.push(text_violation(
                    &field("civilisation_officer.person_name"),
                    &err,
                ));
            })
            .ok()
    };
    let officer_phone = if officer.phone.trim().is_empty() {
        None
    } else {
        PhoneNumber::parse(&officer.phone)
            .map_err(|err| {
                v.push(msg::phone_violation(
                    &field("civilisation_officer.phone"),
                    &err,
                ));
            })
            .ok()
    };
    if let Some(region) = region
        && !divisions.is_unit_region(region)
    {
        v.push(
            Violation::new(
                field("region_code"),
                &msg::UNIT_REGION,
                format!("{region} is not a county-level region a unit can belong to"),
            )
            .arg("value", region),
        );
    }
    match (display_name, region, kind) {
        (Some(display_name), Some(region), Some(kind)) if v.is_empty() => Ok(UnitFields {
            display_name,
            region,
            kind,
            scale,
            nature,
            employees: business.employees,
            main_business,
            annual_revenue_10k_yuan: business.annual_revenue_10k_yuan,
            party_organisation_type: party_type,
            party_members: party.party_members,
            party_instructor,
            party_service_centre,
            officer_name,
            officer_phone,
            provincial_direct: unit.provincial_direct,
            base_level: unit.base_level,
        }),
        _ => Err(v),
    }
}

/// Renders a stored unit.
pub(crate) fn unit_to_pb(u: &UnitRecord, divisions: &Divisions) -> pb::Unit {
    let code_region = u.credit_code.get(2..8).unwrap_or_default().to_owned();
    // The code's region is where the unit first registered; it differs when it does not
    // contain the unit's current region (units move; the office checks).
    let differs = match (
        RegionCode::parse(&code_region),
        RegionCode::parse(&u.region_code),
    ) {
        (Ok(code), Ok(region)) => !divisions.contains(code, region),
        _ => true,
    };
    pb::Unit {
        name: u.name(),
        display_name: u.display_name.clone(),
        credit_code: u.credit_code.clone(),
        region_code: u.region_code.clone(),
        kind: u.unit_kind().map_or(pb::UnitKind::Unspecified, kind_to_pb) as i32,
        scale: scale_to_pb(u.scale.as_deref().and_then(|s| s.parse().ok())) as i32,
        nature: u.nature.clone(),
        business: Some(pb::BusinessManagement {
            employees: u32::try_from(u.employees).unwrap_or(0),
            main_business: u.main_business.clone(),
            annual_revenue_10k_yuan: u64::try_from(u.annual_revenue_10k_yuan).unwrap_or(0),
        }),
        party_building: Some(pb::PartyBuilding {
            organisation_type: u
                .party_organisation_type
                .as_deref()
                .and_then(pb::PartyOrganisationType::from_str_name)
                .unwrap_or(pb::PartyOrganisationType::Unspecified)
                as i32,
            party_members: u32::try_from(u.party_members).unwrap_or(0),
            instructor_name: u.party_instructor.clone(),
            service_centre: u.party_service_centre.clone(),
        }),
        civilisation_officer: Some(pb::CivilisationOfficer {
            person_name: u.officer_name.clone(),
            phone: u.officer_phone.clone(),
        }),
        state: if u.is_active() {
            pb::UnitState::Active
        } else {
            pb::UnitState::Deregistered
        } as i32,
        reserve_pool: u.pool_reason.as_ref().map(|reason| pb::ReservePoolEntry {
            reason: reason.clone(),
            target_tier: u
                .pool_target_tier
                .as_deref()
                .and_then(|t| t.parse().ok())
                .map_or(pb::TitleTier::Unspecified, tier_to_pb) as i32,
            added_by: u.pool_added_by.clone().unwrap_or_default(),
            add_time: u.pool_added_at.map(timestamp),
        }),
        credit_code_region: code_region,
        credit_code_region_differs: differs,
        city_code: u.city_code.clone(),
        etag: u.version.to_string(),
        create_time: Some(timestamp(u.created_at)),
        update_time: Some(timestamp(u.updated_at)),
        deregistration_reason: u.deregistration_reason.clone().unwrap_or_default(),
        provincial_direct: u.is_provincial_direct(),
        deregistered_on: u.deregistered_on.clone().unwrap_or_default(),
        base_level: u.is_base_level(),
    }
}

/// Field-mask paths a caller may update, and whether a unit user may.
const UPDATABLE: [(&str, bool); 10] = [
    ("display_name", false),
    ("region_code", false),
    ("kind", false),
    ("scale", true),
    ("nature", true),
    ("business", true),
    ("party_building", true),
    ("civilisation_officer", true),
    ("provincial_direct", false),
    ("base_level", false),
];

/// Copies the masked fields of `patch` onto `base`. Paths may name a sub-field
/// ("business.employees").
pub(crate) fn apply_mask(
    base: &mut pb::Unit,
    patch: &pb::Unit,
    paths: &[String],
    unit_user: bool,
) -> Result<(), Vec<Violation>> {
    let mut v = Vec::new();
    if paths.is_empty() {
        v.push(Violation::new(
            "update_mask",
            &common::REQUIRED,
            "name the fields to update",
        ));
    }
    for path in paths {
        let top = path.split('.').next().unwrap_or_default();
        match UPDATABLE.iter().find(|(name, _)| *name == top) {
            None => v.push(
                Violation::new(
                    "update_mask",
                    &msg::UPDATABLE,
                    format!("'{path}' is not an updatable field"),
                )
                .arg("value", path),
            ),
            Some((_, false)) if unit_user => v.push(
                Violation::new(
                    "update_mask",
                    &msg::OFFICE_ONLY,
                    format!("'{path}' can only be changed by a civilisation office"),
                )
                .arg("value", path),
            ),
            Some(_) => {
                if let Err(message) = copy_path(base, patch, path) {
                    v.push(
                        Violation::new("update_mask", &msg::UPDATABLE, message).arg("value", path),
                    );
                }
            }
        }
    }
    if v.is_empty() { Ok(()) } else { Err(v) }
}

fn copy_path(base: &mut pb::Unit, patch: &pb::Unit, path: &str) -> Result<(), String> {
    let business = || patch.business.clone().unwrap_or_default();
    let party = || patch.party_building.clone().unwrap_or_default();
    let officer = || patch.civilisation_officer.clone().unwrap_or_default();
    match path {
        "display_name" => base.display_name = patch.display_name.clone(),
        "region_code" => base.region_code = patch.region_code.clone(),
        "kind" => base.kind = patch.kind,
        "scale" => base.scale = patch.scale,
        "nature" => base.nature = patch.nature.clone(),
        "business" => base.business = patch.business.clone(),
        "party_building" => base.party_building = patch.party_building.clone(),
        "civilisation_officer" => base.civilisation_officer = patch.civilisation_officer.clone(),
        "provincial_direct" => base.provincial_direct = patch.provincial_direct,
        "base_level" => base.base_level = patch.base_level,
        "business.employees" => {
            base.business.get_or_insert_default().employees = business().employees
        }
        "business.main_business" => {
            base.business.get_or_insert_default().main_business = business().main_business;
        }
        "business.annual_revenue_10k_yuan" => {
            base.business
                .get_or_insert_default()
                .annual_revenue_10k_yuan = business().annual_revenue_10k_yuan;
        }
        "party_building.organisation_type" => {
            base.party_building
                .get_or_insert_default()
                .organisation_type = party().organisation_type;
        }
        "party_building.party_members" => {
            base.party_building.get_or_insert_default().party_members = party().party_members;
        }
        "party_building.instructor_name" => {
            base.party_building.get_or_insert_default().instructor_name = party().instructor_name;
        }
        "party_building.service_centre" => {
            base.party_building.get_or_insert_default().service_centre = party().service_centre;
        }
        "civilisation_officer.person_name" => {
            base.civilisation_officer
                .get_or_insert_default()
                .person_name = officer().person_name;
        }
        "civilisation_officer.phone" => {
            base.civilisation_officer.get_or_insert_default().phone = officer().phone;
        }
        other => return Err(format!("'{other}' is not an updatable field")),
    }
    Ok(())
}
