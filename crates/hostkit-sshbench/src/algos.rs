//! Algorithm names: client lists from `ssh -Q`, server lists from KEXINIT, pseudo-algorithm
//! filtering, AEAD detection, kex alias canonicalisation and the client/server intersection.
//!
//! Pseudo-algorithms are markers, not algorithms: `ext-info-c/s` (RFC 8308 §2.1) and OpenSSH's
//! strict-kex markers `kex-strict-c/s-v00@openssh.com` (OpenSSH 9.6, CVE-2023-48795).

use serde::{Deserialize, Serialize};

pub use crate::alias::{KEX_ALIASES, canonical_kex};
use crate::rating::{Rated, rate};

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

impl ClientAlgos {
    /// Builds the client lists from the raw stdout of `ssh -Q cipher`, `cipher-auth`, `mac`,
    /// `kex` and `key` (pseudo-algorithms dropped).
    pub fn from_query(cipher: &str, cipher_auth: &str, mac: &str, kex: &str, key: &str) -> Self {
        let list = |s: &str| -> Vec<String> {
            parse_query_list(s)
                .into_iter()
                .filter(|n| !is_pseudo(n))
                .collect()
        };
        ClientAlgos {
            ciphers: list(cipher),
            aead: list(cipher_auth),
            macs: list(mac),
            kex: list(kex),
            keys: list(key),
        }
    }

    /// Whether `cipher` is an AEAD cipher (MAC implicit) according to `ssh -Q cipher-auth`,
    /// falling back to the names OpenSSH is known to treat as AEAD when that list is empty.
    pub fn is_aead(&self, cipher: &str) -> bool {
        if self.aead.is_empty() {
            is_known_aead(cipher)
        } else {
            self.aead.iter().any(|a| a == cipher)
        }
    }
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
    /// Kex aliases both sides offer that were folded into a canonical name in `kex`
    /// (`curve25519-sha256@libssh.org`), for the plan's "skipped" list and the full-product count.
    #[serde(default)]
    pub kex_aliases: Vec<String>,
}

impl Negotiable {
    /// Whether `cipher` is one of the negotiable AEAD ciphers.
    pub fn is_aead(&self, cipher: &str) -> bool {
        self.aead.iter().any(|a| a == cipher)
    }
}

/// Ciphers OpenSSH treats as AEAD (used only when `ssh -Q cipher-auth` is unavailable).
const KNOWN_AEAD: &[&str] = &[
    "chacha20-poly1305@openssh.com",
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "aes128-gcm",
    "aes256-gcm",
];

/// Whether `cipher` is a cipher OpenSSH is known to treat as AEAD.
pub fn is_known_aead(cipher: &str) -> bool {
    KNOWN_AEAD.contains(&cipher)
}

/// Parses `ssh -Q ...` output: one name per line, blanks ignored.
pub fn parse_query_list(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// True for ext-info-c/s, kex-strict-c/s-v00@openssh.com and similar non-algorithms.
pub fn is_pseudo(name: &str) -> bool {
    name.starts_with("ext-info-") || name.starts_with("kex-strict-")
}

/// Folds kex aliases in a list, keeping first-seen order and dropping pseudo-algorithms.
///
/// Besides the [`KEX_ALIASES`] table, a vendor-suffixed `NAME@domain` is folded into `NAME` when
/// `NAME` itself is in the same list: that is how OpenSSH publishes aliases of standardised
/// names, so future ones fold without a table update.
pub fn fold_kex_aliases(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in names.iter().filter(|n| !is_pseudo(n)) {
        let canon = canonical_kex_in(names, name);
        if !out.iter().any(|o| o == canon) {
            out.push(canon.to_owned());
        }
    }
    out
}

/// The canonical name of `name` within the list `names` (see [`fold_kex_aliases`]).
pub fn canonical_kex_in<'a>(names: &[String], name: &'a str) -> &'a str {
    let canon = canonical_kex(name);
    match canon.split_once('@') {
        Some((base, _vendor)) if names.iter().any(|n| n == base) => base,
        _ => canon,
    }
}

