//! Two runs side by side (`ssh report --compare A B`): per combination the ratio B/A of the
//! medians with a conservative 95 % interval from the two CIs, and a verdict: `faster` or
//! `slower` when the interval excludes 1, `tied` when the CIs overlap. Handshakes compare
//! kex-only milliseconds, where lower is faster.

use serde::{Deserialize, Serialize};

use crate::analyze::Analysis;
use hostkit_stats::Summary;

/// One compared combination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Compared {
    /// `bulk` or `kex-only`.
    pub kind: String,
    /// `cipher + mac` (with ` (down)` for downloads) or the kex name.
    pub name: String,
    /// `MB/s` or `ms`.
    pub unit: String,
    pub a_median: f64,
    pub b_median: f64,
    /// b_median / a_median.
    pub ratio: f64,
    pub ratio_low: f64,
    pub ratio_high: f64,
    /// `faster`, `slower` or `tied`: B relative to A.
    pub verdict: String,
}

/// The comparison of two analyses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub rows: Vec<Compared>,
    /// Combinations measured only in A or only in B.
    pub only_a: Vec<String>,
    pub only_b: Vec<String>,
}

impl Comparison {
    /// How many rows have `verdict`.
    pub fn count(&self, verdict: &str) -> usize {
        self.rows.iter().filter(|r| r.verdict == verdict).count()
    }
}

fn row(
    kind: &str,
    name: String,
    unit: &str,
    a: &Summary,
    b: &Summary,
    higher_is_better: bool,
) -> Compared {
    let ratio = b.median / a.median;
    let (lo, hi) = (b.ci_low / a.ci_high, b.ci_high / a.ci_low);
    let better = if higher_is_better { lo > 1.0 } else { hi < 1.0 };
    let worse = if higher_is_better { hi < 1.0 } else { lo > 1.0 };
    let verdict = if a.ci_overlaps(b) {
        "tied"
    } else if better {
        "faster"
    } else if worse {
        "slower"
    } else {
        "tied"
    };
    Compared {
        kind: kind.to_owned(),
        name,
        unit: unit.to_owned(),
        a_median: a.median,
        b_median: b.median,
        ratio,
        ratio_low: lo,
        ratio_high: hi,
        verdict: verdict.to_owned(),
    }
}

/// Compares B against A, bulk rows in A's order, then kex.
pub fn compare(a: &Analysis, b: &Analysis) -> Comparison {
    let label = |x: &crate::analyze::BulkResult| {
        let mut l = x.label();
        if x.direction == crate::plan::Direction::Down {
            l.push_str(" (down)");
        }
        l
    };
    let mut rows = Vec::new();
    let mut only_a = Vec::new();
    for x in &a.bulk {
        let other = b
            .bulk
            .iter()
            .find(|y| y.cipher == x.cipher && y.mac == x.mac && y.direction == x.direction);
        match other {
            Some(y) if x.mbps.median > 0.0 && x.mbps.ci_low > 0.0 => {
                rows.push(row("bulk", label(x), "MB/s", &x.mbps, &y.mbps, true));
            }
            Some(_) => {}
            None => only_a.push(label(x)),
        }
    }
    let only_b = b
        .bulk
        .iter()
        .filter(|y| {
            !a.bulk
                .iter()
                .any(|x| x.cipher == y.cipher && x.mac == y.mac && x.direction == y.direction)
        })
        .map(label)
        .collect();
    for x in &a.kex {
        let y = b.kex.iter().find(|y| y.kex == x.kex);
        if let (Some(sa), Some(sb)) = (
            x.kex_only_ms.as_ref(),
            y.and_then(|y| y.kex_only_ms.as_ref()),
        ) && sa.median > 0.0
            && sa.ci_low > 0.0
        {
            rows.push(row("kex-only", x.kex.clone(), "ms", sa, sb, false));
        }
    }
    Comparison {
        rows,
        only_a,
        only_b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::analyze;
    use crate::fixtures::synthetic_log;

    #[test]
    fn same_run_ties_everywhere_a_faster_b_is_faster() {
        let a = analyze(&synthetic_log());
        let c = compare(&a, &a);
        assert!(!c.rows.is_empty());
        assert_eq!(c.count("tied"), c.rows.len());
        assert!(c.rows.iter().all(|r| (r.ratio - 1.0).abs() < 1e-12));
        let mut b = a.clone();
        for x in &mut b.bulk {
            for v in [&mut x.mbps.median, &mut x.mbps.ci_low, &mut x.mbps.ci_high] {
                *v *= 1.5;
            }
        }
        for k in &mut b.kex {
            let s = k.kex_only_ms.as_mut().unwrap();
            for v in [&mut s.median, &mut s.ci_low, &mut s.ci_high] {
                *v *= 2.0;
            }
        }
        b.bulk.pop();
        let c = compare(&a, &b);
        let bulk: Vec<&Compared> = c.rows.iter().filter(|r| r.kind == "bulk").collect();
        assert!(
            bulk.iter().all(|r| (r.ratio - 1.5).abs() < 1e-9),
            "{bulk:?}"
        );
        // Every bulk row is faster except chacha20, whose outlier widens its CI: tied.
        assert_eq!(c.count("faster"), bulk.len() - 1, "{bulk:?}");
        assert!(
            bulk.iter()
                .any(|r| r.verdict == "tied" && r.name.starts_with("chacha20"))
        );
        let kex: Vec<&Compared> = c.rows.iter().filter(|r| r.kind == "kex-only").collect();
        assert!(kex.iter().all(|r| r.verdict == "slower"), "{kex:?}");
        assert_eq!(c.only_a.len(), 1);
        assert!(c.only_b.is_empty());
    }
}
