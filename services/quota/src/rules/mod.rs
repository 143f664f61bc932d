//! The quota rules, decided without I/O: who acts for the province and who holds quota,
//! what an allocation table file says (and what is wrong with it, by row and column),
//! what a reallocation may change, which units a holder designates, and fulfilment.
//! The store holds only what must hold under concurrency: places taken never exceed
//! the quota, a unit holds one designation at a time.
//!
//! The gateway's policy lets only the province import, confirm and reallocate, and only
//! city-level and provincial-direct offices designate. These rules check the same again:
//! a call that reaches the service without the gateway must meet the same rule, and
//! which cities hold quota is the service's to know.

use std::collections::BTreeMap;

use wenming_authz::Scope;
use wenming_clients::{PairingFacts, Standing, UnitFacts};
use wenming_domain::{
    AdminLevel, Divisions, QUOTA_TIERS, QuotaHolder, TitleTier, holder_named, quota::squeeze,
};
use wenming_runtime::status::Violation;

use crate::error::{QuotaError, Result};
use crate::messages as msg;
use crate::table_file::FileRow;

pub mod recommendation;

/// Most years a table covers.
const MAX_YEARS: i16 = 10;

/// Largest quota a cell may hold (a typo guard: the annex's largest is 48).
pub const MAX_QUOTA: i64 = 10_000;

/// The caller acting for the province. Only [`province`] makes one.
#[derive(Clone, Copy, Debug)]
pub struct Province(());

/// The caller as the province, or the refusal.
pub fn province(scope: &Scope) -> Result<Province> {
    match scope.office() {
        Some((AdminLevel::Province, _)) => Ok(Province(())),
        _ => Err(QuotaError::denied(
            &msg::PROVINCE_ONLY,
            "only the provincial office imports, confirms and reallocates allocation tables",
        )),
    }
}

/// The caller as a quota holder: a city-level office or the provincial-direct office.
pub fn holder(scope: &Scope, divisions: &Divisions) -> Result<QuotaHolder> {
    scope
        .office_key()
        .and_then(|office| QuotaHolder::of_office(office, divisions))
        .ok_or(QuotaError::denied(
            &msg::HOLDERS_ONLY,
            "only city-level offices and the provincial-direct office designate within quota",
        ))
}

/// Whose fulfilment the caller reads: every holder (`None`) for the province, its own
/// for a holder.
pub fn fulfilment_reader(scope: &Scope, divisions: &Divisions) -> Result<Option<QuotaHolder>> {
    if province(scope).is_ok() {
        return Ok(None);
    }
    holder(scope, divisions).map(Some).map_err(|_| {
        QuotaError::denied(
            &msg::FULFILMENT_READERS,
            "only the provincial office and the holders of quota read fulfilment",
        )
    })
}

/// The holder "offices/{city_code}" or "offices/provincial-direct" names, if it names one.
pub fn holder_of_name(name: &str, divisions: &Divisions) -> Option<QuotaHolder> {
    let office = wenming_domain::OfficeKey::parse(name.strip_prefix("offices/")?).ok()?;
    QuotaHolder::of_office(office, divisions)
}

/// The years a table covers, "2021-2023".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    first: i16,
    last: i16,
}

impl Period {
    /// Parses "YYYY-YYYY": first ≤ last, at most ten years, 2000–2099.
    pub fn parse(text: &str) -> Option<Period> {
        let (first, last) = text.split_once('-')?;
        let year = |t: &str| -> Option<i16> {
            (t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()))
                .then(|| t.parse().ok())
                .flatten()
                .filter(|y| (2000..2100).contains(y))
        };
        let (first, last) = (year(first)?, year(last)?);
        (first <= last && last - first < MAX_YEARS).then_some(Period { first, last })
    }

    /// "2021—2023" as documents write it.
    pub fn label_zh(self) -> String {
        format!("{}—{}", self.first, self.last)
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.first, self.last)
    }
}

/// A holder's quotas, indexed like [`QUOTA_TIERS`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HolderRow {
    /// Whose.
    pub holder: QuotaHolder,
    /// Per tier of [`QUOTA_TIERS`].
    pub quotas: [i64; 2],
}

