//! CSV (one long table, a row per bulk trial and per handshake measurement, for spreadsheets)
//! and Markdown (the text report's tables as GitHub-flavoured Markdown).

use std::fmt::Write as _;

use super::{bulk_by_direction, fmt_ci, fmt_opt, mac_label, tie_ranks};
use crate::analyze::{Analysis, GroupRow};

/// One CSV field (hostkit-render's one escaper).
fn field(s: &str) -> String {
    hostkit_render::csv::field(s).into_owned()
}

fn num(v: f64) -> String {
    format!("{v:.6}")
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_owned()
}

fn opt(v: Option<f64>) -> String {
    v.map(num).unwrap_or_default()
}

/// CSV columns: `kind` is `bulk`, `kex-only` or `connect`; `unit` says what `median`,
/// `ci_low`, `ci_high` are (`MB/s` or `ms`); CPU is s/GiB for bulk and ms for handshakes.
pub fn csv(analysis: &Analysis) -> String {
    let mut out = String::from(
        "kind,direction,cipher,mac,kex,n,median,ci_low,ci_high,unit,client_cpu,server_cpu,cpu_unit,rekeys,cpu_bound_mbps\n",
    );
    for b in &analysis.bulk {
        let cells = [
            "bulk".to_owned(),
            b.direction.label().to_owned(),
            field(&b.cipher),
            field(&mac_label(b)),
            field(&b.kex),
            b.mbps.n.to_string(),
            num(b.mbps.median),
            num(b.mbps.ci_low),
            num(b.mbps.ci_high),
            "MB/s".to_owned(),
            num(b.client_cpu_s_per_gib),
            opt(b.server_cpu_s_per_gib),
            "s/GiB".to_owned(),
            b.rekeys.to_string(),
            opt(b.cpu_bound_mbps),
        ];
        let _ = writeln!(out, "{}", cells.join(","));
    }
    for k in &analysis.kex {
        for (kind, s) in [("kex-only", &k.kex_only_ms), ("connect", &k.connect_ms)] {
            let Some(s) = s else { continue };
            let cells = [
                kind.to_owned(),
                String::new(),
                String::new(),
                String::new(),
                field(&k.kex),
                s.n.to_string(),
                num(s.median),
                num(s.ci_low),
                num(s.ci_high),
                "ms".to_owned(),
                opt(k.client_cpu_ms),
                opt(k.server_cpu_ms),
                "ms".to_owned(),
                String::new(),
                String::new(),
            ];
            let _ = writeln!(out, "{}", cells.join(","));
        }
    }
    out
}

/// Markdown cell: pipes escaped, code-formatted algorithm names.
fn code(s: &str) -> String {
    format!("`{}`", s.replace('|', "\\|"))
}

fn md_table(out: &mut String, header: &[&str], align_right: &[bool], rows: Vec<Vec<String>>) {
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let seps: Vec<&str> = align_right
        .iter()
        .map(|&r| if r { "---:" } else { "---" })
        .collect();
    let _ = writeln!(out, "|{}|", seps.join("|"));
    for r in rows {
        let _ = writeln!(out, "| {} |", r.join(" | "));
    }
    out.push('\n');
}

