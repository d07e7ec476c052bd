//! `hostkit proc time`, the controller: reads one snapshot, or samples every `-i` seconds
//! (matched by (pid, starttime)); builds rows, filters and sorts them with `hostkit_proc::rows`,
//! renders each block through `render`/`prom`, keeps the Average for the end of `-c N` or a
//! SIGINT/SIGTERM, and watches D ages for `--fail-on-d-age`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;

use crate::error::ResultExt;
use hostkit_proc::aggregate::aggregate;
use hostkit_proc::coverage::coverage;
use hostkit_proc::dage::DTracker;
use hostkit_proc::delta::{Presence, delta};
use hostkit_proc::rows::{Filter, Row, shown, sort_rows};
use hostkit_proc::sys::facts::monotonic_ns;
use hostkit_proc::sys::reader::ReadOptions;
use hostkit_proc::{Process, Snapshot};

use super::format::rfc3339;
use super::prom::{CommCounters, time_metrics};
use super::render;
use super::view::{Block, IntervalInfo, View};
use super::{Users, open_reader};
use crate::cli::proc::{Format, TimeArgs};
use crate::exit::Outcome;
use crate::output::now_unix_seconds;
use crate::output::{self, Sink};

/// Builds the filter from the command line, resolving users and compiling the regex.
fn filter(args: &TimeArgs, users: &Users) -> anyhow::Result<Filter> {
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

/// The rows of one pass, folded and sorted.
fn finish_rows<'a>(mut rows: Vec<Row<'a>>, args: &TimeArgs, view_users: &Users) -> Vec<Row<'a>> {
    if args.children {
        rows = rows.into_iter().map(Row::fold_children).collect();
    }
    sort_rows(&mut rows, super::view::sort_key(args.sort), |u| {
        view_users.name(u)
    });
    rows
}

/// Renders one block in the chosen format (Prometheus: the same metrics as `--prom-file`).
fn render(
    view: &View,
    rows: &[Row],
    first: bool,
    counters: &CommCounters,
) -> anyhow::Result<String> {
    Ok(match view.args.output.format {
        Format::Table => render::table(view, rows),
        Format::Json => render::json(view, rows)?,
        Format::Csv => render::csv(view, rows, first),
        Format::Prometheus => time_metrics(view, rows, counters),
    })
}

/// Which ticks [`comm_groups`] sums.
#[derive(Clone, Copy)]
enum Ticks {
    /// Since each process started.
    Cumulative,
    /// Within the interval, the process's own (children's folded share taken out again:
    /// the children are counted under their own command).
    OwnInterval,
}

/// Per-command groups of rows.
fn comm_groups<'a, 'r: 'a>(
    rows: impl Iterator<Item = &'a Row<'r>>,
    ticks: Ticks,
    folded: bool,
) -> Vec<hostkit_proc::aggregate::Group> {
    aggregate(
        rows.map(|r| match ticks {
            Ticks::Cumulative => (r.p, r.p.stat.utime_ticks, r.p.stat.stime_ticks),
            Ticks::OwnInterval if folded => (r.p, r.ut - r.cut, r.st - r.cst),
            Ticks::OwnInterval => (r.p, r.ut, r.st),
        }),
        Process::display_comm,
    )
}

