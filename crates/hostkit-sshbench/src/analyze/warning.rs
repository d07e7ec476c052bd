//! Measurement warnings: what makes a result less trustworthy, each with the flag that helps.
//! Checked after the analysis: wide confidence intervals, load above the CPU count, re-keys
//! inside samples, a fixed cost that dominates samples, outliers, unusable samples.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::metric::FixedCost;
use super::{BulkResult, KexResult};
use crate::plan::{Direction, TrialKind};
use crate::record::{Log, Method, Sample};

/// Relative CI half-width above which a result is flagged (the stopping target is 3 %).
pub const HIGH_VARIANCE_REL: f64 = 0.10;
/// Variance and outlier warnings cover only the best this-many rows of each group (bulk per
/// direction, kex-only, connect): trials that cannot reach the top stop sampling early by design.
pub const WARN_TOP_ROWS: usize = 10;
/// Outliers are reported only when the samples' range exceeds this fraction of the median:
/// with few samples the MAD can be tiny and flag differences of a fraction of a percent.
pub const OUTLIER_MIN_SPREAD: f64 = 0.05;
/// Uncertainty of the fixed cost (its 95 % CI half-width) relative to the median transfer time
/// of a bulk sample above which rates rest on too small a difference.
pub const FIXED_COST_FRACTION: f64 = 0.05;

/// A warning about the measurement, naming the flag that helps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Warning {
    HighVariance {
        trial: String,
        rel_half_width: f64,
    },
    LoadAboveCores {
        max_load1: f64,
        cpus: usize,
    },
    Rekey {
        trial: String,
        rekeys: u32,
    },
    FixedCostLarge {
        direction: Direction,
        fraction: f64,
    },
    Outliers {
        trial: String,
        count: usize,
    },
    /// Bulk samples not longer than the fixed cost (no rate); they are left out.
    DroppedSamples {
        trial: String,
        count: usize,
    },
    /// Bulk samples in a direction without a zero-byte baseline: fixed cost not removed.
    NoBaseline {
        direction: Direction,
    },
    /// A schema 1 log: rates are whole-connection time minus a zero-byte connection's.
    FixedCostMethod,
    /// ssh and sshd were not each pinned to their own CPU.
    Unpinned {
        reason: String,
    },
}

impl Warning {
    /// One line for humans, with the flag that helps.
    pub fn message(&self) -> String {
        match self {
            Warning::HighVariance {
                trial,
                rel_half_width,
            } => format!(
                "`{trial}`: 95% CI is ±{:.1}% of the median; raise `--max-runs` or `--sample-time` for a tighter one",
                rel_half_width * 100.0
            ),
            Warning::LoadAboveCores { max_load1, cpus } => format!(
                "load average reached {max_load1:.1} on {cpus} CPUs: wall-clock rates are depressed and noisy; compare CPU s/GiB (the CPU-BOUND column), or rerun on an idle machine"
            ),
            Warning::Rekey { trial, rekeys } => format!(
                "`{trial}`: {rekeys} re-key(s) inside a sample (64-bit block ciphers re-key every 1 GiB); the rate includes them, lower `--sample-time` to avoid"
            ),
            Warning::FixedCostLarge {
                direction,
                fraction,
            } => format!(
                "{direction}: the fixed per-connection cost is known to ±{:.0}% of a bulk sample's transfer time, so every rate carries that error; raise `--sample-time`",
                fraction * 100.0
            ),
            Warning::Outliers { trial, count } => format!(
                "`{trial}`: {count} outlier sample(s) (modified Z-score > 3.5), probably background load; the median is robust to them"
            ),
            Warning::DroppedSamples { trial, count } => format!(
                "`{trial}`: {count} sample(s) carried no rate and were left out (no longer than the fixed connection cost, or both window markers read at once on a loaded machine); raise `--sample-time` or rerun when the machine is quieter"
            ),
            Warning::NoBaseline { direction } => format!(
                "{direction}: no zero-byte baseline sample was recorded, so connection setup counts as transfer time and rates read low; rerun (or `--resume`) to measure it"
            ),
            Warning::FixedCostMethod => "this log was measured by fixed-cost subtraction, biased low for fast ciphers (about -50 % for aes128-gcm on 2 CPUs); rerun with this hostkit for steady-state rates".to_string(),
            Warning::Unpinned { reason } => format!(
                "ssh and sshd were not each pinned to a CPU ({reason}): fast ciphers may read low while the scheduler places them; drop `--no-pin` or allow two CPUs"
            ),
        }
    }
}

