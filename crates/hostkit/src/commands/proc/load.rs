//! `hostkit proc load`: read every task's state, explain the load average in one sentence,
//! list the D culprits grouped by (comm, wchan), the trend and PSI; `--nagios` turns the D
//! count into a plugin verdict with 0/1/2/3 exit codes.

use hostkit_proc::explain::{LoadExplanation, explain};
use hostkit_proc::sys::reader::ReadOptions;
use serde_json::json;

use super::format::{csv_line, pct};
use super::{open_reader, prom};
use crate::cli::proc::{Format, LoadArgs};
use crate::exit::Outcome;
use crate::output::{
    self,
    table::{Align, Table},
};

/// Runs `proc load`.
pub fn run(args: &LoadArgs) -> anyhow::Result<Outcome> {
    if args.nagios {
        return Ok(nagios(args));
    }
    let e = read(args)?;
    if args.stack && e.uninterruptible > 0 && e.stacks.is_empty() {
        crate::error::warn(
            "no kernel stack was readable",
            Some("`--stack` needs root (CAP_SYS_ADMIN)"),
        );
    }
    if let Some(path) = &args.output.prom_file {
        output::write_atomic(path, prom::load_metrics(&e, args.top).as_bytes())?;
    }
    let text = match args.output.format {
        Format::Table => table(&e, args.top),
        Format::Json => {
            let mut v = serde_json::to_value(&e)?;
            v["sentence"] = json!(e.sentence());
            v["counted"] = json!(e.counted());
            output::print_json(&v)?;
            return Ok(Outcome::Ok);
        }
        Format::Csv => csv(&e),
        Format::Prometheus => prom::load_metrics(&e, args.top),
    };
    output::print_text(&text)?;
    Ok(Outcome::Ok)
}

fn read(args: &LoadArgs) -> anyhow::Result<LoadExplanation> {
    let opts = ReadOptions {
        wchan: true,
        stack: args.stack,
        ..Default::default()
    };
    let mut reader = open_reader(&args.source.proc_root, opts)?;
    Ok(explain(&reader.sample()?))
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
    let mut out = csv_line(["d_threads", "comm", "wchan", "oldest_pids"].map(String::from));
    for c in &e.culprits {
        out += &csv_line([
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

/// Parses a Nagios threshold: a non-negative count (alert when the D count is above it).
fn threshold(flag: &str, v: Option<&String>) -> Result<u64, String> {
    let v = v.ok_or_else(|| format!("{flag} is required with --nagios (e.g. `{flag} 10`)"))?;
    v.trim().parse::<u64>().map_err(|_| {
        format!("{flag} `{v}` is not a count; expected a non-negative integer such as `10`")
    })
}

/// The Nagios plugin: one line `PROC LOAD STATUS - text | perfdata`, exit 0/1/2/3.
pub fn nagios(args: &LoadArgs) -> Outcome {
    let unknown = |msg: String| {
        println!("PROC LOAD UNKNOWN: {}", msg.replace('\n', " "));
        Outcome::Code(crate::exit::NAGIOS_UNKNOWN)
    };
    let (w, c) = match (
        threshold("-w", args.warning.as_ref()),
        threshold("-c", args.critical.as_ref()),
    ) {
        (Ok(w), Ok(c)) if w <= c => (w, c),
        (Ok(w), Ok(c)) => {
            return unknown(format!(
                "-w {w} is above -c {c}; expected warning <= critical"
            ));
        }
        (Err(e), _) | (_, Err(e)) => return unknown(e),
    };
    let e = match read(args) {
        Ok(e) => e,
        Err(err) => return unknown(format!("{err:#}")),
    };
    let d = u64::from(e.uninterruptible);
    let (status, code) = if d > c {
        ("CRITICAL", 2)
    } else if d > w {
        ("WARNING", 1)
    } else {
        ("OK", 0)
    };
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
    let mut perf = format!("d_threads={d};{w};{c};0 r_threads={};;;0", e.runnable);
    if let Some(l) = &e.loadavg {
        perf.push_str(&format!(
            " load1={};;;0 load5={};;;0 load15={};;;0",
            l.load1, l.load5, l.load15
        ));
    }
    println!("PROC LOAD {status}: {text} | {perf}");
    Outcome::Code(code)
}

/// A clap usage error under `proc load --nagios`: `PROC LOAD UNKNOWN: ...` (clap's first
/// line) on stdout, exit 3 (help and version requests keep clap's behaviour).
pub fn nagios_usage_error(err: clap::Error) -> crate::exit::ExitCode {
    crate::exit::nagios_usage_error(err, |message| {
        println!(
            "PROC LOAD UNKNOWN: {}",
            message.lines().next().unwrap_or_default()
        );
        crate::exit::ExitCode::from(crate::exit::NAGIOS_UNKNOWN)
    })
}
