//! The rows `proc time` shows and how they are chosen: one [`Row`] per process (cumulative
//! ticks in a snapshot, growth within an interval), per-thread rows, the [`Filter`] built from
//! `-p`/`-u`/`--comm`/`--state`/`--no-kthreads`, sorting by a [`SortKey`] and the `--top` cut.
//! Pure: the binary builds these from a snapshot or an interval and only renders them.

use std::cmp::Ordering;
use std::collections::HashMap;

use crate::delta::{DeltaRow, Presence};
use crate::snapshot::{Process, Snapshot, TaskRef};

/// One process row: cumulative ticks (snapshot) or ticks within the interval.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    /// The process.
    pub p: &'a Process,
    /// `None` in a snapshot; new/exited/both per interval.
    pub presence: Option<Presence>,
    /// User ticks (own, plus reaped children's when folded).
    pub ut: u64,
    /// System ticks (own, plus reaped children's when folded).
    pub st: u64,
    /// Reaped children's user ticks.
    pub cut: u64,
    /// Reaped children's system ticks.
    pub cst: u64,
    /// Run-queue wait of the main thread, nanoseconds within the interval (interval only).
    pub wait_ns: Option<u64>,
}

impl<'a> Row<'a> {
    /// A snapshot row: cumulative ticks since the process started.
    pub fn cumulative(p: &'a Process) -> Row<'a> {
        Row {
            p,
            presence: None,
            ut: p.stat.utime_ticks,
            st: p.stat.stime_ticks,
            cut: p.stat.cutime_ticks.max(0) as u64,
            cst: p.stat.cstime_ticks.max(0) as u64,
            wait_ns: None,
        }
    }

    /// A row showing one process's ticks within an interval.
    pub fn from_delta(r: &DeltaRow<'a>) -> Row<'a> {
        Row {
            p: r.process,
            presence: Some(r.presence),
            ut: r.d_utime_ticks,
            st: r.d_stime_ticks,
            cut: r.d_cutime_ticks,
            cst: r.d_cstime_ticks,
            wait_ns: r.d_wait_ns,
        }
    }

    /// Adds the reaped children's ticks into `ut`/`st` (`--children`, like `pidstat -T ALL`).
    pub fn fold_children(mut self) -> Row<'a> {
        self.ut += self.cut;
        self.st += self.cst;
        self
    }

    /// True unless the process exited before the interval's second sample.
    pub fn is_live(&self) -> bool {
        self.presence != Some(Presence::Exited)
    }
}

/// Sort keys (descending for amounts; ascending for pid, user and comm).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// System time.
    Stime,
    /// User time.
    Utime,
    /// User + system.
    Cpu,
    /// Reaped children's user time.
    Cutime,
    /// Reaped children's system time.
    Cstime,
    /// Run-queue wait (interval mode).
    Wait,
    /// Thread count.
    Threads,
    /// Time since start (oldest first).
    Elapsed,
    /// Process ID.
    Pid,
    /// User name.
    User,
    /// Command name.
    Comm,
}

impl SortKey {
    /// The key's name as the command line spells it.
    pub fn name(self) -> &'static str {
        match self {
            SortKey::Stime => "stime",
            SortKey::Utime => "utime",
            SortKey::Cpu => "cpu",
            SortKey::Cutime => "cutime",
            SortKey::Cstime => "cstime",
            SortKey::Wait => "wait",
            SortKey::Threads => "threads",
            SortKey::Elapsed => "elapsed",
            SortKey::Pid => "pid",
            SortKey::User => "user",
            SortKey::Comm => "comm",
        }
    }
}

