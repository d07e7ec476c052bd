//! Per-address results and server selection: the raw [`Exchange`] record of one address, its
//! [`AddressSummary`] (minimum-delay sample, jitter, state) and [`rank`] by root distance.
//! Minimum-delay selection follows ntpd's clock filter: the sample with the least delay has the
//! least asymmetry error, so it beats averaging on a loaded host.

use std::net::SocketAddr;

use serde::Serialize;

use crate::packet::KissCode;
use crate::sample::{Ignored, Sample, Unsynchronised};

/// Everything that happened while querying one address.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// The `-H` value this address came from.
    pub host: String,
    /// The address queried.
    pub addr: SocketAddr,
    /// Requests sent.
    pub sent: u32,
    /// Valid replies, in arrival order.
    pub samples: Vec<Sample>,
    /// The last kiss-o'-death received, if any.
    pub kiss: Option<KissCode>,
    /// Replies ignored, with the reason.
    pub ignored: Vec<Ignored>,
    /// The port answered with ICMP port unreachable (ECONNREFUSED).
    pub refused: bool,
    /// Milliseconds from the start until the refusal was seen.
    pub refused_after_ms: Option<u64>,
    /// A socket error other than refusal.
    pub error: Option<String>,
}

impl Exchange {
    /// A fresh record for `addr`.
    pub fn new(host: &str, addr: SocketAddr) -> Exchange {
        Exchange {
            host: host.to_string(),
            addr,
            sent: 0,
            samples: Vec::new(),
            kiss: None,
            ignored: Vec::new(),
            refused: false,
            refused_after_ms: None,
            error: None,
        }
    }
}

/// What became of one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "reason")]
pub enum State {
    /// Synchronised server with a usable sample.
    Ok,
    /// It answered, but its clock is not synchronised (or too far from a reference).
    Unsynchronised(Unsynchronised),
    /// It answered only with a kiss-o'-death.
    Kiss(KissCode),
    /// Only unusable replies arrived.
    Invalid(Ignored),
    /// ICMP port unreachable.
    Refused,
    /// A socket error (e.g. network unreachable).
    Error,
    /// Nothing came back before the deadline.
    NoResponse,
}

impl State {
    /// How informative a failure is; the most informative one describes a failed check.
    fn failure_rank(self) -> u8 {
        match self {
            State::Ok => 0,
            State::NoResponse => 1,
            State::Error => 2,
            State::Refused => 3,
            State::Invalid(_) => 4,
            State::Kiss(_) => 5,
            State::Unsynchronised(_) => 6,
        }
    }

    /// A short human description (`no response`, `kiss-o'-death DENY`, ...).
    pub fn describe(self) -> String {
        match self {
            State::Ok => "ok".into(),
            State::Unsynchronised(why) => format!("unsynchronised: {}", why.describe()),
            State::Kiss(code) => format!("kiss-o'-death {code} ({})", code.meaning()),
            State::Invalid(why) => format!("invalid reply: {}", why.describe()),
            State::Refused => "port unreachable (connection refused)".into(),
            State::Error => "socket error".into(),
            State::NoResponse => "no response".into(),
        }
    }
}

/// One address after selection.
#[derive(Debug, Clone, PartialEq)]
pub struct AddressSummary {
    /// The raw exchange.
    pub exchange: Exchange,
    /// The state.
    pub state: State,
    /// The minimum-delay sample.
    pub best: Option<Sample>,
    /// RMS of the other samples' offsets around the best one, in seconds (None with < 2 samples).
    pub jitter_seconds: Option<f64>,
    /// The root distance limit the state was decided with, in seconds (`inf` = no limit).
    pub max_root_distance_seconds: f64,
}

impl AddressSummary {
    /// Root distance of the best sample, in seconds.
    pub fn root_distance_seconds(&self) -> Option<f64> {
        self.best.map(|s| s.root_distance_seconds())
    }

