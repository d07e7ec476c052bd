//! The stdout text report (top-N bulk table with tie ranks, per-cipher/MAC/kex tables,
//! handshake milliseconds, unsupported trials, warnings) and the unicode bar chart.

use std::fmt::Write as _;

use super::{bulk_by_direction, fmt_ci, fmt_opt, mac_label, tie_ranks};
use crate::analyze::{Analysis, BulkResult, GroupRow};
use hostkit_render::table::{Align, Table};

/// Text report for stdout: top `top_n` bulk rows (MB/s median and CI, client and server CPU
/// s/GiB), per-cipher/MAC/kex tables, handshake ms per kex, warnings.
pub fn text(analysis: &Analysis, top_n: usize) -> String {
    let mut out = String::new();
    for (direction, rows) in bulk_by_direction(analysis) {
        bulk_section(&mut out, analysis, direction, &rows, top_n);
    }
    group_section(&mut out, "Per cipher", "CIPHER", &analysis.by_cipher);
    group_section(
        &mut out,
        "Per MAC (AEAD ciphers left out: their MAC is implicit)",
        "MAC",
        &analysis.by_mac,
    );
    if analysis.by_kex.len() > 1 {
        group_section(&mut out, "Per kex (bulk)", "KEX", &analysis.by_kex);
    }
    kex_section(&mut out, analysis);
    if !analysis.unsupported.is_empty() {
        let _ = writeln!(out, "Unsupported ({}):", analysis.unsupported.len());
        for u in &analysis.unsupported {
            let _ = writeln!(out, "  {}: {}", u.trial, u.reason);
        }
        out.push('\n');
    }
    let warnings = super::warning_lines(analysis);
    if !warnings.is_empty() {
        let _ = writeln!(out, "Warnings ({}):", warnings.len());
        for w in &warnings {
            let _ = writeln!(out, "  - {w}");
        }
        out.push('\n');
    }
    if out.is_empty() {
        out.push_str("no results yet\n");
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn bulk_section(
    out: &mut String,
    analysis: &Analysis,
    direction: crate::plan::Direction,
    rows: &[&BulkResult],
    top_n: usize,
) {
    let one_kex = rows.iter().all(|r| r.kex == rows[0].kex);
    let fixed = match analysis.method {
        crate::record::Method::InConnectionWindow => {
            "steady state: a window timed inside each connection".to_owned()
        }
        crate::record::Method::FixedCost => analysis.fixed_cost_s.get(direction.label()).map_or(
            "no baseline: fixed cost not removed; fixed-cost subtraction, biased low for fast ciphers"
                .to_owned(),
            |s| {
                format!(
                    "fixed-cost subtraction, biased low for fast ciphers: {s:.3} s per connection removed"
                )
            },
        ),
    };
    let kex_note = if one_kex {
        format!(", kex {}", rows[0].kex)
    } else {
        String::new()
    };
    let shown = top_n.min(rows.len());
    let _ = writeln!(
        out,
        "Bulk throughput, {direction}load: top {shown} of {} ({fixed}{kex_note})",
        rows.len()
    );
    let mut cols = vec![
        ("RANK", Align::Right),
        ("CIPHER", Align::Left),
        ("MAC", Align::Left),
    ];
    if !one_kex {
        cols.push(("KEX", Align::Left));
    }
    cols.extend([
        ("MB/S", Align::Right),
        ("95% CI", Align::Left),
        ("CLIENT S/GIB", Align::Right),
        ("SERVER S/GIB", Align::Right),
    ]);
    let loaded = super::load_above_cores(analysis);
    if loaded {
        cols.push(("CPU-BOUND MB/S", Align::Right));
    }
    let ceiling = rows.iter().any(|r| r.ceiling_mb_per_s.is_some());
    if ceiling {
        cols.extend([("CEILING MB/S", Align::Right), ("OF CEILING", Align::Right)]);
    }
    cols.push(("N", Align::Right));
    let mut t = Table::new(&cols);
    let ranks = tie_ranks(rows);
    for (r, rank) in rows.iter().zip(&ranks).take(top_n) {
        let mut cells = vec![rank.to_string(), r.cipher.clone(), mac_label(r)];
        if !one_kex {
            cells.push(r.kex.clone());
        }
        cells.extend([
            format!("{:.1}", r.mbps.median),
            fmt_ci(r.mbps.ci_low, r.mbps.ci_high, 1),
            format!("{:.2}", r.client_cpu_s_per_gib),
            fmt_opt(r.server_cpu_s_per_gib, 2),
        ]);
        if loaded {
            cells.push(fmt_opt(r.cpu_bound_mbps, 1));
        }
        if ceiling {
            cells.push(fmt_opt(r.ceiling_mb_per_s, 0));
            cells.push(
                r.of_ceiling
                    .map_or("-".into(), |x| format!("{:.0}%", x * 100.0)),
            );
        }
        cells.push(r.mbps.n.to_string());
        t.row(cells);
    }
    out.push_str(&t.render_indented(2));
    let _ = writeln!(
        out,
        "  rows sharing a rank have overlapping 95% confidence intervals: indistinguishable here"
    );
    if ceiling {
        let _ = writeln!(
            out,
            "  CEILING: one core's `openssl speed` for the same cipher (+ MAC); OF CEILING: how much of it ssh delivers"
        );
    }
    if loaded {
        let _ = writeln!(
            out,
            "  the load exceeded the CPU count: wall MB/s is depressed; CPU-BOUND MB/S (2^30 / the busier side's CPU s/GiB) compares robustly"
        );
    }
    out.push('\n');
}

fn group_section(out: &mut String, title: &str, column: &str, rows: &[GroupRow]) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "{title}, MB/s over its trials' medians:");
    let mut t = Table::new(&[
        (column, Align::Left),
        ("TRIALS", Align::Right),
        ("MEDIAN", Align::Right),
        ("BEST", Align::Right),
        ("WORST", Align::Right),
    ]);
    for g in rows {
        t.row([
            g.name.clone(),
            g.trials.to_string(),
            format!("{:.1}", g.median_mbps),
            format!("{:.1}", g.best_mbps),
            format!("{:.1}", g.worst_mbps),
        ]);
    }
    out.push_str(&t.render_indented(2));
    out.push('\n');
}