/// Sorts rows by `key`, ties by PID ascending; `user` names a UID for [`SortKey::User`].
pub fn sort_rows(rows: &mut [Row], key: SortKey, user: impl Fn(Option<u32>) -> String) {
    rows.sort_by(|a, b| {
        let o = match key {
            SortKey::Stime => b.st.cmp(&a.st),
            SortKey::Utime => b.ut.cmp(&a.ut),
            SortKey::Cpu => (b.ut + b.st).cmp(&(a.ut + a.st)),
            SortKey::Cutime => b.cut.cmp(&a.cut),
            SortKey::Cstime => b.cst.cmp(&a.cst),
            SortKey::Wait => b.wait_ns.cmp(&a.wait_ns),
            SortKey::Threads => b.p.stat.num_threads.cmp(&a.p.stat.num_threads),
            SortKey::Elapsed => a.p.stat.starttime_ticks.cmp(&b.p.stat.starttime_ticks),
            SortKey::Pid => Ordering::Equal,
            SortKey::User => user(a.p.uid).cmp(&user(b.p.uid)),
            SortKey::Comm => a.p.stat.comm.cmp(&b.p.stat.comm),
        };
        o.then_with(|| a.p.stat.pid.cmp(&b.p.stat.pid))
    });
}

/// The first `top` items, or all of them when `top` is `None` (`--all`).
pub fn shown<T>(items: &[T], top: Option<usize>) -> &[T] {
    match top {
        Some(n) => &items[..items.len().min(n)],
        None => items,
    }
}

/// Which processes the filters keep.
#[derive(Debug, Default)]
pub struct Filter {
    /// `-p`: only these PIDs (empty: all).
    pub pids: Vec<i32>,
    /// `-u`: only these effective UIDs (empty: all).
    pub uids: Vec<u32>,
    /// `--comm`: a regular expression on the raw name bytes.
    pub comm: Option<regex::bytes::Regex>,
    /// `--state`: only processes with a task (or a shown state) in one of these letters.
    pub states: Option<Vec<u8>>,
    /// `--no-kthreads`.
    pub no_kthreads: bool,
}

impl Filter {
    /// True when `p` passes every filter.
    pub fn keep(&self, p: &Process) -> bool {
        (self.pids.is_empty() || self.pids.contains(&p.stat.pid))
            && (self.uids.is_empty() || p.uid.is_some_and(|u| self.uids.contains(&u)))
            && self
                .comm
                .as_ref()
                .is_none_or(|re| re.is_match(&p.stat.comm))
            && self.states.as_ref().is_none_or(|set| {
                set.contains(&p.shown_state().0) || p.task_states().any(|s| set.contains(&s.0))
            })
            && !(self.no_kthreads && p.stat.is_kthread())
    }
}

/// One thread row: its process, the task, and its ticks (cumulative or within the interval).
#[derive(Debug, Clone)]
pub struct ThreadRow<'a> {
    /// The process the thread belongs to.
    pub p: &'a Process,
    /// The thread (the process itself when single-threaded).
    pub task: TaskRef<'a>,
    /// User ticks shown.
    pub ut: u64,
    /// System ticks shown.
    pub st: u64,
}

/// One row per live thread of `rows`; with `prev` (interval mode) ticks are the growth since
/// that sample, matched by (TID, starttime), whole for threads that started since.
pub fn thread_rows<'a>(rows: &[Row<'a>], prev: Option<&Snapshot>) -> Vec<ThreadRow<'a>> {
    let before: HashMap<(i32, u64), (u64, u64)> = prev
        .map(|s| {
            s.processes
                .iter()
                .flat_map(|p| p.tasks())
                .map(|t| {
                    let s = t.stat;
                    ((s.pid, s.starttime_ticks), (s.utime_ticks, s.stime_ticks))
                })
                .collect()
        })
        .unwrap_or_default();
    rows.iter()
        .filter(|r| r.is_live())
        .flat_map(|r| r.p.tasks().into_iter().map(move |t| (r.p, t)))
        .map(|(p, task)| {
            let s = task.stat;
            let (ut, st) = match (prev, before.get(&(s.pid, s.starttime_ticks))) {
                (Some(_), Some((u0, s0))) => (
                    s.utime_ticks.saturating_sub(*u0),
                    s.stime_ticks.saturating_sub(*s0),
                ),
                _ => (s.utime_ticks, s.stime_ticks),
            };
            ThreadRow { p, task, ut, st }
        })
        .collect()
}

