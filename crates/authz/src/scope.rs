//! The checked scope a handler must hold to reach the store.

use wenming_domain::{AdminLevel, Divisions, OfficeKey, RegionCode, UnitId};

use crate::{PlatformAction, Principal, Role};

/// What a verified caller may see. Only [`crate::IdentityVerifier`] makes one (and the
/// test helpers, through a signed identity), so holding a `Scope` proves the identity
/// was checked.
#[derive(Clone, Debug)]
pub struct Scope {
    principal: Principal,
}

/// The rows of region-anchored tables a scope reaches, in the form the stores filter on
/// (`wenming_runtime::row_scope` holds the rule, in Rust and as SQL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowScope {
    /// The whole province.
    Everything,
    /// Rows whose city-level region is this one.
    City(RegionCode),
    /// Rows whose county-level region is this one.
    County(RegionCode),
    /// Rows of provincial-direct units, wherever they are.
    ProvincialDirect,
    /// Rows of this unit only.
    Unit(UnitId),
    /// No rows (platforms outside the calls granted to them).
    Nothing,
}

impl Scope {
    pub(crate) fn verified(principal: Principal) -> Self {
        Self { principal }
    }

    /// The caller.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The caller's subject, for audit records.
    pub fn subject(&self) -> &str {
        &self.principal.subject
    }

    /// The office level and region, if the caller is the office of a region (the
    /// provincial-direct office has none: see [`Scope::is_office`]).
    pub fn office(&self) -> Option<(AdminLevel, RegionCode)> {
        match self.principal.role {
            Role::Office { level, region } => Some((level, region)),
            _ => None,
        }
    }

    /// The platform's name, if the caller is a platform granted `action`.
    pub fn platform_granted(&self, action: PlatformAction) -> Option<&str> {
        match &self.principal.role {
            Role::Platform { name, actions } if actions.contains(&action) => Some(name),
            _ => None,
        }
    }

    /// Whether the caller is a platform granted `action`.
    pub fn platform_may(&self, action: PlatformAction) -> bool {
        matches!(&self.principal.role, Role::Platform { actions, .. } if actions.contains(&action))
    }

    /// The rows this caller reaches.
    pub fn rows(&self) -> RowScope {
        match &self.principal.role {
            Role::Office {
                level: AdminLevel::Province,
                ..
            } => RowScope::Everything,
            Role::Office {
                level: AdminLevel::City,
                region,
            } => RowScope::City(*region),
            Role::Office {
                level: AdminLevel::County,
                region,
            } => RowScope::County(*region),
            Role::ProvincialDirect => RowScope::ProvincialDirect,
            Role::Unit { unit } => RowScope::Unit(*unit),
            Role::Platform { .. } => RowScope::Nothing,
        }
    }

    /// Whether the caller is a civilisation office: of a region, or provincial-direct.
    pub fn is_office(&self) -> bool {
        matches!(
            self.principal.role,
            Role::Office { .. } | Role::ProvincialDirect
        )
    }

    /// Whether the caller is the provincial-direct office.
    pub fn is_provincial_direct(&self) -> bool {
        matches!(self.principal.role, Role::ProvincialDirect)
    }

    /// The office the caller is, if it is one.
    pub fn office_key(&self) -> Option<OfficeKey> {
        match self.principal.role {
            Role::Office { region, .. } => Some(OfficeKey::Region(region)),
            Role::ProvincialDirect => Some(OfficeKey::ProvincialDirect),
            _ => None,
        }
    }

    /// Whether an office caller's region contains `region` (in the division table).
    pub fn office_contains(&self, divisions: &Divisions, region: RegionCode) -> bool {
        self.office()
            .is_some_and(|(_, own)| divisions.contains(own, region))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(level: AdminLevel, region: &str) -> Scope {
        Scope::verified(Principal::office(
            "s",
            level,
            RegionCode::parse(region).unwrap(),
        ))
    }

    #[test]
    fn offices_reach_their_subtree() {
        let d = Divisions::henan();
        let baofeng = RegionCode::parse("410421").unwrap();
        assert!(scope(AdminLevel::Province, "410000").office_contains(d, baofeng));
        assert!(scope(AdminLevel::City, "410400").office_contains(d, baofeng));
        assert!(scope(AdminLevel::County, "410421").office_contains(d, baofeng));
        assert!(!scope(AdminLevel::County, "410422").office_contains(d, baofeng));
        assert!(!scope(AdminLevel::City, "410100").office_contains(d, baofeng));
    }

    #[test]
    fn platforms_reach_no_rows_but_may_verify() {
        let s = Scope::verified(Principal::platform("p", "tax"));
        assert_eq!(s.rows(), RowScope::Nothing);
        assert!(s.platform_may(PlatformAction::VerifyTitle));
        assert!(s.office().is_none());
    }
}