/// A declared total that is not its column's sum.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Discrepancy {
    /// The tier's stable name.
    pub tier: String,
    /// The column's header as the file has it.
    pub column: String,
    /// The total the file declares.
    pub declared: i64,
    /// The sum of the holders' rows.
    pub sum: i64,
}

/// A table as the file gives it: every holder once, in the annex's order, and where
/// the declared totals differ from the sums.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedTable {
    /// 省直 first, then cities by code.
    pub rows: Vec<HolderRow>,
    /// Empty when the totals agree or the file declares none.
    pub discrepancies: Vec<Discrepancy>,
}

/// The index in [`QUOTA_TIERS`] of `tier`.
pub fn tier_index(tier: TitleTier) -> Option<usize> {
    QUOTA_TIERS.iter().position(|t| *t == tier)
}

/// A tier places are allocated for, or the violation naming `field`.
pub fn quota_tier(
    field: &str,
    tier: Option<TitleTier>,
) -> std::result::Result<TitleTier, Violation> {
    tier.filter(|t| tier_index(*t).is_some()).ok_or_else(|| {
        Violation::new(
            field,
            &msg::TIER,
            "must be TITLE_TIER_PROVINCIAL_MODEL or TITLE_TIER_PROVINCIAL",
        )
    })
}

/// A tier as the province's documents title it: "河南省文明单位标兵", "河南省文明单位".
pub fn tier_title(tier: TitleTier) -> &'static str {
    match tier {
        TitleTier::ProvincialModel => "河南省文明单位标兵",
        TitleTier::Provincial => "河南省文明单位",
        other => other.label_zh(),
    }
}

/// The tier a header cell names: "标兵" before "文明单位", spacing ignored.
fn header_tier(text: &str) -> Option<TitleTier> {
    let text = squeeze(text);
    if text.contains("标兵") {
        Some(TitleTier::ProvincialModel)
    } else if text.contains("文明单位") {
        Some(TitleTier::Provincial)
    } else {
        None
    }
}

/// Whether a header cell names a fulfilment column of an exported table ("已确定培养",
/// "已获评", "缺口"), which an import skips.
pub fn is_fulfilment_header(text: &str) -> bool {
    let text = squeeze(text);
    ["已确定", "已获评", "缺口"]
        .iter()
        .any(|word| text.contains(word))
}

fn is_total(first_cell: &str) -> bool {
    matches!(squeeze(first_cell).as_str(), "合计" | "总计")
}