/// Sorts thread rows by `key` (keys without a per-thread meaning fall back to the process's),
/// ties by TID.
pub fn sort_threads(rows: &mut [ThreadRow], key: SortKey, user: impl Fn(Option<u32>) -> String) {
    rows.sort_by(|a, b| {
        let o = match key {
            SortKey::Stime | SortKey::Cstime => b.st.cmp(&a.st),
            SortKey::Utime | SortKey::Cutime => b.ut.cmp(&a.ut),
            SortKey::Cpu | SortKey::Wait => (b.ut + b.st).cmp(&(a.ut + a.st)),
            SortKey::Threads => b.p.stat.num_threads.cmp(&a.p.stat.num_threads),
            SortKey::Elapsed => a
                .task
                .stat
                .starttime_ticks
                .cmp(&b.task.stat.starttime_ticks),
            SortKey::Pid => a.p.stat.pid.cmp(&b.p.stat.pid),
            SortKey::User => user(a.p.uid).cmp(&user(b.p.uid)),
            SortKey::Comm => a.task.stat.comm.cmp(&b.task.stat.comm),
        };
        o.then_with(|| a.task.stat.pid.cmp(&b.task.stat.pid))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delta::delta;
    use crate::snapshot::tests::{proc_, snapshot_at, with_threads};

    #[test]
    fn filter_sort_and_cut() {
        let ps = [
            proc_(1, "init", 'S', 5, 50, 1),
            proc_(2, "php-fpm", 'R', 90, 10, 2),
            proc_(3, "php-fpm", 'D', 1, 1, 3),
        ];
        let f = Filter {
            comm: Some(regex::bytes::Regex::new("^php").unwrap()),
            ..Default::default()
        };
        let mut rows: Vec<Row> = ps
            .iter()
            .filter(|p| f.keep(p))
            .map(Row::cumulative)
            .collect();
        assert_eq!(rows.len(), 2);
        sort_rows(&mut rows, SortKey::Utime, |_| String::new());
        assert_eq!(rows[0].p.stat.pid, 2);
        assert_eq!(shown(&rows, Some(1)).len(), 1);
        assert_eq!(shown(&rows, None).len(), 2);
        let d = Filter {
            states: Some(vec![b'D']),
            ..Default::default()
        };
        assert!(d.keep(&ps[2]) && !d.keep(&ps[1]));
    }

    /// `--threads --sort utime` orders threads by their own user time, per interval the
    /// growth since the last sample.
    #[test]
    fn thread_rows_sort_by_the_key_and_use_deltas_per_interval() {
        let mut a = with_threads(proc_(10, "app", 'S', 0, 0, 1), &['R', 'R'], None);
        a.threads[1].stat.utime_ticks = 100;
        a.threads[2].stat.utime_ticks = 10;
        a.threads[2].stat.stime_ticks = 50;
        let mut b = a.clone();
        b.threads[1].stat.utime_ticks = 101; // +1
        b.threads[2].stat.utime_ticks = 30; // +20
        let (sa, sb) = (
            snapshot_at(vec![a], 1, 0),
            snapshot_at(vec![b], 1, 1_000_000_000),
        );
        let snap_rows: Vec<Row> = sb.processes.iter().map(Row::cumulative).collect();
        let mut t = thread_rows(&snap_rows, None);
        sort_threads(&mut t, SortKey::Utime, |_| String::new());
        assert_eq!((t[0].task.stat.pid, t[0].ut), (11, 101));
        let iv = delta(&sa, &sb);
        let iv_rows: Vec<Row> = iv.rows.iter().map(Row::from_delta).collect();
        let mut t = thread_rows(&iv_rows, Some(&sa));
        sort_threads(&mut t, SortKey::Utime, |_| String::new());
        assert_eq!((t[0].task.stat.pid, t[0].ut), (12, 20));
        sort_threads(&mut t, SortKey::Stime, |_| String::new());
        assert_eq!(t[0].st, 0);
    }

    #[test]
    fn children_fold_into_the_parent() {
        let mut p = proc_(5, "sh", 'S', 1, 2, 1);
        p.stat.cutime_ticks = 30;
        p.stat.cstime_ticks = 40;
        let r = Row::cumulative(&p).fold_children();
        assert_eq!((r.ut, r.st, r.cut, r.cst), (31, 42, 30, 40));
    }
}
