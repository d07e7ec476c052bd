//! The value one pass over a proc tree produces: every process's stat fields, owner, its
//! threads when it has more than one, the wchan of blocked tasks, the system files, and the
//! processes that could not be read (vanished or denied) as data rather than errors.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::psi::PsiLine;
use crate::sched::SchedStat;
use crate::stat::{Stat, escape_comm};
use crate::state::State;
use crate::system::{KernelStat, LoadAvg};

/// One thread of a multi-threaded process, from `task/TID/stat` (and `wchan` when blocked).
#[derive(Debug, Clone, PartialEq)]
pub struct Thread {
    /// The thread's stat line.
    pub stat: Stat,
    /// Kernel function it waits in (read only for D, T and t); `None` when not read or `0`.
    pub wchan: Option<String>,
    /// Folded kernel stack (`--stack`, root only), innermost first.
    pub stack: Option<Vec<String>>,
    /// Run and run-queue wait nanoseconds (`task/TID/schedstat`), when read.
    pub sched: Option<SchedStat>,
}

/// One process as read in one pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Process {
    /// The leader's stat line (process-wide utime/stime: live plus exited threads).
    pub stat: Stat,
    /// Effective UID (the `Uid:` line of `status` when `/proc/PID` is root-owned, which the
    /// kernel also does for a process that changed credentials), if known.
    pub uid: Option<u32>,
    /// Leader wchan, read only for D/T/t leaders.
    pub wchan: Option<String>,
    /// Leader stack (`--stack` only).
    pub stack: Option<Vec<String>>,
    /// All threads (leader included) when `num_threads > 1` and they were walked; else empty.
    pub threads: Vec<Thread>,
    /// The main thread's run and run-queue wait nanoseconds (`PID/schedstat`), when read.
    pub sched: Option<SchedStat>,
}

impl Process {
    /// `(pid, starttime)`: identifies a process across samples even when PIDs are reused.
    pub fn key(&self) -> (i32, u64) {
        (self.stat.pid, self.stat.starttime_ticks)
    }

    /// The state to show for the process: the leader's, except when the leader has exited
    /// (Z or X) while other threads still run; then the most telling live thread's state
    /// (R, then D, T, t, S, I, anything else). `stat` alone would call such a process a zombie.
    pub fn shown_state(&self) -> State {
        if !matches!(self.stat.state, State::ZOMBIE | State::DEAD) {
            return self.stat.state;
        }
        const ORDER: [State; 6] = [
            State::RUNNING,
            State::DISK,
            State::STOPPED,
            State::TRACED,
            State::SLEEPING,
            State::IDLE,
        ];
        let live: Vec<State> = self
            .threads
            .iter()
            .map(|t| t.stat.state)
            .filter(|s| !matches!(*s, State::ZOMBIE | State::DEAD))
            .collect();
        ORDER
            .iter()
            .copied()
            .find(|s| live.contains(s))
            .or_else(|| live.first().copied())
            .unwrap_or(self.stat.state)
    }

    /// True when the main thread has exited but other threads still run.
    pub fn leader_exited(&self) -> bool {
        self.shown_state() != self.stat.state
    }

    /// The state cell: the shown state, `+D` when another thread is in D.
    pub fn state_label(&self) -> String {
        if self.hidden_d() {
            format!("{}+D", self.shown_state())
        } else {
            self.shown_state().to_string()
        }
    }

    /// The command name escaped for display, kernel threads in brackets like ps.
    pub fn display_comm(&self) -> String {
        let c = escape_comm(&self.stat.comm);
        if self.stat.is_kthread() {
            format!("[{c}]")
        } else {
            c
        }
    }

    /// The wait channel to show: the leader's, or the first D thread's for a hidden D.
    pub fn shown_wchan(&self) -> Option<&str> {
        self.wchan.as_deref().or_else(|| {
            self.threads
                .iter()
                .find(|t| t.stat.state == State::DISK)
                .and_then(|t| t.wchan.as_deref())
        })
    }

