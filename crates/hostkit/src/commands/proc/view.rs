//! What the `proc time` renderers need besides the rows: the snapshot, user names, the
//! command line, the interval (or the Average block) with its coverage, D ages and the
//! timestamp. Renderers (`render`, `prom`) depend on this module; it depends on neither.

use hostkit_proc::Snapshot;
use hostkit_proc::aggregate::{Group, aggregate};
use hostkit_proc::coverage::Coverage;
use hostkit_proc::dage::DTracker;
use hostkit_proc::rows::{Row, SortKey};

use super::Users;
use crate::cli::proc::{GroupKey, SortKey as CliSortKey, TimeArgs};

/// Which block an interval view renders.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Block {
    /// One interval: its 1-based index.
    Interval(u64),
    /// The average over `n` intervals (end of `-c`, or on SIGINT/SIGTERM).
    Average(u64),
}

/// One interval's facts.
#[derive(Debug, Clone, Copy)]
pub struct IntervalInfo {
    /// Which block.
    pub block: Block,
    /// Monotonic seconds covered.
    pub elapsed_seconds: f64,
    /// Where the CPU went (`None` without `/proc/stat`).
    pub coverage: Option<Coverage>,
}

/// Everything a renderer needs besides the rows.
pub struct View<'a> {
    /// The (latest) snapshot.
    pub snap: &'a Snapshot,
    /// The previous snapshot, in interval mode (for per-thread deltas).
    pub prev: Option<&'a Snapshot>,
    /// UID -> name.
    pub users: &'a Users,
    /// The command line.
    pub args: &'a TimeArgs,
    /// The interval, `None` in a snapshot.
    pub interval: Option<IntervalInfo>,
    /// How long processes have been in D across samples (interval mode).
    pub d_age: Option<&'a DTracker>,
    /// When the view's (last) sample was taken, RFC 3339.
    pub time: String,
    /// Wall clock of the sample, Unix seconds.
    pub unix_seconds: f64,
}

impl View<'_> {
    /// Ticks to seconds.
    pub fn secs(&self, ticks: u64) -> f64 {
        self.snap.facts.seconds(ticks)
    }

    /// Percent of one CPU over the interval (0 in a snapshot).
    pub fn percent(&self, ticks: u64) -> f64 {
        match self.interval {
            Some(i) if i.elapsed_seconds > 0.0 => 100.0 * self.secs(ticks) / i.elapsed_seconds,
            _ => 0.0,
        }
    }

    /// Nanoseconds as percent of the interval.
    pub fn percent_ns(&self, ns: u64) -> f64 {
        match self.interval {
            Some(i) if i.elapsed_seconds > 0.0 => 100.0 * ns as f64 / 1e9 / i.elapsed_seconds,
            _ => 0.0,
        }
    }

    /// How many rows to show: `None` for all (`--all`).
    pub fn top(&self) -> Option<usize> {
        (!self.args.all).then_some(self.args.top)
    }

    /// The sort key.
    pub fn sort(&self) -> SortKey {
        sort_key(self.args.sort)
    }

    /// Roll-ups of the live rows by `key`.
    pub fn groups(&self, rows: &[Row], key: GroupKey) -> Vec<Group> {
        aggregate(
            rows.iter()
                .filter(|r| r.is_live())
                .map(|r| (r.p, r.ut, r.st)),
            |p| match key {
                GroupKey::Comm => p.display_comm(),
                GroupKey::User => self.users.name(p.uid),
            },
        )
    }
}

/// The domain's sort key for the command line's.
pub fn sort_key(k: CliSortKey) -> SortKey {
    match k {
        CliSortKey::Stime => SortKey::Stime,
        CliSortKey::Utime => SortKey::Utime,
        CliSortKey::Cpu => SortKey::Cpu,
        CliSortKey::Cutime => SortKey::Cutime,
        CliSortKey::Cstime => SortKey::Cstime,
        CliSortKey::Wait => SortKey::Wait,
        CliSortKey::Threads => SortKey::Threads,
        CliSortKey::Elapsed => SortKey::Elapsed,
        CliSortKey::Pid => SortKey::Pid,
        CliSortKey::User => SortKey::User,
        CliSortKey::Comm => SortKey::Comm,
    }
}
