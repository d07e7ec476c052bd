//! A standalone SVG bar chart of bulk MB/s (median bars, 95 % CI whiskers), bars coloured by
//! the rating database's verdict on the combination (the worse of cipher and MAC).

use std::fmt::Write as _;

use crate::analyze::{Analysis, BulkResult};
use crate::policy::{Rating, rate};

const WIDTH: f64 = 860.0;
const LABEL_W: f64 = 360.0;
const ROW_H: f64 = 24.0;
const TOP: f64 = 48.0;
const BOTTOM: f64 = 56.0;
const RIGHT: f64 = 70.0;

/// XML text escaping.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The worse rating of a bulk row's cipher and MAC.
fn row_rating(b: &BulkResult) -> Rating {
    let c = rate(&b.cipher).rating;
    let m = b.mac.as_deref().map_or(Rating::Good, |m| rate(m).rating);
    c.max(m)
}

fn colour(r: Rating) -> &'static str {
    match r {
        Rating::Good => "#3b7dd8",
        Rating::Weak => "#e0a526",
        Rating::Broken => "#d64545",
        Rating::Unknown => "#8c8c8c",
    }
}

/// A "nice" axis step (1, 2 or 5 times a power of ten) giving about `ticks` ticks up to `max`.
fn nice_step(max: f64, ticks: f64) -> f64 {
    let raw = (max / ticks).max(f64::MIN_POSITIVE);
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let f = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    f * mag
}

/// Standalone SVG bar chart with CI whiskers.
pub fn svg(analysis: &Analysis, top_n: usize) -> String {
    let rows: Vec<&BulkResult> = analysis.bulk.iter().take(top_n).collect();
    let many_dirs = analysis
        .bulk
        .iter()
        .any(|b| b.direction != analysis.bulk[0].direction);
    let height = TOP + BOTTOM + ROW_H * rows.len().max(1) as f64;
    let max = rows
        .iter()
        .map(|r| r.mbps.ci_high.max(r.mbps.median))
        .fold(0.0, f64::max);
    let step = nice_step(if max > 0.0 { max } else { 1.0 }, 5.0);
    let axis_max = (max / step).ceil().max(1.0) * step;
    let plot_w = WIDTH - LABEL_W - RIGHT;
    let x = |v: f64| LABEL_W + v / axis_max * plot_w;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="{}" y="22" font-size="15" font-weight="bold">SSH bulk throughput, MB/s (median, whiskers: 95% CI)</text>"#,
        LABEL_W / 2.0 - 150.0
    );
    if rows.is_empty() {
        let _ = writeln!(
            out,
            r#"<text x="{LABEL_W}" y="{}">no bulk results</text>"#,
            TOP + 16.0
        );
    }
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10()).ceil() as usize
    };
    let ticks = (axis_max / step).round() as usize;
    for i in 0..=ticks {
        let tick = i as f64 * step;
        let tx = x(tick);
        let _ = writeln!(
            out,
            r##"<line x1="{tx:.1}" y1="{TOP}" x2="{tx:.1}" y2="{:.1}" stroke="#e4e4e4"/><text x="{tx:.1}" y="{:.1}" text-anchor="middle" fill="#555">{tick:.decimals$}</text>"##,
            height - BOTTOM,
            height - BOTTOM + 16.0
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let y = TOP + ROW_H * i as f64;
        let dir = if many_dirs {
            format!(" ({})", r.direction)
        } else {
            String::new()
        };
        let label = esc(&format!("{}{dir}", r.label()));
        let s = &r.mbps;
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{label}</text>"#,
            LABEL_W - 8.0,
            y + ROW_H * 0.65
        );
        let _ = writeln!(
            out,
            r#"<rect x="{LABEL_W}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{label}: {:.1} MB/s [{:.1}, {:.1}], n={}</title></rect>"#,
            y + 4.0,
            x(s.median) - LABEL_W,
            ROW_H - 8.0,
            colour(row_rating(r)),
            s.median,
            s.ci_low,
            s.ci_high,
            s.n
        );
        let (lo, hi, mid) = (x(s.ci_low), x(s.ci_high), y + ROW_H / 2.0);
        let _ = writeln!(
            out,
            r##"<path d="M{lo:.1} {mid:.1}H{hi:.1}M{lo:.1} {:.1}V{:.1}M{hi:.1} {:.1}V{:.1}" stroke="#222" fill="none"/><text x="{:.1}" y="{:.1}" fill="#222">{:.1}</text>"##,
            mid - 5.0,
            mid + 5.0,
            mid - 5.0,
            mid + 5.0,
            hi + 6.0,
            y + ROW_H * 0.65,
            s.median
        );
    }
    legend(&mut out, height);
    out.push_str("</svg>\n");
    out
}

fn legend(out: &mut String, height: f64) {
    let y = height - 18.0;
    let mut lx = LABEL_W;
    for (r, text) in [
        (Rating::Good, "good"),
        (Rating::Weak, "weak"),
        (Rating::Broken, "broken"),
    ] {
        let _ = writeln!(
            out,
            r#"<rect x="{lx}" y="{:.1}" width="12" height="12" fill="{}"/><text x="{}" y="{y:.1}">{text}</text>"#,
            y - 10.0,
            colour(r),
            lx + 16.0
        );
        lx += 80.0;
    }
    let _ = writeln!(
        out,
        r##"<text x="{lx}" y="{y:.1}" fill="#555">rating of cipher and MAC (rating database {})</text>"##,
        crate::policy::RATING_DB_VERSION
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(400.0, 5.0), 100.0);
        assert_eq!(nice_step(8.0, 5.0), 2.0);
        assert_eq!(nice_step(0.3, 5.0), 0.1);
        assert_eq!(nice_step(2500.0, 5.0), 500.0);
    }

    #[test]
    fn escapes_xml() {
        assert_eq!(
            esc("<implicit> & \"x\""),
            "&lt;implicit&gt; &amp; &quot;x&quot;"
        );
    }

    #[test]
    fn chart_is_well_formed_enough() {
        let a = crate::analyze::analyze(&crate::fixtures::synthetic_log());
        let s = svg(&a, 8);
        assert!(s.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(s.trim_end().ends_with("</svg>"));
        assert_eq!(s.matches("<title>").count(), 8);
        assert_eq!(s.matches("<title>").count(), s.matches("</title>").count());
        assert!(s.contains(colour(Rating::Broken)), "3des bar is red");
        assert!(!s.contains("NaN") && !s.contains("inf"));
    }
}
