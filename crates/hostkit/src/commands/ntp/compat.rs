//! The `check_ntp_time` personality: when hostkit runs under that name (a symlink), it parses
//! the monitoring-plugins 2.3 option set with getopt_long rules (bundled short options,
//! `-Hhost`, `--opt=value`, unique long prefixes, permuted operands) and prints that plugin's
//! first line byte for byte, its usage errors included; `--extra-opts` ini sections are read
//! first, as the plugin does. Options are acted on in order, as getopt returns them (`-H` is
//! validated by the resolver when it is seen). Measurement is hostkit's (`compat_run.rs`):
//! parallel, validated, minimum-delay of 4 samples, refused ports reported at once.

use std::ffi::OsString;
use std::time::Duration;

use hostkit_nagios::Status;
use hostkit_nagios::extra_opts::{self, ExtraOptsError};
use hostkit_ntp::server::{Family, NTP_PORT, ServerSpec, parse_port};

use super::compat_run::{self, Printed, Request, USAGE};
use crate::exit::{self, ExitCode, Outcome};
use crate::output;

/// The plugin name: the default `--extra-opts` section.
const PLUGIN: &str = "check_ntp_time";

const HELP: &str = "check_ntp_time (hostkit drop-in for monitoring-plugins 2.3)

This plugin checks the clock offset with the ntp server

Usage:
 check_ntp_time -H <host> [-4|-6] [-w <warn>] [-c <crit>] [-v verbose] [-o <time offset>]

Options:
 -h, --help            Print this help (exit 3)
 -V, --version         Print version information (exit 3)
 --extra-opts=[section][@file]
                       Read options from an ini file section (default section: check_ntp_time;
                       default file: $MP_CONFIG_FILE, then monitoring-plugins.ini, plugins.ini or
                       nagios-plugins.ini in $NAGIOS_CONFIG_PATH, then /etc/monitoring-plugins.ini,
                       /etc/nagios/plugins.ini and the other standard locations)
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

The result line is byte-compatible with check_ntp_time 2.3: -w/-c are read by its lenient
range parser (C strtod: `inf`, `nan`, `1e999`, `0x1p3`, `abc` = 0), -H is resolved before -t
starts, and a reachable server's offset is reported whatever its root distance (hostkit ntp
check refuses a root distance above --max-root-distance, 1.5 s; -v shows it). Differences by
design: every address is queried in parallel, replies are validated (origin cookie, mode,
version), the minimum-delay of 4 samples is used instead of their mean, and unsynchronised
servers (leap 3, stratum 0 or 16) and kiss-o'-death replies give \"Offset unknown\".
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

impl Default for Options {
    fn default() -> Options {
        Options {
            hosts: Vec::new(),
            port: NTP_PORT.to_string(),
            warning: "60".into(),
            critical: "120".into(),
            time_offset: 0,
            timeout: 10,
            family: Family::Any,
            verbose: 0,
            quiet: false,
        }
    }
}

/// What getopt returns, in order: an option (with its value) or an error that ends parsing.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Opt(char, Option<String>),
    /// Print `stdout` (and `stderr`) and exit 3.
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

fn bad_option(stderr: String) -> Item {
    Item::Exit {
        stdout: USAGE.into(),
        stderr,
    }
}

