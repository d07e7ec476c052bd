//! `hostkit ssh bench --resume` rules and the errors that must come before any work, against
//! the real OpenSSH: options that would change a logged run are refused by name, a plan the
//! local ssh cannot run is refused before any connection, a finished log starts nothing, the
//! log is created before sshd starts and never left header-only, a full device says so, a
//! silent port says there was no banner, a non-OpenSSH `--ssh` is named, an empty pattern is an
//! error, a run without a result exits non-zero, and SIGHUP ends a run like SIGTERM.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use hostkit_testkit::sshd::{
    TestSshd, entries_with_prefix, pids_with_cmdline, sample_lines, wait_until,
};
use serde_json::{Value, json};

use crate::ssh::hk;

/// No process mentions `tmp` and no private sshd dir is left in it.
fn assert_clean(tmp: &Path) {
    let needle = tmp.to_string_lossy().to_string();
    assert!(
        wait_until(3.0, || pids_with_cmdline(&needle).is_empty()),
        "processes left: {:?}",
        pids_with_cmdline(&needle)
    );
    assert!(entries_with_prefix(tmp, "hostkit-sshd-").is_empty());
}

/// An sshd that cannot exist: a run that gets as far as starting it fails on it, so an error
/// about something else proves the check came first.
const NO_SSHD: &str = "/nonexistent/sshd";

fn bulk(cipher: &str) -> Value {
    json!({"id": format!("bulk/up/{cipher}/hmac-sha1/curve25519-sha256"), "kind": "bulk",
        "cipher": cipher, "mac": "hmac-sha1", "kex": "curve25519-sha256", "direction": "up"})
}

/// A schema 2 log header for the private sshd with `trials`, as `hostkit ssh bench` writes it.
fn header(trials: Vec<Value>) -> Value {
    json!({"type": "header", "schema": 2, "hostkit_version": "0.1.0", "ssh_version": "",
        "server_version": "", "cpu_model": "", "cpu_flags": [], "cpus": 2, "kernel": "",
        "target": "private-sshd", "started_unix": 0.0, "seed": 5,
        "options": {"matrix": "dedup", "direction": "up", "ciphers": "aes128-ctr",
            "macs": "hmac-sha1", "kex": null, "sample_time_seconds": 0.3, "min_runs": 3,
            "max_runs": 10, "no_pin": false},
        "trials": trials, "method": "in-connection-window",
        "pinning": {"ssh_cpu": 0, "sshd_cpu": 1, "unpinned": null}})
}

fn write_log(dir: &Path, name: &str, records: &[Value]) -> PathBuf {
    let p = dir.join(name);
    let text: String = records.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&p, text).unwrap();
    p
}

fn baseline() -> Value {
    json!({"id": "baseline/up", "kind": "baseline", "direction": "up"})
}

#[test]
fn resume_refuses_each_option_that_would_change_the_run_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let log = write_log(
        tmp.path(),
        "run.jsonl",
        &[header(vec![baseline(), bulk("aes128-ctr")])],
    );
    let before = std::fs::read_to_string(&log).unwrap();
    let l = log.to_str().unwrap();
    for (args, named) in [
        (vec!["--sample-time", "0.5"], "`--sample-time 0.5`"),
        (vec!["--max-runs", "4"], "`--max-runs 4`"),
        (vec!["--min-runs", "2"], "`--min-runs 2`"),
        (vec!["--ciphers", "aes*"], "`--ciphers aes*`"),
        (vec!["--macs", "hmac-md5"], "`--macs hmac-md5`"),
        (
            vec!["--kex", "curve25519-sha256"],
            "`--kex curve25519-sha256`",
        ),
        (vec!["--seed", "6"], "`--seed 6`"),
        (vec!["--direction", "down"], "`--direction down`"),
        (vec!["--matrix", "full"], "`--matrix full`"),
        (vec!["db1.example"], "`TARGET db1.example`"),
    ] {
        let mut full = vec!["ssh", "bench", "--resume", l, "--sshd", NO_SSHD];
        full.extend(args.iter().copied());
        let r = hk(tmp.path(), &full);
        assert_eq!(r.code, Some(2), "{args:?}: {r:?}");
        assert!(r.stderr.contains(named), "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("hint: "), "{}", r.stderr);
        assert!(
            !r.stderr.contains(NO_SSHD),
            "sshd was reached: {}",
            r.stderr
        );
    }
    // The logged values themselves are fine (they change nothing): the run gets as far as sshd.
    let same = hk(
        tmp.path(),
        &[
            "ssh",
            "bench",
            "--resume",
            l,
            "--sshd",
            NO_SSHD,
            "--sample-time",
            "0.3",
            "--max-runs",
            "10",
            "--seed",
            "5",
        ],
    );
    assert_eq!(same.code, Some(2), "{same:?}");
    assert!(same.stderr.contains(NO_SSHD), "{}", same.stderr);
    assert_eq!(std::fs::read_to_string(&log).unwrap(), before);
    assert_clean(tmp.path());
}

