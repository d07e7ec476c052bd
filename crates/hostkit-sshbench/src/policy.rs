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
    /// Allowed host-key (signature) algorithms (`*` globs); judged by `ssh algos --policy`.
    #[serde(default = "all_names")]
    pub host_keys: Vec<String>,
}

fn all_names() -> Vec<String> {
    owned(&["*"])
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
                owned(crate::defaults::CIPHERS),
                owned(crate::defaults::MACS),
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
            host_keys: preset_host_keys(name),
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
            host_keys: all_names(),
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

/// Host-key algorithms of a preset (certificate types follow their plain type).
fn preset_host_keys(name: &str) -> Vec<String> {
    match name {
        "hardened" => owned(&[
            "sk-ssh-ed25519-cert-v01@openssh.com",
            "ssh-ed25519-cert-v01@openssh.com",
            "rsa-sha2-512-cert-v01@openssh.com",
            "rsa-sha2-256-cert-v01@openssh.com",
            "sk-ssh-ed25519@openssh.com",
            "ssh-ed25519",
            "rsa-sha2-512",
            "rsa-sha2-256",
        ]),
        "stribika" => owned(&[
            "ssh-ed25519-cert-v01@openssh.com",
            "ssh-rsa-cert-v01@openssh.com",
            "ssh-ed25519",
            "rsa-sha2-512",
            "rsa-sha2-256",
            "ssh-rsa",
        ]),
        "openssh-default" => owned(&[
            "ssh-ed25519*",
            "ecdsa-sha2-nistp*",
            "sk-ssh-ed25519*",
            "sk-ecdsa-sha2-nistp256*",
            "rsa-sha2-512*",
            "rsa-sha2-256*",
        ]),
        "good" => DB
            .iter()
            .filter(|(n, r, _)| *r == Good && is_host_key_name(n))
            .flat_map(|(n, _, _)| [(*n).to_owned(), cert_of(n)])
            .collect(),
        _ => all_names(),
    }
}

/// The certificate type of a plain host-key type (`ssh-ed25519` -> `ssh-ed25519-cert-v01@openssh.com`).
fn cert_of(name: &str) -> String {
    match name.strip_suffix("@openssh.com") {
        Some(base) => format!("{base}-cert-v01@openssh.com"),
        None => format!("{name}-cert-v01@openssh.com"),
    }
}

fn is_host_key_name(n: &str) -> bool {
    n.starts_with("ssh-")
        || n.starts_with("rsa-")
        || n.starts_with("ecdsa-")
        || n.starts_with("sk-")
        || n.starts_with("webauthn-")
}

/// Why a policy file cannot be read (line numbers count from 1).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyFileError {
    #[error(
        "line {line}: unknown keyword `{keyword}`; expected `Name`, `Ciphers`, `MACs`, `KexAlgorithms` or `HostKeyAlgorithms`"
    )]
    UnknownKeyword { line: usize, keyword: String },
    #[error("line {line}: `{keyword}` has no value; expected a comma list of names or `*` globs")]
    MissingValue { line: usize, keyword: String },
    #[error(
        "line {line}: `{keyword}` starts with `{prefix}`; a policy lists what is allowed, without `+`, `-` or `^`"
    )]
    Modifier {
        line: usize,
        keyword: String,
        prefix: char,
    },
    #[error("no `Ciphers`, `MACs`, `KexAlgorithms` or `HostKeyAlgorithms` line")]
    Empty,
}

/// One algorithm a server offers, judged by a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub kind: crate::algos::AlgoKind,
    pub name: String,
    pub allowed: bool,
    /// The rating database's view, for the listing.
    pub rating: Rating,
}

/// A server's offer judged by a policy: every offered algorithm with its verdict, and the
/// kinds for which the server offers nothing the policy allows (no connection possible).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judgement {
    pub policy: String,
    pub verdicts: Vec<Verdict>,
    pub nothing_allowed: Vec<crate::algos::AlgoKind>,
}

