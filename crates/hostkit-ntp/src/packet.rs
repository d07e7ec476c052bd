//! The 48-byte NTP/SNTP header (RFC 5905 §7.3, RFC 4330): decode, encode, the client request,
//! and kiss-o'-death codes (RFC 5905 §7.4). Extension fields and MACs after byte 48 are ignored.

use serde::Serialize;
use thiserror::Error;

use crate::time::{NtpShort, NtpTimestamp};

/// Length of the fixed NTP header in bytes.
pub const HEADER_LEN: usize = 48;

/// Leap indicator (top two bits of byte 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Leap {
    /// 0: no warning.
    NoWarning,
    /// 1: last minute of the day has 61 seconds.
    InsertSecond,
    /// 2: last minute of the day has 59 seconds.
    DeleteSecond,
    /// 3: clock unsynchronised (alarm).
    Unsynchronised,
}

impl Leap {
    fn from_bits(bits: u8) -> Leap {
        match bits & 3 {
            0 => Leap::NoWarning,
            1 => Leap::InsertSecond,
            2 => Leap::DeleteSecond,
            _ => Leap::Unsynchronised,
        }
    }

    fn to_bits(self) -> u8 {
        match self {
            Leap::NoWarning => 0,
            Leap::InsertSecond => 1,
            Leap::DeleteSecond => 2,
            Leap::Unsynchronised => 3,
        }
    }
}

/// Association mode 3: client.
pub const MODE_CLIENT: u8 = 3;
/// Association mode 4: server.
pub const MODE_SERVER: u8 = 4;

/// A decoded NTP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet {
    /// Leap indicator.
    pub leap: Leap,
    /// Version number (1..=7 on the wire; 4 is current).
    pub version: u8,
    /// Association mode (3 client, 4 server, ...).
    pub mode: u8,
    /// Stratum: 0 unspecified or kiss-o'-death, 1 primary, 2..=15 secondary, 16 unsynchronised.
    pub stratum: u8,
    /// Poll interval, log2 seconds.
    pub poll_log2: i8,
    /// Clock precision, log2 seconds.
    pub precision_log2: i8,
    /// Round-trip delay to the reference clock.
    pub root_delay: NtpShort,
    /// Dispersion to the reference clock.
    pub root_dispersion: NtpShort,
    /// Reference ID: IPv4 address, 4-character source code, or kiss code at stratum 0.
    pub reference_id: [u8; 4],
    /// When the server clock was last set.
    pub reference: NtpTimestamp,
    /// T1 echoed back: the client's transmit timestamp (our cookie).
    pub origin: NtpTimestamp,
    /// T2: server receive time.
    pub receive: NtpTimestamp,
    /// T3: server transmit time.
    pub transmit: NtpTimestamp,
}

/// Why bytes could not be decoded as an NTP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum PacketError {
    /// Fewer than 48 bytes.
    #[error("truncated NTP packet: {len} bytes, expected at least 48")]
    Truncated {
        /// Bytes received.
        len: usize,
    },
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn be64(b: &[u8], at: usize) -> u64 {
    (u64::from(be32(b, at)) << 32) | u64::from(be32(b, at + 4))
}

impl Packet {
    /// Decodes the first 48 bytes; anything after them is ignored.
    pub fn decode(bytes: &[u8]) -> Result<Packet, PacketError> {
        if bytes.len() < HEADER_LEN {
            return Err(PacketError::Truncated { len: bytes.len() });
        }
        Ok(Packet {
            leap: Leap::from_bits(bytes[0] >> 6),
            version: (bytes[0] >> 3) & 7,
            mode: bytes[0] & 7,
            stratum: bytes[1],
            poll_log2: bytes[2] as i8,
            precision_log2: bytes[3] as i8,
            root_delay: NtpShort::from_bits(be32(bytes, 4)),
            root_dispersion: NtpShort::from_bits(be32(bytes, 8)),
            reference_id: [bytes[12], bytes[13], bytes[14], bytes[15]],
            reference: NtpTimestamp::from_bits(be64(bytes, 16)),
            origin: NtpTimestamp::from_bits(be64(bytes, 24)),
            receive: NtpTimestamp::from_bits(be64(bytes, 32)),
            transmit: NtpTimestamp::from_bits(be64(bytes, 40)),
        })
    }

    /// Encodes the 48-byte header.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0] = (self.leap.to_bits() << 6) | ((self.version & 7) << 3) | (self.mode & 7);
        b[1] = self.stratum;
        b[2] = self.poll_log2 as u8;
        b[3] = self.precision_log2 as u8;
        b[4..8].copy_from_slice(&self.root_delay.to_bits().to_be_bytes());
        b[8..12].copy_from_slice(&self.root_dispersion.to_bits().to_be_bytes());
        b[12..16].copy_from_slice(&self.reference_id);
        b[16..24].copy_from_slice(&self.reference.to_bits().to_be_bytes());
        b[24..32].copy_from_slice(&self.origin.to_bits().to_be_bytes());
        b[32..40].copy_from_slice(&self.receive.to_bits().to_be_bytes());
        b[40..48].copy_from_slice(&self.transmit.to_bits().to_be_bytes());
        b
    }

    /// An SNTPv4 client request whose transmit field carries `cookie`, a random value the
    /// server echoes as origin (the real send time T1 stays with the client; RFC 5905 §9.1
    /// allows any transmit value, and a random one defeats off-path spoofing).
    pub fn client_request(cookie: NtpTimestamp) -> Packet {
        Packet {
            leap: Leap::NoWarning,
            version: 4,
            mode: MODE_CLIENT,
            stratum: 0,
            poll_log2: 0,
            precision_log2: -20,
            root_delay: NtpShort::default(),
            root_dispersion: NtpShort::default(),
            reference_id: [0; 4],
            reference: NtpTimestamp::ZERO,
            origin: NtpTimestamp::ZERO,
            receive: NtpTimestamp::ZERO,
            transmit: cookie,
        }
    }

    /// The kiss code of a kiss-o'-death packet: stratum 0 with printable ASCII in the
    /// reference ID. A stratum-0 reply with a zero reference ID (chronyd when unsynchronised)
    /// is not a kiss.
    pub fn kiss_code(&self) -> Option<KissCode> {
        let id = self.reference_id;
        let printable = id.iter().all(|&c| c == 0 || (0x20..0x7f).contains(&c));
        (self.stratum == 0 && printable && id[0] != 0).then_some(KissCode(id))
    }
}

