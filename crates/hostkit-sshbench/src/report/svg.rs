//! A standalone SVG report in three panels: the bulk ranking (median bars coloured by the
//! rating database's verdict, 95 % CI whiskers, n, tie groups shaded, axis at top and bottom
//! when long), the handshake panel (kex-only and full-connect ms per kex) and a cipher x MAC
//! heatmap of the full bulk matrix. A subtitle names host, CPU, OpenSSH, direction, kex, date
//! and "top N of M"; every axis has a label with its unit; legends stay inside the canvas.

use std::fmt::Write as _;

use crate::analyze::{Analysis, BulkResult, KexResult};
use crate::plan::Direction;
use crate::rating::{Rating, SecurityClass, class, rate};

/// Facts for the subtitle (the caller formats the date).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChartMeta {
    pub host: String,
    pub cpu: String,
    /// `OpenSSH_9.2p1` (client).
    pub openssh: String,
    /// e.g. `2026-12-01 20:55 UTC`.
    pub date: String,
}

const WIDTH: f64 = 960.0;
const MARGIN: f64 = 16.0;
const LABEL_W: f64 = 390.0;
const RIGHT: f64 = 110.0;
const ROW_H: f64 = 22.0;
/// Rankings longer than this get an axis on top as well as at the bottom.
const LONG_RANKING: usize = 15;