/// The report as Markdown: top-N bulk per direction, per-cipher/MAC tables, handshakes, warnings.
pub fn markdown(analysis: &Analysis, top_n: usize) -> String {
    let mut out = String::from("# hostkit ssh bench\n\n");
    for (direction, rows) in bulk_by_direction(analysis) {
        let _ = writeln!(
            out,
            "## Bulk throughput, {direction}load (top {} of {})\n",
            top_n.min(rows.len()),
            rows.len()
        );
        let ranks = tie_ranks(&rows);
        let body = rows
            .iter()
            .zip(ranks)
            .take(top_n)
            .map(|(r, rank)| {
                vec![
                    rank.to_string(),
                    code(&r.cipher),
                    code(&mac_label(r)),
                    code(&r.kex),
                    format!("{:.1}", r.mbps.median),
                    fmt_ci(r.mbps.ci_low, r.mbps.ci_high, 1),
                    format!("{:.2}", r.client_cpu_s_per_gib),
                    fmt_opt(r.server_cpu_s_per_gib, 2),
                    fmt_opt(r.cpu_bound_mbps, 1),
                    r.mbps.n.to_string(),
                ]
            })
            .collect();
        md_table(
            &mut out,
            &[
                "rank",
                "cipher",
                "MAC",
                "kex",
                "MB/s",
                "95% CI",
                "client s/GiB",
                "server s/GiB",
                "CPU-bound MB/s",
                "n",
            ],
            &[
                true, false, false, false, true, false, true, true, true, true,
            ],
            body,
        );
        out.push_str("Rows sharing a rank have overlapping 95% confidence intervals.\n\n");
    }
    md_groups(&mut out, "Per cipher", "cipher", &analysis.by_cipher);
    md_groups(&mut out, "Per MAC, AEAD left out", "MAC", &analysis.by_mac);
    if analysis.by_kex.len() > 1 {
        md_groups(&mut out, "Per kex (bulk)", "kex", &analysis.by_kex);
    }
    if !analysis.kex.is_empty() {
        out.push_str("## Handshake per kex (ms)\n\n");
        let body = analysis
            .kex
            .iter()
            .map(|k| {
                let cell = |s: &Option<hostkit_stats::Summary>| {
                    s.as_ref().map_or("-".to_owned(), |s| {
                        format!("{:.1} {}", s.median, fmt_ci(s.ci_low, s.ci_high, 1))
                    })
                };
                vec![
                    code(&k.kex),
                    cell(&k.kex_only_ms),
                    cell(&k.connect_ms),
                    fmt_opt(k.client_cpu_ms, 1),
                    fmt_opt(k.server_cpu_ms, 1),
                ]
            })
            .collect();
        md_table(
            &mut out,
            &[
                "kex",
                "kex-only ms [95% CI]",
                "connect ms [95% CI]",
                "client CPU ms",
                "server CPU ms",
            ],
            &[false, true, true, true, true],
            body,
        );
    }
    if !analysis.unsupported.is_empty() {
        out.push_str("## Unsupported\n\n");
        for u in &analysis.unsupported {
            let _ = writeln!(out, "- {}: {}", code(&u.trial), u.reason);
        }
        out.push('\n');
    }
    let warnings = super::warning_lines(analysis);
    if !warnings.is_empty() {
        out.push_str("## Warnings\n\n");
        for w in &warnings {
            let _ = writeln!(out, "- {w}");
        }
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

fn md_groups(out: &mut String, title: &str, what: &str, rows: &[GroupRow]) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "## {title} (MB/s over its trials' medians)\n");
    let body = rows
        .iter()
        .map(|g| {
            vec![
                code(&g.name),
                g.trials.to_string(),
                format!("{:.1}", g.median_mbps),
                format!("{:.1}", g.best_mbps),
                format!("{:.1}", g.worst_mbps),
            ]
        })
        .collect();
    md_table(
        out,
        &[what, "trials", "median", "best", "worst"],
        &[false, true, true, true, true],
        body,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("aes128-ctr"), "aes128-ctr");
        assert_eq!(num(391.25), "391.25");
        assert_eq!(num(2.0), "2");
    }

    #[test]
    fn markdown_tables_are_rectangular() {
        let a = crate::analyze::analyze(&crate::fixtures::synthetic_log());
        let md = markdown(&a, 8);
        let mut width = None;
        for line in md.lines() {
            if !line.starts_with('|') {
                width = None;
                continue;
            }
            let cells = line.matches('|').count() - line.matches("\\|").count();
            assert_eq!(*width.get_or_insert(cells), cells, "{line}");
        }
    }

    #[test]
    fn markdown_escapes_pipes() {
        assert_eq!(code("a|b"), "`a\\|b`");
    }
}
