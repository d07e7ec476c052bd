//! Where the CPU of one interval went. `/proc/stat`'s `cpu` line says how many ticks the
//! kernel charged to tasks (user + nice + system); the processes read account for part of it:
//! their own utime/stime growth, whole lives of processes that started inside the interval,
//! and the cutime/cstime growth of parents that reaped children inside it. The rest belongs to
//! processes that started and exited within the interval without a visible reaper, or exited
//! before their last ticks were read: "unaccounted (exited within the interval)".

use std::collections::HashSet;

use serde::Serialize;

use crate::delta::{Interval, Presence};
use crate::system::CpuTimes;

/// The accounting of one interval, in ticks (USER_HZ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// `/proc/stat` `cpu` line growth over the interval, all CPUs.
    pub cpu: CpuTimes,
    /// Ticks charged to tasks: user + nice + system.
    pub task_ticks: u64,
    /// utime + stime growth of the processes seen (whole times for new ones).
    pub live_ticks: u64,
    /// cutime + cstime growth of live parents, less what their exited children had already
    /// shown in the previous sample.
    pub reaped_ticks: u64,
    /// The ticks of the rows that passed the filters (children folded in with `--children`).
    pub shown_ticks: u64,
}

impl Coverage {
    /// Ticks the processes read account for.
    pub fn accounted_ticks(&self) -> u64 {
        self.live_ticks + self.reaped_ticks
    }

    /// Task ticks nobody visible accounts for (exited within the interval).
    pub fn unaccounted_ticks(&self) -> u64 {
        self.task_ticks.saturating_sub(self.accounted_ticks())
    }

    /// `part` as a fraction of the task ticks (0 when the kernel charged none).
    pub fn ratio(&self, part: u64) -> f64 {
        if self.task_ticks == 0 {
            0.0
        } else {
            part as f64 / self.task_ticks as f64
        }
    }
}

/// The accounting of `iv` given the two `/proc/stat` readings; `shown_ticks` is what the
/// caller's rows add up to.
pub fn coverage(iv: &Interval, before: &CpuTimes, after: &CpuTimes, shown_ticks: u64) -> Coverage {
    let cpu = after.since(before);
    // Parents whose cutime/cstime can carry an exited child's life up to a live process: the
    // live ones, and those that exited too (a chain of exits ends in a live reaper).
    let parents: HashSet<i32> = iv
        .rows
        .iter()
        .filter(|r| r.presence != Presence::New)
        .map(|r| r.process.stat.pid)
        .collect();
    let (mut live, mut reaped, mut already_seen) = (0u64, 0u64, 0u64);
    for r in &iv.rows {
        match r.presence {
            Presence::Both | Presence::New => {
                live += r.d_utime_ticks + r.d_stime_ticks;
                reaped += r.d_cutime_ticks + r.d_cstime_ticks;
            }
            Presence::Exited => {
                // Its parent's cutime/cstime now holds its whole life, part of which the
                // previous intervals already counted.
                if parents.contains(&r.process.stat.ppid) {
                    let s = &r.process.stat;
                    already_seen += s.utime_ticks
                        + s.stime_ticks
                        + s.cutime_ticks.max(0) as u64
                        + s.cstime_ticks.max(0) as u64;
                }
            }
        }
    }
    Coverage {
        cpu,
        task_ticks: cpu.task_ticks(),
        live_ticks: live,
        reaped_ticks: reaped.saturating_sub(already_seen),
        shown_ticks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delta::delta;
    use crate::snapshot::tests::{proc_, snapshot_at};

    fn cpu(user: u64, system: u64) -> CpuTimes {
        CpuTimes {
            user,
            system,
            ..Default::default()
        }
    }

    /// A shell (pid 10) reaps a child seen before (pid 11, 5 ticks then) whose life totals
    /// 8 ticks, plus children that lived only inside the interval (12 more ticks); 5 ticks
    /// of the kernel's 40 belong to nobody visible.
    #[test]
    fn reaped_children_count_once_and_the_rest_is_unaccounted() {
        let mut shell_a = proc_(10, "sh", 'S', 10, 10, 1);
        shell_a.stat.cutime_ticks = 100;
        let mut shell_b = proc_(10, "sh", 'S', 13, 12, 1);
        shell_b.stat.cutime_ticks = 100 + 8 + 12;
        let mut child = proc_(11, "work", 'R', 3, 2, 50);
        child.stat.ppid = 10;
        let a = snapshot_at(vec![shell_a, child], 2, 0);
        let b = snapshot_at(
            vec![shell_b, proc_(30, "new", 'R', 2, 1, 90)],
            2,
            1_000_000_000,
        );
        let iv = delta(&a, &b);
        let c = coverage(&iv, &cpu(1000, 500), &cpu(1025, 515), 5);
        assert_eq!(c.task_ticks, 40);
        assert_eq!(c.live_ticks, 5 + 3);
        assert_eq!(c.reaped_ticks, 20 - 5);
        assert_eq!(c.accounted_ticks(), 23);
        assert_eq!(c.unaccounted_ticks(), 17);
        assert_eq!(c.ratio(c.accounted_ticks()), 23.0 / 40.0);
    }

    #[test]
    fn an_idle_interval_has_zero_ratio_not_nan() {
        let a = snapshot_at(vec![], 1, 0);
        let iv = delta(&a, &a);
        let c = coverage(&iv, &cpu(1, 1), &cpu(1, 1), 0);
        assert_eq!(c.ratio(0), 0.0);
        assert_eq!(c.unaccounted_ticks(), 0);
    }
}
