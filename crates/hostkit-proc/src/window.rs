//! `proc load` over a short window instead of one instant: the R and D counts averaged over
//! several samples, and, from `schedstat` growth, how many tasks were on a CPU and how many
//! waited on a run queue for one (R load = running + waiting; the user wants to see which).
//! Also whether the reader sees every task: `hidepid` or a container's PID namespace hide
//! some, and a load explained from a partial view would mislead.

use std::collections::HashMap;

use serde::Serialize;

use crate::snapshot::Snapshot;
use crate::state::State;

/// The window's averages.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LoadWindow {
    /// Monotonic seconds between the first and last sample.
    pub seconds: f64,
    /// Samples taken.
    pub samples: usize,
    /// Mean threads in R per sample.
    pub runnable_mean: f64,
    /// Mean threads in D per sample.
    pub uninterruptible_mean: f64,
    /// Mean tasks on a CPU over the window (schedstat run time / window), when read.
    pub on_cpu_mean: Option<f64>,
    /// Mean tasks waiting on a run queue (schedstat wait time / window), when read.
    pub waiting_mean: Option<f64>,
}

/// How much of the kernel's task count the reader saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Visibility {
    /// Threads of the processes read.
    pub visible_threads: u64,
    /// All threads per `/proc/loadavg`.
    pub kernel_threads: u64,
}

impl Visibility {
    /// True when the reader saw under 90 % of the kernel's threads (hidepid, a PID
    /// namespace): R and D counts may miss tasks.
    pub fn is_partial(&self) -> bool {
        self.visible_threads * 10 < self.kernel_threads * 9
    }
}

/// The visibility of one snapshot, when `/proc/loadavg` was read.
pub fn visibility(snap: &Snapshot) -> Option<Visibility> {
    let total = snap.system.loadavg.as_ref()?.total_threads;
    let visible = snap
        .processes
        .iter()
        .map(|p| p.stat.num_threads.max(1) as u64)
        .sum();
    Some(Visibility {
        visible_threads: visible,
        kernel_threads: total,
    })
}

/// Averages over `samples` (in time order; at least two for the schedstat means).
pub fn load_window(samples: &[Snapshot]) -> Option<LoadWindow> {
    let (first, last) = (samples.first()?, samples.last()?);
    let n = samples.len() as f64;
    let count = |s: &Snapshot, state: State| -> u64 {
        s.processes
            .iter()
            .flat_map(|p| p.tasks())
            .filter(|t| t.stat.state == state)
            .count() as u64
    };
    let mean = |state| samples.iter().map(|s| count(s, state)).sum::<u64>() as f64 / n;
    let elapsed_ns = last.monotonic_ns.saturating_sub(first.monotonic_ns);
    let (mut run, mut wait, mut any) = (0u64, 0u64, false);
    if samples.len() >= 2 && elapsed_ns > 0 {
        let before: HashMap<(i32, u64), (u64, u64)> = first
            .processes
            .iter()
            .flat_map(|p| p.tasks())
            .filter_map(|t| {
                let s = t.sched?;
                Some(((t.stat.pid, t.stat.starttime_ticks), (s.run_ns, s.wait_ns)))
            })
            .collect();
        for t in last.processes.iter().flat_map(|p| p.tasks()) {
            let Some(s) = t.sched else { continue };
            any = true;
            // A task that started inside the window counts whole.
            let (r0, w0) = before
                .get(&(t.stat.pid, t.stat.starttime_ticks))
                .copied()
                .unwrap_or((0, 0));
            run += s.run_ns.saturating_sub(r0);
            wait += s.wait_ns.saturating_sub(w0);
        }
    }
    let per_window = |ns: u64| any.then(|| ns as f64 / elapsed_ns as f64);
    Some(LoadWindow {
        seconds: elapsed_ns as f64 / 1e9,
        samples: samples.len(),
        runnable_mean: mean(State::RUNNING),
        uninterruptible_mean: mean(State::DISK),
        on_cpu_mean: per_window(run),
        waiting_mean: per_window(wait),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::SchedStat;
    use crate::snapshot::tests::{proc_, snapshot_at};

    fn with_sched(mut p: crate::Process, run_ns: u64, wait_ns: u64) -> crate::Process {
        p.sched = Some(SchedStat { run_ns, wait_ns });
        p
    }

    /// Two spinners share one CPU for 1 s: each ran 0.5 s and waited 0.5 s.
    #[test]
    fn running_and_waiting_split_the_r_load() {
        let a = snapshot_at(
            vec![
                with_sched(proc_(1, "a", 'R', 0, 0, 1), 0, 0),
                with_sched(proc_(2, "b", 'R', 0, 0, 1), 0, 0),
                proc_(3, "d", 'D', 0, 0, 1),
            ],
            1,
            0,
        );
        let mut b = a.clone();
        b.monotonic_ns = 1_000_000_000;
        b.processes[0].sched = Some(SchedStat {
            run_ns: 500_000_000,
            wait_ns: 500_000_000,
        });
        b.processes[1].sched = Some(SchedStat {
            run_ns: 500_000_000,
            wait_ns: 500_000_000,
        });
        b.processes[1].stat.state = State::SLEEPING;
        let w = load_window(&[a, b]).unwrap();
        assert_eq!(w.samples, 2);
        assert_eq!(w.seconds, 1.0);
        assert_eq!((w.runnable_mean, w.uninterruptible_mean), (1.5, 1.0));
        assert_eq!((w.on_cpu_mean, w.waiting_mean), (Some(1.0), Some(1.0)));
    }

    #[test]
    fn partial_view_below_ninety_percent() {
        let v = |a, b| Visibility {
            visible_threads: a,
            kernel_threads: b,
        };
        assert!(v(5, 300).is_partial());
        assert!(!v(295, 300).is_partial());
    }
}
