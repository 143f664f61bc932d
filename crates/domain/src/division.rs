//! GB/T 2260 administrative divisions of Henan and containment between them.
//!
//! Containment always walks the parent table: a code prefix is not proof of
//! membership (济源 419001 is a city directly under the province, and
//! development zones carry codes that do not follow the usual pattern).

use std::sync::LazyLock;

pub use crate::division_csv::DivisionError;
use crate::division_csv::parse_table;
use crate::named_enum::named_enum;
pub use crate::region_code::{RegionCode, RegionCodeError};

named_enum! {
    /// The administrative level of a division (and of the office that runs it).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum AdminLevel: "administrative level" {
        /// 省: the province (410000).
        Province = "province",
        /// 市: a prefecture-level city, or 济源 which is administered by the province.
        City = "city",
        /// 县（市、区）: a county-level division.
        County = "county",
    }
}

impl AdminLevel {
    /// The level directly above, `None` for the province.
    pub const fn parent_level(self) -> Option<AdminLevel> {
        match self {
            AdminLevel::Province => None,
            AdminLevel::City => Some(AdminLevel::Province),
            AdminLevel::County => Some(AdminLevel::City),
        }
    }
}

/// One row of the division table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    /// The GB/T 2260 code.
    pub code: RegionCode,
    /// The Chinese name, e.g. "宝丰县".
    pub name: String,
    /// Province, city or county.
    pub level: AdminLevel,
    /// The division one level up; `None` only for the province.
    pub parent: Option<RegionCode>,
}

/// The id of the provincial-direct office (省直文明办) where a region code names the
/// others: `offices/provincial-direct`, `…/pairingLists/provincial-direct`.
pub const PROVINCIAL_DIRECT: &str = "provincial-direct";

/// A civilisation office that keeps lists and arranges: one of a region, or the
/// provincial-direct office, which has no region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OfficeKey {
    /// The office of a region of the division table.
    Region(RegionCode),
    /// 省直文明办.
    ProvincialDirect,
}

impl OfficeKey {
    /// Its region, `None` for the provincial-direct office.
    pub const fn region(self) -> Option<RegionCode> {
        match self {
            OfficeKey::Region(code) => Some(code),
            OfficeKey::ProvincialDirect => None,
        }
    }

    /// Parses a region code or [`PROVINCIAL_DIRECT`].
    pub fn parse(text: &str) -> Result<Self, RegionCodeError> {
        if text == PROVINCIAL_DIRECT {
            Ok(OfficeKey::ProvincialDirect)
        } else {
            RegionCode::parse(text).map(OfficeKey::Region)
        }
    }
}

impl std::fmt::Display for OfficeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OfficeKey::Region(code) => code.fmt(f),
            OfficeKey::ProvincialDirect => f.write_str(PROVINCIAL_DIRECT),
        }
    }
}

/// A row of a provincial quota table: a city, or the provincial-direct organs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QuotaHolder {
    /// 省直: organs directly under the province. A quota row, not a region.
    ProvincialDirect,
    /// A city-level division (including 济源 419001).
    City(RegionCode),
}

impl QuotaHolder {
    /// The city code, `None` for the provincial-direct row.
    pub const fn city(self) -> Option<RegionCode> {
        match self {
            QuotaHolder::ProvincialDirect => None,
            QuotaHolder::City(code) => Some(code),
        }
    }
}

/// The division table: every division, its parent and its children.
#[derive(Debug, Clone)]
pub struct Divisions {
    /// Sorted by code, so lookups are binary searches.
    divisions: Vec<Division>,
    /// `children[i]` are the codes whose parent is `divisions[i]`, sorted.
    children: Vec<Vec<RegionCode>>,
    province: RegionCode,
}

static HENAN: LazyLock<Divisions> = LazyLock::new(|| {
    Divisions::from_csv(include_str!("../data/henan-divisions.csv"))
        .expect("the bundled Henan division table is valid (checked by tests)")
});