/// The canonical name in `canonical` that `alias` stands for, if it is an alias of one of them.
pub fn alias_target<'a>(canonical: &'a [String], alias: &str) -> Option<&'a str> {
    let by_table = canonical_kex(alias);
    let by_suffix = alias.split_once('@').map(|(base, _)| base);
    canonical
        .iter()
        .find(|c| (by_table != alias && by_table == c.as_str()) || by_suffix == Some(c.as_str()))
        .map(String::as_str)
}

/// The key algorithm whose keys back a host-key *signature* algorithm
/// (`rsa-sha2-512` is signed with an `ssh-rsa` key; `ssh -Q key` lists only `ssh-rsa`).
fn host_key_base(name: &str) -> &str {
    match name {
        "rsa-sha2-256" | "rsa-sha2-512" => "ssh-rsa",
        "rsa-sha2-256-cert-v01@openssh.com" | "rsa-sha2-512-cert-v01@openssh.com" => {
            "ssh-rsa-cert-v01@openssh.com"
        }
        other => other,
    }
}

/// Names of `client` (in client order) that are also in every list of `server_lists`.
fn common(client: &[String], server_lists: &[&[String]]) -> Vec<String> {
    client
        .iter()
        .filter(|c| !is_pseudo(c))
        .filter(|c| server_lists.iter().all(|l| l.contains(c)))
        .cloned()
        .collect()
}

/// Intersects client and server. Ciphers and MACs must be offered in both directions (OpenSSH
/// always offers the same lists both ways); kex names are compared after alias folding; host-key
/// algorithms keep the server's order.
pub fn intersect(client: &ClientAlgos, server: &ServerOffer) -> Negotiable {
    let ciphers = common(&client.ciphers, &[&server.ciphers_c2s, &server.ciphers_s2c]);
    let aead = ciphers
        .iter()
        .filter(|c| client.is_aead(c))
        .cloned()
        .collect();
    let macs = common(&client.macs, &[&server.macs_c2s, &server.macs_s2c]);
    let server_kex = fold_kex_aliases(&server.kex);
    let kex: Vec<String> = fold_kex_aliases(&client.kex)
        .into_iter()
        .filter(|k| server_kex.contains(k))
        .collect();
    let kex_aliases = client
        .kex
        .iter()
        .filter(|k| server.kex.contains(k))
        .filter(|k| {
            let canon = canonical_kex_in(&client.kex, k);
            canon != k.as_str() && kex.iter().any(|c| c == canon)
        })
        .cloned()
        .collect();
    let host_keys = server
        .host_keys
        .iter()
        .filter(|h| !is_pseudo(h))
        .filter(|h| client.keys.iter().any(|k| k == *h || k == host_key_base(h)))
        .cloned()
        .collect();
    Negotiable {
        ciphers,
        aead,
        macs,
        kex,
        host_keys,
        kex_aliases,
    }
}

/// Which list an algorithm belongs to, for `ssh algos` listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlgoKind {
    Kex,
    HostKey,
    Cipher,
    Mac,
}

impl AlgoKind {
    /// Lowercase label (`kex`, `host-key`, `cipher`, `mac`).
    pub fn label(self) -> &'static str {
        match self {
            AlgoKind::Kex => "kex",
            AlgoKind::HostKey => "host-key",
            AlgoKind::Cipher => "cipher",
            AlgoKind::Mac => "mac",
        }
    }
}

/// One line of a client/server comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlgoRow {
    pub kind: AlgoKind,
    /// Canonical name (kex aliases folded).
    pub name: String,
    /// Other names on the wire for the same algorithm (kex aliases).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    pub client: bool,
    /// None when the server was not asked.
    pub server: Option<bool>,
    /// AEAD cipher (MAC implicit).
    #[serde(default)]
    pub aead: bool,
    pub rating: Rated,
}

