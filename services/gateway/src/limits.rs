//! Per-principal rate limits: a token bucket per subject (governor), one budget for
//! people (offices and unit users) and a larger one for machine platforms.

use std::num::NonZeroU32;
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
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            person_per_second: 20,
            person_burst: 60,
            platform_per_second: 1_000,
            platform_burst: 2_000,
        }
    }
}

/// The limiter.
#[derive(Debug)]
pub struct Limiter {
    people: DefaultKeyedRateLimiter<String>,
    platforms: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
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
        }
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
