//! CPU time per VerifyTitle of `wenming up`, to compare builds of it. Steadier than
//! throughput on a shared machine, whose speed moves by tens of percent from one minute
//! to the next while the work a call takes does not. Each binary runs as `wenming up`
//! (a process of its own, with its telemetry, holding the units of `verify`); in each
//! round h2load loads each in turn, and the process's user + system time over the load
//! (from `/proc/PID/stat`) is divided by the calls it answered.

use std::path::PathBuf;
use std::time::Duration;

use crate::BenchResult;
use crate::load::{median, range};
use crate::processes::Processes;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Clock ticks per second of `/proc/PID/stat`'s times (Linux's USER_HZ).
const TICKS_PER_SECOND: f64 = 100.0;

/// User + system time of process `pid` so far, in clock ticks (its threads', exited
/// ones included).
fn cpu_ticks(pid: u32) -> Result<u64, Error> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it,
    // where the state is field 3, so utime (14) and stime (15) are the 12th and 13th.
    let after_name = stat.rsplit_once(')').ok_or("no command name")?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |i: usize| -> Result<u64, Error> {
        Ok(fields.get(i).ok_or("/proc/PID/stat too short")?.parse()?)
    };
    Ok(field(11)? + field(12)?)
}

/// Loads each binary's `wenming up` with `in_flight` calls for `seconds` per round.
pub async fn run(binaries: &[PathBuf], seconds: u64, rounds: u32, in_flight: usize) -> BenchResult {
    let h2load = crate::h2load::ensure_installed()?;
    let mut suites = Vec::new();
    for binary in binaries {
        let up = Processes::up(binary)?;
        let bearer = crate::load::seed_processes(&up).await?;
        let channel = tonic::transport::Channel::from_shared(format!("http://{}", up.gateway))?
            .connect()
            .await?;
        let call = crate::load::h2load_verify_call(channel, up.gateway.clone(), bearer).await?;
        suites.push((binary, up, call));
    }
    let duration = Duration::from_secs(seconds.max(1));
    let mut per_call: Vec<Vec<f64>> = vec![Vec::new(); suites.len()];
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); suites.len()];
    for _ in 0..rounds.max(1) {
        for (i, (_, up, call)) in suites.iter().enumerate() {
            let before = cpu_ticks(up.pid())?;
            let measured = crate::h2load::run(&h2load, call, in_flight, 4, duration)?;
            let ticks = cpu_ticks(up.pid())?.saturating_sub(before);
            per_call[i].push(ticks as f64 / TICKS_PER_SECOND * 1e6 / measured.calls.max(1) as f64);
            rates[i].push(measured.requests_per_second);
        }
    }
    println!(
        "wenming up under h2load (1 thread, 4 connections, {in_flight} in flight), {} rounds of {seconds} s each:",
        rounds.max(1)
    );
    println!(
        "{:<40} {:>14} {:>16} {:>10} {:>12}",
        "binary", "CPU µs / call", "(min–max)", "req/s", "vs first"
    );
    let first = median(&mut per_call[0].clone());
    for (i, (binary, _, _)) in suites.iter().enumerate() {
        let (min, max) = range(&per_call[i]);
        let cpu = median(&mut per_call[i]);
        println!(
            "{:<40} {:>14.1} {:>16} {:>10.0} {:>11.2}x",
            binary.display(),
            cpu,
            format!("({min:.1}–{max:.1})"),
            median(&mut rates[i]),
            cpu / first,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_process_has_spent_some_cpu() {
        let pid = std::process::id();
        let spin = std::time::Instant::now();
        let mut x = 0u64;
        while spin.elapsed() < std::time::Duration::from_millis(50) {
            x = x.wrapping_add(1);
        }
        assert!(x > 0);
        let ticks = super::cpu_ticks(pid).unwrap();
        assert!(ticks >= 1, "{ticks}");
    }
}
