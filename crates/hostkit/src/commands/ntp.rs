//! `hostkit ntp`: `check` builds a validated configuration from the arguments, runs the
//! parallel SNTP exchange (hostkit-ntp) and renders the verdict as a Nagios line, JSON or
//! Prometheus text with exit 0/1/2/3; every usage error is UNKNOWN (3) on stdout. The
//! `check_ntp_time` personality lives in `ntp/compat.rs`, `drift` in `ntp/drift.rs`.

mod compat;
mod compat_run;
mod drift;

use std::time::{Duration, Instant};

use hostkit_nagios::{Range, Status, Thresholds};
use hostkit_ntp::check::Policy;
use hostkit_ntp::render;
use hostkit_ntp::report::{Report, ResolveFailure};
use hostkit_ntp::select::summarize;
use hostkit_ntp::server::{Family, ServerSpec, parse_port, parse_server};
use hostkit_ntp::sys::{exchange, resolve};
use hostkit_render::json::Envelope;

pub use compat::check_ntp_time_personality;

use crate::cli::ntp::{CheckArgs, CheckFormat, NtpCommand, Unreachable};
use anyhow::Context;

use crate::error;
use crate::exit::Outcome;
use crate::output;

/// Runs `hostkit ntp ...`.
pub fn run(cmd: NtpCommand) -> anyhow::Result<Outcome> {
    match cmd {
        NtpCommand::Check(args) => check(&args),
        NtpCommand::Drift(args) => drift::run(&args),
    }
}

/// A validated `ntp check` configuration, shared with the `check_ntp_time` personality.
#[derive(Debug, Clone)]
pub(crate) struct CheckConfig {
    pub specs: Vec<ServerSpec>,
    pub family: Family,
    pub samples: u32,
    pub interval: Duration,
    /// The overall deadline, measured from the start of the run.
    pub timeout: Duration,
    pub max_root_distance_seconds: f64,
    pub policy: Policy,
}

/// Prints a usage error the Nagios way (`NTP UNKNOWN: ...` on stdout) and yields exit 3.
pub(crate) fn unknown(message: &str) -> anyhow::Result<Outcome> {
    let mut lines = message.lines();
    let mut text = format!("NTP UNKNOWN: {}\n", lines.next().unwrap_or_default());
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    output::print_text(&text)?;
    Ok(Outcome::Code(Status::Unknown.code()))
}

/// A typed usage error the Nagios way: `NTP UNKNOWN: cause: cause` on stdout, then its hints
/// on `hint:` lines (as `exit::report` prints them on stderr for other commands); exit 3.
pub(crate) fn unknown_error(err: &anyhow::Error) -> anyhow::Result<Outcome> {
    let r = crate::error::Rendered::of(err);
    let mut text = format!("NTP UNKNOWN: {}\n", r.causes.join(": "));
    for h in &r.hints {
        text.push_str(&format!("hint: {h}\n"));
    }
    output::print_text(&text)?;
    Ok(Outcome::Code(Status::Unknown.code()))
}

/// A clap error for `ntp check` (reached only through [`check_fast_path`]): UNKNOWN (3) on
/// stdout, as Nagios expects.
pub fn parse_error(err: clap::Error) -> crate::exit::ExitCode {
    crate::exit::nagios_usage_error(err, |message| crate::exit::finish(unknown(message)))
}

/// When argv is `hostkit ntp check ...`, parses only that command's grammar and runs it
/// (the help text is the same as through the full grammar); `None` for anything else.
pub fn check_fast_path() -> Option<crate::exit::ExitCode> {
    use crate::cli::ntp::CheckCli;
    use clap::{CommandFactory, FromArgMatches};
    let mut args = std::env::args_os();
    let _bin = args.next();
    if args.next()? != "ntp" || args.next()? != "check" {
        return None;
    }
    let argv = std::iter::once(std::ffi::OsString::from("hostkit ntp check")).chain(args);
    // What `CheckCli::try_parse_from` does, minus freeing the grammar and the matches: the
    // process exits right after the check, and those hundreds of frees (plus malloc's
    // consolidation) were ~6 % of a run's instructions.
    let mut cmd = CheckCli::command();
    let parsed = cmd.try_get_matches_from_mut(argv).and_then(|mut matches| {
        let cli = CheckCli::from_arg_matches_mut(&mut matches);
        std::mem::forget(matches);
        cli.map_err(|err| err.format(&mut CheckCli::command()))
    });
    std::mem::forget(cmd);
    Some(match parsed {
        Ok(cli) => crate::exit::finish(check(&cli.args)),
        Err(err) => parse_error(err),
    })
}

fn seconds(value: f64, flag: &str, min: f64) -> anyhow::Result<Duration> {
    if value.is_finite() && value >= min && value <= 86_400.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(error::hinted(
            format!("invalid {flag} `{value}`"),
            format!("give a number of seconds from {min} to 86400"),
        ))
    }
}

fn range(text: Option<&str>, flag: &str) -> anyhow::Result<Option<Range>> {
    text.map(|t| Range::parse(t).with_context(|| flag.to_string()))
        .transpose()
}

