//! Renderers for `proc time`: the process table (snapshot or interval), per-thread rows
//! (`--threads`), roll-ups (`--by`), as text table, JSON and CSV. Pure: rows in, text out.

use std::collections::BTreeMap;

use hostkit_proc::aggregate::{Group, aggregate};
use hostkit_proc::dage::DTracker;
use hostkit_proc::delta::Presence;
use hostkit_proc::snapshot::TaskRef;
use hostkit_proc::{Process, Snapshot, State, escape_comm};
use serde_json::{Value, json};

use super::Users;
use super::format::{csv_line, elapsed, pct, secs, utc};
use super::time::{Row, comm_cell, problems_phrase, shown, state_cell, wchan_cell};
use crate::cli::proc::{GroupKey, TimeArgs};
use crate::output::table::{Align, Table};

/// What the renderers need besides the rows.
pub struct View<'a> {
    /// The (latest) snapshot.
    pub snap: &'a Snapshot,
    /// UID -> name.
    pub users: &'a Users,
    /// The command line.
    pub args: &'a TimeArgs,
    /// `(index, elapsed seconds)` in interval mode.
    pub interval: Option<(u64, f64)>,
    /// How long processes have been in D across samples (interval mode).
    pub d_age: Option<&'a DTracker>,
}

impl View<'_> {
    fn secs(&self, ticks: u64) -> f64 {
        self.snap.facts.seconds(ticks)
    }

    fn signed_secs(&self, ticks: i64) -> f64 {
        ticks as f64 / self.snap.facts.clk_tck.max(1) as f64
    }

    /// How many of `n` rows to show: all with `--all`, else at most `--top`.
    fn limit(&self, n: usize) -> usize {
        if self.args.all {
            n
        } else {
            n.min(self.args.top)
        }
    }

    /// Percent of one CPU over the interval (0 in a snapshot).
    fn percent(&self, ticks: u64) -> f64 {
        match self.interval {
            Some((_, e)) if e > 0.0 => 100.0 * self.secs(ticks) / e,
            _ => 0.0,
        }
    }

    fn groups(&self, rows: &[Row], key: GroupKey) -> Vec<Group> {
        aggregate(rows.iter().map(|r| (r.p, r.ut, r.st)), |p| match key {
            GroupKey::Comm => comm_cell(p),
            GroupKey::User => self.users.name(p.uid),
        })
    }

    fn start_cell(&self, r: &Row) -> String {
        if self.args.start {
            self.snap
                .start_unix_seconds(r.p)
                .map(utc)
                .unwrap_or_else(|| "?".into())
        } else {
            self.snap
                .elapsed_seconds(r.p)
                .map(elapsed)
                .unwrap_or_else(|| "?".into())
        }
    }
}

fn presence_word(p: Option<Presence>) -> &'static str {
    match p {
        Some(Presence::New) => "new",
        Some(Presence::Exited) => "exited",
        _ => "",
    }
}

