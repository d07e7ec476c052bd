//! `bench/ntp-check`'s guard: prerequisites are checked before anything starts, and a run
//! that fails after starting chronyd (here: a responder that prints no port) stops every
//! process it started. The script runs in its own process group; afterwards no process of
//! that group may be left.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Command;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/ntp-check")
}

/// PIDs of live processes in process group `pgid`.
fn group_members(pgid: i32) -> Vec<i32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // proc(5): fields after the last `)` are state, ppid, pgrp, ...
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = after.split_whitespace().collect();
        if fields[0] != "Z" && fields[2].parse::<i32>() == Ok(pgid) {
            pids.push(pid);
        }
    }
    pids
}

fn bench(args: &[&str]) -> (std::process::Output, Vec<i32>) {
    let child = Command::new("python3")
        .arg(script())
        .args(["--no-build", "--runs", "1", "--hostkit"])
        .arg(crate::bin())
        .args(args)
        .process_group(0)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    let pgid = child.id() as i32;
    let out = child.wait_with_output().unwrap();
    (out, group_members(pgid))
}

#[test]
fn bench_ntp_check_stops_what_it_started() {
    // A missing prerequisite: said before anything starts.
    let (out, left) = bench(&["--responder", "/nonexistent/ntp_responder"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr.contains("nothing was started") && stderr.contains("/nonexistent/ntp_responder"),
        "{stderr}"
    );
    assert!(!stderr.contains("Traceback"), "{stderr}");
    assert_eq!(left, Vec::<i32>::new());
    // A prerequisite that fails once started, after chronyd answered: chronyd is stopped.
    let (out, left) = bench(&["--responder", "/bin/false"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr.contains("did not print its port"), "{stderr}");
    assert!(!stderr.contains("Traceback"), "{stderr}");
    assert_eq!(
        left,
        Vec::<i32>::new(),
        "processes left behind by bench/ntp-check"
    );
}
