//! Algorithm names: client lists from `ssh -Q`, server lists from KEXINIT, pseudo-algorithm
//! filtering, AEAD detection, kex alias canonicalisation and the client/server intersection.
//!
//! CONTRACT (lead): S1 implements; extend, don't rename.

use serde::{Deserialize, Serialize};

/// What the local ssh client supports (`ssh -Q cipher|cipher-auth|mac|kex|key`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientAlgos {
    pub ciphers: Vec<String>,
    /// AEAD ciphers (`ssh -Q cipher-auth`): their MAC is implicit.
    pub aead: Vec<String>,
    pub macs: Vec<String>,
    pub kex: Vec<String>,
    pub keys: Vec<String>,
}

/// What the server offers, from its KEXINIT (pseudo-algorithms removed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerOffer {
    /// The server's identification line without CRLF, e.g. `SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10`.
    pub version: String,
    pub kex: Vec<String>,
    pub host_keys: Vec<String>,
    pub ciphers_c2s: Vec<String>,
    pub ciphers_s2c: Vec<String>,
    pub macs_c2s: Vec<String>,
    pub macs_s2c: Vec<String>,
    pub compression: Vec<String>,
    /// Pseudo-algorithms the server advertised (ext-info-s, kex-strict-s-v00@openssh.com).
    pub pseudo: Vec<String>,
}

/// The algorithms both sides support (client order kept).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Negotiable {
    pub ciphers: Vec<String>,
    pub aead: Vec<String>,
    pub macs: Vec<String>,
    /// Canonical kex names, aliases folded (`curve25519-sha256@libssh.org` -> `curve25519-sha256`).
    pub kex: Vec<String>,
    pub host_keys: Vec<String>,
}

/// Parses `ssh -Q ...` output: one name per line, blanks ignored.
pub fn parse_query_list(stdout: &str) -> Vec<String> {
    let _ = stdout;
    todo!()
}

/// True for ext-info-c/s, kex-strict-c/s-v00@openssh.com and similar non-algorithms.
pub fn is_pseudo(name: &str) -> bool {
    let _ = name;
    todo!()
}

/// The canonical name of a kex alias (identity for non-aliases).
pub fn canonical_kex(name: &str) -> &str {
    name
}

/// Intersects client and server (cipher/MAC: c2s direction for upload, both for `both`).
pub fn intersect(client: &ClientAlgos, server: &ServerOffer) -> Negotiable {
    let _ = (client, server);
    todo!()
}