/// XML text escaping.
pub(crate) fn esc(s: &str) -> String {
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

fn kex_colour(c: SecurityClass) -> &'static str {
    match c {
        SecurityClass::PostQuantum => "#2a9d8f",
        SecurityClass::Good => "#3b7dd8",
        SecurityClass::Weak => "#e0a526",
        SecurityClass::Broken => "#d64545",
        SecurityClass::Unknown => "#8c8c8c",
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

/// A linear axis from 0 to a nice maximum over `[x0, x1]` pixels.
struct Axis {
    max: f64,
    step: f64,
    x0: f64,
    x1: f64,
}

impl Axis {
    fn new(max: f64, x0: f64, x1: f64) -> Axis {
        let max = if max > 0.0 && max.is_finite() {
            max
        } else {
            1.0
        };
        let step = nice_step(max, 5.0);
        Axis {
            max: (max / step).ceil().max(1.0) * step,
            step,
            x0,
            x1,
        }
    }

    fn x(&self, v: f64) -> f64 {
        self.x0 + v.clamp(0.0, self.max) / self.max * (self.x1 - self.x0)
    }

    /// Grid lines from `top` to `bottom` and tick labels below `label_y` (and above `top`
    /// when `both`).
    fn draw(&self, out: &mut String, top: f64, bottom: f64, both: bool) {
        let decimals = if self.step >= 1.0 {
            0
        } else {
            (-self.step.log10()).ceil() as usize
        };
        let ticks = (self.max / self.step).round() as usize;
        for i in 0..=ticks {
            let v = i as f64 * self.step;
            let tx = self.x(v);
            let _ = writeln!(
                out,
                r##"<line x1="{tx:.1}" y1="{top:.1}" x2="{tx:.1}" y2="{bottom:.1}" stroke="#e4e4e4"/><text x="{tx:.1}" y="{:.1}" text-anchor="middle" fill="#555">{v:.decimals$}</text>"##,
                bottom + 14.0
            );
            if both {
                let _ = writeln!(
                    out,
                    r##"<text x="{tx:.1}" y="{:.1}" text-anchor="middle" fill="#555">{v:.decimals$}</text>"##,
                    top - 5.0
                );
            }
        }
    }
}

/// The direction(s) and bulk kex of the analysis, for the subtitle.
fn run_facts(a: &Analysis) -> (String, String) {
    let up = a.bulk.iter().any(|b| b.direction == Direction::Up);
    let down = a.bulk.iter().any(|b| b.direction == Direction::Down);
    let dir = match (up, down) {
        (true, true) => "upload + download",
        (false, true) => "download (server -> client)",
        _ => "upload (client -> server)",
    };
    let kex = a
        .bulk
        .first()
        .map_or_else(|| "-".to_owned(), |b| b.kex.clone());
    (dir.to_owned(), kex)
}

/// Standalone SVG report: ranking (top `top_n`), handshake panel and cipher x MAC heatmap.
pub fn svg(analysis: &Analysis, meta: &ChartMeta, top_n: usize) -> String {
    let mut body = String::new();
    let mut y = MARGIN;
    y = title(&mut body, analysis, meta, top_n, y);
    y = ranking(&mut body, analysis, top_n, y);
    y = handshake(&mut body, &analysis.kex, y + 18.0);
    for dir in [Direction::Up, Direction::Down] {
        if analysis.bulk.iter().any(|b| b.direction == dir) {
            y = heatmap(&mut body, analysis, dir, y + 18.0);
        }
    }
    let height = (y + MARGIN).ceil();
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n{body}</svg>\n"
    )
}

fn title(out: &mut String, a: &Analysis, meta: &ChartMeta, top_n: usize, y: f64) -> f64 {
    let (dir, kex) = run_facts(a);
    let shown = top_n.min(a.bulk.len());
    let _ = writeln!(
        out,
        r#"<text x="{MARGIN}" y="{:.1}" font-size="16" font-weight="bold">SSH cipher x MAC throughput: top {shown} of {}</text>"#,
        y + 14.0,
        a.bulk.len()
    );
    let line1 = format!(
        "host {} · CPU {} · {}",
        or_dash(&meta.host),
        or_dash(&meta.cpu),
        or_dash(&meta.openssh)
    );
    let line2 = format!("{dir} · bulk kex {kex} · {}", or_dash(&meta.date));
    for (i, l) in [line1, line2].iter().enumerate() {
        let _ = writeln!(
            out,
            r##"<text x="{MARGIN}" y="{:.1}" fill="#444">{}</text>"##,
            y + 32.0 + 15.0 * i as f64,
            esc(l)
        );
    }
    y + 56.0
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}

fn ranking(out: &mut String, a: &Analysis, top_n: usize, y0: f64) -> f64 {
    let rows: Vec<&BulkResult> = a.bulk.iter().take(top_n).collect();
    let many_dirs = a.bulk.iter().any(|b| b.direction != a.bulk[0].direction);
    let long = rows.len() > LONG_RANKING;
    let top = y0 + if long { 30.0 } else { 12.0 };
    let bottom = top + ROW_H * rows.len().max(1) as f64;
    let max = rows
        .iter()
        .map(|r| r.mbps.ci_high.max(r.mbps.median))
        .fold(0.0, f64::max);
    let axis = Axis::new(max, LABEL_W, WIDTH - RIGHT);
    if long {
        let _ = writeln!(
            out,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#333">MB/s (10^6 bytes/s)</text>"##,
            (LABEL_W + WIDTH - RIGHT) / 2.0,
            top - 18.0
        );
    }
    // Tie groups: a shaded band per group of two or more rows.
    let ranks = super::tie_ranks(&rows);
    let mut i = 0;
    while i < rows.len() {
        let j = (i..rows.len())
            .take_while(|&k| ranks[k] == ranks[i])
            .count()
            + i;
        if j - i > 1 {
            let _ = writeln!(
                out,
                r##"<rect x="{MARGIN}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#f1f1f6"/><path d="M{:.1} {:.1}v{:.1}" stroke="#7a7aa8" stroke-width="2"/>"##,
                top + ROW_H * i as f64 + 1.0,
                WIDTH - 2.0 * MARGIN,
                ROW_H * (j - i) as f64 - 2.0,
                MARGIN + 2.0,
                top + ROW_H * i as f64 + 3.0,
                ROW_H * (j - i) as f64 - 6.0
            );
        }
        i = j;
    }
    axis.draw(out, top, bottom, long);
    if rows.is_empty() {
        let _ = writeln!(
            out,
            r#"<text x="{LABEL_W}" y="{:.1}">no bulk results</text>"#,
            top + 15.0
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let y = top + ROW_H * i as f64;
        let dir = if many_dirs {
            format!(" ({})", r.direction)
        } else {
            String::new()
        };
        let tied = ranks.iter().filter(|&&k| k == ranks[i]).count() > 1;
        let rank = format!("{}{}", ranks[i], if tied { "=" } else { "" });
        let label = esc(&format!("{}{dir}", r.label()));
        let s = &r.mbps;
        let _ = writeln!(
            out,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="#555">{rank}</text><text x="{:.1}" y="{:.1}" text-anchor="end"{}>{label}</text>"##,
            MARGIN + 28.0,
            y + ROW_H * 0.68,
            LABEL_W - 8.0,
            y + ROW_H * 0.68,
            // Long labels (a MAC with `@openssh.com` plus `(down)`) in a smaller font, so they
            // stay clear of the rank column.
            if label.chars().count() > 48 {
                r#" font-size="10.5""#
            } else {
                ""
            }
        );
        let _ = writeln!(
            out,
            r#"<rect x="{LABEL_W}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{label}: {:.1} MB/s, 95% CI {:.1}..{:.1}, n={}</title></rect>"#,
            y + 4.0,
            (axis.x(s.median) - LABEL_W).max(1.0),
            ROW_H - 8.0,
            colour(row_rating(r)),
            s.median,
            s.ci_low,
            s.ci_high,
            s.n
        );
        let (lo, hi, mid) = (axis.x(s.ci_low), axis.x(s.ci_high), y + ROW_H / 2.0);
        let _ = writeln!(
            out,
            r##"<path d="M{lo:.1} {mid:.1}H{hi:.1}M{lo:.1} {:.1}V{:.1}M{hi:.1} {:.1}V{:.1}" stroke="#222" fill="none"/><text x="{:.1}" y="{:.1}" fill="#222">{:.0} <tspan fill="#777">n={}</tspan></text>"##,
            mid - 5.0,
            mid + 5.0,
            mid - 5.0,
            mid + 5.0,
            hi + 6.0,
            y + ROW_H * 0.68,
            s.median,
            s.n
        );
    }
    let _ = writeln!(
        out,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#333">MB/s (10^6 bytes/s): bar = median, whisker = 95% CI of the median, n = samples</text>"##,
        (LABEL_W + WIDTH - RIGHT) / 2.0,
        bottom + 32.0
    );
    legend(out, bottom + 50.0)
}

/// Legend row inside the canvas; returns the y below it.
fn legend(out: &mut String, y: f64) -> f64 {
    let mut lx = MARGIN;
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
        lx += 70.0;
    }
    let _ = writeln!(
        out,
        r##"<rect x="{lx}" y="{:.1}" width="22" height="12" fill="#f1f1f6"/><path d="M{:.1} {:.1}v10" stroke="#7a7aa8" stroke-width="2"/><text x="{:.1}" y="{y:.1}" fill="#333">tied: 95% CIs overlap the band's first row (rank "N=")</text>"##,
        y - 10.0,
        lx + 2.0,
        y - 9.0,
        lx + 28.0
    );
    let _ = writeln!(
        out,
        r##"<text x="{MARGIN}" y="{:.1}" fill="#555">colour: the worse rating of cipher and MAC (rating database {})</text>"##,
        y + 16.0,
        crate::policy::RATING_DB_VERSION
    );
    y + 24.0
}

fn handshake(out: &mut String, kex: &[KexResult], y0: f64) -> f64 {
    let _ = writeln!(
        out,
        r#"<text x="{MARGIN}" y="{:.1}" font-size="14" font-weight="bold">Handshake cost per kex</text>"#,
        y0 + 12.0
    );
    if kex.is_empty() {
        let _ = writeln!(
            out,
            r##"<text x="{MARGIN}" y="{:.1}" fill="#555">no handshake trials in this run (`--no-kex`, or a seed log)</text>"##,
            y0 + 32.0
        );
        return y0 + 40.0;
    }
    let top = y0 + 26.0;
    let row = 2.0 * 14.0 + 8.0;
    let bottom = top + row * kex.len() as f64;
    let max = kex
        .iter()
        .flat_map(|k| [&k.kex_only_ms, &k.connect_ms])
        .flatten()
        .map(|s| s.ci_high.max(s.median))
        .fold(0.0, f64::max);
    let axis = Axis::new(max, LABEL_W, WIDTH - RIGHT);
    axis.draw(out, top, bottom, false);
    for (i, k) in kex.iter().enumerate() {
        let y = top + row * i as f64;
        let c = class(&k.kex);
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{} <tspan fill="{}">({})</tspan></text>"#,
            LABEL_W - 8.0,
            y + 18.0,
            esc(&k.kex),
            kex_colour(c),
            c.label()
        );
        for (j, (s, what, opacity)) in [
            (&k.kex_only_ms, "kex-only", 1.0),
            (&k.connect_ms, "connect", 0.45),
        ]
        .into_iter()
        .enumerate()
        {
            let Some(s) = s else { continue };
            let by = y + 4.0 + 14.0 * j as f64;
            let (lo, hi) = (axis.x(s.ci_low), axis.x(s.ci_high));
            let _ = writeln!(
                out,
                r##"<rect x="{LABEL_W}" y="{by:.1}" width="{:.1}" height="11" fill="{}" fill-opacity="{opacity}"><title>{} {what}: {:.0} ms, 95% CI {:.0}..{:.0}, n={}</title></rect><path d="M{lo:.1} {:.1}H{hi:.1}" stroke="#222"/><text x="{:.1}" y="{:.1}" font-size="11" fill="#222">{what} {:.0} ms <tspan fill="#777">n={}</tspan></text>"##,
                (axis.x(s.median) - LABEL_W).max(1.0),
                kex_colour(c),
                esc(&k.kex),
                s.median,
                s.ci_low,
                s.ci_high,
                s.n,
                by + 5.5,
                hi + 6.0,
                by + 10.0,
                s.median,
                s.n
            );
        }
    }
    let _ = writeln!(
        out,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#333">ms per connection: solid = kex-only handshake, light = full connect (login + shell); whisker = 95% CI</text>"##,
        (LABEL_W + WIDTH - RIGHT) / 2.0,
        bottom + 32.0
    );
    let mut lx = MARGIN;
    let ly = bottom + 50.0;
    for c in [
        SecurityClass::PostQuantum,
        SecurityClass::Good,
        SecurityClass::Weak,
        SecurityClass::Broken,
    ] {
        let _ = writeln!(
            out,
            r#"<rect x="{lx}" y="{:.1}" width="12" height="12" fill="{}"/><text x="{}" y="{ly:.1}">{}</text>"#,
            ly - 10.0,
            kex_colour(c),
            lx + 16.0,
            c.label()
        );
        lx += 110.0;
    }
    ly + 12.0
}

