//! SSH identification line and first KEXINIT parser (RFC 4253 §4.2, §6, §7.1): pure, works on
//! a growing byte buffer, bounds every length before allocating. Fuzzed by `fuzz/kexinit`.
//!
//! CONTRACT (lead): S1 implements; extend, don't rename.

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
}

/// Parses the server's greeting from `buf`. `Ok(None)`: need more bytes.
/// `Ok(Some((hello, consumed)))`: done, `consumed` bytes used.
pub fn parse_server_greeting(buf: &[u8]) -> Result<Option<(ServerHello, usize)>, KexinitError> {
    let _ = buf;
    todo!()
}

/// Converts a parsed KEXINIT into a [`crate::algos::ServerOffer`] (pseudo-algorithms split off).
pub fn to_offer(hello: &ServerHello) -> crate::algos::ServerOffer {
    let _ = hello;
    todo!()
}
