//! One self-contained HTML page for sharing: per host the subtitle facts, the ranking and
//! handshake tables, the recommendation and the SVG charts inline (no scripts, no external
//! files, no web fonts).

use std::fmt::Write as _;

use super::svg::{ChartMeta, esc, svg};
use super::{Recommendation, tie_ranks, warning_lines};
use crate::analyze::{Analysis, BulkResult};

/// One host's part of the page.
pub struct HtmlRun<'a> {
    pub meta: ChartMeta,
    pub analysis: &'a Analysis,
    pub recommendation: Option<&'a Recommendation>,
    /// Logs merged into this run.
    pub sources: Vec<String>,
}

const STYLE: &str = "body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}\
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{padding:2px 10px;border-bottom:1px solid #ddd}\
td.n{text-align:right;font-variant-numeric:tabular-nums}th{text-align:left;background:#f4f4f8}\
pre{background:#f6f6f6;padding:.8em;overflow-x:auto}.sub{color:#555}svg{max-width:100%;height:auto}";

/// The page.
pub fn html(runs: &[HtmlRun], top_n: usize) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>hostkit ssh report</title><style>{STYLE}</style></head><body>\n<h1>hostkit ssh report</h1>\n"
    );
    if runs.is_empty() {
        out.push_str("<p>no hostkit logs</p>\n");
    }
    for r in runs {
        section(&mut out, r, top_n);
    }
    out.push_str("</body></html>\n");
    out
}

fn section(out: &mut String, r: &HtmlRun, top_n: usize) {
    let a = r.analysis;
    let m = &r.meta;
    let _ = writeln!(
        out,
        "<h2>{}</h2>\n<p class=\"sub\">CPU {} · {} · {} · logs: {}</p>",
        esc(&m.host),
        esc(&m.cpu),
        esc(&m.openssh),
        esc(&m.date),
        esc(&r.sources.join(", "))
    );
    bulk_table(out, a, top_n);
    if !a.kex.is_empty() {
        out.push_str("<h3>Handshake per kex (ms)</h3>\n<table><tr><th>kex</th><th>kex-only median</th><th>95% CI</th><th>n</th><th>connect median</th><th>n</th></tr>\n");
        for k in &a.kex {
            let cell = |s: &Option<hostkit_stats::Summary>| match s {
                Some(s) => (
                    format!("{:.0}", s.median),
                    format!("{:.0}..{:.0}", s.ci_low, s.ci_high),
                    s.n.to_string(),
                ),
                None => ("-".into(), "-".into(), "-".into()),
            };
            let (km, kci, kn) = cell(&k.kex_only_ms);
            let (cm, _, cn) = cell(&k.connect_ms);
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=n>{km}</td><td class=n>{kci}</td><td class=n>{kn}</td><td class=n>{cm}</td><td class=n>{cn}</td></tr>",
                esc(&k.kex)
            );
        }
        out.push_str("</table>\n");
    }
    if let Some(rec) = r.recommendation {
        let _ = writeln!(
            out,
            "<h3>Recommendation (<code>{}</code> policy)</h3>\n<p>~/.ssh/config:</p><pre>{}</pre>\n<p>sshd_config:</p><pre>{}</pre>",
            esc(&rec.policy),
            esc(&rec.ssh_config),
            esc(&rec.sshd_config)
        );
    }
    let warnings = warning_lines(a);
    if !warnings.is_empty() {
        out.push_str("<h3>Warnings</h3>\n<ul>\n");
        for w in warnings {
            let _ = writeln!(out, "<li>{}</li>", esc(&w));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("<h3>Charts</h3>\n");
    out.push_str(&svg(a, m, top_n));
}

fn bulk_table(out: &mut String, a: &Analysis, top_n: usize) {
    let rows: Vec<&BulkResult> = a.bulk.iter().take(top_n).collect();
    let ranks = tie_ranks(&rows);
    let _ = writeln!(
        out,
        "<h3>Bulk throughput: top {} of {} (MB/s = 10^6 bytes/s; equal rank = 95% CIs overlap)</h3>\n<table><tr><th>rank</th><th>cipher + MAC</th><th>dir</th><th>MB/s</th><th>95% CI</th><th>n</th><th>client CPU s/GiB</th></tr>",
        rows.len(),
        a.bulk.len()
    );
    for (b, rank) in rows.iter().zip(ranks) {
        let _ = writeln!(
            out,
            "<tr><td class=n>{rank}</td><td>{}</td><td>{}</td><td class=n>{:.1}</td><td class=n>{:.1}..{:.1}</td><td class=n>{}</td><td class=n>{:.2}</td></tr>",
            esc(&b.label()),
            b.direction.label(),
            b.mbps.median,
            b.mbps.ci_low,
            b.mbps.ci_high,
            b.mbps.n,
            b.client_cpu_s_per_gib
        );
    }
    out.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::analyze;
    use crate::fixtures::synthetic_log;
    use crate::policy::Policy;

    #[test]
    fn page_is_self_contained_with_tables_and_charts_inline() {
        let a = analyze(&synthetic_log());
        let rec = super::super::recommend(&a, &Policy::preset("hardened").unwrap());
        let page = html(
            &[HtmlRun {
                meta: ChartMeta {
                    host: "web<1>".into(),
                    ..ChartMeta::default()
                },
                analysis: &a,
                recommendation: rec.as_ref(),
                sources: vec!["a.jsonl".into()],
            }],
            5,
        );
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("<h2>web&lt;1&gt;</h2>"));
        assert!(page.contains("<svg xmlns="));
        assert!(page.contains("top 5 of 8"));
        assert!(page.contains("Handshake per kex"));
        assert!(page.contains("KexAlgorithms sntrup761x25519-sha512"));
        for external in ["<script", "src=\"http", "href=\"http", "<link"] {
            assert!(!page.contains(external), "{external}");
        }
    }
}