/// Reads the table out of the file's rows: a header row (the first with two or more
/// cells; title lines above it are skipped), one row per holder, an optional declared
/// total row ("合 计") and, after it, notes of one cell. Every problem is reported, each
/// naming its row and column.
pub fn parse_table(
    divisions: &Divisions,
    rows: &[FileRow],
) -> std::result::Result<ParsedTable, Vec<Violation>> {
    let filled = |row: &FileRow| row.cells.iter().filter(|c| !c.is_empty()).count();
    let Some(header_at) = rows.iter().position(|row| filled(row) >= 2) else {
        return Err(vec![Violation::new(
            "content",
            &msg::HEADER,
            "no header row: the first column names the holder, two more the tiers",
        )]);
    };
    let header = &rows[header_at];
    let mut violations = Vec::new();
    // columns[t] = the file's columns for tier t.
    let mut columns: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    for (at, text) in header.cells.iter().enumerate().skip(1) {
        if text.is_empty() || is_fulfilment_header(text) {
            continue;
        }
        match header_tier(text).and_then(tier_index) {
            Some(t) => columns[t].push(at),
            None => violations.push(
                Violation::new(
                    "content",
                    &msg::COLUMN,
                    format!(
                        "row {}, column {}: '{text}' names no tier",
                        header.number,
                        at + 1
                    ),
                )
                .arg("row", header.number)
                .arg("column", at + 1)
                .arg("value", text),
            ),
        }
    }
    for (t, found) in columns.iter().enumerate() {
        if found.len() != 1 {
            violations.push(
                Violation::new(
                    "content",
                    &msg::COLUMN_COUNT,
                    format!(
                        "the header must have one column of {}, it has {}",
                        QUOTA_TIERS[t].as_str(),
                        found.len()
                    ),
                )
                .arg("tier", tier_title(QUOTA_TIERS[t]))
                .arg("count", found.len()),
            );
        }
    }
    if !violations.is_empty() {
        return Err(violations);
    }
    let columns = [columns[0][0], columns[1][0]];

    let mut seen: BTreeMap<QuotaHolder, (u64, [i64; 2])> = BTreeMap::new();
    let mut declared: Option<[Option<i64>; 2]> = None;
    for row in &rows[header_at + 1..] {
        if row.is_blank() {
            continue;
        }
        let name = row.cell(0);
        if declared.is_some() {
            if filled(row) >= 2 {
                violations.push(
                    Violation::new(
                        "content",
                        &msg::AFTER_TOTAL,
                        format!("row {}: a row after the total row", row.number),
                    )
                    .arg("row", row.number),
                );
            }
            continue;
        }
        let label = if name.is_empty() { "—" } else { name };
        let mut numbers = [None, None];
        for (t, &column) in columns.iter().enumerate() {
            match cell_number(row, column, label, &header.cells[column]) {
                Ok(n) => numbers[t] = Some(n),
                Err(violation) => violations.push(violation),
            }
        }
        if is_total(name) {
            declared = Some(numbers);
            continue;
        }
        let Some(holder) = holder_named(divisions, name) else {
            violations.push(
                Violation::new(
                    "content",
                    &msg::HOLDER_UNKNOWN,
                    format!(
                        "row {}, column 1: '{name}' is neither a city, 济源 nor 省直",
                        row.number
                    ),
                )
                .arg("row", row.number)
                .arg("value", name),
            );
            continue;
        };
        if let Some((first, _)) = seen.get(&holder) {
            violations.push(
                Violation::new(
                    "content",
                    &msg::HOLDER_TWICE,
                    format!(
                        "row {}, column 1: {} is already given in row {first}",
                        row.number,
                        holder.display_name(divisions)
                    ),
                )
                .arg("row", row.number)
                .arg("holder", holder.display_name(divisions))
                .arg("first", first),
            );
            continue;
        }
        seen.insert(
            holder,
            (
                row.number,
                [numbers[0].unwrap_or(0), numbers[1].unwrap_or(0)],
            ),
        );
    }
    for holder in divisions.quota_holders() {
        if !seen.contains_key(&holder) {
            let name = holder.display_name(divisions);
            violations.push(
                Violation::new(
                    "content",
                    &msg::HOLDER_MISSING,
                    format!("the table has no row for {name}"),
                )
                .arg("holder", name),
            );
        }
    }
    if !violations.is_empty() {
        return Err(violations);
    }
    let rows: Vec<HolderRow> = divisions
        .quota_holders()
        .map(|holder| HolderRow {
            holder,
            quotas: seen[&holder].1,
        })
        .collect();
    let sums = totals(&rows);
    let discrepancies = declared
        .into_iter()
        .flat_map(|declared| {
            let header = &header.cells;
            (0..2).filter_map(move |t| {
                let declared = declared[t]?;
                (declared != sums[t]).then(|| Discrepancy {
                    tier: QUOTA_TIERS[t].as_str().to_owned(),
                    column: header[columns[t]].clone(),
                    declared,
                    sum: sums[t],
                })
            })
        })
        .collect();
    Ok(ParsedTable {
        rows,
        discrepancies,
    })
}

/// The whole number in `row`'s `column`, or the violation naming row and column.
fn cell_number(
    row: &FileRow,
    column: usize,
    label: &str,
    header: &str,
) -> std::result::Result<i64, Violation> {
    let text = row.cell(column);
    let violation = |rule, what: &str| {
        Violation::new(
            "content",
            rule,
            format!(
                "row {} ({label}), column {} ({header}): '{text}' {what}",
                row.number,
                column + 1
            ),
        )
        .arg("row", row.number)
        .arg("holder", label)
        .arg("column", column + 1)
        .arg("header", header)
        .arg("value", text)
    };
    let number: i64 = text
        .parse()
        .map_err(|_| violation(&msg::NUMBER, "is not a whole number"))?;
    if number < 0 {
        return Err(violation(&msg::NEGATIVE, "is negative"));
    }
    if number > MAX_QUOTA {
        return Err(violation(&msg::NUMBER, "is larger than any quota"));
    }
    Ok(number)
}

