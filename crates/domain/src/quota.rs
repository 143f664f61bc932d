//! The province's allocation table (R7): who holds quota, how officials name them, and
//! the tiers places are allocated for.

use crate::division::{Divisions, OfficeKey, QuotaHolder};
use crate::title::TitleTier;

/// The tiers of the annex, in its column order: 河南省文明单位标兵, 河南省文明单位.
pub const QUOTA_TIERS: [TitleTier; 2] = [TitleTier::ProvincialModel, TitleTier::Provincial];

impl QuotaHolder {
    /// The office that holds the row.
    pub const fn office(self) -> OfficeKey {
        match self {
            QuotaHolder::ProvincialDirect => OfficeKey::ProvincialDirect,
            QuotaHolder::City(code) => OfficeKey::Region(code),
        }
    }

    /// The holder an office is, if it is one: a city-level office or the
    /// provincial-direct office.
    pub fn of_office(office: OfficeKey, divisions: &Divisions) -> Option<QuotaHolder> {
        match office {
            OfficeKey::ProvincialDirect => Some(QuotaHolder::ProvincialDirect),
            OfficeKey::Region(code) => (divisions.parent(code) == Some(divisions.province()))
                .then_some(QuotaHolder::City(code)),
        }
    }

    /// The name officials write in the table: "省直", "平顶山市", "济源示范区".
    pub fn display_name(self, divisions: &Divisions) -> String {
        match self {
            QuotaHolder::ProvincialDirect => "省直".to_owned(),
            QuotaHolder::City(code) if code.as_u32() == JIYUAN => "济源示范区".to_owned(),
            QuotaHolder::City(code) => divisions
                .get(code)
                .map_or_else(|| code.to_string(), |d| d.name.clone()),
        }
    }
}

/// 济源 (a city-level division the annex calls 济源示范区).
const JIYUAN: u32 = 419_001;

/// Spaces (ASCII, full-width and the like) removed: officials space out short names to
/// align a column ("郑 州 市", "省 直").
pub fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The holder a table row names, whatever its spacing: a city by its name with or
/// without "市" ("平顶山市", "平顶山"), 济源 also as "济源示范区" or "济源产城融合示范区",
/// the provincial-direct office as "省直" (or "省直单位", "省直机关", "省直文明办").
pub fn holder_named(divisions: &Divisions, text: &str) -> Option<QuotaHolder> {
    let name = squeeze(text);
    let name = name.strip_suffix("文明办").unwrap_or(&name);
    if matches!(name, "省直" | "省直单位" | "省直机关") {
        return Some(QuotaHolder::ProvincialDirect);
    }
    divisions.quota_holders().find(|holder| {
        let QuotaHolder::City(code) = *holder else {
            return false;
        };
        let Some(division) = divisions.get(code) else {
            return false;
        };
        let full = division.name.as_str();
        let short = full.strip_suffix('市').unwrap_or(full);
        name == full
            || name == short
            || (code.as_u32() == JIYUAN && matches!(name, "济源示范区" | "济源产城融合示范区"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_annex_names_every_holder_once() {
        let divisions = Divisions::henan();
        let annex = [
            "省 直",
            "郑 州 市",
            "开 封 市",
            "洛 阳 市",
            "平 顶 山 市",
            "安 阳 市",
            "鹤 壁 市",
            "新 乡 市",
            "焦 作 市",
            "濮 阳 市",
            "许 昌 市",
            "漯 河 市",
            "三 门 峡 市",
            "南 阳 市",
            "商 丘 市",
            "信 阳 市",
            "周 口 市",
            "驻 马 店 市",
            "济 源 示 范 区",
        ];
        let mut found: Vec<QuotaHolder> = annex
            .iter()
            .map(|name| holder_named(divisions, name).unwrap_or_else(|| panic!("{name}")))
            .collect();
        found.sort();
        found.dedup();
        let mut all: Vec<QuotaHolder> = divisions.quota_holders().collect();
        all.sort();
        assert_eq!(found, all);
        assert_eq!(
            holder_named(divisions, "平顶山"),
            holder_named(divisions, "平顶山市")
        );
        assert_eq!(holder_named(divisions, "宝丰县"), None);
        assert_eq!(holder_named(divisions, "合 计"), None);
        assert_eq!(
            holder_named(divisions, "济源市").map(|h| h.display_name(divisions)),
            Some("济源示范区".to_owned())
        );
    }

    #[test]
    fn offices_that_hold_quota() {
        let divisions = Divisions::henan();
        let city = OfficeKey::parse("410400").unwrap();
        let county = OfficeKey::parse("410421").unwrap();
        let province = OfficeKey::parse("410000").unwrap();
        assert!(QuotaHolder::of_office(city, divisions).is_some());
        assert_eq!(QuotaHolder::of_office(county, divisions), None);
        assert_eq!(QuotaHolder::of_office(province, divisions), None);
        assert_eq!(
            QuotaHolder::of_office(OfficeKey::ProvincialDirect, divisions),
            Some(QuotaHolder::ProvincialDirect)
        );
    }
}
