//! `hostkit ssh bench`: builds the plan from discovery (or the resumed log), writes the log
//! header, drives the session with the real runner and a progress bar, then re-reads the log
//! and prints the ranking and recommendation.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use hostkit_sshbench::algos::ClientAlgos;
use hostkit_sshbench::analyze::{self, Analysis, StopRule};
use hostkit_sshbench::pinning;
use hostkit_sshbench::plan::{self, Direction, Matrix, Pattern, Plan, PlanOptions, TrialKind};
use hostkit_sshbench::policy::Policy;
use hostkit_sshbench::record::{self, Header, Log, Method, Pinning, Record};
use hostkit_sshbench::report;
use hostkit_sshbench::session::{self, Env, JsonlSink, SessionOptions, SessionReport, Status};
use hostkit_sshbench::sys::cancel::Cancel;
use hostkit_sshbench::sys::client::SshClient;
use hostkit_sshbench::sys::runner::SshRunner;
use hostkit_sshbench::sys::{affinity, ceiling, machine, unix_now_s};

use super::{Prepared, discover, install_signals, openssh, policy, prepare_with, target_of};
use crate::cli::ssh::{BenchArgs, BenchFormat, DirectionArg, MatrixArg};
use crate::error::{ResultExt, hinted};
use crate::exit::Outcome;

/// `schema_version` of `ssh bench --format json` (2: unit-named fields, `method`, ceilings).
pub const BENCH_SCHEMA_VERSION: u32 = 2;

/// The house JSON envelope around a bench document.
fn envelope<T: serde::Serialize>(data: T) -> hostkit_render::Envelope<'static, T> {
    hostkit_render::Envelope::new(
        "ssh bench",
        BENCH_SCHEMA_VERSION,
        crate::output::now_unix_seconds(),
        data,
    )
}

/// The options that shape the plan and the measurement, after defaults and the resumed log.
#[derive(Debug, Clone, PartialEq)]
struct Settings {
    matrix: MatrixArg,
    direction: DirectionArg,
    sample_time: f64,
    min_runs: u32,
    max_runs: u32,
    /// Of the randomized order: the log's, `--seed`, or from the clock.
    seed: u64,
    /// When hostkit started (Unix seconds): `--time-budget` counts from here, so discovery and
    /// the crypto ceiling are inside it.
    started_unix: f64,
}

impl Settings {
    /// The command line's values over the defaults (a resumed log's are applied by
    /// [`check_resume`] first).
    fn of(a: &BenchArgs, prior: Option<&Log>) -> Self {
        Settings {
            started_unix: unix_now_s(),
            seed: prior
                .map(|l| l.header.seed)
                .or(a.seed)
                .unwrap_or_else(|| (unix_now_s() * 1e6) as u64),
            matrix: a.matrix.unwrap_or(MatrixArg::Dedup),
            direction: a.direction.unwrap_or(DirectionArg::Up),
            sample_time: a.sample_time.unwrap_or(0.25),
            min_runs: a.min_runs.unwrap_or(3),
            max_runs: a.max_runs.unwrap_or(10),
        }
    }
}

pub fn run(mut a: BenchArgs) -> anyhow::Result<Outcome> {
    let prior = a.resume.as_deref().map(read_log).transpose()?;
    if let Some(log) = &prior {
        check_resume(&mut a, log)?;
        if log.end.as_ref().is_some_and(|e| e.status == "complete") {
            eprintln!(
                "`{}` is a finished run: nothing to do (analyse it with `hostkit ssh report {}`)",
                a.resume.as_deref().unwrap_or(Path::new("")).display(),
                a.resume.as_deref().unwrap_or(Path::new("")).display()
            );
            return Ok(Outcome::Ok);
        }
    }
    let settings = Settings::of(&a, prior.as_ref());
    check_args(&a, &settings)?;
    let pol = policy(&a.policy)?;
    let cancel = Arc::new(Cancel::default());
    let signals = install_signals(cancel.clone())?;
    let result = bench(&a, &settings, prior, &cancel, &pol);
    signals.close();
    result
}

