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
    CampaignFacts, ClientError, HelperFacts, Onward, Pairing, PairingFacts, Registry, Standing,
    UnitFacts,
};
use wenming_domain::{HelperKind, TitleTier, TitleValidity};

/// A registry holding what the test puts in it.
#[derive(Debug, Default)]
pub struct FakeRegistry {
    units: Mutex<HashMap<String, UnitFacts>>,
    campaigns: Mutex<HashMap<String, CampaignFacts>>,
    titles: Mutex<Vec<(String, TitleTier, TitleValidity)>>,
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
}

/// A pairing service holding what the test puts in it.
#[derive(Debug, Default)]
pub struct FakePairing {
    pairings: Mutex<Vec<PairingFacts>>,
}

impl FakePairing {
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
}
