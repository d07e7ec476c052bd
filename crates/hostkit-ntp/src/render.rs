//! Renderers over a [`Report`]: the Nagios plugin output, the monitoring-plugins 2.3
//! `check_ntp_time` line (byte-compatible) and Prometheus text exposition (for node_exporter's
//! textfile collector; no timestamps; through hostkit-render).

use std::fmt::Write as _;

use hostkit_nagios::printf::{c_f, c_g};
use hostkit_nagios::{PerfData, PluginOutput, Range, Status, Thresholds};

use hostkit_render::prom::{Exposition, MetricKind};

use crate::check::Policy;
use crate::report::Report;
use crate::select::{AddressSummary, State};

fn where_from(s: &AddressSummary) -> String {
    let addr = s.exchange.addr.to_string();
    let bare = s.exchange.addr.ip().to_string();
    if s.exchange.host == addr || s.exchange.host == bare {
        addr
    } else {
        format!("{addr} ({})", s.exchange.host)
    }
}

fn range_for_perfdata(range: &Option<Range>, signed: bool) -> Option<String> {
    let r = range.as_ref()?;
    if signed {
        Some(r.text.clone())
    } else {
        r.as_symmetric().or_else(|| Some(r.text.clone()))
    }
}

/// The Nagios plugin output (first line, perfdata, one detail line per address).
pub fn nagios(report: &Report, policy: &Policy, verbose: bool) -> PluginOutput {
    let status = report.verdict.status;
    let summary = summary_text(report);
    let chosen = report.chosen();
    let best = chosen.and_then(|s| s.best);
    let seconds =
        |v: Option<f64>, label: &str| PerfData::new(label, v, 9, "s").bounds(Some(0.0), None);
    let offset = PerfData::new("offset", report.verdict.offset_seconds, 9, "s").thresholds(
        range_for_perfdata(&policy.offset.warning, policy.signed_thresholds),
        range_for_perfdata(&policy.offset.critical, policy.signed_thresholds),
    );
    let stratum = PerfData::new("stratum", best.map(|b| f64::from(b.packet.stratum)), 0, "")
        .thresholds(
            policy.stratum.warning.as_ref().map(|r| r.text.clone()),
            policy.stratum.critical.as_ref().map(|r| r.text.clone()),
        )
        .bounds(Some(0.0), Some(16.0));
    let perfdata = vec![
        offset,
        seconds(best.map(|b| b.delay().to_seconds()), "delay"),
        seconds(chosen.and_then(|s| s.jitter_seconds), "jitter"),
        seconds(best.map(|b| b.root_distance_seconds()), "root_distance"),
        stratum,
        PerfData::new(
            "samples",
            chosen.map(|s| s.exchange.samples.len() as f64),
            0,
            "",
        )
        .bounds(Some(0.0), None),
    ];
    let mut long_text = Vec::new();
    if verbose || report.summaries.len() + report.resolve_failures.len() > 1 {
        long_text.extend(report.summaries.iter().map(detail_line));
        long_text.extend(
            report
                .resolve_failures
                .iter()
                .map(|f| format!("{}: cannot resolve: {}", f.host, f.error)),
        );
    }
    if verbose {
        for s in &report.summaries {
            for (i, x) in s.exchange.samples.iter().enumerate() {
                long_text.push(format!(
                    "{} sample {}: t1 {:.6} t2 {:.6} t3 {:.6} t4 {:.6} offset {:.9}s delay {:.9}s",
                    s.exchange.addr,
                    i + 1,
                    x.t1.to_unix_seconds(),
                    x.t2.to_unix_seconds(),
                    x.t3.to_unix_seconds(),
                    x.t4.to_unix_seconds(),
                    x.offset().to_seconds(),
                    x.delay().to_seconds(),
                ));
            }
        }
    }
    PluginOutput {
        service: "NTP".into(),
        status,
        summary,
        perfdata,
        long_text,
    }
}

fn detail_line(s: &AddressSummary) -> String {
    let e = &s.exchange;
    let mut line = format!("{}: {}", where_from(s), s.describe_state());
    if let Some(b) = s.best {
        let _ = write!(
            line,
            ", offset {:.6}s delay {:.6}s stratum {} root distance {:.6}s",
            b.offset().to_seconds(),
            b.delay().to_seconds(),
            b.packet.stratum,
            b.root_distance_seconds()
        );
    }
    let _ = write!(line, ", {}/{} answered", e.samples.len(), e.sent);
    if let Some(ms) = e.refused_after_ms {
        let _ = write!(line, " (refused after {ms} ms)");
    }
    if let Some(err) = &e.error {
        let _ = write!(line, " ({err})");
    }
    line
}

