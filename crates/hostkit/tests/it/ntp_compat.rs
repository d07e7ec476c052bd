//! The four `check_ntp_time` drop-in gaps of issue 12, each with the real plugin
//! (monitoring-plugins 2.3, /usr/lib/nagios/plugins/check_ntp_time) as the oracle: servers with
//! a large root distance (testkit responder), a resolver that answers late or never (testkit
//! DNS responder behind a bind-mounted resolv.conf in a private mount namespace, so glibc's
//! real stub resolver is exercised), `--extra-opts` ini files, and C `strtod` number forms.

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use hostkit_testkit::cli::{Run, run};
use hostkit_testkit::dns_responder::{Answer, DnsResponder};
use hostkit_testkit::ntp_responder::{Behaviour, Responder};

use crate::ntp::{ORACLE, check, oracle, shape, symlink};

/// Exit code and the line with numbers masked must be equal.
fn assert_same(ours: &Run, theirs: &Run, case: &str) {
    assert_eq!(
        (ours.code, shape(&ours.stdout)),
        (theirs.code, shape(&theirs.stdout)),
        "{case}\nours   {ours:?}\ntheirs {theirs:?}"
    );
}

fn root(delay_seconds: f64, dispersion_seconds: f64) -> Responder {
    Responder::start(Behaviour::Root {
        delay_seconds,
        dispersion_seconds,
    })
}

#[test]
fn any_root_distance_is_reported_like_check_ntp_time() {
    let link = symlink();
    // Root dispersion 2 s, root delay 4 s, and a w32time-like dispersion of 10.25 s.
    for (delay, dispersion) in [(0.0, 2.0), (4.0, 0.0), (0.0, 10.25)] {
        let r = root(delay, dispersion);
        let port = r.addr.port().to_string();
        for extra in [&[][..], &["-q"][..]] {
            let mut args = vec!["-H", "127.0.0.1", "-p", &port, "-w", "0.5", "-c", "1"];
            args.extend_from_slice(extra);
            let ours = run(&link.path, &args);
            let theirs = oracle(&args);
            assert_same(
                &ours,
                &theirs,
                &format!("root {delay}/{dispersion} {extra:?}"),
            );
            assert!(
                ours.stdout.starts_with("NTP OK: Offset "),
                "{}",
                ours.stdout
            );
        }
        // -v keeps hostkit's detail: the root distance is shown.
        let verbose = run(&link.path, ["-H", "127.0.0.1", "-p", &port, "-v"]);
        assert!(
            verbose.stdout.contains(" root distance "),
            "{}",
            verbose.stdout
        );
        // --compat on the native command line behaves the same.
        let host = format!("127.0.0.1:{port}");
        let flag = check(&["-H", &host, "--compat", "check_ntp_time"]);
        assert_eq!(flag.code, Some(0), "{flag:?}");
        // Native mode refuses, naming the rule and the measured value.
        let native = check(&["-H", &host]);
        assert_eq!(native.code, Some(2), "{native:?}");
        let want = format!("root distance {}", delay / 2.0 + dispersion);
        assert!(
            native.stdout.contains(&want)
                && native.stdout.contains(" s > 1.5 s (--max-root-distance)"),
            "{want}: {}",
            native.stdout
        );
        let raised = check(&["-H", &host, "--max-root-distance", "11"]);
        assert_eq!(raised.code, Some(0), "{raised:?}");
    }
}

/// Runs `program args` with /etc/resolv.conf pointing at `dns` (private mount namespace).
fn with_resolver(dns: &DnsResponder, program: &Path, args: &[&str]) -> Run {
    dns.command(program)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("unshare")
        .into()
}

const SLOW: &str = "slow.hostkit.test";