/// Cipher x MAC heatmap of one direction (AEAD ciphers in the `implicit` column); empty
/// cells were not measured or were refused.
fn heatmap(out: &mut String, a: &Analysis, dir: Direction, y0: f64) -> f64 {
    let rows: Vec<&BulkResult> = a.bulk.iter().filter(|b| b.direction == dir).collect();
    let mut ciphers: Vec<&str> = Vec::new();
    let mut macs: Vec<&str> = Vec::new();
    for b in &rows {
        if !ciphers.contains(&b.cipher.as_str()) {
            ciphers.push(&b.cipher);
        }
        let m = b.mac.as_deref().unwrap_or("implicit (AEAD)");
        if !macs.contains(&m) {
            macs.push(m);
        }
    }
    ciphers.sort();
    macs.sort_by_key(|m| (m.starts_with("implicit"), *m));
    let _ = writeln!(
        out,
        r#"<text x="{MARGIN}" y="{:.1}" font-size="14" font-weight="bold">Cipher x MAC matrix, {}: median MB/s ({} of {} cells measured)</text>"#,
        y0 + 12.0,
        dir.label(),
        rows.len(),
        ciphers.len() * macs.len()
    );
    let left = 250.0;
    // Room on the right for the last column's slanted label.
    let cell_w = ((WIDTH - left - 150.0) / macs.len() as f64).min(80.0);
    let cell_h = 22.0;
    let header = 150.0;
    let top = y0 + 20.0 + header;
    let max = rows.iter().map(|b| b.mbps.median).fold(0.0, f64::max);
    for (j, m) in macs.iter().enumerate() {
        let cx = left + cell_w * (j as f64 + 0.5);
        let _ = writeln!(
            out,
            r#"<text x="{cx:.1}" y="{:.1}" font-size="11" transform="rotate(-45 {cx:.1} {:.1})">{}</text>"#,
            top - 6.0,
            top - 6.0,
            esc(m)
        );
    }
    for (i, c) in ciphers.iter().enumerate() {
        let y = top + cell_h * i as f64;
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            left - 8.0,
            y + cell_h * 0.68,
            esc(c)
        );
        for (j, m) in macs.iter().enumerate() {
            let x = left + cell_w * j as f64;
            let cell = rows
                .iter()
                .find(|b| b.cipher == *c && b.mac.as_deref().unwrap_or("implicit (AEAD)") == *m);
            match cell {
                Some(b) => {
                    let t = if max > 0.0 { b.mbps.median / max } else { 0.0 };
                    let _ = writeln!(
                        out,
                        r##"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{}" stroke="white"><title>{}: {:.1} MB/s, n={}</title></rect><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10" fill="{}">{:.0}</text>"##,
                        cell_w,
                        cell_h,
                        heat(t),
                        esc(&b.label()),
                        b.mbps.median,
                        b.mbps.n,
                        x + cell_w / 2.0,
                        y + cell_h * 0.68,
                        if t > 0.55 { "white" } else { "#222" },
                        b.mbps.median
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        r##"<rect x="{x:.1}" y="{y:.1}" width="{cell_w:.1}" height="{cell_h:.1}" fill="#fafafa" stroke="#eee"/>"##
                    );
                }
            }
        }
    }
    let bottom = top + cell_h * ciphers.len() as f64;
    // Colour scale.
    let ly = bottom + 22.0;
    for k in 0..=10 {
        let _ = writeln!(
            out,
            r#"<rect x="{:.1}" y="{:.1}" width="20" height="12" fill="{}"/>"#,
            left + 20.0 * k as f64,
            ly - 10.0,
            heat(k as f64 / 10.0)
        );
    }
    let _ = writeln!(
        out,
        r##"<text x="{:.1}" y="{ly:.1}" text-anchor="end" fill="#333">0 MB/s</text><text x="{:.1}" y="{ly:.1}" fill="#333">{max:.0} MB/s (10^6 bytes/s); blank: not measured</text>"##,
        left - 6.0,
        left + 20.0 * 11.0 + 6.0
    );
    ly + 6.0
}

