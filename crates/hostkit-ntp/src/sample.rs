//! Turning a reply into a measurement: validation in the order ntpd-rs uses (origin cookie
//! first, so forged kiss-o'-death packets are ignored), then offset and delay per RFC 5905 §8:
//! offset = ((T2 - T1) + (T3 - T4)) / 2, delay = (T4 - T1) - (T3 - T2).

use serde::Serialize;

use crate::packet::{KissCode, Leap, MODE_SERVER, Packet, PacketError};
use crate::time::{NtpDuration, NtpTimestamp};

/// One request in flight: the random cookie sent as transmit timestamp and the real send time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// The random value placed in the transmit field (echoed as origin).
    pub cookie: NtpTimestamp,
    /// T1: local clock when the request was sent.
    pub t1: NtpTimestamp,
}

/// Why a reply was ignored (we keep waiting for a valid one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ignored {
    /// Fewer than 48 bytes.
    Truncated,
    /// The origin does not echo any cookie we sent (spoofed, stale or broken server).
    OriginMismatch,
    /// Mode is not 4 (server).
    WrongMode,
    /// Version is not 3 or 4.
    BadVersion,
    /// Transmit timestamp is zero.
    ZeroTransmit,
}

impl Ignored {
    /// Short human description.
    pub fn describe(self) -> &'static str {
        match self {
            Ignored::Truncated => "truncated packet",
            Ignored::OriginMismatch => "origin does not match our request",
            Ignored::WrongMode => "not a server-mode reply",
            Ignored::BadVersion => "unsupported NTP version",
            Ignored::ZeroTransmit => "zero transmit timestamp",
        }
    }
}

/// Why a server's time must not be trusted even though it answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unsynchronised {
    /// Leap indicator 3 (alarm).
    LeapAlarm,
    /// Stratum 0 without a kiss code.
    Stratum0,
    /// Stratum 16 or more.
    Stratum16,
    /// Root distance above the allowed maximum.
    RootDistance,
}

impl Unsynchronised {
    /// Short human description.
    pub fn describe(self) -> &'static str {
        match self {
            Unsynchronised::LeapAlarm => "leap indicator 3 (clock not synchronised)",
            Unsynchronised::Stratum0 => "stratum 0 (clock not synchronised)",
            Unsynchronised::Stratum16 => "stratum 16 (clock not synchronised)",
            Unsynchronised::RootDistance => "root distance too large",
        }
    }
}

/// A valid server reply with its four timestamps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Client send time.
    pub t1: NtpTimestamp,
    /// Server receive time.
    pub t2: NtpTimestamp,
    /// Server transmit time.
    pub t3: NtpTimestamp,
    /// Client receive time.
    pub t4: NtpTimestamp,
    /// The reply header.
    pub packet: Packet,
}

impl Sample {
    /// Local clock offset relative to the server (positive: the local clock is behind).
    pub fn offset(&self) -> NtpDuration {
        self.t2.diff(self.t1).midpoint(self.t3.diff(self.t4))
    }

    /// Round-trip network delay, never negative.
    pub fn delay(&self) -> NtpDuration {
        (self.t4.diff(self.t1) - self.t3.diff(self.t2)).max(NtpDuration::ZERO)
    }

    /// Root distance λ = (root delay + delay) / 2 + root dispersion (RFC 5905 §11.2.2, without
    /// the local dispersion and jitter terms an SNTP client does not track), in seconds.
    pub fn root_distance_seconds(&self) -> f64 {
        (self.packet.root_delay.to_seconds() + self.delay().to_seconds()) / 2.0
            + self.packet.root_dispersion.to_seconds()
    }

    /// Why this server is not synchronised, if it is not.
    pub fn unsynchronised(&self) -> Option<Unsynchronised> {
        if self.packet.leap == Leap::Unsynchronised {
            Some(Unsynchronised::LeapAlarm)
        } else if self.packet.stratum == 0 {
            Some(Unsynchronised::Stratum0)
        } else if self.packet.stratum >= 16 {
            Some(Unsynchronised::Stratum16)
        } else {
            None
        }
    }
}

/// The verdict on one received datagram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reply {
    /// A usable measurement (possibly from an unsynchronised server).
    Sample {
        /// Index of the matched request.
        request: usize,
        /// The measurement.
        sample: Sample,
    },
    /// A kiss-o'-death that answers one of our requests.
    Kiss {
        /// Index of the matched request.
        request: usize,
        /// The kiss code.
        code: KissCode,
    },
    /// Not usable; keep waiting.
    Ignored(Ignored),
}