/// Errors in the arguments themselves, before anything starts.
fn check_args(a: &BenchArgs, s: &Settings) -> anyhow::Result<()> {
    if s.min_runs > s.max_runs {
        return Err(hinted(
            format!(
                "`--min-runs {}` is larger than `--max-runs {}`",
                s.min_runs, s.max_runs
            ),
            "use `--min-runs N --max-runs M` with N <= M",
        ));
    }
    for (flag, v) in [
        ("--ciphers", &a.ciphers),
        ("--macs", &a.macs),
        ("--kex", &a.kex),
    ] {
        if let Some(v) = v
            && Pattern::list(v).is_empty()
        {
            return Err(hinted(
                format!("`{flag} '{v}'` names no algorithm"),
                format!(
                    "give a comma list or `*` globs, e.g. `{flag} 'aes*'`, or leave `{flag}` out for all"
                ),
            ));
        }
    }
    Ok(())
}

/// `--resume` continues the logged run: an option that would change its plan or measurement is
/// refused (naming it), the rest are taken from the log.
fn check_resume(a: &mut BenchArgs, log: &Log) -> anyhow::Result<()> {
    let h = &log.header;
    let o = &h.options;
    // Outer `None`: the log does not record the option (a hand-made or old log), so any value
    // goes; `Some(None)`: recorded as not given.
    let logged = |k: &str| -> Option<Option<String>> {
        o.get(k).map(|v| match v {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        })
    };
    let mut conflicts: Vec<String> = Vec::new();
    let mut differs = |flag: &str, given: Option<String>, logged: Option<Option<String>>| {
        if let (Some(g), Some(l)) = (given, logged)
            && Some(&g) != l.as_ref()
        {
            conflicts.push(format!(
                "`{flag} {g}` (the log has {})",
                l.map_or("none".to_string(), |l| format!("`{l}`"))
            ));
        }
    };
    let lower = |v: String| v.to_lowercase();
    let num = |k: &str| logged(k).map(|v| v.map(|s| s.parse::<f64>().map_or(s, |f| f.to_string())));
    differs(
        "--matrix",
        a.matrix.map(|m| lower(format!("{m:?}"))),
        logged("matrix"),
    );
    differs(
        "--direction",
        a.direction.map(|d| lower(format!("{d:?}"))),
        logged("direction"),
    );
    differs(
        "--sample-time",
        a.sample_time.map(|v| v.to_string()),
        num("sample_time_seconds").or_else(|| num("sample_time_s")),
    );
    differs(
        "--min-runs",
        a.min_runs.map(|v| v.to_string()),
        num("min_runs"),
    );
    differs(
        "--max-runs",
        a.max_runs.map(|v| v.to_string()),
        num("max_runs"),
    );
    differs("--ciphers", a.ciphers.clone(), logged("ciphers"));
    differs("--macs", a.macs.clone(), logged("macs"));
    differs("--kex", a.kex.clone(), logged("kex"));
    differs(
        "--seed",
        a.seed.map(|v| v.to_string()),
        Some(Some(h.seed.to_string())),
    );
    differs(
        "TARGET",
        a.conn.target.clone(),
        Some(Some(h.target.clone())),
    );
    if !conflicts.is_empty() {
        return Err(hinted(
            format!(
                "`--resume` continues the run as it was logged; {} would change it",
                conflicts.join(", ")
            ),
            format!(
                "drop {}, or start a new run with `--log NEW.jsonl`",
                if conflicts.len() == 1 {
                    "that option"
                } else {
                    "those options"
                }
            ),
        ));
    }
    let text = |k: &str| logged(k).flatten().map(|v| v.to_lowercase());
    let float = |k: &str| o.get(k).and_then(serde_json::Value::as_f64);
    let count = |k: &str| {
        o.get(k)
            .and_then(serde_json::Value::as_u64)
            .and_then(|v| u32::try_from(v).ok())
    };
    a.matrix = a.matrix.or(match text("matrix").as_deref() {
        Some("full") => Some(MatrixArg::Full),
        Some("dedup") => Some(MatrixArg::Dedup),
        _ => None,
    });
    a.direction = a.direction.or(match text("direction").as_deref() {
        Some("up") => Some(DirectionArg::Up),
        Some("down") => Some(DirectionArg::Down),
        Some("both") => Some(DirectionArg::Both),
        _ => None,
    });
    a.sample_time = a
        .sample_time
        .or(float("sample_time_seconds"))
        .or(float("sample_time_s"));
    a.min_runs = a.min_runs.or(count("min_runs"));
    a.max_runs = a.max_runs.or(count("max_runs"));
    a.no_pin = a.no_pin || o.get("no_pin").and_then(serde_json::Value::as_bool) == Some(true);
    Ok(())
}