/// Per tier, the sum of `rows`.
pub fn totals(rows: &[HolderRow]) -> [i64; 2] {
    rows.iter().fold([0, 0], |sum, row| {
        [sum[0] + row.quotas[0], sum[1] + row.quotas[1]]
    })
}

/// A change of one holder's quota of one tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuotaChange {
    /// Whose.
    pub holder: QuotaHolder,
    /// Which tier.
    pub tier: TitleTier,
    /// The new quota.
    pub quota: i64,
}

/// `current` with `changes` applied: each tier's total stays unless `change_totals`.
pub fn reallocate(
    current: &[HolderRow],
    changes: &[QuotaChange],
    change_totals: bool,
) -> Result<Vec<HolderRow>> {
    let mut rows = current.to_vec();
    for change in changes {
        let t = tier_index(change.tier)
            .ok_or_else(|| QuotaError::Internal("a change of a tier without quota".into()))?;
        if let Some(row) = rows.iter_mut().find(|r| r.holder == change.holder) {
            row.quotas[t] = change.quota;
        }
    }
    let (before, after) = (totals(current), totals(&rows));
    if !change_totals {
        for t in 0..2 {
            if before[t] != after[t] {
                return Err(QuotaError::precondition(
                    &msg::TOTAL_CHANGED,
                    QUOTA_TIERS[t].as_str(),
                    format!(
                        "the total of {} would change from {} to {}; set change_totals to \
                         change it on purpose",
                        QUOTA_TIERS[t].as_str(),
                        before[t],
                        after[t]
                    ),
                )
                .arg("tier", tier_title(QUOTA_TIERS[t]))
                .arg("before", before[t])
                .arg("after", after[t]));
            }
        }
    }
    Ok(rows)
}

/// The holder whose places a unit takes: the provincial-direct office for a
/// provincial-direct unit, else the unit's city.
pub fn holder_of_unit(unit: &UnitFacts, divisions: &Divisions) -> Option<QuotaHolder> {
    if unit.provincial_direct {
        return Some(QuotaHolder::ProvincialDirect);
    }
    let city = unit.city_code.parse().ok()?;
    QuotaHolder::of_office(wenming_domain::OfficeKey::Region(city), divisions)
}

/// Whether `holder` may designate `unit`: non-public, registered and its own.
pub fn designated_unit(holder: QuotaHolder, unit: &UnitFacts, divisions: &Divisions) -> Result<()> {
    if !unit.kind.is_some_and(|k| k.is_non_public()) {
        return Err(QuotaError::precondition(
            &msg::UNIT_NOT_NON_PUBLIC,
            &unit.name,
            "only paired non-public units are designated",
        )
        .arg("unit", &unit.display_name));
    }
    if !unit.active {
        return Err(QuotaError::precondition(
            &msg::UNIT_DEREGISTERED,
            &unit.name,
            "the unit is deregistered",
        )
        .arg("unit", &unit.display_name));
    }
    let owner = holder_of_unit(unit, divisions);
    if owner != Some(holder) {
        let owner_name =
            owner.map_or_else(|| unit.city_code.clone(), |o| o.display_name(divisions));
        return Err(QuotaError::precondition(
            &msg::UNIT_HOLDER,
            &unit.name,
            "a provincial-direct unit takes a place of the provincial-direct office, any other \
             unit one of its city",
        )
        .arg("unit", &unit.display_name)
        .arg("holder", owner_name));
    }
    Ok(())
}

/// The open pairing a designation is made from (the oldest), or the refusal.
pub fn open_pairing<'a>(
    unit: &UnitFacts,
    pairings: &'a [PairingFacts],
) -> Result<&'a PairingFacts> {
    pairings.iter().find(|p| p.is_open()).ok_or_else(|| {
        QuotaError::precondition(
            &msg::NOT_PAIRED,
            &unit.name,
            "the unit is in no open pairing; only paired units are designated",
        )
        .arg("unit", &unit.display_name)
    })
}

/// Whether a unit standing as `standing` holds `tier` or a higher title.
pub fn titled(tier: TitleTier, standing: Option<&Standing>) -> bool {
    standing.is_some_and(|s| s.registered && s.tiers.iter().any(|held| *held >= tier))
}

