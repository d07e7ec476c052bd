//! Many logs as one report: logs of the same host with the same plan are merged into one run
//! (their samples pooled), logs of different hosts stay separate runs with a host label, and
//! the seed script's logs become an analysis (coarse: whole seconds) so they get a
//! recommendation too.

use hostkit_stats::Summary;

use crate::analyze::{Analysis, BulkResult, analyze};
use crate::plan::{Direction, IMPLICIT_MAC};
use crate::record::Log;

use super::SeedRow;

/// One host's merged logs.
#[derive(Debug, Clone)]
pub struct Run {
    /// Host label: the remote target, else the bench machine's hostname, else the file name.
    pub host: String,
    /// Names of the logs merged into this run.
    pub sources: Vec<String>,
    pub log: Log,
}

/// The label a log is reported under: a remote target as given, else the bench machine's
/// hostname, else the target (`private-sshd`, logs of older versions) or `fallback`.
pub fn host_label(log: &Log, fallback: &str) -> String {
    let h = &log.header;
    if h.target != "private-sshd" && !h.target.is_empty() {
        return h.target.clone();
    }
    h.hostname
        .clone()
        .filter(|n| !n.is_empty())
        .or_else(|| Some(h.target.clone()).filter(|t| !t.is_empty()))
        .unwrap_or_else(|| fallback.to_owned())
}

/// Groups `(name, log)` pairs: same host label and same trial list merge (samples and
/// unsupported records pooled, first header kept); otherwise a new run. Runs keep first-seen
/// order; a host measured with two different plans appears twice, the second labelled `#2`.
pub fn merge(logs: Vec<(String, Log)>) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    for (name, log) in logs {
        let host = host_label(&log, &name);
        match runs.iter_mut().find(|r| {
            r.host.split(" #").next() == Some(host.as_str())
                && r.log.header.trials == log.header.trials
        }) {
            Some(r) => {
                r.sources.push(name);
                r.log.samples.extend(log.samples);
                r.log.unsupported.extend(log.unsupported);
                r.log.end = log.end.or(r.log.end.take());
                if r.log.header.negotiable.is_none() {
                    r.log.header.negotiable = log.header.negotiable;
                }
            }
            None => {
                let same_host = runs
                    .iter()
                    .filter(|r| r.host.split(" #").next() == Some(host.as_str()))
                    .count();
                let host = if same_host == 0 {
                    host
                } else {
                    format!("{host} #{}", same_host + 1)
                };
                runs.push(Run {
                    host,
                    sources: vec![name],
                    log,
                });
            }
        }
    }
    runs
}

/// The seed log as an analysis: one bulk row per cipher x MAC (median over its kex rows), the
/// "rate" in runs per second (1 / seconds) with the interval the truncation to whole seconds
/// leaves ([1/(s+1), 1/s]); handshakes are not measured separately by the seed script.
pub fn seed_analysis(rows: &[SeedRow]) -> Analysis {
    let mut base = analyze(&empty_log());
    let mut combos: Vec<(String, String, Vec<f64>, String)> = Vec::new();
    for r in rows {
        let Some(s) = r.seconds else { continue };
        let aead =
            crate::algos::is_known_aead(&r.cipher) || r.mac.is_empty() || r.mac == IMPLICIT_MAC;
        let mac = if aead { String::new() } else { r.mac.clone() };
        match combos.iter_mut().find(|c| c.0 == r.cipher && c.1 == mac) {
            Some(c) => c.2.push(s),
            None => combos.push((r.cipher.clone(), mac, vec![s], r.kex.clone())),
        }
    }
    for (cipher, mac, secs, kex) in combos {
        let s = hostkit_stats::median(&secs).unwrap_or(0.0);
        let rate = |x: f64| 1.0 / x.max(0.1);
        let aead = mac.is_empty();
        let summary = Summary {
            n: secs.len(),
            median: rate(s + 0.5),
            mean: rate(s + 0.5),
            stddev: 0.0,
            min: rate(s + 1.0),
            max: rate(s),
            mad: 0.0,
            ci_low: rate(s + 1.0),
            ci_high: rate(s),
            outliers: vec![],
        };
        let mac = (!aead).then_some(mac);
        base.bulk.push(BulkResult {
            trial: format!(
                "bulk/up/{cipher}/{}/{kex}",
                mac.as_deref().unwrap_or("implicit")
            ),
            cipher,
            mac,
            kex,
            direction: Direction::Up,
            mbps: summary,
            client_cpu_s_per_gib: 0.0,
            server_cpu_s_per_gib: None,
            rekeys: 0,
            cpu_bound_mbps: None,
            ceiling_mb_per_s: None,
            of_ceiling: None,
        });
    }
    base.bulk.sort_by(|a, b| {
        b.mbps
            .median
            .total_cmp(&a.mbps.median)
            .then(a.trial.cmp(&b.trial))
    });
    base
}

