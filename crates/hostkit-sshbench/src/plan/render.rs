//! The human-readable plan printed by `--dry-run`: counts, the saving against the seed's full
//! product, one line per trial, and what was left out and why.

use super::{IMPLICIT_MAC, Plan, Trial, TrialKind};

/// Human-readable plan for `--dry-run`.
pub fn render(plan: &Plan) -> String {
    use std::fmt::Write as _;
    let (bulk, baseline, kex_only, connect) = plan.counts();
    let mut out = String::new();
    let n = plan.trials.len();
    let _ = writeln!(
        out,
        "plan: {n} trials ({bulk} bulk, {baseline} baseline, {kex_only} kex-only, {connect} connect)"
    );
    if plan.full_product > 0 && n > 0 {
        let _ = writeln!(
            out,
            "the seed's cipher x MAC x kex product: {} connections; this plan: {n} trials ({:.1}x fewer)",
            plan.full_product,
            plan.full_product as f64 / n as f64
        );
    }
    out.push('\n');
    let rows: Vec<[String; 6]> = plan
        .trials
        .iter()
        .enumerate()
        .map(|(i, t)| render_row(i + 1, t))
        .collect();
    let header = ["#", "kind", "dir", "cipher", "mac", "kex"].map(str::to_owned);
    let mut widths = header.clone().map(|h| h.len());
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    for r in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = r
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i == 0 {
                    format!("{c:>w$}")
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    if !plan.skipped.is_empty() {
        out.push_str("\nleft out:\n");
        for s in &plan.skipped {
            let _ = writeln!(out, "  {}: {}", s.name, s.reason);
        }
    }
    out
}

fn render_row(index: usize, t: &Trial) -> [String; 6] {
    let dash = || "-".to_owned();
    let (dir, cipher, mac, kex) = match &t.kind {
        TrialKind::Bulk {
            cipher,
            mac,
            kex,
            direction,
        } => (
            direction.label().to_owned(),
            cipher.clone(),
            mac.clone().unwrap_or_else(|| IMPLICIT_MAC.to_owned()),
            kex.clone(),
        ),
        TrialKind::Baseline { direction } => (direction.label().to_owned(), dash(), dash(), dash()),
        TrialKind::KexOnly { kex } | TrialKind::Connect { kex } => {
            (dash(), dash(), dash(), kex.clone())
        }
    };
    [
        index.to_string(),
        t.kind.label().to_owned(),
        dir,
        cipher,
        mac,
        kex,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::neg_92;
    use crate::plan::{PlanOptions, build};

    #[test]
    fn plan_snapshot_openssh_92() {
        let plan = build(&neg_92(), &PlanOptions::default()).unwrap();
        insta::assert_snapshot!("plan_default_openssh_92", render(&plan));
    }
}
