//! The check verdict: the best-ranked synchronised server's offset against Nagios thresholds
//! (on |offset| by default, signed with `signed_thresholds`), its stratum against stratum
//! thresholds; with no usable server, the most informative failure decides (unsynchronised,
//! kiss-o'-death and invalid replies are CRITICAL; silence and refusal follow `unreachable`).

use hostkit_nagios::{Status, Thresholds};

use crate::select::{AddressSummary, State, most_informative_failure, rank};

/// How to judge the measurements.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Offset thresholds in seconds.
    pub offset: Thresholds,
    /// Compare the signed offset instead of its absolute value.
    pub signed_thresholds: bool,
    /// Stratum thresholds.
    pub stratum: Thresholds,
    /// Known offset of the server, subtracted from the measured one, in seconds.
    pub expect_offset_seconds: f64,
    /// State when no address answered (silence, refusal, socket errors).
    pub unreachable: Status,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            offset: Thresholds::default(),
            signed_thresholds: false,
            stratum: Thresholds::default(),
            expect_offset_seconds: 0.0,
            unreachable: Status::Critical,
        }
    }
}

/// The outcome of a check.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The plugin state.
    pub status: Status,
    /// Index of the chosen server in the summaries.
    pub chosen: Option<usize>,
    /// Index of the address whose failure explains the verdict when none was usable.
    pub failure: Option<usize>,
    /// The chosen server's offset minus the expected offset, in seconds.
    pub offset_seconds: Option<f64>,
}

/// Judges the summaries (in `-H` order).
pub fn evaluate(summaries: &[AddressSummary], policy: &Policy) -> Verdict {
    if let Some(i) = rank(summaries) {
        let best = summaries[i].best.expect("ranked addresses have a sample");
        let offset = best.offset().to_seconds() - policy.expect_offset_seconds;
        let value = if policy.signed_thresholds {
            offset
        } else {
            offset.abs()
        };
        let status = policy
            .offset
            .evaluate(value)
            .max(policy.stratum.evaluate(f64::from(best.packet.stratum)));
        return Verdict {
            status,
            chosen: Some(i),
            failure: None,
            offset_seconds: Some(offset),
        };
    }
    let failure = most_informative_failure(summaries);
    let status = match failure.map(|i| summaries[i].state) {
        Some(State::NoResponse | State::Refused | State::Error) => policy.unreachable,
        Some(_) => Status::Critical,
        None => Status::Unknown,
    };
    Verdict {
        status,
        chosen: None,
        failure,
        offset_seconds: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::select::summarize;
    use crate::select::tests::{exchange, sample};
    use hostkit_nagios::Range;

    fn policy(w: &str, c: &str) -> Policy {
        Policy {
            offset: Thresholds {
                warning: Some(Range::parse(w).unwrap()),
                critical: Some(Range::parse(c).unwrap()),
            },
            ..Policy::default()
        }
    }

    #[test]
    fn seed_case_is_a_warning() {
        let s = vec![summarize(
            exchange(1, vec![sample(-0.746165, 0.0001, 2)]),
            1.5,
        )];
        let v = evaluate(&s, &policy("0.5", "1.0"));
        assert_eq!(v.status, Status::Warning);
        assert!((v.offset_seconds.unwrap() + 0.746165).abs() < 1e-6);
        let mut signed = policy("-0.5:0.5", "-1:1");
        signed.signed_thresholds = true;
        assert_eq!(evaluate(&s, &signed).status, Status::Warning);
        let mut expected = policy("0.5", "1.0");
        expected.expect_offset_seconds = -0.75;
        assert_eq!(evaluate(&s, &expected).status, Status::Ok);
    }

    #[test]
    fn stratum_thresholds_raise_the_state() {
        let s = vec![summarize(exchange(1, vec![sample(0.0, 0.0001, 9)]), 1.5)];
        let mut p = policy("0.5", "1.0");
        p.stratum.warning = Some(Range::parse("8").unwrap());
        assert_eq!(evaluate(&s, &p).status, Status::Warning);
    }

    #[test]
    fn failures() {
        let silent = vec![summarize(exchange(1, vec![]), 1.5)];
        let v = evaluate(&silent, &policy("0.5", "1"));
        assert_eq!((v.status, v.failure), (Status::Critical, Some(0)));
        let mut p = policy("0.5", "1");
        p.unreachable = Status::Unknown;
        assert_eq!(evaluate(&silent, &p).status, Status::Unknown);
        let unsync = vec![
            silent[0].clone(),
            summarize(exchange(2, vec![sample(0.0, 0.001, 16)]), 1.5),
        ];
        let v = evaluate(&unsync, &p);
        assert_eq!((v.status, v.failure), (Status::Critical, Some(1)));
        assert_eq!(evaluate(&[], &p).status, Status::Unknown);
    }
}
