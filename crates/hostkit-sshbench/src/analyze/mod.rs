//! Turns samples into results: bulk MB/s per trial with the fixed per-connection cost (median
//! zero-byte baseline of the same direction) removed, CPU seconds per GiB per side, handshake
//! milliseconds per kex, per-cipher/MAC/kex summaries, warnings, and the adaptive-stopping
//! decision (more samples until CI half-width <= 3 % of the median, or the trial cannot reach
//! the top-k, or `max_runs`).
//!
//! Submodules: `metric` (per-sample rates and CPU cost), `warning` ([`Warning`] and its checks),
//! `stop` ([`needs_more`]).

use std::collections::BTreeMap;

use hostkit_stats::{Summary, seed_from_str, summarize};
use serde::{Deserialize, Serialize};

use crate::plan::{Direction, TrialKind};
use crate::record::{Log, Method, Sample, Unsupported};

pub mod metric;
mod stop;
mod warning;

pub use stop::{StopRule, needs_more};
pub use warning::{
    FIXED_COST_FRACTION, HIGH_VARIANCE_REL, OUTLIER_MIN_SPREAD, WARN_TOP_ROWS, Warning,
};

/// Result of one bulk trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkResult {
    pub trial: String,
    pub cipher: String,
    /// None = AEAD (`<implicit>`).
    pub mac: Option<String>,
    pub kex: String,
    pub direction: Direction,
    /// MB/s (10^6 bytes per second): the timed window (schema 2) or after fixed-cost removal
    /// (schema 1).
    #[serde(rename = "mb_per_s", alias = "mbps")]
    pub mbps: Summary,
    #[serde(rename = "client_cpu_seconds_per_gib", alias = "client_cpu_s_per_gib")]
    pub client_cpu_s_per_gib: f64,
    #[serde(rename = "server_cpu_seconds_per_gib", alias = "server_cpu_s_per_gib")]
    pub server_cpu_s_per_gib: Option<f64>,
    pub rekeys: u32,
    /// Load-robust rate: what the busier side's CPU cost allows with one core per side,
    /// 2^30 / max(client, server CPU s/GiB) / 10^6 MB/s (client only when the server's CPU
    /// is unknown). Ranks stay meaningful when the load average exceeds the CPU count.
    #[serde(default, rename = "cpu_bound_mb_per_s", alias = "cpu_bound_mbps")]
    pub cpu_bound_mbps: Option<f64>,
    /// Single-core OpenSSL speed of the same cipher (+ MAC), MB/s, when measured.
    #[serde(default)]
    pub ceiling_mb_per_s: Option<f64>,
    /// Median rate / ceiling.
    #[serde(default)]
    pub of_ceiling: Option<f64>,
}

impl BulkResult {
    /// `cipher + mac` for tables (`aes128-gcm@openssh.com` alone for AEAD).
    pub fn label(&self) -> String {
        match &self.mac {
            Some(m) => format!("{} + {m}", self.cipher),
            None => self.cipher.clone(),
        }
    }
}

/// Handshake cost of one kex.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KexResult {
    pub kex: String,
    pub kex_only_ms: Option<Summary>,
    pub connect_ms: Option<Summary>,
    /// Median client CPU milliseconds of the kex-only samples (connect samples if none).
    pub client_cpu_ms: Option<f64>,
    pub server_cpu_ms: Option<f64>,
}

/// Median-of-medians summary for one algorithm name across the trials that use it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    pub name: String,
    pub trials: usize,
    #[serde(rename = "median_mb_per_s", alias = "median_mbps")]
    pub median_mbps: f64,
    #[serde(rename = "best_mb_per_s", alias = "best_mbps")]
    pub best_mbps: f64,
    #[serde(rename = "worst_mb_per_s", alias = "worst_mbps")]
    pub worst_mbps: f64,
}

/// Everything a report shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// Sorted by median MB/s, best first.
    pub bulk: Vec<BulkResult>,
    /// Sorted by kex-only median ms, fastest first.
    pub kex: Vec<KexResult>,
    pub by_cipher: Vec<GroupRow>,
    /// AEAD trials are left out: their MAC is implicit.
    pub by_mac: Vec<GroupRow>,
    pub by_kex: Vec<GroupRow>,
    /// Median baseline (zero-byte) wall seconds per direction.
    #[serde(rename = "fixed_cost_seconds", alias = "fixed_cost_s")]
    pub fixed_cost_s: BTreeMap<String, f64>,
    /// How the log's bulk rates were measured.
    #[serde(default)]
    pub method: Method,
    pub unsupported: Vec<Unsupported>,
    pub warnings: Vec<Warning>,
}

