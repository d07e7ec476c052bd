//! `hostkit ssh` against the real OpenSSH: the private sshd's lifecycle (including SIGINT
//! mid-run and SIGKILL + resume leaving no process and no temp dir), KEXINIT discovery, a
//! small real bench whose log re-parses to the same ranking, the plan, and bad input.
//! Every test gets its own TMPDIR so leftovers are attributable.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use hostkit_testkit::cli::{Run, run};
use hostkit_testkit::sshd::{
    TestSshd, entries_with_prefix, pids_with_cmdline, sample_lines, wait_until,
};
use serde_json::Value;

/// Runs hostkit with TMPDIR set to `tmp`.
fn hk(tmp: &Path, args: &[&str]) -> Run {
    Command::new(crate::bin())
        .args(args)
        .env("NO_COLOR", "1")
        .env("TMPDIR", tmp)
        .current_dir(tmp)
        .output()
        .expect("run hostkit")
        .into()
}

fn spawn(tmp: &Path, args: &[&str]) -> Child {
    Command::new(crate::bin())
        .args(args)
        .env("NO_COLOR", "1")
        .env("TMPDIR", tmp)
        .current_dir(tmp)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hostkit")
}

fn ssh_q(what: &str) -> Vec<String> {
    let out = Command::new("ssh").args(["-Q", what]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

/// Nothing of hostkit's private sshd is left: no process mentions a dir under `tmp`, and no
/// `hostkit-sshd-*` dir remains in it.
fn assert_clean(tmp: &Path) {
    let needle = tmp.to_string_lossy().to_string();
    assert!(
        wait_until(3.0, || pids_with_cmdline(&needle).is_empty()),
        "processes left: {:?}",
        pids_with_cmdline(&needle)
    );
    assert!(
        entries_with_prefix(tmp, "hostkit-sshd-").is_empty(),
        "temp dir left: {:?}",
        entries_with_prefix(tmp, "hostkit-sshd-")
    );
}

#[test]
fn algos_reads_the_private_sshd_kexinit() {
    let tmp = tempfile::tempdir().unwrap();
    let r = hk(tmp.path(), &["ssh", "algos", "--format", "json"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let j = r.json();
    assert!(
        j["server_version"]
            .as_str()
            .unwrap()
            .starts_with("SSH-2.0-OpenSSH_")
    );
    // The private sshd enables everything the client knows: the KEXINIT says so.
    let offered: Vec<String> = serde_json::from_value(j["server"]["ciphers_c2s"].clone()).unwrap();
    assert_eq!(offered, ssh_q("cipher"));
    let macs: Vec<String> = serde_json::from_value(j["server"]["macs_c2s"].clone()).unwrap();
    assert_eq!(macs, ssh_q("mac"));
    let pseudo = j["server"]["pseudo"].to_string();
    assert!(
        !j["server"]["kex"].to_string().contains("ext-info"),
        "{pseudo}"
    );
    assert_clean(tmp.path());

    let table = hk(tmp.path(), &["ssh", "algos"]);
    assert_eq!(table.code, Some(0), "{table:?}");
    assert!(table.stdout.contains("aes128-gcm@openssh.com"));
    assert!(table.stdout.contains("RATING"));
}

#[test]
fn dry_run_plans_every_cipher_and_mac_once_and_every_kex() {
    let tmp = tempfile::tempdir().unwrap();
    let r = hk(
        tmp.path(),
        &["ssh", "bench", "--dry-run", "--format", "json"],
    );
    assert_eq!(r.code, Some(0), "{r:?}");
    let trials = r.json()["trials"].as_array().unwrap().clone();
    let kind = |k: &str| trials.iter().filter(|t| t["kind"] == k).count();
    let ciphers = ssh_q("cipher").len();
    let aead = ssh_q("cipher-auth").len();
    let macs = ssh_q("mac").len();
    assert_eq!(kind("bulk"), (ciphers - aead) * macs + aead);
    let kex = ssh_q("kex");
    let aliases = kex
        .iter()
        .filter(|k| k.ends_with("@libssh.org") || k.starts_with("sntrup761x25519-sha512@"))
        .count();
    assert_eq!(kind("kex_only"), kex.len() - aliases);
    // Nothing was measured and no log was written.
    assert!(entries_with_prefix(tmp.path(), "hostkit-ssh-bench-").is_empty());
    assert_clean(tmp.path());

    let text = hk(
        tmp.path(),
        &["ssh", "bench", "--dry-run", "--ciphers", "aes128-gcm*"],
    );
    assert_eq!(text.code, Some(0), "{text:?}");
    assert!(text.stdout.contains("aes128-gcm@openssh.com"));
    assert!(!text.stdout.contains("aes256-ctr"));
}

const SMALL: &[&str] = &[
    "ssh",
    "bench",
    "--ciphers",
    "aes128-ctr,aes256-ctr",
    "--macs",
    "hmac-sha2-256-etm@openssh.com,hmac-sha1",
    "--kex",
    "curve25519-sha256,ecdh-sha2-nistp256",
    // Long enough that a sample clearly outlasts the per-connection fixed cost on a loaded
    // CI machine (shorter samples get dropped as indistinguishable from the baseline).
    "--sample-time",
    "0.2",
    "--seed",
    "42",
];

#[test]
fn small_real_bench_logs_verified_samples_and_a_consistent_ranking() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("small.jsonl");
    let mut args = SMALL.to_vec();
    args.extend(["--format", "json", "--log", log.to_str().unwrap()]);
    args.extend(["--min-runs", "2", "--max-runs", "2"]);
    let r = hk(tmp.path(), &args);
    assert_eq!(r.code, Some(0), "{r:?}");
    let bench = r.json();
    assert_clean(tmp.path());
    assert_eq!(bench["schema_version"], 2);
    assert_eq!(bench["method"], "in-connection-window");
    crate::docs::assert_documented("ssh-bench.md", &bench);

    // The log parses line by line: a header, samples, an end record.
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["type"], "header");
    assert_eq!(lines[0]["schema"], 2);
    assert!(lines[0]["pinning"].is_object());
    for l in &lines {
        crate::docs::assert_documented("ssh-bench.md", l);
    }
    assert_eq!(lines.last().unwrap()["type"], "end");
    assert_eq!(lines.last().unwrap()["status"], "complete");
    let samples: Vec<&Value> = lines.iter().filter(|l| l["type"] == "sample").collect();
    // Every bulk sample negotiated exactly what its trial id pins.
    for s in &samples {
        let id = s["trial"].as_str().unwrap();
        if let Some(rest) = id.strip_prefix("bulk/up/") {
            let parts: Vec<&str> = rest.split('/').collect();
            assert_eq!(s["negotiated"]["cipher_c2s"], parts[0], "{s}");
            assert_eq!(s["negotiated"]["mac_c2s"], parts[1], "{s}");
            assert_eq!(s["negotiated"]["kex"], parts[2], "{s}");
            assert!(s["bytes"].as_u64().unwrap() > 0);
            // Timed inside the connection, after a warm-up.
            assert!(s["window_seconds"].as_f64().unwrap() > 0.0, "{s}");
            assert!(
                s["window_seconds"].as_f64() < s["wall_seconds"].as_f64(),
                "{s}"
            );
            assert!(s["warmup_bytes"].as_u64().unwrap() >= 4 << 20, "{s}");
            assert!(
                s["server_user_seconds"].is_number(),
                "server CPU missing: {s}"
            );
        }
    }
    // 4 bulk + baseline + 2 kex-only + 2 connect, each with rounds 1 and 2.
    let real = samples.iter().filter(|s| s["warmup"] == false).count();
    let trials = lines[0]["trials"].as_array().unwrap().len();
    assert_eq!(real, 2 * trials);

    // The ranking is sorted and `ssh report` of the log reproduces it.
    let rank = |j: &Value| -> Vec<(String, f64)> {
        j["analysis"]["bulk"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                (
                    b["trial"].as_str().unwrap().to_string(),
                    b["mb_per_s"]["median"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let ranked = rank(&bench);
    assert_eq!(ranked.len(), 4);
    assert!(ranked.windows(2).all(|w| w[0].1 >= w[1].1), "{ranked:?}");
    let rep = run(
        &crate::bin(),
        ["ssh", "report", log.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(rep.code, Some(0), "{rep:?}");
    assert_eq!(rank(&rep.json()), ranked);
    for fmt in ["table", "csv", "markdown", "svg"] {
        let out = run(
            &crate::bin(),
            ["ssh", "report", log.to_str().unwrap(), "--format", fmt],
        );
        assert_eq!(out.code, Some(0), "{fmt}: {out:?}");
        assert!(
            out.stdout.contains("aes128-ctr") || out.stdout.contains("aes256-ctr"),
            "{fmt}"
        );
    }
    // `--out` writes the export atomically instead of printing it.
    let svg = tmp.path().join("ranking.svg");
    let out = run(
        &crate::bin(),
        [
            "ssh",
            "report",
            log.to_str().unwrap(),
            "--format",
            "svg",
            "--out",
            svg.to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.is_empty());
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
}

/// Starts a small bench that would run for minutes (50 rounds), logging to `NAME.jsonl`.
fn long_run(name: &str) -> (tempfile::TempDir, std::path::PathBuf, Child) {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join(format!("{name}.jsonl"));
    let mut args = SMALL.to_vec();
    // `--out`: the old spelling of `--log`, kept as a hidden alias.
    args.extend(["--out", log.to_str().unwrap()]);
    args.extend(["--min-runs", "50", "--max-runs", "50"]);
    let child = spawn(tmp.path(), &args);
    (tmp, log, child)
}

#[test]
fn sigint_mid_run_stops_sshd_removes_the_temp_dir_and_keeps_the_log() {
    let (tmp, log, mut child) = long_run("int");
    assert!(
        wait_until(60.0, || sample_lines(&log) >= 4),
        "no samples appeared in {}",
        log.display()
    );
    // The private sshd is up and lives in our TMPDIR.
    assert!(!pids_with_cmdline(&tmp.path().to_string_lossy()).is_empty());
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert_clean(tmp.path());
    let text = std::fs::read_to_string(&log).unwrap();
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["status"], "interrupted");
}

#[test]
fn resume_after_sigkill_redoes_no_finished_sample() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("kill.jsonl");
    let mut args = SMALL.to_vec();
    args.extend(["--log", log.to_str().unwrap(), "--no-kex"]);
    args.extend(["--min-runs", "3", "--max-runs", "3"]);
    let mut child = spawn(tmp.path(), &args);
    assert!(wait_until(60.0, || sample_lines(&log) >= 6), "no samples");
    child.kill().unwrap();
    child.wait().unwrap();
    // PR_SET_PDEATHSIG takes the sshd listener down with hostkit.
    let needle = tmp.path().to_string_lossy().to_string();
    assert!(
        wait_until(5.0, || pids_with_cmdline(&needle).is_empty()),
        "sshd outlived a SIGKILLed hostkit: {:?}",
        pids_with_cmdline(&needle)
    );
    let before = sample_lines(&log);

    let r = hk(
        tmp.path(),
        &[
            "ssh",
            "bench",
            "--resume",
            log.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, Some(0), "{r:?}");
    // The dir the killed run left behind was cleaned up by the next start.
    assert_clean(tmp.path());
    let text = std::fs::read_to_string(&log).unwrap();
    let mut seen = std::collections::HashSet::new();
    let mut warmups = 0;
    for l in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(l) else {
            continue; // a torn line from the kill
        };
        if v["type"] != "sample" {
            continue;
        }
        if v["warmup"] == true {
            warmups += 1;
            continue;
        }
        let key = (
            v["trial"].as_str().unwrap().to_string(),
            v["round"].as_u64().unwrap(),
        );
        assert!(seen.insert(key.clone()), "sample {key:?} measured twice");
    }
    assert!(sample_lines(&log) > before);
    // warm-up (1 baseline) + probes covering both ciphers and both MACs, never repeated.
    assert!(
        (1 + 2..=1 + 4).contains(&warmups),
        "{warmups} warm-up samples"
    );
    let trials = r.json()["analysis"]["bulk"].as_array().unwrap().len();
    assert_eq!(trials, 4);
}

#[test]
fn bad_flag_values_name_the_expected_form() {
    let tmp = tempfile::tempdir().unwrap();
    for (args, expect) in [
        (vec!["--sample-time", "0"], "expected a positive number"),
        (vec!["--min-runs", "5", "--max-runs", "2"], "--min-runs 5"),
        (vec!["--direction", "sideways"], "sideways"),
        (vec!["--policy", "nope"], "unknown policy `nope`"),
        (vec!["@db1"], "expected `[user@]host[:port]`"),
        (vec!["db1:99999"], "expected `[user@]host[:port]`"),
        (vec!["--sshd", "/nonexistent/sshd"], "/nonexistent/sshd"),
        (
            vec!["--ciphers", "nosuchcipher*", "--dry-run"],
            "nosuchcipher*",
        ),
        (
            vec!["--resume", "/nonexistent/log.jsonl"],
            "/nonexistent/log.jsonl",
        ),
    ] {
        let mut full = vec!["ssh", "bench"];
        full.extend(args.iter().copied());
        let r = hk(tmp.path(), &full);
        assert_eq!(r.code, Some(2), "{args:?}: {r:?}");
        assert!(r.stderr.contains(expect), "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{args:?}");
    }
    assert_clean(tmp.path());
}

#[test]
fn report_reads_seed_script_logs() {
    let tmp = tempfile::tempdir().unwrap();
    let seed = tmp.path().join("seed.log");
    std::fs::write(
        &seed,
        "1/4 cipher: aes128-ctr \t mac: hmac-sha1 \t kex: curve25519-sha256 - 6 seconds avg.\n\
         2/4 cipher: aes128-gcm@openssh.com \t mac: hmac-sha1 \t kex: curve25519-sha256 - 4 seconds avg.\n\
         3/4 cipher: 3des-cbc \t mac: hmac-md5 \t kex: curve25519-sha256 - n/a (no matching cipher found)\n",
    )
    .unwrap();
    let r = run(&crate::bin(), ["ssh", "report", seed.to_str().unwrap()]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let gcm = r.stdout.find("aes128-gcm@openssh.com").unwrap();
    let ctr = r.stdout.find("aes128-ctr").unwrap();
    assert!(gcm < ctr, "fastest first:\n{}", r.stdout);
    assert!(r.stdout.contains("failed (n/a in the log): 1"));
    let bad = run(&crate::bin(), ["ssh", "report", "/nonexistent.jsonl"]);
    assert_eq!(bad.code, Some(2));
    assert!(bad.stderr.contains("/nonexistent.jsonl"));
}

#[test]
fn sshd_dying_mid_run_is_an_error_naming_the_step_and_keeps_the_log() {
    let (tmp, log, child) = long_run("dies");
    assert!(wait_until(60.0, || sample_lines(&log) >= 3), "no samples");
    // The listener is hostkit's direct child named sshd; kill it behind hostkit's back.
    let listener: Vec<i32> = pids_with_cmdline(&tmp.path().to_string_lossy())
        .into_iter()
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == "sshd")
        })
        .filter(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, r)| r.split_whitespace().nth(1));
            ppid == Some(child.id().to_string().as_str())
        })
        .collect();
    assert_eq!(listener.len(), 1, "{listener:?}");
    // SAFETY: signalling the sshd our hostkit child started.
    unsafe { libc::kill(listener[0], libc::SIGKILL) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("private sshd"), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    let kept = sample_lines(&log);
    assert!(kept >= 3);
    let text = std::fs::read_to_string(&log).unwrap();
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert!(
        last["status"].as_str().unwrap().starts_with("failed"),
        "{last}"
    );
    assert_clean(tmp.path());
}

#[test]
fn download_direction_moves_data_server_to_client() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("down.jsonl");
    let r = hk(
        tmp.path(),
        &[
            "ssh",
            "bench",
            "--ciphers",
            "aes128-gcm@openssh.com",
            "--no-kex",
            "--direction",
            "down",
            "--min-runs",
            "2",
            "--max-runs",
            "2",
            "--sample-time",
            "0.25",
            "--format",
            "json",
            "--log",
            log.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, Some(0), "{r:?}");
    let bulk = r.json()["analysis"]["bulk"].as_array().unwrap().clone();
    assert_eq!(bulk.len(), 1);
    assert_eq!(bulk[0]["direction"], "down");
    let text = std::fs::read_to_string(&log).unwrap();
    let down: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["type"] == "sample" && v["trial"].as_str().unwrap().starts_with("bulk/down/"))
        .collect();
    assert!(!down.is_empty());
    for s in down {
        assert_eq!(s["negotiated"]["cipher_s2c"], "aes128-gcm@openssh.com");
        // The markers came back on stderr, behind the data: a window was timed.
        assert!(s["window_seconds"].as_f64().unwrap() > 0.0, "{s}");
        assert!(s["server_user_seconds"].is_number(), "{s}");
    }
    assert_clean(tmp.path());
}

#[test]
fn remote_target_resolves_the_users_config_and_a_refused_cipher_is_recorded() {
    let server = TestSshd::start(Some("aes128-ctr"));
    let target = server.target();
    let wrapper = server.ssh_wrapper();
    let wrapper = wrapper.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();

    let algos = hk(
        tmp.path(),
        &[
            "ssh", "algos", &target, "--ssh", wrapper, "--format", "json",
        ],
    );
    assert_eq!(algos.code, Some(0), "{algos:?}");
    let j = algos.json();
    assert_eq!(j["target"], target.as_str());
    assert_eq!(
        j["server"]["ciphers_c2s"],
        serde_json::json!(["aes128-ctr"])
    );

    // A plan from another server that also wants aes256-ctr, resumed against this one.
    let bulk = |c: &str| {
        serde_json::json!({"id": format!("bulk/up/{c}/hmac-sha1/curve25519-sha256"), "kind": "bulk",
            "cipher": c, "mac": "hmac-sha1", "kex": "curve25519-sha256", "direction": "up"})
    };
    let header = serde_json::json!({"type": "header", "schema": 1, "hostkit_version": "0.1.0",
        "ssh_version": "", "server_version": "", "cpu_model": "", "cpu_flags": [], "cpus": 2,
        "kernel": "", "target": target, "started_unix": 0.0, "seed": 5, "options": {},
        "trials": [{"id": "baseline/up", "kind": "baseline", "direction": "up"},
                   bulk("aes128-ctr"), bulk("aes256-ctr")]});
    let log = tmp.path().join("remote.jsonl");
    std::fs::write(&log, format!("{header}\n")).unwrap();
    let r = hk(
        tmp.path(),
        &[
            "ssh",
            "bench",
            "--resume",
            log.to_str().unwrap(),
            "--ssh",
            wrapper,
            "--min-runs",
            "2",
            "--max-runs",
            "2",
            "--sample-time",
            "0.25",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, Some(0), "{r:?}");
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let refused: Vec<&Value> = lines
        .iter()
        .filter(|l| l["type"] == "unsupported")
        .collect();
    assert_eq!(refused.len(), 1, "{text}");
    assert!(refused[0]["trial"].as_str().unwrap().contains("aes256-ctr"));
    assert!(
        refused[0]["reason"]
            .as_str()
            .unwrap()
            .contains("no matching cipher")
    );
    let measured: Vec<&Value> = lines
        .iter()
        .filter(|l| l["type"] == "sample" && l["trial"].as_str().unwrap().contains("aes128-ctr"))
        .collect();
    assert!(measured.len() >= 2);
    // Server CPU from the remote's /proc/$PPID/stat.
    assert!(
        measured
            .iter()
            .all(|s| s["server_user_seconds"].is_number())
    );
    assert_eq!(r.json()["analysis"]["bulk"].as_array().unwrap().len(), 1);
}

#[test]
fn one_allowed_cpu_is_warned_and_recorded_in_the_header() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("one-cpu.jsonl");
    // taskset(1) leaves hostkit (and so ssh and sshd) a single CPU.
    let out = Command::new("taskset")
        .args(["-c", "0"])
        .arg(crate::bin())
        .args([
            "ssh",
            "bench",
            "--ciphers",
            "aes128-ctr",
            "--macs",
            "hmac-sha1",
            "--no-kex",
            "--no-ceiling",
            "--min-runs",
            "1",
            "--max-runs",
            "1",
            "--sample-time",
            "0.1",
            "--log",
        ])
        .arg(&log)
        .env("NO_COLOR", "1")
        .env("TMPDIR", tmp.path())
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let r: Run = out.into();
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(
        r.stderr
            .contains("warning: ssh and sshd are not both pinned"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("only CPU 0"), "{}", r.stderr);
    let text = std::fs::read_to_string(&log).unwrap();
    let header: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(header["pinning"]["ssh_cpu"], Value::Null);
    assert!(
        header["pinning"]["unpinned"]
            .as_str()
            .unwrap()
            .contains("only CPU 0")
    );
    // No ceiling records with --no-ceiling.
    assert!(!text.contains("\"type\":\"ceiling\""));
    // The report says so too.
    let rep = run(&crate::bin(), ["ssh", "report", log.to_str().unwrap()]);
    assert!(rep.stdout.contains("not each pinned"), "{}", rep.stdout);
    assert_clean(tmp.path());
}
