//! `hostkit ssh bench`: builds the plan from discovery (or the resumed log), writes the log
//! header, drives the session with the real runner and a progress bar, then re-reads the log
//! and prints the ranking and recommendation.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use hostkit_sshbench::analyze::{self, StopRule};
use hostkit_sshbench::plan::{self, Direction, Matrix, Pattern, Plan, PlanOptions, TrialKind};
use hostkit_sshbench::record::{self, Header, Log, Record};
use hostkit_sshbench::report;
use hostkit_sshbench::session::{self, Env, JsonlSink, SessionOptions, Status};
use hostkit_sshbench::sys::cancel::Cancel;
use hostkit_sshbench::sys::machine;
use hostkit_sshbench::sys::runner::SshRunner;
use hostkit_sshbench::sys::unix_now_s;

use super::{Prepared, discover, install_signals, policy, prepare};
use crate::cli::ssh::{BenchArgs, BenchFormat, DirectionArg, MatrixArg};
use crate::error::ResultExt;
use crate::exit::Outcome;

pub fn run(a: BenchArgs) -> anyhow::Result<Outcome> {
    if a.min_runs > a.max_runs {
        return Err(crate::error::hinted(
            format!(
                "`--min-runs {}` is larger than `--max-runs {}`",
                a.min_runs, a.max_runs
            ),
            "use `--min-runs N --max-runs M` with N <= M",
        ));
    }
    let pol = policy(&a.policy)?;
    let prior = a.resume.as_deref().map(read_log).transpose()?;
    let cancel = Arc::new(Cancel::default());
    let signals = install_signals(cancel.clone())?;
    let result = bench(&a, prior, &cancel, &pol);
    signals.close();
    result
}