/// Every algorithm either side knows, client order first, then server-only names, per kind.
pub fn listing(client: &ClientAlgos, server: Option<&ServerOffer>) -> Vec<AlgoRow> {
    let empty = ServerOffer::default();
    let srv = server.unwrap_or(&empty);
    let srv_ciphers: Vec<String> = srv
        .ciphers_c2s
        .iter()
        .filter(|c| srv.ciphers_s2c.contains(c))
        .cloned()
        .collect();
    let srv_macs: Vec<String> = srv
        .macs_c2s
        .iter()
        .filter(|m| srv.macs_s2c.contains(m))
        .cloned()
        .collect();
    let mut rows = Vec::new();
    let kinds: [(AlgoKind, &[String], &[String]); 4] = [
        (AlgoKind::Kex, &client.kex, &srv.kex),
        (AlgoKind::HostKey, &client.keys, &srv.host_keys),
        (AlgoKind::Cipher, &client.ciphers, &srv_ciphers),
        (AlgoKind::Mac, &client.macs, &srv_macs),
    ];
    for (kind, c, s) in kinds {
        rows.extend(rows_for(kind, c, s, server.is_some(), client));
    }
    rows
}

fn rows_for(
    kind: AlgoKind,
    client: &[String],
    server: &[String],
    asked: bool,
    algos: &ClientAlgos,
) -> Vec<AlgoRow> {
    let all: Vec<String> = client.iter().chain(server).cloned().collect();
    let canon = |n: &'_ str| -> String {
        if kind == AlgoKind::Kex {
            canonical_kex_in(&all, n).to_owned()
        } else {
            n.to_owned()
        }
    };
    let mut rows: Vec<AlgoRow> = Vec::new();
    for name in all.iter().filter(|n| !is_pseudo(n)) {
        let cname = canon(name);
        if let Some(row) = rows.iter_mut().find(|r| r.name == cname) {
            if *name != cname && !row.aliases.contains(name) {
                row.aliases.push(name.clone());
            }
            continue;
        }
        let on_server = server.iter().any(|s| canon(s) == cname);
        let on_client = client.iter().any(|c| {
            canon(c) == cname || (kind == AlgoKind::HostKey && c == host_key_base(&cname))
        });
        rows.push(AlgoRow {
            kind,
            aliases: if *name != cname {
                vec![name.clone()]
            } else {
                Vec::new()
            },
            client: on_client,
            server: asked.then_some(on_server),
            aead: kind == AlgoKind::Cipher && algos.is_aead(&cname),
            rating: rate(&cname),
            name: cname,
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{client_92, server_all_92, strings};

    #[test]
    fn parses_real_ssh_q_output() {
        let c = client_92();
        assert_eq!(
            (
                c.ciphers.len(),
                c.aead.len(),
                c.macs.len(),
                c.kex.len(),
                c.keys.len()
            ),
            (10, 3, 16, 14, 16)
        );
        assert_eq!(c.ciphers[0], "3des-cbc");
        assert!(c.is_aead("chacha20-poly1305@openssh.com"));
        assert!(!c.is_aead("aes128-ctr"));
    }

    #[test]
    fn query_list_ignores_blanks_and_whitespace() {
        assert_eq!(parse_query_list("a\n\n  b  \r\n\n"), strings(&["a", "b"]));
        assert!(parse_query_list("").is_empty());
    }

    #[test]
    fn pseudo_algorithms() {
        for p in [
            "ext-info-c",
            "ext-info-s",
            "kex-strict-c-v00@openssh.com",
            "kex-strict-s-v00@openssh.com",
        ] {
            assert!(is_pseudo(p), "{p}");
        }
        assert!(!is_pseudo("curve25519-sha256"));
        assert!(!is_pseudo("hmac-sha1"));
    }

    #[test]
    fn kex_aliases_canonicalise() {
        assert_eq!(
            canonical_kex("curve25519-sha256@libssh.org"),
            "curve25519-sha256"
        );
        assert_eq!(
            canonical_kex("sntrup761x25519-sha512@openssh.com"),
            "sntrup761x25519-sha512"
        );
        assert_eq!(canonical_kex("ecdh-sha2-nistp256"), "ecdh-sha2-nistp256");
        let folded = fold_kex_aliases(&client_92().kex);
        assert_eq!(folded.len(), 12, "14 names, 2 aliases: {folded:?}");
        assert!(!folded.iter().any(|k| k.contains('@')));
    }

    #[test]
    fn unknown_vendor_alias_folds_when_base_present() {
        let names = strings(&[
            "mlkem1024nistp384-sha384@example.org",
            "mlkem1024nistp384-sha384",
            "ext-info-c",
            "foo@bar.org",
        ]);
        assert_eq!(
            fold_kex_aliases(&names),
            strings(&["mlkem1024nistp384-sha384", "foo@bar.org"])
        );
    }

    #[test]
    fn alias_only_on_one_side_still_matches() {
        let client = ClientAlgos {
            kex: strings(&["curve25519-sha256@libssh.org", "ecdh-sha2-nistp256"]),
            ..ClientAlgos::default()
        };
        let server = ServerOffer {
            kex: strings(&["curve25519-sha256", "kex-strict-s-v00@openssh.com"]),
            ..ServerOffer::default()
        };
        assert_eq!(
            intersect(&client, &server).kex,
            strings(&["curve25519-sha256"])
        );
    }

    #[test]
    fn intersection_of_full_92_sides() {
        let n = intersect(&client_92(), &server_all_92());
        assert_eq!(
            (n.ciphers.len(), n.aead.len(), n.macs.len(), n.kex.len()),
            (10, 3, 16, 12)
        );
        assert_eq!(
            n.host_keys,
            strings(&["rsa-sha2-512", "rsa-sha2-256", "ssh-ed25519"])
        );
        assert!(n.is_aead("aes256-gcm@openssh.com"));
        assert_eq!(
            n.kex_aliases,
            strings(&[
                "curve25519-sha256@libssh.org",
                "sntrup761x25519-sha512@openssh.com"
            ])
        );
    }

    #[test]
    fn intersection_keeps_client_order_and_needs_both_directions() {
        let client = ClientAlgos {
            ciphers: strings(&["aes256-ctr", "aes128-ctr", "3des-cbc"]),
            macs: strings(&["hmac-sha1", "hmac-md5"]),
            ..ClientAlgos::default()
        };
        let server = ServerOffer {
            ciphers_c2s: strings(&["aes128-ctr", "aes256-ctr", "3des-cbc"]),
            ciphers_s2c: strings(&["aes128-ctr", "aes256-ctr"]),
            macs_c2s: strings(&["hmac-md5"]),
            macs_s2c: strings(&["hmac-md5", "hmac-sha1"]),
            ..ServerOffer::default()
        };
        let n = intersect(&client, &server);
        assert_eq!(n.ciphers, strings(&["aes256-ctr", "aes128-ctr"]));
        assert_eq!(n.macs, strings(&["hmac-md5"]));
        assert!(n.aead.is_empty());
    }

    #[test]
    fn aead_fallback_without_cipher_auth() {
        let c = ClientAlgos::default();
        assert!(c.is_aead("aes128-gcm@openssh.com"));
        assert!(!c.is_aead("aes128-cbc"));
    }

    #[test]
    fn listing_marks_sides_and_folds_aliases() {
        let mut server = server_all_92();
        server.ciphers_c2s.retain(|c| c != "3des-cbc");
        server.ciphers_s2c.retain(|c| c != "3des-cbc");
        server.kex.retain(|k| !k.starts_with("curve25519"));
        server.kex.push("curve25519-sha256@libssh.org".into());
        let rows = listing(&client_92(), Some(&server));
        let find = |n: &str| rows.iter().find(|r| r.name == n).unwrap();
        let curve = find("curve25519-sha256");
        assert_eq!(curve.aliases, strings(&["curve25519-sha256@libssh.org"]));
        assert_eq!((curve.client, curve.server), (true, Some(true)));
        assert_eq!(find("3des-cbc").server, Some(false));
        assert!(find("chacha20-poly1305@openssh.com").aead);
        let rsa = find("rsa-sha2-512");
        assert_eq!(
            (rsa.kind, rsa.client, rsa.server),
            (AlgoKind::HostKey, true, Some(true))
        );
        assert_eq!(rows.iter().filter(|r| r.kind == AlgoKind::Kex).count(), 12);
        assert!(rows.iter().all(|r| !is_pseudo(&r.name)));
        let no_server = listing(&client_92(), None);
        assert!(no_server.iter().all(|r| r.server.is_none()));
    }
}
