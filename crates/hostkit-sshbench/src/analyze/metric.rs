//! Per-sample derived quantities shared by the analysis and the stopping rule: the fixed
//! per-connection cost of each direction (median of the zero-byte baseline samples) and a bulk
//! sample's rate and CPU cost with that fixed cost removed.
//!
//! Schema 2 samples carry their own timed window: rate = bytes / window / 10^6 (MB/s).
//! Schema 1 samples: rate = bytes / (wall - fixed wall) / 10^6 (biased low for fast ciphers).
//! CPU = (cpu - fixed cpu) / (all payload bytes / 2^30) seconds per GiB, clamped at 0. A sample
//! not longer than the fixed cost carries no rate.

use std::collections::{BTreeMap, HashMap};

use crate::plan::{Direction, Trial, TrialKind};
use crate::record::Sample;

/// A timed window shorter than this carries no rate: both marker lines arrived in one read
/// (hostkit or ssh was not scheduled in between on a loaded machine), so the window measured
/// scheduling, not the transfer. Such samples are left out and counted in a warning.
pub const MIN_WINDOW_S: f64 = 1e-3;

/// Bytes per GiB.
pub const GIB: f64 = 1_073_741_824.0;
/// Bytes per MB (rates are decimal MB/s, like ssh's own and the seed's figures).
pub const MB: f64 = 1_000_000.0;

/// Median cost of a zero-byte transfer in one direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixedCost {
    pub wall_s: f64,
    pub client_cpu_s: f64,
    pub server_cpu_s: Option<f64>,
}

/// Trials by id.
pub fn index(trials: &[Trial]) -> HashMap<&str, &TrialKind> {
    trials.iter().map(|t| (t.id.as_str(), &t.kind)).collect()
}

/// Non-warm-up samples grouped by trial id (log order kept inside each group).
pub fn by_trial(samples: &[Sample]) -> HashMap<&str, Vec<&Sample>> {
    let mut map: HashMap<&str, Vec<&Sample>> = HashMap::new();
    for s in samples.iter().filter(|s| !s.warmup) {
        map.entry(s.trial.as_str()).or_default().push(s);
    }
    map
}

fn median(xs: &[f64]) -> Option<f64> {
    hostkit_stats::median(xs)
}

/// Fixed cost per direction from the baseline trials' samples.
pub fn fixed_costs(
    trials: &HashMap<&str, &TrialKind>,
    samples: &HashMap<&str, Vec<&Sample>>,
) -> BTreeMap<Direction, FixedCost> {
    let mut out = BTreeMap::new();
    for (id, kind) in trials {
        let TrialKind::Baseline { direction } = kind else {
            continue;
        };
        let Some(ss) = samples.get(id).filter(|s| !s.is_empty()) else {
            continue;
        };
        let wall: Vec<f64> = ss.iter().map(|s| s.wall_s).collect();
        let client: Vec<f64> = ss.iter().map(|s| s.client_cpu_s()).collect();
        let server: Vec<f64> = ss.iter().filter_map(|s| s.server_cpu_s()).collect();
        if let (Some(wall_s), Some(client_cpu_s)) = (median(&wall), median(&client)) {
            out.insert(
                *direction,
                FixedCost {
                    wall_s,
                    client_cpu_s,
                    server_cpu_s: median(&server),
                },
            );
        }
    }
    out
}

/// MB/s of a bulk sample with the fixed cost removed; `None` when it carries no rate.
pub fn rate_mbps(sample: &Sample, fixed: Option<&FixedCost>) -> Option<f64> {
    let (bytes, secs) = match sample.timed() {
        Some((_, w)) if w < MIN_WINDOW_S => return None,
        Some(timed) => timed,
        None => (
            sample.bytes,
            sample.wall_s - fixed.map_or(0.0, |f| f.wall_s),
        ),
    };
    (bytes > 0 && secs > 0.0 && secs.is_finite()).then(|| bytes as f64 / secs / MB)
}

/// Client CPU seconds per GiB with the fixed cost removed.
pub fn client_cpu_per_gib(sample: &Sample, fixed: Option<&FixedCost>) -> Option<f64> {
    let cpu = sample.client_cpu_s() - fixed.map_or(0.0, |f| f.client_cpu_s);
    (sample.bytes > 0).then(|| cpu.max(0.0) / (sample.total_bytes() as f64 / GIB))
}

