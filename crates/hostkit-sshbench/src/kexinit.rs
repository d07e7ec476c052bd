//! SSH identification line and first KEXINIT parser (RFC 4253 §4.2, §6, §7.1): pure, works on
//! a growing byte buffer, bounds every length before allocating. Fuzzed by `fuzz/kexinit`.
//!
//! The caller (the probe in `sys/`) sends its own identification line, then feeds whatever it
//! has read so far to [`parse_server_greeting`] until it returns a value or an error.

use serde::{Deserialize, Serialize};

/// The ten name-lists of SSH_MSG_KEXINIT (raw, pseudo-algorithms included).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KexInit {
    pub cookie: [u8; 16],
    pub kex: Vec<String>,
    pub host_key: Vec<String>,
    pub enc_c2s: Vec<String>,
    pub enc_s2c: Vec<String>,
    pub mac_c2s: Vec<String>,
    pub mac_s2c: Vec<String>,
    pub comp_c2s: Vec<String>,
    pub comp_s2c: Vec<String>,
    pub lang_c2s: Vec<String>,
    pub lang_s2c: Vec<String>,
    pub first_kex_follows: bool,
}

/// What the server sent before any encryption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerHello {
    /// Identification line without CRLF.
    pub version: String,
    /// Lines the server sent before its identification line (RFC 4253 §4.2 allows them).
    pub banner: Vec<String>,
    pub kexinit: KexInit,
}

/// Why the bytes are not a valid greeting + KEXINIT.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KexinitError {
    #[error("server line is longer than 255 bytes: {0:?}")]
    LineTooLong(String),
    #[error("server speaks protocol `{0}`, expected SSH-2.0 (or SSH-1.99)")]
    Protocol(String),
    #[error("packet length {0} is out of range (expected 16..=35000)")]
    PacketLength(u32),
    #[error("padding length {padding} does not fit packet length {packet}")]
    Padding { packet: u32, padding: u8 },
    #[error("first packet is message {0}, expected SSH_MSG_KEXINIT (20)")]
    NotKexinit(u8),
    #[error("KEXINIT is truncated in {0}")]
    Truncated(&'static str),
    #[error("name-list {field} is not ASCII")]
    NotAscii { field: &'static str },
    #[error("server sent more than {MAX_BANNER_LINES} lines before its identification line")]
    TooManyLines,
}

/// Longest identification or banner line, CRLF included (RFC 4253 §4.2).
pub const MAX_LINE_BYTES: usize = 255;
/// Banner lines accepted before the identification line (OpenSSH's client allows 1024).
pub const MAX_BANNER_LINES: usize = 1024;
/// Smallest packet length accepted (a real KEXINIT needs at least 62 payload bytes).
pub const MIN_PACKET_LEN: u32 = 16;
/// Largest packet length accepted: RFC 4253 §6.1's 35000 bytes every implementation must
/// handle (an OpenSSH KEXINIT is about 1.5 KiB).
pub const MAX_PACKET_LEN: u32 = 35_000;
/// The most bytes a greeting can need; a caller that has buffered this much and still gets
/// `Ok(None)` has a bug (the parser errors before that point).
pub const MAX_GREETING_BYTES: usize =
    MAX_LINE_BYTES * (MAX_BANNER_LINES + 1) + 4 + MAX_PACKET_LEN as usize;

/// SSH_MSG_KEXINIT (RFC 4253 §12).
pub const SSH_MSG_KEXINIT: u8 = 20;

/// Field names in wire order, for error messages.
const FIELDS: [&str; 10] = [
    "kex_algorithms",
    "server_host_key_algorithms",
    "encryption_algorithms_client_to_server",
    "encryption_algorithms_server_to_client",
    "mac_algorithms_client_to_server",
    "mac_algorithms_server_to_client",
    "compression_algorithms_client_to_server",
    "compression_algorithms_server_to_client",
    "languages_client_to_server",
    "languages_server_to_client",
];

/// Our identification line, e.g. `SSH-2.0-hostkit_0.1.0\r\n` (RFC 4253 §4.2).
pub fn client_identification(software_version: &str) -> Vec<u8> {
    let clean: String = software_version
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("SSH-2.0-{clean}\r\n").into_bytes()
}

/// Parses the server's greeting from `buf`. `Ok(None)`: need more bytes.
/// `Ok(Some((hello, consumed)))`: done, `consumed` bytes used.
pub fn parse_server_greeting(buf: &[u8]) -> Result<Option<(ServerHello, usize)>, KexinitError> {
    let Some((version, banner, at)) = parse_lines(buf)? else {
        return Ok(None);
    };
    let Some((kexinit, used)) = parse_packet(&buf[at..])? else {
        return Ok(None);
    };
    Ok(Some((
        ServerHello {
            version,
            banner,
            kexinit,
        },
        at + used,
    )))
}

/// Reads lines up to and including the identification line.
fn parse_lines(buf: &[u8]) -> Result<Option<(String, Vec<String>, usize)>, KexinitError> {
    let mut banner = Vec::new();
    let mut at = 0;
    loop {
        let rest = &buf[at..];
        let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
            if rest.len() >= MAX_LINE_BYTES {
                return Err(KexinitError::LineTooLong(lossy(&rest[..MAX_LINE_BYTES])));
            }
            return Ok(None);
        };
        if nl + 1 > MAX_LINE_BYTES {
            return Err(KexinitError::LineTooLong(lossy(
                &rest[..nl.min(MAX_LINE_BYTES)],
            )));
        }
        let raw = &rest[..nl];
        let line = lossy(raw.strip_suffix(b"\r").unwrap_or(raw));
        at += nl + 1;
        if line.starts_with("SSH-") {
            check_protocol(&line)?;
            return Ok(Some((line, banner, at)));
        }
        if banner.len() >= MAX_BANNER_LINES {
            return Err(KexinitError::TooManyLines);
        }
        banner.push(line);
    }
}

