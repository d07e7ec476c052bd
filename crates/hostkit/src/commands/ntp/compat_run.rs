//! The `check_ntp_time` 2.3 run, shared by the symlink personality and `ntp check --compat
//! check_ntp_time`, in the plugin's order: each `-H` is validated by the resolver with no
//! time limit of ours (glibc's resolv.conf timeouts apply), then the ranges are parsed, then
//! the alarm budget (`-t`) starts and covers a second resolution (with the port) and the
//! exchange, which gets half of it. Any reachable server's offset is reported whatever its
//! root distance (the plugin has no such limit); `-v` adds hostkit's per-address detail.

use std::time::{Duration, Instant};

use hostkit_nagios::{Range, Status, Thresholds};
use hostkit_ntp::check::Policy;
use hostkit_ntp::render::{self, CompatOptions};
use hostkit_ntp::report::{Report, ResolveFailure};
use hostkit_ntp::select::summarize;
use hostkit_ntp::server::{Family, ServerSpec};
use hostkit_ntp::sys::exchange;
use hostkit_ntp::sys::resolve::{self, ResolveError};

/// The usage lines check_ntp_time prints after a usage error.
pub(crate) const USAGE: &str = "Usage:\n check_ntp_time -H <host> [-4|-6] [-w <warn>] [-c <crit>] [-v verbose] [-o <time offset>]\n";

/// One compat run, options already parsed.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub specs: Vec<ServerSpec>,
    pub family: Family,
    /// `-w` and `-c` as given (read by the lenient 2.x range parser).
    pub warning: String,
    pub critical: String,
    /// `-t`: the alarm budget in seconds; 0 or less means no alarm (as `alarm(0)`).
    pub timeout_seconds: f64,
    /// How `-t` is printed in `Socket timeout after N seconds`.
    pub timeout_text: String,
    /// Subtracted from every offset (check_ntp_time's `-o N` is `-N` here).
    pub expect_offset_seconds: f64,
    pub samples: u32,
    pub interval: Duration,
    pub quiet: bool,
    pub verbose: bool,
}

/// What the run prints on stdout and its exit state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Printed {
    pub stdout: String,
    pub status: Status,
}

impl Printed {
    fn unknown(stdout: String) -> Printed {
        Printed {
            stdout,
            status: Status::Unknown,
        }
    }
}

/// check_ntp_time's `is_host()`: with `-4`/`-6` it asks for that family first, then (on
/// failure) once more through `is_hostname()`; any failure is `Invalid hostname/address`.
pub(crate) fn validate_host(host: &str, family: Family) -> Result<(), ResolveError> {
    if family != Family::Any && resolve::lookup(host, None, family).is_ok() {
        return Ok(());
    }
    resolve::lookup(host, None, family).map(|_| ())
}

/// The plugin's output for a `-H` that did not validate; with `-v`, what really happened.
pub(crate) fn invalid_host(host: &str, error: &ResolveError, verbose: bool) -> Printed {
    let mut stdout = format!("check_ntp_time: Invalid hostname/address - {host}\n{USAGE}");
    if verbose {
        stdout.push_str(&format!("hostkit: cannot resolve `{host}`: {error}\n"));
    }
    Printed::unknown(stdout)
}

/// The legacy ranges, or the plugin's `Range format incorrect` (printed without a newline).
pub(crate) fn thresholds(req: &Request) -> Result<Thresholds, Printed> {
    let parse = |t: &str| Range::parse_legacy(t).map(Some);
    match (parse(&req.warning), parse(&req.critical)) {
        (Ok(warning), Ok(critical)) => Ok(Thresholds { warning, critical }),
        _ => Err(Printed::unknown("Range format incorrect".into())),
    }
}

/// Everything after option parsing and `-H` validation.
pub(crate) fn measure(req: &Request, thresholds: Thresholds) -> Printed {
    let start = Instant::now();
    let alarm = (req.timeout_seconds > 0.0)
        .then(|| start + Duration::from_secs_f64(req.timeout_seconds.min(86_400.0)));
    // The plugin resolves again (with the port) inside its alarm.
    let resolved = resolve::resolve(&req.specs, req.family, alarm);
    let mut targets = Vec::new();
    let mut failures = Vec::new();
    for (spec, r) in req.specs.iter().zip(resolved) {
        match r {
            Ok(addrs) => targets.extend(addrs.into_iter().map(|a| (spec.text.clone(), a))),
            Err(error) => failures.push(ResolveFailure {
                host: spec.text.clone(),
                error,
            }),
        }
    }
    if targets.is_empty()
        && let Some(f) = failures.first()
    {
        return match &f.error {
            ResolveError::Deadline { .. } => Printed {
                stdout: format!(
                    "CRITICAL - Socket timeout after {} seconds\n",
                    req.timeout_text
                ),
                status: Status::Critical,
            },
            e => Printed::unknown(format!(
                "error getting address for {}: {}\n",
                f.host,
                e.gai_message()
                    .map_or_else(|| e.to_string(), str::to_string)
            )),
        };
    }
    // The plugin samples for half its timeout (at least until the next second tick).
    let half = Duration::from_secs_f64(req.timeout_seconds.clamp(1.0, 86_400.0) / 2.0);
    let mut deadline = Instant::now() + half;
    if let Some(alarm) = alarm {
        deadline = deadline.min(alarm);
    }
    let plan = exchange::Plan {
        samples: req.samples,
        interval: req.interval,
        retry_after: (half / 2).clamp(Duration::from_millis(200), Duration::from_secs(1)),
        deadline,
    };
    let summaries = exchange::run(&targets, &plan)
        .into_iter()
        .map(|e| summarize(e, f64::INFINITY))
        .collect();
    let policy = Policy {
        offset: thresholds.clone(),
        expect_offset_seconds: req.expect_offset_seconds,
        ..Policy::default()
    };
    let report = Report::new(
        summaries,
        failures,
        &policy,
        start.elapsed().as_millis() as u64,
    );
    let opts = CompatOptions {
        thresholds,
        quiet: req.quiet,
    };
    let (mut stdout, status) = render::compat_line(&report, &opts);
    if req.verbose {
        // Details go after the result line so that the first line stays compatible.
        let details = render::nagios(&report, &policy, true);
        for line in details.render().lines().skip(1) {
            stdout.push_str(line);
            stdout.push('\n');
        }
    }
    Printed { stdout, status }
}

/// The whole run for `ntp check --compat check_ntp_time`: validation, ranges, measurement.
pub(crate) fn run(req: &Request) -> Printed {
    for spec in &req.specs {
        if let Err(e) = validate_host(&spec.host, req.family) {
            return invalid_host(&spec.text, &e, req.verbose);
        }
    }
    match thresholds(req) {
        Ok(t) => measure(req, t),
        Err(printed) => printed,
    }
}
