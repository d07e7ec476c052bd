//! Security policies and the algorithm rating database (versioned): which ciphers, MACs and
//! kex a recommendation may use. Presets: `all`, `openssh-default`, `hardened` (ssh-audit's
//! hardened OpenSSH 9.2 guide), `stribika` (Secure Secure Shell), `good` (everything the database
//! rates good), and custom allow lists (`*` globs).
//!
//! Sources for the ratings: RFC 9142 (kex), RFC 8332 (rsa-sha2), Sweet32 (CVE-2016-2183),
//! Albrecht et al. 2009 (CBC in SSH), Logjam (2015), Terrapin (CVE-2023-48795).

use serde::{Deserialize, Serialize};

use crate::algos::{Negotiable, canonical_kex};
use crate::plan::Pattern;

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
const DB: &[(&str, Rating, &str)] = &[
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

/// A named policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub name: String,
    /// Allowed ciphers (`*` globs).
    pub ciphers: Vec<String>,
    /// Allowed MACs (`*` globs); AEAD ciphers need none.
    pub macs: Vec<String>,
    /// Allowed kex (`*` globs; aliases match their canonical name).
    pub kex: Vec<String>,
}

/// Names of the built-in presets, for help texts and error hints.
pub const PRESETS: &[&str] = &["all", "openssh-default", "hardened", "stribika", "good"];

fn owned(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| (*s).to_owned()).collect()
}

const CTR_AND_AEAD: &[&str] = &[
    "chacha20-poly1305@openssh.com",
    "aes256-gcm@openssh.com",
    "aes128-gcm@openssh.com",
    "aes256-ctr",
    "aes192-ctr",
    "aes128-ctr",
];

impl Policy {
    /// A preset by name (`all`, `openssh-default`, `hardened`, `stribika`, `good`); `None` if unknown.
    pub fn preset(name: &str) -> Option<Policy> {
        let (ciphers, macs, kex): (Vec<String>, Vec<String>, Vec<String>) = match name {
            "all" => (owned(&["*"]), owned(&["*"]), owned(&["*"])),
            // OpenSSH 9.2 compiled-in defaults (myproposal.h), as Debian 12 ships them.
            "openssh-default" => (
                owned(&[
                    "chacha20-poly1305@openssh.com",
                    "aes128-ctr",
                    "aes192-ctr",
                    "aes256-ctr",
                    "aes128-gcm@openssh.com",
                    "aes256-gcm@openssh.com",
                ]),
                owned(&[
                    "umac-64-etm@openssh.com",
                    "umac-128-etm@openssh.com",
                    "hmac-sha2-256-etm@openssh.com",
                    "hmac-sha2-512-etm@openssh.com",
                    "hmac-sha1-etm@openssh.com",
                    "umac-64@openssh.com",
                    "umac-128@openssh.com",
                    "hmac-sha2-256",
                    "hmac-sha2-512",
                    "hmac-sha1",
                ]),
                owned(&[
                    "sntrup761x25519-sha512",
                    "sntrup761x25519-sha512@openssh.com",
                    "curve25519-sha256",
                    "curve25519-sha256@libssh.org",
                    "ecdh-sha2-nistp256",
                    "ecdh-sha2-nistp384",
                    "ecdh-sha2-nistp521",
                    "diffie-hellman-group-exchange-sha256",
                    "diffie-hellman-group16-sha512",
                    "diffie-hellman-group18-sha512",
                    "diffie-hellman-group14-sha256",
                ]),
            ),
            // ssh-audit hardening guide, OpenSSH 9.2 (Debian 12).
            "hardened" => (
                owned(CTR_AND_AEAD),
                owned(&[
                    "hmac-sha2-256-etm@openssh.com",
                    "hmac-sha2-512-etm@openssh.com",
                    "umac-128-etm@openssh.com",
                ]),
                owned(&[
                    "sntrup761x25519-sha512@openssh.com",
                    "curve25519-sha256",
                    "curve25519-sha256@libssh.org",
                    "diffie-hellman-group16-sha512",
                    "diffie-hellman-group18-sha512",
                    "diffie-hellman-group-exchange-sha256",
                ]),
            ),
            // stribika, "Secure Secure Shell" (2015, as last revised).
            "stribika" => (
                owned(CTR_AND_AEAD),
                owned(&[
                    "hmac-sha2-512-etm@openssh.com",
                    "hmac-sha2-256-etm@openssh.com",
                    "umac-128-etm@openssh.com",
                    "hmac-sha2-512",
                    "hmac-sha2-256",
                    "umac-128@openssh.com",
                ]),
                owned(&[
                    "curve25519-sha256@libssh.org",
                    "diffie-hellman-group-exchange-sha256",
                ]),
            ),
            "good" => {
                let good = |pred: fn(&str) -> bool| -> Vec<String> {
                    DB.iter()
                        .filter(|(n, r, _)| *r == Good && pred(n))
                        .map(|(n, _, _)| (*n).to_owned())
                        .collect()
                };
                (good(is_cipher_name), good(is_mac_name), good(is_kex_name))
            }
            _ => return None,
        };
        Some(Policy {
            name: name.to_owned(),
            ciphers,
            macs,
            kex,
        })
    }

