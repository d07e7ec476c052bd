//! The algorithm rating database (versioned): good / weak / broken with a one-line reason per
//! cipher, MAC, kex and host-key algorithm, and the security class a recommendation orders by
//! before speed. Below `algos` and `policy`, which both use it.
//!
//! Sources for the ratings: RFC 9142 (kex), RFC 8332 (rsa-sha2), Sweet32 (CVE-2016-2183),
//! Albrecht et al. 2009 (CBC in SSH), Logjam (2015), Terrapin (CVE-2023-48795).

use serde::{Deserialize, Serialize};

use crate::alias::canonical_kex;

/// How safe an algorithm is considered by the built-in rating database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    Good,
    Weak,
    Broken,
    Unknown,
}

impl Rating {
    /// Lowercase label as used in tables and JSON.
    pub fn label(self) -> &'static str {
        match self {
            Rating::Good => "good",
            Rating::Weak => "weak",
            Rating::Broken => "broken",
            Rating::Unknown => "unknown",
        }
    }
}

/// A rating with its one-line reason (e.g. "64-bit block cipher (Sweet32)").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rated {
    pub rating: Rating,
    pub reason: String,
}

/// Version of the rating database, recorded in logs and JSON.
pub const RATING_DB_VERSION: &str = "2026-11";

use Rating::{Broken, Good, Weak};