impl Divisions {
    /// The bundled table of Henan (1 province, 18 cities, 180 counties), parsed once.
    pub fn henan() -> &'static Divisions {
        &HENAN
    }

    /// Parses and validates a table in the format of `data/henan-divisions.csv`:
    /// header `code,name,level,parent_code`, one division a line, blank lines ignored.
    ///
    /// Checks six-digit codes, known levels, no duplicates, exactly one province,
    /// and that every other row's parent exists and is exactly one level up (which
    /// also rules out cycles, so walks up the table always end).
    pub fn from_csv(text: &str) -> Result<Divisions, DivisionError> {
        let (divisions, province) = parse_table(text)?;
        let mut children = vec![Vec::new(); divisions.len()];
        for d in &divisions {
            if let Some(parent) = d.parent {
                let i = divisions
                    .binary_search_by_key(&parent, |p| p.code)
                    .expect("parse_table checked that every parent exists");
                // Codes are visited in order, so each list stays sorted.
                children[i].push(d.code);
            }
        }
        Ok(Divisions {
            divisions,
            children,
            province,
        })
    }

    fn index(&self, code: RegionCode) -> Option<usize> {
        self.divisions.binary_search_by_key(&code, |d| d.code).ok()
    }

    /// The division with this code, if it is in the table.
    pub fn get(&self, code: RegionCode) -> Option<&Division> {
        self.index(code).map(|i| &self.divisions[i])
    }

    /// Parses a code and checks that it is in the table.
    pub fn resolve(&self, text: &str) -> Result<RegionCode, RegionCodeError> {
        let code = RegionCode::parse(text)?;
        match self.index(code) {
            Some(_) => Ok(code),
            None => Err(RegionCodeError::Unknown(code)),
        }
    }

    /// The parent of a division; `None` for the province or an unknown code.
    pub fn parent(&self, code: RegionCode) -> Option<RegionCode> {
        self.get(code).and_then(|d| d.parent)
    }

    /// Whether `descendant` is `ancestor` or lies below it, by walking the
    /// parent table. Reflexive for codes in the table; `false` whenever either
    /// code is unknown, so an unknown code never grants scope.
    pub fn contains(&self, ancestor: RegionCode, descendant: RegionCode) -> bool {
        if self.index(ancestor).is_none() {
            return false;
        }
        let mut current = self.get(descendant);
        while let Some(d) = current {
            if d.code == ancestor {
                return true;
            }
            current = d.parent.and_then(|p| self.get(p));
        }
        false
    }

    /// The city-level division a code belongs to: itself for a city, its parent
    /// for a county, `None` for the province or an unknown code.
    pub fn city_of(&self, code: RegionCode) -> Option<RegionCode> {
        let d = self.get(code)?;
        match d.level {
            AdminLevel::Province => None,
            AdminLevel::City => Some(d.code),
            AdminLevel::County => d.parent,
        }
    }

    /// The divisions directly below, sorted by code; empty for a leaf or unknown code.
    pub fn children(&self, code: RegionCode) -> &[RegionCode] {
        self.index(code)
            .map(|i| self.children[i].as_slice())
            .unwrap_or(&[])
    }

    /// Whether a unit can be registered in this region: a county, or a city
    /// that has no counties (济源 419001).
    pub fn is_unit_region(&self, code: RegionCode) -> bool {
        let Some(i) = self.index(code) else {
            return false;
        };
        match self.divisions[i].level {
            AdminLevel::Province => false,
            AdminLevel::City => self.children[i].is_empty(),
            AdminLevel::County => true,
        }
    }

    /// The code of the province.
    pub fn province(&self) -> RegionCode {
        self.province
    }

    /// The rows of a provincial quota table: 省直 first, then every city by code.
    pub fn quota_holders(&self) -> impl Iterator<Item = QuotaHolder> + '_ {
        std::iter::once(QuotaHolder::ProvincialDirect).chain(
            self.children(self.province)
                .iter()
                .map(|&c| QuotaHolder::City(c)),
        )
    }

    /// Every division, sorted by code.
    pub fn iter(&self) -> std::slice::Iter<'_, Division> {
        self.divisions.iter()
    }

    /// Number of divisions.
    pub fn len(&self) -> usize {
        self.divisions.len()
    }

    /// Whether the table is empty (never true for a parsed table: it has a province).
    pub fn is_empty(&self) -> bool {
        self.divisions.is_empty()
    }
}