fn summary_text(report: &Report) -> String {
    let total = report.summaries.len() + report.resolve_failures.len();
    if let Some(s) = report.chosen() {
        let b = s.best.expect("chosen has a sample");
        let offset = report.verdict.offset_seconds.unwrap_or_default();
        let mut text = format!(
            "offset {offset:.6}s from {} stratum {} delay {:.6}s",
            where_from(s),
            b.packet.stratum,
            b.delay().to_seconds()
        );
        if let Some(j) = s.jitter_seconds {
            let _ = write!(text, " jitter {j:.6}s");
        }
        let failed = report
            .summaries
            .iter()
            .filter(|x| x.state != State::Ok)
            .count()
            + report.resolve_failures.len();
        if failed > 0 {
            let _ = write!(text, " ({failed} of {total} unusable)");
        }
        return text;
    }
    if let Some(i) = report.verdict.failure {
        let s = &report.summaries[i];
        let mut text = format!("{}: {}", where_from(s), s.describe_state());
        if let Some(ms) = s.exchange.refused_after_ms {
            let _ = write!(text, " after {ms} ms");
        }
        if total > 1 {
            let _ = write!(text, " (no usable server among {total})");
        }
        return text;
    }
    match report.resolve_failures.first() {
        Some(f) => format!("cannot resolve `{}`: {}", f.host, f.error),
        None => "no server to query".into(),
    }
}

/// Options of the monitoring-plugins 2.3 `check_ntp_time` that shape its output.
#[derive(Debug, Clone, PartialEq)]
pub struct CompatOptions {
    /// `-w`/`-c` as parsed by the lenient 2.x parser.
    pub thresholds: Thresholds,
    /// `-q`: "Offset unknown" is UNKNOWN instead of CRITICAL (2.3 semantics).
    pub quiet: bool,
}

/// The `check_ntp_time` 2.3 first line (with its newline) and state.
pub fn compat_line(report: &Report, opts: &CompatOptions) -> (String, Status) {
    if let Some(offset) = report.verdict.offset_seconds {
        let status = opts.thresholds.evaluate(offset.abs());
        // check_ntp_time prints the C range's `end` member (0 when no end was given).
        let end = |r: &Option<Range>| c_f(r.as_ref().map_or(0.0, |r| r.c_end));
        let line = format!(
            "NTP {}: Offset {} secs|offset={}s;{};{};\n",
            status.label(),
            c_g(offset, 10),
            c_f(offset),
            end(&opts.thresholds.warning),
            end(&opts.thresholds.critical),
        );
        (line, status)
    } else if report.any_answer() {
        let status = if opts.quiet {
            Status::Unknown
        } else {
            Status::Critical
        };
        (format!("NTP {}: Offset unknown|\n", status.label()), status)
    } else {
        (
            "NTP CRITICAL: No response from NTP server\n".into(),
            Status::Critical,
        )
    }
}