/// All warnings for an analysis, in a stable order.
pub(super) fn collect(
    log: &Log,
    bulk: &[BulkResult],
    kex: &[KexResult],
    fixed: &BTreeMap<Direction, FixedCost>,
    samples: &HashMap<&str, Vec<&Sample>>,
    dropped: &[(String, usize)],
) -> Vec<Warning> {
    let mut out = Vec::new();
    let max_load1 = log
        .samples
        .iter()
        .map(|s| s.load1)
        .fold(f64::NEG_INFINITY, f64::max);
    if log.header.cpus > 0 && max_load1 > log.header.cpus as f64 {
        out.push(Warning::LoadAboveCores {
            max_load1,
            cpus: log.header.cpus,
        });
    }
    let has_bulk = !bulk.is_empty();
    match log.header.method {
        Method::FixedCost => {
            if has_bulk {
                out.push(Warning::FixedCostMethod);
            }
            fixed_cost_warnings(log, fixed, samples, &mut out);
        }
        Method::InConnectionWindow => {
            if let Some(reason) = log.header.pinning.unpinned.as_ref().filter(|_| has_bulk) {
                out.push(Warning::Unpinned {
                    reason: reason.clone(),
                });
            }
        }
    }
    for d in [Direction::Up, Direction::Down] {
        for b in bulk.iter().filter(|b| b.direction == d).take(WARN_TOP_ROWS) {
            trial_warnings(&b.trial, &b.mbps, &mut out);
        }
    }
    for b in bulk {
        if b.rekeys > 0 {
            out.push(Warning::Rekey {
                trial: b.trial.clone(),
                rekeys: b.rekeys,
            });
        }
    }
    for k in kex.iter().take(WARN_TOP_ROWS) {
        if let Some(s) = &k.kex_only_ms {
            trial_warnings(&format!("kex/{}", k.kex), s, &mut out);
        }
    }
    let mut by_connect: Vec<&KexResult> = kex.iter().filter(|k| k.connect_ms.is_some()).collect();
    by_connect.sort_by(|a, b| {
        let m = |k: &KexResult| k.connect_ms.as_ref().map_or(f64::INFINITY, |s| s.median);
        m(a).total_cmp(&m(b))
    });
    for k in by_connect.into_iter().take(WARN_TOP_ROWS) {
        if let Some(s) = &k.connect_ms {
            trial_warnings(&format!("connect/{}", k.kex), s, &mut out);
        }
    }
    out.extend(
        dropped
            .iter()
            .map(|(trial, count)| Warning::DroppedSamples {
                trial: trial.clone(),
                count: *count,
            }),
    );
    out
}

fn trial_warnings(trial: &str, s: &hostkit_stats::Summary, out: &mut Vec<Warning>) {
    let rel = s.rel_half_width();
    if s.n >= 2 && rel > HIGH_VARIANCE_REL {
        out.push(Warning::HighVariance {
            trial: trial.to_owned(),
            rel_half_width: rel,
        });
    }
    if !s.outliers.is_empty() && s.max - s.min > OUTLIER_MIN_SPREAD * s.median.abs() {
        out.push(Warning::Outliers {
            trial: trial.to_owned(),
            count: s.outliers.len(),
        });
    }
}

fn fixed_cost_warnings(
    log: &Log,
    fixed: &BTreeMap<Direction, FixedCost>,
    samples: &HashMap<&str, Vec<&Sample>>,
    out: &mut Vec<Warning>,
) {
    let mut walls: BTreeMap<Direction, Vec<f64>> = BTreeMap::new();
    let mut baseline: BTreeMap<Direction, Vec<f64>> = BTreeMap::new();
    for t in &log.header.trials {
        let ws = samples
            .get(t.id.as_str())
            .into_iter()
            .flatten()
            .map(|s| s.wall_s);
        match &t.kind {
            TrialKind::Bulk { direction, .. } => walls.entry(*direction).or_default().extend(ws),
            TrialKind::Baseline { direction } => baseline.entry(*direction).or_default().extend(ws),
            _ => {}
        }
    }
    for (direction, ws) in walls.into_iter().filter(|(_, w)| !w.is_empty()) {
        let Some(f) = fixed.get(&direction) else {
            out.push(Warning::NoBaseline { direction });
            continue;
        };
        let base = baseline.get(&direction).map_or(&[][..], Vec::as_slice);
        let seed = hostkit_stats::seed_from_str(direction.label());
        let (Some(b), Some(m)) = (
            hostkit_stats::summarize(base, seed),
            hostkit_stats::median(&ws),
        ) else {
            continue;
        };
        let transfer = m - f.wall_s;
        let half = (b.ci_high - b.ci_low) / 2.0;
        if transfer > 0.0 && half / transfer > FIXED_COST_FRACTION {
            out.push(Warning::FixedCostLarge {
                direction,
                fraction: half / transfer,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::synthetic_log;

    #[test]
    fn variance_warnings_only_for_the_top_rows() {
        let log = synthetic_log();
        let a = crate::analyze::analyze(&log);
        let mut noisy = a.bulk[0].clone();
        noisy.mbps.ci_low = noisy.mbps.median * 0.7;
        let bulk: Vec<BulkResult> = (0..WARN_TOP_ROWS + 3)
            .map(|i| BulkResult {
                trial: format!("bulk/up/c{i}/m/k"),
                ..noisy.clone()
            })
            .collect();
        let w = collect(&log, &bulk, &[], &BTreeMap::new(), &HashMap::new(), &[]);
        let flagged = w
            .iter()
            .filter(|w| matches!(w, Warning::HighVariance { .. }))
            .count();
        assert_eq!(flagged, WARN_TOP_ROWS);
    }
}
