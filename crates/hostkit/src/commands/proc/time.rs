//! `hostkit proc time`: one snapshot, or samples every `-i` seconds matched by (pid,
//! starttime). Builds rows (cumulative ticks in a snapshot, deltas per interval), filters,
//! sorts, cuts to `--top`, and hands them to the renderers.

use std::cmp::Ordering;
use std::time::Duration;

use anyhow::Context;

use crate::error::ResultExt;
use hostkit_proc::dage::DTracker;
use hostkit_proc::delta::{DeltaRow, Presence, delta};
use hostkit_proc::sys::facts::monotonic_ns;
use hostkit_proc::sys::reader::ReadOptions;
use hostkit_proc::{Process, Snapshot, State, escape_comm};

use super::render::{self, View};
use super::{Users, open_reader, prom};
use crate::cli::proc::{Format, SortKey, TimeArgs};
use crate::exit::Outcome;
use crate::output;

/// One process row: cumulative ticks (snapshot) or ticks within the interval.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    /// The process.
    pub p: &'a Process,
    /// `None` in a snapshot; new/exited/both per interval.
    pub presence: Option<Presence>,
    /// User ticks shown.
    pub ut: u64,
    /// System ticks shown.
    pub st: u64,
}

impl<'a> Row<'a> {
    /// A row showing one process's ticks within an interval.
    pub fn from_delta(r: &DeltaRow<'a>) -> Row<'a> {
        Row {
            p: r.process,
            presence: Some(r.presence),
            ut: r.d_utime_ticks,
            st: r.d_stime_ticks,
        }
    }
}

/// Which processes the filters keep.
pub struct Filter {
    pids: Vec<i32>,
    uids: Vec<u32>,
    comm: Option<regex::bytes::Regex>,
    states: Option<Vec<u8>>,
    no_kthreads: bool,
}

impl Filter {
    /// Builds the filter, resolving users and compiling the regex.
    pub fn new(args: &TimeArgs, users: &Users) -> anyhow::Result<Filter> {
        let comm = match &args.comm {
            // Command names are bytes: ASCII classes and ASCII `(?i)`, which need none of
            // regex's Unicode case tables (see the `regex` features in the root Cargo.toml).
            Some(re) => Some(
                regex::bytes::RegexBuilder::new(re)
                    .unicode(false)
                    .build()
                    .with_context(|| format!("`{re}` is not a valid --comm regular expression"))
                    .hint("e.g. `--comm '^(php|nginx)'`")?,
            ),
            None => None,
        };
        Ok(Filter {
            pids: args.pids.clone(),
            uids: users.resolve(&args.users)?,
            comm,
            states: args.state.as_ref().map(|s| s.0.clone()),
            no_kthreads: args.no_kthreads,
        })
    }

