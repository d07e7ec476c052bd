//! Prometheus text format 0.0.4 for `proc time` and `proc load`, following node_exporter's
//! textfile conventions: `# HELP` and `# TYPE` per metric, no timestamps, one prefix
//! (`hostkit_`), bounded labels (the top N command names, the rest folded into
//! `comm="(other)"`; never a PID label). CPU time is a `_seconds_total` counter under the same
//! name in snapshot and interval mode; in interval mode it only grows ([`CommCounters`]).
//! Exited processes are never counted; the R and D series are always present.

use std::collections::{BTreeMap, HashMap};

use hostkit_proc::State;
use hostkit_proc::aggregate::{Group, aggregate};
use hostkit_proc::explain::LoadExplanation;
use hostkit_proc::rows::Row;

use super::view::View;
use hostkit_render::{Exposition, MetricKind};

/// Label value for everything outside the top N.
const OTHER: &str = "(other)";

/// The house exposition writer with the family name repeated at each sample (which keeps
/// the metric visible where its value is computed).
struct Out(Exposition);

impl Out {
    fn new() -> Out {
        Out(Exposition::new())
    }

    fn metric(&mut self, name: &str, kind: &str, help: &str) {
        let kind = if kind == "counter" {
            MetricKind::Counter
        } else {
            MetricKind::Gauge
        };
        self.0.family(name, kind, help);
    }

    fn sample(&mut self, _name: &str, labels: &[(&str, &str)], value: f64) {
        self.0.sample(labels, value);
    }

    fn timestamp(&mut self, command: &str, unix_seconds: f64) {
        self.metric(
            "hostkit_proc_last_update_timestamp_seconds",
            "gauge",
            "When hostkit last wrote these metrics, seconds since the Unix epoch.",
        );
        self.sample(
            "hostkit_proc_last_update_timestamp_seconds",
            &[("command", command)],
            unix_seconds,
        );
    }
}

/// Per-command CPU counters that only grow across intervals. A command gets its own label
/// when it enters the top N (by cumulative CPU at the first sample, by interval CPU later),
/// starting from its live processes' cumulative time, and keeps it; at most `4 x top` labels.
/// Everything else accumulates in `(other)`.
#[derive(Debug, Default)]
pub struct CommCounters {
    labelled: BTreeMap<String, (u64, u64)>,
    other: (u64, u64),
    started: bool,
}

impl CommCounters {
    /// Folds in one pass: `interval` groups (ticks within the interval; `None` at the first
    /// sample) and `cumulative` groups (ticks since start of the live processes).
    pub fn update(&mut self, interval: Option<&[Group]>, cumulative: &[Group], top: usize) {
        let cap = top.saturating_mul(4).max(1);
        let cum: HashMap<&str, (u64, u64)> = cumulative
            .iter()
            .map(|g| (g.key.as_str(), (g.utime_ticks, g.stime_ticks)))
            .collect();
        let (groups, whole) = match interval {
            Some(g) if self.started => (g, false),
            _ => (cumulative, true),
        };
        self.started = true;
        for (rank, g) in groups.iter().enumerate() {
            let add = (g.utime_ticks, g.stime_ticks);
            if let Some(c) = self.labelled.get_mut(&g.key) {
                c.0 += add.0;
                c.1 += add.1;
            } else if rank < top && self.labelled.len() < cap {
                let start = if whole {
                    add
                } else {
                    cum.get(g.key.as_str()).copied().unwrap_or(add)
                };
                self.labelled.insert(g.key.clone(), start);
            } else {
                self.other.0 += add.0;
                self.other.1 += add.1;
            }
        }
    }

    /// The label a command is reported under.
    fn label<'a>(&self, key: &'a str) -> &'a str {
        if self.labelled.contains_key(key) {
            key
        } else {
            OTHER
        }
    }
}

