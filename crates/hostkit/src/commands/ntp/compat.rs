//! The `check_ntp_time` personality: when hostkit runs under that name (a symlink), it parses
//! the monitoring-plugins 2.3 option set with getopt_long rules (bundled short options,
//! `-Hhost`, `--opt=value`, unique long prefixes, permuted operands) and prints that plugin's
//! first line byte for byte, its usage errors included. Measurement is hostkit's: parallel,
//! validated, minimum-delay of 4 samples, refused ports reported at once.

use std::ffi::OsString;
use std::time::Duration;

use hostkit_nagios::{Status, Thresholds};
use hostkit_ntp::check::Policy;
use hostkit_ntp::render::{self, CompatOptions};
use hostkit_ntp::server::{Family, NTP_PORT, ServerSpec, parse_port};

use crate::exit::ExitCode;

use super::{CheckConfig, execute, legacy_range};
use crate::exit::{self, Outcome};
use crate::output;

const USAGE: &str = "Usage:\n check_ntp_time -H <host> [-4|-6] [-w <warn>] [-c <crit>] [-v verbose] [-o <time offset>]\n";

const HELP: &str = "check_ntp_time (hostkit drop-in for monitoring-plugins 2.3)

This plugin checks the clock offset with the ntp server

Usage:
 check_ntp_time -H <host> [-4|-6] [-w <warn>] [-c <crit>] [-v verbose] [-o <time offset>]

Options:
 -h, --help            Print this help (exit 3)
 -V, --version         Print version information (exit 3)
 -4, --use-ipv4        Use IPv4 connection
 -6, --use-ipv6        Use IPv6 connection
 -H, --hostname=ADDRESS
                       Host name or IP address (repeatable: all are queried in parallel)
 -p, --port=INTEGER    Port number (default: 123)
 -q, --quiet           Returns UNKNOWN instead of CRITICAL if offset cannot be found
 -w, --warning=THRESHOLD   Offset to result in warning status (seconds, default 60)
 -c, --critical=THRESHOLD  Offset to result in critical status (seconds, default 120)
 -o, --time-offset=INTEGER Expected offset of the ntp server relative to local server (seconds)
 -t, --timeout=INTEGER Seconds before connection times out (default: 10)
 -v, --verbose         Print per-address details after the result line

The result line is byte-compatible with check_ntp_time 2.3. Differences by design: every
address is queried in parallel, replies are validated (origin cookie, mode, version), the
minimum-delay of 4 samples is used instead of their mean, and unsynchronised servers
(leap 3, stratum 0 or 16) and kiss-o'-death replies give \"Offset unknown\".
More: hostkit ntp check --help
";

/// Parsed `check_ntp_time` options.
#[derive(Debug, Clone, PartialEq)]
struct Options {
    hosts: Vec<String>,
    port: String,
    warning: String,
    critical: String,
    time_offset: i64,
    timeout: i64,
    family: Family,
    verbose: u32,
    quiet: bool,
}

/// What the command line asks for.
#[derive(Debug, PartialEq)]
enum Parsed {
    Run(Options),
    /// Print this on stdout (and maybe stderr) and exit 3.
    Exit {
        stdout: String,
        stderr: String,
    },
}

/// C `atoi`: optional whitespace and sign, then the leading digits; 0 when there are none.
fn atoi(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    let v: i64 = digits[..end].parse().unwrap_or(0);
    if neg { -v } else { v }
}

const LONG: &[(&str, char, bool)] = &[
    ("version", 'V', false),
    ("help", 'h', false),
    ("verbose", 'v', false),
    ("use-ipv4", '4', false),
    ("use-ipv6", '6', false),
    ("quiet", 'q', false),
    ("warning", 'w', true),
    ("critical", 'c', true),
    ("timeout", 't', true),
    ("hostname", 'H', true),
    ("port", 'p', true),
    ("time-offset", 'o', true),
];

fn short_takes_value(c: char) -> Option<bool> {
    LONG.iter().find(|(_, s, _)| *s == c).map(|(_, _, v)| *v)
}

fn bad_option(stderr: String) -> Parsed {
    Parsed::Exit {
        stdout: USAGE.into(),
        stderr,
    }
}

