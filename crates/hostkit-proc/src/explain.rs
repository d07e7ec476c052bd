//! `proc load`: the load average explained. The kernel folds the number of R plus D *threads*
//! into an EWMA every ~5 s (kernel/sched/loadavg.c); `/proc/loadavg` shows only R and
//! `procs_blocked` only the D tasks in I/O wait, so a load of 132 with 9 running looks like a
//! mystery. This module counts both from a snapshot, groups the D tasks by (comm, wchan) and
//! says it in one sentence.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::psi::PsiLine;
use crate::snapshot::Snapshot;
use crate::stat::escape_comm;
use crate::state::State;
use crate::system::LoadAvg;
use crate::window::{LoadWindow, Visibility, visibility};

/// How many PIDs to name per culprit group.
pub const OLDEST_PIDS: usize = 3;

/// D tasks sharing a command name and wait channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Culprit {
    /// Thread command name, escaped.
    pub comm: String,
    /// Kernel wait channel, `?` when unreadable.
    pub wchan: String,
    /// D threads in the group.
    pub count: u32,
    /// Up to [`OLDEST_PIDS`] process IDs, oldest (earliest start) first.
    pub oldest_pids: Vec<i32>,
}

/// Identical folded kernel stacks of D tasks (`--stack`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoldedStack {
    /// Frames innermost first, offsets stripped.
    pub frames: Vec<String>,
    /// D threads with this stack.
    pub count: u32,
    /// Up to [`OLDEST_PIDS`] process IDs.
    pub pids: Vec<i32>,
}

/// Direction of the load: load1 against load5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// load1 clearly above load5.
    Rising,
    /// load1 clearly below load5.
    Falling,
    /// Within 10 %.
    Steady,
}

/// Everything `proc load` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadExplanation {
    /// `/proc/loadavg` if readable.
    pub loadavg: Option<LoadAvg>,
    /// CPUs online.
    pub ncpu: u32,
    /// Threads in R now (the reader included).
    pub runnable: u32,
    /// Threads in D now.
    pub uninterruptible: u32,
    /// `procs_blocked` from `/proc/stat`: the D threads in I/O wait.
    pub procs_blocked: Option<u64>,
    /// Idle kernel threads (I): D-like but never counted.
    pub idle_kthreads: u32,
    /// Processes whose leader is not D but which have a D thread.
    pub hidden_d_processes: u32,
    /// D groups, largest first.
    pub culprits: Vec<Culprit>,
    /// Folded stacks when they were read.
    pub stacks: Vec<FoldedStack>,
    /// load1 vs load5.
    pub trend: Option<Trend>,
    /// PSI lines.
    pub psi: Vec<PsiLine>,
    /// Averages over the sampling window (`--window`), when more than one sample was taken.
    pub window: Option<LoadWindow>,
    /// How many of the kernel's threads the reader saw.
    pub visibility: Option<Visibility>,
}

impl LoadExplanation {
    /// Threads that count toward the load now: R + D.
    pub fn counted(&self) -> u32 {
        self.runnable + self.uninterruptible
    }

