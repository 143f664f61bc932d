//! The answers of VerifyTitle, cached by credit code: the hottest read of the suite is
//! served from memory after its first database read.
//!
//! A change made through this process (award, revocation, commendation, a unit's
//! update or deregistration) removes the entry at once. A change made through another replica is
//! seen here when the entry expires, at most [`TTL`] later.

use std::sync::Arc;
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;

use super::CommendationRecord;
use super::titles::HeldTitle;

/// How long an entry is trusted.
pub const TTL: Duration = Duration::from_secs(10);
/// Entries kept (about 1 KiB each at most).
const CAPACITY: usize = 100_000;

/// What VerifyTitle needs about one unit, for every caller and date.
#[derive(Debug)]
pub struct UnitTitles {
    pub unit_id: String,
    pub region_code: String,
    pub city_code: String,
    pub display_name: String,
    pub active: bool,
    /// The day it was deregistered, if recorded.
    pub deregistered_on: Option<jiff::civil::Date>,
    /// Of the provincial-direct system.
    pub provincial_direct: bool,
    /// Every title record of the unit; the date decides which are held.
    pub titles: Vec<HeldTitle>,
    /// Every commendation on its record; the date decides which are shown.
    pub commendations: Vec<CommendationRecord>,
}

/// The cache.
#[derive(Clone, Debug)]
pub struct VerifyCache {
    entries: Arc<Cache<String, (Instant, Arc<UnitTitles>)>>,
}

impl Default for VerifyCache {
    fn default() -> Self {
        Self {
            entries: Arc::new(Cache::new(CAPACITY)),
        }
    }
}

impl VerifyCache {
    /// A fresh entry, if any.
    pub fn get(&self, credit_code: &str) -> Option<Arc<UnitTitles>> {
        let fresh = self
            .entries
            .get(credit_code)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, entry)| entry);
        wenming_runtime::metrics::cache_lookup("verify_title", fresh.is_some());
        fresh
    }

    /// Stores what was just read.
    pub fn put(&self, credit_code: String, entry: Arc<UnitTitles>) {
        self.entries.insert(credit_code, (Instant::now(), entry));
    }

    /// Forgets a unit after a change to it or its titles.
    pub fn forget(&self, credit_code: &str) {
        self.entries.remove(credit_code);
    }
}