/// White to dark blue.
fn heat(t: f64) -> String {
    let t = t.clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        lerp(240.0, 24.0),
        lerp(245.0, 70.0),
        lerp(255.0, 150.0)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> ChartMeta {
        ChartMeta {
            host: "bench1".into(),
            cpu: "AMD EPYC (synthetic)".into(),
            openssh: "OpenSSH_9.2p1".into(),
            date: "2023-11-14 22:13 UTC".into(),
        }
    }

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
    fn chart_has_subtitle_axis_labels_panels_and_stays_in_the_canvas() {
        let a = crate::analyze::analyze(&crate::fixtures::synthetic_log());
        let s = svg(&a, &meta(), 8);
        assert!(s.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(s.trim_end().ends_with("</svg>"));
        assert!(s.contains("top 8 of 8"));
        assert!(s.contains("host bench1 · CPU AMD EPYC (synthetic) · OpenSSH_9.2p1"));
        assert!(
            s.contains("upload (client -&gt; server) · bulk kex curve25519-sha256 · 2023-11-14")
        );
        assert!(s.contains("MB/s (10^6 bytes/s): bar = median"));
        assert!(s.contains("ms per connection"));
        assert!(s.contains("Cipher x MAC matrix, up"));
        assert!(s.contains("n=5"));
        assert!(s.contains("tied: 95% CIs overlap"));
        assert!(
            s.contains(">1=<") || s.contains(">2=<") || s.contains(">3=<"),
            "a tie rank"
        );
        assert!(s.contains(colour(Rating::Broken)), "3des bar is red");
        assert!(!s.contains("NaN") && !s.contains("inf"));
        // Nothing drawn beyond the canvas width.
        let width_ok = s.split("x=\"").skip(1).all(|rest| {
            rest.split('"')
                .next()
                .unwrap()
                .parse::<f64>()
                .map_or(true, |x| x < WIDTH)
        });
        assert!(width_ok);
    }

    #[test]
    fn long_rankings_get_an_axis_on_top() {
        let mut a = crate::analyze::analyze(&crate::fixtures::synthetic_log());
        let base = a.bulk.clone();
        for i in 0..3 {
            for b in &base {
                let mut c = b.clone();
                c.trial = format!("{}-{i}", b.trial);
                c.cipher = format!("{}-{i}", b.cipher);
                a.bulk.push(c);
            }
        }
        let short = svg(&a, &meta(), 8);
        let long = svg(&a, &meta(), 30);
        assert!(long.contains("top 30 of 32"));
        // The long ranking labels its axis a second time, above the bars.
        assert_eq!(short.matches(">MB/s (10^6 bytes/s)<").count(), 0);
        assert_eq!(long.matches(">MB/s (10^6 bytes/s)<").count(), 1);
    }
}
