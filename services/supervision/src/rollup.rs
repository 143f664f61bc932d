//! The progress roll-up, decided without I/O: every region's row sums the county-level
//! counts of its subtree (by the division table, never by code prefix), rows ordered
//! the region first, then each level below it.

use std::collections::BTreeMap;

use wenming_clients::{HolderPlaces, PairingCounts, UnitCounts};
use wenming_domain::{AdminLevel, Divisions, RegionCode};
use wenming_proto::supervision::v1 as pb;

use crate::store::SupervisionCounts;

/// The county-level counts a roll-up sums.
#[derive(Clone, Debug, Default)]
pub struct Counts {
    pub units: Vec<UnitCounts>,
    pub pairings: Vec<PairingCounts>,
    /// Open deadline items by region code.
    pub overdue: Vec<(String, u64)>,
    /// Supervision's own figures.
    pub supervision: Vec<SupervisionCounts>,
    /// The holders' places, if a table was asked for.
    pub places: Vec<HolderPlaces>,
}

/// The regions a report on `region` has rows for, in order.
pub fn report_regions(divisions: &Divisions, region: RegionCode) -> Vec<RegionCode> {
    let mut regions = vec![region];
    let children = divisions.children(region);
    match divisions.get(region).map(|d| d.level) {
        Some(AdminLevel::Province) => {
            regions.extend(children.iter().copied());
            for city in children {
                regions.extend(divisions.children(*city).iter().copied());
            }
        }
        Some(AdminLevel::City) => regions.extend(children.iter().copied()),
        _ => {}
    }
    regions
}

fn level(divisions: &Divisions, code: RegionCode) -> pb::ProgressLevel {
    match divisions.get(code).map(|d| d.level) {
        Some(AdminLevel::Province) => pb::ProgressLevel::Province,
        Some(AdminLevel::City) => pb::ProgressLevel::City,
        _ => pb::ProgressLevel::County,
    }
}

/// The rows of a report on `region`.
pub fn rows(divisions: &Divisions, region: RegionCode, counts: &Counts) -> Vec<pb::ProgressRow> {
    // Each county-level code once, with what every source counted for it.
    let mut by_code: BTreeMap<&str, pb::ProgressRow> = BTreeMap::new();
    for u in &counts.units {
        let row = by_code.entry(&u.region_code).or_default();
        row.units += u.units;
        row.reserve_pool += u.reserve_pool;
        row.nominations_submitted += u.nominations_submitted;
        row.nominations_accepted += u.nominations_accepted;
        row.nominations_returned += u.nominations_returned;
        row.titled_units += u.titled_units;
    }
    for p in &counts.pairings {
        let row = by_code.entry(&p.region_code).or_default();
        row.open_pairings += p.open_pairings;
        row.ledger_entries += p.ledger_entries;
        row.activities += p.activities;
    }
    for (code, n) in &counts.overdue {
        by_code.entry(code).or_default().overdue_items += n;
    }
    for s in &counts.supervision {
        let row = by_code.entry(&s.region_code).or_default();
        row.inspections_done += s.inspections_done;
        row.open_tasks += s.open_tasks;
        row.commendations += s.commendations;
        row.admonishment_talks += s.admonishment_talks;
    }
    let leaves: Vec<(RegionCode, &pb::ProgressRow)> = by_code
        .iter()
        .filter_map(|(code, row)| Some((RegionCode::parse(code).ok()?, row)))
        .collect();
    report_regions(divisions, region)
        .into_iter()
        .map(|code| {
            let mut row = pb::ProgressRow {
                region_code: code.to_string(),
                display_name: divisions
                    .get(code)
                    .map(|d| d.name.clone())
                    .unwrap_or_default(),
                level: level(divisions, code) as i32,
                parent_code: divisions
                    .parent(code)
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                ..Default::default()
            };
            let holders = counts
                .places
                .iter()
                .filter(|p| match level(divisions, code) {
                    pb::ProgressLevel::Province => true,
                    pb::ProgressLevel::City => p.holder == row.region_code,
                    _ => false,
                });
            for p in holders {
                row.places += p.quota;
                row.designated += p.designated;
            }
            for (leaf, counted) in &leaves {
                if divisions.contains(code, *leaf) {
                    row.units += counted.units;
                    row.reserve_pool += counted.reserve_pool;
                    row.nominations_submitted += counted.nominations_submitted;
                    row.nominations_accepted += counted.nominations_accepted;
                    row.nominations_returned += counted.nominations_returned;
                    row.open_pairings += counted.open_pairings;
                    row.ledger_entries += counted.ledger_entries;
                    row.activities += counted.activities;
                    row.titled_units += counted.titled_units;
                    row.overdue_items += counted.overdue_items;
                    row.inspections_done += counted.inspections_done;
                    row.open_tasks += counted.open_tasks;
                    row.commendations += counted.commendations;
                    row.admonishment_talks += counted.admonishment_talks;
                }
            }
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_city_sums_its_counties_and_the_province_its_cities() {
        let d = Divisions::henan();
        let counts = Counts {
            units: vec![
                UnitCounts {
                    region_code: "410421".into(),
                    units: 3,
                    ..UnitCounts::default()
                },
                UnitCounts {
                    region_code: "410422".into(),
                    units: 2,
                    ..UnitCounts::default()
                },
                UnitCounts {
                    region_code: "410102".into(),
                    units: 7,
                    ..UnitCounts::default()
                },
            ],
            pairings: vec![PairingCounts {
                region_code: "410421".into(),
                open_pairings: 1,
                ..PairingCounts::default()
            }],
            overdue: vec![("410421".into(), 4)],
            supervision: vec![SupervisionCounts {
                region_code: "410422".into(),
                commendations: 1,
                ..SupervisionCounts::default()
            }],
            places: vec![
                HolderPlaces {
                    holder: "410400".into(),
                    quota: 10,
                    designated: 4,
                },
                HolderPlaces {
                    holder: "provincial-direct".into(),
                    quota: 5,
                    designated: 1,
                },
            ],
        };
        let province = rows(d, d.province(), &counts);
        assert_eq!(province[0].units, 12);
        let city = |code: &str| province.iter().find(|r| r.region_code == code).unwrap();
        assert_eq!(city("410400").units, 5);
        assert_eq!(city("410400").level, pb::ProgressLevel::City as i32);
        assert_eq!(city("410421").open_pairings, 1);
        assert_eq!(city("410421").overdue_items, 4);
        assert_eq!(city("410400").commendations, 1);
        assert_eq!((city("410400").places, city("410400").designated), (10, 4));
        assert_eq!((province[0].places, province[0].designated), (15, 5));
        assert_eq!(city("410421").places, 0);
        assert_eq!(city("410421").parent_code, "410400");
        assert_eq!(city("410100").units, 7);
        let pingdingshan = rows(d, "410400".parse().unwrap(), &counts);
        assert_eq!(pingdingshan[0].units, 5);
        assert_eq!(
            pingdingshan.len(),
            1 + d.children("410400".parse().unwrap()).len()
        );
    }
}