/// Prometheus text exposition format, through hostkit-render's writer: every metric is
/// `hostkit_ntp_*` with its unit in the name (renamed from `ntp_check_*`, issue 7).
pub fn prometheus(report: &Report) -> String {
    let mut e = Exposition::new();
    let host_labels = |s: &AddressSummary| {
        [
            ("host", s.exchange.host.clone()),
            ("address", s.exchange.addr.to_string()),
        ]
    };
    type Getter = fn(&AddressSummary) -> Option<f64>;
    let gauges: [(&str, &str, Getter); 6] = [
        (
            "hostkit_ntp_offset_seconds",
            "Local clock offset from the server (positive: local clock behind).",
            |s| s.best.map(|b| b.offset().to_seconds()),
        ),
        (
            "hostkit_ntp_delay_seconds",
            "Round-trip delay of the selected sample.",
            |s| s.best.map(|b| b.delay().to_seconds()),
        ),
        (
            "hostkit_ntp_jitter_seconds",
            "RMS of sample offsets around the selected one.",
            |s| s.jitter_seconds,
        ),
        (
            "hostkit_ntp_root_distance_seconds",
            "Root distance (root delay + delay)/2 + root dispersion.",
            |s| s.root_distance_seconds(),
        ),
        ("hostkit_ntp_stratum", "Server stratum.", |s| {
            s.best.map(|b| f64::from(b.packet.stratum))
        }),
        (
            "hostkit_ntp_up",
            "1 when the address gave a usable, synchronised answer.",
            |s| Some(if s.state == State::Ok { 1.0 } else { 0.0 }),
        ),
    ];
    for (name, help, get) in gauges {
        e.family(name, MetricKind::Gauge, help);
        for s in &report.summaries {
            if let Some(v) = get(s) {
                let l = host_labels(s);
                e.sample(&[(l[0].0, &l[0].1), (l[1].0, &l[1].1)], v);
            }
        }
    }
    e.family(
        "hostkit_ntp_kod_info",
        MetricKind::Gauge,
        "Kiss-o'-death code received from an address.",
    );
    for s in &report.summaries {
        if let Some(code) = s.exchange.kiss {
            let l = host_labels(s);
            let code = code.as_text();
            e.sample(
                &[(l[0].0, &l[0].1), (l[1].0, &l[1].1), ("code", &code)],
                1.0,
            );
        }
    }
    e.family(
        "hostkit_ntp_selected",
        MetricKind::Gauge,
        "1 for the address the verdict is based on.",
    );
    if let Some(s) = report.chosen() {
        let l = host_labels(s);
        e.sample(&[(l[0].0, &l[0].1), (l[1].0, &l[1].1)], 1.0);
    }
    e.family(
        "hostkit_ntp_status",
        MetricKind::Gauge,
        "Nagios state of the check (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).",
    )
    .sample(&[], f64::from(report.verdict.status.code()));
    e.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::KissCode;
    use crate::report::ResolveFailure;
    use crate::select::summarize;
    use crate::select::tests::{exchange, sample};

    fn policy() -> Policy {
        Policy {
            offset: Thresholds {
                warning: Some(Range::parse("0.5").unwrap()),
                critical: Some(Range::parse("1").unwrap()),
            },
            ..Policy::default()
        }
    }

    fn seed_report() -> Report {
        let s = summarize(
            exchange(
                123,
                vec![
                    sample(-0.7461649179, 0.000024, 2),
                    sample(-0.7461, 0.000100, 2),
                ],
            ),
            1.5,
        );
        Report::new(vec![s], vec![], &policy(), 3)
    }

    #[test]
    fn nagios_line_for_the_seed_case() {
        insta::assert_snapshot!(nagios(&seed_report(), &policy(), false).render());
    }

    #[test]
    fn nagios_failures_and_multiple_hosts() {
        let mut refused = exchange(124, vec![]);
        refused.refused = true;
        refused.refused_after_ms = Some(1);
        let mut kiss = exchange(125, vec![]);
        kiss.kiss = Some(KissCode(*b"DENY"));
        let r = Report::new(
            vec![summarize(refused.clone(), 1.5), summarize(kiss, 1.5)],
            vec![ResolveFailure {
                host: "nx.invalid".into(),
                error: crate::sys::resolve::ResolveError::NoSuchName {
                    code: -2,
                    message: "Name or service not known".into(),
                },
            }],
            &policy(),
            2,
        );
        insta::assert_snapshot!(nagios(&r, &policy(), false).render());
        let only_refused = Report::new(vec![summarize(refused, 1.5)], vec![], &policy(), 1);
        insta::assert_snapshot!("refused", nagios(&only_refused, &policy(), false).render());
    }

    #[test]
    fn compat_lines_match_check_ntp_time_2_3() {
        let opts = CompatOptions {
            thresholds: Thresholds {
                warning: Some(Range::parse_legacy("0.5").unwrap()),
                critical: Some(Range::parse_legacy("1.0").unwrap()),
            },
            quiet: false,
        };
        let (line, status) = compat_line(&seed_report(), &opts);
        // The synthetic sample carries 32.32 rounding in the last digits of `%.10g`.
        assert!(
            line.starts_with("NTP WARNING: Offset -0.74616491"),
            "{line}"
        );
        assert!(
            line.ends_with(" secs|offset=-0.746165s;0.500000;1.000000;\n"),
            "{line}"
        );
        assert_eq!(status, Status::Warning);
        let silent = Report::new(
            vec![summarize(exchange(1, vec![]), 1.5)],
            vec![],
            &policy(),
            1,
        );
        assert_eq!(
            compat_line(&silent, &opts).0,
            "NTP CRITICAL: No response from NTP server\n"
        );
        let unsync = Report::new(
            vec![summarize(exchange(1, vec![sample(0.0, 0.001, 16)]), 1.5)],
            vec![],
            &policy(),
            1,
        );
        assert_eq!(
            compat_line(&unsync, &opts),
            ("NTP CRITICAL: Offset unknown|\n".into(), Status::Critical)
        );
        let quiet = CompatOptions {
            quiet: true,
            ..opts.clone()
        };
        assert_eq!(
            compat_line(&unsync, &quiet),
            ("NTP UNKNOWN: Offset unknown|\n".into(), Status::Unknown)
        );
        let open = CompatOptions {
            thresholds: Thresholds {
                warning: Some(Range::parse_legacy("0.5:").unwrap()),
                critical: None,
            },
            quiet: false,
        };
        assert!(
            compat_line(&seed_report(), &open)
                .0
                .ends_with("s;0.000000;0.000000;\n")
        );
    }

    #[test]
    fn prometheus_exposition() {
        insta::assert_snapshot!(prometheus(&seed_report()));
    }
}
