//! Renderers for `proc time`: the process table (snapshot, interval or Average block),
//! per-thread rows (`--threads`), roll-ups (`--by`), as text table, JSON and CSV, with the
//! timestamp and, per interval, the CPU coverage footer. Pure: rows in, text out. A column
//! name means one thing: cumulative seconds (`UTIME`, `utime_seconds`) are never reused for
//! per-interval values (`%USR`, `interval_utime_seconds`).

use std::collections::BTreeMap;

use hostkit_proc::coverage::Coverage;
use hostkit_proc::delta::Presence;
use hostkit_proc::rows::{Row, ThreadRow, shown, sort_threads, thread_rows};
use hostkit_proc::{Snapshot, State, escape_comm};
use serde_json::{Value, json};

use super::format::{elapsed, pct, secs, utc};
use hostkit_render::{Envelope, csv};

/// Schema of `proc time --format json` (2: envelope, interval fields renamed, coverage).
pub const SCHEMA_VERSION: u32 = 2;
use super::view::{Block, View};
use crate::cli::proc::GroupKey;
use crate::output::table::{Align, Table};

fn presence_word(p: Option<Presence>) -> &'static str {
    match p {
        Some(Presence::New) => "new",
        Some(Presence::Exited) => "exited",
        _ => "",
    }
}

fn start_cell(view: &View, r: &Row) -> String {
    if view.args.start {
        view.snap
            .start_unix_seconds(r.p)
            .map(utc)
            .unwrap_or_else(|| "?".into())
    } else {
        view.snap
            .elapsed_seconds(r.p)
            .map(elapsed)
            .unwrap_or_else(|| "?".into())
    }
}

/// The NOTE cell: new/exited, and how long the process has been in D (`D 12s`).
fn note_cell(view: &View, r: &Row) -> String {
    let mut note = presence_word(r.presence).to_string();
    let age = view
        .d_age
        .filter(|_| r.is_live())
        .and_then(|t| t.age_seconds(r.p));
    if let Some(age) = age {
        if !note.is_empty() {
            note.push(' ');
        }
        note.push_str(&if age < 10.0 {
            format!("D {age:.1}s")
        } else {
            format!("D {age:.0}s")
        });
    }
    note
}

