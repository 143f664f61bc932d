//! Per-principal rate limits: a token bucket per subject (governor), one budget for
//! people (offices and unit users) and a larger one for machine platforms; and the
//! server streams (the title feed, deadline watches) one subject may hold open at once.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use wenming_authz::{Principal, Role};

/// Budgets per subject.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct RateLimits {
    /// Sustained calls per second of one office or unit user.
    pub person_per_second: u32,
    /// Calls one office or unit user may make at once.
    pub person_burst: u32,
    /// Sustained calls per second of one platform.
    pub platform_per_second: u32,
    /// Calls one platform may make at once.
    pub platform_burst: u32,
    /// Server streams one subject (an office, a unit user, a platform) may hold open at
    /// once: each holds a task and a subscription in the service for as long as it is
    /// open, so open streams are bounded per caller as calls are.
    pub streams_per_caller: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            person_per_second: 20,
            person_burst: 60,
            platform_per_second: 1_000,
            platform_burst: 2_000,
            streams_per_caller: 8,
        }
    }
}

/// The limiter.
#[derive(Debug)]
pub struct Limiter {
    people: DefaultKeyedRateLimiter<String>,
    platforms: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    /// Open server streams by subject (subjects with none are not kept).
    streams: Arc<Mutex<HashMap<String, u32>>>,
    streams_per_caller: u32,
}

fn quota(per_second: u32, burst: u32) -> Quota {
    let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(rate).allow_burst(burst)
}

impl Limiter {
    /// A limiter with these budgets.
    pub fn new(limits: &RateLimits) -> Self {
        Self {
            people: RateLimiter::keyed(quota(limits.person_per_second, limits.person_burst)),
            platforms: RateLimiter::keyed(quota(limits.platform_per_second, limits.platform_burst)),
            clock: DefaultClock::default(),
            streams: Arc::default(),
            streams_per_caller: limits.streams_per_caller.max(1),
        }
    }

    /// Opens a server stream for the principal, held until the permit is dropped (when
    /// the stream ends or the caller goes away), or says how many it may hold.
    pub fn open_stream(&self, principal: &Principal) -> Result<StreamPermit, u32> {
        let mut open = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        let held = open.entry(principal.subject.clone()).or_default();
        if *held >= self.streams_per_caller {
            wenming_runtime::metrics::rate_limited("streams");
            return Err(self.streams_per_caller);
        }
        *held += 1;
        Ok(StreamPermit {
            streams: self.streams.clone(),
            subject: principal.subject.clone(),
        })
    }

    /// Takes one call from the principal's budget, or says how long to wait.
    pub fn check(&self, principal: &Principal) -> Result<(), Duration> {
        let (limiter, budget) = match principal.role {
            Role::Platform { .. } => (&self.platforms, "platform"),
            Role::Office { .. } | Role::ProvincialDirect | Role::Unit { .. } => {
                (&self.people, "person")
            }
        };
        limiter.check_key(&principal.subject).map_err(|not_until| {
            wenming_runtime::metrics::rate_limited(budget);
            not_until.wait_time_from(self.clock.now())
        })
    }
}

/// One open server stream of a subject.
#[derive(Debug)]
pub struct StreamPermit {
    streams: Arc<Mutex<HashMap<String, u32>>>,
    subject: String,
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut open = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = open.get_mut(&self.subject) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                open.remove(&self.subject);
            }
        }
    }
}