fn empty_log() -> Log {
    Log {
        header: crate::record::Header {
            schema: crate::record::SCHEMA,
            hostkit_version: String::new(),
            ssh_version: String::new(),
            server_version: String::new(),
            cpu_model: String::new(),
            cpu_flags: vec![],
            cpus: 0,
            kernel: String::new(),
            target: String::new(),
            started_unix: 0.0,
            seed: 0,
            options: serde_json::Value::Null,
            trials: vec![],
            method: crate::record::Method::default(),
            pinning: crate::record::Pinning::default(),
            hostname: None,
            negotiable: None,
        },
        samples: vec![],
        ceilings: vec![],
        unsupported: vec![],
        end: None,
        torn_tail: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::synthetic_log;

    #[test]
    fn same_host_same_plan_merges_other_hosts_stay_apart() {
        let a = synthetic_log();
        let mut b = synthetic_log();
        b.header.hostname = Some("web2".into());
        let mut c = synthetic_log();
        c.header.trials.pop();
        let runs = merge(vec![
            ("a.jsonl".into(), a.clone()),
            ("a2.jsonl".into(), a.clone()),
            ("b.jsonl".into(), b),
            ("c.jsonl".into(), c),
        ]);
        assert_eq!(
            runs.len(),
            3,
            "{:?}",
            runs.iter().map(|r| &r.host).collect::<Vec<_>>()
        );
        assert_eq!(runs[0].host, "private-sshd", "no hostname: the target");
        assert_eq!(runs[0].sources, vec!["a.jsonl", "a2.jsonl"]);
        assert_eq!(runs[0].log.samples.len(), 2 * a.samples.len());
        assert_eq!(runs[1].host, "web2");
        // c has a different plan: its own run, numbered.
        assert_eq!(runs[2].sources, vec!["c.jsonl"]);
        assert_eq!(runs[2].host, "private-sshd #2");
        let mut remote = synthetic_log();
        remote.header.target = "admin@db1:2222".into();
        assert_eq!(host_label(&remote, "x"), "admin@db1:2222");
    }

    #[test]
    fn seed_rows_become_coarse_rates_with_truncation_intervals() {
        let row = |c: &str, m: &str, s: Option<f64>| SeedRow {
            cipher: c.into(),
            mac: m.into(),
            kex: "curve25519-sha256".into(),
            seconds: s,
            failure: None,
        };
        let a = seed_analysis(&[
            row("aes128-ctr", "hmac-sha1", Some(6.0)),
            row("aes128-gcm@openssh.com", "hmac-sha1", Some(4.0)),
            row("aes128-gcm@openssh.com", "hmac-md5", Some(4.0)),
            row("3des-cbc", "hmac-md5", None),
        ]);
        assert_eq!(a.bulk.len(), 2, "AEAD once, failures dropped");
        assert_eq!(a.bulk[0].cipher, "aes128-gcm@openssh.com");
        assert_eq!(a.bulk[0].mac, None);
        assert_eq!(a.bulk[0].mbps.n, 2);
        assert!(
            (a.bulk[0].mbps.ci_low - 0.2).abs() < 1e-9
                && (a.bulk[0].mbps.ci_high - 0.25).abs() < 1e-9
        );
        assert_eq!(a.bulk[1].mac.as_deref(), Some("hmac-sha1"));
    }
}