fn bench(
    a: &BenchArgs,
    prior: Option<Log>,
    cancel: &Arc<Cancel>,
    pol: &hostkit_sshbench::policy::Policy,
) -> anyhow::Result<Outcome> {
    let spinner = crate::output::progress::spinner("connecting and reading the server's KEXINIT");
    let mut prep = prepare(&a.conn, prior.as_ref().map(|l| l.header.target.as_str()))?;
    let (plan, header_base) = match &prior {
        Some(log) => (
            Plan {
                trials: log.header.trials.clone(),
                skipped: vec![],
                full_product: 0,
            },
            None,
        ),
        None => {
            let d = discover(&prep)?;
            let plan = plan::build(&d.negotiable, &plan_options(a))?;
            (plan, Some(d.hello.version))
        }
    };
    spinner.finish_and_clear();
    if a.dry_run {
        match a.format {
            BenchFormat::Table => crate::output::print_text(&plan::render(&plan))?,
            BenchFormat::Json => crate::output::print_json(&plan)?,
        }
        return Ok(Outcome::Ok);
    }
    let seed = prior
        .as_ref()
        .map(|l| l.header.seed)
        .or(a.seed)
        .unwrap_or_else(|| (unix_now_s() * 1e6) as u64);
    let (path, file) = match (&a.resume, header_base) {
        (Some(p), _) => (p.clone(), append(p)?),
        (None, server_version) => {
            let path = a
                .out
                .clone()
                .unwrap_or_else(|| default_out(&prep.label, unix_now_s()));
            let mut f = create_new(&path)?;
            let header = header(&prep, a, &plan, seed, server_version.unwrap_or_default())?;
            f.write_all(record::to_line(&Record::Header(header)).as_bytes())
                .and_then(|_| f.flush())
                .with_context(|| format!("writing `{}`", path.display()))?;
            (path, f)
        }
    };
    let mut runner = SshRunner::new(
        prep.ssh.path.clone(),
        prep.config.clone(),
        prep.work_dir.clone(),
        keep_dir(&path),
        cancel.clone(),
    );
    runner.listener = prep.sshd.as_ref().and_then(|s| s.pid()).map(|p| p as i32);
    runner.baseline_kex = plan.trials.iter().find_map(|t| match &t.kind {
        TrialKind::Bulk { kex, .. } => Some(kex.clone()),
        _ => None,
    });
    let opts = SessionOptions {
        seed,
        sample_time_s: a.sample_time,
        rule: StopRule {
            min_runs: a.min_runs as usize,
            max_runs: a.max_runs as usize,
            target_rel_ci: 0.03,
            top_k: a.top as usize,
        },
        time_budget_s: a.time_budget,
        ..SessionOptions::default()
    };
    let (bulk, baseline, kex_only, connect) = plan.counts();
    eprintln!(
        "{} trials against {}: {bulk} bulk, {baseline} baseline, {kex_only} kex-only, {connect} connect; log `{}`",
        plan.trials.len(),
        prep.label,
        path.display()
    );
    let mut bar = super::progress::Bar::new();
    let mut sink = JsonlSink(file);
    let clock = unix_now_s;
    let stop = || cancel.is_cancelled();
    let env = Env {
        clock: &clock,
        stop: &stop,
    };
    let outcome = session::run(
        &plan,
        &mut runner,
        &mut sink,
        &mut bar,
        &opts,
        prior.as_ref(),
        &env,
    );
    bar.bar.finish_and_clear();
    let sshd_dead = prep.sshd.as_mut().is_some_and(|s| !s.is_running());
    let sshd_error = sshd_dead.then(|| {
        prep.sshd
            .as_ref()
            .map(|s| s.died("running the private sshd", "sshd is no longer running"))
    });
    drop(prep);
    let resume_hint = format!(
        "results so far are kept in `{}`: continue with `hostkit ssh bench --resume {}`",
        path.display(),
        path.display()
    );
    let report = match outcome {
        Err(e) => {
            let err = match sshd_error {
                Some(Some(sshd)) => {
                    anyhow::anyhow!("{sshd}").context(format!("the run stopped at {e}"))
                }
                _ => anyhow::anyhow!("{e}"),
            };
            return Err(err).hint(resume_hint);
        }
        Ok(r) => r,
    };
    let log = read_log(&path)?;
    let analysis = analyze::analyze(&log);
    let rec = report::recommend(&analysis, pol);
    match a.format {
        BenchFormat::Table => crate::output::print_text(&super::ranking_text(
            &analysis,
            rec.as_ref(),
            a.top as usize,
        ))?,
        BenchFormat::Json => crate::output::print_json(&serde_json::json!({
            "log": path,
            "status": match report.status { Status::Complete => "complete", Status::Interrupted => "interrupted" },
            "elapsed_s": report.elapsed_s,
            "rounds": report.rounds,
            "budget_hit": report.budget_hit,
            "analysis": analysis,
            "recommendation": rec,
        }))?,
    }
    eprintln!(
        "{} samples in {:.0} s ({} rounds{}); log: `{}`",
        report.new_samples,
        report.elapsed_s,
        report.rounds,
        if report.budget_hit {
            ", time budget reached: raise `--time-budget` for tighter intervals"
        } else {
            ""
        },
        path.display()
    );
    if report.status == Status::Interrupted {
        crate::error::warn("interrupted", Some(&resume_hint));
        return Ok(Outcome::Code(crate::exit::INTERRUPTED));
    }
    Ok(Outcome::Ok)
}

fn plan_options(a: &BenchArgs) -> PlanOptions {
    let list = |s: &Option<String>| s.as_deref().map(Pattern::list).unwrap_or_default();
    PlanOptions {
        matrix: match a.matrix {
            MatrixArg::Dedup => Matrix::Dedup,
            MatrixArg::Full => Matrix::Full,
        },
        ciphers: list(&a.ciphers),
        macs: list(&a.macs),
        kex: list(&a.kex),
        directions: match a.direction {
            DirectionArg::Up => vec![Direction::Up],
            DirectionArg::Down => vec![Direction::Down],
            DirectionArg::Both => vec![Direction::Up, Direction::Down],
        },
        bulk_kex: None,
        no_kex: a.no_kex,
        no_bulk: a.no_bulk,
    }
}