#[test]
fn a_late_resolver_does_not_eat_the_query_budget() {
    let ntp = Responder::start(Behaviour::GOOD);
    let port = ntp.addr.port().to_string();
    let link = symlink();
    // Answers after 0.8 s: the plugin resolves before its -t 1 alarm, then again inside it.
    let dns = DnsResponder::start(
        &[(SLOW, Ipv4Addr::LOCALHOST)],
        Answer::After(Duration::from_millis(800)),
        "timeout:3 attempts:1",
    );
    let args = ["-H", SLOW, "-p", &port, "-t", "1", "-w", "0.5", "-c", "1"];
    let ours = with_resolver(&dns, &link.path, &args);
    let theirs = with_resolver(&dns, Path::new(ORACLE), &args);
    assert_same(&ours, &theirs, "resolver answers after 0.8 s, -t 1");
    assert_eq!(ours.code, Some(0), "{ours:?}");
    assert!(dns.queries() >= 4, "both went through the DNS responder");
    // Answers after 1.2 s: the second lookup outlasts the -t 1 alarm in both.
    let late = DnsResponder::start(
        &[(SLOW, Ipv4Addr::LOCALHOST)],
        Answer::After(Duration::from_millis(1200)),
        "timeout:3 attempts:1",
    );
    let ours = with_resolver(&late, &link.path, &args);
    let theirs = with_resolver(&late, Path::new(ORACLE), &args);
    assert_eq!(
        (&ours.code, &ours.stdout),
        (&theirs.code, &theirs.stdout),
        "1.2 s"
    );
    assert_eq!(ours.stdout, "CRITICAL - Socket timeout after 1 seconds\n");
}

#[test]
fn a_resolver_timeout_is_reported_as_one() {
    let link = symlink();
    let dns = DnsResponder::start(
        &[(SLOW, Ipv4Addr::LOCALHOST)],
        Answer::Never,
        "timeout:1 attempts:1",
    );
    // check_ntp_time says "Invalid hostname/address" for any lookup failure; so do we...
    let args = ["-H", SLOW, "-t", "5"];
    let ours = with_resolver(&dns, &link.path, &args);
    let theirs = with_resolver(&dns, Path::new(ORACLE), &args);
    assert_eq!((&ours.code, &ours.stdout), (&theirs.code, &theirs.stdout));
    assert!(
        ours.stdout
            .starts_with("check_ntp_time: Invalid hostname/address - slow")
    );
    // ...and -v tells what it was.
    let verbose = with_resolver(&dns, &link.path, &["-v", "-H", SLOW]);
    assert!(
        verbose.stdout.contains("the resolver did not answer")
            && verbose.stdout.contains("EAI_AGAIN"),
        "{}",
        verbose.stdout
    );
    // Native mode: glibc gave up (EAI_AGAIN) within our deadline...
    let native = with_resolver(
        &dns,
        &crate::bin(),
        &["ntp", "check", "-H", SLOW, "-t", "5"],
    );
    assert_eq!(native.code, Some(2), "{native:?}");
    assert!(
        native.stdout.contains("the resolver did not answer"),
        "{}",
        native.stdout
    );
    // ...or our deadline ran out first; neither is called a bad name.
    let native = with_resolver(
        &dns,
        &crate::bin(),
        &["ntp", "check", "-H", SLOW, "-t", "0.3"],
    );
    assert!(
        native.stdout.contains("name resolution timed out"),
        "{}",
        native.stdout
    );
    assert!(
        !native.stdout.contains("Invalid hostname"),
        "{}",
        native.stdout
    );
    // A name the resolver says does not exist is still "no such name".
    let nx = with_resolver(
        &DnsResponder::start(&[], Answer::After(Duration::ZERO), ""),
        &crate::bin(),
        &["ntp", "check", "-H", "nx.hostkit.test"],
    );
    assert!(nx.stdout.contains("no such name"), "{}", nx.stdout);
}

/// Environment variables for one case.
type Env<'a> = Vec<(&'a str, &'a str)>;

/// The plugin and the symlink with the same environment.
fn both(env: &[(&str, &str)], args: &[&str]) -> (Run, Run) {
    let link = symlink();
    let go = |p: &Path| -> Run {
        let mut c = Command::new(p);
        c.args(args)
            .env_remove("MP_CONFIG_FILE")
            .env_remove("NAGIOS_CONFIG_PATH");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap().into()
    };
    (go(&link.path), go(Path::new(ORACLE)))
}