/// Number of processes per problem kind in a snapshot, as a short phrase (empty if none).
fn problems_phrase(snap: &Snapshot) -> String {
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

/// The summary line above a table.
fn headline(view: &View, rows: &[Row], what: &str, shown_n: usize) -> String {
    let mut census: BTreeMap<State, u32> = BTreeMap::new();
    let live = rows.iter().filter(|r| r.is_live());
    for r in live.clone() {
        for s in r.p.task_states() {
            *census.entry(s).or_insert(0) += 1;
        }
    }
    let count = |s| census.get(&s).copied().unwrap_or(0);
    let hidden = live.clone().filter(|r| r.p.hidden_d()).count();
    let n_live = live.count();
    let mut line = format!("{} ", view.time);
    match view.interval.map(|i| (i.block, i.elapsed_seconds)) {
        Some((Block::Interval(i), e)) => {
            let n = |p| rows.iter().filter(|r| r.presence == Some(p)).count();
            line.push_str(&format!(
                "interval {i}: {e:.2} s, {n_live} processes ({} new, {} exited)",
                n(Presence::New),
                n(Presence::Exited)
            ));
        }
        Some((Block::Average(n), e)) => {
            line.push_str(&format!(
                "Average over {n} interval{} ({e:.2} s), {n_live} processes",
                if n == 1 { "" } else { "s" }
            ));
        }
        None => line.push_str(&format!("{n_live} processes")),
    }
    line.push_str(&format!(
        ", {} threads: {} R, {} D ({hidden} hidden behind a non-D main thread); {what} {shown_n} by {}",
        census.values().sum::<u32>(),
        count(State::RUNNING),
        count(State::DISK),
        view.sort().name()
    ));
    if view.args.children {
        line.push_str(" (reaped children folded in)");
    }
    if view.interval.is_none() {
        line.push_str(" since process start (-i SECS for current rates)");
    }
    let problems = problems_phrase(view.snap);
    if !problems.is_empty() {
        line.push_str(&format!("; {problems}"));
    }
    line + "\n"
}

/// The coverage footer of one interval.
pub fn coverage_line(view: &View, c: &Coverage) -> String {
    let all = c.cpu.total_ticks().max(1) as f64;
    let share = |t: u64| 100.0 * t as f64 / all;
    let pc = |t: u64| 100.0 * c.ratio(t);
    format!(
        "cpu: usr {:.1}% nice {:.1}% sys {:.1}% irq {:.1}% softirq {:.1}% iowait {:.1}% steal {:.1}% of {} CPUs (/proc/stat)\n\
coverage: processes account for {:.1}% of the task time (own {:.1}%, reaped children {:.1}%), \
unaccounted (exited within the interval) {:.1}%; rows shown {:.1}%\n",
        share(c.cpu.user),
        share(c.cpu.nice),
        share(c.cpu.system),
        share(c.cpu.irq),
        share(c.cpu.softirq),
        share(c.cpu.iowait),
        share(c.cpu.steal),
        view.snap.facts.ncpu,
        pc(c.accounted_ticks()),
        pc(c.live_ticks),
        pc(c.reaped_ticks),
        pc(c.unaccounted_ticks()),
        pc(c.shown_ticks),
    )
}

/// The text table for `proc time` (processes, threads or groups).
pub fn table(view: &View, rows: &[Row]) -> String {
    let mut out = if view.args.threads {
        threads_table(view, rows)
    } else if let Some(key) = view.args.by {
        groups_table(view, rows, key)
    } else {
        process_table(view, rows)
    };
    if let Some(c) = view.interval.and_then(|i| i.coverage) {
        out.push_str(&coverage_line(view, &c));
    }
    if view.interval.is_some() {
        out.push('\n');
    }
    out
}

fn process_table(view: &View, rows: &[Row]) -> String {
    let args = view.args;
    let shown_rows = shown(rows, view.top());
    let with_wchan = shown_rows.iter().any(|r| r.p.shown_wchan().is_some());
    let iv = view.interval.is_some();
    let mut cols: Vec<(&str, Align)> = vec![
        ("PID", Align::Right),
        ("USER", Align::Left),
        ("S", Align::Left),
        ("THR", Align::Right),
    ];
    if iv {
        cols.extend(["%USR", "%SYS", "%CUSR", "%CSYS", "%WAIT", "%CPU"].map(|c| (c, Align::Right)));
    } else {
        cols.extend([("UTIME", Align::Right), ("STIME", Align::Right)]);
        if args.children {
            cols.extend([("CUTIME", Align::Right), ("CSTIME", Align::Right)]);
        }
        cols.push((if args.start { "START" } else { "ELAPSED" }, Align::Right));
    }
    if with_wchan {
        cols.push(("WCHAN", Align::Left));
    }
    cols.push(("COMM", Align::Left));
    if iv {
        cols.push(("NOTE", Align::Left));
    }
    let mut t = Table::new(&cols);
    for r in shown_rows {
        let mut cells = vec![
            r.p.stat.pid.to_string(),
            view.users.name(r.p.uid),
            r.p.state_label(),
            r.p.stat.num_threads.to_string(),
        ];
        if iv {
            cells.extend([
                pct(view.percent(r.ut)),
                pct(view.percent(r.st)),
                pct(view.percent(r.cut)),
                pct(view.percent(r.cst)),
                r.wait_ns
                    .map(|w| pct(view.percent_ns(w)))
                    .unwrap_or_else(|| "-".into()),
                pct(view.percent(r.ut + r.st)),
            ]);
        } else {
            cells.extend([secs(view.secs(r.ut)), secs(view.secs(r.st))]);
            if args.children {
                cells.extend([secs(view.secs(r.cut)), secs(view.secs(r.cst))]);
            }
            cells.push(start_cell(view, r));
        }
        if with_wchan {
            cells.push(r.p.shown_wchan().unwrap_or("-").to_string());
        }
        cells.push(r.p.display_comm());
        if iv {
            cells.push(note_cell(view, r));
        }
        t.row(cells);
    }
    let mut out = headline(view, rows, "showing", shown_rows.len());
    if t.is_empty() {
        out.push_str("no process matched the filters\n");
    } else {
        out.push_str(&t.render());
    }
    out
}

fn groups_table(view: &View, rows: &[Row], key: GroupKey) -> String {
    let groups = view.groups(rows, key);
    let groups_shown = shown(&groups, view.top());
    let first = match key {
        GroupKey::Comm => "COMM",
        GroupKey::User => "USER",
    };
    let mut cols = vec![
        ("PROCS", Align::Right),
        ("THR", Align::Right),
        ("R", Align::Right),
        ("D", Align::Right),
    ];
    if view.interval.is_some() {
        cols.extend([("%USR", Align::Right), ("%SYS", Align::Right)]);
    } else {
        cols.extend([("UTIME", Align::Right), ("STIME", Align::Right)]);
    }
    cols.push((first, Align::Left));
    let mut t = Table::new(&cols);
    for g in groups_shown {
        let mut cells = vec![
            g.processes.to_string(),
            g.threads.to_string(),
            g.r_threads.to_string(),
            g.d_threads.to_string(),
        ];
        if view.interval.is_some() {
            cells.extend([
                pct(view.percent(g.utime_ticks)),
                pct(view.percent(g.stime_ticks)),
            ]);
        } else {
            cells.extend([
                secs(view.secs(g.utime_ticks)),
                secs(view.secs(g.stime_ticks)),
            ]);
        }
        cells.push(g.key.clone());
        t.row(cells);
    }
    let what = format!("{} groups, showing", groups.len());
    let mut out = headline(view, rows, &what, groups_shown.len());
    out.push_str(&t.render());
    out
}

/// Thread rows of `rows`, sorted by the view's key.
fn sorted_threads<'a>(view: &View, rows: &[Row<'a>]) -> Vec<ThreadRow<'a>> {
    let mut all = thread_rows(rows, view.prev);
    sort_threads(&mut all, view.sort(), |u| view.users.name(u));
    all
}