fn parse(args: &[String]) -> Parsed {
    let mut o = Options {
        hosts: Vec::new(),
        port: NTP_PORT.to_string(),
        warning: "60".into(),
        critical: "120".into(),
        time_offset: 0,
        timeout: 10,
        family: Family::Any,
        verbose: 0,
        quiet: false,
    };
    let mut pairs: Vec<(char, Option<String>)> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            break;
        }
        if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            let exact = LONG.iter().find(|(n, ..)| *n == name);
            let matches: Vec<_> = LONG.iter().filter(|(n, ..)| n.starts_with(name)).collect();
            let Some(&(lname, c, takes)) = exact.or(if matches.len() == 1 {
                Some(matches[0])
            } else {
                None
            }) else {
                let why = if matches.len() > 1 {
                    "is ambiguous"
                } else {
                    "unrecognized option"
                };
                return bad_option(format!("check_ntp_time: option '--{name}' {why}\n"));
            };
            let value = match (takes, inline) {
                (true, Some(v)) => Some(v),
                (true, None) if i < args.len() => {
                    i += 1;
                    Some(args[i - 1].clone())
                }
                (true, None) => {
                    return bad_option(format!(
                        "check_ntp_time: option '--{lname}' requires an argument\n"
                    ));
                }
                (false, Some(_)) => {
                    return bad_option(format!(
                        "check_ntp_time: option '--{lname}' doesn't allow an argument\n"
                    ));
                }
                (false, None) => None,
            };
            pairs.push((c, value));
        } else if arg.len() > 1 && arg.starts_with('-') {
            let chars: Vec<char> = arg[1..].chars().collect();
            let mut k = 0;
            while k < chars.len() {
                let c = chars[k];
                k += 1;
                match short_takes_value(c) {
                    None => {
                        return bad_option(format!("check_ntp_time: invalid option -- '{c}'\n"));
                    }
                    Some(false) => pairs.push((c, None)),
                    Some(true) => {
                        let rest: String = chars[k..].iter().collect();
                        let value = if !rest.is_empty() {
                            rest
                        } else if i < args.len() {
                            i += 1;
                            args[i - 1].clone()
                        } else {
                            return bad_option(format!(
                                "check_ntp_time: option requires an argument -- '{c}'\n"
                            ));
                        };
                        pairs.push((c, Some(value)));
                        break;
                    }
                }
            }
        }
        // Operands are ignored, as check_ntp_time does.
    }
    for (c, value) in pairs {
        let v = value.unwrap_or_default();
        match c {
            'h' => {
                return Parsed::Exit {
                    stdout: HELP.into(),
                    stderr: String::new(),
                };
            }
            'V' => {
                return Parsed::Exit {
                    stdout: format!("check_ntp_time (hostkit {})\n", env!("CARGO_PKG_VERSION")),
                    stderr: String::new(),
                };
            }
            'v' => o.verbose += 1,
            '4' => o.family = Family::V4,
            '6' => o.family = Family::V6,
            'q' => o.quiet = true,
            'w' => o.warning = v,
            'c' => o.critical = v,
            't' => o.timeout = atoi(&v),
            'H' => o.hosts.push(v),
            'p' => o.port = v,
            'o' => o.time_offset = atoi(&v),
            _ => unreachable!("every option in LONG is handled"),
        }
    }
    if o.hosts.is_empty() {
        return Parsed::Exit {
            stdout: format!("check_ntp_time: Hostname was not supplied\n{USAGE}"),
            stderr: String::new(),
        };
    }
    Parsed::Run(o)
}

/// Entry point when the binary is invoked as `check_ntp_time`.
pub fn check_ntp_time_personality(args: impl Iterator<Item = OsString>) -> ExitCode {
    let args: Vec<String> = args.map(|a| a.to_string_lossy().into_owned()).collect();
    exit::finish(personality(&args))
}

