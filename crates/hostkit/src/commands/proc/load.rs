//! `hostkit proc load`: read every task's state over a short window (leaving this process
//! out), explain the load average in one sentence, list the D culprits grouped by (comm,
//! wchan), the trend and PSI; warn when the reader cannot see every task. `--nagios` turns the
//! D count into a plugin verdict through `hostkit-nagios` (ranges, perfdata, `-t`).

use std::time::Duration;

use hostkit_nagios::{PerfData, PluginOutput, Range, Status, Thresholds};
use hostkit_proc::explain::{LoadExplanation, explain};
use hostkit_proc::sys::facts::monotonic_ns;
use hostkit_proc::sys::reader::ReadOptions;
use hostkit_proc::window::load_window;
use serde_json::json;

use super::format::{pct, rfc3339};
use super::{open_reader, prom};
use crate::cli::proc::{Format, LoadArgs};
use crate::exit::Outcome;
use crate::output::now_unix_seconds;
use crate::output::{
    self,
    table::{Align, Table},
};
use hostkit_render::Envelope;
use hostkit_render::csv;

/// Schema of `proc load --format json` (2: envelope, window and visibility).
const SCHEMA_VERSION: u32 = 2;

/// Passes spread over `--window`.
const WINDOW_SAMPLES: usize = 5;

/// Runs `proc load`.
pub fn run(args: &LoadArgs) -> anyhow::Result<Outcome> {
    if args.nagios {
        return Ok(nagios(args));
    }
    if let Some(p) = &args.output.prom_file {
        output::check_replaceable(p)?;
    }
    let e = read(args)?;
    if args.stack && e.uninterruptible > 0 && e.stacks.is_empty() {
        crate::error::warn(
            "no kernel stack was readable",
            Some("`--stack` needs root (CAP_SYS_ADMIN)"),
        );
    }
    if let Some(v) = e.visibility.filter(|v| v.is_partial()) {
        crate::error::warn(
            partial_phrase(v.visible_threads, v.kernel_threads),
            Some(
                "run as root on the host, or read the host's procfs with --proc-root (e.g. /host/proc mounted without hidepid)",
            ),
        );
    }
    let now = now_unix_seconds();
    if let Some(path) = &args.output.prom_file {
        output::write_atomic(path, prom::load_metrics(&e, args.top, now).as_bytes())?;
    }
    let text = match args.output.format {
        Format::Table => table(&e, args.top),
        Format::Json => {
            let mut v = serde_json::to_value(&e)?;
            v["time"] = json!(rfc3339(now, false));
            v["sentence"] = json!(e.sentence());
            v["counted"] = json!(e.counted());
            Envelope::new("proc load", SCHEMA_VERSION, now, v).to_pretty()
        }
        Format::Csv => csv(&e),
        Format::Prometheus => prom::load_metrics(&e, args.top, now),
    };
    output::emit(args.output.output.as_deref(), text.as_bytes())?;
    Ok(Outcome::Ok)
}

fn partial_phrase(visible: u64, total: u64) -> String {
    format!(
        "this reader sees {visible} of the {total} threads in /proc/loadavg (hidepid or a PID namespace hides the rest): R and D counts may miss tasks"
    )
}

/// Samples the tree `WINDOW_SAMPLES` times over `--window` (once for a captured tree or a
/// zero window) and explains the last sample, with the window's averages.
fn read(args: &LoadArgs) -> anyhow::Result<LoadExplanation> {
    let opts = ReadOptions {
        wchan: true,
        stack: args.stack,
        schedstat: args.window > 0.0,
        skip_self: true,
        ..Default::default()
    };
    let mut reader = open_reader(&args.source.proc_root, opts)?;
    let passes = if args.window > 0.0 && reader.root().is_procfs() {
        WINDOW_SAMPLES
    } else {
        1
    };
    let step_ns = (args.window * 1e9) as u64 / (passes.max(2) - 1) as u64;
    let mut samples = Vec::with_capacity(passes);
    let start = monotonic_ns();
    for i in 0..passes {
        let due = start + step_ns * i as u64;
        let now = monotonic_ns();
        if due > now {
            std::thread::sleep(Duration::from_nanos(due - now));
        }
        samples.push(reader.sample()?);
    }
    let last = samples.last().expect("at least one pass");
    let mut e = explain(last);
    if !reader.root().is_procfs() {
        // A captured tree may hold a chosen subset: nothing to warn about.
        e.visibility = None;
    }
    if samples.len() > 1 {
        e.window = load_window(&samples);
    }
    Ok(e)
}