impl Analysis {
    /// Bulk trial ids best first (for rank agreement between runs).
    pub fn ranking(&self) -> Vec<&str> {
        self.bulk.iter().map(|b| b.trial.as_str()).collect()
    }
}

/// Analyses a log (warm-up samples ignored).
pub fn analyze(log: &Log) -> Analysis {
    let trials = metric::index(&log.header.trials);
    let samples = metric::by_trial(&log.samples);
    let fixed = metric::fixed_costs(&trials, &samples);
    let mut bulk = Vec::new();
    let mut dropped = Vec::new();
    for t in &log.header.trials {
        let TrialKind::Bulk {
            cipher,
            mac,
            kex,
            direction,
        } = &t.kind
        else {
            continue;
        };
        let ss = samples.get(t.id.as_str()).map_or(&[][..], Vec::as_slice);
        let f = fixed.get(direction);
        let rates: Vec<f64> = ss.iter().filter_map(|s| metric::rate_mbps(s, f)).collect();
        if rates.len() < ss.len() {
            dropped.push((t.id.clone(), ss.len() - rates.len()));
        }
        let Some(mbps) = summarize(&rates, seed_from_str(&t.id)) else {
            continue;
        };
        let client: Vec<f64> = ss
            .iter()
            .filter_map(|s| metric::client_cpu_per_gib(s, f))
            .collect();
        let server: Vec<f64> = ss
            .iter()
            .filter_map(|s| metric::server_cpu_per_gib(s, f))
            .collect();
        let client_cpu_s_per_gib = hostkit_stats::median(&client).unwrap_or(0.0);
        let server_cpu_s_per_gib = hostkit_stats::median(&server);
        let busiest =
            server_cpu_s_per_gib.map_or(client_cpu_s_per_gib, |s| s.max(client_cpu_s_per_gib));
        let ceiling = crate::ceiling::pair_mb_per_s(&log.ceilings, cipher, mac.as_deref());
        bulk.push(BulkResult {
            trial: t.id.clone(),
            cipher: cipher.clone(),
            mac: mac.clone(),
            kex: kex.clone(),
            direction: *direction,
            client_cpu_s_per_gib,
            server_cpu_s_per_gib,
            rekeys: ss.iter().map(|s| s.rekeys).max().unwrap_or(0),
            cpu_bound_mbps: (busiest > 0.0).then(|| metric::GIB / busiest / metric::MB),
            ceiling_mb_per_s: ceiling,
            of_ceiling: ceiling.map(|c| mbps.median / c),
            mbps,
        });
    }
    bulk.sort_by(|a, b| {
        b.mbps
            .median
            .total_cmp(&a.mbps.median)
            .then(a.trial.cmp(&b.trial))
    });
    let kex = kex_results(log, &samples);
    let warnings = warning::collect(log, &bulk, &kex, &fixed, &samples, &dropped);
    Analysis {
        by_cipher: group(&bulk, |b| Some(b.cipher.clone())),
        by_mac: group(&bulk, |b| b.mac.clone()),
        by_kex: group(&bulk, |b| Some(b.kex.clone())),
        bulk,
        kex,
        fixed_cost_s: fixed
            .iter()
            .map(|(d, f)| (d.label().to_owned(), f.wall_s))
            .collect(),
        unsupported: log.unsupported.clone(),
        warnings,
        method: log.header.method,
    }
}

