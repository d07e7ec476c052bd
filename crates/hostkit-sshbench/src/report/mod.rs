//! Pure exporters `Analysis -> String`: text tables (top-N, per-cipher/MAC/kex, handshake ms,
//! warnings), terminal bar chart, CSV, Markdown, SVG chart, the recommendation (ssh_config
//! `Host` block + sshd_config lines, policy-filtered, with "indistinguishable" groups), and the
//! seed script's log format import (`ssh-performance.sh` lines, success and `n/a` failures).
//!
//! CONTRACT (lead): S1 implements; extend, don't rename.

use serde::{Deserialize, Serialize};

use crate::analyze::Analysis;
use crate::policy::Policy;

/// Text report for stdout: top `top_n` bulk rows (MB/s median and CI, client and server CPU
/// s/GiB), per-cipher/MAC/kex tables, handshake ms per kex, warnings.
pub fn text(analysis: &Analysis, top_n: usize) -> String {
    let _ = (analysis, top_n);
    todo!()
}

/// Horizontal bar chart (unicode blocks) of bulk MB/s, `width` columns.
pub fn bars(analysis: &Analysis, top_n: usize, width: usize) -> String {
    let _ = (analysis, top_n, width);
    todo!()
}

pub fn csv(analysis: &Analysis) -> String {
    let _ = analysis;
    todo!()
}

pub fn markdown(analysis: &Analysis, top_n: usize) -> String {
    let _ = (analysis, top_n);
    todo!()
}

/// Standalone SVG bar chart with CI whiskers.
pub fn svg(analysis: &Analysis, top_n: usize) -> String {
    let _ = (analysis, top_n);
    todo!()
}

/// The fastest configuration a policy allows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    pub policy: String,
    pub cipher: String,
    pub mac: Option<String>,
    pub kex: Option<String>,
    /// Other combinations statistically indistinguishable from the pick (overlapping CIs).
    pub tied_with: Vec<String>,
    /// `Host` block for ~/.ssh/config.
    pub ssh_config: String,
    /// Lines for sshd_config.
    pub sshd_config: String,
}

pub fn recommend(analysis: &Analysis, policy: &Policy) -> Option<Recommendation> {
    let _ = (analysis, policy);
    todo!()
}

/// One row of the seed script's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedRow {
    pub cipher: String,
    pub mac: String,
    pub kex: String,
    /// Average whole seconds; None for `n/a (reason)` rows.
    pub seconds: Option<f64>,
    pub failure: Option<String>,
}

/// Parses an `ssh-performance.sh` log (lines without `seconds` and `n/a` are handled).
pub fn import_seed_log(text: &str) -> Vec<SeedRow> {
    let _ = text;
    todo!()
}
