//! `hostkit ntp check`, its `check_ntp_time` personality and `ntp drift`, against a real
//! chronyd started by the test, the in-test responder for misbehaving servers, and Debian's
//! check_ntp_time (monitoring-plugins 2.3) as the oracle for the compatible line.

use std::path::{Path, PathBuf};

use hostkit_testkit::chronyd::{Chronyd, ChronydOptions};
use hostkit_testkit::cli::{Run, run};
use hostkit_testkit::ntp_responder::{Behaviour, Responder, refused_port};

pub(crate) const ORACLE: &str = "/usr/lib/nagios/plugins/check_ntp_time";

pub(crate) fn check(args: &[&str]) -> Run {
    let mut all = vec!["ntp", "check"];
    all.extend_from_slice(args);
    run(&crate::bin(), all)
}

/// A `check_ntp_time` symlink to the hostkit binary, in a temp dir that lives as long as it.
pub(crate) struct Symlink {
    _dir: tempfile::TempDir,
    pub(crate) path: PathBuf,
}

pub(crate) fn symlink() -> Symlink {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("check_ntp_time");
    std::os::unix::fs::symlink(crate::bin(), &path).unwrap();
    Symlink { _dir: dir, path }
}

pub(crate) fn oracle(args: &[&str]) -> Run {
    assert!(
        Path::new(ORACLE).exists(),
        "{ORACLE} missing: run scripts/install-deps"
    );
    run(Path::new(ORACLE), args)
}

/// The line with every number replaced by `N`: the "shape" two plugins must share.
pub(crate) fn shape(line: &str) -> String {
    let re = regex::Regex::new(r"-?\d+(\.\d+)?(e[-+]\d+)?").unwrap();
    re.replace_all(line, "N").into_owned()
}

/// The offset in a check_ntp_time line (`Offset X secs`).
fn compat_offset(line: &str) -> f64 {
    let re = regex::Regex::new(r"Offset (\S+) secs").unwrap();
    re.captures(line)
        .unwrap_or_else(|| panic!("no offset in {line:?}"))[1]
        .parse()
        .unwrap()
}

fn slow_responder() -> Responder {
    Responder::start(Behaviour::Clock {
        shift_seconds: -0.75,
        stratum: 2,
        leap: 0,
    })
}

#[test]
fn chronyd_on_both_loopbacks_is_ok() {
    let c = Chronyd::start();
    let v6 = hostkit_testkit::chronyd::ipv6_loopback();
    if !v6 {
        eprintln!("note: no IPv6 loopback here; querying 127.0.0.1 twice instead of ::1");
    }
    let second = if v6 { c.v6() } else { c.v4() };
    let r = check(&["-H", &c.v4(), "-H", &second, "-w", "0.5", "-c", "1"]);
    assert_eq!(r.code, Some(0), "{r:?}\n{}", c.log());
    let first = r.stdout.lines().next().unwrap();
    assert!(first.starts_with("NTP OK: offset "), "{first}");
    assert!(first.contains("stratum 8"), "{first}");
    assert!(first.contains("|offset="), "{first}");
    for p in [
        "delay=",
        "jitter=",
        "root_distance=",
        "stratum=8;",
        "samples=1;",
    ] {
        assert!(first.contains(p), "`{p}` missing: {first}");
    }
    assert_eq!(
        r.stdout
            .lines()
            .filter(|l| l.contains(": ok, offset"))
            .count(),
        2,
        "{}",
        r.stdout
    );
    // A name goes through the resolver thread; every address it yields is queried.
    let name = format!("localhost:{}", c.port);
    let r = check(&["-H", &name]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains(&format!("({name})")), "{}", r.stdout);
    // -6 leaves no address for an IPv4 literal: nothing to query is CRITICAL, not UNKNOWN.
    let r = check(&["-6", "-H", &c.v4()]);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(r.stdout.contains("no IPv6 address"), "{}", r.stdout);
    let j = check(&[
        "-H",
        &c.v4(),
        "-n",
        "3",
        "--interval",
        "0",
        "--format",
        "json",
    ])
    .json();
    assert_eq!(j["status"], "OK");
    assert_eq!(j["servers"][0]["received"], 3);
    assert!(j["offset_seconds"].as_f64().unwrap().abs() < 0.01, "{j}");
    assert!(j["servers"][0]["jitter_seconds"].is_number());
    assert_eq!(j["schema_version"], 1);
    assert_eq!(j["command"], "ntp check");
    crate::docs::assert_documented("ntp.md", &j);
}