/// PID, TID, USER, S, user and system (seconds, or percent per interval), WCHAN (`none` when
/// absent), COMM of one thread.
fn thread_cells(view: &View, t: &ThreadRow, none: &str) -> [String; 8] {
    let (u, s) = if view.interval.is_some() {
        (pct(view.percent(t.ut)), pct(view.percent(t.st)))
    } else {
        (secs(view.secs(t.ut)), secs(view.secs(t.st)))
    };
    [
        t.p.stat.pid.to_string(),
        t.task.stat.pid.to_string(),
        view.users.name(t.p.uid),
        t.task.stat.state.to_string(),
        u,
        s,
        t.task.wchan.unwrap_or(none).to_string(),
        escape_comm(&t.task.stat.comm),
    ]
}

fn threads_table(view: &View, rows: &[Row]) -> String {
    let all = sorted_threads(view, rows);
    let threads_shown = shown(&all, view.top());
    let (u, s) = if view.interval.is_some() {
        ("%USR", "%SYS")
    } else {
        ("UTIME", "STIME")
    };
    let mut t = Table::new(&[
        ("PID", Align::Right),
        ("TID", Align::Right),
        ("USER", Align::Left),
        ("S", Align::Left),
        (u, Align::Right),
        (s, Align::Right),
        ("WCHAN", Align::Left),
        ("COMM", Align::Left),
    ]);
    for tr in threads_shown {
        t.row(thread_cells(view, tr, "-"));
    }
    let what = format!("{} threads, showing", all.len());
    let mut out = headline(view, rows, &what, threads_shown.len());
    out.push_str(&t.render());
    out
}

/// One process as JSON.
fn process_json(view: &View, r: &Row) -> Value {
    let p = r.p;
    let census: BTreeMap<String, u32> = p
        .census()
        .into_iter()
        .map(|(s, n)| (s.to_string(), n))
        .collect();
    let signed = |t: i64| view.secs(t.max(0) as u64);
    let mut v = json!({
        "pid": p.stat.pid,
        "ppid": p.stat.ppid,
        "starttime_ticks": p.stat.starttime_ticks,
        "uid": p.uid,
        "user": view.users.name(p.uid),
        "state": p.shown_state(),
        "state_name": p.shown_state().name(),
        "leader_exited": p.leader_exited(),
        "threads": p.stat.num_threads,
        "thread_states": census,
        "hidden_d": p.hidden_d(),
        "kthread": p.stat.is_kthread(),
        "utime_seconds": view.secs(p.stat.utime_ticks),
        "stime_seconds": view.secs(p.stat.stime_ticks),
        "cutime_seconds": signed(p.stat.cutime_ticks),
        "cstime_seconds": signed(p.stat.cstime_ticks),
        "elapsed_seconds": view.snap.elapsed_seconds(p),
        "start_unix_seconds": view.snap.start_unix_seconds(p),
        "wchan": p.shown_wchan(),
        "comm": escape_comm(&p.stat.comm),
    });
    if view.interval.is_some() {
        v["presence"] = json!(r.presence);
        v["interval_utime_seconds"] = json!(view.secs(r.ut));
        v["interval_stime_seconds"] = json!(view.secs(r.st));
        v["interval_cutime_seconds"] = json!(view.secs(r.cut));
        v["interval_cstime_seconds"] = json!(view.secs(r.cst));
        v["usr_percent"] = json!(view.percent(r.ut));
        v["sys_percent"] = json!(view.percent(r.st));
        v["children_usr_percent"] = json!(view.percent(r.cut));
        v["children_sys_percent"] = json!(view.percent(r.cst));
        v["cpu_percent"] = json!(view.percent(r.ut + r.st));
        v["wait_percent"] = json!(r.wait_ns.map(|w| view.percent_ns(w)));
        v["d_seconds"] = json!(view.d_age.and_then(|t| t.age_seconds(p)));
    }
    v
}