    /// The one-sentence explanation.
    pub fn sentence(&self) -> String {
        let mut s = match &self.loadavg {
            Some(l) => format!(
                "load {:.2}/{:.2}/{:.2} on {} CPU{}",
                l.load1,
                l.load5,
                l.load15,
                self.ncpu,
                plural(self.ncpu)
            ),
            None => format!(
                "load unknown (no loadavg) on {} CPU{}",
                self.ncpu,
                plural(self.ncpu)
            ),
        };
        let (verb, noun) = if self.counted() == 1 {
            ("counts", "task")
        } else {
            ("count", "tasks")
        };
        s.push_str(&format!(
            "; now {} {noun} {verb} toward it: {} runnable (R) + {} uninterruptible (D)",
            self.counted(),
            self.runnable,
            self.uninterruptible
        ));
        if let Some(w) = self.window.filter(|w| w.samples > 1) {
            s.push_str(&format!(
                "; over {:.1} s ({} samples) on average {:.1} R",
                w.seconds, w.samples, w.runnable_mean
            ));
            if let (Some(run), Some(wait)) = (w.on_cpu_mean, w.waiting_mean) {
                s.push_str(&format!(
                    " ({run:.1} on a CPU + {wait:.1} waiting for one, from schedstat)"
                ));
            }
            s.push_str(&format!(" and {:.1} D", w.uninterruptible_mean));
        }
        if let Some(blocked) = self.procs_blocked {
            let not_io = u64::from(self.uninterruptible).saturating_sub(blocked);
            s.push_str(&format!(
                "; {not_io} of the D are not in I/O wait (procs_blocked {blocked})"
            ));
        }
        if self.hidden_d_processes > 0 {
            let (n, verb) = match self.hidden_d_processes {
                1 => (String::from("1 process"), "hides"),
                n => (format!("{n} processes"), "hide"),
            };
            s.push_str(&format!(
                "; {n} {verb} a D thread behind a main thread that is not D"
            ));
        }
        s.push_str(&match self.idle_kthreads {
            1 => String::from("; 1 idle kernel thread (I) does not count"),
            n => format!("; {n} idle kernel threads (I) do not count"),
        });
        if let (Some(t), Some(l)) = (self.trend, &self.loadavg) {
            let word = match t {
                Trend::Rising => "rising",
                Trend::Falling => "falling",
                Trend::Steady => "steady",
            };
            s.push_str(&format!(
                "; trend {word} (load1 {:.2} vs load5 {:.2}), load1 drifts toward the {} counted now with a 1-minute time constant",
                l.load1,
                l.load5,
                self.counted()
            ));
        }
        s.push_str(". D culprits: ");
        if self.culprits.is_empty() {
            s.push_str("none.");
        } else {
            let parts: Vec<String> = self
                .culprits
                .iter()
                .take(3)
                .map(|c| format!("{}\u{d7} {} @{}", c.count, c.comm, c.wchan))
                .collect();
            s.push_str(&parts.join(", "));
            if self.culprits.len() > 3 {
                s.push_str(&format!(" and {} more groups", self.culprits.len() - 3));
            }
            s.push('.');
        }
        s
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Classifies load1 against load5: more than 10 % (and 0.05) apart is a trend.
pub fn trend(l: &LoadAvg) -> Trend {
    let margin = (l.load5 * 0.1).max(0.05);
    if l.load1 > l.load5 + margin {
        Trend::Rising
    } else if l.load1 < l.load5 - margin {
        Trend::Falling
    } else {
        Trend::Steady
    }
}

/// Strips `[<0>] ` prefixes and `+0x../0x..` offsets from one `/proc/TID/stack` line.
pub fn stack_frame(line: &str) -> Option<String> {
    let line = line.trim();
    let line = match line.find("] ") {
        Some(i) if line.starts_with('[') => &line[i + 2..],
        _ => line,
    };
    let name = line.split('+').next().unwrap_or("").trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// A group's D-thread count and `(starttime, pid)` of its members.
type Tally = (u32, Vec<(u64, i32)>);

/// Counts states over every task of `snap` and groups the D tasks.
pub fn explain(snap: &Snapshot) -> LoadExplanation {
    let (mut runnable, mut d, mut idle, mut hidden) = (0u32, 0u32, 0u32, 0u32);
    // (comm, wchan) -> (count, [(starttime, pid)])
    let mut groups: BTreeMap<(String, String), Tally> = BTreeMap::new();
    let mut stacks: BTreeMap<Vec<String>, Tally> = BTreeMap::new();
    for p in &snap.processes {
        if p.hidden_d() {
            hidden += 1;
        }
        for t in p.tasks() {
            match t.stat.state {
                State::RUNNING => runnable += 1,
                State::IDLE => idle += 1,
                State::DISK => {
                    d += 1;
                    let key = (
                        escape_comm(&t.stat.comm),
                        t.wchan.unwrap_or("?").to_string(),
                    );
                    let e = groups.entry(key).or_default();
                    e.0 += 1;
                    e.1.push((p.stat.starttime_ticks, p.stat.pid));
                    if let Some(frames) = t.stack {
                        let e = stacks.entry(frames.to_vec()).or_default();
                        e.0 += 1;
                        e.1.push((p.stat.starttime_ticks, p.stat.pid));
                    }
                }
                _ => {}
            }
        }
    }
    let mut culprits: Vec<Culprit> = groups
        .into_iter()
        .map(|((comm, wchan), (count, pids))| Culprit {
            comm,
            wchan,
            count,
            oldest_pids: oldest(pids),
        })
        .collect();
    culprits.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.comm.cmp(&b.comm)));
    let mut stacks: Vec<FoldedStack> = stacks
        .into_iter()
        .map(|(frames, (count, pids))| FoldedStack {
            frames,
            count,
            pids: oldest(pids),
        })
        .collect();
    stacks.sort_by_key(|s| std::cmp::Reverse(s.count));
    LoadExplanation {
        loadavg: snap.system.loadavg,
        ncpu: snap.facts.ncpu,
        runnable,
        uninterruptible: d,
        procs_blocked: snap.system.kernel.as_ref().and_then(|k| k.procs_blocked),
        idle_kthreads: idle,
        hidden_d_processes: hidden,
        culprits,
        stacks,
        trend: snap.system.loadavg.as_ref().map(trend),
        psi: snap.system.psi.clone(),
        window: None,
        visibility: visibility(snap),
    }
}

fn oldest(mut pids: Vec<(u64, i32)>) -> Vec<i32> {
    pids.sort_unstable();
    let mut out: Vec<i32> = Vec::new();
    for (_, pid) in pids {
        if !out.contains(&pid) {
            out.push(pid);
        }
        if out.len() == OLDEST_PIDS {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::tests::{proc_, with_threads};
    use crate::snapshot::{Facts, SystemInfo};
    use crate::system::KernelStat;

    fn sick_host() -> Snapshot {
        let mut ps = Vec::new();
        for i in 0..5 {
            let mut p = proc_(100 + i, "zoo-D-vfork", 'D', 0, 3, 1000 - i as u64);
            p.wchan = Some("kernel_clone".into());
            ps.push(p);
        }
        ps.push(with_threads(
            proc_(200, "app", 'S', 1, 1, 50),
            &['D', 'S'],
            Some("folio_wait_bit_common"),
        ));
        ps.push(proc_(300, "spin", 'R', 500, 1, 10));
        ps.push(proc_(301, "kworker/0:1", 'I', 0, 0, 1));
        ps.push(proc_(302, "rcu_gp", 'I', 0, 0, 1));
        Snapshot {
            processes: ps,
            problems: vec![],
            system: SystemInfo {
                loadavg: Some(LoadAvg {
                    load1: 24.3,
                    load5: 9.8,
                    load15: 4.1,
                    running: 1,
                    total_threads: 12,
                    last_pid: None,
                }),
                kernel: Some(KernelStat {
                    cpu: Default::default(),
                    ncpu: 2,
                    cpu_user_ticks: 0,
                    cpu_system_ticks: 0,
                    cpu_irq_ticks: 0,
                    btime_unix_seconds: None,
                    procs_running: Some(1),
                    procs_blocked: Some(1),
                    forks_total: None,
                }),
                uptime_seconds: Some(100.0),
                psi: vec![],
            },
            facts: Facts {
                clk_tck: 100,
                ncpu: 2,
            },
            monotonic_ns: 0,
        }
    }

    #[test]
    fn counts_r_d_and_idle_and_groups_culprits() {
        let e = explain(&sick_host());
        assert_eq!((e.runnable, e.uninterruptible, e.idle_kthreads), (1, 6, 2));
        assert_eq!(e.hidden_d_processes, 1);
        assert_eq!(e.culprits[0].comm, "zoo-D-vfork");
        assert_eq!(e.culprits[0].count, 5);
        // Oldest = smallest starttime: pid 104 started at 996.
        assert_eq!(e.culprits[0].oldest_pids, vec![104, 103, 102]);
        assert_eq!(e.culprits[1].wchan, "folio_wait_bit_common");
        assert_eq!(e.trend, Some(Trend::Rising));
    }

    #[test]
    fn sentence_names_counts_and_culprits() {
        let s = explain(&sick_host()).sentence();
        insta::assert_snapshot!(s);
        assert!(s.contains("now 7 tasks count toward it: 1 runnable (R) + 6 uninterruptible (D)"));
        assert!(s.contains("5 of the D are not in I/O wait (procs_blocked 1)"));
        assert!(s.contains("5\u{d7} zoo-D-vfork @kernel_clone"));
    }

    #[test]
    fn one_task_counts_in_the_singular() {
        let mut snap = sick_host();
        snap.processes.retain(|p| p.stat.pid == 300);
        let s = explain(&snap).sentence();
        assert!(s.contains("now 1 task counts toward it"), "{s}");
    }

    #[test]
    fn trend_margins() {
        let l = |a, b| LoadAvg {
            load1: a,
            load5: b,
            load15: 0.0,
            running: 0,
            total_threads: 0,
            last_pid: None,
        };
        assert_eq!(trend(&l(1.0, 1.05)), Trend::Steady);
        assert_eq!(trend(&l(2.0, 1.0)), Trend::Rising);
        assert_eq!(trend(&l(0.0, 1.0)), Trend::Falling);
        assert_eq!(trend(&l(0.0, 0.0)), Trend::Steady);
    }

    #[test]
    fn stack_frames_lose_prefix_and_offsets() {
        assert_eq!(
            stack_frame("[<0>] folio_wait_bit_common+0x167/0x370").as_deref(),
            Some("folio_wait_bit_common")
        );
        assert_eq!(
            stack_frame("kernel_clone+0x1/0x2").as_deref(),
            Some("kernel_clone")
        );
        assert_eq!(stack_frame("  "), None);
    }
}