/// The rating database: exact names (kex aliases are looked up by their canonical name,
/// certificate host-key types by their plain type).
pub(crate) const DB: &[(&str, Rating, &str)] = &[
    // Ciphers.
    (
        "3des-cbc",
        Broken,
        "64-bit block cipher (Sweet32) in CBC mode",
    ),
    (
        "blowfish-cbc",
        Broken,
        "64-bit block cipher (Sweet32) in CBC mode",
    ),
    (
        "cast128-cbc",
        Broken,
        "64-bit block cipher (Sweet32) in CBC mode",
    ),
    ("arcfour", Broken, "RC4 keystream biases"),
    ("arcfour128", Broken, "RC4 keystream biases"),
    ("arcfour256", Broken, "RC4 keystream biases"),
    ("none", Broken, "no encryption or integrity"),
    (
        "aes128-cbc",
        Weak,
        "CBC mode (SSH plaintext recovery, Albrecht et al. 2009)",
    ),
    (
        "aes192-cbc",
        Weak,
        "CBC mode (SSH plaintext recovery, Albrecht et al. 2009)",
    ),
    (
        "aes256-cbc",
        Weak,
        "CBC mode (SSH plaintext recovery, Albrecht et al. 2009)",
    ),
    (
        "rijndael-cbc@lysator.liu.se",
        Weak,
        "CBC mode, pre-standard alias",
    ),
    ("aes128-ctr", Good, "AES in counter mode (RFC 4344)"),
    ("aes192-ctr", Good, "AES in counter mode (RFC 4344)"),
    ("aes256-ctr", Good, "AES in counter mode (RFC 4344)"),
    ("aes128-gcm@openssh.com", Good, "AEAD (AES-GCM, RFC 5647)"),
    ("aes256-gcm@openssh.com", Good, "AEAD (AES-GCM, RFC 5647)"),
    (
        "chacha20-poly1305@openssh.com",
        Good,
        "AEAD; needs strict kex (OpenSSH >= 9.6) against Terrapin, CVE-2023-48795",
    ),
    // MACs.
    ("hmac-md5", Broken, "MD5, encrypt-and-MAC"),
    ("hmac-md5-96", Broken, "MD5, truncated tag, encrypt-and-MAC"),
    ("hmac-md5-etm@openssh.com", Broken, "MD5"),
    ("hmac-md5-96-etm@openssh.com", Broken, "MD5, truncated tag"),
    ("hmac-ripemd160", Weak, "RIPEMD-160, encrypt-and-MAC"),
    (
        "hmac-ripemd160@openssh.com",
        Weak,
        "RIPEMD-160, encrypt-and-MAC",
    ),
    ("hmac-ripemd160-etm@openssh.com", Weak, "RIPEMD-160"),
    ("hmac-sha1", Weak, "SHA-1, encrypt-and-MAC"),
    (
        "hmac-sha1-96",
        Weak,
        "SHA-1, truncated tag, encrypt-and-MAC",
    ),
    ("hmac-sha1-etm@openssh.com", Weak, "SHA-1"),
    ("hmac-sha1-96-etm@openssh.com", Weak, "SHA-1, truncated tag"),
    (
        "hmac-sha2-256",
        Weak,
        "encrypt-and-MAC (tag over the plaintext)",
    ),
    (
        "hmac-sha2-512",
        Weak,
        "encrypt-and-MAC (tag over the plaintext)",
    ),
    (
        "hmac-sha2-256-etm@openssh.com",
        Good,
        "encrypt-then-MAC, SHA-256",
    ),
    (
        "hmac-sha2-512-etm@openssh.com",
        Good,
        "encrypt-then-MAC, SHA-512",
    ),
    ("umac-64@openssh.com", Weak, "64-bit tag, encrypt-and-MAC"),
    ("umac-64-etm@openssh.com", Weak, "64-bit tag"),
    (
        "umac-128@openssh.com",
        Weak,
        "encrypt-and-MAC (tag over the plaintext)",
    ),
    (
        "umac-128-etm@openssh.com",
        Good,
        "encrypt-then-MAC, 128-bit UMAC tag",
    ),
    // Key exchange (canonical names).
    (
        "diffie-hellman-group1-sha1",
        Broken,
        "1024-bit group (Logjam) and SHA-1",
    ),
    (
        "diffie-hellman-group14-sha1",
        Weak,
        "SHA-1 (RFC 9142: SHOULD NOT)",
    ),
    (
        "diffie-hellman-group14-sha256",
        Weak,
        "2048-bit group: about 112-bit security",
    ),
    (
        "diffie-hellman-group16-sha512",
        Good,
        "4096-bit group (RFC 8268)",
    ),
    (
        "diffie-hellman-group18-sha512",
        Good,
        "8192-bit group (RFC 8268)",
    ),
    (
        "diffie-hellman-group-exchange-sha1",
        Weak,
        "SHA-1 (RFC 9142: SHOULD NOT)",
    ),
    (
        "diffie-hellman-group-exchange-sha256",
        Good,
        "server-chosen group; prune small moduli from /etc/ssh/moduli",
    ),
    (
        "ecdh-sha2-nistp256",
        Weak,
        "NIST P-curve of unexplained provenance",
    ),
    (
        "ecdh-sha2-nistp384",
        Weak,
        "NIST P-curve of unexplained provenance",
    ),
    (
        "ecdh-sha2-nistp521",
        Weak,
        "NIST P-curve of unexplained provenance",
    ),
    ("curve25519-sha256", Good, "X25519 (RFC 8731)"),
    (
        "sntrup761x25519-sha512",
        Good,
        "hybrid post-quantum (Streamlined NTRU Prime + X25519)",
    ),
    (
        "mlkem768x25519-sha256",
        Good,
        "hybrid post-quantum (ML-KEM-768, FIPS 203, + X25519)",
    ),
    // Host-key (signature) algorithms; certificates are rated by their plain type.
    ("ssh-ed25519", Good, "Ed25519 signatures"),
    (
        "sk-ssh-ed25519@openssh.com",
        Good,
        "Ed25519 on a FIDO security key",
    ),
    (
        "rsa-sha2-256",
        Good,
        "RSA with SHA-256 (RFC 8332); use >= 3072-bit keys",
    ),
    (
        "rsa-sha2-512",
        Good,
        "RSA with SHA-512 (RFC 8332); use >= 3072-bit keys",
    ),
    ("ssh-rsa", Weak, "RSA signatures with SHA-1"),
    ("ssh-dss", Broken, "1024-bit DSA"),
    (
        "ecdsa-sha2-nistp256",
        Weak,
        "NIST P-curve; ECDSA needs perfect nonces",
    ),
    (
        "ecdsa-sha2-nistp384",
        Weak,
        "NIST P-curve; ECDSA needs perfect nonces",
    ),
    (
        "ecdsa-sha2-nistp521",
        Weak,
        "NIST P-curve; ECDSA needs perfect nonces",
    ),
    (
        "sk-ecdsa-sha2-nistp256@openssh.com",
        Weak,
        "NIST P-curve on a FIDO security key",
    ),
    (
        "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
        Weak,
        "NIST P-curve on a FIDO security key",
    ),
];

/// Plain host-key type of a certificate type (`ssh-ed25519-cert-v01@openssh.com` -> `ssh-ed25519`).
fn strip_cert(name: &str) -> Option<String> {
    let base = name.strip_suffix("-cert-v01@openssh.com")?;
    // sk-* types carry their own @openssh.com suffix in the plain name.
    Some(if base.starts_with("sk-") {
        format!("{base}@openssh.com")
    } else {
        base.to_owned()
    })
}

/// Rates a cipher, MAC, kex or host-key algorithm by name.
pub fn rate(name: &str) -> Rated {
    let lookup = |n: &str| DB.iter().find(|(k, _, _)| *k == n);
    let hit = lookup(name)
        .or_else(|| lookup(canonical_kex(name)))
        .or_else(|| strip_cert(name).and_then(|b| lookup(&b)));
    match hit {
        Some((_, rating, reason)) => Rated {
            rating: *rating,
            reason: (*reason).to_owned(),
        },
        None => Rated {
            rating: Rating::Unknown,
            reason: format!("not in rating database {RATING_DB_VERSION}"),
        },
    }
}

