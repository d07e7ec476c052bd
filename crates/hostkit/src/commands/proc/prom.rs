//! Prometheus text format 0.0.4 for `proc time` and `proc load`, following node_exporter's
//! textfile conventions: `# HELP` and `# TYPE` per metric, no timestamps, bounded labels
//! (the top N command names, the rest folded into `comm="(other)"`; never a PID label).
//! Per-command CPU seconds are gauges: they drop when members exit.

use std::collections::BTreeMap;
use std::fmt::Write;

use hostkit_proc::State;
use hostkit_proc::aggregate::aggregate;
use hostkit_proc::explain::LoadExplanation;

use super::format::label;
use super::render::View;
use super::time::{Row, comm_cell};

/// Label value for everything outside the top N.
const OTHER: &str = "(other)";

struct Out(String);

impl Out {
    fn metric(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        // Nine decimals: no binary-float noise like 0.14029999999999998 in the file.
        let value = (value * 1e9).round() / 1e9;
        let l: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", label(v)))
            .collect();
        if l.is_empty() {
            let _ = writeln!(self.0, "{name} {value}");
        } else {
            let _ = writeln!(self.0, "{name}{{{}}} {value}", l.join(","));
        }
    }
}

/// Metrics for `proc time` over all rows that passed the filters.
pub fn time_metrics(view: &View, rows: &[Row]) -> String {
    let mut o = Out(String::new());
    o.metric(
        "hostkit_proc_processes",
        "gauge",
        "Processes read and matched in the last pass.",
    );
    o.sample("hostkit_proc_processes", &[], rows.len() as f64);
    let mut census: BTreeMap<State, u32> = BTreeMap::new();
    for r in rows {
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
        rows.iter().filter(|r| r.p.hidden_d()).count() as f64,
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
    let groups = aggregate(rows.iter().map(|r| (r.p, r.ut, r.st)), comm_cell);
    let top = view.args.top.max(1);
    let mut folded: Vec<(String, u32, u32, u64, u64)> = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        let key = if i < top {
            g.key.clone()
        } else {
            OTHER.to_string()
        };
        match folded.iter_mut().find(|f| f.0 == key) {
            Some(f) => {
                f.1 += g.processes;
                f.2 += g.d_threads;
                f.3 += g.utime_ticks;
                f.4 += g.stime_ticks;
            }
            None => folded.push((key, g.processes, g.d_threads, g.utime_ticks, g.stime_ticks)),
        }
    }
    let (name, help) = match view.interval {
        Some(_) => (
            "hostkit_proc_comm_cpu_ratio",
            "CPU used per command over the last interval, in CPUs (1 = one CPU busy), by mode.",
        ),
        None => (
            "hostkit_proc_comm_cpu_seconds",
            "CPU seconds of live processes per command since they started, by mode (gauge: drops when processes exit).",
        ),
    };
    let scale = |ticks: u64| {
        let s = view.snap.facts.seconds(ticks);
        match view.interval {
            Some((_, e)) if e > 0.0 => s / e,
            Some(_) => 0.0,
            None => s,
        }
    };
    o.metric(name, "gauge", help);
    for (key, _, _, ut, st) in &folded {
        o.sample(name, &[("comm", key), ("mode", "user")], scale(*ut));
        o.sample(name, &[("comm", key), ("mode", "system")], scale(*st));
    }
    o.metric(
        "hostkit_proc_comm_processes",
        "gauge",
        "Processes per command.",
    );
    for (key, n, ..) in &folded {
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
    for (key, _, d, ..) in &folded {
        o.sample(
            "hostkit_proc_comm_d_threads",
            &[("comm", key)],
            f64::from(*d),
        );
    }
    o.0
}

/// Metrics for `proc load`; culprits beyond `top` fold into `(other)`.
pub fn load_metrics(e: &LoadExplanation, top: usize) -> String {
    let mut o = Out(String::new());
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
    o.0
}