/// Handshake results per kex, in first-planned order, then sorted by kex-only median.
fn kex_results(
    log: &Log,
    samples: &std::collections::HashMap<&str, Vec<&Sample>>,
) -> Vec<KexResult> {
    let mut out: Vec<KexResult> = Vec::new();
    for t in &log.header.trials {
        let (kex, is_kex_only) = match &t.kind {
            TrialKind::KexOnly { kex } => (kex, true),
            TrialKind::Connect { kex } => (kex, false),
            _ => continue,
        };
        let ss = samples.get(t.id.as_str()).map_or(&[][..], Vec::as_slice);
        let wall_ms: Vec<f64> = ss.iter().map(|s| s.wall_s * 1000.0).collect();
        let summary = summarize(&wall_ms, seed_from_str(&t.id));
        let client: Vec<f64> = ss.iter().map(|s| s.client_cpu_s() * 1000.0).collect();
        let server: Vec<f64> = ss
            .iter()
            .filter_map(|s| s.server_cpu_s())
            .map(|c| c * 1000.0)
            .collect();
        let idx = match out.iter().position(|r| &r.kex == kex) {
            Some(i) => i,
            None => {
                out.push(KexResult {
                    kex: kex.clone(),
                    kex_only_ms: None,
                    connect_ms: None,
                    client_cpu_ms: None,
                    server_cpu_ms: None,
                });
                out.len() - 1
            }
        };
        let row = &mut out[idx];
        if is_kex_only {
            row.kex_only_ms = summary;
            row.client_cpu_ms = hostkit_stats::median(&client).or(row.client_cpu_ms);
            // Server CPU comes from /proc in 10 ms ticks: a median of ticks is stuck on a
            // multiple of 10 ms, the mean of many quantised samples is not (it is unbiased).
            row.server_cpu_ms = hostkit_stats::mean(&server).or(row.server_cpu_ms);
        } else {
            row.connect_ms = summary;
            if row.kex_only_ms.is_none() {
                row.client_cpu_ms = hostkit_stats::median(&client);
                row.server_cpu_ms = hostkit_stats::mean(&server);
            }
        }
    }
    out.retain(|r| r.kex_only_ms.is_some() || r.connect_ms.is_some());
    let key = |r: &KexResult| {
        r.kex_only_ms
            .as_ref()
            .or(r.connect_ms.as_ref())
            .map_or(f64::INFINITY, |s| s.median)
    };
    out.sort_by(|a, b| key(a).total_cmp(&key(b)).then(a.kex.cmp(&b.kex)));
    out
}