    /// True when `p` passes every filter.
    pub fn keep(&self, p: &Process) -> bool {
        (self.pids.is_empty() || self.pids.contains(&p.stat.pid))
            && (self.uids.is_empty() || p.uid.is_some_and(|u| self.uids.contains(&u)))
            && self
                .comm
                .as_ref()
                .is_none_or(|re| re.is_match(&p.stat.comm))
            && self
                .states
                .as_ref()
                .is_none_or(|set| p.task_states().any(|s| set.contains(&s.0)))
            && !(self.no_kthreads && p.stat.is_kthread())
    }
}

/// Runs `proc time`.
pub fn run(args: &TimeArgs) -> anyhow::Result<Outcome> {
    let opts = ReadOptions {
        wchan: true,
        stack: false,
        keep_fds: args.interval.is_some(),
        only_pids: (!args.pids.is_empty()).then(|| args.pids.clone()),
    };
    let mut reader = open_reader(&args.source.proc_root, opts)?;
    if args.interval.is_some() && !reader.root().is_procfs() {
        return Err(crate::error::hinted(
            format!(
                "`{}` is a saved tree, which does not change: `-i` needs a live procfs",
                args.source.proc_root.display()
            ),
            "drop `-i` to read a captured tree",
        ));
    }
    let users = Users::for_root(&reader);
    let filter = Filter::new(args, &users)?;
    let probe = CpuProbe::from_env();
    let first = probe.measure(0, || reader.sample())?;
    let Some(secs) = args.interval else {
        let rows: Vec<Row> = first
            .processes
            .iter()
            .filter(|p| filter.keep(p))
            .map(|p| Row {
                p,
                presence: None,
                ut: p.stat.utime_ticks,
                st: p.stat.stime_ticks,
            })
            .collect();
        let view = View {
            snap: &first,
            users: &users,
            args,
            interval: None,
            d_age: None,
        };
        emit(&view, rows, true)?;
        return Ok(Outcome::Ok);
    };
    let step_ns = (secs * 1e9) as u64;
    let mut d_age = DTracker::default();
    d_age.update(&first);
    let mut prev = first;
    let mut index = 0u64;
    while args.count.is_none_or(|c| index < c) {
        index += 1;
        let deadline = prev.monotonic_ns + step_ns;
        let now = monotonic_ns();
        if deadline > now {
            std::thread::sleep(Duration::from_nanos(deadline - now));
        }
        let cur = probe.measure(index, || reader.sample())?;
        let iv = delta(&prev, &cur);
        let rows: Vec<Row> = iv
            .rows
            .iter()
            .filter(|r| filter.keep(r.process))
            .map(Row::from_delta)
            .collect();
        d_age.update(&cur);
        let view = View {
            snap: &cur,
            users: &users,
            args,
            interval: Some((index, iv.elapsed_seconds)),
            d_age: Some(&d_age),
        };
        emit(&view, rows, index == 1)?;
        if let (Some(limit), Some((pid, age))) = (args.fail_on_d_age, d_age.oldest())
            && age >= limit
        {
            eprintln!("process {pid} has been in D for {age:.1} s (--fail-on-d-age {limit})");
            return Ok(Outcome::Negative);
        }
        prev = cur;
    }
    Ok(Outcome::Ok)
}

/// Sorts, cuts and renders one set of rows (and the Prometheus file when asked).
fn emit(view: &View, mut rows: Vec<Row>, first: bool) -> anyhow::Result<()> {
    let args = view.args;
    if let Some(path) = &args.output.prom_file {
        output::write_atomic(path, prom::time_metrics(view, &rows).as_bytes())?;
    }
    sort_rows(&mut rows, args.sort, view);
    let text = match args.output.format {
        Format::Table => render::table(view, &rows),
        Format::Json => render::json(view, &rows)?,
        Format::Csv => render::csv(view, &rows, first),
        Format::Prometheus => prom::time_metrics(view, &rows),
    };
    output::print_text(&text)
}

/// Sorts rows by `key` (descending for amounts), ties by PID ascending.
pub fn sort_rows(rows: &mut [Row], key: SortKey, view: &View) {
    let user = |r: &Row| view.users.name(r.p.uid);
    rows.sort_by(|a, b| {
        let o = match key {
            SortKey::Stime => b.st.cmp(&a.st),
            SortKey::Utime => b.ut.cmp(&a.ut),
            SortKey::Cpu => (b.ut + b.st).cmp(&(a.ut + a.st)),
            SortKey::Cutime => b.p.stat.cutime_ticks.cmp(&a.p.stat.cutime_ticks),
            SortKey::Cstime => b.p.stat.cstime_ticks.cmp(&a.p.stat.cstime_ticks),
            SortKey::Threads => b.p.stat.num_threads.cmp(&a.p.stat.num_threads),
            SortKey::Elapsed => a.p.stat.starttime_ticks.cmp(&b.p.stat.starttime_ticks),
            SortKey::Pid => Ordering::Equal,
            SortKey::User => user(a).cmp(&user(b)),
            SortKey::Comm => a.p.stat.comm.cmp(&b.p.stat.comm),
        };
        o.then_with(|| a.p.stat.pid.cmp(&b.p.stat.pid))
    });
}

/// The state cell: the leader's letter, `+D` when another thread is in D.
pub fn state_cell(p: &Process) -> String {
    if p.hidden_d() {
        format!("{}+D", p.stat.state)
    } else {
        p.stat.state.to_string()
    }
}

/// The wchan to show: the leader's, or the first D thread's for a hidden D.
pub fn wchan_cell(p: &Process) -> Option<&str> {
    p.wchan.as_deref().or_else(|| {
        p.threads
            .iter()
            .find(|t| t.stat.state == State::DISK)
            .and_then(|t| t.wchan.as_deref())
    })
}

/// The command cell: escaped, kernel threads in brackets like ps.
pub fn comm_cell(p: &Process) -> String {
    let c = escape_comm(&p.stat.comm);
    if p.stat.is_kthread() {
        format!("[{c}]")
    } else {
        c
    }
}

/// Rows to show: all with `--all`, else the first `--top`.
pub fn shown<'r, 'a>(rows: &'r [Row<'a>], args: &TimeArgs) -> &'r [Row<'a>] {
    if args.all {
        rows
    } else {
        &rows[..rows.len().min(args.top)]
    }
}

/// Number of processes per problem kind in a snapshot, as a short phrase (empty if none).
pub fn problems_phrase(snap: &Snapshot) -> String {
    use hostkit_proc::ProblemKind;
    let count = |k| snap.problems.iter().filter(|p| p.kind == k).count();
    let mut parts = Vec::new();
    for (k, what) in [
        (ProblemKind::Vanished, "exited while reading or not found"),
        (ProblemKind::Denied, "unreadable (permission denied)"),
        (ProblemKind::Malformed, "unparsable"),
    ] {
        let n = count(k);
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    parts.join(", ")
}

/// `HOSTKIT_PROC_SAMPLE_CPU=1` prints each sample's CPU time (user + system of this process,
/// getrusage) on stderr: how `bench/proc-time` compares a steady-state sample to the first.
struct CpuProbe(bool);

impl CpuProbe {
    fn from_env() -> CpuProbe {
        CpuProbe(std::env::var_os("HOSTKIT_PROC_SAMPLE_CPU").is_some_and(|v| v == "1"))
    }

    fn measure<T>(&self, index: u64, f: impl FnOnce() -> T) -> T {
        if !self.0 {
            return f();
        }
        let before = cpu_seconds();
        let out = f();
        eprintln!("sample {index}: cpu {:.6} s", cpu_seconds() - before);
        out
    }
}

/// User + system CPU seconds of this process so far.
fn cpu_seconds() -> f64 {
    // SAFETY: zeroed rusage is a valid out-parameter.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is writable.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}