#[test]
fn resume_of_a_plan_the_local_ssh_lacks_is_refused_before_any_connection() {
    let tmp = tempfile::tempdir().unwrap();
    let log = write_log(
        tmp.path(),
        "other.jsonl",
        &[header(vec![
            baseline(),
            bulk("aes128-ctr"),
            bulk("serpent256-ctr@example.org"),
        ])],
    );
    let r = hk(
        tmp.path(),
        &[
            "ssh",
            "bench",
            "--resume",
            log.to_str().unwrap(),
            "--sshd",
            NO_SSHD,
        ],
    );
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(
        r.stderr.contains("`serpent256-ctr@example.org`"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(NO_SSHD), "{}", r.stderr);
    assert_clean(tmp.path());
}

#[test]
fn resuming_a_finished_log_says_nothing_to_do_and_starts_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let log = write_log(
        tmp.path(),
        "done.jsonl",
        &[
            header(vec![baseline(), bulk("aes128-ctr")]),
            json!({"type": "end", "status": "complete", "unix_time": 1.0}),
        ],
    );
    let before = std::fs::read_to_string(&log).unwrap();
    let r = hk(
        tmp.path(),
        &[
            "ssh",
            "bench",
            "--resume",
            log.to_str().unwrap(),
            "--sshd",
            NO_SSHD,
        ],
    );
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stderr.contains("nothing to do"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&log).unwrap(), before);
    assert_clean(tmp.path());
}

#[test]
fn the_log_is_created_before_sshd_starts_and_not_left_behind_on_failure() {
    let tmp = tempfile::tempdir().unwrap();
    // An existing file is refused before sshd would start.
    let taken = tmp.path().join("taken.jsonl");
    std::fs::write(&taken, "keep me\n").unwrap();
    let r = hk(
        tmp.path(),
        &[
            "ssh",
            "bench",
            "--log",
            taken.to_str().unwrap(),
            "--sshd",
            NO_SSHD,
        ],
    );
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(
        r.stderr.contains("cannot create the results log"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(NO_SSHD), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&taken).unwrap(), "keep me\n");

    // A run that fails before its first sample leaves no log and gives no --resume hint.
    let fresh = tmp.path().join("fresh.jsonl");
    let r = hk(
        tmp.path(),
        &[
            "ssh",
            "bench",
            "--log",
            fresh.to_str().unwrap(),
            "--sshd",
            NO_SSHD,
        ],
    );
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(r.stderr.contains(NO_SSHD), "{}", r.stderr);
    assert!(!r.stderr.contains("--resume"), "{}", r.stderr);
    assert!(!fresh.exists(), "a header-only log was left behind");
    assert_clean(tmp.path());
}

