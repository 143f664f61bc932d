//! One measurement of a load, by either generator (ours in this process, or h2load).

/// Calls answered, their rate and latencies.
pub struct Measured {
    /// Calls answered OK.
    pub calls: u64,
    pub requests_per_second: f64,
    pub p50_us: u64,
    pub p99_us: u64,
}
