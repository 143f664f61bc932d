//! Deadlines are civil dates in China Standard Time, and the clock that
//! tells whether one has passed.
//!
//! "By 20 April" means until the end of 20 April in Asia/Shanghai, whatever
//! the time zone of the server.

use std::fmt;
use std::sync::{LazyLock, Mutex, PoisonError};

use jiff::civil::Date;
use jiff::tz::{self, TimeZone};
use jiff::{SignedDuration, Timestamp};

/// The IANA name of China Standard Time.
pub const CHINA_TIME_ZONE: &str = "Asia/Shanghai";

static CHINA: LazyLock<TimeZone> = LazyLock::new(|| {
    // The database is bundled (tzdb-bundle-always); the fixed offset is a
    // fallback that has been exact since China ended daylight saving in 1991.
    TimeZone::get(CHINA_TIME_ZONE).unwrap_or_else(|_| tz::offset(8).to_time_zone())
});

/// The Asia/Shanghai time zone.
pub fn china_time_zone() -> TimeZone {
    CHINA.clone()
}

/// The civil date in China at an instant.
pub fn today_in_china(now: Timestamp) -> Date {
    now.to_zoned_datetime(CHINA.clone()).date()
}

/// A deadline: the last civil day (in China) on which something may be done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Deadline {
    /// The last day, inclusive.
    pub date: Date,
}

impl Deadline {
    /// A deadline on `date`.
    pub const fn new(date: Date) -> Deadline {
        Deadline { date }
    }

    /// The first instant after the deadline: the start of the next day in
    /// Asia/Shanghai. Saturates at [`Timestamp::MAX`] for the last representable day.
    pub fn closes_at(&self) -> Timestamp {
        self.date
            .tomorrow()
            .and_then(|next| next.to_zoned_datetime(CHINA.clone()))
            .map(|start| start.timestamp())
            .unwrap_or(Timestamp::MAX)
    }

    /// Whether the deadline has not yet passed at `now`.
    pub fn is_open_at(&self, now: Timestamp) -> bool {
        now < self.closes_at()
    }
}

impl fmt::Display for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({CHINA_TIME_ZONE})", self.date)
    }
}

/// A source of the current time, injected so tests can control it.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> Timestamp;

    /// The current civil date in China.
    fn today_in_china(&self) -> Date {
        today_in_china(self.now())
    }
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that stands still until told otherwise (for tests and demos).
#[derive(Debug)]
pub struct FixedClock(Mutex<Timestamp>);

impl FixedClock {
    /// A clock showing `at`.
    pub fn new(at: Timestamp) -> FixedClock {
        FixedClock(Mutex::new(at))
    }

    /// Sets the time.
    pub fn set(&self, at: Timestamp) {
        *self.lock() = at;
    }

    /// Moves the time by `by` (negative goes back), saturating at the
    /// representable range.
    pub fn advance(&self, by: SignedDuration) {
        let mut now = self.lock();
        let limit = if by.is_negative() {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        };
        *now = now.saturating_add(by).unwrap_or(limit);
    }

    // A poisoned lock still holds a valid timestamp, so keep using it.
    fn lock(&self) -> std::sync::MutexGuard<'_, Timestamp> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *self.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn closes_at_midnight_in_shanghai() {
        let deadline = Deadline::new(date(2021, 4, 20));
        // Midnight in Shanghai is 16:00 UTC the day before.
        assert_eq!(deadline.closes_at(), ts("2021-04-20T16:00:00Z"));
        assert!(deadline.is_open_at(ts("2021-04-20T23:59:59+08:00")));
        assert!(deadline.is_open_at(ts("2021-04-20T15:59:59.999Z")));
        assert!(!deadline.is_open_at(ts("2021-04-21T00:00:00+08:00")));
        assert!(!deadline.is_open_at(ts("2021-04-20T16:00:00Z")));
        assert!(deadline.is_open_at(ts("2021-01-01T00:00:00Z")));
    }

    #[test]
    fn today_follows_china_not_utc() {
        assert_eq!(
            today_in_china(ts("2021-04-20T15:59:59Z")),
            date(2021, 4, 20)
        );
        assert_eq!(
            today_in_china(ts("2021-04-20T16:00:00Z")),
            date(2021, 4, 21)
        );
    }

    #[test]
    fn the_last_day_never_closes() {
        assert_eq!(Deadline::new(Date::MAX).closes_at(), Timestamp::MAX);
    }

    #[test]
    fn fixed_clock_can_be_set_and_advanced() {
        let clock = FixedClock::new(ts("2021-04-20T15:59:59Z"));
        let deadline = Deadline::new(date(2021, 4, 20));
        assert!(deadline.is_open_at(clock.now()));
        clock.advance(SignedDuration::from_secs(1));
        assert!(!deadline.is_open_at(clock.now()));
        assert_eq!(clock.today_in_china(), date(2021, 4, 21));
        clock.set(ts("2021-05-01T00:00:00Z"));
        assert_eq!(clock.now(), ts("2021-05-01T00:00:00Z"));
        clock.advance(SignedDuration::MIN);
        assert_eq!(clock.now(), Timestamp::MIN);
    }

    #[test]
    fn system_clock_is_a_clock() {
        let clock: &dyn Clock = &SystemClock;
        assert!(clock.now() > ts("2021-01-01T00:00:00Z"));
    }
}