/// getopt_long over `args`: bundled short options, `-Hhost`, `--opt=value`, unique long
/// prefixes, operands skipped. Parsing stops at the first error, which is the last item.
fn getopt(args: &[String]) -> Vec<Item> {
    let mut items = Vec::new();
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
                items.push(bad_option(format!("{PLUGIN}: option '--{name}' {why}\n")));
                return items;
            };
            let value = match (takes, inline) {
                (true, Some(v)) => Some(v),
                (true, None) if i < args.len() => {
                    i += 1;
                    Some(args[i - 1].clone())
                }
                (true, None) => {
                    items.push(bad_option(format!(
                        "{PLUGIN}: option '--{lname}' requires an argument\n"
                    )));
                    return items;
                }
                (false, Some(_)) => {
                    items.push(bad_option(format!(
                        "{PLUGIN}: option '--{lname}' doesn't allow an argument\n"
                    )));
                    return items;
                }
                (false, None) => None,
            };
            items.push(Item::Opt(c, value));
        } else if arg.len() > 1 && arg.starts_with('-') {
            let chars: Vec<char> = arg[1..].chars().collect();
            let mut k = 0;
            while k < chars.len() {
                let c = chars[k];
                k += 1;
                match short_takes_value(c) {
                    None => {
                        items.push(bad_option(format!("{PLUGIN}: invalid option -- '{c}'\n")));
                        return items;
                    }
                    Some(false) => items.push(Item::Opt(c, None)),
                    Some(true) => {
                        let rest: String = chars[k..].iter().collect();
                        let value = if !rest.is_empty() {
                            rest
                        } else if i < args.len() {
                            i += 1;
                            args[i - 1].clone()
                        } else {
                            items.push(bad_option(format!(
                                "{PLUGIN}: option requires an argument -- '{c}'\n"
                            )));
                            return items;
                        };
                        items.push(Item::Opt(c, Some(value)));
                        break;
                    }
                }
            }
        }
        // Operands are ignored, as check_ntp_time does.
    }
    items
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

/// Acts on the options in order, as check_ntp_time's `process_arguments` does: `-h`/`-V`
/// exit at once, `-H` must pass `validate` (the resolver) when it is seen.
fn process(
    items: Vec<Item>,
    mut validate: impl FnMut(&str, Family) -> Result<(), hostkit_ntp::sys::resolve::ResolveError>,
) -> Parsed {
    let mut o = Options::default();
    for item in items {
        let (c, value) = match item {
            Item::Opt(c, value) => (c, value),
            Item::Exit { stdout, stderr } => return Parsed::Exit { stdout, stderr },
        };
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
            'H' => {
                if let Err(e) = validate(&v, o.family) {
                    let p = compat_run::invalid_host(&v, &e, o.verbose > 0);
                    return Parsed::Exit {
                        stdout: p.stdout,
                        stderr: String::new(),
                    };
                }
                o.hosts.push(v);
            }
            'p' => o.port = v,
            'o' => o.time_offset = atoi(&v),
            _ => unreachable!("every option in LONG is handled"),
        }
    }
    if o.hosts.is_empty() {
        return Parsed::Exit {
            stdout: format!("{PLUGIN}: Hostname was not supplied\n{USAGE}"),
            stderr: String::new(),
        };
    }
    Parsed::Run(o)
}

/// Reads one `--extra-opts` locator's options from its ini file.
fn load_section(locator: Option<&str>) -> Result<Vec<String>, ExtraOptsError> {
    let loc = extra_opts::parse_locator(locator, PLUGIN);
    let path = match loc.file {
        Some(f) => f,
        None => extra_opts::default_file(
            std::env::var("MP_CONFIG_FILE").ok().as_deref(),
            std::env::var("NAGIOS_CONFIG_PATH").ok().as_deref(),
            |f| std::path::Path::new(f).exists(),
        )
        .unwrap_or_default(),
    };
    if path.is_empty() {
        return Err(ExtraOptsError::NoFile);
    }
    let text = if path == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map(|_| buf)
    } else {
        std::fs::read(&path)
    }
    .map_err(|e| ExtraOptsError::Unreadable {
        path: path.clone(),
        reason: strerror(&e),
    })?;
    extra_opts::read_section(&text, &loc.section)?.ok_or(ExtraOptsError::InvalidSection {
        section: loc.section,
        path,
    })
}

/// C `strerror(errno)` for an IO error (Rust appends ` (os error N)`; C does not).
fn strerror(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        // SAFETY: strerror returns a pointer to a NUL-terminated string valid until the next
        // call; we copy it at once on this thread.
        Some(code) => unsafe { std::ffi::CStr::from_ptr(libc::strerror(code)) }
            .to_string_lossy()
            .into_owned(),
        None => e.to_string(),
    }
}

