//! `hostkit proc` as a monitor (issue #11), against the real kernel: the effective owner of a
//! process that drops privileges without exec, CPU coverage against /proc/stat in a fork-heavy
//! loop, a process whose main thread exited, `--prom-file` refusing special files and
//! surviving a failed write, Nagios ranges and usage errors, the Average block on SIGINT and
//! SIGTERM, filters honoured by `--fail-on-d-age`, per-thread intervals, `--output`, the
//! load window and a hidepid procfs.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hostkit_testkit::cli::{Run, run};
use hostkit_testkit::proc_fixtures::{Fixture, Kind};
use serde_json::Value;

fn hk<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(args: I) -> Run {
    run(&crate::bin(), args)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn find(doc: &Value, pid: i32) -> Option<Value> {
    doc["processes"]
        .as_array()?
        .iter()
        .find(|p| p["pid"] == pid)
        .cloned()
}

/// JSON lines of an interval run.
fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// A process that switches to `nobody` after it started (no exec) keeps a root-owned
/// `/proc/PID`; hostkit shows the effective user from `status`, and `-u` finds it.
#[test]
fn owner_is_the_effective_user_after_a_privilege_drop() {
    if !is_root() {
        eprintln!("skipped: switching users needs root");
        return;
    }
    let fx = Fixture::spawn(Kind::DroppedPrivileges);
    let meta = std::fs::metadata(format!("/proc/{}/stat", fx.pid)).unwrap();
    assert_eq!(
        std::os::unix::fs::MetadataExt::uid(&meta),
        0,
        "the kernel gives a non-dumpable process's /proc files to root"
    );
    let doc = hk([
        "proc",
        "time",
        "--format",
        "json",
        "-p",
        &fx.pid.to_string(),
    ])
    .json();
    let p = find(&doc, fx.pid).expect("fixture listed");
    assert_eq!(p["uid"], 65534, "{p:#}");
    let r = hk(["proc", "time", "--format", "json", "--all", "-u", "65534"]);
    assert!(
        find(&r.json(), fx.pid).is_some(),
        "-u 65534 misses it: {}",
        r.stdout
    );
    let r = hk(["proc", "time", "--format", "json", "--all", "-u", "0"]);
    assert!(
        find(&r.json(), fx.pid).is_none(),
        "-u 0 lists it: {}",
        r.stdout
    );
}

/// A shell loop forking `true` burns CPU in children that live a few milliseconds. Per
/// interval the loop's row shows it as reaped-children time, and the coverage line adds up
/// to /proc/stat within a few percent (other work on this shared machine can disturb one
/// interval, so one clean interval out of several is required).
#[test]
fn fork_heavy_loop_is_accounted_for() {
    let mut sh = Command::new("sh")
        .args(["-c", "while :; do /bin/true; done"])
        .spawn()
        .unwrap();
    let pid = sh.id() as i32;
    let mut seen = Vec::new();
    let mut ok = false;
    for _ in 0..4 {
        let r = hk([
            "proc", "time", "-i", "1", "-c", "3", "--format", "json", "--all",
        ]);
        assert_eq!(r.code, Some(0), "{r:?}");
        for doc in json_lines(&r.stdout)
            .iter()
            .filter(|d| d["mode"] == "interval")
        {
            let c = &doc["coverage"];
            let ratio = c["accounted_ratio"].as_f64().unwrap();
            let row = find(doc, pid).expect("the loop is listed");
            let children = row["interval_cutime_seconds"].as_f64().unwrap()
                + row["interval_cstime_seconds"].as_f64().unwrap();
            let own = row["interval_utime_seconds"].as_f64().unwrap()
                + row["interval_stime_seconds"].as_f64().unwrap();
            seen.push((ratio, own, children));
            if (0.95..=1.05).contains(&ratio) && children > own && children > 0.05 {
                ok = true;
            }
        }
        if ok {
            break;
        }
    }
    // SAFETY: killing and reaping the shell this test started, by PID.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    sh.wait().unwrap();
    assert!(
        ok,
        "(accounted ratio, own s, children s) per interval: {seen:?}"
    );
    // The footer says it in the table too.
    let mut sh = Command::new("sh")
        .args(["-c", "while :; do /bin/true; done"])
        .spawn()
        .unwrap();
    let r = hk(["proc", "time", "-i", "0.5", "-c", "1", "--top", "3"]);
    // SAFETY: as above.
    unsafe { libc::kill(sh.id() as i32, libc::SIGKILL) };
    sh.wait().unwrap();
    assert!(
        r.stdout.contains("coverage: processes account for")
            && r.stdout
                .contains("unaccounted (exited within the interval)"),
        "{}",
        r.stdout
    );
}

/// `--children` folds the loop's reaped children into its %USR/%SYS and ranks it by them.
#[test]
fn children_fold_into_the_parent_row() {
    let mut sh = Command::new("sh")
        .args(["-c", "while :; do /bin/true; done"])
        .spawn()
        .unwrap();
    let pid = sh.id() as i32;
    let r = hk([
        "proc",
        "time",
        "-i",
        "1",
        "-c",
        "1",
        "--children",
        "--format",
        "json",
        "-p",
        &pid.to_string(),
    ]);
    // SAFETY: killing and reaping the shell this test started, by PID.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    sh.wait().unwrap();
    let doc = &json_lines(&r.stdout)[0];
    assert_eq!(doc["children_folded"], true);
    let row = find(doc, pid).unwrap();
    let usr_sys = row["usr_percent"].as_f64().unwrap() + row["sys_percent"].as_f64().unwrap();
    let children = row["children_usr_percent"].as_f64().unwrap()
        + row["children_sys_percent"].as_f64().unwrap();
    assert!(children > 0.0 && usr_sys >= children, "{row:#}");
}

/// A process whose main thread called pthread_exit while another thread spins reads Z in
/// `stat`; hostkit shows its live thread's state.
#[test]
fn exited_main_thread_shows_the_live_threads_state() {
    let fx = Fixture::spawn(Kind::LeaderExited);
    let doc = hk([
        "proc",
        "time",
        "--format",
        "json",
        "-p",
        &fx.pid.to_string(),
    ])
    .json();
    let p = find(&doc, fx.pid).unwrap();
    assert_ne!(p["state"], "Z", "{p:#}");
    assert_eq!(p["leader_exited"], true, "{p:#}");
    let r = hk(["proc", "time", "-p", &fx.pid.to_string()]);
    let line = r
        .stdout
        .lines()
        .find(|l| l.contains("hk-fx-lexit"))
        .unwrap();
    assert!(!line.contains(" Z "), "{line}");
}

/// `--prom-file` never replaces a FIFO, a device node, a symlink or a directory, and leaves
/// them as they were.
#[test]
fn prom_file_refuses_special_files() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.prom");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: valid path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let target = dir.path().join("real.prom");
    std::fs::write(&target, "keep\n").unwrap();
    let link = dir.path().join("link.prom");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let mut cases = vec![
        (fifo.clone(), "a FIFO"),
        (link.clone(), "a symlink"),
        (dir.path().to_path_buf(), "a directory"),
    ];
    // A /dev/null-like node of our own (root), else the real /dev/null is only inspected.
    let dev = dir.path().join("null.prom");
    let cdev = std::ffi::CString::new(dev.to_str().unwrap()).unwrap();
    // SAFETY: valid path; makedev(1, 3) is /dev/null's number.
    if is_root()
        && unsafe { libc::mknod(cdev.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) } == 0
    {
        cases.push((dev.clone(), "a device"));
    } else {
        cases.push(("/dev/null".into(), "a device"));
    }
    for (path, what) in &cases {
        for cmd in [
            &["proc", "time"][..],
            &["proc", "time", "-i", "0.2", "-c", "1"],
            &["proc", "load", "--window", "0"],
        ] {
            let mut args: Vec<&str> = cmd.to_vec();
            args.extend(["--prom-file", path.to_str().unwrap()]);
            let r = hk(&args);
            assert_eq!(r.code, Some(2), "{args:?}: {r:?}");
            assert!(
                r.stderr.contains(what) && r.stderr.contains("hint:"),
                "{args:?}: {}",
                r.stderr
            );
            assert!(
                r.stdout.is_empty(),
                "refused before any output: {}",
                r.stdout
            );
        }
    }
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep\n");
    if dev.exists() {
        assert!(
            std::fs::symlink_metadata(&dev)
                .unwrap()
                .file_type()
                .is_char_device()
        );
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        cases.len() - usize::from(!dev.exists()),
        "no temp file left"
    );
}