fn personality(args: &[String]) -> anyhow::Result<Outcome> {
    let unknown = Outcome::Code(Status::Unknown.code());
    let o = match parse(args) {
        Parsed::Run(o) => o,
        Parsed::Exit { stdout, stderr } => {
            eprint!("{stderr}");
            output::print_text(&stdout)?;
            return Ok(unknown);
        }
    };
    let Some(port) = parse_port(&o.port) else {
        output::print_text(&format!(
            "error getting address for {}: Servname not supported for ai_socktype\n",
            o.hosts.last().map(String::as_str).unwrap_or_default()
        ))?;
        return Ok(unknown);
    };
    let (warning, critical) = match (legacy_range(&o.warning), legacy_range(&o.critical)) {
        (Ok(w), Ok(c)) => (w, c),
        _ => {
            output::print_text("Range format incorrect")?;
            return Ok(unknown);
        }
    };
    let specs = o
        .hosts
        .iter()
        .map(|h| ServerSpec {
            host: h.clone(),
            port,
            text: h.clone(),
        })
        .collect();
    // check_ntp_time stops sampling after half its timeout; -t 0 or less behaves like -t 1.
    let window = Duration::from_millis(o.timeout.clamp(1, 86_400) as u64 * 500);
    let cfg = CheckConfig {
        specs,
        family: o.family,
        samples: 4,
        interval: Duration::ZERO,
        timeout: window,
        max_root_distance_seconds: 1.5,
        policy: Policy {
            offset: Thresholds { warning, critical },
            expect_offset_seconds: -(o.time_offset as f64),
            ..Policy::default()
        },
    };
    let report = execute(&cfg, window);
    if report.summaries.is_empty()
        && let Some(f) = report.resolve_failures.first()
    {
        output::print_text(&format!(
            "check_ntp_time: Invalid hostname/address - {}\n{USAGE}",
            f.host
        ))?;
        return Ok(unknown);
    }
    let opts = CompatOptions {
        thresholds: cfg.policy.offset.clone(),
        quiet: o.quiet,
    };
    let (mut text, status) = render::compat_line(&report, &opts);
    if o.verbose > 0 {
        // Details go after the result line so that the first line stays compatible.
        let details = render::nagios(&report, &cfg.policy, true);
        for line in details.render().lines().skip(1) {
            text.push_str(line);
            text.push('\n');
        }
    }
    output::print_text(&text)?;
    Ok(Outcome::Code(status.code()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Parsed {
        parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn getopt_forms() {
        let Parsed::Run(o) = run(&[
            "-H127.0.0.1",
            "-p",
            "11123",
            "-w0.5",
            "--critical=1.0",
            "-vv",
            "-4q",
            "--time-o",
            "1",
        ]) else {
            panic!()
        };
        assert_eq!(o.hosts, ["127.0.0.1"]);
        assert_eq!(
            (o.port.as_str(), o.warning.as_str(), o.critical.as_str()),
            ("11123", "0.5", "1.0")
        );
        assert_eq!(
            (o.verbose, o.quiet, o.family, o.time_offset),
            (2, true, Family::V4, 1)
        );
        let Parsed::Run(o) = run(&["--hostname", "a", "-H", "b", "-t", "3x", "operand"]) else {
            panic!()
        };
        assert_eq!((o.hosts.len(), o.timeout), (2, 3));
    }

    #[test]
    fn errors_match_check_ntp_time() {
        assert_eq!(
            run(&["-H", "x", "-x"]),
            Parsed::Exit {
                stdout: USAGE.into(),
                stderr: "check_ntp_time: invalid option -- 'x'\n".into()
            }
        );
        let Parsed::Exit { stdout, .. } = run(&["-p", "1"]) else {
            panic!()
        };
        assert_eq!(
            stdout,
            format!("check_ntp_time: Hostname was not supplied\n{USAGE}")
        );
        assert!(matches!(run(&["-H"]), Parsed::Exit { .. }));
        assert!(matches!(
            run(&["--ho", "x", "--bogus"]),
            Parsed::Exit { .. }
        ));
        assert!(matches!(run(&["-h"]), Parsed::Exit { .. }));
        assert!(matches!(
            run(&["--verbose=1", "-H", "x"]),
            Parsed::Exit { .. }
        ));
    }

    #[test]
    fn atoi_like_c() {
        assert_eq!(atoi("10"), 10);
        assert_eq!(atoi(" -3s"), -3);
        assert_eq!(atoi("abc"), 0);
        assert_eq!(atoi(""), 0);
    }
}