/// The command line after `--extra-opts` expansion: each section's options, then the rest.
fn expand_extra_opts(args: &[String]) -> Result<Vec<String>, ExtraOptsError> {
    let (rest, locators) = extra_opts::split_args(args);
    let mut argv = Vec::new();
    for locator in &locators {
        argv.extend(load_section(locator.as_deref())?);
    }
    argv.extend(rest);
    Ok(argv)
}

/// Entry point when the binary is invoked as `check_ntp_time`.
pub fn check_ntp_time_personality(args: impl Iterator<Item = OsString>) -> ExitCode {
    let args: Vec<String> = args.map(|a| a.to_string_lossy().into_owned()).collect();
    exit::finish(personality(&args))
}

fn print(p: &Printed) -> anyhow::Result<Outcome> {
    output::print_text(&p.stdout)?;
    Ok(Outcome::Code(p.status.code()))
}

fn personality(args: &[String]) -> anyhow::Result<Outcome> {
    let argv = match expand_extra_opts(args) {
        Ok(argv) => argv,
        Err(e) => {
            return print(&Printed {
                stdout: e.to_string(),
                status: Status::Unknown,
            });
        }
    };
    let o = match process(getopt(&argv), compat_run::validate_host) {
        Parsed::Run(o) => o,
        Parsed::Exit { stdout, stderr } => {
            eprint!("{stderr}");
            return print(&Printed {
                stdout,
                status: Status::Unknown,
            });
        }
    };
    let req = Request {
        specs: Vec::new(),
        family: o.family,
        warning: o.warning.clone(),
        critical: o.critical.clone(),
        timeout_seconds: o.timeout as f64,
        timeout_text: o.timeout.to_string(),
        expect_offset_seconds: -(o.time_offset as f64),
        samples: 4,
        interval: Duration::ZERO,
        quiet: o.quiet,
        verbose: o.verbose > 0,
    };
    let thresholds = match compat_run::thresholds(&req) {
        Ok(t) => t,
        Err(p) => return print(&p),
    };
    // The port goes to getaddrinfo after the ranges are parsed.
    let Some(port) = parse_port(&o.port) else {
        return print(&Printed {
            stdout: format!(
                "error getting address for {}: Servname not supported for ai_socktype\n",
                o.hosts.last().map(String::as_str).unwrap_or_default()
            ),
            status: Status::Unknown,
        });
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
    print(&compat_run::measure(&Request { specs, ..req }, thresholds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    fn run(args: &[&str]) -> Parsed {
        process(getopt(&argv(args)), |_, _| Ok(()))
    }

    #[test]
    fn options_act_in_order_and_hosts_are_validated_when_seen() {
        use hostkit_ntp::sys::resolve::ResolveError;
        let timeout = |_: &str, _: Family| {
            Err(ResolveError::ResolverTimeout {
                message: "Temporary failure in name resolution".into(),
            })
        };
        let Parsed::Exit { stdout, .. } = process(getopt(&argv(&["-H", "slow", "-x"])), timeout)
        else {
            panic!()
        };
        assert_eq!(
            stdout,
            format!("check_ntp_time: Invalid hostname/address - slow\n{USAGE}")
        );
        let Parsed::Exit { stderr, .. } = process(getopt(&argv(&["-x", "-H", "slow"])), timeout)
        else {
            panic!()
        };
        assert!(stderr.contains("invalid option -- 'x'"), "{stderr}");
        // With -v (seen before -H) the real reason follows the plugin's lines.
        let Parsed::Exit { stdout, .. } = process(getopt(&argv(&["-v", "-H", "slow"])), timeout)
        else {
            panic!()
        };
        assert!(
            stdout.ends_with("hostkit: cannot resolve `slow`: the resolver did not answer (Temporary failure in name resolution, EAI_AGAIN); the name may exist\n"),
            "{stdout}"
        );
        // The family in force when -H is seen is the one validated.
        let mut seen = Vec::new();
        process(getopt(&argv(&["-H", "a", "-4", "-H", "b"])), |h, f| {
            seen.push((h.to_string(), f));
            Ok(())
        });
        assert_eq!(seen, [("a".into(), Family::Any), ("b".into(), Family::V4)]);
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