#[test]
fn extra_opts_are_read_like_check_ntp_time() {
    let slow = Responder::start(Behaviour::Clock {
        shift_seconds: -0.75,
        stratum: 2,
        leap: 0,
    });
    let port = slow.addr.port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let ini = dir.path().join("plugins.ini");
    std::fs::write(
        &ini,
        format!(
            "; thresholds for the NTP checks\n[check_ntp_time]\nhostname = 127.0.0.1\nport={port}\n\
             warning = 0.5\ncritical=1\n\n[relaxed]\nhostname=127.0.0.1\nport = {port}\nwarning=10\n\
             critical=20\n[strict]\nw=0.1\n[broken]\nwarning\n[empty]\n"
        ),
    )
    .unwrap();
    let file = ini.to_str().unwrap();
    let dir_s = dir.path().to_str().unwrap();
    let at = format!("--extra-opts=@{file}");
    let relaxed = format!("--extra-opts=relaxed@{file}");
    let strict = format!("--extra-opts=strict@{file}");
    let broken = format!("--extra-opts=broken@{file}");
    let empty = format!("--extra-opts=empty@{file}");
    let missing = format!("--extra-opts=nosuch@{file}");
    let relaxed_value = format!("relaxed@{file}");
    let cases: Vec<(Env, Vec<&str>)> = vec![
        // The default section (the plugin's name) from an explicit file: WARNING at -0.75 s.
        (vec![], vec![&at]),
        // A named section; the command line comes after the ini options, so it wins.
        (vec![], vec![&relaxed]),
        (vec![], vec![&relaxed, "-w", "0.5"]),
        // `w=0.1` becomes `-w=0.1`: getopt reads the value `=0.1`, strtod makes it 0.
        (vec![], vec![&at, &strict]),
        // Separate value, and a bare --extra-opts with the file from the environment.
        (vec![], vec!["--extra-opts", &relaxed_value]),
        (
            vec![("NAGIOS_CONFIG_PATH", dir_s)],
            vec!["--extra-opts=relaxed"],
        ),
        // Errors, byte for byte.
        (vec![], vec![&broken]),
        (vec![], vec![&empty]),
        (vec![], vec![&missing]),
        (
            vec![],
            vec!["--extra-opts=@/nonexistent/plugins.ini", "-H", "127.0.0.1"],
        ),
        (vec![], vec!["--extra-opts=x@", "-H", "127.0.0.1"]),
        (
            vec![("MP_CONFIG_FILE", "")],
            vec!["--extra-opts", "-H", "127.0.0.1"],
        ),
    ];
    for (env, args) in &cases {
        let (ours, theirs) = both(env, args);
        assert_same(&ours, &theirs, &format!("{env:?} {args:?}"));
        if theirs.code == Some(3) {
            assert_eq!(ours.stdout, theirs.stdout, "{env:?} {args:?}");
        }
    }
    // MP_CONFIG_FILE: check_ntp_time 2.3 aborts (`free(): invalid size`: it frees the getenv()
    // string); we read the file it names.
    let (ours, theirs) = both(&[("MP_CONFIG_FILE", file)], &["--extra-opts"]);
    assert_eq!(
        theirs.code, None,
        "the oracle no longer crashes? {theirs:?}"
    );
    assert_eq!(ours.code, Some(1), "{ours:?}");
    let (ours, _) = both(&[], &[&at]);
    assert!(
        ours.stdout.starts_with("NTP WARNING: Offset -0.7"),
        "{}",
        ours.stdout
    );
}

#[test]
fn numbers_are_read_as_glibc_strtod_reads_them() {
    let slow = Responder::start(Behaviour::Clock {
        shift_seconds: 0.75,
        stratum: 2,
        leap: 0,
    });
    let port = slow.addr.port().to_string();
    let link = symlink();
    let ranges = [
        "inf", "infinity", "INF:", "1e999", "nan", "-nan", "nan(123)", "1:nan", "~:nan", "~:-nan",
        "nan:", "@nan:", "0x1p-1", "0x1p-2:", "-inf:0x1", " 0.5", "0.5x", "abc", "", "0x",
    ];
    for w in ranges {
        for (warning, critical) in [(w, "10"), ("0.5", w)] {
            let args = [
                "-H",
                "127.0.0.1",
                "-p",
                &port,
                "-w",
                warning,
                "-c",
                critical,
            ];
            let ours = run(&link.path, args);
            let theirs = oracle(&args);
            assert_same(&ours, &theirs, &format!("-w {warning:?} -c {critical:?}"));
        }
        // --compat on the native command line reads them the same way.
        let host = format!("127.0.0.1:{port}");
        let flag = check(&[
            "-H",
            &host,
            "-w",
            w,
            "-c",
            "10",
            "--compat",
            "check_ntp_time",
        ]);
        let theirs = oracle(&["-H", "127.0.0.1", "-p", &port, "-w", w, "-c", "10"]);
        assert_same(&flag, &theirs, &format!("--compat -w {w:?}"));
    }
    // `-c inf` is "never critical", not "always critical".
    let r = run(
        &link.path,
        ["-H", "127.0.0.1", "-p", &port, "-w", "0.5", "-c", "inf"],
    );
    assert!(
        r.stdout.starts_with("NTP WARNING:") && r.stdout.ends_with(";0.500000;inf;\n"),
        "{}",
        r.stdout
    );
}