/// Security class a recommendation orders by before speed (best first): speed decides only
/// between algorithms of the same class. Post-quantum hybrid kex rank above the other good ones
/// (store-now-decrypt-later traffic is protected only by them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecurityClass {
    PostQuantum,
    Good,
    Weak,
    Broken,
    Unknown,
}

impl SecurityClass {
    /// Label for tables and config comments (`post-quantum`, `good`, ...).
    pub fn label(self) -> &'static str {
        match self {
            SecurityClass::PostQuantum => "post-quantum",
            SecurityClass::Good => "good",
            SecurityClass::Weak => "weak",
            SecurityClass::Broken => "broken",
            SecurityClass::Unknown => "unknown",
        }
    }
}

/// Whether a kex is a hybrid post-quantum one (sntrup761x25519, mlkem768x25519).
pub fn is_post_quantum(name: &str) -> bool {
    let n = canonical_kex(name);
    n.starts_with("sntrup") || n.starts_with("mlkem")
}

/// The security class of one algorithm (from its rating; PQ hybrids above the good ones).
pub fn class(name: &str) -> SecurityClass {
    match rate(name).rating {
        Rating::Good if is_post_quantum(name) => SecurityClass::PostQuantum,
        Rating::Good => SecurityClass::Good,
        Rating::Weak => SecurityClass::Weak,
        Rating::Broken => SecurityClass::Broken,
        Rating::Unknown => SecurityClass::Unknown,
    }
}

/// The class of a cipher + MAC combination: the worse of the two (AEAD: the cipher's).
pub fn bulk_class(cipher: &str, mac: Option<&str>) -> SecurityClass {
    class(cipher).max(mac.map_or(SecurityClass::PostQuantum, class))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_known_names_with_reasons() {
        assert_eq!(rate("3des-cbc").rating, Rating::Broken);
        assert!(rate("3des-cbc").reason.contains("Sweet32"));
        assert_eq!(rate("aes128-gcm@openssh.com").rating, Rating::Good);
        assert_eq!(rate("hmac-sha1").rating, Rating::Weak);
        assert_eq!(rate("diffie-hellman-group1-sha1").rating, Rating::Broken);
    }

    #[test]
    fn aliases_and_certificates_rate_like_their_base() {
        assert_eq!(
            rate("curve25519-sha256@libssh.org"),
            rate("curve25519-sha256")
        );
        assert_eq!(
            rate("sntrup761x25519-sha512@openssh.com").rating,
            Rating::Good
        );
        assert_eq!(
            rate("ssh-ed25519-cert-v01@openssh.com"),
            rate("ssh-ed25519")
        );
        assert_eq!(rate("ssh-dss-cert-v01@openssh.com").rating, Rating::Broken);
        assert_eq!(
            rate("sk-ssh-ed25519-cert-v01@openssh.com"),
            rate("sk-ssh-ed25519@openssh.com")
        );
    }

    #[test]
    fn unknown_names_name_the_db_version() {
        let r = rate("frobnicate-512@example.org");
        assert_eq!(r.rating, Rating::Unknown);
        assert!(r.reason.contains(RATING_DB_VERSION));
    }

    #[test]
    fn every_openssh_92_algorithm_is_rated() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/ssh-q-9.2");
        for list in ["cipher", "mac", "kex", "key", "sig"] {
            let text = std::fs::read_to_string(format!("{dir}/{list}.txt")).unwrap();
            for name in crate::algos::parse_query_list(&text) {
                assert_ne!(rate(&name).rating, Rating::Unknown, "{list}: {name}");
            }
        }
    }

    #[test]
    fn classes_put_post_quantum_kex_first_and_combinations_take_the_worse() {
        assert_eq!(
            class("sntrup761x25519-sha512@openssh.com"),
            SecurityClass::PostQuantum
        );
        assert_eq!(class("mlkem768x25519-sha256"), SecurityClass::PostQuantum);
        assert_eq!(class("curve25519-sha256"), SecurityClass::Good);
        assert!(SecurityClass::PostQuantum < SecurityClass::Good);
        assert_eq!(
            bulk_class("aes128-gcm@openssh.com", None),
            SecurityClass::Good
        );
        assert_eq!(
            bulk_class("aes128-ctr", Some("hmac-sha1")),
            SecurityClass::Weak
        );
        assert_eq!(
            bulk_class("3des-cbc", Some("hmac-sha2-256-etm@openssh.com")),
            SecurityClass::Broken
        );
    }
}