/// Every algorithm a resumed plan names must be known to the local ssh (checked before any
/// connection).
fn check_plan_against_client(plan: &Plan, client: &ClientAlgos) -> anyhow::Result<()> {
    let mut missing: Vec<String> = Vec::new();
    let mut need = |name: &str, list: &[String]| {
        if !list.iter().any(|n| n == name) && !missing.iter().any(|m| m == name) {
            missing.push(name.to_owned());
        }
    };
    for t in &plan.trials {
        match &t.kind {
            TrialKind::Bulk {
                cipher, mac, kex, ..
            } => {
                need(cipher, &client.ciphers);
                if let Some(m) = mac {
                    need(m, &client.macs);
                }
                need(kex, &client.kex);
            }
            TrialKind::KexOnly { kex } | TrialKind::Connect { kex } => need(kex, &client.kex),
            TrialKind::Baseline { .. } => {}
        }
    }
    if !missing.is_empty() {
        return Err(hinted(
            format!(
                "the log's plan names {} that this ssh does not support (`ssh -Q`): `{}`",
                if missing.len() == 1 {
                    "an algorithm"
                } else {
                    "algorithms"
                },
                missing.join("`, `")
            ),
            "resume with the ssh that started the run (`--ssh PATH`), or start a new run",
        ));
    }
    Ok(())
}

/// The results log being written: its path, the open file, and whether this run created it
/// (then a run that fails before its first sample removes it again).
struct LogFile {
    path: PathBuf,
    file: File,
    created: bool,
}

impl LogFile {
    /// Step 1: create the log (exclusively) or open the resumed one, before sshd starts.
    fn open(a: &BenchArgs) -> anyhow::Result<Self> {
        if let Some(p) = &a.resume {
            return Ok(LogFile {
                path: p.clone(),
                file: append(p)?,
                created: false,
            });
        }
        let target = a.conn.target.as_deref().unwrap_or(super::PRIVATE);
        let path = a
            .log
            .clone()
            .unwrap_or_else(|| default_out(target, unix_now_s()));
        let (file, created) = create_new(&path)?;
        Ok(LogFile {
            path,
            file,
            created,
        })
    }

    /// Writes one record durably, saying what failed (e.g. no space left on the device).
    fn write(&mut self, rec: &Record) -> anyhow::Result<()> {
        let written = self
            .file
            .write_all(record::to_line(rec).as_bytes())
            .and_then(|_| self.file.flush());
        match written {
            Ok(()) => Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => Err(hinted(
                format!(
                    "writing the results log `{}`: no space left on the device",
                    self.path.display()
                ),
                "free space there, or pick another place with `--log FILE`",
            )),
            Err(e) => {
                Err(e).with_context(|| format!("writing the results log `{}`", self.path.display()))
            }
        }
    }