/// An ssh that is OpenSSH for `-V`, `-Q` and `-G` but whose connections fail.
fn failing_ssh(dir: &Path) -> PathBuf {
    let p = dir.join("ssh-fails");
    std::fs::write(
        &p,
        "#!/bin/sh\ncase \"$1\" in -V|-Q|-G) exec ssh \"$@\";; esac\necho 'ssh: connect to host: Connection refused by test' >&2\nexit 255\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

#[test]
fn a_run_failing_at_its_first_sample_keeps_no_header_only_log() {
    let tmp = tempfile::tempdir().unwrap();
    let ssh = failing_ssh(tmp.path());
    let log = tmp.path().join("first.jsonl");
    let r = hk(
        tmp.path(),
        &[
            "ssh",
            "bench",
            "--ciphers",
            "aes128-ctr",
            "--macs",
            "hmac-sha1",
            "--no-kex",
            "--ssh",
            ssh.to_str().unwrap(),
            "--log",
            log.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(
        r.stderr.contains("Connection refused by test"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("--resume"), "{}", r.stderr);
    assert!(!log.exists(), "a header-only log was left behind");
    assert_clean(tmp.path());
}

#[test]
fn a_full_device_says_no_space() {
    let tmp = tempfile::tempdir().unwrap();
    let r = hk(
        tmp.path(),
        &[
            "ssh",
            "bench",
            "--ciphers",
            "aes128-ctr",
            "--macs",
            "hmac-sha1",
            "--no-kex",
            "--log",
            "/dev/full",
        ],
    );
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(r.stderr.contains("no space"), "{}", r.stderr);
    assert!(!r.stderr.contains("--resume"), "{}", r.stderr);
    assert_clean(tmp.path());
}

#[test]
fn algos_against_a_silent_port_says_no_banner() {
    let tmp = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept and say nothing until the client gives up.
    let t = std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let mut buf = [0u8; 256];
            while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
        }
    });
    let r = hk(tmp.path(), &["ssh", "algos", &format!("127.0.0.1:{port}")]);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(r.stderr.contains("no SSH banner within"), "{}", r.stderr);
    assert!(!r.stderr.contains("os error 11"), "{}", r.stderr);
    t.join().unwrap();
}

#[test]
fn bad_ssh_and_empty_patterns_are_errors_before_work() {
    let tmp = tempfile::tempdir().unwrap();
    let fake = tmp.path().join("dropbear-ssh");
    std::fs::write(&fake, "#!/bin/sh\necho 'Dropbear v2022.83' >&2\nexit 1\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let r = hk(
        tmp.path(),
        &[
            "ssh",
            "bench",
            "--ssh",
            fake.to_str().unwrap(),
            "--sshd",
            NO_SSHD,
        ],
    );
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(r.stderr.contains("is not OpenSSH"), "{}", r.stderr);
    assert!(r.stderr.contains("Dropbear"), "{}", r.stderr);
    for flag in ["--ciphers", "--macs", "--kex"] {
        let r = hk(tmp.path(), &["ssh", "bench", flag, "", "--sshd", NO_SSHD]);
        assert_eq!(r.code, Some(2), "{flag}: {r:?}");
        assert!(r.stderr.contains("names no algorithm"), "{}", r.stderr);
        let r = hk(
            tmp.path(),
            &["ssh", "bench", flag, " , ", "--sshd", NO_SSHD],
        );
        assert_eq!(r.code, Some(2), "{flag}: {r:?}");
    }
    assert!(entries_with_prefix(tmp.path(), "hostkit-ssh-bench-").is_empty());
    assert_clean(tmp.path());
}

#[test]
fn a_run_that_ends_without_a_result_exits_non_zero() {
    // The server offers aes128-ctr only; the logged plan wants aes256-ctr only.
    let server = TestSshd::start(Some("aes128-ctr"));
    let target = server.target();
    let tmp = tempfile::tempdir().unwrap();
    let mut h = header(vec![baseline(), bulk("aes256-ctr")]);
    h["target"] = json!(target);
    let log = write_log(tmp.path(), "refused.jsonl", &[h]);
    let r = hk(
        tmp.path(),
        &[
            "ssh",
            "bench",
            "--resume",
            log.to_str().unwrap(),
            "--ssh",
            server.ssh_wrapper().to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(r.stderr.contains("without a result"), "{}", r.stderr);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("\"type\":\"unsupported\""), "{text}");
}

#[test]
fn sighup_ends_a_run_like_sigterm_with_an_interrupted_record() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("hup.jsonl");
    let mut child = Command::new(crate::bin())
        .args([
            "ssh",
            "bench",
            "--ciphers",
            "aes128-ctr",
            "--macs",
            "hmac-sha1",
            "--no-kex",
            "--min-runs",
            "50",
            "--max-runs",
            "50",
            "--sample-time",
            "0.1",
            "--log",
        ])
        .arg(&log)
        .env("NO_COLOR", "1")
        .env("TMPDIR", tmp.path())
        .current_dir(tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(wait_until(60.0, || sample_lines(&log) >= 3), "no samples");
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGHUP) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let text = std::fs::read_to_string(&log).unwrap();
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["status"], "interrupted");
    assert_clean(tmp.path());
}
