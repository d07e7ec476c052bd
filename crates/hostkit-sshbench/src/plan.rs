//! The benchmark plan as a value: which trials, in what order per round. Bulk trials
//! (cipher x MAC, AEAD once with an implicit MAC) are separate from handshake trials
//! (per kex: kex-only and full connect). `--dry-run` prints it; a snapshot test locks it.
//!
//! CONTRACT (lead): S1 implements; extend, don't rename.

use serde::{Deserialize, Serialize};

use crate::algos::Negotiable;

/// Data direction of a bulk trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Client to server: `ssh host 'head -c N >/dev/null' </dev/zero`.
    Up,
    /// Server to client: `ssh host 'head -c N /dev/zero' >/dev/null`.
    Down,
}

/// What one trial measures.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TrialKind {
    /// Throughput of a cipher x MAC (`mac` None = AEAD, implicit MAC); `kex` pinned
    /// (the plan's bulk kex, or each kex under `--matrix full`).
    Bulk {
        cipher: String,
        mac: Option<String>,
        kex: String,
        direction: Direction,
    },
    /// Zero-byte transfer with the bulk harness: the fixed per-connection cost subtracted
    /// from bulk samples of the same direction.
    Baseline { direction: Direction },
    /// Key exchange only: `ssh -o PreferredAuthentications=none` (auth refused, exit 255).
    KexOnly { kex: String },
    /// Full connect + auth + `true`.
    Connect { kex: String },
}

/// One trial with a stable id used in logs and `--resume`
/// (e.g. `bulk/up/aes128-ctr/hmac-sha1/curve25519-sha256`, `kex/curve25519-sha256`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Trial {
    pub id: String,
    #[serde(flatten)]
    pub kind: TrialKind,
}

/// `--matrix`: de-duplicated (default) or the seed's full cartesian product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Matrix {
    Dedup,
    Full,
}

/// A `*`-glob name filter (`aes*`, `*-etm@openssh.com`, exact names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pattern(pub String);

impl Pattern {
    pub fn matches(&self, name: &str) -> bool {
        let _ = name;
        todo!()
    }
}

/// Everything that shapes a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanOptions {
    pub matrix: Matrix,
    /// Empty = all.
    pub ciphers: Vec<Pattern>,
    pub macs: Vec<Pattern>,
    pub kex: Vec<Pattern>,
    pub directions: Vec<Direction>,
    /// Kex used for bulk trials under `Matrix::Dedup` (default `curve25519-sha256` if negotiable).
    pub bulk_kex: Option<String>,
    /// Skip handshake trials.
    pub no_kex: bool,
    /// Skip bulk trials.
    pub no_bulk: bool,
}

/// Why a plan could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("filter `{pattern}` for {what} matches nothing both sides support (available: {available})")]
    NoMatch {
        what: &'static str,
        pattern: String,
        available: String,
    },
    #[error("the plan is empty")]
    Empty,
}

/// The plan: trials plus what was left out and why (e.g. "AEAD: MAC implicit").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub trials: Vec<Trial>,
    pub skipped: Vec<Skipped>,
    /// Cells of the full cartesian product, for the "N x fewer" line.
    pub full_product: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub name: String,
    pub reason: String,
}

/// Builds the plan from what both sides support.
pub fn build(neg: &Negotiable, opts: &PlanOptions) -> Result<Plan, PlanError> {
    let _ = (neg, opts);
    todo!()
}

/// Trial indices in a randomized order for `round` (deterministic in `seed` and `round`).
pub fn round_order(plan: &Plan, round: u32, seed: u64) -> Vec<usize> {
    let _ = (plan, round, seed);
    todo!()
}

/// Human-readable plan for `--dry-run`.
pub fn render(plan: &Plan) -> String {
    let _ = plan;
    todo!()
}