fn thread_json(view: &View, t: &ThreadRow) -> Value {
    let mut v = json!({
        "pid": t.p.stat.pid,
        "tid": t.task.stat.pid,
        "state": t.task.stat.state,
        "utime_seconds": view.secs(t.task.stat.utime_ticks),
        "stime_seconds": view.secs(t.task.stat.stime_ticks),
        "wchan": t.task.wchan,
        "comm": escape_comm(&t.task.stat.comm),
    });
    if view.interval.is_some() {
        v["usr_percent"] = json!(view.percent(t.ut));
        v["sys_percent"] = json!(view.percent(t.st));
    }
    v
}

/// The coverage object of the JSON document.
pub fn coverage_json(view: &View, c: &Coverage) -> Value {
    let s = |t: u64| view.secs(t);
    json!({
        "cpu_seconds": {
            "user": s(c.cpu.user), "nice": s(c.cpu.nice), "system": s(c.cpu.system),
            "idle": s(c.cpu.idle), "iowait": s(c.cpu.iowait), "irq": s(c.cpu.irq),
            "softirq": s(c.cpu.softirq), "steal": s(c.cpu.steal),
        },
        "task_seconds": s(c.task_ticks),
        "accounted_seconds": s(c.accounted_ticks()),
        "own_seconds": s(c.live_ticks),
        "reaped_children_seconds": s(c.reaped_ticks),
        "unaccounted_seconds": s(c.unaccounted_ticks()),
        "shown_seconds": s(c.shown_ticks),
        "accounted_ratio": c.ratio(c.accounted_ticks()),
        "shown_ratio": c.ratio(c.shown_ticks),
    })
}

/// The JSON document (pretty for a snapshot, one line per interval).
pub fn json(view: &View, rows: &[Row]) -> anyhow::Result<String> {
    let mut doc = json!({
        "time": view.time,
        "mode": match view.interval.map(|i| i.block) {
            None => "snapshot",
            Some(Block::Interval(_)) => "interval",
            Some(Block::Average(_)) => "average",
        },
        "clk_tck": view.snap.facts.clk_tck,
        "ncpu": view.snap.facts.ncpu,
        "processes_matched": rows.iter().filter(|r| r.is_live()).count(),
        "sort": view.sort().name(),
        "children_folded": view.args.children,
        "problems": view.snap.problems,
    });
    if let Some(i) = view.interval {
        match i.block {
            Block::Interval(n) => doc["interval"] = json!(n),
            Block::Average(n) => doc["intervals"] = json!(n),
        }
        doc["elapsed_seconds"] = json!(i.elapsed_seconds);
        doc["coverage"] = i
            .coverage
            .map(|c| coverage_json(view, &c))
            .unwrap_or(Value::Null);
    }
    if let Some(key) = view.args.by {
        let groups = view.groups(rows, key);
        let iv = view.interval.is_some();
        doc["groups"] = shown(&groups, view.top())
            .iter()
            .map(|g| {
                json!({
                    "key": g.key, "processes": g.processes, "threads": g.threads,
                    "r_threads": g.r_threads, "d_threads": g.d_threads,
                    "utime_seconds": (!iv).then(|| view.secs(g.utime_ticks)),
                    "stime_seconds": (!iv).then(|| view.secs(g.stime_ticks)),
                    "usr_percent": iv.then(|| view.percent(g.utime_ticks)),
                    "sys_percent": iv.then(|| view.percent(g.stime_ticks)),
                })
            })
            .collect();
    } else if view.args.threads {
        let all = sorted_threads(view, rows);
        doc["threads"] = shown(&all, view.top())
            .iter()
            .map(|t| thread_json(view, t))
            .collect();
    } else {
        doc["processes"] = shown(rows, view.top())
            .iter()
            .map(|r| process_json(view, r))
            .collect();
    }
    let env = Envelope::new("proc time", SCHEMA_VERSION, view.unix_seconds, doc);
    if view.interval.is_some() {
        let mut text = serde_json::to_string(&env)?;
        text.push('\n');
        Ok(text)
    } else {
        Ok(env.to_pretty())
    }
}