/// The sentence, then culprits, stacks and PSI as tables.
pub fn table(e: &LoadExplanation, top: usize) -> String {
    let mut out = format!("{}\n", e.sentence());
    if !e.culprits.is_empty() {
        let mut t = Table::new(&[
            ("D", Align::Right),
            ("COMM", Align::Left),
            ("WCHAN", Align::Left),
            ("OLDEST PIDS", Align::Left),
        ]);
        for c in e.culprits.iter().take(top) {
            t.row([
                c.count.to_string(),
                c.comm.clone(),
                c.wchan.clone(),
                join(&c.oldest_pids),
            ]);
        }
        out.push_str(
            "\nD culprits (threads in uninterruptible sleep by command and wait channel):\n",
        );
        out.push_str(&t.render());
        if e.culprits.len() > top {
            out.push_str(&format!(
                "... {} more groups (--top N)\n",
                e.culprits.len() - top
            ));
        }
    }
    if !e.stacks.is_empty() {
        out.push_str("\nKernel stacks of D threads (innermost first):\n");
        let mut t = Table::new(&[
            ("D", Align::Right),
            ("PIDS", Align::Left),
            ("STACK", Align::Left),
        ]);
        for s in e.stacks.iter().take(top) {
            t.row([s.count.to_string(), join(&s.pids), s.frames.join(" <- ")]);
        }
        out.push_str(&t.render());
    }
    if !e.psi.is_empty() {
        out.push_str("\nPressure (PSI, % of time some/all tasks stalled):\n");
        let mut t = Table::new(&[
            ("RESOURCE", Align::Left),
            ("KIND", Align::Left),
            ("AVG10", Align::Right),
            ("AVG60", Align::Right),
            ("AVG300", Align::Right),
        ]);
        for p in &e.psi {
            t.row([
                p.resource.clone(),
                p.kind.clone(),
                pct(p.avg10_percent),
                pct(p.avg60_percent),
                pct(p.avg300_percent),
            ]);
        }
        out.push_str(&t.render());
    }
    out
}

fn csv(e: &LoadExplanation) -> String {
    let mut out = csv::line(["d_threads", "comm", "wchan", "oldest_pids"].map(String::from));
    for c in &e.culprits {
        out += &csv::line([
            c.count.to_string(),
            c.comm.clone(),
            c.wchan.clone(),
            join(&c.oldest_pids),
        ]);
    }
    out
}

fn join(pids: &[i32]) -> String {
    pids.iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses one Nagios range option; a usage error names the flag.
fn range(flag: &str, v: Option<&String>) -> Result<Option<Range>, String> {
    v.map(|text| {
        Range::parse(text).map_err(|e| {
            let msg = e.to_string();
            format!("{flag} {}", msg.lines().next().unwrap_or_default())
        })
    })
    .transpose()
}

/// Writes the plugin text to stdout; a closed or full stdout is reported on stderr, never a
/// panic (the exit code still carries the verdict).
fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        eprintln!("warning: could not write the plugin output: {e}");
    }
}

fn unknown(summary: String) -> Outcome {
    let out = PluginOutput {
        service: "PROC LOAD".into(),
        status: Status::Unknown,
        summary: summary.replace('\n', " "),
        perfdata: vec![],
        long_text: vec![],
    };
    emit(&out.render());
    Outcome::Code(Status::Unknown.code())
}

