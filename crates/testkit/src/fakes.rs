//! In-memory stand-ins for the services a service calls, for tests of its rules that
//! need answers a real server does not give on demand (a title that lapses tomorrow, a
//! registry that is down for one call). They apply no scope: every unit is visible.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use jiff::civil::Date;
use tonic::Status;
use wenming_clients::messages::{CAMPAIGN, PAIRING, REGISTRY, UNIT};
use wenming_clients::{
    CampaignFacts, ClientError, HelperFacts, HolderPlaces, ListReport, NominationTally, Onward,
    OverdueMilestone, Pairing, PairingCounts, PairingFacts, Quota, Registry, Standing,
    UnitCommendation, UnitCounts, UnitFacts,
};
use wenming_domain::{HelperKind, TitleTier, TitleValidity};

/// A registry holding what the test puts in it.
#[derive(Debug, Default)]
pub struct FakeRegistry {
    units: Mutex<HashMap<String, UnitFacts>>,
    campaigns: Mutex<HashMap<String, CampaignFacts>>,
    titles: Mutex<Vec<(String, TitleTier, TitleValidity)>>,
    commendations: Mutex<Vec<(String, UnitCommendation)>>,
    tallies: Mutex<HashMap<String, Vec<NominationTally>>>,
    down: AtomicBool,
}

impl FakeRegistry {
    /// Adds (or replaces) a unit.
    pub fn put_unit(&self, unit: UnitFacts) {
        lock(&self.units).insert(unit.name.clone(), unit);
    }

    /// Adds (or replaces) a campaign.
    pub fn put_campaign(&self, campaign: CampaignFacts) {
        lock(&self.campaigns).insert(campaign.name.clone(), campaign);
    }

    /// Records a title of `unit`.
    pub fn put_title(&self, unit: &str, tier: TitleTier, validity: TitleValidity) {
        lock(&self.titles).push((unit.to_owned(), tier, validity));
    }

    /// Sets the nomination tally of a campaign.
    pub fn put_tally(&self, campaign: &str, tally: Vec<NominationTally>) {
        lock(&self.tallies).insert(campaign.to_owned(), tally);
    }

    /// The commendations recorded, with their units.
    pub fn commendations(&self) -> Vec<(String, UnitCommendation)> {
        lock(&self.commendations).clone()
    }

    /// Makes every call fail as an unreachable registry does (or stop doing so).
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    fn check_up(&self) -> Result<(), ClientError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(ClientError::Upstream {
                service: &REGISTRY,
                status: Status::unavailable("the fake registry is down"),
            });
        }
        Ok(())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[tonic::async_trait]
impl Registry for FakeRegistry {
    async fn unit(
        &self,
        _onward: &Onward,
        _field: &str,
        name: &str,
    ) -> Result<UnitFacts, ClientError> {
        self.check_up()?;
        lock(&self.units)
            .get(name)
            .cloned()
            .ok_or_else(|| ClientError::NotFound {
                kind: &UNIT,
                name: name.to_owned(),
            })
    }

    async fn campaign(
        &self,
        _onward: &Onward,
        _field: &str,
        name: &str,
    ) -> Result<CampaignFacts, ClientError> {
        self.check_up()?;
        lock(&self.campaigns)
            .get(name)
            .cloned()
            .ok_or_else(|| ClientError::NotFound {
                kind: &CAMPAIGN,
                name: name.to_owned(),
            })
    }

    async fn child_campaigns(
        &self,
        _onward: &Onward,
        _field: &str,
        name: &str,
    ) -> Result<Vec<CampaignFacts>, ClientError> {
        self.check_up()?;
        let mut children: Vec<CampaignFacts> = lock(&self.campaigns)
            .values()
            .filter(|c| c.parent.as_deref() == Some(name))
            .cloned()
            .collect();
        children.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(children)
    }

    async fn helper(
        &self,
        _onward: &Onward,
        _field: &str,
        name: &str,
        day: Date,
    ) -> Result<HelperFacts, ClientError> {
        self.check_up()?;
        let unit = lock(&self.units)
            .get(name)
            .cloned()
            .ok_or_else(|| ClientError::NotFound {
                kind: &UNIT,
                name: name.to_owned(),
            })?;
        let mut helper_tiers: Vec<TitleTier> = lock(&self.titles)
            .iter()
            .filter(|(holder, tier, validity)| {
                unit.active
                    && holder == name
                    && HelperKind::ALL
                        .iter()
                        .any(|kind| kind.required_title() == Some(*tier))
                    && validity.is_valid_on(day)
            })
            .map(|(_, tier, _)| *tier)
            .collect();
        helper_tiers.sort_by_key(|t| std::cmp::Reverse(*t));
        helper_tiers.dedup();
        Ok(HelperFacts {
            name: unit.name,
            display_name: unit.display_name,
            registered: unit.active,
            helper_tiers,
        })
    }

    async fn standings(
        &self,
        _onward: &Onward,
        credit_codes: &[String],
        day: Date,
    ) -> Result<Vec<Option<Standing>>, ClientError> {
        self.check_up()?;
        let units = lock(&self.units);
        let titles = lock(&self.titles);
        Ok(credit_codes
            .iter()
            .map(|code| {
                let unit = units.values().find(|u| &u.credit_code == code)?;
                let mut tiers: Vec<TitleTier> = titles
                    .iter()
                    .filter(|(holder, _, validity)| {
                        unit.active && *holder == unit.name && validity.is_valid_on(day)
                    })
                    .map(|(_, tier, _)| *tier)
                    .collect();
                tiers.sort_by_key(|t| std::cmp::Reverse(*t));
                tiers.dedup();
                Some(Standing {
                    registered: unit.active,
                    tiers,
                })
            })
            .collect())
    }