/// The CSV header of the view's kind (threads, groups, processes; snapshot or interval).
pub fn csv_header(view: &View) -> String {
    let iv = view.interval.is_some();
    let mut cols: Vec<&str> = vec!["time"];
    if iv {
        cols.push("interval");
    }
    if view.args.threads {
        cols.extend(["pid", "tid", "user", "state"]);
        cols.extend(if iv {
            ["usr_percent", "sys_percent"]
        } else {
            ["utime_seconds", "stime_seconds"]
        });
        cols.extend(["wchan", "comm"]);
    } else if view.args.by.is_some() {
        cols.extend(["key", "processes", "threads", "r_threads", "d_threads"]);
        cols.extend(if iv {
            ["usr_percent", "sys_percent"]
        } else {
            ["utime_seconds", "stime_seconds"]
        });
    } else {
        cols.extend(["pid", "user", "state", "threads", "hidden_d"]);
        if iv {
            cols.extend([
                "usr_percent",
                "sys_percent",
                "children_usr_percent",
                "children_sys_percent",
                "wait_percent",
                "cpu_percent",
                "presence",
            ]);
        }
        cols.extend([
            "utime_seconds",
            "stime_seconds",
            "cutime_seconds",
            "cstime_seconds",
            "elapsed_seconds",
            "wchan",
            "comm",
        ]);
    }
    csv::line(cols.into_iter().map(String::from))
}