    /// The state in words, with the rule and the measured value when the root distance
    /// limit refused the server (`unsynchronised: root distance 10.2 s > 1.5 s ...`).
    pub fn describe_state(&self) -> String {
        match (self.state, self.root_distance_seconds()) {
            (State::Unsynchronised(Unsynchronised::RootDistance), Some(d)) => format!(
                "unsynchronised: root distance {} s > {} s (--max-root-distance)",
                short_seconds(d),
                short_seconds(self.max_root_distance_seconds)
            ),
            (state, _) => state.describe(),
        }
    }
}

/// Seconds rounded to milliseconds, without trailing zeros (`10.2`, `1.5`, `0.003`).
fn short_seconds(s: f64) -> String {
    format!("{}", (s * 1000.0).round() / 1000.0)
}

/// Picks the minimum-delay sample, computes jitter and decides the state.
pub fn summarize(exchange: Exchange, max_root_distance_seconds: f64) -> AddressSummary {
    let best = exchange.samples.iter().min_by_key(|s| s.delay()).copied();
    let jitter_seconds = best.and_then(|b| jitter(&exchange.samples, &b));
    let state = match best {
        Some(b) => match b.unsynchronised() {
            Some(why) => State::Unsynchronised(why),
            None if b.root_distance_seconds() > max_root_distance_seconds => {
                State::Unsynchronised(Unsynchronised::RootDistance)
            }
            None => State::Ok,
        },
        None => match (
            &exchange.kiss,
            exchange.refused,
            &exchange.error,
            exchange.ignored.last(),
        ) {
            (Some(code), ..) => State::Kiss(*code),
            (None, true, ..) => State::Refused,
            (None, false, Some(_), _) => State::Error,
            (None, false, None, Some(why)) => State::Invalid(*why),
            (None, false, None, None) => State::NoResponse,
        },
    };
    AddressSummary {
        exchange,
        state,
        best,
        jitter_seconds,
        max_root_distance_seconds,
    }
}

/// RMS of (offset_i - offset_best) over the other samples (RFC 5905 §10 peer jitter).
fn jitter(samples: &[Sample], best: &Sample) -> Option<f64> {
    if samples.len() < 2 {
        return None;
    }
    let best_offset = best.offset().to_seconds();
    let sum: f64 = samples
        .iter()
        .map(|s| (s.offset().to_seconds() - best_offset).powi(2))
        .sum();
    Some((sum / (samples.len() - 1) as f64).sqrt())
}