/// The NOTE cell: new/exited, and how long the process has been in D (`D 12s`).
fn note_cell(view: &View, r: &Row) -> String {
    let mut note = presence_word(r.presence).to_string();
    let age = view
        .d_age
        .filter(|_| r.presence != Some(Presence::Exited))
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

/// The summary line above a table.
fn headline(view: &View, rows: &[Row], what: &str, shown_n: usize) -> String {
    let mut census: BTreeMap<State, u32> = BTreeMap::new();
    let live = rows.iter().filter(|r| r.presence != Some(Presence::Exited));
    for r in live.clone() {
        for s in r.p.task_states() {
            *census.entry(s).or_insert(0) += 1;
        }
    }
    let count = |s| census.get(&s).copied().unwrap_or(0);
    let hidden = live.filter(|r| r.p.hidden_d()).count();
    let mut line = match view.interval {
        Some((i, e)) => {
            let n = |p| rows.iter().filter(|r| r.presence == Some(p)).count();
            format!(
                "interval {i}: {e:.2} s, {} processes ({} new, {} exited)",
                rows.len() - n(Presence::Exited),
                n(Presence::New),
                n(Presence::Exited)
            )
        }
        None => format!("{} processes", rows.len()),
    };
    line.push_str(&format!(
        ", {} threads: {} R, {} D ({hidden} hidden behind a non-D main thread); {what} {shown_n} by {}",
        census.values().sum::<u32>(),
        count(State::RUNNING),
        count(State::DISK),
        format!("{:?}", view.args.sort).to_lowercase()
    ));
    if view.interval.is_none() {
        line.push_str(" since process start (-i SECS for current rates)");
    }
    let problems = problems_phrase(view.snap);
    if !problems.is_empty() {
        line.push_str(&format!("; {problems}"));
    }
    line + "\n"
}

/// The text table for `proc time` (processes, threads or groups).
pub fn table(view: &View, rows: &[Row]) -> String {
    if view.args.threads {
        return threads_table(view, rows);
    }
    if let Some(key) = view.args.by {
        return groups_table(view, rows, key);
    }
    let args = view.args;
    let shown_rows = shown(rows, args);
    let with_wchan = shown_rows.iter().any(|r| wchan_cell(r.p).is_some());
    let mut cols: Vec<(&str, Align)> = vec![
        ("PID", Align::Right),
        ("USER", Align::Left),
        ("S", Align::Left),
        ("THR", Align::Right),
    ];
    if view.interval.is_some() {
        cols.extend([("%USR", Align::Right), ("%SYS", Align::Right)]);
    }
    cols.extend([("UTIME", Align::Right), ("STIME", Align::Right)]);
    if args.children {
        cols.extend([("CUTIME", Align::Right), ("CSTIME", Align::Right)]);
    }
    cols.push((if args.start { "START" } else { "ELAPSED" }, Align::Right));
    if with_wchan {
        cols.push(("WCHAN", Align::Left));
    }
    cols.push(("COMM", Align::Left));
    if view.interval.is_some() {
        cols.push(("NOTE", Align::Left));
    }
    let mut t = Table::new(&cols);
    for r in shown_rows {
        let mut cells = vec![
            r.p.stat.pid.to_string(),
            view.users.name(r.p.uid),
            state_cell(r.p),
            r.p.stat.num_threads.to_string(),
        ];
        if view.interval.is_some() {
            cells.extend([pct(view.percent(r.ut)), pct(view.percent(r.st))]);
        }
        cells.extend([secs(view.secs(r.ut)), secs(view.secs(r.st))]);
        if args.children {
            cells.extend([
                secs(view.signed_secs(r.p.stat.cutime_ticks)),
                secs(view.signed_secs(r.p.stat.cstime_ticks)),
            ]);
        }
        cells.push(view.start_cell(r));
        if with_wchan {
            cells.push(wchan_cell(r.p).unwrap_or("-").to_string());
        }
        cells.push(comm_cell(r.p));
        if view.interval.is_some() {
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
    if view.interval.is_some() {
        out.push('\n');
    }
    out
}

fn groups_table(view: &View, rows: &[Row], key: GroupKey) -> String {
    let groups = view.groups(rows, key);
    let n = view.limit(groups.len());
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
    }
    cols.extend([
        ("UTIME", Align::Right),
        ("STIME", Align::Right),
        (first, Align::Left),
    ]);
    let mut t = Table::new(&cols);
    for g in &groups[..n] {
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
        }
        cells.extend([
            secs(view.secs(g.utime_ticks)),
            secs(view.secs(g.stime_ticks)),
            g.key.clone(),
        ]);
        t.row(cells);
    }
    let mut out = headline(view, rows, &format!("{} groups, showing", groups.len()), n);
    out.push_str(&t.render());
    out
}

/// One row per thread: `(pid, tid, state, utime, stime, wchan, comm)`.
fn thread_rows<'a>(rows: &[Row<'a>]) -> Vec<(&'a Process, TaskRef<'a>)> {
    let mut v: Vec<_> = rows
        .iter()
        .flat_map(|r| r.p.tasks().into_iter().map(move |t| (r.p, t)))
        .collect();
    v.sort_by(|a, b| {
        b.1.stat
            .stime_ticks
            .cmp(&a.1.stat.stime_ticks)
            .then_with(|| a.1.stat.pid.cmp(&b.1.stat.pid))
    });
    v
}