fn config_from_args(a: &CheckArgs) -> anyhow::Result<CheckConfig> {
    let port = parse_port(&a.port).ok_or_else(|| {
        error::hinted(
            format!("invalid port `{}`", a.port),
            "use a number from 1 to 65535 (or `ntp`)",
        )
    })?;
    let specs = a
        .hosts
        .iter()
        .map(|h| parse_server(h, port))
        .collect::<Result<Vec<_>, _>>()?;
    let family = match (a.ipv4, a.ipv6) {
        (true, _) => Family::V4,
        (_, true) => Family::V6,
        _ => Family::Any,
    };
    if !(a.max_root_distance.is_finite() && a.max_root_distance > 0.0) {
        return Err(error::hinted(
            format!("invalid --max-root-distance `{}`", a.max_root_distance),
            "give a positive number of seconds, e.g. `--max-root-distance 16` for w32time servers",
        ));
    }
    if !a.expect_offset.is_finite() {
        return Err(error::hinted(
            "invalid --expect-offset",
            "give a number of seconds",
        ));
    }
    Ok(CheckConfig {
        specs,
        family,
        samples: a.samples,
        interval: seconds(a.interval, "--interval", 0.0)?,
        timeout: seconds(a.timeout, "--timeout", 0.001)?,
        max_root_distance_seconds: a.max_root_distance,
        policy: Policy {
            offset: Thresholds {
                warning: range(Some(&a.warning), "-w/--warning")?,
                critical: range(Some(&a.critical), "-c/--critical")?,
            },
            signed_thresholds: a.signed_thresholds,
            stratum: Thresholds {
                warning: range(a.stratum_warning.as_deref(), "--stratum-warning")?,
                critical: range(a.stratum_critical.as_deref(), "--stratum-critical")?,
            },
            expect_offset_seconds: a.expect_offset,
            unreachable: match a.unreachable {
                Unreachable::Unknown => Status::Unknown,
                Unreachable::Warning => Status::Warning,
                Unreachable::Critical => Status::Critical,
            },
        },
    })
}

/// Resolves, queries and judges; `window` bounds the whole run (name resolution included).
pub(crate) fn execute(cfg: &CheckConfig, window: Duration) -> Report {
    let start = Instant::now();
    let deadline = start + window;
    let resolved = resolve::resolve(&cfg.specs, cfg.family, Some(deadline));
    let mut targets = Vec::new();
    let mut failures = Vec::new();
    for (spec, r) in cfg.specs.iter().zip(resolved) {
        match r {
            Ok(addrs) => targets.extend(addrs.into_iter().map(|a| (spec.text.clone(), a))),
            Err(error) => failures.push(ResolveFailure {
                host: spec.text.clone(),
                error,
            }),
        }
    }
    let plan = exchange::Plan {
        samples: cfg.samples,
        interval: cfg.interval,
        retry_after: (window / 4).clamp(Duration::from_millis(200), Duration::from_secs(1)),
        deadline,
    };
    let exchanges = exchange::run(&targets, &plan);
    let summaries = exchanges
        .into_iter()
        .map(|e| summarize(e, cfg.max_root_distance_seconds))
        .collect();
    let elapsed_ms = start.elapsed().as_millis() as u64;
    Report::new(summaries, failures, &cfg.policy, elapsed_ms)
}

/// `ntp check --compat check_ntp_time`: hostkit's flags, check_ntp_time's behaviour and line.
fn check_compat(a: &CheckArgs) -> anyhow::Result<Outcome> {
    let port = match parse_port(&a.port) {
        Some(p) => p,
        None => {
            return unknown_error(&error::hinted(
                format!("invalid port `{}`", a.port),
                "use a number from 1 to 65535 (or `ntp`)",
            ));
        }
    };
    let specs = match a
        .hosts
        .iter()
        .map(|h| parse_server(h, port))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(specs) => specs,
        Err(e) => return unknown_error(&e.into()),
    };
    let interval = match seconds(a.interval, "--interval", 0.0) {
        Ok(d) => d,
        Err(err) => return unknown_error(&err),
    };
    let req = compat_run::Request {
        specs,
        family: match (a.ipv4, a.ipv6) {
            (true, _) => Family::V4,
            (_, true) => Family::V6,
            _ => Family::Any,
        },
        warning: a.warning.clone(),
        critical: a.critical.clone(),
        timeout_seconds: a.timeout,
        timeout_text: a.timeout.to_string(),
        expect_offset_seconds: a.expect_offset,
        samples: a.samples,
        interval,
        quiet: a.quiet,
        verbose: a.verbose,
    };
    let printed = compat_run::run(&req);
    output::print_text(&printed.stdout)?;
    Ok(Outcome::Code(printed.status.code()))
}

fn check(a: &CheckArgs) -> anyhow::Result<Outcome> {
    if a.compat.is_some() {
        return check_compat(a);
    }
    let cfg = match config_from_args(a) {
        Ok(cfg) => cfg,
        Err(err) => return unknown_error(&err),
    };
    let report = execute(&cfg, cfg.timeout);
    let plugin = render::nagios(&report, &cfg.policy, a.verbose);
    let text = match a.format {
        CheckFormat::Nagios => plugin.render(),
        CheckFormat::Json => {
            let summary = plugin
                .render()
                .lines()
                .next()
                .unwrap_or_default()
                .to_string();
            Envelope::new(
                "ntp check",
                Report::SCHEMA_VERSION,
                output::now_unix_seconds(),
                report.to_json(&summary),
            )
            .to_pretty()
        }
        CheckFormat::Prometheus => render::prometheus(&report),
    };
    output::emit(a.output.as_deref(), text.as_bytes())?;
    Ok(Outcome::Code(report.verdict.status.code()))
}
