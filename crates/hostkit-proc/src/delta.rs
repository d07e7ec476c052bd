//! Interval arithmetic: two snapshots of the same tree, matched by `(pid, starttime)` so a
//! reused PID is never mixed up with its predecessor, give per-process tick deltas over the
//! CLOCK_MONOTONIC time that actually elapsed (not the interval that was asked for).

use crate::snapshot::{Facts, Process, Snapshot};

/// Whether a process was seen in both samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// In both samples.
    Both,
    /// Started during the interval: its whole CPU time happened inside it.
    New,
    /// Gone at the second sample (its last ticks are lost).
    Exited,
}

/// One process over one interval.
#[derive(Debug, Clone)]
pub struct DeltaRow<'a> {
    /// The process as last seen (the first sample for exited ones).
    pub process: &'a Process,
    /// Seen in both samples, new or exited.
    pub presence: Presence,
    /// User ticks spent inside the interval.
    pub d_utime_ticks: u64,
    /// System ticks spent inside the interval.
    pub d_stime_ticks: u64,
    /// User ticks of children reaped inside the interval (cutime growth).
    pub d_cutime_ticks: u64,
    /// System ticks of children reaped inside the interval (cstime growth).
    pub d_cstime_ticks: u64,
    /// Nanoseconds the main thread waited on a run queue inside the interval, when
    /// `schedstat` was read in both samples (or the process is new).
    pub d_wait_ns: Option<u64>,
}

/// All processes over one interval.
#[derive(Debug, Clone)]
pub struct Interval<'a> {
    /// Monotonic seconds between the two samples.
    pub elapsed_seconds: f64,
    /// One row per process seen in either sample.
    pub rows: Vec<DeltaRow<'a>>,
    /// Clock ticks per second and CPU count.
    pub facts: Facts,
}

impl Interval<'_> {
    /// Percent of one CPU a tick delta represents over this interval.
    pub fn percent(&self, ticks: u64) -> f64 {
        if self.elapsed_seconds <= 0.0 {
            return 0.0;
        }
        100.0 * self.facts.seconds(ticks) / self.elapsed_seconds
    }
}

/// Matches `prev` and `cur` by `(pid, starttime)` and computes tick deltas. Both snapshots
/// list processes in ascending PID order (as [`crate::sys::reader::Reader`] returns them), so
/// this is one merge walk with no hashing.
pub fn delta<'a>(prev: &'a Snapshot, cur: &'a Snapshot) -> Interval<'a> {
    let (a, b) = (&prev.processes, &cur.processes);
    let mut rows = Vec::with_capacity(b.len() + 8);
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let pa = a.get(i).map(|p| p.stat.pid);
        let pb = b.get(j).map(|p| p.stat.pid);
        match (pa, pb) {
            (Some(x), Some(y)) if x == y => {
                let (old, new) = (&a[i], &b[j]);
                if old.stat.starttime_ticks == new.stat.starttime_ticks {
                    let (o, n) = (&old.stat, &new.stat);
                    let grew = |a: i64, b: i64| b.saturating_sub(a).max(0) as u64;
                    rows.push(DeltaRow {
                        process: new,
                        presence: Presence::Both,
                        d_utime_ticks: n.utime_ticks.saturating_sub(o.utime_ticks),
                        d_stime_ticks: n.stime_ticks.saturating_sub(o.stime_ticks),
                        d_cutime_ticks: grew(o.cutime_ticks, n.cutime_ticks),
                        d_cstime_ticks: grew(o.cstime_ticks, n.cstime_ticks),
                        d_wait_ns: match (old.sched, new.sched) {
                            (Some(a), Some(b)) => Some(b.wait_ns.saturating_sub(a.wait_ns)),
                            _ => None,
                        },
                    });
                } else {
                    // The PID was reused: the old process exited, a new one started.
                    rows.push(exited(old));
                    rows.push(started(new));
                }
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => {
                rows.push(exited(&a[i]));
                i += 1;
            }
            (Some(_), None) => {
                rows.push(exited(&a[i]));
                i += 1;
            }
            _ => {
                rows.push(started(&b[j]));
                j += 1;
            }
        }
    }
    let elapsed_ns = cur.monotonic_ns.saturating_sub(prev.monotonic_ns);
    Interval {
        elapsed_seconds: elapsed_ns as f64 / 1e9,
        rows,
        facts: cur.facts,
    }
}

fn exited(p: &Process) -> DeltaRow<'_> {
    DeltaRow {
        process: p,
        presence: Presence::Exited,
        d_utime_ticks: 0,
        d_stime_ticks: 0,
        d_cutime_ticks: 0,
        d_cstime_ticks: 0,
        d_wait_ns: None,
    }
}

fn started(p: &Process) -> DeltaRow<'_> {
    DeltaRow {
        process: p,
        presence: Presence::New,
        d_utime_ticks: p.stat.utime_ticks,
        d_stime_ticks: p.stat.stime_ticks,
        d_cutime_ticks: p.stat.cutime_ticks.max(0) as u64,
        d_cstime_ticks: p.stat.cstime_ticks.max(0) as u64,
        d_wait_ns: p.sched.map(|s| s.wait_ns),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::tests::{proc_, snapshot_at};

    fn snap(ps: Vec<Process>, at_ns: u64) -> Snapshot {
        snapshot_at(ps, 2, at_ns)
    }

    #[test]
    fn reused_pid_is_new_and_old_one_exited() {
        let a = snap(
            vec![
                proc_(7, "old", 'S', 50, 50, 100),
                proc_(8, "busy", 'R', 10, 20, 5),
            ],
            0,
        );
        let b = snap(
            vec![
                proc_(7, "reuse", 'R', 3, 4, 900),
                proc_(8, "busy", 'R', 60, 120, 5),
            ],
            2_000_000_000,
        );
        let iv = delta(&a, &b);
        assert_eq!(iv.elapsed_seconds, 2.0);
        let find = |pid, presence| {
            iv.rows
                .iter()
                .find(|r| r.process.stat.pid == pid && r.presence == presence)
                .unwrap()
        };
        let reused = find(7, Presence::New);
        assert_eq!((reused.d_utime_ticks, reused.d_stime_ticks), (3, 4));
        assert_eq!(find(7, Presence::Exited).process.stat.comm, b"old");
        let busy = find(8, Presence::Both);
        assert_eq!((busy.d_utime_ticks, busy.d_stime_ticks), (50, 100));
        // 100 ticks = 1 s of system time over 2 s = 50 % of one CPU.
        assert_eq!(iv.percent(busy.d_stime_ticks), 50.0);
        assert_eq!(iv.rows.len(), 3);
    }

    #[test]
    fn zero_elapsed_gives_zero_percent_not_nan() {
        let a = snap(vec![proc_(1, "x", 'S', 0, 0, 1)], 5);
        let iv = delta(&a, &a);
        assert_eq!(iv.percent(100), 0.0);
    }
}