fn check_protocol(line: &str) -> Result<(), KexinitError> {
    let proto = line["SSH-".len()..].split('-').next().unwrap_or("");
    if line.starts_with("SSH-2.0-") || line.starts_with("SSH-1.99-") {
        Ok(())
    } else {
        Err(KexinitError::Protocol(proto.to_owned()))
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Parses the first binary packet (RFC 4253 §6: cleartext, no MAC before the first NEWKEYS).
fn parse_packet(buf: &[u8]) -> Result<Option<(KexInit, usize)>, KexinitError> {
    if buf.len() < 5 {
        return Ok(None);
    }
    let packet_len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
    if !(MIN_PACKET_LEN..=MAX_PACKET_LEN).contains(&packet_len) {
        return Err(KexinitError::PacketLength(packet_len));
    }
    let padding = buf[4];
    if u32::from(padding) + 1 >= packet_len {
        return Err(KexinitError::Padding {
            packet: packet_len,
            padding,
        });
    }
    let total = 4 + packet_len as usize;
    if buf.len() < total {
        return Ok(None);
    }
    let payload = &buf[5..total - usize::from(padding)];
    Ok(Some((parse_payload(payload)?, total)))
}

/// A cursor over a KEXINIT payload.
struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], KexinitError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or(KexinitError::Truncated(what))?;
        let s = &self.buf[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, KexinitError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// RFC 4251 §5 name-list: uint32 length + comma-separated US-ASCII names.
    fn name_list(&mut self, field: &'static str) -> Result<Vec<String>, KexinitError> {
        let len = self.u32(field)? as usize;
        let bytes = self.take(len, field)?;
        if !bytes.is_ascii() {
            return Err(KexinitError::NotAscii { field });
        }
        let text = std::str::from_utf8(bytes).map_err(|_| KexinitError::NotAscii { field })?;
        Ok(text
            .split(',')
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect())
    }
}

fn parse_payload(payload: &[u8]) -> Result<KexInit, KexinitError> {
    let mut r = Reader {
        buf: payload,
        at: 0,
    };
    let msg = r.take(1, "message type")?[0];
    if msg != SSH_MSG_KEXINIT {
        return Err(KexinitError::NotKexinit(msg));
    }
    let mut cookie = [0u8; 16];
    cookie.copy_from_slice(r.take(16, "cookie")?);
    let mut k = KexInit {
        cookie,
        ..KexInit::default()
    };
    for (slot, field) in k.lists_mut().into_iter().zip(FIELDS) {
        *slot = r.name_list(field)?;
    }
    k.first_kex_follows = r.take(1, "first_kex_packet_follows")?[0] != 0;
    r.u32("reserved")?;
    Ok(k)
}

impl KexInit {
    /// The ten name-lists in wire order (RFC 4253 §7.1).
    pub fn lists(&self) -> [&Vec<String>; 10] {
        [
            &self.kex,
            &self.host_key,
            &self.enc_c2s,
            &self.enc_s2c,
            &self.mac_c2s,
            &self.mac_s2c,
            &self.comp_c2s,
            &self.comp_s2c,
            &self.lang_c2s,
            &self.lang_s2c,
        ]
    }

    fn lists_mut(&mut self) -> [&mut Vec<String>; 10] {
        [
            &mut self.kex,
            &mut self.host_key,
            &mut self.enc_c2s,
            &mut self.enc_s2c,
            &mut self.mac_c2s,
            &mut self.mac_s2c,
            &mut self.comp_c2s,
            &mut self.comp_s2c,
            &mut self.lang_c2s,
            &mut self.lang_s2c,
        ]
    }

    /// Encodes this KEXINIT as a cleartext binary packet (RFC 4253 §6) with `padding_len`
    /// zero padding bytes (4..=255; the block alignment is not enforced). For tests, fuzz
    /// seeds and fake servers.
    pub fn encode_packet(&self, padding_len: u8) -> Vec<u8> {
        let mut payload = vec![SSH_MSG_KEXINIT];
        payload.extend_from_slice(&self.cookie);
        for list in self.lists() {
            let joined = list.join(",");
            payload.extend_from_slice(&(joined.len() as u32).to_be_bytes());
            payload.extend_from_slice(joined.as_bytes());
        }
        payload.push(u8::from(self.first_kex_follows));
        payload.extend_from_slice(&0u32.to_be_bytes());
        let packet_len = (payload.len() + 1 + usize::from(padding_len)) as u32;
        let mut out = packet_len.to_be_bytes().to_vec();
        out.push(padding_len);
        out.extend_from_slice(&payload);
        out.extend(std::iter::repeat_n(0u8, usize::from(padding_len)));
        out
    }
}

/// Converts a parsed KEXINIT into a [`crate::algos::ServerOffer`] (pseudo-algorithms split off).
pub fn to_offer(hello: &ServerHello) -> crate::algos::ServerOffer {
    use crate::algos::is_pseudo;
    let k = &hello.kexinit;
    let real =
        |v: &[String]| -> Vec<String> { v.iter().filter(|n| !is_pseudo(n)).cloned().collect() };
    let pseudo = k.lists()[..6]
        .iter()
        .copied()
        .flatten()
        .filter(|n| is_pseudo(n))
        .cloned()
        .collect();
    crate::algos::ServerOffer {
        version: hello.version.clone(),
        kex: real(&k.kex),
        host_keys: real(&k.host_key),
        ciphers_c2s: real(&k.enc_c2s),
        ciphers_s2c: real(&k.enc_s2c),
        macs_c2s: real(&k.mac_c2s),
        macs_s2c: real(&k.mac_s2c),
        compression: k.comp_c2s.clone(),
        pseudo,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn testdata(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn sample() -> KexInit {
        let s = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        KexInit {
            cookie: [7; 16],
            kex: s(&["curve25519-sha256", "kex-strict-s-v00@openssh.com"]),
            host_key: s(&["ssh-ed25519"]),
            enc_c2s: s(&["aes128-ctr", "aes128-gcm@openssh.com"]),
            enc_s2c: s(&["aes128-ctr"]),
            mac_c2s: s(&["hmac-sha1"]),
            mac_s2c: s(&["hmac-sha1"]),
            comp_c2s: s(&["none"]),
            comp_s2c: s(&["none", "zlib@openssh.com"]),
            lang_c2s: vec![],
            lang_s2c: vec![],
            first_kex_follows: false,
        }
    }

    fn greeting(k: &KexInit) -> Vec<u8> {
        let mut b = b"SSH-2.0-Test_1.0\r\n".to_vec();
        b.extend(k.encode_packet(8));
        b
    }

    #[test]
    fn captured_openssh_92_all_algorithms() {
        let bytes = testdata("kexinit-openssh-9.2.bin");
        let (hello, used) = parse_server_greeting(&bytes).unwrap().unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(hello.version, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10");
        assert!(hello.banner.is_empty());
        let k = &hello.kexinit;
        assert_eq!(k.kex.len(), 15, "14 kex + kex-strict marker: {:?}", k.kex);
        assert_eq!(k.kex.last().unwrap(), "kex-strict-s-v00@openssh.com");
        assert_eq!(
            k.host_key,
            [
                "ssh-ed25519",
                "rsa-sha2-512",
                "rsa-sha2-256",
                "ecdsa-sha2-nistp256"
            ]
        );
        assert_eq!((k.enc_c2s.len(), k.mac_c2s.len()), (10, 16));
        assert_eq!(k.enc_c2s, k.enc_s2c);
        assert_eq!(k.comp_c2s, ["none", "zlib@openssh.com"]);
        assert!(k.lang_c2s.is_empty() && !k.first_kex_follows);
        let offer = to_offer(&hello);
        assert_eq!(offer.pseudo, ["kex-strict-s-v00@openssh.com"]);
        assert_eq!(offer.kex.len(), 14);
        let neg = crate::algos::intersect(&crate::fixtures::client_92(), &offer);
        assert_eq!(
            (neg.ciphers.len(), neg.macs.len(), neg.kex.len()),
            (10, 16, 12)
        );
    }

    #[test]
    fn captured_openssh_92_defaults() {
        let bytes = testdata("kexinit-openssh-9.2-default.bin");
        let (hello, _) = parse_server_greeting(&bytes).unwrap().unwrap();
        let k = &hello.kexinit;
        assert_eq!(
            k.kex[..2],
            [
                "sntrup761x25519-sha512",
                "sntrup761x25519-sha512@openssh.com"
            ]
        );
        assert_eq!(k.host_key, ["ssh-ed25519"]);
        assert_eq!(k.enc_c2s.len(), 6, "{:?}", k.enc_c2s);
        assert!(!k.enc_c2s.iter().any(|c| c.ends_with("-cbc")));
        let offer = to_offer(&hello);
        let neg = crate::algos::intersect(&crate::fixtures::client_92(), &offer);
        assert_eq!(neg.aead.len(), 3);
        assert_eq!(neg.kex.len(), 9, "{:?}", neg.kex);
        assert_eq!(neg.macs.len(), 10);
        // The server's defaults are exactly the openssh-default policy.
        let p = crate::policy::Policy::preset("openssh-default").unwrap();
        assert!(offer.kex.iter().all(|x| p.allows_kex(x)));
        assert!(offer.ciphers_c2s.iter().all(|c| p.ciphers.contains(c)));
        assert_eq!(offer.macs_c2s, p.macs);
    }

    #[test]
    fn every_prefix_needs_more_bytes() {
        let bytes = testdata("kexinit-openssh-9.2.bin");
        for cut in 0..bytes.len() {
            assert_eq!(
                parse_server_greeting(&bytes[..cut]),
                Ok(None),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn trailing_bytes_are_not_consumed() {
        let mut bytes = testdata("kexinit-openssh-9.2.bin");
        let len = bytes.len();
        bytes.extend_from_slice(b"\0\0\0\x0cnext packet");
        let (_, used) = parse_server_greeting(&bytes).unwrap().unwrap();
        assert_eq!(used, len);
    }

    #[test]
    fn round_trip_and_banner_lines() {
        let mut bytes = b"Welcome\r\nplease behave\n".to_vec();
        bytes.extend(greeting(&sample()));
        let (hello, used) = parse_server_greeting(&bytes).unwrap().unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(hello.banner, ["Welcome", "please behave"]);
        assert_eq!(hello.version, "SSH-2.0-Test_1.0");
        assert_eq!(hello.kexinit, sample());
    }

    #[test]
    fn ssh_1_99_is_accepted_and_ssh_1_5_refused() {
        let mut b = b"SSH-1.99-Old\r\n".to_vec();
        b.extend(sample().encode_packet(4));
        assert!(parse_server_greeting(&b).unwrap().is_some());
        assert_eq!(
            parse_server_greeting(b"SSH-1.5-Ancient\r\n"),
            Err(KexinitError::Protocol("1.5".into()))
        );
    }

    #[test]
    fn overlong_lines_are_refused_even_without_newline() {
        let long = vec![b'x'; 300];
        assert!(matches!(
            parse_server_greeting(&long),
            Err(KexinitError::LineTooLong(_))
        ));
        let mut with_nl = vec![b'y'; 260];
        with_nl.push(b'\n');
        assert!(matches!(
            parse_server_greeting(&with_nl),
            Err(KexinitError::LineTooLong(_))
        ));
        let ok = [vec![b'z'; 253], b"\r\n".to_vec()].concat();
        assert_eq!(parse_server_greeting(&ok), Ok(None));
    }

    #[test]
    fn too_many_banner_lines() {
        let spam = b"hi\n".repeat(MAX_BANNER_LINES + 1);
        assert_eq!(
            parse_server_greeting(&spam),
            Err(KexinitError::TooManyLines)
        );
    }

    #[test]
    fn hostile_packet_lengths_are_refused_before_allocating() {
        let mut b = b"SSH-2.0-x\r\n".to_vec();
        b.extend_from_slice(&u32::MAX.to_be_bytes());
        b.push(4);
        assert_eq!(
            parse_server_greeting(&b),
            Err(KexinitError::PacketLength(u32::MAX))
        );
        let mut small = b"SSH-2.0-x\r\n".to_vec();
        small.extend_from_slice(&[0, 0, 0, 3, 1]);
        assert_eq!(
            parse_server_greeting(&small),
            Err(KexinitError::PacketLength(3))
        );
        let mut pad = b"SSH-2.0-x\r\n".to_vec();
        pad.extend_from_slice(&[0, 0, 0, 20, 19]);
        assert_eq!(
            parse_server_greeting(&pad),
            Err(KexinitError::Padding {
                packet: 20,
                padding: 19
            })
        );
    }

    #[test]
    fn wrong_message_type() {
        let mut packet = sample().encode_packet(4);
        packet[5] = 21;
        let b = [b"SSH-2.0-x\r\n".to_vec(), packet].concat();
        assert_eq!(parse_server_greeting(&b), Err(KexinitError::NotKexinit(21)));
    }

    #[test]
    fn name_list_longer_than_packet_is_truncated_error() {
        let mut packet = sample().encode_packet(4);
        // First name-list length sits after len(4) + pad(1) + msg(1) + cookie(16).
        packet[22..26].copy_from_slice(&0xFFFF_FF00u32.to_be_bytes());
        let b = [b"SSH-2.0-x\r\n".to_vec(), packet].concat();
        assert_eq!(
            parse_server_greeting(&b),
            Err(KexinitError::Truncated("kex_algorithms"))
        );
    }

    #[test]
    fn missing_trailer_is_truncated_error() {
        let mut packet = sample().encode_packet(4);
        // Cut the reserved uint32 and shrink the length to match.
        let len = u32::from_be_bytes([packet[0], packet[1], packet[2], packet[3]]) - 4;
        packet[..4].copy_from_slice(&len.to_be_bytes());
        let cut = packet.len() - 8;
        packet.drain(cut..cut + 4);
        let b = [b"SSH-2.0-x\r\n".to_vec(), packet].concat();
        assert_eq!(
            parse_server_greeting(&b),
            Err(KexinitError::Truncated("reserved"))
        );
    }

    #[test]
    fn non_ascii_name_list() {
        let mut k = sample();
        k.mac_c2s = vec!["hm\u{e4}c".into()];
        let b = greeting(&k);
        assert_eq!(
            parse_server_greeting(&b),
            Err(KexinitError::NotAscii {
                field: "mac_algorithms_client_to_server"
            })
        );
    }

    #[test]
    fn identification_line_is_sanitised() {
        assert_eq!(
            client_identification("hostkit_0.1.0"),
            b"SSH-2.0-hostkit_0.1.0\r\n"
        );
        assert_eq!(client_identification("a b-c"), b"SSH-2.0-a_b_c\r\n");
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            let _ = parse_server_greeting(&bytes);
            let mut prefixed = b"SSH-2.0-x\r\n".to_vec();
            prefixed.extend_from_slice(&bytes);
            if let Ok(Some((_, used))) = parse_server_greeting(&prefixed) {
                proptest::prop_assert!(used <= prefixed.len());
            }
        }

        #[test]
        fn encode_parse_round_trip(
            names in proptest::collection::vec("[a-z0-9@.-]{1,20}", 0..8),
            pad in 4u8..=255,
            follows in proptest::bool::ANY,
        ) {
            let k = KexInit { kex: names.clone(), enc_c2s: names, first_kex_follows: follows, ..sample() };
            let (hello, used) = parse_server_greeting(&greeting_pad(&k, pad)).unwrap().unwrap();
            proptest::prop_assert_eq!(hello.kexinit, k);
            proptest::prop_assert!(used > 0);
        }
    }

    fn greeting_pad(k: &KexInit, pad: u8) -> Vec<u8> {
        let mut b = b"SSH-2.0-Test_1.0\r\n".to_vec();
        b.extend(k.encode_packet(pad));
        b
    }
}