    async fn record_commendation(
        &self,
        _onward: &Onward,
        unit: &str,
        commendation: &UnitCommendation,
    ) -> Result<(), ClientError> {
        self.check_up()?;
        let mut all = lock(&self.commendations);
        all.retain(|(u, c)| !(u == unit && c.document_number == commendation.document_number));
        all.push((unit.to_owned(), commendation.clone()));
        Ok(())
    }

    async fn campaigns(&self, _onward: &Onward) -> Result<Vec<CampaignFacts>, ClientError> {
        self.check_up()?;
        let mut all: Vec<CampaignFacts> = lock(&self.campaigns).values().cloned().collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }

    async fn nomination_tally(
        &self,
        _onward: &Onward,
        campaign: &str,
    ) -> Result<Vec<NominationTally>, ClientError> {
        self.check_up()?;
        Ok(lock(&self.tallies)
            .get(campaign)
            .cloned()
            .unwrap_or_default())
    }

    async fn unit_counts(
        &self,
        _onward: &Onward,
        _region: &str,
        _campaign: Option<&str>,
        _day: Date,
    ) -> Result<Vec<UnitCounts>, ClientError> {
        self.check_up()?;
        let mut by_region: std::collections::BTreeMap<String, UnitCounts> = Default::default();
        for unit in lock(&self.units).values().filter(|u| u.active) {
            let c = by_region
                .entry(unit.region_code.clone())
                .or_insert_with(|| UnitCounts {
                    region_code: unit.region_code.clone(),
                    ..UnitCounts::default()
                });
            c.units += 1;
        }
        Ok(by_region.into_values().collect())
    }
}

/// A pairing service holding what the test puts in it.
#[derive(Debug, Default)]
pub struct FakePairing {
    pairings: Mutex<Vec<PairingFacts>>,
    reports: Mutex<HashMap<String, Vec<ListReport>>>,
}

impl FakePairing {
    /// Sets where the offices' lists of a provincial campaign stand.
    pub fn put_reports(&self, campaign: &str, reports: Vec<ListReport>) {
        lock(&self.reports).insert(campaign.to_owned(), reports);
    }

    /// Adds (or replaces) a pairing.
    pub fn put_pairing(&self, pairing: PairingFacts) {
        let mut pairings = lock(&self.pairings);
        pairings.retain(|p| p.name != pairing.name);
        pairings.push(pairing);
    }
}

#[tonic::async_trait]
impl Pairing for FakePairing {
    async fn pairing(
        &self,
        _onward: &Onward,
        _field: &str,
        name: &str,
    ) -> Result<PairingFacts, ClientError> {
        lock(&self.pairings)
            .iter()
            .find(|p| p.name == name)
            .cloned()
            .ok_or_else(|| ClientError::NotFound {
                kind: &PAIRING,
                name: name.to_owned(),
            })
    }

    async fn open_pairings_of(
        &self,
        _onward: &Onward,
        _field: &str,
        unit: &str,
    ) -> Result<Vec<PairingFacts>, ClientError> {
        let mut open: Vec<PairingFacts> = lock(&self.pairings)
            .iter()
            .filter(|p| p.unit == unit && p.is_open())
            .cloned()
            .collect();
        open.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(open)
    }

    async fn list_reports(
        &self,
        _onward: &Onward,
        campaign: &str,
    ) -> Result<Vec<ListReport>, ClientError> {
        Ok(lock(&self.reports)
            .get(campaign)
            .cloned()
            .unwrap_or_default())
    }

    async fn pairing_counts(
        &self,
        _onward: &Onward,
        _region: &str,
        _period: (Option<Date>, Option<Date>),
    ) -> Result<Vec<PairingCounts>, ClientError> {
        let mut by_region: std::collections::BTreeMap<String, PairingCounts> = Default::default();
        for p in lock(&self.pairings).iter().filter(|p| p.is_open()) {
            by_region
                .entry(p.unit_region_code.clone())
                .or_insert_with(|| PairingCounts {
                    region_code: p.unit_region_code.clone(),
                    ..PairingCounts::default()
                })
                .open_pairings += 1;
        }
        Ok(by_region.into_values().collect())
    }

    async fn overdue_milestones(
        &self,
        _onward: &Onward,
        _today: Date,
    ) -> Result<Vec<OverdueMilestone>, ClientError> {
        Ok(Vec::new())
    }
}

/// A quota service holding what the test puts in it.
#[derive(Debug, Default)]
pub struct FakeQuota {
    tables: Mutex<HashMap<String, Vec<HolderPlaces>>>,
}

impl FakeQuota {
    /// Sets the places of a table.
    pub fn put_places(&self, table: &str, places: Vec<HolderPlaces>) {
        lock(&self.tables).insert(table.to_owned(), places);
    }
}

#[tonic::async_trait]
impl Quota for FakeQuota {
    async fn places(
        &self,
        _onward: &Onward,
        table: &str,
    ) -> Result<Vec<HolderPlaces>, ClientError> {
        Ok(lock(&self.tables).get(table).cloned().unwrap_or_default())
    }
}