/// Server CPU seconds per GiB with the fixed cost removed (when the server side was measured).
pub fn server_cpu_per_gib(sample: &Sample, fixed: Option<&FixedCost>) -> Option<f64> {
    let base = fixed.and_then(|f| f.server_cpu_s).unwrap_or(0.0);
    let cpu = sample.server_cpu_s()? - base;
    (sample.bytes > 0).then(|| cpu.max(0.0) / (sample.total_bytes() as f64 / GIB))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Measurement;

    pub(crate) fn s(bytes: u64, wall: f64, cpu: f64, server: Option<f64>) -> Sample {
        Sample {
            trial: "t".into(),
            round: 0,
            warmup: false,
            unix_time: 0.0,
            measured: Measurement {
                bytes,
                wall_s: wall,
                client_user_s: cpu,
                server_user_s: server,
                server_sys_s: server.map(|_| 0.0),
                ..Measurement::default()
            },
        }
    }

    #[test]
    fn a_timed_window_is_the_rate_and_the_fixed_cost_is_not_used() {
        let fixed = FixedCost {
            wall_s: 0.25,
            client_cpu_s: 0.0,
            server_cpu_s: None,
        };
        let mut x = s(300_000_000, 0.9, 1.0, None);
        x.measured.window_s = Some(0.2);
        x.measured.warmup_bytes = 100_000_000;
        assert!((rate_mbps(&x, Some(&fixed)).unwrap() - 1500.0).abs() < 1e-9);
        // Both markers in one read: no rate (not the wall-clock fallback either).
        let mut y = x.clone();
        y.measured.window_s = Some(2e-6);
        assert_eq!(rate_mbps(&y, Some(&fixed)), None);
        // CPU covers the whole connection: warm-up bytes count.
        let per_gib = client_cpu_per_gib(&x, None).unwrap();
        assert!((per_gib - 1.0 / (400_000_000.0 / GIB)).abs() < 1e-9);
    }

    /// A download's window pays one restart of the remote `head`; its restart segment, timed
    /// just before, pays the same, and the difference is the steady rate.
    #[test]
    fn a_restart_segment_cancels_the_restart_inside_a_download_window() {
        // Steady 1000 MB/s, and each segment loses 5 ms to the restart.
        let mut x = s(250_000_000, 0.9, 1.0, None);
        x.measured.window_s = Some(0.005 + 0.25);
        x.measured.restart_bytes = 25_000_000;
        x.measured.restart_s = Some(0.005 + 0.025);
        assert!((rate_mbps(&x, None).unwrap() - 1000.0).abs() < 1e-6);
        // Without the segment the same window reads 2 % low.
        let mut plain = x.clone();
        plain.measured.restart_bytes = 0;
        plain.measured.restart_s = None;
        assert!((rate_mbps(&plain, None).unwrap() - 250.0 / 0.255).abs() < 1e-6);
        // A restart that took as long as the window leaves no rate.
        let mut y = x.clone();
        y.measured.restart_s = Some(0.255);
        assert_eq!(rate_mbps(&y, None), None);
        // CPU per GiB counts every byte the connection moved.
        assert_eq!(x.total_bytes(), 250_000_000 + 25_000_000 + x.warmup_bytes);
    }

    #[test]
    fn rate_removes_fixed_wall() {
        let fixed = FixedCost {
            wall_s: 0.25,
            client_cpu_s: 0.02,
            server_cpu_s: Some(0.2),
        };
        // 100 MB in 1.25 s of which 0.25 s is fixed: 100 MB/s.
        let x = s(100_000_000, 1.25, 0.52, Some(0.7));
        assert!((rate_mbps(&x, Some(&fixed)).unwrap() - 100.0).abs() < 1e-9);
        assert!((rate_mbps(&x, None).unwrap() - 80.0).abs() < 1e-9);
        // Client 0.5 s over 100 MB, server 0.5 s.
        let gib = 100_000_000.0 / GIB;
        assert!((client_cpu_per_gib(&x, Some(&fixed)).unwrap() - 0.5 / gib).abs() < 1e-9);
        assert!((server_cpu_per_gib(&x, Some(&fixed)).unwrap() - 0.5 / gib).abs() < 1e-9);
    }

    #[test]
    fn samples_not_longer_than_fixed_cost_have_no_rate() {
        let fixed = FixedCost {
            wall_s: 0.3,
            client_cpu_s: 0.5,
            server_cpu_s: None,
        };
        assert_eq!(rate_mbps(&s(1000, 0.3, 0.0, None), Some(&fixed)), None);
        assert_eq!(rate_mbps(&s(0, 1.0, 0.0, None), None), None);
        // CPU below the baseline clamps at zero instead of going negative.
        assert_eq!(
            client_cpu_per_gib(&s(1 << 30, 1.0, 0.1, None), Some(&fixed)),
            Some(0.0)
        );
        assert_eq!(
            server_cpu_per_gib(&s(1 << 30, 1.0, 0.1, None), Some(&fixed)),
            None
        );
    }
}