/// Metrics for `proc time` over the live rows that passed the filters; `counters` carries the
/// per-command CPU counters (updated by the caller for this pass).
pub fn time_metrics(view: &View, rows: &[Row], counters: &CommCounters) -> String {
    let mut o = Out::new();
    let live: Vec<&Row> = rows.iter().filter(|r| r.is_live()).collect();
    o.timestamp("time", view.unix_seconds);
    o.metric(
        "hostkit_proc_processes",
        "gauge",
        "Processes read and matched in the last pass.",
    );
    o.sample("hostkit_proc_processes", &[], live.len() as f64);
    let mut census: BTreeMap<State, u32> = BTreeMap::from([(State::RUNNING, 0), (State::DISK, 0)]);
    for r in &live {
        for s in r.p.task_states() {
            *census.entry(s).or_insert(0) += 1;
        }
    }
    o.metric(
        "hostkit_proc_threads",
        "gauge",
        "Threads by state letter (R and D count toward the load average).",
    );
    for (s, n) in &census {
        o.sample(
            "hostkit_proc_threads",
            &[("state", &s.to_string())],
            f64::from(*n),
        );
    }
    o.metric(
        "hostkit_proc_hidden_d_processes",
        "gauge",
        "Processes whose main thread is not in D but another thread is.",
    );
    o.sample(
        "hostkit_proc_hidden_d_processes",
        &[],
        live.iter().filter(|r| r.p.hidden_d()).count() as f64,
    );
    o.metric(
        "hostkit_proc_unreadable_processes",
        "gauge",
        "Listed processes that vanished or could not be read.",
    );
    for kind in ["vanished", "denied", "malformed"] {
        let n = view
            .snap
            .problems
            .iter()
            .filter(|p| format!("{:?}", p.kind).to_lowercase() == kind)
            .count();
        o.sample(
            "hostkit_proc_unreadable_processes",
            &[("reason", kind)],
            n as f64,
        );
    }
    let secs = |t: u64| view.snap.facts.seconds(t);
    o.metric(
        "hostkit_proc_comm_cpu_seconds_total",
        "counter",
        "CPU seconds per command, by mode. Snapshot: of the live processes since they started (drops when one exits). Interval mode: accumulated and never decreasing.",
    );
    for (key, (ut, st)) in &counters.labelled {
        o.sample(
            "hostkit_proc_comm_cpu_seconds_total",
            &[("comm", key), ("mode", "user")],
            secs(*ut),
        );
        o.sample(
            "hostkit_proc_comm_cpu_seconds_total",
            &[("comm", key), ("mode", "system")],
            secs(*st),
        );
    }
    o.sample(
        "hostkit_proc_comm_cpu_seconds_total",
        &[("comm", OTHER), ("mode", "user")],
        secs(counters.other.0),
    );
    o.sample(
        "hostkit_proc_comm_cpu_seconds_total",
        &[("comm", OTHER), ("mode", "system")],
        secs(counters.other.1),
    );
    let groups = aggregate(live.iter().map(|r| (r.p, r.ut, r.st)), |p| p.display_comm());
    let mut folded: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for g in &groups {
        let f = folded.entry(counters.label(&g.key)).or_default();
        f.0 += g.processes;
        f.1 += g.d_threads;
    }
    o.metric(
        "hostkit_proc_comm_processes",
        "gauge",
        "Live processes per command.",
    );
    for (key, (n, _)) in &folded {
        o.sample(
            "hostkit_proc_comm_processes",
            &[("comm", key)],
            f64::from(*n),
        );
    }
    o.metric(
        "hostkit_proc_comm_d_threads",
        "gauge",
        "Threads in D per command.",
    );
    for (key, (_, d)) in &folded {
        o.sample(
            "hostkit_proc_comm_d_threads",
            &[("comm", key)],
            f64::from(*d),
        );
    }
    if let Some(i) = view.interval {
        o.metric(
            "hostkit_proc_interval_seconds",
            "gauge",
            "Monotonic seconds covered by the last interval.",
        );
        o.sample("hostkit_proc_interval_seconds", &[], i.elapsed_seconds);
        if let Some(c) = i.coverage {
            o.metric(
                "hostkit_proc_cpu_accounted_ratio",
                "gauge",
                "Share of the task CPU time in /proc/stat (user+nice+system) that the processes read account for in the last interval (the rest exited within it).",
            );
            o.sample(
                "hostkit_proc_cpu_accounted_ratio",
                &[],
                c.ratio(c.accounted_ticks()),
            );
        }
    }
    o.0.finish()
}

