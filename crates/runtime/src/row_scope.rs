//! Which rows of a region-anchored table a caller reaches, as one rule written twice
//! side by side: in Rust, for a row already in hand (VerifyTitle's cached units), and as
//! SQL, for queries. The registry's `tests/integration/rules_agree.rs` checks on generated rows that
//! the two agree, on SQLite and PostgreSQL.
//!
//! Rows carry the unit's id, its county-level region, its city-level region (written
//! from the division table) and whether it is provincial-direct (a BIGINT 0/1), so both
//! forms are equalities: no prefixes, no joins. A city or county office reaches the rows
//! of its region, provincial-direct units there included; the provincial-direct office
//! reaches provincial-direct units, wherever they are.

use wenming_authz::RowScope;

use crate::sql::Sql;

/// The columns a table anchors its rows with.
#[derive(Clone, Copy, Debug)]
pub struct Columns<'a> {
    /// The unit's id.
    pub unit: &'a str,
    /// The unit's county-level region code.
    pub region: &'a str,
    /// The unit's city-level region code.
    pub city: &'a str,
    /// 1 for a provincial-direct unit, 0 otherwise.
    pub direct: &'a str,
}

/// Whether a row of unit `unit` in county-level `region` under `city`, provincial-direct
/// or not (`direct`), is in reach.
pub fn allows(rows: RowScope, unit: &str, region: &str, city: &str, direct: bool) -> bool {
    match rows {
        RowScope::Everything => true,
        RowScope::ProvincialDirect => direct,
        RowScope::City(code) => code.to_string() == city,
        RowScope::County(code) => code.to_string() == region,
        RowScope::Unit(id) => id.to_string() == unit,
        RowScope::Nothing => false,
    }
}

/// The same rule as ` AND …` on `columns`.
pub fn push(sql: &mut Sql, rows: RowScope, columns: Columns<'_>) {
    match rows {
        RowScope::Everything => {}
        RowScope::City(city) => {
            sql.push(&format!(" AND {} = ", columns.city))
                .bind(city.to_string());
        }
        RowScope::County(county) => {
            sql.push(&format!(" AND {} = ", columns.region))
                .bind(county.to_string());
        }
        RowScope::Unit(unit) => {
            sql.push(&format!(" AND {} = ", columns.unit))
                .bind(unit.to_string());
        }
        RowScope::ProvincialDirect => {
            sql.push(&format!(" AND {} = 1", columns.direct));
        }
        RowScope::Nothing => {
            sql.push(" AND 1 = 0");
        }
    }
}

#[cfg(test)]
mod tests {
    use wenming_domain::RegionCode;

    use super::*;

    #[test]
    fn rows_in_reach() {
        let baofeng = RegionCode::parse("410421").unwrap();
        let pingdingshan = RegionCode::parse("410400").unwrap();
        assert!(allows(RowScope::Everything, "u", "410421", "410400", false));
        assert!(allows(
            RowScope::City(pingdingshan),
            "u",
            "410421",
            "410400",
            true
        ));
        assert!(!allows(
            RowScope::City(pingdingshan),
            "u",
            "410102",
            "410100",
            false
        ));
        assert!(allows(
            RowScope::County(baofeng),
            "u",
            "410421",
            "410400",
            false
        ));
        assert!(!allows(
            RowScope::County(baofeng),
            "u",
            "410422",
            "410400",
            false
        ));
        assert!(!allows(RowScope::Nothing, "u", "410421", "410400", true));
        let mut sql = Sql::new("SELECT 1 FROM t WHERE 1 = 1");
        let columns = Columns {
            unit: "unit_id",
            region: "region_code",
            city: "city_code",
            direct: "provincial_direct",
        };
        push(&mut sql, RowScope::City(pingdingshan), columns);
        assert_eq!(sql.text(), "SELECT 1 FROM t WHERE 1 = 1 AND city_code = $1");
        assert!(allows(
            RowScope::ProvincialDirect,
            "u",
            "410421",
            "410400",
            true
        ));
        assert!(!allows(
            RowScope::ProvincialDirect,
            "u",
            "410421",
            "410400",
            false
        ));
    }
}