    /// Removes a log this run created and never wrote a sample to.
    fn discard(&self) {
        if self.created {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn bench(
    a: &BenchArgs,
    s: &Settings,
    prior: Option<Log>,
    cancel: &Arc<Cancel>,
    pol: &Policy,
) -> anyhow::Result<Outcome> {
    let ssh = openssh(&a.conn)?;
    if let Some(log) = &prior {
        check_plan_against_client(&plan_of(log), &ssh.algos()?)?;
    }
    let mut out = if a.dry_run {
        None
    } else {
        Some(LogFile::open(a)?)
    };
    let started = start(a, s, ssh, prior.as_ref(), out.as_mut());
    let Started {
        mut prep,
        plan,
        pins,
        ceilings,
    } = match started {
        Ok(Some(x)) => x,
        Ok(None) => return Ok(Outcome::Ok),
        Err(e) => {
            if let Some(o) = &out {
                o.discard();
            }
            return Err(e);
        }
    };
    let mut out = out.expect("a log unless --dry-run");
    let measured = measure(
        a,
        s,
        &mut prep,
        &plan,
        &pins,
        ceilings,
        prior.as_ref(),
        &mut out,
        cancel,
    );
    finish(a, pol, &out, measured)
}

/// What step 2 leaves for the measurement.
struct Started {
    prep: Prepared,
    plan: Plan,
    pins: Pinning,
    ceilings: Vec<record::Ceiling>,
}

/// Step 2: reach the target, build the plan (or take the log's), print it for `--dry-run`,
/// write the header and the crypto ceilings. `Ok(None)` after a dry run.
fn start(
    a: &BenchArgs,
    s: &Settings,
    ssh: SshClient,
    prior: Option<&Log>,
    out: Option<&mut LogFile>,
) -> anyhow::Result<Option<Started>> {
    let target = target_of(&a.conn, prior.map(|l| l.header.target.as_str()));
    let pins = pinning::choose(&affinity::allowed_cpus(), target.is_none(), a.no_pin);
    let spinner = crate::output::progress::spinner("connecting and reading the server's KEXINIT");
    let prep = prepare_with(ssh, &a.conn, target, pins.sshd_cpu)?;
    let (plan, server_version) = match prior {
        Some(log) => (plan_of(log), None),
        None => {
            let d = discover(&prep)?;
            let plan = plan::build(&d.negotiable, &plan_options(a, s))?;
            (plan, Some((d.hello.version, d.negotiable)))
        }
    };
    spinner.finish_and_clear();
    if a.dry_run {
        match a.format {
            BenchFormat::Table => {
                crate::output::emit_text(a.output.as_deref(), &plan::render(&plan))?
            }
            BenchFormat::Json => crate::output::emit_json(a.output.as_deref(), &envelope(&plan))?,
        }
        return Ok(None);
    }
    let out = out.expect("a log unless --dry-run");
    if let Some(w) = pinning::warning(&pins) {
        crate::error::warn(
            w,
            Some("drop `--no-pin`, or run where two CPUs are allowed"),
        );
    }
    if let Some((v, n)) = server_version {
        out.write(&Record::Header(header(
            &prep,
            a,
            s,
            &plan,
            v,
            &pins,
            Some(&n),
        )?))?;
    }
    let mut ceilings = prior.map(|l| l.ceilings.clone()).unwrap_or_default();
    if !a.no_ceiling && ceilings.is_empty() {
        ceilings = measure_ceilings(&plan, pins.ssh_cpu);
        for c in &ceilings {
            out.write(&Record::Ceiling(c.clone()))?;
        }
    }
    Ok(Some(Started {
        prep,
        plan,
        pins,
        ceilings,
    }))
}

/// The plan a log was started with.
fn plan_of(log: &Log) -> Plan {
    Plan {
        trials: log.header.trials.clone(),
        skipped: vec![],
        full_product: 0,
    }
}

/// `openssl speed` for every cipher and MAC of the plan (skipped without an `openssl`).
fn measure_ceilings(plan: &Plan, cpu: Option<usize>) -> Vec<record::Ceiling> {
    let Some(openssl) = hostkit_sshbench::sys::which("openssl") else {
        crate::error::warn(
            "no `openssl` in PATH: the crypto ceiling column stays empty",
            Some("install the `openssl` package"),
        );
        return Vec::new();
    };
    let mut names: Vec<String> = Vec::new();
    for t in &plan.trials {
        if let TrialKind::Bulk { cipher, mac, .. } = &t.kind {
            for n in std::iter::once(cipher).chain(mac) {
                if !names.contains(n) {
                    names.push(n.clone());
                }
            }
        }
    }
    if names.is_empty() {
        return Vec::new();
    }
    let spinner = crate::output::progress::spinner("measuring the crypto ceiling (openssl speed)");
    let out = ceiling::measure(&openssl, &names, cpu);
    spinner.finish_and_clear();
    out
}

/// What the session loop returned, with the sshd's fate and whether anything was measured.
struct Measured {
    outcome: Result<SessionReport, session::SessionError>,
    sshd_error: Option<hostkit_sshbench::sys::SysError>,
}

/// Step 3: run the plan with the real runner and a progress bar, appending to the log.
#[allow(clippy::too_many_arguments)]
fn measure(
    a: &BenchArgs,
    s: &Settings,
    prep: &mut Prepared,
    plan: &Plan,
    pins: &Pinning,
    ceilings: Vec<record::Ceiling>,
    prior: Option<&Log>,
    out: &mut LogFile,
    cancel: &Arc<Cancel>,
) -> Measured {
    let mut runner = SshRunner::new(
        prep.ssh.path.clone(),
        prep.config.clone(),
        prep.work_dir.clone(),
        keep_dir(&out.path),
        cancel.clone(),
    );
    runner.listener = prep.sshd.as_ref().and_then(|s| s.pid()).map(|p| p as i32);
    runner.pin_cpu = pins.ssh_cpu;
    runner.baseline_kex = plan.trials.iter().find_map(|t| match &t.kind {
        TrialKind::Bulk { kex, .. } => Some(kex.clone()),
        _ => None,
    });
    let opts = SessionOptions {
        seed: s.seed,
        sample_time_s: s.sample_time,
        rule: StopRule {
            min_runs: s.min_runs as usize,
            max_runs: s.max_runs as usize,
            target_rel_ci: 0.03,
            top_k: a.top as usize,
        },
        // What start-up, discovery and the ceiling took is already spent.
        time_budget_s: (a.time_budget - (unix_now_s() - s.started_unix)).max(1.0),
        ceilings,
        ..SessionOptions::default()
    };
    let (bulk, baseline, kex_only, connect) = plan.counts();
    eprintln!(
        "{} trials against {}: {bulk} bulk, {baseline} baseline, {kex_only} kex-only, {connect} connect; log `{}`",
        plan.trials.len(),
        prep.label,
        out.path.display()
    );
    let mut bar = super::progress::Bar::new();
    let file = out.file.try_clone();
    let outcome = match file {
        Err(e) => Err(session::SessionError::Sink(e)),
        Ok(file) => {
            let mut sink = JsonlSink(file);
            let clock = unix_now_s;
            let stop = || cancel.is_cancelled();
            let own_cpu = hostkit_sshbench::sys::own_cpu_s;
            let env = Env {
                clock: &clock,
                stop: &stop,
                own_cpu: &own_cpu,
            };
            session::run(plan, &mut runner, &mut sink, &mut bar, &opts, prior, &env)
        }
    };
    bar.bar.finish_and_clear();
    let sshd_dead = prep.sshd.as_mut().is_some_and(|s| !s.is_running());
    let sshd_error = prep
        .sshd
        .as_ref()
        .filter(|_| sshd_dead)
        .map(|s| s.died("running the private sshd", "sshd is no longer running"));
    Measured {
        outcome,
        sshd_error,
    }
}

/// Step 4: stop on an error (with a `--resume` hint only when something was measured), else
/// analyse the log and print the ranking; no result at all is an error.
fn finish(a: &BenchArgs, pol: &Policy, out: &LogFile, m: Measured) -> anyhow::Result<Outcome> {
    let path = &out.path;
    let log = read_log(path).ok();
    let any_sample = log.as_ref().is_some_and(|l| !l.samples.is_empty());
    let resume_hint = format!(
        "results so far are kept in `{}`: continue with `hostkit ssh bench --resume {}`",
        path.display(),
        path.display()
    );
    let report = match m.outcome {
        Err(e) => {
            let err = match m.sshd_error {
                Some(sshd) => anyhow::Error::new(sshd).context(format!("the run stopped at {e}")),
                None => anyhow::Error::new(e),
            };
            if any_sample {
                return Err(err).hint(resume_hint);
            }
            out.discard();
            return Err(err);
        }
        Ok(r) => r,
    };
    if !any_sample && report.status == Status::Interrupted {
        out.discard();
        crate::error::warn(
            "interrupted before the first sample; nothing was kept",
            None,
        );
        return Ok(Outcome::Code(crate::exit::INTERRUPTED));
    }
    let log = read_log(path)?;
    let analysis = analyze::analyze(&log);
    let rec = super::recommendation(&log, &analysis, pol, a.style);
    render(a, path, &report, &analysis, rec.as_ref())?;
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
    if analysis.bulk.is_empty()
        && analysis
            .kex
            .iter()
            .all(|k| k.kex_only_ms.is_none() && k.connect_ms.is_none())
    {
        return Err(hinted(
            format!(
                "the run ended without a result: every trial was refused ({} unsupported)",
                analysis.unsupported.len()
            ),
            "see `hostkit ssh algos` for what both sides offer, and pick with `--ciphers`/`--macs`/`--kex`",
        ));
    }
    Ok(Outcome::Ok)
}

fn render(
    a: &BenchArgs,
    path: &Path,
    report: &SessionReport,
    analysis: &Analysis,
    rec: Option<&report::Recommendation>,
) -> anyhow::Result<()> {
    match a.format {
        BenchFormat::Table => crate::output::emit_text(
            a.output.as_deref(),
            &super::ranking_text(analysis, rec, a.top as usize),
        ),
        BenchFormat::Json => crate::output::emit_json(
            a.output.as_deref(),
            &envelope(serde_json::json!({
                "log": path,
                "status": match report.status { Status::Complete => "complete", Status::Interrupted => "interrupted" },
                "elapsed_seconds": report.elapsed_s,
                "rounds": report.rounds,
                "budget_hit": report.budget_hit,
                "method": analysis.method,
                "analysis": analysis,
                "recommendation": rec,
            })),
        ),
    }
}

fn plan_options(a: &BenchArgs, st: &Settings) -> PlanOptions {
    let list = |s: &Option<String>| s.as_deref().map(Pattern::list).unwrap_or_default();
    PlanOptions {
        matrix: match st.matrix {
            MatrixArg::Dedup => Matrix::Dedup,
            MatrixArg::Full => Matrix::Full,
        },
        ciphers: list(&a.ciphers),
        macs: list(&a.macs),
        kex: list(&a.kex),
        directions: match st.direction {
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
    s: &Settings,
    plan: &Plan,
    server_version: String,
    pins: &Pinning,
    negotiable: Option<&hostkit_sshbench::algos::Negotiable>,
) -> anyhow::Result<Header> {
    let m = machine::machine();
    Ok(Header {
        schema: record::SCHEMA,
        hostkit_version: env!("CARGO_PKG_VERSION").into(),
        ssh_version: prep.ssh.version()?,
        server_version,
        cpu_model: m.cpu_model,
        cpu_flags: m.cpu_flags,
        cpus: m.cpus,
        kernel: m.kernel,
        target: prep.label.clone(),
        started_unix: unix_now_s(),
        seed: s.seed,
        options: serde_json::json!({
            "matrix": format!("{:?}", s.matrix).to_lowercase(),
            "direction": format!("{:?}", s.direction).to_lowercase(),
            "ciphers": a.ciphers, "macs": a.macs, "kex": a.kex,
            "sample_time_seconds": s.sample_time, "min_runs": s.min_runs, "max_runs": s.max_runs,
            "time_budget_seconds": a.time_budget, "top": a.top, "policy": a.policy,
            "no_pin": a.no_pin,
            "ssh": prep.ssh.path, "sshd": a.conn.sshd,
        }),
        trials: plan.trials.clone(),
        method: Method::InConnectionWindow,
        pinning: pins.clone(),
        hostname: Some(m.hostname).filter(|h| !h.is_empty()),
        negotiable: negotiable.cloned(),
    })
}

/// Reads and parses a results log, naming the file in errors.
pub fn read_log(path: &Path) -> anyhow::Result<Log> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading `{}`", path.display()))?;
    record::parse_log(&text)
        .with_context(|| format!("`{}` is not a hostkit ssh bench log", path.display()))
        .hint("pass a file written by `hostkit ssh bench` (`--log`)")
}

/// Creates the log; `true` when this run created it. A file that exists is refused, except a
/// device or pipe (`/dev/stdout`, `/dev/full`), which is written in place.
fn create_new(path: &Path) -> anyhow::Result<(File, bool)> {
    let special = std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir());
    let ctx = || format!("cannot create the results log `{}`", path.display());
    let hint = || {
        format!(
            "pick another name with `--log FILE`, or continue it with `--resume {}`",
            path.display()
        )
    };
    let f = if special {
        OpenOptions::new().write(true).open(path)
    } else {
        OpenOptions::new().write(true).create_new(true).open(path)
    };
    let f = f.with_context(ctx).with_hint(hint)?;
    Ok((f, !special))
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
