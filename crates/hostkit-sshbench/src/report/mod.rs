//! Pure exporters `Analysis -> String`: text tables (top-N, per-cipher/MAC/kex, handshake ms,
//! warnings), terminal bar chart, CSV, Markdown, SVG chart, the recommendation (ssh_config
//! `Host` block + sshd_config lines, policy-filtered, with "indistinguishable" groups), and the
//! seed script's log format import (`ssh-performance.sh` lines, success and `n/a` failures).
//!
//! One file per output: `text` (text + bars), `export` (CSV, Markdown), `svg`, `recommend`,
//! `seed`, `compare`, `fleet`, `html`; tables and CSV fields come from `hostkit-render`.

use crate::analyze::{Analysis, BulkResult};
use crate::plan::{Direction, IMPLICIT_MAC};

mod compare;
mod export;
mod fleet;
mod html;
mod recommend;
mod seed;
mod svg;
mod text;

pub use compare::{Compared, Comparison, compare};
pub use export::{csv, markdown};
pub use fleet::{Run, host_label, merge, seed_analysis};
pub use html::{HtmlRun, html};
pub use recommend::{
    Gain, KexCost, Options as RecommendOptions, Recommendation, Style, recommend, recommend_with,
};
pub use seed::{SeedRow, import_seed_log};
pub use svg::{ChartMeta, svg};
pub use text::{bars, text};

/// The MAC column of a bulk row (`<implicit>` for AEAD).
pub(crate) fn mac_label(b: &BulkResult) -> String {
    b.mac.clone().unwrap_or_else(|| IMPLICIT_MAC.to_owned())
}

/// `[low, high]` with `decimals` digits.
pub(crate) fn fmt_ci(low: f64, high: f64, decimals: usize) -> String {
    format!("[{low:.decimals$}, {high:.decimals$}]")
}

/// A number or `-`.
pub(crate) fn fmt_opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or("-".to_owned(), |v| format!("{v:.decimals$}"))
}

/// Bulk rows per direction (upload first), each best first as in the analysis.
pub(crate) fn bulk_by_direction(analysis: &Analysis) -> Vec<(Direction, Vec<&BulkResult>)> {
    let mut out: Vec<(Direction, Vec<&BulkResult>)> = Vec::new();
    for d in [Direction::Up, Direction::Down] {
        let rows: Vec<&BulkResult> = analysis.bulk.iter().filter(|b| b.direction == d).collect();
        if !rows.is_empty() {
            out.push((d, rows));
        }
    }
    out
}

/// Whether the load average exceeded the CPU count during the run.
pub(crate) fn load_above_cores(analysis: &Analysis) -> bool {
    analysis
        .warnings
        .iter()
        .any(|w| matches!(w, crate::analyze::Warning::LoadAboveCores { .. }))
}

/// A trial id made short for humans: `bulk/up/aes128-ctr/hmac-sha1/k` -> `aes128-ctr + hmac-sha1`
/// (`(down)` appended for downloads), `kex/...` and `connect/...` unchanged.
pub(crate) fn short_trial(id: &str) -> String {
    let parts: Vec<&str> = id.split('/').collect();
    match parts.as_slice() {
        ["bulk", dir, cipher, mac, _kex] => {
            let mut s = if *mac == "implicit" {
                (*cipher).to_owned()
            } else {
                format!("{cipher} + {mac}")
            };
            if *dir == "down" {
                s.push_str(" (down)");
            }
            s
        }
        _ => id.to_owned(),
    }
}

/// Warning lines for humans: high-variance warnings are folded into one line when there are
/// three or more (a loaded machine produces many), the others keep their own line.
pub(crate) fn warning_lines(analysis: &Analysis) -> Vec<String> {
    use crate::analyze::Warning;
    let wide: Vec<String> = analysis
        .warnings
        .iter()
        .filter_map(|w| match w {
            Warning::HighVariance {
                trial,
                rel_half_width,
            } => Some(format!(
                "{} ±{:.0}%",
                short_trial(trial),
                rel_half_width * 100.0
            )),
            _ => None,
        })
        .collect();
    let fold = wide.len() >= 3;
    let mut out: Vec<String> = analysis
        .warnings
        .iter()
        .filter(|w| !(fold && matches!(w, Warning::HighVariance { .. })))
        .map(Warning::message)
        .collect();
    if fold {
        out.push(format!(
            "{} results have a 95% CI wider than ±{:.0}% of the median: {}; raise `--max-runs` or `--sample-time` for tighter ones",
            wide.len(),
            crate::analyze::HIGH_VARIANCE_REL * 100.0,
            wide.join(", ")
        ));
    }
    out
}

/// Kendall's tau-b between two analyses' bulk rankings over the trials both measured
/// (1 = same order); `None` with fewer than 2 common trials. Two runs agreeing at >= 0.9 is
/// the reproducibility target.
pub fn rank_agreement(a: &Analysis, b: &Analysis) -> Option<f64> {
    hostkit_stats::kendall_tau(&a.ranking(), &b.ranking())
}