    /// The state of every task: the threads when walked, else the leader alone.
    pub fn task_states(&self) -> impl Iterator<Item = State> + '_ {
        let leader = self.threads.is_empty().then_some(self.stat.state);
        leader
            .into_iter()
            .chain(self.threads.iter().map(|t| t.stat.state))
    }

    /// Thread count per state letter. Single-threaded (or not walked): the leader's state.
    pub fn census(&self) -> BTreeMap<State, u32> {
        let mut c = BTreeMap::new();
        for s in self.task_states() {
            *c.entry(s).or_insert(0) += 1;
        }
        c
    }

    /// Threads in `state` right now.
    pub fn threads_in(&self, state: State) -> u32 {
        self.task_states().filter(|s| *s == state).count() as u32
    }

    /// Threads in D right now.
    pub fn d_threads(&self) -> u32 {
        self.threads_in(State::DISK)
    }

    /// True when the leader does not read D but another thread is in D: `ps` shows `Sl` and
    /// the process looks idle while it adds to the load average.
    pub fn hidden_d(&self) -> bool {
        self.shown_state() != State::DISK
            && self.threads.iter().any(|t| t.stat.state == State::DISK)
    }

    /// The tasks whose state counts: the threads when walked, else the leader alone.
    pub fn tasks(&self) -> Vec<TaskRef<'_>> {
        if self.threads.is_empty() {
            vec![TaskRef {
                stat: &self.stat,
                wchan: self.wchan.as_deref(),
                stack: self.stack.as_deref(),
                sched: self.sched,
            }]
        } else {
            self.threads
                .iter()
                .map(|t| TaskRef {
                    stat: &t.stat,
                    wchan: t.wchan.as_deref(),
                    stack: t.stack.as_deref(),
                    sched: t.sched,
                })
                .collect()
        }
    }
}

/// A borrowed view of one task (a thread or a single-threaded process).
#[derive(Debug, Clone, Copy)]
pub struct TaskRef<'a> {
    /// Its stat line.
    pub stat: &'a Stat,
    /// Its wchan if read.
    pub wchan: Option<&'a str>,
    /// Its stack if read.
    pub stack: Option<&'a [String]>,
    /// Its scheduler counters if read.
    pub sched: Option<SchedStat>,
}

/// Why a process is missing from a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// It exited between listing and reading (ENOENT/ESRCH).
    Vanished,
    /// Permission denied (EACCES/EPERM).
    Denied,
    /// Its stat file did not parse.
    Malformed,
}

/// A process that was listed but could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The PID from the directory listing.
    pub pid: i32,
    /// What happened.
    pub kind: ProblemKind,
    /// Detail (the parse error or OS error text).
    pub detail: String,
}

/// The system-wide files read with a snapshot; each is `None` when absent or unreadable.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SystemInfo {
    /// `/proc/loadavg`.
    pub loadavg: Option<LoadAvg>,
    /// `/proc/stat`.
    pub kernel: Option<KernelStat>,
    /// `/proc/uptime` first field, seconds since boot.
    pub uptime_seconds: Option<f64>,
    /// `/proc/pressure/*` lines (empty without PSI).
    pub psi: Vec<PsiLine>,
}

/// Machine facts needed to turn ticks into seconds; injected, never read by the pure code.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Facts {
    /// `sysconf(_SC_CLK_TCK)` (USER_HZ), ticks per second.
    pub clk_tck: u64,
    /// CPUs online (for `%` normalisation and the load sentence).
    pub ncpu: u32,
}

impl Facts {
    /// Converts ticks to seconds.
    pub fn seconds(&self, ticks: u64) -> f64 {
        ticks as f64 / self.clk_tck.max(1) as f64
    }
}

/// One pass over a proc tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Every process read, in PID order.
    pub processes: Vec<Process>,
    /// Listed processes that could not be read.
    pub problems: Vec<Problem>,
    /// System files.
    pub system: SystemInfo,
    /// Clock ticks per second and CPU count.
    pub facts: Facts,
    /// CLOCK_MONOTONIC when the pass started, nanoseconds (0 for captured trees).
    pub monotonic_ns: u64,
}

impl Snapshot {
    /// Seconds the process has existed at snapshot time (needs `/proc/uptime`).
    pub fn elapsed_seconds(&self, p: &Process) -> Option<f64> {
        let up = self.system.uptime_seconds?;
        Some((up - self.facts.seconds(p.stat.starttime_ticks)).max(0.0))
    }