/// Median, best and worst of the trial medians per name, best median first.
fn group(bulk: &[BulkResult], name: impl Fn(&BulkResult) -> Option<String>) -> Vec<GroupRow> {
    let mut groups: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for b in bulk {
        if let Some(n) = name(b) {
            groups.entry(n).or_default().push(b.mbps.median);
        }
    }
    let mut rows: Vec<GroupRow> = groups
        .into_iter()
        .map(|(name, ms)| GroupRow {
            trials: ms.len(),
            median_mbps: hostkit_stats::median(&ms).unwrap_or(0.0),
            best_mbps: ms.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            worst_mbps: ms.iter().copied().fold(f64::INFINITY, f64::min),
            name,
        })
        .collect();
    rows.sort_by(|a, b| {
        b.median_mbps
            .total_cmp(&a.median_mbps)
            .then(a.name.cmp(&b.name))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{SYNTHETIC_BULK, synthetic_log};

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    #[test]
    fn recovers_true_rates_after_fixed_cost_removal() {
        let a = analyze(&synthetic_log());
        assert_eq!(a.bulk.len(), SYNTHETIC_BULK.len());
        for (cipher, mac, rate) in SYNTHETIC_BULK {
            let r = a
                .bulk
                .iter()
                .find(|b| b.cipher == *cipher && b.mac.as_deref() == *mac)
                .unwrap();
            assert!(
                close(r.mbps.median, *rate, 0.03),
                "{}: {} vs {rate}",
                r.trial,
                r.mbps.median
            );
            assert!(r.mbps.ci_low <= r.mbps.median && r.mbps.median <= r.mbps.ci_high);
            assert_eq!(r.mbps.n, 5, "warm-up ignored");
        }
        assert!(close(a.fixed_cost_s["up"], 0.25, 0.03));
    }

    #[test]
    fn sorted_best_first_and_cpu_per_gib() {
        let a = analyze(&synthetic_log());
        let medians: Vec<f64> = a.bulk.iter().map(|b| b.mbps.median).collect();
        assert!(medians.windows(2).all(|w| w[0] >= w[1]), "{medians:?}");
        assert_eq!(a.bulk[0].cipher, "aes128-gcm@openssh.com");
        assert_eq!(a.bulk[0].label(), "aes128-gcm@openssh.com");
        assert_eq!(a.ranking()[0], a.bulk[0].trial);
        // Synthetic client CPU = 0.03 s + 0.5 s per second of transfer; the 0.03 s baseline is
        // removed, so the cost per GiB falls as the rate rises. The server costs 1.5x.
        for b in &a.bulk {
            let (_, _, rate) = SYNTHETIC_BULK
                .iter()
                .find(|(c, m, _)| *c == b.cipher && *m == b.mac.as_deref())
                .unwrap();
            let expect = 0.5 * metric::GIB / (rate * 1e6);
            assert!(
                close(b.client_cpu_s_per_gib, expect, 1e-6),
                "{}",
                b.client_cpu_s_per_gib
            );
            assert!(close(b.server_cpu_s_per_gib.unwrap(), expect * 1.5, 1e-6));
            let bound = metric::GIB / (expect * 1.5) / metric::MB;
            assert!(close(b.cpu_bound_mbps.unwrap(), bound, 1e-6));
        }
    }

    #[test]
    fn group_rows() {
        let a = analyze(&synthetic_log());
        let ctr = a.by_cipher.iter().find(|g| g.name == "aes128-ctr").unwrap();
        assert_eq!(ctr.trials, 3);
        assert!(close(ctr.median_mbps, 314.0, 0.03) && ctr.best_mbps >= ctr.median_mbps);
        assert!(close(ctr.worst_mbps, 233.0, 0.03));
        assert!(
            a.by_mac.iter().all(|g| g.name != "<implicit>"),
            "AEAD has no MAC row"
        );
        assert_eq!(a.by_mac.len(), 4);
        assert_eq!(a.by_kex.len(), 1);
        assert_eq!(a.by_cipher[0].name, "aes128-gcm@openssh.com");
    }

    #[test]
    fn kex_rows_sorted_fastest_first() {
        let a = analyze(&synthetic_log());
        let names: Vec<&str> = a.kex.iter().map(|k| k.kex.as_str()).collect();
        assert_eq!(
            names,
            [
                "ecdh-sha2-nistp256",
                "curve25519-sha256",
                "sntrup761x25519-sha512"
            ]
        );
        let k = &a.kex[0];
        assert!(close(k.kex_only_ms.as_ref().unwrap().median, 104.0, 0.03));
        assert!(close(k.connect_ms.as_ref().unwrap().median, 420.0, 0.03));
        assert!(close(k.client_cpu_ms.unwrap(), 20.0, 1e-9));
        assert!(close(k.server_cpu_ms.unwrap(), 30.0, 1e-9));
    }

    #[test]
    fn warnings_found() {
        let a = analyze(&synthetic_log());
        let has = |f: &dyn Fn(&Warning) -> bool| a.warnings.iter().any(f);
        assert!(has(
            &|w| matches!(w, Warning::LoadAboveCores { cpus: 2, max_load1 } if *max_load1 == 3.4)
        ));
        assert!(has(
            &|w| matches!(w, Warning::Rekey { trial, rekeys: 1 } if trial.contains("3des"))
        ));
        assert!(has(
            &|w| matches!(w, Warning::Outliers { trial, count: 1 } if trial.contains("chacha20"))
        ));
        assert!(!has(&|w| matches!(w, Warning::NoBaseline { .. })));
        assert!(!has(&|w| matches!(w, Warning::FixedCostLarge { .. })));
        for w in &a.warnings {
            let m = w.message();
            assert!(!m.ends_with('.'), "{m}");
        }
        assert_eq!(a.unsupported.len(), 1);
    }

    #[test]
    fn missing_baseline_and_short_samples() {
        let mut log = synthetic_log();
        log.samples.retain(|s| s.trial != "baseline/up");
        let a = analyze(&log);
        assert!(a.warnings.contains(&Warning::NoBaseline {
            direction: Direction::Up
        }));
        assert!(a.fixed_cost_s.is_empty());
        // Without the baseline the fixed cost counts as transfer time: rates drop by ~20 %.
        assert!(close(a.bulk[0].mbps.median, 391.0 / 1.25, 0.03));

        let mut log = synthetic_log();
        for s in log.samples.iter_mut().filter(|s| s.trial.contains("3des")) {
            s.measured.wall_s = 0.1;
        }
        let a = analyze(&log);
        assert!(a.bulk.iter().all(|b| !b.cipher.contains("3des")));
        assert!(
            a.warnings
                .iter()
                .any(|w| matches!(w, Warning::DroppedSamples { count: 5, .. }))
        );
        assert_eq!(a.bulk.len(), SYNTHETIC_BULK.len() - 1);
    }

    #[test]
    fn uncertain_fixed_cost_is_flagged() {
        let mut log = synthetic_log();
        let walls = [0.05, 0.45, 0.25, 0.5, 0.1];
        for (s, w) in log
            .samples
            .iter_mut()
            .filter(|s| s.trial == "baseline/up")
            .zip(walls)
        {
            s.measured.wall_s = w;
        }
        let a = analyze(&log);
        let w = a
            .warnings
            .iter()
            .find_map(|w| match w {
                Warning::FixedCostLarge {
                    direction,
                    fraction,
                } => Some((*direction, *fraction)),
                _ => None,
            })
            .expect("fixed-cost warning");
        assert_eq!(w.0, Direction::Up);
        assert!(w.1 > 0.05 && w.1 < 0.5, "{}", w.1);
        assert!(
            Warning::FixedCostLarge {
                direction: w.0,
                fraction: w.1
            }
            .message()
            .contains("`--sample-time`")
        );
    }

    #[test]
    fn empty_log_gives_empty_analysis() {
        let mut log = synthetic_log();
        log.samples.clear();
        let a = analyze(&log);
        assert!(a.bulk.is_empty() && a.kex.is_empty() && a.by_cipher.is_empty());
        assert!(a.warnings.is_empty());
    }

    #[test]
    fn json_shape_is_stable() {
        let a = analyze(&synthetic_log());
        let v = serde_json::to_value(&a).unwrap();
        assert!(v["bulk"][0]["mb_per_s"]["ci_low"].is_f64());
        assert!(v["bulk"][0]["client_cpu_seconds_per_gib"].is_f64());
        assert_eq!(v["method"], "fixed-cost");
        assert_eq!(v["warnings"][0]["kind"], "load_above_cores");
        let back: Analysis = serde_json::from_value(v).unwrap();
        assert_eq!(back, a);
    }

    mod stopping {
        use super::*;
        use crate::plan::Trial;

        fn rule() -> StopRule {
            StopRule {
                min_runs: 3,
                max_runs: 10,
                target_rel_ci: 0.03,
                top_k: 2,
            }
        }

        #[test]
        fn tight_synthetic_trials_are_done_after_min_runs() {
            let log = synthetic_log();
            let more = needs_more(&log.samples, &log.header.trials, &rule());
            // ±2 % noise with 5 samples: CI within 3 % except the chacha20 trial with its outlier.
            assert!(more.iter().all(|id| id.contains("chacha20")), "{more:?}");
        }

        #[test]
        fn fewer_than_min_runs_needs_more() {
            let log = synthetic_log();
            let few: Vec<Sample> = log
                .samples
                .iter()
                .filter(|s| s.round < 2)
                .cloned()
                .collect();
            let more = needs_more(&few, &log.header.trials, &rule());
            assert_eq!(more.len(), log.header.trials.len());
            let none = needs_more(&[], &log.header.trials, &rule());
            assert_eq!(none.len(), log.header.trials.len());
        }

        fn noisy(trial: &Trial, rate: f64, n: u32) -> Vec<Sample> {
            let mut log = synthetic_log();
            let mut base = log.samples.remove(1);
            base.trial = trial.id.clone();
            (0..n)
                .map(|i| {
                    let f = if i % 2 == 0 { 0.8 } else { 1.2 };
                    let mut s = Sample {
                        round: i,
                        ..base.clone()
                    };
                    s.measured.bytes = (rate * f * 1e6) as u64;
                    s.measured.wall_s = 1.0;
                    s
                })
                .collect()
        }

        #[test]
        fn noisy_trials_continue_unless_out_of_reach_or_at_max() {
            let log = synthetic_log();
            let trials = &log.header.trials;
            let mut samples: Vec<Sample> = log.samples.clone();
            // Make the 3des trial noisy (±20 %) but hopelessly slow, and one fast trial noisy.
            samples.retain(|s| !s.trial.contains("3des") && !s.trial.contains("aes256-gcm"));
            let des = trials.iter().find(|t| t.id.contains("3des")).unwrap();
            let gcm = trials.iter().find(|t| t.id.contains("aes256-gcm")).unwrap();
            samples.extend(noisy(des, 8.0, 6));
            samples.extend(noisy(gcm, 376.0, 6));
            let more = needs_more(&samples, trials, &rule());
            assert!(
                !more.contains(&des.id),
                "3des cannot reach the top 2: {more:?}"
            );
            assert!(
                more.contains(&gcm.id),
                "aes256-gcm is a top-2 contender: {more:?}"
            );
            samples.retain(|s| s.trial != gcm.id);
            samples.extend(noisy(gcm, 376.0, 10));
            assert!(
                !needs_more(&samples, trials, &rule()).contains(&gcm.id),
                "max_runs reached"
            );
        }

        #[test]
        fn slow_noisy_kex_is_eliminated_lower_is_better() {
            let log = synthetic_log();
            let trials = &log.header.trials;
            let mut samples = log.samples.clone();
            for (i, s) in samples
                .iter_mut()
                .filter(|s| s.trial == "kex/sntrup761x25519-sha512")
                .enumerate()
            {
                s.measured.wall_s *= if i % 2 == 0 { 0.85 } else { 1.15 };
            }
            let r = StopRule { top_k: 1, ..rule() };
            assert!(
                !needs_more(&samples, trials, &r)
                    .contains(&"kex/sntrup761x25519-sha512".to_owned())
            );
            let r = StopRule { top_k: 5, ..rule() };
            assert!(
                needs_more(&samples, trials, &r).contains(&"kex/sntrup761x25519-sha512".to_owned())
            );
        }
    }
}