impl Judgement {
    /// Offered algorithms the policy rejects.
    pub fn rejected(&self) -> impl Iterator<Item = &Verdict> {
        self.verdicts.iter().filter(|v| !v.allowed)
    }

    /// True when the server offers nothing the policy rejects and something of every kind.
    pub fn passes(&self) -> bool {
        self.rejected().next().is_none() && self.nothing_allowed.is_empty()
    }
}

impl Policy {
    /// Reads a policy written as sshd_config lines: `Ciphers`, `MACs`, `KexAlgorithms`,
    /// `HostKeyAlgorithms` (comma lists, `*` globs; a missing line allows everything of that
    /// kind) and an optional `Name`; `#` comments and blank lines are ignored; keywords are
    /// case-insensitive as in sshd_config(5). `default_name` names it when `Name` is absent.
    pub fn from_text(text: &str, default_name: &str) -> Result<Policy, PolicyFileError> {
        let mut p = Policy::custom(default_name, vec![], vec![], vec![]);
        let mut any = false;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let l = raw.split('#').next().unwrap_or("").trim();
            if l.is_empty() {
                continue;
            }
            let (kw, rest) = l.split_once([' ', '\t', '=']).unwrap_or((l, ""));
            let value = rest.trim().trim_start_matches('=').trim();
            let keyword = kw.to_owned();
            if value.is_empty() {
                return Err(PolicyFileError::MissingValue { line, keyword });
            }
            if let Some(prefix) = value.chars().next().filter(|c| "+-^".contains(*c)) {
                return Err(PolicyFileError::Modifier {
                    line,
                    keyword,
                    prefix,
                });
            }
            let list: Vec<String> = Pattern::list(value).into_iter().map(|p| p.0).collect();
            let slot = match kw.to_ascii_lowercase().as_str() {
                "name" => {
                    p.name = value.to_owned();
                    continue;
                }
                "ciphers" => &mut p.ciphers,
                "macs" => &mut p.macs,
                "kexalgorithms" => &mut p.kex,
                "hostkeyalgorithms" => &mut p.host_keys,
                _ => return Err(PolicyFileError::UnknownKeyword { line, keyword }),
            };
            *slot = list;
            any = true;
        }
        if any {
            Ok(p)
        } else {
            Err(PolicyFileError::Empty)
        }
    }

    /// Whether a host-key algorithm is allowed.
    pub fn allows_host_key(&self, name: &str) -> bool {
        allowed(&self.host_keys, name)
    }

    /// Whether one algorithm of `kind` is allowed.
    pub fn allows(&self, kind: crate::algos::AlgoKind, name: &str) -> bool {
        use crate::algos::AlgoKind;
        match kind {
            AlgoKind::Kex => self.allows_kex(name),
            AlgoKind::HostKey => self.allows_host_key(name),
            AlgoKind::Cipher => allowed(&self.ciphers, name),
            AlgoKind::Mac => allowed(&self.macs, name),
        }
    }

    /// Judges what a server offers (both directions; pseudo-algorithms are not judged).
    /// MACs count only when the server offers a non-AEAD cipher the policy allows or not:
    /// an offered MAC is offered, whatever the cipher.
    pub fn judge(&self, server: &crate::algos::ServerOffer) -> Judgement {
        use crate::algos::AlgoKind;
        let mut verdicts: Vec<Verdict> = Vec::new();
        let lists: [(AlgoKind, Vec<&String>); 4] = [
            (AlgoKind::Kex, server.kex.iter().collect()),
            (AlgoKind::HostKey, server.host_keys.iter().collect()),
            (
                AlgoKind::Cipher,
                server
                    .ciphers_c2s
                    .iter()
                    .chain(&server.ciphers_s2c)
                    .collect(),
            ),
            (
                AlgoKind::Mac,
                server.macs_c2s.iter().chain(&server.macs_s2c).collect(),
            ),
        ];
        let mut nothing_allowed = Vec::new();
        for (kind, names) in lists {
            let mut any_allowed = false;
            for name in names {
                if crate::algos::is_pseudo(name)
                    || verdicts.iter().any(|v| v.kind == kind && &v.name == name)
                {
                    continue;
                }
                let allowed = self.allows(kind, name);
                any_allowed |= allowed;
                verdicts.push(Verdict {
                    kind,
                    name: name.clone(),
                    allowed,
                    rating: rate(name).rating,
                });
            }
            if !any_allowed {
                nothing_allowed.push(kind);
            }
        }
        Judgement {
            policy: self.name.clone(),
            verdicts,
            nothing_allowed,
        }
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

    #[test]
    fn policy_files_read_like_sshd_config() {
        let p = Policy::from_text(
            "# corp\nName corp-2026\nciphers aes256-gcm@openssh.com,aes*-ctr\nMACs=hmac-sha2-512-etm@openssh.com\n\nKexAlgorithms  sntrup761x25519-sha512@openssh.com\n",
            "file",
        )
        .unwrap();
        assert_eq!(p.name, "corp-2026");
        assert!(p.allows_bulk("aes192-ctr", Some("hmac-sha2-512-etm@openssh.com")));
        assert!(!p.allows_bulk("aes128-gcm@openssh.com", None));
        assert!(p.allows_kex("sntrup761x25519-sha512"));
        assert!(
            p.allows_host_key("ssh-dss"),
            "no HostKeyAlgorithms line: all allowed"
        );
        assert_eq!(
            Policy::from_text("Cipher aes128-ctr\n", "f"),
            Err(PolicyFileError::UnknownKeyword {
                line: 1,
                keyword: "Cipher".into()
            })
        );
        assert_eq!(
            Policy::from_text("\nMACs\n", "f"),
            Err(PolicyFileError::MissingValue {
                line: 2,
                keyword: "MACs".into()
            })
        );
        assert!(matches!(
            Policy::from_text("Ciphers +aes128-ctr", "f"),
            Err(PolicyFileError::Modifier { prefix: '+', .. })
        ));
        assert_eq!(
            Policy::from_text("# nothing\n", "f"),
            Err(PolicyFileError::Empty)
        );
    }

    #[test]
    fn judging_a_default_server_rejects_under_hardened_and_passes_under_all() {
        let server = crate::fixtures::server_all_92();
        let j = Policy::preset("hardened").unwrap().judge(&server);
        assert!(!j.passes());
        let rejected: Vec<&str> = j.rejected().map(|v| v.name.as_str()).collect();
        assert!(rejected.contains(&"3des-cbc") && rejected.contains(&"hmac-sha1"));
        assert!(rejected.contains(&"ecdh-sha2-nistp256"));
        assert!(!rejected.contains(&"curve25519-sha256"));
        assert!(
            !rejected
                .iter()
                .any(|n| n.starts_with("kex-strict") || n.starts_with("ext-info"))
        );
        assert!(Policy::preset("all").unwrap().judge(&server).passes());
        // A server offering only what hardened allows passes.
        let mut h = server.clone();
        let hp = Policy::preset("hardened").unwrap();
        h.kex.retain(|k| hp.allows_kex(k));
        h.host_keys.retain(|k| hp.allows_host_key(k));
        h.ciphers_c2s
            .retain(|c| hp.allows(crate::algos::AlgoKind::Cipher, c));
        h.ciphers_s2c = h.ciphers_c2s.clone();
        h.macs_c2s
            .retain(|m| hp.allows(crate::algos::AlgoKind::Mac, m));
        h.macs_s2c = h.macs_c2s.clone();
        assert!(hp.judge(&h).passes(), "{:?}", hp.judge(&h));
        // Offering no allowed cipher at all fails even with nothing rejected listed twice.
        h.ciphers_c2s.clear();
        h.ciphers_s2c.clear();
        let j = hp.judge(&h);
        assert_eq!(j.nothing_allowed, vec![crate::algos::AlgoKind::Cipher]);
        assert!(!j.passes());
    }
}