/// PID, TID, USER, S, UTIME, STIME, WCHAN (`none` when absent), COMM of one thread.
fn thread_cells(view: &View, p: &Process, task: &TaskRef, none: &str) -> [String; 8] {
    [
        p.stat.pid.to_string(),
        task.stat.pid.to_string(),
        view.users.name(p.uid),
        task.stat.state.to_string(),
        secs(view.secs(task.stat.utime_ticks)),
        secs(view.secs(task.stat.stime_ticks)),
        task.wchan.unwrap_or(none).to_string(),
        escape_comm(&task.stat.comm),
    ]
}

fn threads_table(view: &View, rows: &[Row]) -> String {
    let all = thread_rows(rows);
    let n = view.limit(all.len());
    let mut t = Table::new(&[
        ("PID", Align::Right),
        ("TID", Align::Right),
        ("USER", Align::Left),
        ("S", Align::Left),
        ("UTIME", Align::Right),
        ("STIME", Align::Right),
        ("WCHAN", Align::Left),
        ("COMM", Align::Left),
    ]);
    for (p, task) in &all[..n] {
        t.row(thread_cells(view, p, task, "-"));
    }
    let mut out = headline(view, rows, &format!("{} threads, showing", all.len()), n);
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
    let mut v = json!({
        "pid": p.stat.pid,
        "ppid": p.stat.ppid,
        "starttime_ticks": p.stat.starttime_ticks,
        "uid": p.uid,
        "user": view.users.name(p.uid),
        "state": p.stat.state,
        "state_name": p.stat.state.name(),
        "threads": p.stat.num_threads,
        "thread_states": census,
        "hidden_d": p.hidden_d(),
        "kthread": p.stat.is_kthread(),
        "utime_seconds": view.secs(p.stat.utime_ticks),
        "stime_seconds": view.secs(p.stat.stime_ticks),
        "cutime_seconds": view.signed_secs(p.stat.cutime_ticks),
        "cstime_seconds": view.signed_secs(p.stat.cstime_ticks),
        "elapsed_seconds": view.snap.elapsed_seconds(p),
        "start_unix_seconds": view.snap.start_unix_seconds(p),
        "wchan": wchan_cell(p),
        "comm": escape_comm(&p.stat.comm),
    });
    if view.interval.is_some() {
        v["presence"] = json!(r.presence);
        v["interval_utime_seconds"] = json!(view.secs(r.ut));
        v["interval_stime_seconds"] = json!(view.secs(r.st));
        v["usr_percent"] = json!(view.percent(r.ut));
        v["sys_percent"] = json!(view.percent(r.st));
        v["d_seconds"] = json!(view.d_age.and_then(|t| t.age_seconds(p)));
    }
    if view.args.threads {
        let threads: Vec<Value> = p
            .tasks()
            .iter()
            .map(|t| {
                json!({
                    "tid": t.stat.pid,
                    "state": t.stat.state,
                    "utime_seconds": view.secs(t.stat.utime_ticks),
                    "stime_seconds": view.secs(t.stat.stime_ticks),
                    "wchan": t.wchan,
                    "comm": escape_comm(&t.stat.comm),
                })
            })
            .collect();
        v["thread_rows"] = json!(threads);
    }
    v
}

/// The JSON document (pretty for a snapshot, one line per interval).
pub fn json(view: &View, rows: &[Row]) -> anyhow::Result<String> {
    let shown_rows = shown(rows, view.args);
    let mut doc = json!({
        "mode": if view.interval.is_some() { "interval" } else { "snapshot" },
        "clk_tck": view.snap.facts.clk_tck,
        "ncpu": view.snap.facts.ncpu,
        "processes_matched": rows.len(),
        "sort": format!("{:?}", view.args.sort).to_lowercase(),
        "problems": view.snap.problems,
    });
    if let Some((i, e)) = view.interval {
        doc["interval"] = json!(i);
        doc["elapsed_seconds"] = json!(e);
    }
    if let Some(key) = view.args.by {
        let groups = view.groups(rows, key);
        let n = view.limit(groups.len());
        doc["groups"] = groups[..n]
            .iter()
            .map(|g| {
                json!({
                    "key": g.key, "processes": g.processes, "threads": g.threads,
                    "r_threads": g.r_threads, "d_threads": g.d_threads,
                    "utime_seconds": view.secs(g.utime_ticks), "stime_seconds": view.secs(g.stime_ticks),
                    "usr_percent": view.interval.map(|_| view.percent(g.utime_ticks)),
                    "sys_percent": view.interval.map(|_| view.percent(g.stime_ticks)),
                })
            })
            .collect();
    } else {
        doc["processes"] = shown_rows.iter().map(|r| process_json(view, r)).collect();
    }
    let mut text = if view.interval.is_some() {
        serde_json::to_string(&doc)?
    } else {
        serde_json::to_string_pretty(&doc)?
    };
    text.push('\n');
    Ok(text)
}