    /// A custom policy from allow lists (`*` globs); an empty list allows everything of that kind.
    pub fn custom(name: &str, ciphers: Vec<String>, macs: Vec<String>, kex: Vec<String>) -> Self {
        let all_if_empty = |v: Vec<String>| if v.is_empty() { owned(&["*"]) } else { v };
        Policy {
            name: name.to_owned(),
            ciphers: all_if_empty(ciphers),
            macs: all_if_empty(macs),
            kex: all_if_empty(kex),
        }
    }

    /// What `neg` leaves when only algorithms this policy allows are kept (for a plan that
    /// measures just the policy's candidates). Bulk pairs stay consistent with
    /// [`Policy::allows_bulk`] because ciphers and MACs are allowed independently.
    pub fn restrict(&self, neg: &Negotiable) -> Negotiable {
        let keep = |list: &[String], pats: &[String]| -> Vec<String> {
            list.iter().filter(|n| allowed(pats, n)).cloned().collect()
        };
        Negotiable {
            ciphers: keep(&neg.ciphers, &self.ciphers),
            aead: keep(&neg.aead, &self.ciphers),
            macs: keep(&neg.macs, &self.macs),
            kex: neg
                .kex
                .iter()
                .filter(|k| self.allows_kex(k))
                .cloned()
                .collect(),
            host_keys: neg.host_keys.clone(),
            kex_aliases: neg
                .kex_aliases
                .iter()
                .filter(|k| self.allows_kex(k))
                .cloned()
                .collect(),
        }
    }

    /// Whether a bulk combination is allowed (`mac` None for AEAD).
    pub fn allows_bulk(&self, cipher: &str, mac: Option<&str>) -> bool {
        allowed(&self.ciphers, cipher) && mac.is_none_or(|m| allowed(&self.macs, m))
    }

    /// Whether a kex is allowed; aliases count as their canonical name.
    pub fn allows_kex(&self, kex: &str) -> bool {
        let canon = canonical_kex(kex);
        self.kex
            .iter()
            .any(|p| Pattern(p.clone()).matches(kex) || canonical_kex(p) == canon)
    }
}

fn allowed(list: &[String], name: &str) -> bool {
    list.iter().any(|p| Pattern(p.clone()).matches(name))
}

fn is_cipher_name(n: &str) -> bool {
    n.contains("-ctr") || n.contains("-gcm") || n.contains("-cbc") || n.starts_with("chacha20")
}

fn is_mac_name(n: &str) -> bool {
    n.starts_with("hmac-") || n.starts_with("umac-")
}