/// The Nagios plugin: one line `PROC LOAD STATUS: text|perfdata`, exit 0/1/2/3.
pub fn nagios(args: &LoadArgs) -> Outcome {
    let th = match (
        range("-w", args.warning.as_ref()),
        range("-c", args.critical.as_ref()),
    ) {
        (Ok(warning), Ok(critical)) => Thresholds { warning, critical },
        (Err(e), _) | (_, Err(e)) => return unknown(e),
    };
    // The read runs on a worker so `-t` holds even when a /proc read blocks; on timeout the
    // process exits with the worker still inside the kernel.
    let (tx, rx) = std::sync::mpsc::channel();
    let worker_args = LoadArgs {
        nagios: false,
        ..args.clone()
    };
    std::thread::spawn(move || {
        let _ = tx.send(read(&worker_args).map_err(|e| format!("{e:#}")));
    });
    let e = match rx.recv_timeout(Duration::from_secs_f64(args.timeout.max(0.001))) {
        Ok(Ok(e)) => e,
        Ok(Err(msg)) => return unknown(msg),
        Err(_) => {
            return unknown(format!(
                "no answer from the proc tree within {} s (-t)",
                args.timeout
            ));
        }
    };
    if let Some(v) = e.visibility.filter(|v| v.is_partial()) {
        return unknown(partial_phrase(v.visible_threads, v.kernel_threads));
    }
    let d = f64::from(e.uninterruptible);
    let status = th.evaluate(d);
    let mut text = format!("{d} threads in D, {} runnable", e.runnable);
    if let Some(l) = &e.loadavg {
        text.push_str(&format!(
            ", load {:.2}/{:.2}/{:.2} on {} CPUs",
            l.load1, l.load5, l.load15, e.ncpu
        ));
    }
    if let Some(top) = e.culprits.first() {
        text.push_str(&format!(
            "; top: {}\u{d7} {} @{}",
            top.count, top.comm, top.wchan
        ));
    }
    let mut perf = vec![
        PerfData::new("d_threads", Some(d), 0, "")
            .thresholds(
                th.warning.as_ref().map(|r| r.text.clone()),
                th.critical.as_ref().map(|r| r.text.clone()),
            )
            .bounds(Some(0.0), None),
        PerfData::new("r_threads", Some(f64::from(e.runnable)), 0, "").bounds(Some(0.0), None),
    ];
    if let Some(w) = e.window.filter(|w| w.samples > 1) {
        perf.push(PerfData::new(
            "d_threads_mean",
            Some(w.uninterruptible_mean),
            2,
            "",
        ));
        perf.push(PerfData::new(
            "r_threads_mean",
            Some(w.runnable_mean),
            2,
            "",
        ));
        if let Some(wait) = w.waiting_mean {
            perf.push(PerfData::new("r_waiting_mean", Some(wait), 2, ""));
        }
    }
    if let Some(l) = &e.loadavg {
        for (name, v) in [("load1", l.load1), ("load5", l.load5), ("load15", l.load15)] {
            perf.push(PerfData::new(name, Some(v), 2, "").bounds(Some(0.0), None));
        }
    }
    let out = PluginOutput {
        service: "PROC LOAD".into(),
        status,
        summary: text,
        perfdata: perf,
        long_text: vec![],
    };
    emit(&out.render());
    Outcome::Code(status.code())
}

/// A clap usage error under `proc load --nagios`: `PROC LOAD UNKNOWN: ...` (clap's first
/// line) on stdout, exit 3 (help and version requests keep clap's behaviour).
pub fn nagios_usage_error(err: clap::Error) -> crate::exit::ExitCode {
    crate::exit::nagios_usage_error(err, |message| {
        let first = message.lines().next().unwrap_or_default().to_string();
        let Outcome::Code(code) = unknown(first) else {
            unreachable!("unknown() returns a code")
        };
        crate::exit::ExitCode::from(code)
    })
}
