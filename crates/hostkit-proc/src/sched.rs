//! `/proc/PID/schedstat` and `/proc/PID/task/TID/schedstat` (Documentation/scheduler/
//! sched-stats.rst, `proc_pid_schedstat()` in fs/proc/base.c): `run_ns wait_ns timeslices`,
//! the nanoseconds a task spent on a CPU and waiting on a run queue for one. Needs
//! `CONFIG_SCHED_INFO`; world-readable. The wait is what pidstat reports as `%wait`.

use serde::Serialize;

/// One task's scheduler counters, cumulative since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SchedStat {
    /// Nanoseconds spent running on a CPU.
    pub run_ns: u64,
    /// Nanoseconds spent runnable, waiting on a run queue for a CPU.
    pub wait_ns: u64,
}

/// Parses a schedstat line; `None` unless it starts with two decimal numbers.
pub fn parse_schedstat(bytes: &[u8]) -> Option<SchedStat> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut f = text.split_ascii_whitespace();
    let run_ns = f.next()?.parse().ok()?;
    let wait_ns = f.next()?.parse().ok()?;
    Some(SchedStat { run_ns, wait_ns })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_run_and_wait_and_rejects_garbage() {
        assert_eq!(
            parse_schedstat(b"1525824593 8503823741 1336\n"),
            Some(SchedStat {
                run_ns: 1_525_824_593,
                wait_ns: 8_503_823_741
            })
        );
        assert_eq!(parse_schedstat(b""), None);
        assert_eq!(parse_schedstat(b"12\n"), None);
        assert_eq!(parse_schedstat(b"a b c"), None);
    }
}