/// Rank with ties for rows sorted best first: a row shares the rank of the current group's
/// leader while its 95 % CI overlaps the leader's; otherwise it opens the next rank.
pub fn tie_ranks(rows: &[&BulkResult]) -> Vec<usize> {
    let mut ranks = Vec::with_capacity(rows.len());
    let mut leader: Option<&BulkResult> = None;
    let mut rank = 0;
    for r in rows {
        match leader {
            Some(l) if l.mbps.ci_overlaps(&r.mbps) => {}
            _ => {
                rank += 1;
                leader = Some(r);
            }
        }
        ranks.push(rank);
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::analyze;
    use crate::fixtures::synthetic_log;
    use crate::policy::Policy;

    fn analysis() -> Analysis {
        analyze(&synthetic_log())
    }

    #[test]
    fn text_report_snapshot() {
        insta::assert_snapshot!("text_report", text(&analysis(), 5));
    }

    #[test]
    fn bars_snapshot() {
        insta::assert_snapshot!("bars", bars(&analysis(), 8, 40));
    }

    #[test]
    fn csv_snapshot() {
        insta::assert_snapshot!("csv", csv(&analysis()));
    }

    #[test]
    fn markdown_snapshot() {
        insta::assert_snapshot!("markdown", markdown(&analysis(), 5));
    }

    #[test]
    fn svg_snapshot() {
        let meta = ChartMeta {
            host: "bench1".into(),
            cpu: "AMD EPYC (synthetic)".into(),
            openssh: "OpenSSH_9.2p1".into(),
            date: "2023-11-14 22:13 UTC".into(),
        };
        insta::assert_snapshot!("svg", svg(&analysis(), &meta, 8));
    }

    #[test]
    fn recommendation_snapshots() {
        let a = analysis();
        for preset in ["hardened", "openssh-default", "all"] {
            let r = recommend(&a, &Policy::preset(preset).unwrap()).unwrap();
            insta::assert_json_snapshot!(format!("recommend_{preset}"), r);
        }
    }

    #[test]
    fn tie_ranks_follow_ci_overlap() {
        let a = analysis();
        let rows: Vec<&BulkResult> = a.bulk.iter().collect();
        let ranks = tie_ranks(&rows);
        assert_eq!(ranks[0], 1);
        assert!(ranks.windows(2).all(|w| w[1] == w[0] || w[1] == w[0] + 1));
        // The two etm MACs on aes128-ctr (315 vs 314 MB/s, ±2 % noise) must tie.
        let pos = |m: &str| {
            rows.iter()
                .position(|r| r.mac.as_deref() == Some(m))
                .unwrap()
        };
        assert_eq!(
            ranks[pos("hmac-sha1-etm@openssh.com")],
            ranks[pos("hmac-sha2-256-etm@openssh.com")]
        );
        // 3des is alone at the bottom.
        assert_eq!(ranks.last(), ranks.iter().max());
        assert!(ranks[ranks.len() - 1] > ranks[ranks.len() - 2]);
    }

    #[test]
    fn short_trial_names() {
        assert_eq!(
            short_trial("bulk/up/aes128-ctr/hmac-sha1/curve25519-sha256"),
            "aes128-ctr + hmac-sha1"
        );
        assert_eq!(
            short_trial("bulk/down/aes128-gcm@openssh.com/implicit/curve25519-sha256"),
            "aes128-gcm@openssh.com (down)"
        );
        assert_eq!(
            short_trial("kex/curve25519-sha256"),
            "kex/curve25519-sha256"
        );
    }

    #[test]
    fn many_high_variance_warnings_fold_into_one_line() {
        use crate::analyze::Warning;
        let mut a = analysis();
        let before = warning_lines(&a).len();
        for i in 0..4 {
            a.warnings.push(Warning::HighVariance {
                trial: format!("bulk/up/c{i}/implicit/k"),
                rel_half_width: 0.2,
            });
        }
        let lines = warning_lines(&a);
        // The synthetic log's own chacha20 warning folds in too: 5 in one line.
        assert_eq!(lines.len(), before);
        assert!(
            lines
                .last()
                .unwrap()
                .starts_with("5 results have a 95% CI wider")
        );
        assert!(lines.last().unwrap().contains("c3 ±20%"));
    }

    #[test]
    fn rank_agreement_of_two_runs() {
        let a = analysis();
        assert_eq!(rank_agreement(&a, &a), Some(1.0));
        let mut b = a.clone();
        b.bulk.swap(2, 3);
        let tau = rank_agreement(&a, &b).unwrap();
        assert!(tau < 1.0 && tau > 0.9, "{tau}");
        b.bulk.reverse();
        assert!(rank_agreement(&a, &b).unwrap() < 0.0);
    }

    #[test]
    fn empty_analysis_renders() {
        let mut log = synthetic_log();
        log.samples.clear();
        log.unsupported.clear();
        let a = analyze(&log);
        assert_eq!(text(&a, 5), "no results yet\n");
        assert_eq!(bars(&a, 5, 40), "");
        assert_eq!(csv(&a).lines().count(), 1, "header only");
        assert!(svg(&a, &ChartMeta::default(), 5).starts_with("<svg"));
        assert!(recommend(&a, &Policy::preset("all").unwrap()).is_none());
    }

    #[test]
    fn both_directions_get_their_own_tables() {
        let mut a = analysis();
        let mut down = a.bulk[0].clone();
        down.direction = Direction::Down;
        down.trial = down.trial.replace("/up/", "/down/");
        a.bulk.push(down);
        let t = text(&a, 5);
        assert!(t.contains("Bulk throughput, upload"));
        assert!(t.contains("Bulk throughput, download: top 1 of 1 (no baseline"));
        assert!(bars(&a, 10, 20).contains("(down)"));
        let chart = svg(&a, &ChartMeta::default(), 10);
        assert!(chart.contains("upload + download"));
        assert!(chart.contains("Cipher x MAC matrix, up:"));
        assert!(chart.contains("Cipher x MAC matrix, down: median MB/s (1 of 1 cells measured)"));
    }
}