/// Runs `proc time`.
pub fn run(args: &TimeArgs) -> anyhow::Result<Outcome> {
    let opts = ReadOptions {
        wchan: true,
        stack: false,
        keep_fds: args.interval.is_some(),
        only_pids: (!args.pids.is_empty()).then(|| args.pids.clone()),
        schedstat: args.interval.is_some(),
        skip_self: false,
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
    if let Some(p) = &args.output.prom_file {
        output::check_replaceable(p).context("--prom-file")?;
    }
    let users = Users::for_root(&reader);
    let filter = filter(args, &users)?;
    let first = reader.sample()?;
    let now = now_unix_seconds();
    let Some(secs) = args.interval else {
        let rows: Vec<Row> = first
            .processes
            .iter()
            .filter(|p| filter.keep(p))
            .map(Row::cumulative)
            .collect();
        let rows = finish_rows(rows, args, &users);
        let view = View {
            snap: &first,
            prev: None,
            users: &users,
            args,
            interval: None,
            d_age: None,
            time: rfc3339(now, args.local_time),
            unix_seconds: now,
        };
        let mut c = CommCounters::default();
        c.update(
            None,
            &comm_groups(rows.iter(), Ticks::Cumulative, args.children),
            args.top,
        );
        if let Some(path) = &args.output.prom_file {
            output::write_atomic(path, time_metrics(&view, &rows, &c).as_bytes())?;
        }
        output::emit(
            args.output.output.as_deref(),
            render(&view, &rows, true, &c)?.as_bytes(),
        )?;
        return Ok(Outcome::Ok);
    };
    let sink = Sink::open(args.output.output.as_deref())?;
    Interval::new(args, &users, &filter, sink).run(&mut reader, first, secs)
}

/// Per-process sums for the Average block.
struct Acc {
    p: Process,
    ut: u64,
    st: u64,
    cut: u64,
    cst: u64,
    wait_ns: Option<u64>,
}

/// The interval loop's state.
struct Interval<'a> {
    args: &'a TimeArgs,
    users: &'a Users,
    filter: &'a Filter,
    sink: Sink,
    stop: Arc<AtomicBool>,
    d_age: DTracker,
    counters: CommCounters,
    avg: HashMap<(i32, u64), Acc>,
    avg_elapsed: f64,
    intervals: u64,
}