fn is_kex_name(n: &str) -> bool {
    n.starts_with("diffie-hellman")
        || n.starts_with("ecdh-")
        || n.starts_with("curve25519")
        || n.starts_with("sntrup")
        || n.starts_with("mlkem")
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
    fn presets_exist_and_unknown_is_none() {
        for p in PRESETS {
            let policy = Policy::preset(p).unwrap();
            assert_eq!(policy.name, *p);
            assert!(!policy.ciphers.is_empty() && !policy.kex.is_empty());
        }
        assert_eq!(Policy::preset("paranoid"), None);
    }

    #[test]
    fn hardened_allows_etm_and_aead_only() {
        let h = Policy::preset("hardened").unwrap();
        assert!(h.allows_bulk("aes128-gcm@openssh.com", None));
        assert!(h.allows_bulk("aes128-ctr", Some("hmac-sha2-256-etm@openssh.com")));
        assert!(!h.allows_bulk("aes128-ctr", Some("hmac-sha1")));
        assert!(!h.allows_bulk("aes128-cbc", Some("hmac-sha2-256-etm@openssh.com")));
        assert!(h.allows_kex("curve25519-sha256@libssh.org"));
        assert!(
            h.allows_kex("sntrup761x25519-sha512"),
            "alias of a listed name"
        );
        assert!(!h.allows_kex("ecdh-sha2-nistp256"));
    }

    #[test]
    fn stribika_lists_alias_only_but_matches_canonical() {
        let s = Policy::preset("stribika").unwrap();
        assert!(s.allows_kex("curve25519-sha256"));
        assert!(s.allows_bulk("aes256-ctr", Some("hmac-sha2-512")));
        assert!(!s.allows_kex("sntrup761x25519-sha512"));
    }

    #[test]
    fn all_and_custom_globs() {
        let all = Policy::preset("all").unwrap();
        assert!(all.allows_bulk("3des-cbc", Some("hmac-md5")));
        assert!(all.allows_kex("diffie-hellman-group1-sha1"));
        let c = Policy::custom("mine", vec!["aes*-gcm@openssh.com".into()], vec![], vec![]);
        assert!(c.allows_bulk("aes256-gcm@openssh.com", None));
        assert!(!c.allows_bulk("chacha20-poly1305@openssh.com", None));
        assert!(c.allows_kex("anything"));
    }

    #[test]
    fn restricted_plans_match_the_published_counts() {
        use crate::plan::{PlanOptions, build};
        let neg = crate::fixtures::neg_92();
        let count = |name: &str| {
            let p = Policy::preset(name).unwrap();
            build(&p.restrict(&neg), &PlanOptions::default())
                .unwrap()
                .counts()
        };
        // ssh-audit's hardened OpenSSH 9.2 guide: 12 bulk cells and 5 kex.
        assert_eq!(count("hardened"), (12, 1, 5, 5));
        // stribika: 21 bulk cells, curve25519 (alias folded) and group-exchange-sha256.
        assert_eq!(count("stribika"), (21, 1, 2, 2));
        assert_eq!(count("all"), (115, 1, 12, 12));
        let r = Policy::preset("hardened").unwrap().restrict(&neg);
        assert_eq!(r.kex_aliases.len(), 2);
        assert!(r.aead.iter().all(|a| r.ciphers.contains(a)));
    }

    #[test]
    fn good_preset_matches_database() {
        let g = Policy::preset("good").unwrap();
        assert!(g.allows_bulk("aes128-ctr", Some("umac-128-etm@openssh.com")));
        assert!(!g.allows_bulk("aes128-ctr", Some("umac-64-etm@openssh.com")));
        assert!(g.allows_kex("curve25519-sha256@libssh.org"));
        assert!(!g.allows_kex("ecdh-sha2-nistp256"));
        assert!(!g.ciphers.iter().any(|c| c.starts_with("ssh-")));
    }
}
