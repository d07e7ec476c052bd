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

/// Runs hostkit with TMPDIR and the working directory set to `tmp`.
pub fn hk(tmp: &Path, args: &[&str]) -> Run {
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

    // `--output FILE` takes the rendered plan; stdout stays empty.
    let plan = tmp.path().join("plan.txt");
    let to_file = hk(
        tmp.path(),
        &[
            "ssh",
            "bench",
            "--dry-run",
            "--ciphers",
            "aes128-gcm*",
            "--output",
            plan.to_str().unwrap(),
        ],
    );
    assert_eq!(to_file.code, Some(0), "{to_file:?}");
    assert!(to_file.stdout.is_empty(), "{to_file:?}");
    assert_eq!(std::fs::read_to_string(&plan).unwrap(), text.stdout);
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
            // The warm-up's real duration, from the transfer's first marker.
            assert!(s["warmup_seconds"].as_f64().unwrap() > 0.0, "{s}");
            assert!(
                s["server_user_seconds"].is_number(),
                "server CPU missing: {s}"
            );
        }
    }
    // Consecutive bulk samples against the private sshd use connections set up ahead.
    let ahead = samples
        .iter()
        .filter(|s| s["connected_ahead"] == true)
        .count();
    assert!(ahead >= 2, "no connection was set up ahead");
    assert!(
        samples
            .iter()
            .filter(|s| s["connected_ahead"] == true)
            .all(|s| s["trial"].as_str().unwrap().starts_with("bulk/")),
        "only bulk samples are set up ahead"
    );
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
    assert_eq!(rank(&rep.json()["runs"][0]), ranked);
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
    // A recommendation from whole seconds, said to be coarse, hmac-sha1 rejected by hardened.
    assert!(
        r.stdout.contains("policy (coarse: from whole seconds)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("Ciphers aes128-gcm@openssh.com"));
    let j = run(
        &crate::bin(),
        ["ssh", "report", seed.to_str().unwrap(), "--format", "json"],
    );
    let rec = &j.json()["seed_logs"][0]["recommendation"];
    assert_eq!(rec["coarse"], true);
    assert_eq!(rec["complete"], false);
    assert_report_documented(&j.json());
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
        let window = s["window_seconds"].as_f64().unwrap();
        assert!(window > 0.0, "{s}");
        // and, just before it, the restart segment (about a tenth of the window's bytes),
        // timed by a fourth marker: shorter than the window, in bytes and in seconds.
        let (n, restart) = (
            s["bytes"].as_u64().unwrap(),
            s["restart_bytes"].as_u64().unwrap(),
        );
        assert!(restart > 0 && restart <= n / 2, "{s}");
        let restart_s = s["restart_seconds"].as_f64().unwrap();
        assert!(restart_s > 0.0 && restart_s < window, "{s}");
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

/// Checks an `ssh report` document: each run's `analysis` and `recommendation` against
/// docs/ssh-bench.md (they are `ssh bench`'s), everything else against docs/ssh.md.
fn assert_report_documented(v: &Value) {
    let mut rest = v.clone();
    for key in ["runs", "seed_logs"] {
        for item in rest[key].as_array_mut().into_iter().flatten() {
            for inner in ["analysis", "recommendation"] {
                if let Some(x) = item.get(inner).filter(|x| !x.is_null()) {
                    crate::docs::assert_documented("ssh-bench.md", x);
                }
                if let Some(o) = item.as_object_mut() {
                    o.insert(inner.into(), Value::Null);
                }
            }
        }
    }
    crate::docs::assert_documented("ssh.md", &rest);
}

/// Sshd lines of ssh-audit's hardened OpenSSH 9.2 guide (what `--policy hardened` allows).
const HARDENED_SSHD: &str = "KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha256\n\
Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr\n\
MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,umac-128-etm@openssh.com\n\
HostKeyAlgorithms ssh-ed25519\n";

#[test]
fn algos_policy_gate_fails_a_default_sshd_and_passes_a_hardened_one() {
    let tmp = tempfile::tempdir().unwrap();
    let default = TestSshd::start_with("");
    let hardened = TestSshd::start_with(HARDENED_SSHD);
    let gate = |server: &TestSshd, policy: &str, format: &str| {
        let target = server.target();
        let wrapper = server.ssh_wrapper();
        hk(
            tmp.path(),
            &[
                "ssh",
                "algos",
                &target,
                "--ssh",
                wrapper.to_str().unwrap(),
                "--policy",
                policy,
                "--format",
                format,
            ],
        )
    };
    let r = gate(&default, "hardened", "table");
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(
        r.stdout.contains("policy `hardened`: FAILED"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("REJECTED"));
    // OpenSSH's defaults include NIST ECDH and SHA-1 / UMAC-64 MACs, which hardened rejects.
    assert!(r.stdout.contains("ecdh-sha2-nistp256"), "{}", r.stdout);
    let j = gate(&default, "hardened", "json");
    assert_eq!(j.code, Some(1), "{j:?}");
    let v = j.json();
    assert_eq!(v["policy"]["passed"], false);
    let verdicts = v["policy"]["verdicts"].as_array().unwrap();
    let verdict = |name: &str| {
        verdicts
            .iter()
            .find(|x| x["name"] == name)
            .map(|x| x["allowed"].as_bool().unwrap())
    };
    assert_eq!(verdict("hmac-sha1"), Some(false));
    assert_eq!(verdict("aes128-gcm@openssh.com"), Some(true));
    crate::docs::assert_documented("ssh.md", &v);

    let ok = gate(&hardened, "hardened", "table");
    assert_eq!(ok.code, Some(0), "{ok:?}");
    assert!(
        ok.stdout.contains("policy `hardened`: passed"),
        "{}",
        ok.stdout
    );
    // `all` passes the default server; a policy file that allows only chacha20 fails it.
    assert_eq!(gate(&default, "all", "table").code, Some(0));
    let file = tmp.path().join("chacha.policy");
    std::fs::write(
        &file,
        "# one cipher\nCiphers chacha20-poly1305@openssh.com\n",
    )
    .unwrap();
    let f = gate(&default, file.to_str().unwrap(), "json");
    assert_eq!(f.code, Some(1), "{f:?}");
    assert_eq!(f.json()["policy"]["name"], "chacha");
    // Bad policy values are usage errors naming what is expected.
    let bad = gate(&default, "good-enough", "table");
    assert_eq!(bad.code, Some(2), "{bad:?}");
    assert!(
        bad.stderr.contains("expected one of `hardened`"),
        "{}",
        bad.stderr
    );
    std::fs::write(&file, "Cipher aes128-ctr\n").unwrap();
    let bad = gate(&default, file.to_str().unwrap(), "table");
    assert_eq!(bad.code, Some(2), "{bad:?}");
    assert!(
        bad.stderr.contains("line 1: unknown keyword `Cipher`"),
        "{}",
        bad.stderr
    );
}

/// A small filtered bench against the private sshd; returns its log path.
fn filtered_bench(tmp: &Path, name: &str, style: &str) -> (std::path::PathBuf, Value) {
    let log = tmp.join(name);
    let r = hk(
        tmp,
        &[
            "ssh",
            "bench",
            "--ciphers",
            "aes128-gcm@openssh.com",
            "--kex",
            "curve25519-sha256",
            "--min-runs",
            "2",
            "--max-runs",
            "2",
            "--sample-time",
            "0.1",
            "--style",
            style,
            "--out",
            log.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, Some(0), "{r:?}");
    (log, r.json())
}

/// Writes an ssh_config: the test server's connection block, then `recommendation` as pasted.
fn pasted_config(dir: &Path, server: &TestSshd, recommendation: &str) -> std::path::PathBuf {
    let d = server.dir.path().display();
    let cfg = format!(
        "Host testsshd\n    HostName 127.0.0.1\n    Port {}\n    IdentityFile {d}/key\n    IdentitiesOnly yes\n    UserKnownHostsFile {d}/known_hosts\n    StrictHostKeyChecking yes\n    BatchMode yes\n\n{recommendation}\n",
        server.port
    );
    let path = dir.join("ssh_config");
    std::fs::write(&path, cfg).unwrap();
    path
}

#[test]
fn filtered_runs_recommendation_pasted_into_a_fresh_config_connects_to_a_default_sshd() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, exact) = filtered_bench(tmp.path(), "exact.jsonl", "exact");
    let rec = &exact["recommendation"];
    let ssh_config = rec["ssh_config"].as_str().unwrap();
    // Not narrowed to the one measured cipher and kex: everything hardened allows that both
    // sides support, the post-quantum kex first with its handshake cost stated.
    let ciphers: Vec<String> = serde_json::from_value(rec["ciphers"].clone()).unwrap();
    assert!(ciphers.len() >= 5, "{ciphers:?}");
    let kex: Vec<String> = serde_json::from_value(rec["kex_algorithms"].clone()).unwrap();
    assert!(kex[0].starts_with("sntrup761x25519-sha512"), "{kex:?}");
    assert!(kex.contains(&"curve25519-sha256".to_owned()));
    assert_eq!(rec["complete"], true);
    assert!(ssh_config.contains("first (post-quantum)"), "{ssh_config}");
    assert!(!ssh_config.contains("ecdh-sha2") && !ssh_config.contains("hmac-sha1"));

    // A server with OpenSSH's defaults, offering nothing only the bench knew about.
    let server = TestSshd::start_with("");
    for (style, cfg_text) in [
        ("exact", ssh_config.to_owned()),
        ("prepend", {
            let (_, j) = filtered_bench(tmp.path(), "prepend.jsonl", "prepend");
            j["recommendation"]["ssh_config"]
                .as_str()
                .unwrap()
                .to_owned()
        }),
    ] {
        let cfg = pasted_config(tmp.path(), &server, &cfg_text);
        let out = Command::new("ssh")
            .arg("-F")
            .arg(&cfg)
            .args(["-o", "LogLevel=DEBUG1", "testsshd", "true"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{style}: {err}\n{cfg_text}");
        // The negotiated kex is the post-quantum one the recommendation put first.
        assert!(
            err.contains("kex: algorithm: sntrup761x25519-sha512"),
            "{style}: {err}"
        );
    }
}

/// Share of pixels of a PNG that are not white, via python3's zlib (PNG filters undone).
fn non_white_share(png: &Path) -> f64 {
    const SCRIPT: &str = r#"
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n'
pos, idat, w, h, bpp = 8, b'', 0, 0, 0
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b'IHDR':
        w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
        bpp = {2: 3, 6: 4, 0: 1, 4: 2}[ctype]
    elif kind == b'IDAT':
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
other = 0
i = 0
for _ in range(h):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        if min(line[x:x + 3]) < 240:
            other += 1
    prev = line
print(other / (w * h))
"#;
    let out = Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(png)
        .output()
        .expect("python3 (scripts/install-deps)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

#[test]
fn report_compares_real_logs_merges_hosts_and_renders_charts_that_are_not_blank() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _) = filtered_bench(tmp.path(), "a.jsonl", "exact");
    let (b, _) = filtered_bench(tmp.path(), "b.jsonl", "exact");
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());

    let cmp = hk(
        tmp.path(),
        &["ssh", "report", "--compare", a, b, "--format", "json"],
    );
    assert_eq!(cmp.code, Some(0), "{cmp:?}");
    crate::docs::assert_documented("ssh.md", &cmp.json());
    let rows = cmp.json()["comparison"]["rows"].as_array().unwrap().clone();
    assert!(
        rows.iter()
            .any(|r| r["kind"] == "bulk" && r["name"] == "aes128-gcm@openssh.com")
    );
    assert!(rows.iter().any(|r| r["kind"] == "kex-only"));
    for r in &rows {
        let v = r["verdict"].as_str().unwrap();
        assert!(["faster", "slower", "tied"].contains(&v), "{r}");
        let (lo, hi) = (
            r["ratio_low"].as_f64().unwrap(),
            r["ratio_high"].as_f64().unwrap(),
        );
        assert_eq!(v == "tied", lo <= 1.0 && 1.0 <= hi, "{r}");
    }
    let table = hk(tmp.path(), &["ssh", "report", "--compare", a, b]);
    assert!(table.stdout.contains("B IS"), "{table:?}");

    // Same host, same plan: merged into one run with both logs' samples.
    let merged = hk(tmp.path(), &["ssh", "report", a, b, "--format", "json"]);
    assert_eq!(merged.code, Some(0), "{merged:?}");
    assert_report_documented(&merged.json());
    let runs = merged.json()["runs"].as_array().unwrap().clone();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["logs"].as_array().unwrap().len(), 2);
    assert_eq!(runs[0]["analysis"]["bulk"][0]["mb_per_s"]["n"], 4);
    // Another host's log: one table with a HOST column.
    let text = std::fs::read_to_string(b).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut header: Value = serde_json::from_str(&lines[0]).unwrap();
    header["hostname"] = "db7.example".into();
    lines[0] = header.to_string();
    let other = tmp.path().join("db7.jsonl");
    std::fs::write(&other, lines.join("\n") + "\n").unwrap();
    let fleet = hk(tmp.path(), &["ssh", "report", a, other.to_str().unwrap()]);
    assert_eq!(fleet.code, Some(0), "{fleet:?}");
    assert!(fleet.stdout.contains("HOST"), "{}", fleet.stdout);
    assert!(fleet.stdout.contains("db7.example"));
    // `-` reads stdin; `--out` is still accepted for `--output`.
    let piped = Command::new(crate::bin())
        .args(["ssh", "report", "-", "--format", "json", "--out", "-"])
        .stdin(std::fs::File::open(a).unwrap())
        .output()
        .unwrap();
    assert!(piped.status.success(), "{piped:?}");
    assert!(String::from_utf8_lossy(&piped.stdout).contains("\"runs\""));

    // Charts: SVG rendered to PNG is not blank; the HTML page carries tables and charts.
    let svg = tmp.path().join("chart.svg");
    let r = hk(
        tmp.path(),
        &[
            "ssh",
            "report",
            a,
            "--format",
            "svg",
            "--output",
            svg.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, Some(0), "{r:?}");
    let png = tmp.path().join("chart.png");
    let ok = Command::new("rsvg-convert")
        .arg(&svg)
        .arg("-o")
        .arg(&png)
        .status()
        .expect("rsvg-convert (librsvg2-bin, scripts/install-deps)");
    assert!(ok.success());
    let share = non_white_share(&png);
    assert!(share > 0.02 && share < 0.6, "non-white share {share}");
    let html = hk(tmp.path(), &["ssh", "report", a, "--format", "html"]);
    assert_eq!(html.code, Some(0), "{html:?}");
    assert!(html.stdout.starts_with("<!DOCTYPE html>"));
    assert!(html.stdout.contains("<table>") && html.stdout.contains("<svg"));
    assert_clean(tmp.path());
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
