//! Security policies and the algorithm rating database (versioned): which ciphers, MACs and
//! kex a recommendation may use. Presets: `all`, `openssh-default`, `hardened` (ssh-audit's
//! hardened OpenSSH 9.2 guide), `stribika` (Secure Secure Shell), and custom allow lists.
//!
//! CONTRACT (lead): S1 implements; extend, don't rename.

use serde::{Deserialize, Serialize};

/// How safe an algorithm is considered by the built-in rating database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    Good,
    Weak,
    Broken,
    Unknown,
}

/// A rating with its one-line reason (e.g. "64-bit block cipher (Sweet32)").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rated {
    pub rating: Rating,
    pub reason: String,
}

/// Version of the rating database, recorded in logs and JSON.
pub const RATING_DB_VERSION: &str = "2026-11";

/// Rates a cipher, MAC, kex or host-key algorithm by name.
pub fn rate(name: &str) -> Rated {
    let _ = name;
    todo!()
}

/// A named policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub name: String,
    pub ciphers: Vec<String>,
    pub macs: Vec<String>,
    pub kex: Vec<String>,
}

impl Policy {
    /// A preset by name (`all`, `openssh-default`, `hardened`, `stribika`); `None` if unknown.
    pub fn preset(name: &str) -> Option<Policy> {
        let _ = name;
        todo!()
    }
    /// Whether a bulk combination is allowed (`mac` None for AEAD).
    pub fn allows_bulk(&self, cipher: &str, mac: Option<&str>) -> bool {
        let _ = (cipher, mac);
        todo!()
    }
    pub fn allows_kex(&self, kex: &str) -> bool {
        let _ = kex;
        todo!()
    }
}