/// CSV: the header (when `header`), then one line per shown process, thread or group; every
/// line carries the timestamp (and the interval number, or `average`).
pub fn csv(view: &View, rows: &[Row], header: bool) -> String {
    let mut out = if header {
        csv_header(view)
    } else {
        String::new()
    };
    let mut lead = vec![view.time.clone()];
    match view.interval.map(|i| i.block) {
        Some(Block::Interval(n)) => lead.push(n.to_string()),
        Some(Block::Average(_)) => lead.push("average".into()),
        None => {}
    }
    let iv = view.interval.is_some();
    if view.args.threads {
        let all = sorted_threads(view, rows);
        for t in shown(&all, view.top()) {
            out += &csv::line(lead.iter().cloned().chain(thread_cells(view, t, "")));
        }
        return out;
    }
    if let Some(key) = view.args.by {
        let groups = view.groups(rows, key);
        for g in shown(&groups, view.top()) {
            let (u, s) = if iv {
                (
                    pct(view.percent(g.utime_ticks)),
                    pct(view.percent(g.stime_ticks)),
                )
            } else {
                (
                    secs(view.secs(g.utime_ticks)),
                    secs(view.secs(g.stime_ticks)),
                )
            };
            let cells = [
                g.key.clone(),
                g.processes.to_string(),
                g.threads.to_string(),
                g.r_threads.to_string(),
                g.d_threads.to_string(),
                u,
                s,
            ];
            out += &csv::line(lead.iter().cloned().chain(cells));
        }
        return out;
    }
    for r in shown(rows, view.top()) {
        let p = r.p;
        let mut cells = lead.clone();
        cells.extend([
            p.stat.pid.to_string(),
            view.users.name(p.uid),
            p.shown_state().to_string(),
            p.stat.num_threads.to_string(),
            p.hidden_d().to_string(),
        ]);
        if iv {
            cells.extend([
                pct(view.percent(r.ut)),
                pct(view.percent(r.st)),
                pct(view.percent(r.cut)),
                pct(view.percent(r.cst)),
                r.wait_ns
                    .map(|w| pct(view.percent_ns(w)))
                    .unwrap_or_default(),
                pct(view.percent(r.ut + r.st)),
                presence_word(r.presence).to_string(),
            ]);
        }
        let signed = |t: i64| secs(view.secs(t.max(0) as u64));
        cells.extend([
            secs(view.secs(p.stat.utime_ticks)),
            secs(view.secs(p.stat.stime_ticks)),
            signed(p.stat.cutime_ticks),
            signed(p.stat.cstime_ticks),
            view.snap.elapsed_seconds(p).map(secs).unwrap_or_default(),
            p.shown_wchan().unwrap_or("").to_string(),
            p.display_comm(),
        ]);
        out += &csv::line(cells);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::Users;
    use super::super::view::IntervalInfo;
    use super::*;
    use crate::cli::proc::{ProcCommand, TimeArgs};
    use crate::cli::{Cli, Command};
    use clap::Parser;
    use hostkit_proc::delta::delta;
    use hostkit_proc::rows::sort_rows;
    use hostkit_proc::{Facts, Process, SystemInfo, parse_stat};

    fn args(extra: &[&str]) -> TimeArgs {
        let argv = ["hostkit", "proc", "time"].iter().chain(extra);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Proc(ProcCommand::Time(a)) => a,
            other => panic!("{other:?}"),
        }
    }

    fn p(pid: i32, comm: &str, state: char, ut: u64, st: u64, start: u64) -> Process {
        let line = format!(
            "{pid} ({comm}) {state} 1 {pid} {pid} 0 -1 4194304 0 0 0 0 {ut} {st} 0 0 20 0 1 0 {start} 0 0"
        );
        Process {
            stat: parse_stat(line.as_bytes()).unwrap(),
            uid: Some(0),
            wchan: None,
            stack: None,
            threads: vec![],
            sched: None,
        }
    }

    fn snap(processes: Vec<Process>, at_ns: u64) -> Snapshot {
        Snapshot {
            processes,
            problems: vec![],
            system: SystemInfo {
                uptime_seconds: Some(1000.0),
                ..Default::default()
            },
            facts: Facts {
                clk_tck: 100,
                ncpu: 2,
            },
            monotonic_ns: at_ns,
        }
    }

    /// Interval rendering: a reused PID shows as new (and its predecessor as exited), %SYS of
    /// the burner is its Δstime over the monotonic seconds that elapsed (2 s here); exited
    /// processes are not counted as live.
    #[test]
    fn interval_table_csv_and_json() {
        let a = snap(
            vec![
                p(10, "burner", 'R', 10, 100, 5),
                p(11, "old", 'S', 1, 1, 6),
                p(12, "gone", 'S', 0, 0, 7),
            ],
            1_000_000_000,
        );
        let b = snap(
            vec![
                p(10, "burner", 'R', 20, 250, 5),
                p(11, "reused", 'R', 2, 3, 90_000),
            ],
            3_000_000_000,
        );
        let iv = delta(&a, &b);
        let users = Users::default();
        let targs = args(&["-i", "2", "--all"]);
        let view = View {
            snap: &b,
            prev: Some(&a),
            users: &users,
            args: &targs,
            interval: Some(IntervalInfo {
                block: Block::Interval(1),
                elapsed_seconds: iv.elapsed_seconds,
                coverage: None,
            }),
            d_age: None,
            time: "2026-12-01T20:55:01Z".into(),
            unix_seconds: 0.0,
        };
        let mut rows: Vec<Row> = iv.rows.iter().map(Row::from_delta).collect();
        sort_rows(&mut rows, view.sort(), |u| users.name(u));
        let table = table(&view, &rows);
        insta::assert_snapshot!(table);
        assert!(table.lines().nth(2).unwrap().contains("burner"));
        assert!(table.starts_with("2026-12-01T20:55:01Z interval 1: 2.00 s, 2 processes"));
        let csv_text = csv(&view, &rows, true);
        insta::assert_snapshot!(csv_text);
        assert!(csv_text.lines().next().unwrap().contains("usr_percent"));
        let doc: serde_json::Value = serde_json::from_str(&json(&view, &rows).unwrap()).unwrap();
        assert_eq!(doc["processes"][0]["sys_percent"], 75.0);
        assert_eq!(doc["processes"][0]["presence"], "both");
        assert_eq!(doc["processes_matched"], 2);
        assert_eq!(doc["time"], "2026-12-01T20:55:01Z");
    }
}