/// Validates `bytes` received at `t4` against the requests in flight.
pub fn validate(requests: &[Request], bytes: &[u8], t4: NtpTimestamp) -> Reply {
    let packet = match Packet::decode(bytes) {
        Ok(p) => p,
        Err(PacketError::Truncated { .. }) => return Reply::Ignored(Ignored::Truncated),
    };
    let Some(request) = requests.iter().position(|r| r.cookie == packet.origin) else {
        return Reply::Ignored(Ignored::OriginMismatch);
    };
    if packet.mode != MODE_SERVER {
        return Reply::Ignored(Ignored::WrongMode);
    }
    if !(3..=4).contains(&packet.version) {
        return Reply::Ignored(Ignored::BadVersion);
    }
    if let Some(code) = packet.kiss_code() {
        return Reply::Kiss { request, code };
    }
    if packet.transmit == NtpTimestamp::ZERO {
        return Reply::Ignored(Ignored::ZeroTransmit);
    }
    let sample = Sample {
        t1: requests[request].t1,
        t2: packet.receive,
        t3: packet.transmit,
        t4,
        packet,
    };
    Reply::Sample { request, sample }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::NtpDuration;

    const COOKIE: u64 = 0x0123_4567_89ab_cdef;

    fn t(seconds: f64) -> NtpTimestamp {
        NtpTimestamp::from_unix(1_700_000_000, 0) + NtpDuration::from_seconds(seconds)
    }

    fn reply(mutate: impl FnOnce(&mut Packet)) -> Vec<u8> {
        let mut p = Packet::client_request(NtpTimestamp::ZERO);
        p.mode = MODE_SERVER;
        p.stratum = 2;
        p.origin = NtpTimestamp::from_bits(COOKIE);
        p.receive = t(0.25);
        p.transmit = t(0.26);
        mutate(&mut p);
        p.encode().to_vec()
    }

    fn requests() -> [Request; 2] {
        [
            Request {
                cookie: NtpTimestamp::from_bits(7),
                t1: t(-5.0),
            },
            Request {
                cookie: NtpTimestamp::from_bits(COOKIE),
                t1: t(0.0),
            },
        ]
    }

    #[test]
    fn offset_and_delay_per_rfc5905() {
        // T1=0, T2=0.25, T3=0.26, T4=0.02: offset = (0.25 + 0.24)/2, delay = 0.02 - 0.01.
        let Reply::Sample { request, sample } = validate(&requests(), &reply(|_| {}), t(0.02))
        else {
            panic!("expected a sample")
        };
        assert_eq!(request, 1);
        assert!((sample.offset().to_seconds() - 0.245).abs() < 1e-9);
        assert!((sample.delay().to_seconds() - 0.01).abs() < 1e-9);
        assert!((sample.root_distance_seconds() - 0.005).abs() < 1e-9);
        assert_eq!(sample.unsynchronised(), None);
    }

    /// Each malformed reply and what it must produce.
    #[test]
    fn validation_table() {
        let rq = requests();
        let cases: Vec<(&str, Vec<u8>, Reply)> = vec![
            (
                "47 bytes",
                reply(|_| {})[..47].to_vec(),
                Reply::Ignored(Ignored::Truncated),
            ),
            (
                "wrong origin",
                reply(|p| p.origin = NtpTimestamp::from_bits(COOKIE + 1)),
                Reply::Ignored(Ignored::OriginMismatch),
            ),
            (
                "forged RATE with a wrong origin",
                reply(|p| {
                    p.origin = NtpTimestamp::ZERO;
                    p.stratum = 0;
                    p.reference_id = *b"RATE";
                }),
                Reply::Ignored(Ignored::OriginMismatch),
            ),
            (
                "mode 3",
                reply(|p| p.mode = 3),
                Reply::Ignored(Ignored::WrongMode),
            ),
            (
                "mode 5",
                reply(|p| p.mode = 5),
                Reply::Ignored(Ignored::WrongMode),
            ),
            (
                "version 1",
                reply(|p| p.version = 1),
                Reply::Ignored(Ignored::BadVersion),
            ),
            (
                "version 5",
                reply(|p| p.version = 5),
                Reply::Ignored(Ignored::BadVersion),
            ),
            (
                "zero transmit",
                reply(|p| p.transmit = NtpTimestamp::ZERO),
                Reply::Ignored(Ignored::ZeroTransmit),
            ),
            (
                "DENY",
                reply(|p| {
                    p.stratum = 0;
                    p.reference_id = *b"DENY";
                }),
                Reply::Kiss {
                    request: 1,
                    code: KissCode(*b"DENY"),
                },
            ),
        ];
        for (name, bytes, want) in cases {
            assert_eq!(validate(&rq, &bytes, t(0.02)), want, "{name}");
        }
    }

    #[test]
    fn unsynchronised_servers_still_measure_but_are_flagged() {
        let rq = requests();
        let flag = |bytes: Vec<u8>| match validate(&rq, &bytes, t(0.02)) {
            Reply::Sample { sample, .. } => sample.unsynchronised(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            flag(reply(|p| p.leap = Leap::Unsynchronised)),
            Some(Unsynchronised::LeapAlarm)
        );
        assert_eq!(
            flag(reply(|p| p.stratum = 16)),
            Some(Unsynchronised::Stratum16)
        );
        assert_eq!(
            flag(reply(|p| {
                p.stratum = 0;
                p.reference_id = [0; 4];
            })),
            Some(Unsynchronised::Stratum0)
        );
        assert_eq!(flag(reply(|p| p.version = 3)), None);
    }

    #[test]
    fn negative_delay_is_clamped() {
        // A server whose T3 - T2 exceeds the round trip (bogus) must not give a negative delay.
        let bytes = reply(|p| p.transmit = t(5.0));
        let Reply::Sample { sample, .. } = validate(&requests(), &bytes, t(0.02)) else {
            panic!()
        };
        assert_eq!(sample.delay(), NtpDuration::ZERO);
    }
}