fn kex_section(out: &mut String, analysis: &Analysis) {
    if analysis.kex.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "Handshake per kex, ms (kex-only: key exchange and host key check; connect: full login + `true`;\n CPU: client median from wait4, server mean of /proc 10 ms ticks):"
    );
    let mut t = Table::new(&[
        ("KEX", Align::Left),
        ("KEX-ONLY", Align::Right),
        ("95% CI", Align::Left),
        ("CONNECT", Align::Right),
        ("95% CI", Align::Left),
        ("CLIENT CPU", Align::Right),
        ("SERVER CPU", Align::Right),
    ]);
    for k in &analysis.kex {
        let (ko, ko_ci) = summary_cells(k.kex_only_ms.as_ref());
        let (co, co_ci) = summary_cells(k.connect_ms.as_ref());
        t.row([
            k.kex.clone(),
            ko,
            ko_ci,
            co,
            co_ci,
            fmt_opt(k.client_cpu_ms, 1),
            fmt_opt(k.server_cpu_ms, 1),
        ]);
    }
    out.push_str(&t.render_indented(2));
    out.push('\n');
}

fn summary_cells(s: Option<&hostkit_stats::Summary>) -> (String, String) {
    match s {
        Some(s) => (format!("{:.1}", s.median), fmt_ci(s.ci_low, s.ci_high, 1)),
        None => ("-".to_owned(), String::new()),
    }
}

/// Eighth blocks for sub-cell bar resolution.
const EIGHTHS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/// Horizontal bar chart (unicode blocks) of bulk MB/s, `width` columns.
pub fn bars(analysis: &Analysis, top_n: usize, width: usize) -> String {
    let many_dirs = bulk_by_direction(analysis).len() > 1;
    let rows: Vec<(String, f64)> = analysis
        .bulk
        .iter()
        .take(top_n)
        .map(|b| {
            let dir = if many_dirs {
                format!(" ({})", b.direction)
            } else {
                String::new()
            };
            (format!("{}{dir}", b.label()), b.mbps.median)
        })
        .collect();
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    if rows.is_empty() || max <= 0.0 {
        return String::new();
    }
    let label_w = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let width = width.max(1);
    let mut out = String::new();
    for (label, v) in rows {
        let eighths = ((v / max) * width as f64 * 8.0).round() as usize;
        let mut bar = "█".repeat(eighths / 8);
        if !eighths.is_multiple_of(8) {
            bar.push(EIGHTHS[eighths % 8]);
        }
        let pad = " ".repeat(label_w - label.chars().count());
        let bar_pad = " ".repeat(width.saturating_sub(bar.chars().count()));
        let _ = writeln!(out, "{label}{pad}  {bar}{bar_pad}  {v:.1} MB/s");
    }
    out
}
