//! The complete result of one `ntp check`: per-address summaries, name-resolution failures and
//! the verdict, plus its JSON fields (a stable schema: [`Report::SCHEMA_VERSION`] is bumped on any change
//! that removes or renames a field).

use serde_json::{Value, json};

use crate::check::{Policy, Verdict, evaluate};
use crate::select::{AddressSummary, State};
use crate::sys::resolve::ResolveError;

/// A `-H` value that could not be turned into addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveFailure {
    /// The `-H` value.
    pub host: String,
    /// Why.
    pub error: ResolveError,
}

/// Everything a renderer needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// One entry per queried address, in `-H` then resolver order.
    pub summaries: Vec<AddressSummary>,
    /// Hosts that did not resolve.
    pub resolve_failures: Vec<ResolveFailure>,
    /// The verdict.
    pub verdict: Verdict,
    /// Wall time of the whole check, in milliseconds.
    pub elapsed_ms: u64,
}

impl Report {
    /// Judges the summaries; a check where nothing resolved counts as unreachable.
    pub fn new(
        summaries: Vec<AddressSummary>,
        resolve_failures: Vec<ResolveFailure>,
        policy: &Policy,
        elapsed_ms: u64,
    ) -> Report {
        let mut verdict = evaluate(&summaries, policy);
        if summaries.is_empty() && !resolve_failures.is_empty() {
            verdict.status = policy.unreachable;
        }
        Report {
            summaries,
            resolve_failures,
            verdict,
            elapsed_ms,
        }
    }

    /// The chosen address, if any.
    pub fn chosen(&self) -> Option<&AddressSummary> {
        self.verdict.chosen.map(|i| &self.summaries[i])
    }

    /// True when at least one address answered with something (even unusable).
    pub fn any_answer(&self) -> bool {
        self.summaries
            .iter()
            .any(|s| !matches!(s.state, State::NoResponse | State::Refused | State::Error))
    }

    /// The schema version of [`Report::to_json`] (bumped on any removal or rename).
    pub const SCHEMA_VERSION: u32 = 1;

    /// The fields of the `--format json` document (the binary wraps them in the house
    /// envelope with [`Report::SCHEMA_VERSION`]); every key is listed in docs/ntp.md.
    pub fn to_json(&self, summary_line: &str) -> Value {
        json!({
            "status": self.verdict.status,
            "exit_code": self.verdict.status.code(),
            "summary": summary_line,
            "offset_seconds": self.verdict.offset_seconds,
            "chosen": self.chosen().map(|s| json!({
                "host": s.exchange.host,
                "address": s.exchange.addr.to_string(),
            })),
            "elapsed_ms": self.elapsed_ms,
            "servers": self.summaries.iter().map(server_json).collect::<Vec<_>>(),
            "resolve_errors": self.resolve_failures.iter().map(|f| json!({
                "host": f.host, "error": f.error.to_string(),
            })).collect::<Vec<_>>(),
        })
    }
}

/// The reference ID as text: ASCII for stratum 0/1 sources, dotted quad otherwise.
pub fn reference_id_text(stratum: u8, id: [u8; 4]) -> String {
    if stratum <= 1 && id.iter().all(|&c| c == 0 || (0x20..0x7f).contains(&c)) {
        String::from_utf8_lossy(&id)
            .trim_end_matches('\0')
            .to_string()
    } else {
        format!("{}.{}.{}.{}", id[0], id[1], id[2], id[3])
    }
}

fn server_json(s: &AddressSummary) -> Value {
    let e = &s.exchange;
    let reason = match s.state {
        State::Ok => Value::Null,
        _ => Value::String(s.describe_state()),
    };
    let state = match s.state {
        State::Ok => "ok",
        State::Unsynchronised(_) => "unsynchronised",
        State::Kiss(_) => "kiss_of_death",
        State::Invalid(_) => "invalid",
        State::Refused => "refused",
        State::Error => "error",
        State::NoResponse => "no_response",
    };
    let best = s.best.map(|b| {
        json!({
            "offset_seconds": b.offset().to_seconds(),
            "delay_seconds": b.delay().to_seconds(),
            "root_delay_seconds": b.packet.root_delay.to_seconds(),
            "root_dispersion_seconds": b.packet.root_dispersion.to_seconds(),
            "root_distance_seconds": b.root_distance_seconds(),
            "stratum": b.packet.stratum,
            "leap": b.packet.leap,
            "version": b.packet.version,
            "precision_log2": b.packet.precision_log2,
            "reference_id": reference_id_text(b.packet.stratum, b.packet.reference_id),
        })
    });
    let samples: Vec<Value> = e
        .samples
        .iter()
        .map(|x| {
            json!({
                "t1": x.t1.to_unix_seconds(), "t2": x.t2.to_unix_seconds(),
                "t3": x.t3.to_unix_seconds(), "t4": x.t4.to_unix_seconds(),
                "offset_seconds": x.offset().to_seconds(),
                "delay_seconds": x.delay().to_seconds(),
            })
        })
        .collect();
    json!({
        "host": e.host,
        "address": e.addr.to_string(),
        "state": state,
        "reason": reason,
        "kiss_code": e.kiss,
        "sent": e.sent,
        "received": e.samples.len(),
        "ignored": e.ignored,
        "refused_after_ms": e.refused_after_ms,
        "error": e.error,
        "best": best,
        "jitter_seconds": s.jitter_seconds,
        "samples": samples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::select::summarize;
    use crate::select::tests::{exchange, sample};

    #[test]
    fn json_schema() {
        let mut refused = exchange(124, vec![]);
        refused.refused = true;
        refused.refused_after_ms = Some(1);
        let report = Report::new(
            vec![
                summarize(exchange(123, vec![sample(-0.75, 0.0001, 2)]), 1.5),
                summarize(refused, 1.5),
            ],
            vec![ResolveFailure {
                host: "nx.invalid".into(),
                error: ResolveError::NoSuchName {
                    code: -2,
                    message: "Name or service not known".into(),
                },
            }],
            &Policy::default(),
            7,
        );
        let mut j = report.to_json("NTP OK: ...");
        // Sample timestamps depend on the synthetic clock; the shape is what is locked.
        j["servers"][0]["samples"][0] = serde_json::json!("<sample>");
        insta::assert_json_snapshot!(j);
    }

    #[test]
    fn nothing_resolved_is_unreachable() {
        let policy = Policy {
            unreachable: hostkit_nagios::Status::Warning,
            ..Policy::default()
        };
        let failure = ResolveFailure {
            host: "nx.invalid".into(),
            error: ResolveError::Deadline { after_ms: 1 },
        };
        let r = Report::new(vec![], vec![failure], &policy, 1);
        assert_eq!(r.verdict.status, hostkit_nagios::Status::Warning);
        assert_eq!(reference_id_text(1, *b"GPS\0"), "GPS");
        assert_eq!(reference_id_text(2, [192, 0, 2, 1]), "192.0.2.1");
    }
}