#[test]
fn prometheus_output() {
    let c = Chronyd::start();
    let r = check(&["-H", &c.v4(), "--format", "prometheus"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let want = format!(
        "hostkit_ntp_up{{host=\"{}\",address=\"{}\"}} 1",
        c.v4(),
        c.v4()
    );
    assert!(r.stdout.contains(&want), "{}", r.stdout);
    assert!(r.stdout.contains("hostkit_ntp_stratum{"), "{}", r.stdout);
    assert!(r.stdout.contains("hostkit_ntp_status 0"), "{}", r.stdout);
    // --output writes the same exposition atomically for node_exporter's textfile collector.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ntp.prom");
    let r = check(&[
        "-H",
        &c.v4(),
        "--format",
        "prometheus",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert_eq!((r.code, r.stdout.as_str()), (Some(0), ""), "{r:?}");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains(&want), "{written}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp file left behind"
    );
}

#[test]
fn slow_server_is_a_warning_within_a_millisecond() {
    let s = slow_responder();
    let addr = s.addr.to_string();
    let args = [
        "-H",
        &addr,
        "-w",
        "0.5",
        "-c",
        "1.0",
        "-n",
        "4",
        "--interval",
        "0",
    ];
    let r = check(&args);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(
        r.stdout.starts_with("NTP WARNING: offset -0.7"),
        "{}",
        r.stdout
    );
    let j = check(&[&args[..], &["--format", "json"]].concat()).json();
    let offset = j["offset_seconds"].as_f64().unwrap();
    assert!((offset + 0.75).abs() < 0.001, "offset {offset}");
    assert_eq!(j["exit_code"], 1);
    // A known offset can be expected away, and signed thresholds see the sign.
    let r = check(&["-H", &addr, "-w", "0.5", "-c", "1.0", "-o", "-0.75"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let r = check(&[
        "-H",
        &addr,
        "--signed-thresholds",
        "-w",
        "-1:0.1",
        "-c",
        "-2:2",
    ]);
    assert_eq!(r.code, Some(0), "{r:?}");
}

#[test]
fn misbehaving_servers_are_reported_as_what_they_are() {
    let cases: &[(Behaviour, &str)] = &[
        (
            Behaviour::Clock {
                shift_seconds: 0.3,
                stratum: 2,
                leap: 3,
            },
            "unsynchronised: leap indicator 3",
        ),
        (
            Behaviour::Clock {
                shift_seconds: 0.3,
                stratum: 16,
                leap: 0,
            },
            "unsynchronised: stratum 16",
        ),
        (Behaviour::Kiss(*b"RATE"), "kiss-o'-death RATE"),
        (Behaviour::Kiss(*b"DENY"), "kiss-o'-death DENY"),
        (
            Behaviour::WrongOrigin,
            "invalid reply: origin does not match",
        ),
        (Behaviour::Mode(3), "invalid reply: not a server-mode reply"),
        (Behaviour::Truncated(40), "invalid reply: truncated packet"),
        (Behaviour::Silent, "no response"),
    ];
    for (behaviour, want) in cases {
        let s = Responder::start(*behaviour);
        let r = check(&[
            "-H",
            &s.addr.to_string(),
            "-t",
            "0.6",
            "-w",
            "0.5",
            "-c",
            "1",
        ]);
        assert_eq!(r.code, Some(2), "{behaviour:?}: {r:?}");
        let first = r.stdout.lines().next().unwrap();
        assert!(
            first.starts_with("NTP CRITICAL: "),
            "{behaviour:?}: {first}"
        );
        assert!(
            first.contains(want),
            "{behaviour:?}: want `{want}` in {first}"
        );
        assert!(
            first.contains("|offset=U;"),
            "no offset may be reported: {first}"
        );
    }
}

#[test]
fn kiss_rate_stops_further_queries() {
    let s = Responder::start(Behaviour::Kiss(*b"RATE"));
    let r = check(&["-H", &s.addr.to_string(), "-n", "4", "--interval", "0"]);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert_eq!(s.requests(), 1, "a RATE kiss must stop the address");
}

#[test]
fn silence_is_unknown_when_asked() {
    let s = Responder::start(Behaviour::Silent);
    let r = check(&[
        "-H",
        &s.addr.to_string(),
        "-t",
        "0.3",
        "--unreachable",
        "unknown",
    ]);
    assert_eq!(r.code, Some(3), "{r:?}");
    assert!(r.stdout.starts_with("NTP UNKNOWN: "), "{}", r.stdout);
}

#[test]
fn refused_port_is_critical_and_a_dead_address_does_not_spoil_a_good_one() {
    let port = refused_port().to_string();
    let refused = format!("127.0.0.1:{port}");
    let r = check(&["-H", &refused]);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(r.stdout.starts_with("NTP CRITICAL: "), "{}", r.stdout);
    assert!(r.stdout.contains("port unreachable"), "{}", r.stdout);
    let c = Chronyd::start();
    let r = check(&["-H", &refused, "-H", &c.v4()]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("(1 of 2 unusable)"), "{}", r.stdout);
    let link = symlink();
    let r = run(&link.path, ["-H", "127.0.0.1", "-p", &port]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (Some(2), "NTP CRITICAL: No response from NTP server\n")
    );
}

#[test]
fn unsynchronised_chronyd_is_critical() {
    let c = Chronyd::start_with(&ChronydOptions {
        local_stratum: None,
        extra: vec![],
    });
    let r = check(&["-H", &c.v4()]);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(
        r.stdout.contains("unsynchronised: leap indicator 3"),
        "{}",
        r.stdout
    );
    // The oracle agrees byte for byte.
    let port = c.port.to_string();
    let link = symlink();
    let ours = run(&link.path, ["-H", "127.0.0.1", "-p", &port]);
    let theirs = oracle(&["-H", "127.0.0.1", "-p", &port]);
    assert_eq!((ours.code, &ours.stdout), (theirs.code, &theirs.stdout));
    assert_eq!(ours.stdout, "NTP CRITICAL: Offset unknown|\n");
    let quiet = run(&link.path, ["-H", "127.0.0.1", "-p", &port, "-q"]);
    let quiet_oracle = oracle(&["-H", "127.0.0.1", "-p", &port, "-q"]);
    assert_eq!(
        (quiet.code, &quiet.stdout),
        (quiet_oracle.code, &quiet_oracle.stdout)
    );
}

#[test]
fn compat_line_matches_check_ntp_time_on_chronyd() {
    let c = Chronyd::start();
    let port = c.port.to_string();
    let link = symlink();
    let v6_host = if hostkit_testkit::chronyd::ipv6_loopback() {
        "::1"
    } else {
        "127.0.0.1"
    };
    for args in [
        vec!["-H", "127.0.0.1", "-p", &port, "-w", "0.5", "-c", "1.0"],
        vec!["-H", v6_host, "-p", &port],
        vec!["-H", "127.0.0.1", "-p", &port, "-w", "0.5:", "-c", "1"],
        vec!["-H", "127.0.0.1", "-p", &port, "-w", "@0:0.5"],
        vec!["-H", "127.0.0.1", "-p", &port, "-w", ""],
    ] {
        let ours = run(&link.path, &args);
        let theirs = oracle(&args);
        assert_eq!(
            ours.code, theirs.code,
            "{args:?}\nours {ours:?}\ntheirs {theirs:?}"
        );
        assert_eq!(shape(&ours.stdout), shape(&theirs.stdout), "{args:?}");
        assert!(ours.stdout.ends_with(";\n"));
    }
    let via_flag = check(&[
        "-H",
        &c.v4(),
        "-w",
        "0.5",
        "-c",
        "1.0",
        "--compat",
        "check_ntp_time",
    ]);
    let theirs = oracle(&["-H", "127.0.0.1", "-p", &port, "-w", "0.5", "-c", "1.0"]);
    assert_eq!(via_flag.code, theirs.code);
    assert_eq!(shape(&via_flag.stdout), shape(&theirs.stdout));
}

#[test]
fn compat_line_matches_check_ntp_time_on_a_slow_server() {
    let s = slow_responder();
    let port = s.addr.port().to_string();
    let link = symlink();
    let args = ["-H", "127.0.0.1", "-p", &port, "-w", "0.5", "-c", "1.0"];
    let ours = run(&link.path, args);
    let theirs = oracle(&args);
    assert_eq!(
        (ours.code, theirs.code),
        (Some(1), Some(1)),
        "{ours:?} {theirs:?}"
    );
    assert_eq!(shape(&ours.stdout), shape(&theirs.stdout));
    assert!(
        ours.stdout.starts_with("NTP WARNING: Offset -0.7"),
        "{}",
        ours.stdout
    );
    assert!(
        (compat_offset(&ours.stdout) + 0.75).abs() < 0.001,
        "{}",
        ours.stdout
    );
    assert!((compat_offset(&ours.stdout) - compat_offset(&theirs.stdout)).abs() < 0.005);
    // -o adds whole seconds, as in check_ntp_time.
    let ours = run(&link.path, ["-H", "127.0.0.1", "-p", &port, "-o", "1"]);
    assert!(
        (compat_offset(&ours.stdout) - 0.25).abs() < 0.001,
        "{}",
        ours.stdout
    );
}

#[test]
fn bad_options_are_unknown_on_stdout() {
    for args in [
        vec![],
        vec!["--bogus"],
        vec!["-H", "127.0.0.1", "-w", "abc"],
        vec!["-H", "127.0.0.1", "-w", "10:5"],
        vec!["-H", "127.0.0.1:99999"],
        vec!["-H", "127.0.0.1", "-t", "-1"],
        vec!["-H", "127.0.0.1", "-n", "0"],
        vec!["-H", "127.0.0.1", "--format", "xml"],
    ] {
        let r = check(&args);
        assert_eq!(r.code, Some(3), "{args:?}: {r:?}");
        assert!(r.stdout.starts_with("NTP UNKNOWN: "), "{args:?}: {r:?}");
    }
    let r = check(&["-H", "127.0.0.1", "-w", "10:5"]);
    assert!(
        r.stdout.contains("`10:5`") && r.stdout.contains("\nhint: "),
        "{}",
        r.stdout
    );
}

#[test]
fn personality_usage_errors_match_check_ntp_time() {
    let link = symlink();
    for args in [
        vec!["-H", "127.0.0.1", "-x"],
        vec!["-p", "123"],
        vec!["-H", "127.0.0.1", "-w", "10:5"],
        vec!["-H", "127.0.0.1", "-c", "-1"],
        vec!["-H", "127.0.0.1", "-p", "abc"],
    ] {
        let ours = run(&link.path, &args);
        let theirs = oracle(&args);
        assert_eq!(ours.code, Some(3), "{args:?}: {ours:?}");
        assert_eq!(
            (ours.code, &ours.stdout),
            (theirs.code, &theirs.stdout),
            "{args:?}"
        );
    }
    let r = run(&link.path, ["-h"]);
    assert_eq!(r.code, Some(3));
    assert!(
        r.stdout.contains("check_ntp_time -H <host>"),
        "{}",
        r.stdout
    );
}

#[test]
fn drift_files() {
    let dir = tempfile::tempdir().unwrap();
    let ntpd = dir.path().join("ntp.drift");
    std::fs::write(&ntpd, "-47.901\n").unwrap();
    let r = run(&crate::bin(), ["ntp", "drift", ntpd.to_str().unwrap()]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(
        r.stdout
            .contains("-47.901 ppm = -172.44 ms/hour = -4.139 s/day"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("gains 172.44 ms/hour"), "{}", r.stdout);
    assert!(
        r.stdout.contains("ntpd stores the frequency correction"),
        "{}",
        r.stdout
    );
    let chrony = dir.path().join("chrony.drift");
    std::fs::write(&chrony, "           -0.008849             0.308377\n").unwrap();
    let j = run(
        &crate::bin(),
        ["ntp", "drift", chrony.to_str().unwrap(), "--format", "json"],
    )
    .json();
    assert_eq!(j["kind"], "chrony");
    assert_eq!(j["skew_ppm"], 0.308377);
    let r = run(
        &crate::bin(),
        ["ntp", "drift", "--kind", "chrony", ntpd.to_str().unwrap()],
    );
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(
        r.stderr.contains("expected two numbers") && r.stderr.contains("hint: "),
        "{}",
        r.stderr
    );
    std::fs::write(&ntpd, "-500.000\n").unwrap();
    let r = run(&crate::bin(), ["ntp", "drift", ntpd.to_str().unwrap()]);
    assert_eq!(
        r.code,
        Some(1),
        "pinned at the kernel limit is a negative verdict: {r:?}"
    );
    assert!(r.stderr.contains("±500 ppm limit"), "{}", r.stderr);
    std::fs::write(&ntpd, "garbage\n").unwrap();
    let r = run(&crate::bin(), ["ntp", "drift", ntpd.to_str().unwrap()]);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(
        r.stderr.contains("`garbage` is not a number"),
        "{}",
        r.stderr
    );
}