impl<'a> IntoIterator for &'a Divisions {
    type Item = &'a Division;
    type IntoIter = std::slice::Iter<'a, Division>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn bundled_table_has_every_division() {
        let t = Divisions::henan();
        assert_eq!(t.len(), 199);
        let count = |level| t.iter().filter(|d| d.level == level).count();
        assert_eq!(count(AdminLevel::Province), 1);
        assert_eq!(count(AdminLevel::City), 18);
        assert_eq!(count(AdminLevel::County), 180);
        assert_eq!(t.province(), code("410000"));
        assert_eq!(t.get(code("410000")).unwrap().name, "河南省");
    }

    #[test]
    fn baofeng_is_in_pingdingshan() {
        let t = Divisions::henan();
        let baofeng = t.get(code("410421")).unwrap();
        assert_eq!(baofeng.name, "宝丰县");
        assert_eq!(baofeng.level, AdminLevel::County);
        assert_eq!(baofeng.parent, Some(code("410400")));
        assert!(t.contains(code("410400"), code("410421")));
        assert!(t.contains(code("410000"), code("410421")));
        assert!(!t.contains(code("410100"), code("410421")));
        assert_eq!(t.city_of(code("410421")), Some(code("410400")));
        assert_eq!(t.city_of(code("410400")), Some(code("410400")));
        assert_eq!(t.city_of(code("410000")), None);
        assert!(t.children(code("410400")).contains(&code("410421")));
    }

    #[test]
    fn jiyuan_is_a_city_without_counties_and_a_unit_region() {
        let t = Divisions::henan();
        let jiyuan = code("419001");
        let d = t.get(jiyuan).unwrap();
        assert_eq!(d.level, AdminLevel::City);
        assert_eq!(d.parent, Some(t.province()));
        assert!(t.children(jiyuan).is_empty());
        assert!(t.is_unit_region(jiyuan));
        assert_eq!(t.city_of(jiyuan), Some(jiyuan));
    }

    #[test]
    fn unit_regions_are_counties_and_childless_cities() {
        let t = Divisions::henan();
        assert!(t.is_unit_region(code("410421")));
        assert!(!t.is_unit_region(code("410400")));
        assert!(!t.is_unit_region(code("410000")));
        assert!(!t.is_unit_region(code("410499")));
        let units = t.iter().filter(|d| t.is_unit_region(d.code)).count();
        assert_eq!(units, 181);
    }

    #[test]
    fn containment_is_reflexive_and_not_symmetric() {
        let t = Divisions::henan();
        for d in t {
            assert!(t.contains(d.code, d.code));
        }
        assert!(t.contains(code("410400"), code("410421")));
        assert!(!t.contains(code("410421"), code("410400")));
    }

    #[test]
    fn prefix_lookalike_is_unknown() {
        let t = Divisions::henan();
        assert_eq!(
            t.resolve("410499"),
            Err(RegionCodeError::Unknown(code("410499")))
        );
        assert!(!t.contains(code("410400"), code("410499")));
        assert!(!t.contains(code("410499"), code("410499")));
        assert_eq!(t.resolve("410421"), Ok(code("410421")));
        assert_eq!(t.resolve("4104"), Err(RegionCodeError::Length { found: 4 }));
    }

    #[test]
    fn containment_follows_the_table_not_the_prefix() {
        // 420101 sits under 410100 in this table even though its prefix says 4201.
        let t = Divisions::from_csv(
            "code,name,level,parent_code\n\
             410000,省,province,\n\
             410100,甲市,city,410000\n\
             420100,乙市,city,410000\n\
             420101,丙县,county,410100\n",
        )
        .unwrap();
        assert!(t.contains(code("410100"), code("420101")));
        assert!(!t.contains(code("420100"), code("420101")));
        assert_eq!(t.city_of(code("420101")), Some(code("410100")));
        assert!(t.is_unit_region(code("420100")));
        assert!(!t.is_unit_region(code("410100")));
    }

    #[test]
    fn quota_holders_are_provincial_direct_then_cities() {
        let holders: Vec<_> = Divisions::henan().quota_holders().collect();
        assert_eq!(holders.len(), 19);
        assert_eq!(holders[0], QuotaHolder::ProvincialDirect);
        assert!(holders.contains(&QuotaHolder::City(code("419001"))));
        assert_eq!(holders[0].city(), None);
    }

    #[test]
    fn levels_round_trip() {
        for level in AdminLevel::ALL {
            assert_eq!(level.as_str().parse::<AdminLevel>(), Ok(*level));
        }
        assert!("City".parse::<AdminLevel>().is_err());
    }
}