/// Index of the synchronised address with the smallest root distance (ties: smaller delay).
pub fn rank(summaries: &[AddressSummary]) -> Option<usize> {
    summaries
        .iter()
        .enumerate()
        .filter(|(_, s)| s.state == State::Ok)
        .min_by(|(_, a), (_, b)| {
            let key = |s: &AddressSummary| {
                let best = s.best.expect("an ok address has a sample");
                (best.root_distance_seconds(), best.delay().to_seconds())
            };
            key(a)
                .partial_cmp(&key(b))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
        .map(|(i, _)| i)
}

/// Index of the most informative failed address, for explaining a check with no usable server.
pub fn most_informative_failure(summaries: &[AddressSummary]) -> Option<usize> {
    summaries
        .iter()
        .enumerate()
        .filter(|(_, s)| s.state != State::Ok)
        .max_by_key(|(i, s)| (s.state.failure_rank(), std::cmp::Reverse(*i)))
        .map(|(i, _)| i)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::packet::{MODE_SERVER, Packet};
    use crate::time::{NtpDuration, NtpShort, NtpTimestamp};

    /// A synthetic sample with the given offset and delay (seconds) and stratum.
    pub(crate) fn sample(offset: f64, delay: f64, stratum: u8) -> Sample {
        let t1 = NtpTimestamp::from_unix(1_800_000_000, 0);
        let t2 = t1 + NtpDuration::from_seconds(offset + delay / 2.0);
        let mut packet = Packet::client_request(NtpTimestamp::ZERO);
        packet.mode = MODE_SERVER;
        packet.stratum = stratum;
        packet.root_dispersion = NtpShort::from_seconds(0.001);
        Sample {
            t1,
            t2,
            t3: t2,
            t4: t1 + NtpDuration::from_seconds(delay),
            packet,
        }
    }

    pub(crate) fn exchange(port: u16, samples: Vec<Sample>) -> Exchange {
        let mut e = Exchange::new("h", SocketAddr::from(([127, 0, 0, 1], port)));
        e.sent = samples.len() as u32;
        e.samples = samples;
        e
    }

    #[test]
    fn min_delay_sample_wins_and_jitter_is_rms() {
        let e = exchange(
            1,
            vec![
                sample(0.010, 0.020, 2),
                sample(0.001, 0.002, 2),
                sample(0.004, 0.010, 2),
            ],
        );
        let s = summarize(e, 1.5);
        assert_eq!(s.state, State::Ok);
        let best = s.best.unwrap();
        assert!((best.offset().to_seconds() - 0.001).abs() < 1e-9);
        let want = ((0.009f64.powi(2) + 0.003f64.powi(2)) / 2.0).sqrt();
        assert!((s.jitter_seconds.unwrap() - want).abs() < 1e-9);
        let single = summarize(exchange(1, vec![sample(0.0, 0.001, 2)]), 1.5);
        assert_eq!(single.jitter_seconds, None);
    }

    #[test]
    fn states_are_kept_distinct() {
        let mut kiss = exchange(1, vec![]);
        kiss.kiss = Some(KissCode(*b"DENY"));
        assert_eq!(summarize(kiss, 1.5).state, State::Kiss(KissCode(*b"DENY")));
        let mut refused = exchange(1, vec![]);
        refused.refused = true;
        assert_eq!(summarize(refused, 1.5).state, State::Refused);
        let mut invalid = exchange(1, vec![]);
        invalid.ignored.push(Ignored::WrongMode);
        assert_eq!(
            summarize(invalid, 1.5).state,
            State::Invalid(Ignored::WrongMode)
        );
        assert_eq!(summarize(exchange(1, vec![]), 1.5).state, State::NoResponse);
        let s16 = summarize(exchange(1, vec![sample(0.3, 0.001, 16)]), 1.5);
        assert_eq!(s16.state, State::Unsynchronised(Unsynchronised::Stratum16));
        let far = summarize(exchange(1, vec![sample(0.0, 0.5, 2)]), 0.1);
        assert_eq!(
            far.state,
            State::Unsynchronised(Unsynchronised::RootDistance)
        );
        // root distance = 0.5 / 2 + 0.001 dispersion: the rule and the value are named.
        assert_eq!(
            far.describe_state(),
            "unsynchronised: root distance 0.251 s > 0.1 s (--max-root-distance)"
        );
        let unlimited = summarize(exchange(1, vec![sample(0.0, 0.5, 2)]), f64::INFINITY);
        assert_eq!(unlimited.state, State::Ok);
        // A RATE kiss after a good sample keeps the sample.
        let mut rated = exchange(1, vec![sample(0.0, 0.001, 2)]);
        rated.kiss = Some(KissCode(*b"RATE"));
        assert_eq!(summarize(rated, 1.5).state, State::Ok);
    }

    #[test]
    fn ranking_by_root_distance_and_failures_by_information() {
        let list = vec![
            summarize(exchange(1, vec![]), 1.5),
            summarize(exchange(2, vec![sample(0.0, 0.050, 2)]), 1.5),
            summarize(exchange(3, vec![sample(0.0, 0.010, 3)]), 1.5),
            summarize(exchange(4, vec![sample(0.0, 0.001, 16)]), 1.5),
        ];
        assert_eq!(rank(&list), Some(2));
        assert_eq!(most_informative_failure(&list), Some(3));
        assert_eq!(rank(&list[..1]), None);
    }
}