/// Metrics for `proc load`; culprits beyond `top` fold into `(other)`.
pub fn load_metrics(e: &LoadExplanation, top: usize, unix_seconds: f64) -> String {
    let mut o = Out::new();
    o.timestamp("load", unix_seconds);
    if let Some(l) = &e.loadavg {
        o.metric(
            "hostkit_load_average",
            "gauge",
            "Load average by window (/proc/loadavg).",
        );
        for (w, v) in [("1m", l.load1), ("5m", l.load5), ("15m", l.load15)] {
            o.sample("hostkit_load_average", &[("window", w)], v);
        }
    }
    o.metric("hostkit_load_cpus", "gauge", "CPUs online.");
    o.sample("hostkit_load_cpus", &[], f64::from(e.ncpu));
    o.metric(
        "hostkit_load_tasks",
        "gauge",
        "Threads counting toward the load now, by state (R runnable, D uninterruptible).",
    );
    o.sample(
        "hostkit_load_tasks",
        &[("state", "R")],
        f64::from(e.runnable),
    );
    o.sample(
        "hostkit_load_tasks",
        &[("state", "D")],
        f64::from(e.uninterruptible),
    );
    if let Some(w) = e.window.filter(|w| w.samples > 1) {
        o.metric(
            "hostkit_load_tasks_mean",
            "gauge",
            "Threads counting toward the load, averaged over the sampling window, by state; R split into on a CPU and waiting for one (schedstat).",
        );
        o.sample(
            "hostkit_load_tasks_mean",
            &[("state", "R")],
            w.runnable_mean,
        );
        o.sample(
            "hostkit_load_tasks_mean",
            &[("state", "D")],
            w.uninterruptible_mean,
        );
        if let (Some(run), Some(wait)) = (w.on_cpu_mean, w.waiting_mean) {
            o.sample("hostkit_load_tasks_mean", &[("state", "R_on_cpu")], run);
            o.sample("hostkit_load_tasks_mean", &[("state", "R_waiting")], wait);
        }
    }
    if let Some(b) = e.procs_blocked {
        o.metric(
            "hostkit_load_procs_blocked",
            "gauge",
            "Threads in I/O wait (procs_blocked), a subset of D.",
        );
        o.sample("hostkit_load_procs_blocked", &[], b as f64);
    }
    o.metric(
        "hostkit_load_idle_kthreads",
        "gauge",
        "Idle kernel threads (I), never counted in the load.",
    );
    o.sample(
        "hostkit_load_idle_kthreads",
        &[],
        f64::from(e.idle_kthreads),
    );
    o.metric(
        "hostkit_load_hidden_d_processes",
        "gauge",
        "Processes with a D thread behind a main thread that is not D.",
    );
    o.sample(
        "hostkit_load_hidden_d_processes",
        &[],
        f64::from(e.hidden_d_processes),
    );
    if let Some(v) = e.visibility {
        o.metric(
            "hostkit_load_visible_threads_ratio",
            "gauge",
            "Threads the reader saw over all threads in /proc/loadavg (below 0.9: hidepid or a PID namespace hides tasks).",
        );
        o.sample(
            "hostkit_load_visible_threads_ratio",
            &[],
            v.visible_threads as f64 / v.kernel_threads.max(1) as f64,
        );
    }
    o.metric(
        "hostkit_load_d_tasks",
        "gauge",
        "D threads by command and wait channel (top groups, the rest as (other)).",
    );
    let mut other = 0u32;
    for (i, c) in e.culprits.iter().enumerate() {
        if i < top {
            o.sample(
                "hostkit_load_d_tasks",
                &[("comm", &c.comm), ("wchan", &c.wchan)],
                f64::from(c.count),
            );
        } else {
            other += c.count;
        }
    }
    if other > 0 {
        o.sample(
            "hostkit_load_d_tasks",
            &[("comm", OTHER), ("wchan", OTHER)],
            f64::from(other),
        );
    }
    if !e.psi.is_empty() {
        o.metric(
            "hostkit_pressure_ratio",
            "gauge",
            "Pressure stall information: share of time stalled (0-1).",
        );
        for p in &e.psi {
            for (w, v) in [
                ("10s", p.avg10_percent),
                ("60s", p.avg60_percent),
                ("300s", p.avg300_percent),
            ] {
                o.sample(
                    "hostkit_pressure_ratio",
                    &[("resource", &p.resource), ("kind", &p.kind), ("window", w)],
                    v / 100.0,
                );
            }
        }
    }
    o.0.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(key: &str, ut: u64, st: u64) -> Group {
        Group {
            key: key.into(),
            processes: 1,
            threads: 1,
            r_threads: 0,
            d_threads: 0,
            utime_ticks: ut,
            stime_ticks: st,
        }
    }

    /// Counters never decrease: a command promoted later starts from its cumulative time,
    /// `(other)` keeps what it had.
    #[test]
    fn comm_counters_only_grow() {
        let mut c = CommCounters::default();
        c.update(None, &[g("a", 10, 10), g("b", 5, 5)], 1);
        assert_eq!(c.labelled["a"], (10, 10));
        assert_eq!(c.other, (5, 5));
        c.update(
            Some(&[g("b", 3, 3), g("a", 1, 0)]),
            &[g("a", 11, 10), g("b", 8, 8)],
            1,
        );
        assert_eq!(c.labelled["a"], (11, 10));
        assert_eq!(c.labelled["b"], (8, 8));
        assert_eq!(c.other, (5, 5));
    }
}