    /// Wall-clock start, seconds since the Unix epoch (needs `btime` from `/proc/stat`).
    pub fn start_unix_seconds(&self, p: &Process) -> Option<f64> {
        let btime = self.system.kernel.as_ref()?.btime_unix_seconds?;
        Some(btime as f64 + self.facts.seconds(p.stat.starttime_ticks))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::stat::parse_stat;

    /// Builds a process from a compact description, for tests across the crate.
    pub fn proc_(pid: i32, comm: &str, state: char, ut: u64, st: u64, start: u64) -> Process {
        let line = format!(
            "{pid} ({comm}) {state} 1 {pid} {pid} 0 -1 4194304 0 0 0 0 {ut} {st} 0 0 20 0 1 0 {start} 0 0"
        );
        Process {
            stat: parse_stat(line.as_bytes()).unwrap(),
            uid: Some(0),
            wchan: None,
            stack: None,
            threads: Vec::new(),
            sched: None,
        }
    }

    /// A snapshot of `processes` taken at `monotonic_ns` on a machine with `ncpu` CPUs
    /// (USER_HZ 100), for tests across the crate.
    pub fn snapshot_at(processes: Vec<Process>, ncpu: u32, monotonic_ns: u64) -> Snapshot {
        Snapshot {
            processes,
            problems: vec![],
            system: SystemInfo::default(),
            facts: Facts { clk_tck: 100, ncpu },
            monotonic_ns,
        }
    }

    /// Adds threads with the given states (TIDs pid+1..) to a process.
    pub fn with_threads(mut p: Process, states: &[char], wchan: Option<&str>) -> Process {
        let mut threads = vec![Thread {
            stat: p.stat.clone(),
            wchan: None,
            stack: None,
            sched: None,
        }];
        for (i, s) in states.iter().enumerate() {
            let mut stat = p.stat.clone();
            stat.pid += i as i32 + 1;
            stat.state = State(*s as u8);
            threads.push(Thread {
                stat,
                wchan: (*s == 'D').then(|| wchan.unwrap_or("0").to_string()),
                stack: None,
                sched: None,
            });
        }
        p.stat.num_threads = threads.len() as i64;
        p.threads = threads;
        p
    }

    #[test]
    fn hidden_d_needs_a_d_thread_behind_a_non_d_leader() {
        let p = with_threads(
            proc_(10, "app", 'S', 0, 0, 1),
            &['S', 'D'],
            Some("kernel_clone"),
        );
        assert!(p.hidden_d());
        assert_eq!(p.d_threads(), 1);
        assert_eq!(p.census().get(&State::SLEEPING), Some(&2));
        let q = proc_(11, "plain", 'D', 0, 0, 1);
        assert!(!q.hidden_d());
        assert_eq!(q.d_threads(), 1);
    }

    /// A process whose main thread exited (Z) while a second thread spins shows R.
    #[test]
    fn exited_leader_shows_its_live_threads_state() {
        let mut p = with_threads(proc_(20, "app", 'Z', 0, 0, 1), &['S', 'R'], None);
        p.threads[0].stat.state = State::ZOMBIE;
        assert_eq!(p.shown_state(), State::RUNNING);
        assert!(p.leader_exited());
        assert_eq!(p.state_label(), "R");
        let z = proc_(21, "dead", 'Z', 0, 0, 1);
        assert_eq!(z.shown_state(), State::ZOMBIE);
        assert!(!z.leader_exited());
    }

    #[test]
    fn elapsed_uses_uptime_and_ticks() {
        let snap = Snapshot {
            processes: vec![proc_(1, "init", 'S', 0, 0, 500)],
            problems: vec![],
            system: SystemInfo {
                uptime_seconds: Some(100.0),
                ..Default::default()
            },
            facts: Facts {
                clk_tck: 100,
                ncpu: 2,
            },
            monotonic_ns: 0,
        };
        assert_eq!(snap.elapsed_seconds(&snap.processes[0]), Some(95.0));
        assert_eq!(snap.start_unix_seconds(&snap.processes[0]), None);
    }
}