fn header(
    prep: &Prepared,
    a: &BenchArgs,
    plan: &Plan,
    seed: u64,
    server_version: String,
) -> anyhow::Result<Header> {
    let m = machine::machine();
    Ok(Header {
        schema: 1,
        hostkit_version: env!("CARGO_PKG_VERSION").into(),
        ssh_version: prep.ssh.version()?,
        server_version,
        cpu_model: m.cpu_model,
        cpu_flags: m.cpu_flags,
        cpus: m.cpus,
        kernel: m.kernel,
        target: prep.label.clone(),
        started_unix: unix_now_s(),
        seed,
        options: serde_json::json!({
            "matrix": format!("{:?}", a.matrix).to_lowercase(),
            "direction": format!("{:?}", a.direction).to_lowercase(),
            "ciphers": a.ciphers, "macs": a.macs, "kex": a.kex,
            "sample_time_s": a.sample_time, "min_runs": a.min_runs, "max_runs": a.max_runs,
            "time_budget_s": a.time_budget, "top": a.top, "policy": a.policy,
            "ssh": prep.ssh.path, "sshd": a.conn.sshd,
        }),
        trials: plan.trials.clone(),
    })
}

/// Reads and parses a results log, naming the file in errors.
pub fn read_log(path: &Path) -> anyhow::Result<Log> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading `{}`", path.display()))?;
    record::parse_log(&text)
        .with_context(|| format!("`{}` is not a hostkit ssh bench log", path.display()))
        .hint("pass a file written by `hostkit ssh bench` (`--out`)")
}

fn create_new(path: &Path) -> anyhow::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create the results log `{}`", path.display()))
        .with_hint(|| {
            format!(
                "pick another name with `--out FILE`, or continue it with `--resume {}`",
                path.display()
            )
        })
}

/// Opens a log to continue it. A torn last line (hostkit killed mid-write) is cut off first,
/// so new records start on a line of their own and the log stays parseable.
fn append(path: &Path) -> anyhow::Result<File> {
    let ctx = || format!("opening `{}` to append", path.display());
    let text = std::fs::read(path).with_context(ctx)?;
    let file = OpenOptions::new()
        .append(true)
        .open(path)
        .with_context(ctx)?;
    if !text.is_empty() && !text.ends_with(b"\n") {
        let keep = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        file.set_len(keep as u64).with_context(ctx)?;
    }
    Ok(file)
}

fn keep_dir(log: &Path) -> PathBuf {
    match log.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `hostkit-ssh-bench-YYYYMMDD-HHMMSS-TARGET.jsonl` in the current directory (UTC).
pub fn default_out(label: &str, unix_s: f64) -> PathBuf {
    let safe = hostkit_sshbench::sys::file_safe(label);
    PathBuf::from(format!(
        "hostkit-ssh-bench-{}-{safe}.jsonl",
        utc_stamp(unix_s)
    ))
}

/// `YYYYMMDD-HHMMSS` in UTC.
pub fn utc_stamp(unix_s: f64) -> String {
    let t = crate::output::civil::utc(unix_s);
    format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_stamp_matches_known_dates() {
        assert_eq!(utc_stamp(0.0), "19700101-000000");
        assert_eq!(utc_stamp(1_795_939_200.0), "20261129-080000");
        assert_eq!(utc_stamp(951_782_400.0 + 3661.0), "20000229-010101");
    }

    #[test]
    fn resume_cuts_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("log.jsonl");
        std::fs::write(&p, "{\"a\":1}\n{\"b\":2}\n{\"type\":\"sam").unwrap();
        let mut f = append(&p).unwrap();
        f.write_all(b"{\"c\":3}\n").unwrap();
        drop(f);
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n"
        );
        // A clean log is left as it is.
        let mut f = append(&p).unwrap();
        f.write_all(b"{\"d\":4}\n").unwrap();
        assert!(
            std::fs::read_to_string(&p)
                .unwrap()
                .ends_with("{\"c\":3}\n{\"d\":4}\n")
        );
    }

    #[test]
    fn default_out_is_named_by_date_and_target() {
        let p = default_out("alice@db1:22", 0.0);
        assert_eq!(
            p,
            PathBuf::from("hostkit-ssh-bench-19700101-000000-alice_db1_22.jsonl")
        );
    }
}