/// What needs the holder's attention on an active designation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attention {
    /// Its pairing is no longer open.
    PairingNotOpen,
    /// Its unit is deregistered.
    UnitDeregistered,
}

/// The attention an active designation needs: its pairing's state (`None`: the pairing
/// service answered nothing for it) and the unit's standing.
pub fn attention(pairing_open: Option<bool>, standing: Option<&Standing>) -> Vec<Attention> {
    let mut needs = Vec::new();
    if pairing_open == Some(false) {
        needs.push(Attention::PairingNotOpen);
    }
    if standing.is_some_and(|s| !s.registered) {
        needs.push(Attention::UnitDeregistered);
    }
    needs
}

/// One holder's fulfilment of one tier.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TierCount {
    /// Places allocated.
    pub quota: i64,
    /// Active designations.
    pub designated: i64,
    /// Designated units holding the tier today.
    pub titled: i64,
}

impl TierCount {
    /// quota − titled, never below 0.
    pub fn gap(self) -> i64 {
        (self.quota - self.titled).max(0)
    }

    /// quota − designated, never below 0.
    pub fn free(self) -> i64 {
        (self.quota - self.designated).max(0)
    }

    /// The sum of two counts (province totals).
    #[must_use]
    pub fn plus(self, other: TierCount) -> TierCount {
        TierCount {
            quota: self.quota + other.quota,
            designated: self.designated + other.designated,
            titled: self.titled + other.titled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table_file::{Format, read};

    const ANNEX: &str = include_str!("../../data/annex-2021-2023.tsv");

    fn parse(text: &str) -> std::result::Result<ParsedTable, Vec<Violation>> {
        parse_table(
            Divisions::henan(),
            &read(text.as_bytes(), Format::Tsv).unwrap(),
        )
    }

    fn rules(violations: &[Violation]) -> Vec<&str> {
        violations.iter().map(|v| v.rule.name).collect()
    }

    #[test]
    fn the_annex_reads_with_both_totals_wrong() {
        let table = parse(ANNEX).unwrap();
        assert_eq!(table.rows.len(), 19);
        assert_eq!(table.rows[0].holder, QuotaHolder::ProvincialDirect);
        assert_eq!(table.rows[0].quotas, [8, 8]);
        let pingdingshan = table
            .rows
            .iter()
            .find(|r| r.holder.display_name(Divisions::henan()) == "平顶山市")
            .unwrap();
        assert_eq!(pingdingshan.quotas, [8, 32]);
        assert_eq!(totals(&table.rows), [124, 460]);
        let found: Vec<_> = table
            .discrepancies
            .iter()
            .map(|d| (d.tier.as_str(), d.column.as_str(), d.declared, d.sum))
            .collect();
        assert_eq!(
            found,
            vec![
                ("provincial_model", "河南省文明单位标兵（个）", 128, 124),
                ("provincial", "河南省文明单位（个）", 476, 460),
            ]
        );
    }

    #[test]
    fn a_title_line_and_notes_around_the_table_are_skipped() {
        let text = format!(
            "2021—2023 年度全省重点培养结对帮创非公单位指标分配表\n\n{ANNEX}\n注：按结对帮创数统计\n"
        );
        assert_eq!(parse(&text).unwrap().rows, parse(ANNEX).unwrap().rows);
    }

    #[test]
    fn every_bad_cell_is_named_by_row_and_column() {
        let text = ANNEX
            .replace("郑 州 市\t12", "郑 州 市\t十二")
            .replace("开 封 市\t8\t20", "开 封 市\t8\t-2")
            .replace("洛 阳 市", "洛 阳 县")
            .replace("安 阳 市", "平 顶 山")
            .replace("鹤 壁 市\t4\t16\n", "");
        let violations = parse(&text).unwrap_err();
        assert_eq!(
            rules(&violations),
            vec![
                "table.number",
                "table.negative",
                "table.holder_unknown",
                "table.holder_twice",
                "table.holder_missing",
                "table.holder_missing",
                "table.holder_missing",
            ]
        );
        assert!(
            violations[0]
                .description
                .contains("row 3 (郑 州 市), column 2")
        );
        assert!(
            violations[0]
                .zh_cn()
                .contains("第 3 行（郑 州 市）第 2 列（河南省文明单位标兵（个））")
        );
        assert!(violations[1].zh_cn().contains("第 4 行（开 封 市）第 3 列"));
        assert!(violations[2].zh_cn().contains("第 5 行第 1 列“洛 阳 县”"));
        assert!(violations[3].zh_cn().contains("已在第 6 行出现"));
        let missing: Vec<String> = violations[4..].iter().map(Violation::zh_cn).collect();
        assert!(missing.iter().any(|m| m.contains("洛阳市")), "{missing:?}");
        assert!(missing.iter().any(|m| m.contains("安阳市")), "{missing:?}");
        assert!(missing.iter().any(|m| m.contains("鹤壁市")), "{missing:?}");
    }

    #[test]
    fn a_header_naming_no_tier_is_refused() {
        let text = ANNEX.replace("河南省文明单位（个）", "备注");
        let violations = parse(&text).unwrap_err();
        assert_eq!(
            rules(&violations),
            vec!["table.column", "table.column_count"]
        );
        assert!(parse("").is_err());
        let after = format!("{ANNEX}\n郑 州 市\t1\t1\n");
        assert_eq!(
            rules(&parse(&after).unwrap_err()),
            vec!["table.after_total"]
        );
    }

    #[test]
    fn totals_are_optional_and_checked_when_given() {
        let without: String = ANNEX
            .lines()
            .filter(|l| !l.starts_with("合"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(parse(&without).unwrap().discrepancies.is_empty());
        let right = ANNEX.replace("128\t476", "124\t460");
        assert!(parse(&right).unwrap().discrepancies.is_empty());
    }

    #[test]
    fn reallocation_keeps_totals_unless_told() {
        let rows = parse(ANNEX).unwrap().rows;
        let zhengzhou = rows[1].holder;
        let direct = rows[0].holder;
        let moved = reallocate(
            &rows,
            &[
                QuotaChange {
                    holder: zhengzhou,
                    tier: TitleTier::ProvincialModel,
                    quota: 10,
                },
                QuotaChange {
                    holder: direct,
                    tier: TitleTier::ProvincialModel,
                    quota: 10,
                },
            ],
            false,
        )
        .unwrap();
        assert_eq!(moved[1].quotas, [10, 48]);
        assert_eq!(totals(&moved), totals(&rows));
        let grown = [QuotaChange {
            holder: zhengzhou,
            tier: TitleTier::Provincial,
            quota: 64,
        }];
        let err = reallocate(&rows, &grown, false).unwrap_err();
        assert!(
            matches!(err, QuotaError::Precondition { rule, .. } if rule.name == "quota.total_changed")
        );
        assert_eq!(
            totals(&reallocate(&rows, &grown, true).unwrap()),
            [124, 476]
        );
    }

    #[test]
    fn periods() {
        assert_eq!(Period::parse("2021-2023").unwrap().to_string(), "2021-2023");
        assert_eq!(Period::parse("2021-2023").unwrap().label_zh(), "2021—2023");
        for bad in [
            "2023-2021",
            "21-23",
            "2021-2040",
            "2021",
            "2021-2023-2025",
            "１９９９-2000",
        ] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn fulfilment_counts() {
        let count = TierCount {
            quota: 8,
            designated: 9,
            titled: 10,
        };
        assert_eq!((count.gap(), count.free()), (0, 0));
        let count = TierCount {
            quota: 8,
            designated: 5,
            titled: 2,
        };
        assert_eq!((count.gap(), count.free()), (6, 3));
        let held = Standing {
            registered: true,
            tiers: vec![TitleTier::ProvincialModel],
        };
        assert!(titled(TitleTier::Provincial, Some(&held)));
        assert!(titled(TitleTier::ProvincialModel, Some(&held)));
        assert!(!titled(TitleTier::National, Some(&held)));
        let gone = Standing {
            registered: false,
            tiers: vec![],
        };
        assert_eq!(
            attention(Some(false), Some(&gone)),
            vec![Attention::PairingNotOpen, Attention::UnitDeregistered]
        );
        assert!(attention(Some(true), Some(&held)).is_empty());
        assert!(attention(None, None).is_empty());
    }
}