/// CSV: a header (when `header`), then one line per shown process or group.
pub fn csv(view: &View, rows: &[Row], header: bool) -> String {
    let mut out = String::new();
    let iv = view.interval.map(|(i, _)| i.to_string());
    if view.args.threads {
        out += &csv_line(
            [
                "pid",
                "tid",
                "user",
                "state",
                "utime_seconds",
                "stime_seconds",
                "wchan",
                "comm",
            ]
            .map(String::from),
        );
        let all = thread_rows(rows);
        for (p, task) in &all[..view.limit(all.len())] {
            out += &csv_line(thread_cells(view, p, task, ""));
        }
        return out;
    }
    if let Some(key) = view.args.by {
        if header {
            out += &csv_line(
                [
                    "interval",
                    "key",
                    "processes",
                    "threads",
                    "r_threads",
                    "d_threads",
                    "utime_seconds",
                    "stime_seconds",
                ]
                .map(String::from),
            );
        }
        let groups = view.groups(rows, key);
        let n = view.limit(groups.len());
        for g in &groups[..n] {
            out += &csv_line([
                iv.clone().unwrap_or_default(),
                g.key.clone(),
                g.processes.to_string(),
                g.threads.to_string(),
                g.r_threads.to_string(),
                g.d_threads.to_string(),
                secs(view.secs(g.utime_ticks)),
                secs(view.secs(g.stime_ticks)),
            ]);
        }
        return out;
    }
    if header {
        out += &csv_line(
            [
                "interval",
                "pid",
                "user",
                "state",
                "threads",
                "hidden_d",
                "utime_seconds",
                "stime_seconds",
                "cutime_seconds",
                "cstime_seconds",
                "usr_percent",
                "sys_percent",
                "elapsed_seconds",
                "wchan",
                "comm",
                "presence",
            ]
            .map(String::from),
        );
    }
    for r in shown(rows, view.args) {
        out += &csv_line([
            iv.clone().unwrap_or_default(),
            r.p.stat.pid.to_string(),
            view.users.name(r.p.uid),
            r.p.stat.state.to_string(),
            r.p.stat.num_threads.to_string(),
            r.p.hidden_d().to_string(),
            secs(view.secs(r.ut)),
            secs(view.secs(r.st)),
            secs(view.signed_secs(r.p.stat.cutime_ticks)),
            secs(view.signed_secs(r.p.stat.cstime_ticks)),
            view.interval
                .map(|_| pct(view.percent(r.ut)))
                .unwrap_or_default(),
            view.interval
                .map(|_| pct(view.percent(r.st)))
                .unwrap_or_default(),
            view.snap.elapsed_seconds(r.p).map(secs).unwrap_or_default(),
            wchan_cell(r.p).unwrap_or("").to_string(),
            comm_cell(r.p),
            presence_word(r.presence).to_string(),
        ]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::proc::ProcCommand;
    use crate::cli::{Cli, Command};
    use clap::Parser;
    use hostkit_proc::delta::delta;
    use hostkit_proc::{Facts, SystemInfo, parse_stat};

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
    /// the burner is its Δstime over the monotonic seconds that elapsed (2 s here).
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
            users: &users,
            args: &targs,
            interval: Some((1, iv.elapsed_seconds)),
            d_age: None,
        };
        let mut rows: Vec<Row> = iv.rows.iter().map(Row::from_delta).collect();
        super::super::time::sort_rows(&mut rows, targs.sort, &view);
        let table = table(&view, &rows);
        insta::assert_snapshot!(table);
        assert!(table.lines().nth(2).unwrap().contains("burner"));
        let csv_text = csv(&view, &rows, true);
        insta::assert_snapshot!(csv_text);
        let doc: serde_json::Value = serde_json::from_str(&json(&view, &rows).unwrap()).unwrap();
        assert_eq!(doc["processes"][0]["sys_percent"], 75.0);
        assert_eq!(doc["processes"][0]["presence"], "both");
    }
}
