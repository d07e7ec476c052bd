//! Turns samples into results: bulk MB/s per trial with the fixed per-connection cost (median
//! zero-byte baseline of the same direction) removed, CPU seconds per GiB per side, handshake
//! milliseconds per kex, per-cipher/MAC/kex summaries, warnings, and the adaptive-stopping
//! decision (more samples until CI half-width <= 3 % of the median, or the trial cannot reach
//! the top-k, or `max_runs`).
//!
//! CONTRACT (lead): S1 implements; extend, don't rename.

use std::collections::BTreeMap;

use hostkit_stats::Summary;
use serde::{Deserialize, Serialize};

use crate::plan::Direction;
use crate::record::{Log, Sample, Unsupported};

/// Result of one bulk trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkResult {
    pub trial: String,
    pub cipher: String,
    /// None = AEAD (`<implicit>`).
    pub mac: Option<String>,
    pub kex: String,
    pub direction: Direction,
    /// MB/s (10^6 bytes per second) after fixed-cost removal.
    pub mbps: Summary,
    pub client_cpu_s_per_gib: f64,
    pub server_cpu_s_per_gib: Option<f64>,
    pub rekeys: u32,
}

/// Handshake cost of one kex.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KexResult {
    pub kex: String,
    pub kex_only_ms: Option<Summary>,
    pub connect_ms: Option<Summary>,
    pub client_cpu_ms: Option<f64>,
    pub server_cpu_ms: Option<f64>,
}

/// Median-of-medians summary for one algorithm name across the trials that use it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    pub name: String,
    pub trials: usize,
    pub median_mbps: f64,
    pub best_mbps: f64,
    pub worst_mbps: f64,
}

/// A warning about the measurement, naming the flag that helps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Warning {
    HighVariance { trial: String, rel_half_width: f64 },
    LoadAboveCores { max_load1: f64, cpus: usize },
    Rekey { trial: String, rekeys: u32 },
    FixedCostLarge { direction: Direction, fraction: f64 },
    Outliers { trial: String, count: usize },
}

impl Warning {
    /// One line for humans, with the flag that helps.
    pub fn message(&self) -> String {
        todo!()
    }
}

/// Everything a report shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// Sorted by median MB/s, best first.
    pub bulk: Vec<BulkResult>,
    /// Sorted by kex-only median ms, fastest first.
    pub kex: Vec<KexResult>,
    pub by_cipher: Vec<GroupRow>,
    pub by_mac: Vec<GroupRow>,
    pub by_kex: Vec<GroupRow>,
    /// Median baseline (zero-byte) wall seconds per direction.
    pub fixed_cost_s: BTreeMap<String, f64>,
    pub unsupported: Vec<Unsupported>,
    pub warnings: Vec<Warning>,
}

/// Analyses a log (warm-up samples ignored).
pub fn analyze(log: &Log) -> Analysis {
    let _ = log;
    todo!()
}

/// Stopping rule inputs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StopRule {
    pub min_runs: usize,
    pub max_runs: usize,
    /// Target CI half-width relative to the median (0.03).
    pub target_rel_ci: f64,
    /// Trials that can still reach the top-k keep sampling.
    pub top_k: usize,
}

/// Ids of trials that need more samples given everything measured so far.
pub fn needs_more(samples: &[Sample], trials: &[crate::plan::Trial], rule: &StopRule) -> Vec<String> {
    let _ = (samples, trials, rule);
    todo!()
}