/// A kiss-o'-death code (RFC 5905 §7.4), e.g. `RATE`, `DENY`, `RSTR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KissCode(pub [u8; 4]);

impl KissCode {
    /// The code as text (`RATE`), trailing NULs and spaces removed.
    pub fn as_text(&self) -> String {
        String::from_utf8_lossy(&self.0)
            .trim_end_matches(['\0', ' '])
            .to_string()
    }

    /// True for `RATE`: the server asks us to slow down.
    pub fn is_rate(&self) -> bool {
        &self.0 == b"RATE"
    }

    /// What the code means, for messages (RFC 5905 Figure 13).
    pub fn meaning(&self) -> &'static str {
        match &self.0 {
            b"RATE" => "rate exceeded, the server asks for fewer queries",
            b"DENY" => "access denied by the server",
            b"RSTR" => "access restricted by the server",
            b"INIT" => "the server has not synchronised yet",
            b"STEP" => "the server is stepping its clock",
            b"AUTH" | b"CRYP" | b"NKEY" | b"AUTO" => "authentication failed",
            b"NTSN" => "NTS negative acknowledgement",
            b"DROP" | b"RMOT" => "the server dropped the association",
            _ => "unknown kiss code",
        }
    }
}

impl Serialize for KissCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_text())
    }
}

impl std::fmt::Display for KissCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A reply captured from chronyd 4.3 (`local stratum 8`) on loopback.
    const CHRONYD_REPLY: [u8; 48] = [
        0x24, 0x08, 0x00, 0xe7, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7f, 0x7f, 0x01,
        0x01, 0xed, 0x2f, 0x1b, 0x8e, 0x2e, 0x3d, 0x7a, 0x55, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
        0x77, 0x88, 0xed, 0x2f, 0x1b, 0x90, 0x1b, 0x4a, 0x58, 0x3a, 0xed, 0x2f, 0x1b, 0x90, 0x1b,
        0x4b, 0x40, 0x11,
    ];

    #[test]
    fn decodes_chronyd_reply_and_round_trips() {
        let p = Packet::decode(&CHRONYD_REPLY).unwrap();
        assert_eq!(p.leap, Leap::NoWarning);
        assert_eq!((p.version, p.mode, p.stratum), (4, MODE_SERVER, 8));
        assert_eq!(p.precision_log2, -25);
        assert_eq!(p.reference_id, [127, 127, 1, 1]);
        assert_eq!(p.origin.to_bits(), 0x1122_3344_5566_7788);
        assert_eq!(p.kiss_code(), None);
        assert_eq!(p.encode(), CHRONYD_REPLY);
    }

    #[test]
    fn client_request_bytes() {
        let req = Packet::client_request(NtpTimestamp::from_bits(0xdead_beef_0000_0001));
        let b = req.encode();
        assert_eq!(b[0], 0x23, "LI=0 VN=4 mode=3");
        assert_eq!(&b[40..48], &0xdead_beef_0000_0001u64.to_be_bytes());
        assert!(b[4..40].iter().all(|&x| x == 0 || x == 0xec));
    }

    #[test]
    fn truncated_and_extended() {
        assert_eq!(
            Packet::decode(&CHRONYD_REPLY[..47]),
            Err(PacketError::Truncated { len: 47 })
        );
        let mut long = CHRONYD_REPLY.to_vec();
        long.extend_from_slice(&[0u8; 20]);
        assert_eq!(Packet::decode(&long).unwrap().stratum, 8);
    }

    #[test]
    fn kiss_codes() {
        let mut p = Packet::decode(&CHRONYD_REPLY).unwrap();
        p.stratum = 0;
        p.reference_id = *b"RATE";
        let k = p.kiss_code().unwrap();
        assert!(k.is_rate());
        assert_eq!(k.to_string(), "RATE");
        p.reference_id = *b"DENY";
        assert_eq!(
            p.kiss_code().unwrap().meaning(),
            "access denied by the server"
        );
        p.reference_id = [0; 4];
        assert_eq!(
            p.kiss_code(),
            None,
            "chronyd unsynchronised: stratum 0, refid 0"
        );
        p.reference_id = [0x7f, 0, 0, 1];
        assert_eq!(p.kiss_code(), None);
        p.stratum = 2;
        p.reference_id = *b"RATE";
        assert_eq!(p.kiss_code(), None, "kiss codes only at stratum 0");
    }

    proptest! {
        #[test]
        fn decode_never_panics_and_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
            match Packet::decode(&bytes) {
                Ok(p) => prop_assert_eq!(&p.encode()[..], &bytes[..HEADER_LEN]),
                Err(PacketError::Truncated { len }) => prop_assert!(len < HEADER_LEN),
            }
        }
    }
}