impl<'a> Interval<'a> {
    fn new(args: &'a TimeArgs, users: &'a Users, filter: &'a Filter, sink: Sink) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            // Registration only fails for forbidden signals; these two are allowed.
            let _ = signal_hook::flag::register(sig, Arc::clone(&stop));
        }
        Interval {
            args,
            users,
            filter,
            sink,
            stop,
            d_age: DTracker::default(),
            counters: CommCounters::default(),
            avg: HashMap::new(),
            avg_elapsed: 0.0,
            intervals: 0,
        }
    }

    /// Sleeps until `deadline_ns` (CLOCK_MONOTONIC) or a stop signal; true when stopped.
    fn sleep_until(&self, deadline_ns: u64) -> bool {
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return true;
            }
            let now = monotonic_ns();
            if now >= deadline_ns {
                return false;
            }
            let left = deadline_ns - now;
            let ts = libc::timespec {
                tv_sec: (left / 1_000_000_000) as libc::time_t,
                tv_nsec: (left % 1_000_000_000) as libc::c_long,
            };
            // SAFETY: `ts` is valid; a signal interrupts the sleep with EINTR, then the flag
            // is checked again.
            unsafe { libc::nanosleep(&ts, std::ptr::null_mut()) };
        }
    }

    fn run(
        mut self,
        reader: &mut hostkit_proc::sys::reader::Reader,
        first: Snapshot,
        secs: f64,
    ) -> anyhow::Result<Outcome> {
        let step_ns = (secs * 1e9) as u64;
        self.d_age.update_with(
            first.processes.iter().filter(|p| self.filter.keep(p)),
            first.monotonic_ns,
        );
        let start_rows: Vec<Row> = first
            .processes
            .iter()
            .filter(|p| self.filter.keep(p))
            .map(Row::cumulative)
            .collect();
        self.counters.update(
            None,
            &comm_groups(start_rows.iter(), Ticks::Cumulative, false),
            self.args.top,
        );
        drop(start_rows);
        let mut prev = first;
        while self.args.count.is_none_or(|c| self.intervals < c) {
            if self.sleep_until(prev.monotonic_ns + step_ns) {
                break;
            }
            let cur = reader.sample()?;
            let outcome = self.one(&prev, &cur)?;
            if let Some(o) = outcome {
                return Ok(o);
            }
            prev = cur;
        }
        // Per-thread rows have no Average (like pidstat -t's average, it would mix threads
        // that came and went); processes and --by groups do.
        // Prometheus has no average: its counters already carry the totals.
        if self.intervals > 0 && !self.args.threads && self.args.output.format != Format::Prometheus
        {
            self.average(&prev)?;
        }
        Ok(Outcome::Ok)
    }

    /// One interval: render it, write the Prometheus file, fold into the average; returns
    /// an outcome when `--fail-on-d-age` trips.
    fn one(&mut self, prev: &Snapshot, cur: &Snapshot) -> anyhow::Result<Option<Outcome>> {
        let args = self.args;
        self.intervals += 1;
        let now = now_unix_seconds();
        let iv = delta(prev, cur);
        let rows: Vec<Row> = iv
            .rows
            .iter()
            .filter(|r| self.filter.keep(r.process))
            .map(Row::from_delta)
            .collect();
        self.accumulate(&rows, iv.elapsed_seconds);
        let rows = finish_rows(rows, args, self.users);
        // What the displayed rows add up to (children included only when folded in).
        let top = (!args.all).then_some(args.top);
        let shown_ticks = shown(&rows, top).iter().map(|r| r.ut + r.st).sum::<u64>();
        // With -p only those processes are read: nothing to compare with /proc/stat.
        let cov = match (&prev.system.kernel, &cur.system.kernel) {
            (Some(a), Some(b)) if args.pids.is_empty() => {
                Some(coverage(&iv, &a.cpu, &b.cpu, shown_ticks))
            }
            _ => None,
        };
        self.d_age.update_with(
            cur.processes.iter().filter(|p| self.filter.keep(p)),
            cur.monotonic_ns,
        );
        let view = View {
            snap: cur,
            prev: Some(prev),
            users: self.users,
            args,
            interval: Some(IntervalInfo {
                block: Block::Interval(self.intervals),
                elapsed_seconds: iv.elapsed_seconds,
                coverage: cov,
            }),
            d_age: Some(&self.d_age),
            time: rfc3339(now, args.local_time),
            unix_seconds: now,
        };
        let live = rows.iter().filter(|r| r.is_live());
        let interval_groups = comm_groups(live.clone(), Ticks::OwnInterval, args.children);
        let cumulative = comm_groups(live, Ticks::Cumulative, args.children);
        self.counters
            .update(Some(&interval_groups), &cumulative, args.top);
        if let Some(path) = &args.output.prom_file {
            let text = time_metrics(&view, &rows, &self.counters);
            // A monitor must outlive a full disk or a permission change: say so, retry.
            if let Err(e) = output::write_atomic(path, text.as_bytes()) {
                let r = crate::error::Rendered::of(&e);
                crate::error::warn(
                    format!("{}; trying again next interval", r.causes.join(": ")),
                    r.hints.first().map(String::as_str),
                );
            }
        }
        self.sink
            .write(&render(&view, &rows, self.intervals == 1, &self.counters)?)?;
        if let (Some(limit), Some((pid, age))) = (args.fail_on_d_age, self.d_age.oldest())
            && age >= limit
        {
            eprintln!("process {pid} has been in D for {age:.1} s (--fail-on-d-age {limit})");
            return Ok(Some(Outcome::Negative));
        }
        Ok(None)
    }

    /// Adds one interval's (unfolded) rows to the Average sums.
    fn accumulate(&mut self, rows: &[Row], elapsed: f64) {
        self.avg_elapsed += elapsed;
        for r in rows {
            let acc = self.avg.entry(r.p.key()).or_insert_with(|| Acc {
                p: r.p.clone(),
                ut: 0,
                st: 0,
                cut: 0,
                cst: 0,
                wait_ns: None,
            });
            if r.presence != Some(Presence::Exited) {
                acc.p.stat.state = r.p.stat.state;
                acc.p.stat.num_threads = r.p.stat.num_threads;
            }
            acc.ut += r.ut;
            acc.st += r.st;
            acc.cut += r.cut;
            acc.cst += r.cst;
            if let Some(w) = r.wait_ns {
                acc.wait_ns = Some(acc.wait_ns.unwrap_or(0) + w);
            }
        }
    }

    /// The Average block over every interval so far (pidstat's `Average:`).
    fn average(&mut self, last: &Snapshot) -> anyhow::Result<()> {
        let args = self.args;
        let rows: Vec<Row> = self
            .avg
            .values()
            .map(|a| Row {
                p: &a.p,
                presence: Some(Presence::Both),
                ut: a.ut,
                st: a.st,
                cut: a.cut,
                cst: a.cst,
                wait_ns: a.wait_ns,
            })
            .collect();
        let rows = finish_rows(rows, args, self.users);
        let now = now_unix_seconds();
        let view = View {
            snap: last,
            prev: None,
            users: self.users,
            args,
            interval: Some(IntervalInfo {
                block: Block::Average(self.intervals),
                elapsed_seconds: self.avg_elapsed,
                coverage: None,
            }),
            d_age: None,
            time: rfc3339(now, args.local_time),
            unix_seconds: now,
        };
        let text = render(&view, &rows, false, &self.counters)?;
        self.sink.write(&text)
    }
}
