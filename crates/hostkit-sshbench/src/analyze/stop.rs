//! Adaptive repetition (the stopping rule): a trial gets more samples until its bootstrap CI
//! half-width is at most `target_rel_ci` of its median, or it has `max_runs` samples, or it
//! provably cannot reach the top-k of its group (its CI lies entirely on the wrong side of the
//! k-th best trial's CI). Every trial gets at least `min_runs` samples first.
//!
//! Groups are compared like with like: bulk trials per direction (MB/s, higher is better),
//! kex-only and connect trials (milliseconds, lower is better), each baseline on its own.

use std::collections::HashMap;

use hostkit_stats::{Summary, seed_from_str, summarize};
use serde::{Deserialize, Serialize};

use super::metric;
use crate::plan::{Trial, TrialKind};
use crate::record::Sample;

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

impl Default for StopRule {
    /// 3 to 30 samples, CI half-width 3 %, top 5 (the targets).
    fn default() -> Self {
        StopRule {
            min_runs: 3,
            max_runs: 30,
            target_rel_ci: 0.03,
            top_k: 5,
        }
    }
}

/// Which trials are compared with each other, and whether higher values are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Group {
    Bulk(crate::plan::Direction),
    KexOnly,
    Connect,
    Baseline(crate::plan::Direction),
}

impl Group {
    fn of(kind: &TrialKind) -> Group {
        match kind {
            TrialKind::Bulk { direction, .. } => Group::Bulk(*direction),
            TrialKind::Baseline { direction } => Group::Baseline(*direction),
            TrialKind::KexOnly { .. } => Group::KexOnly,
            TrialKind::Connect { .. } => Group::Connect,
        }
    }

    fn higher_is_better(self) -> bool {
        matches!(self, Group::Bulk(_))
    }
}

/// Ids of trials that need more samples given everything measured so far.
pub fn needs_more(samples: &[Sample], trials: &[Trial], rule: &StopRule) -> Vec<String> {
    let index = metric::index(trials);
    let by_trial = metric::by_trial(samples);
    let fixed = metric::fixed_costs(&index, &by_trial);
    let min_runs = rule.min_runs.max(1);
    let max_runs = rule.max_runs.max(min_runs);
    // Values per trial: MB/s for bulk, wall seconds otherwise.
    let values = |t: &Trial| -> Vec<f64> {
        let ss = by_trial.get(t.id.as_str()).map_or(&[][..], Vec::as_slice);
        match &t.kind {
            TrialKind::Bulk { direction, .. } => {
                let f = fixed.get(direction);
                ss.iter().filter_map(|s| metric::rate_mbps(s, f)).collect()
            }
            _ => ss.iter().map(|s| s.wall_s).collect(),
        }
    };
    let counts = |t: &Trial| by_trial.get(t.id.as_str()).map_or(0, Vec::len);
    let summaries: HashMap<&str, Summary> = trials
        .iter()
        .filter_map(|t| Some((t.id.as_str(), summarize(&values(t), seed_from_str(&t.id))?)))
        .collect();
    let mut cutoffs: HashMap<Group, f64> = HashMap::new();
    for group in trials.iter().map(|t| Group::of(&t.kind)) {
        if cutoffs.contains_key(&group) || matches!(group, Group::Baseline(_)) {
            continue;
        }
        if let Some(c) = cutoff(group, trials, &summaries, rule.top_k) {
            cutoffs.insert(group, c);
        }
    }
    trials
        .iter()
        .filter(|t| {
            let n = counts(t);
            if n < min_runs {
                return true;
            }
            if n >= max_runs {
                return false;
            }
            let Some(s) = summaries.get(t.id.as_str()) else {
                // Samples exist but none carries a value (all shorter than the fixed cost):
                // more of the same will not help; the analysis warns about them.
                return false;
            };
            if s.rel_half_width() <= rule.target_rel_ci {
                return false;
            }
            let group = Group::of(&t.kind);
            !cutoffs
                .get(&group)
                .is_some_and(|&c| out_of_reach(group, s, c))
        })
        .map(|t| t.id.clone())
        .collect()
}

/// The k-th best trial's near CI bound in `group` (lower bound when higher is better).
fn cutoff(
    group: Group,
    trials: &[Trial],
    summaries: &HashMap<&str, Summary>,
    top_k: usize,
) -> Option<f64> {
    let mut members: Vec<&Summary> = trials
        .iter()
        .filter(|t| Group::of(&t.kind) == group)
        .filter_map(|t| summaries.get(t.id.as_str()))
        .collect();
    if top_k == 0 || members.len() <= top_k {
        return None;
    }
    if group.higher_is_better() {
        members.sort_by(|a, b| b.median.total_cmp(&a.median));
        Some(members[top_k - 1].ci_low)
    } else {
        members.sort_by(|a, b| a.median.total_cmp(&b.median));
        Some(members[top_k - 1].ci_high)
    }
}

/// Whether a trial's whole CI is worse than the cutoff.
fn out_of_reach(group: Group, s: &Summary, cutoff: f64) -> bool {
    if group.higher_is_better() {
        s.ci_high < cutoff
    } else {
        s.ci_low > cutoff
    }
}