/// In interval mode a failed write (the directory vanished) is reported on stderr and
/// retried; the monitor keeps running, and the file comes back with its timestamp metric.
#[test]
fn prom_file_survives_a_failed_write() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("textfile");
    std::fs::create_dir(&sub).unwrap();
    let path = sub.join("proc.prom");
    let mut child = Command::new(crate::bin())
        .args([
            "proc",
            "time",
            "-i",
            "0.25",
            "-c",
            "12",
            "--top",
            "3",
            "--prom-file",
        ])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !path.exists() {
        assert!(Instant::now() < deadline, "the file never appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::remove_dir_all(&sub).unwrap();
    // Recreate the directory once hostkit has said it could not write.
    let mut err = child.stderr.take().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = std::sync::Arc::clone(&seen);
    let reader = std::thread::spawn(move || {
        let mut chunk = [0u8; 1024];
        while let Ok(n) = err.read(&mut chunk) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while !String::from_utf8_lossy(&seen.lock().unwrap()).contains("trying again") {
        assert!(
            Instant::now() < deadline,
            "no warning about the failed write"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::create_dir(&sub).unwrap();
    let out = child.wait_with_output().unwrap();
    reader.join().unwrap();
    let stderr = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("trying again next interval"), "{stderr}");
    assert_eq!(stdout.matches(" interval ").count(), 12, "{stdout}");
    let text = std::fs::read_to_string(&path).expect("rewritten after the directory came back");
    assert!(
        text.contains("hostkit_proc_last_update_timestamp_seconds{command=\"time\"}"),
        "{text}"
    );
    assert!(text.contains("# TYPE hostkit_proc_comm_cpu_seconds_total counter"));
    assert!(
        text.contains("hostkit_proc_threads{state=\"R\"}")
            && text.contains("hostkit_proc_threads{state=\"D\"}")
    );
}

/// Nagios ranges on a captured tree with 2 D threads: the full syntax, perfdata with the
/// range text, UNKNOWN for bad ranges and for `--format` with `--nagios`.
#[test]
fn nagios_ranges_and_usage_errors() {
    let root = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../hostkit-proc/testdata/live-states"
    );
    let check = |w: &str, c: &str| {
        hk([
            "proc",
            "load",
            "--proc-root",
            root,
            "--nagios",
            "-w",
            w,
            "-c",
            c,
        ])
    };
    for (w, c, code) in [
        ("5:10", "20", 1),  // 2 is outside 5..10
        ("@1:3", "20", 1),  // 2 is inside 1..3
        ("~:10", "1:1", 2), // critical: 2 outside 1..1
        ("10", "20", 0),
        ("1:", "0:5", 0), // 2 >= 1, within 0..5
    ] {
        let r = check(w, c);
        assert_eq!(r.code, Some(code), "-w {w} -c {c}: {r:?}");
        assert!(
            r.stdout.contains(&format!("d_threads=2;{w};{c};0")),
            "-w {w} -c {c}: {}",
            r.stdout
        );
    }
    for bad in [
        vec!["--nagios", "-w", "ten"],
        vec!["--nagios", "-w", "10:5"],
        vec!["--nagios", "--format", "json"],
        vec!["--nagios", "--prom-file", "/tmp/x.prom"],
        vec!["--nagios", "-t", "abc"],
    ] {
        let mut args = vec!["proc", "load", "--proc-root", root];
        args.extend(&bad);
        let r = hk(&args);
        assert_eq!(r.code, Some(3), "{bad:?}: {r:?}");
        assert!(
            r.stdout.starts_with("PROC LOAD UNKNOWN: "),
            "{bad:?}: {}",
            r.stdout
        );
    }
    // A full stdout is no panic; the verdict still leaves as the exit code.
    let out = Command::new(crate::bin())
        .args([
            "proc",
            "load",
            "--proc-root",
            root,
            "--nagios",
            "-w",
            "10",
            "-c",
            "20",
        ])
        .stdout(
            std::fs::File::options()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // -t on a live read.
    let r = hk([
        "proc", "load", "--nagios", "-w", "100000", "-c", "100000", "-t", "20", "--window", "0.2",
    ]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("r_threads_mean="), "{}", r.stdout);
}

/// Runs hostkit with `args`, waits until its stdout shows `needle`, sends `sig`, and
/// returns the exit code and the whole stdout.
fn signal_after(args: &[&str], needle: &str, sig: i32) -> (Option<i32>, String) {
    let mut child = Command::new(crate::bin())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut out = child.stdout.take().unwrap();
    let sink = std::sync::Arc::clone(&buf);
    let reader = std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = out.read(&mut chunk) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while !String::from_utf8_lossy(&buf.lock().unwrap()).contains(needle) {
        assert!(Instant::now() < deadline, "no `{needle}` in time");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: signalling the child this test started, by PID.
    unsafe { libc::kill(pid, sig) };
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let text = String::from_utf8_lossy(&buf.lock().unwrap()).into_owned();
    (status.code(), text)
}

/// Ctrl-C (SIGINT) and SIGTERM end an open-ended interval run with the Average block and
/// exit 0, like pidstat; every interval carries a timestamp.
#[test]
fn sigint_and_sigterm_print_the_average() {
    let ts = regex::Regex::new(r"(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ interval \d+:").unwrap();
    for (sig, format) in [(libc::SIGINT, "table"), (libc::SIGTERM, "json")] {
        let needle = if format == "json" {
            "\"interval\":2"
        } else {
            "interval 2:"
        };
        let args = [
            "proc", "time", "-i", "0.2", "--top", "3", "--format", format,
        ];
        let (code, out) = signal_after(&args, needle, sig);
        assert_eq!(code, Some(0), "signal {sig}: {out}");
        if format == "json" {
            let docs = json_lines(&out);
            let last = docs.last().unwrap();
            assert_eq!(last["mode"], "average", "{last:#}");
            assert!(last["intervals"].as_u64().unwrap() >= 2);
            assert!(
                docs.iter()
                    .all(|d| d["time"].as_str().is_some_and(|t| t.ends_with('Z')))
            );
        } else {
            assert!(out.contains("Average over "), "{out}");
            assert!(ts.find_iter(&out).count() >= 2, "{out}");
        }
    }
    // -c N ends with the Average too; --local-time carries an offset.
    let r = hk([
        "proc",
        "time",
        "-i",
        "0.2",
        "-c",
        "2",
        "--format",
        "csv",
        "--local-time",
        "--top",
        "2",
    ]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("time,interval,pid,"), "{}", r.stdout);
    assert!(
        lines.iter().any(|l| l.split(',').nth(1) == Some("average")),
        "{}",
        r.stdout
    );
    let offset = regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d,").unwrap();
    assert!(
        lines[1..].iter().all(|l| offset.is_match(l)),
        "{}",
        r.stdout
    );
}

/// `--fail-on-d-age` only watches the processes the filters keep.
#[test]
fn fail_on_d_age_honours_the_filters() {
    let d = Fixture::spawn(Kind::DiskVfork);
    let s = Fixture::spawn(Kind::Sleeping);
    let pids = format!("{},{}", d.pid, s.pid);
    let base = [
        "proc",
        "time",
        "-i",
        "0.2",
        "-c",
        "4",
        "--fail-on-d-age",
        "0.3",
        "-p",
        &pids,
    ];
    let r = hk(base.iter().copied().chain(["--comm", "^hk-fx-S$"]));
    assert_eq!(r.code, Some(0), "--comm excludes the D process: {r:?}");
    let r = hk(base.iter().copied().chain(["-u", "65534"]));
    assert_eq!(r.code, Some(0), "-u excludes the D process: {r:?}");
    let r = hk(base);
    assert_eq!(r.code, Some(1), "{r:?}");
}

/// `--threads` works with `-i`: per-thread %USR/%SYS, sorted by the chosen key.
#[test]
fn threads_per_interval_and_sorted() {
    let fx = Fixture::spawn(Kind::HighSys);
    let r = hk([
        "proc",
        "time",
        "--threads",
        "-i",
        "0.5",
        "-c",
        "1",
        "--format",
        "json",
        "--sort",
        "utime",
        "-p",
        &fx.pid.to_string(),
        "-p",
        "1",
    ]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let doc = &json_lines(&r.stdout)[0];
    let threads = doc["threads"].as_array().unwrap();
    let t = threads.iter().find(|t| t["tid"] == fx.pid).unwrap();
    assert!(t["sys_percent"].as_f64().unwrap() > 0.0, "{t:#}");
    let usr: Vec<f64> = threads
        .iter()
        .map(|t| t["usr_percent"].as_f64().unwrap())
        .collect();
    assert!(
        usr.windows(2).all(|w| w[0] >= w[1]),
        "sorted by utime: {usr:?}"
    );
}

/// `--output FILE` takes the rendered output; stdout stays empty.
#[test]
fn output_file_takes_the_rendered_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("load.json");
    let r = hk([
        "proc",
        "load",
        "--window",
        "0",
        "--format",
        "json",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc["schema_version"], 2);
    assert_eq!(doc["command"], "proc load");
}

/// The load window: several passes, R split into on-CPU and waiting from schedstat; a
/// spinner makes R non-zero.
#[test]
fn load_window_splits_r_into_running_and_waiting() {
    let _spin = Fixture::spawn(Kind::Running);
    let r = hk(["proc", "load", "--window", "0.5", "--format", "json"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let doc = r.json();
    let w = &doc["window"];
    assert_eq!(w["samples"], 5, "{doc:#}");
    assert!(
        w["on_cpu_mean"].as_f64().unwrap() > 0.5,
        "a spinner is on a CPU: {w:#}"
    );
    assert!(w["waiting_mean"].as_f64().is_some());
    assert!(
        doc["sentence"]
            .as_str()
            .unwrap()
            .contains("waiting for one"),
        "{doc:#}"
    );
}

/// With `hidepid=2` an unprivileged reader sees only its own tasks: `proc load` warns and
/// the Nagios mode says UNKNOWN instead of a confident OK.
#[test]
fn hidepid_is_reported_not_hidden() {
    use std::os::unix::process::CommandExt;
    if !is_root() {
        eprintln!("skipped: mounting a procfs needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("proc");
    std::fs::create_dir(&mnt).unwrap();
    let st = Command::new("mount")
        .args(["-t", "proc", "-o", "hidepid=2", "proc"])
        .arg(&mnt)
        .status()
        .unwrap();
    if !st.success() {
        eprintln!("skipped: cannot mount procfs here");
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(mnt.clone());
    let _d = Fixture::spawn(Kind::DiskVfork);
    use std::os::unix::fs::PermissionsExt;
    let bindir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(bindir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = bindir.path().join("hostkit");
    std::fs::copy(crate::bin(), &bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let as_nobody = |args: &[&str]| -> std::io::Result<Run> {
        Command::new(&bin)
            .args(args)
            .uid(65534)
            .gid(65534)
            .output()
            .map(Run::from)
    };
    let root = mnt.to_str().unwrap();
    let r = match as_nobody(&["proc", "load", "--proc-root", root, "--window", "0"]) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            eprintln!("skipped: nobody cannot execute a copy in the temp dir ({e})");
            return;
        }
        other => other.unwrap(),
    };
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stderr.contains("hidepid"), "{}", r.stderr);
    let r = as_nobody(&[
        "proc",
        "load",
        "--proc-root",
        root,
        "--nagios",
        "-w",
        "100",
        "-c",
        "100",
    ])
    .unwrap();
    assert_eq!(r.code, Some(3), "{r:?}");
    assert!(
        r.stdout.starts_with("PROC LOAD UNKNOWN") && r.stdout.contains("hidepid"),
        "{}",
        r.stdout
    );
}

/// Every JSON field `proc time` and `proc load` emit, in every mode, is in docs/proc.md.
#[test]
fn proc_json_fields_are_documented() {
    let tree = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../hostkit-proc/testdata/live-states"
    );
    let _d = Fixture::spawn(Kind::DiskVfork);
    for args in [
        &["proc", "time", "--proc-root", tree, "--format", "json"][..],
        &[
            "proc",
            "time",
            "--proc-root",
            tree,
            "--format",
            "json",
            "--by",
            "comm",
        ],
        &[
            "proc",
            "time",
            "--proc-root",
            tree,
            "--format",
            "json",
            "--threads",
        ],
        &["proc", "load", "--proc-root", tree, "--format", "json"],
        &[
            "proc", "load", "--window", "0.2", "--format", "json", "--stack",
        ],
    ] {
        crate::docs::assert_documented("proc.md", &crate::docs::json_of(args));
    }
    for extra in [&[][..], &["--threads"], &["--by", "user"]] {
        let mut args = vec![
            "proc", "time", "-i", "0.2", "-c", "1", "--format", "json", "--top", "3",
        ];
        args.extend_from_slice(extra);
        let r = hk(&args);
        assert_eq!(r.code, Some(0), "{r:?}");
        for doc in json_lines(&r.stdout) {
            assert_eq!(doc["schema_version"], 2);
            crate::docs::assert_documented("proc.md", &doc);
        }
    }
}

/// In interval mode the CPU counters never decrease from one block to the next, even while
/// processes come and go (a fork loop runs meanwhile); no Average block in this format.
#[test]
fn prometheus_counters_only_grow_across_intervals() {
    let mut sh = Command::new("sh")
        .args(["-c", "while :; do /bin/true; done"])
        .spawn()
        .unwrap();
    let r = hk([
        "proc",
        "time",
        "-i",
        "0.3",
        "-c",
        "4",
        "--format",
        "prometheus",
        "--top",
        "3",
    ]);
    // SAFETY: killing and reaping the shell this test started, by PID.
    unsafe { libc::kill(sh.id() as i32, libc::SIGKILL) };
    sh.wait().unwrap();
    assert_eq!(r.code, Some(0), "{r:?}");
    let blocks: Vec<&str> = r
        .stdout
        .split("# HELP hostkit_proc_last_update_timestamp_seconds")
        .skip(1)
        .collect();
    assert_eq!(blocks.len(), 4, "{}", r.stdout);
    let mut last: std::collections::HashMap<String, f64> = Default::default();
    for b in blocks {
        for line in b
            .lines()
            .filter(|l| l.starts_with("hostkit_proc_comm_cpu_seconds_total{"))
        {
            let (series, v) = line.rsplit_once(' ').unwrap();
            let v: f64 = v.parse().unwrap();
            if let Some(prev) = last.insert(series.to_string(), v) {
                assert!(v >= prev, "{series} went from {prev} to {v}");
            }
        }
        assert!(b.contains("hostkit_proc_threads{state=\"D\"}"), "{b}");
    }
}
