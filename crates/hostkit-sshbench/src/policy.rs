//! Security policies: which ciphers, MACs, kex and host-key algorithms a recommendation may use
//! and a server may offer. Presets: `all`, `openssh-default`, `hardened` (ssh-audit's hardened
//! OpenSSH 9.2 guide), `stribika` (Secure Secure Shell), `good` (everything the rating database
//! rates good), and custom allow lists (`*` globs) read from a file.

use serde::{Deserialize, Serialize};

use crate::algos::Negotiable;
use crate::alias::canonical_kex;
use crate::pattern::Pattern;
use crate::rating::DB;
use crate::rating::Rating::Good;
pub use crate::rating::{RATING_DB_VERSION, Rated, Rating, rate};

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
