//! The recommendation: security first, then speed. Within a policy, algorithms are grouped by
//! security class (post-quantum kex above the other good ones, good above weak above broken)
//! and ordered by measured speed only inside a class. The lists name every algorithm the policy
//! allows and both sides support (measured ones first, then unmeasured), so a pasted block never
//! narrows what a host can negotiate below the policy; ties (overlapping 95 % CIs) are stated,
//! and so are the kex's handshake cost and the measured gain over OpenSSH's default order.
//!
//! With both directions measured, a combination is judged by its slower direction.

use std::fmt::Write as _;

use hostkit_stats::Summary;
use serde::{Deserialize, Serialize};

use crate::algos::{KEX_ALIASES, Negotiable, canonical_kex};
use crate::analyze::{Analysis, BulkResult};
use crate::policy::{Policy, RATING_DB_VERSION};
use crate::rating::{SecurityClass, bulk_class, class};

/// OpenSSH's compiled-in cipher order (myproposal.h, 9.x).
pub const OPENSSH_DEFAULT_CIPHERS: &[&str] = &[
    "chacha20-poly1305@openssh.com",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
];
/// OpenSSH's compiled-in MAC order (9.x).
pub const OPENSSH_DEFAULT_MACS: &[&str] = &[
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
];
/// OpenSSH's compiled-in kex order (canonical names; 9.9 put ML-KEM first, 9.0 sntrup761).
pub const OPENSSH_DEFAULT_KEX: &[&str] = &[
    "mlkem768x25519-sha256",
    "sntrup761x25519-sha512",
    "curve25519-sha256",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group14-sha256",
];

/// How the lists are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// The full list: exactly what the policy allows, nothing else negotiable.
    #[default]
    Exact,
    /// OpenSSH's `^` form (OpenSSH 8.2 and later): these first, the defaults behind them.
    Prepend,
}

/// What the recommendation is computed from besides the analysis.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub style: Style,
    /// `Host` pattern of the ssh_config block (`*` when empty).
    pub host_pattern: String,
    /// What both sides support (from the log); `None` for logs that do not record it.
    pub supported: Option<Negotiable>,
    /// Rates are coarse (the seed script's whole seconds).
    pub coarse: bool,
}

/// Ratio of the pick over OpenSSH's default choice for the measured pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gain {
    /// The combination OpenSSH's default order negotiates between these two sides.
    pub default: String,
    /// pick median / default median.
    pub ratio: f64,
    /// Conservative 95 % interval of the ratio (from the two CIs).
    pub ratio_low: f64,
    pub ratio_high: f64,
    /// `faster`, `tied` (interval contains 1) or `slower`.
    pub verdict: String,
}

/// Handshake cost of the first kex next to the fastest allowed one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KexCost {
    pub kex: String,
    pub kex_only_ms: f64,
    pub fastest: String,
    pub fastest_ms: f64,
}

/// A ready-to-paste configuration that a policy allows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    pub policy: String,
    pub style: Style,
    /// The pick: fastest bulk combination of the best security class.
    pub cipher: String,
    pub mac: Option<String>,
    /// First kex of the list.
    pub kex: Option<String>,
    /// The pick's rate summary, MB/s (its slower direction when both were measured).
    pub mb_per_s: Option<Summary>,
    /// Same-class combinations statistically indistinguishable from the pick (CIs overlap).
    pub tied_with: Vec<String>,
    /// Full lists in the order written.
    pub ciphers: Vec<String>,
    pub macs: Vec<String>,
    pub kex_algorithms: Vec<String>,
    /// Listed names that were not measured (they follow the measured ones of their class).
    pub unmeasured: Vec<String>,
    pub kex_cost: Option<KexCost>,
    pub gain_over_default: Option<Gain>,
    /// False when the log does not record what both sides support: the lists then hold only
    /// measured algorithms and may be narrower than the policy.
    pub complete: bool,
    /// Rates come from whole seconds (seed logs).
    pub coarse: bool,
    /// `Host` block for ~/.ssh/config.
    pub ssh_config: String,
    /// Lines for sshd_config.
    pub sshd_config: String,
}

/// One cipher x MAC with its bottleneck-direction row.
struct Candidate<'a> {
    row: &'a BulkResult,
    class: SecurityClass,
}

/// [`recommend_with`] with default options (`Host *`, exact lists, support unknown).
pub fn recommend(analysis: &Analysis, policy: &Policy) -> Option<Recommendation> {
    recommend_with(analysis, policy, &Options::default())
}

/// The recommendation, or `None` when no measured bulk combination is allowed.
pub fn recommend_with(
    analysis: &Analysis,
    policy: &Policy,
    opts: &Options,
) -> Option<Recommendation> {
    let all = candidates(analysis, |_| true);
    let cands: Vec<&Candidate> = all
        .iter()
        .filter(|c| policy.allows_bulk(&c.row.cipher, c.row.mac.as_deref()))
        .collect();
    let best = cands.first()?;
    let tied_with: Vec<String> = cands[1..]
        .iter()
        .filter(|c| c.class == best.class && rate(c.row).ci_overlaps(rate(best.row)))
        .map(|c| c.row.label())
        .collect();
    let sup = opts.supported.as_ref();
    let rate_of = |pred: &dyn Fn(&BulkResult) -> bool| {
        cands
            .iter()
            .filter(|c| pred(c.row))
            .map(|c| rate(c.row).median)
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
    };
    let cipher_names = names(
        cands.iter().map(|c| c.row.cipher.clone()),
        sup.map(|s| s.ciphers.as_slice()),
        |n| policy.allows(crate::algos::AlgoKind::Cipher, n),
    );
    let ciphers = order(cipher_names, |n| {
        (
            class(n),
            rate_of(&|r: &BulkResult| r.cipher == n).map(|v| -v),
        )
    });
    let mac_names = names(
        cands.iter().filter_map(|c| c.row.mac.clone()),
        sup.map(|s| s.macs.as_slice()),
        |n| policy.allows(crate::algos::AlgoKind::Mac, n),
    );
    let macs = order(mac_names, |n| {
        (
            class(n),
            rate_of(&|r: &BulkResult| r.mac.as_deref() == Some(n)).map(|v| -v),
        )
    });
    let kex = kex_order(analysis, policy, sup, best.row);
    let mut unmeasured: Vec<String> = Vec::new();
    for (list, measured) in [
        (
            &ciphers,
            cands
                .iter()
                .map(|c| c.row.cipher.clone())
                .collect::<Vec<_>>(),
        ),
        (
            &macs,
            cands.iter().filter_map(|c| c.row.mac.clone()).collect(),
        ),
        (&kex, analysis.kex.iter().map(|k| k.kex.clone()).collect()),
    ] {
        unmeasured.extend(
            list.iter()
                .filter(|n| !measured.iter().any(|m| m == canonical_kex(n)))
                .filter(|n| !is_listed_alias(n, list))
                .cloned(),
        );
    }
    let kex_cost = kex_cost(analysis, policy, kex.first());
    let gain = gain_over_default(&all, sup, best.row);
    let rec = Recommendation {
        policy: policy.name.clone(),
        style: opts.style,
        cipher: best.row.cipher.clone(),
        mac: best.row.mac.clone(),
        kex: kex.first().cloned(),
        mb_per_s: Some(rate(best.row).clone()),
        tied_with,
        ciphers,
        macs,
        kex_algorithms: kex,
        unmeasured,
        kex_cost,
        gain_over_default: gain,
        complete: sup.is_some(),
        coarse: opts.coarse,
        ssh_config: String::new(),
        sshd_config: String::new(),
    };
    Some(render(rec, best.row, policy, opts))
}

/// The rate summary of a bulk row (the one place that names the analysis field).
fn rate(b: &BulkResult) -> &Summary {
    &b.mbps
}

/// Bulk rows as candidates, one per cipher x MAC (its slower direction), best class first,
/// fastest first inside a class.
fn candidates(analysis: &Analysis, keep: impl Fn(&BulkResult) -> bool) -> Vec<Candidate<'_>> {
    let mut out: Vec<Candidate> = Vec::new();
    for b in analysis.bulk.iter().filter(|b| keep(b)) {
        match out
            .iter_mut()
            .find(|c| c.row.cipher == b.cipher && c.row.mac == b.mac)
        {
            Some(c) if rate(b).median < rate(c.row).median => c.row = b,
            Some(_) => {}
            None => out.push(Candidate {
                row: b,
                class: bulk_class(&b.cipher, b.mac.as_deref()),
            }),
        }
    }
    out.sort_by(|a, b| {
        a.class
            .cmp(&b.class)
            .then(rate(b.row).median.total_cmp(&rate(a.row).median))
            .then(a.row.trial.cmp(&b.row.trial))
    });
    out
}

/// Measured names, then the supported ones, de-duplicated, each kept only if `allowed`.
fn names(
    measured: impl Iterator<Item = String>,
    supported: Option<&[String]>,
    allowed: impl Fn(&str) -> bool,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in measured.chain(supported.unwrap_or(&[]).iter().cloned()) {
        if allowed(&n) && !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// Stable sort by (class, measured first by key) keeping the input order among unmeasured.
fn order(names: Vec<String>, key: impl Fn(&str) -> (SecurityClass, Option<f64>)) -> Vec<String> {
    let mut keyed: Vec<(SecurityClass, Option<f64>, usize, String)> = names
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            let (c, k) = key(&n);
            (c, k, i, n)
        })
        .collect();
    keyed.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(match (a.1, b.1) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then(a.2.cmp(&b.2))
    });
    keyed.into_iter().map(|k| k.3).collect()
}

/// Whether `n` is an alias listed right after its canonical name in `list`.
fn is_listed_alias(n: &str, list: &[String]) -> bool {
    canonical_kex(n) != n && list.iter().any(|c| c == canonical_kex(n))
}

/// Allowed kex: class first (post-quantum hybrids above the other good ones), then the
/// measured kex-only median, then unmeasured; each followed by the aliases both sides (or,
/// when unknown, the policy) name, so older peers that know only the alias still match.
fn kex_order(
    analysis: &Analysis,
    policy: &Policy,
    sup: Option<&Negotiable>,
    best: &BulkResult,
) -> Vec<String> {
    // The bulk trials' kex was negotiated, so both sides have it; it counts when the log
    // does not say what else they support.
    let bulk_kex = sup.is_none().then(|| canonical_kex(&best.kex).to_owned());
    let measured = analysis.kex.iter().map(|k| k.kex.clone()).chain(bulk_kex);
    let names = names(measured, sup.map(|s| s.kex.as_slice()), |n| {
        policy.allows_kex(n)
    });
    let ms = |n: &str| {
        analysis
            .kex
            .iter()
            .find(|k| k.kex == n)
            .and_then(|k| k.kex_only_ms.as_ref().or(k.connect_ms.as_ref()))
            .map(|s| s.median)
    };
    let ordered = order(names, |n| (class(n), ms(n)));
    let mut out = Vec::new();
    for k in ordered {
        let aliases: Vec<String> = KEX_ALIASES
            .iter()
            .filter(|(_, canon)| *canon == k)
            .map(|(alias, _)| (*alias).to_owned())
            .filter(|alias| match sup {
                Some(s) => s.kex_aliases.contains(alias) && policy.allows_kex(alias),
                None => policy.kex.iter().any(|p| p == alias),
            })
            .collect();
        out.push(k);
        out.extend(aliases);
    }
    out
}

fn kex_cost(analysis: &Analysis, policy: &Policy, first: Option<&String>) -> Option<KexCost> {
    let first = first?;
    let ms = |k: &crate::analyze::KexResult| k.kex_only_ms.as_ref().map(|s| s.median);
    let mine = analysis.kex.iter().find(|k| &k.kex == first).and_then(ms)?;
    let fastest = analysis
        .kex
        .iter()
        .filter(|k| policy.allows_kex(&k.kex))
        .filter_map(|k| ms(k).map(|m| (k.kex.clone(), m)))
        .min_by(|a, b| a.1.total_cmp(&b.1))?;
    Some(KexCost {
        kex: first.clone(),
        kex_only_ms: mine,
        fastest: fastest.0,
        fastest_ms: fastest.1,
    })
}

/// The combination OpenSSH's default order negotiates here (first default cipher both sides
/// have; its first default MAC unless AEAD), compared with the pick.
fn gain_over_default(
    all: &[Candidate],
    sup: Option<&Negotiable>,
    pick: &BulkResult,
) -> Option<Gain> {
    let has_cipher = |c: &str| match sup {
        Some(s) => s.ciphers.iter().any(|x| x == c),
        None => all.iter().any(|k| k.row.cipher == c),
    };
    let cipher = OPENSSH_DEFAULT_CIPHERS.iter().find(|c| has_cipher(c))?;
    let aead = match sup {
        Some(s) => s.is_aead(cipher),
        None => crate::algos::is_known_aead(cipher),
    };
    let mac = if aead {
        None
    } else {
        let has_mac = |m: &str| match sup {
            Some(s) => s.macs.iter().any(|x| x == m),
            None => all.iter().any(|k| k.row.mac.as_deref() == Some(m)),
        };
        Some(*OPENSSH_DEFAULT_MACS.iter().find(|m| has_mac(m))?)
    };
    let def = all
        .iter()
        .find(|c| c.row.cipher == *cipher && c.row.mac.as_deref() == mac)?
        .row;
    let (p, d) = (rate(pick), rate(def));
    if d.median <= 0.0 || d.ci_low <= 0.0 {
        return None;
    }
    let (lo, hi) = (p.ci_low / d.ci_high, p.ci_high / d.ci_low);
    let verdict = if lo > 1.0 {
        "faster"
    } else if hi < 1.0 {
        "slower"
    } else {
        "tied"
    };
    Some(Gain {
        default: def.label(),
        ratio: p.median / d.median,
        ratio_low: lo,
        ratio_high: hi,
        verdict: verdict.to_owned(),
    })
}

/// Writes the comment header and the config lines.
fn render(
    mut r: Recommendation,
    best: &BulkResult,
    policy: &Policy,
    opts: &Options,
) -> Recommendation {
    let s = rate(best);
    let unit = if opts.coarse { "runs/s" } else { "MB/s" };
    let mut head = format!(
        "# hostkit: `{}` policy (rating database {RATING_DB_VERSION}), security first, then speed\n",
        policy.name
    );
    let _ = writeln!(
        head,
        "# fastest allowed: {} ({}), {:.1} {unit}, 95% CI {:.1}..{:.1}, n={}",
        best.label(),
        bulk_class(&best.cipher, best.mac.as_deref()).label(),
        s.median,
        s.ci_low,
        s.ci_high,
        s.n
    );
    if opts.coarse {
        head.push_str("# coarse: from an ssh-performance.sh log (whole seconds per run, handshake included)\n");
    }
    if !r.tied_with.is_empty() {
        let _ = writeln!(
            head,
            "# tied with it (95% CIs overlap): {}",
            r.tied_with.join("; ")
        );
    }
    match &r.gain_over_default {
        Some(g) if g.verdict == "tied" => {
            let _ = writeln!(
                head,
                "# vs OpenSSH's default order here ({}): tied, ratio {:.2} (95% CI {:.2}..{:.2})",
                g.default, g.ratio, g.ratio_low, g.ratio_high
            );
        }
        Some(g) => {
            let _ = writeln!(
                head,
                "# vs OpenSSH's default order here ({}): {:.2}x ({}; 95% CI {:.2}..{:.2})",
                g.default, g.ratio, g.verdict, g.ratio_low, g.ratio_high
            );
        }
        None => head.push_str("# vs OpenSSH's default order: its choice here was not measured\n"),
    }
    if let Some(first) = &r.kex {
        match &r.kex_cost {
            Some(c) if c.fastest != c.kex => {
                let _ = writeln!(
                    head,
                    "# kex {first} first ({}): {:.0} ms kex-only handshake, {:+.0} ms vs the fastest allowed ({}, {:.0} ms), once per connection",
                    class(first).label(),
                    c.kex_only_ms,
                    c.kex_only_ms - c.fastest_ms,
                    c.fastest,
                    c.fastest_ms
                );
            }
            Some(c) => {
                let _ = writeln!(
                    head,
                    "# kex {first} first ({}): {:.0} ms kex-only handshake, the fastest allowed",
                    class(first).label(),
                    c.kex_only_ms
                );
            }
            None => {
                let _ = writeln!(
                    head,
                    "# kex {first} first ({}): handshake not measured",
                    class(first).label()
                );
            }
        }
    }
    if r.complete {
        head.push_str(
            "# lists: every algorithm the policy allows and both sides support, measured first\n",
        );
    } else {
        head.push_str("# lists: measured algorithms only (the log does not record what both sides support); may be narrower than the policy\n");
    }
    if !r.unmeasured.is_empty() {
        let _ = writeln!(
            head,
            "# not measured (after the measured ones of their class): {}",
            r.unmeasured.join(",")
        );
    }
    let caret = match opts.style {
        Style::Exact => "",
        Style::Prepend => {
            let kept: Vec<&str> = OPENSSH_DEFAULT_CIPHERS
                .iter()
                .filter(|c| !policy.allows(crate::algos::AlgoKind::Cipher, c))
                .chain(
                    OPENSSH_DEFAULT_MACS
                        .iter()
                        .filter(|m| !policy.allows(crate::algos::AlgoKind::Mac, m)),
                )
                .chain(OPENSSH_DEFAULT_KEX.iter().filter(|k| !policy.allows_kex(k)))
                .copied()
                .collect();
            head.push_str("# `^` (OpenSSH 8.2 or later) puts these first and keeps OpenSSH's defaults behind them");
            if kept.is_empty() {
                head.push('\n');
            } else {
                let _ = writeln!(
                    head,
                    ", including what the policy rejects: {}",
                    kept.join(",")
                );
            }
            "^"
        }
    };
    let mut lines = vec![format!("Ciphers {caret}{}", r.ciphers.join(","))];
    if !r.macs.is_empty() {
        lines.push(format!("MACs {caret}{}", r.macs.join(",")));
    }
    if !r.kex_algorithms.is_empty() {
        lines.push(format!(
            "KexAlgorithms {caret}{}",
            r.kex_algorithms.join(",")
        ));
    }
    let host = if opts.host_pattern.is_empty() {
        "*"
    } else {
        &opts.host_pattern
    };
    let mut ssh_config = format!("{head}Host {host}\n");
    for l in &lines {
        let _ = writeln!(ssh_config, "    {l}");
    }
    r.ssh_config = ssh_config.trim_end().to_owned();
    r.sshd_config = format!("{head}{}", lines.join("\n"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::analyze;
    use crate::fixtures::{neg_92, synthetic_log};

    fn analysis() -> Analysis {
        analyze(&synthetic_log())
    }

    fn with_support() -> Options {
        Options {
            supported: Some(neg_92()),
            ..Options::default()
        }
    }

    /// The names of a `Keyword a,b,c` line (caret dropped).
    fn line_names(cfg: &str, keyword: &str) -> Vec<String> {
        cfg.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(&format!("{keyword} ")))
            .map(|v| {
                v.trim_start_matches('^')
                    .split(',')
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn hardened_keeps_post_quantum_kex_first_with_its_cost() {
        let r = recommend_with(
            &analysis(),
            &Policy::preset("hardened").unwrap(),
            &with_support(),
        )
        .unwrap();
        assert_eq!(r.cipher, "aes128-gcm@openssh.com");
        assert_eq!(r.mac, None);
        let kex = line_names(&r.ssh_config, "KexAlgorithms");
        assert_eq!(kex[0], "sntrup761x25519-sha512", "{kex:?}");
        assert_eq!(kex[1], "sntrup761x25519-sha512@openssh.com");
        assert_eq!(kex[2], "curve25519-sha256", "measured before unmeasured");
        let c = r.kex_cost.as_ref().unwrap();
        assert_eq!(c.fastest, "curve25519-sha256");
        assert!(c.kex_only_ms > c.fastest_ms + 100.0);
        assert!(
            r.ssh_config
                .contains("# kex sntrup761x25519-sha512 first (post-quantum): ")
        );
        assert!(r.ssh_config.contains("once per connection"));
        // Unmeasured but allowed and supported: still listed.
        assert!(kex.contains(&"diffie-hellman-group18-sha512".to_owned()));
        assert!(
            r.unmeasured
                .contains(&"diffie-hellman-group18-sha512".to_owned())
        );
        assert!(line_names(&r.ssh_config, "Ciphers").contains(&"aes192-ctr".to_owned()));
        assert!(!r.ssh_config.contains("umac-64"));
        assert!(r.complete);
        // Gain over the default (chacha20-poly1305: 257 vs 391 MB/s).
        let g = r.gain_over_default.as_ref().unwrap();
        assert_eq!(g.default, "chacha20-poly1305@openssh.com");
        assert_eq!(g.verdict, "faster");
        assert!(g.ratio > 1.4 && g.ratio < 1.6, "{g:?}");
        assert!(!r.sshd_config.contains("Host"));
    }

    #[test]
    fn security_class_outranks_speed() {
        // Under `all`, weak (umac-64-etm) and broken (3des) combinations go after good ones,
        // and ecdh (weak, but fastest handshake) after the good kex.
        let r = recommend_with(
            &analysis(),
            &Policy::preset("all").unwrap(),
            &with_support(),
        )
        .unwrap();
        let macs = line_names(&r.ssh_config, "MACs");
        let pos = |m: &str| macs.iter().position(|x| x == m).unwrap();
        assert!(pos("hmac-sha2-256-etm@openssh.com") < pos("umac-64-etm@openssh.com"));
        assert!(pos("umac-64-etm@openssh.com") < pos("hmac-md5"));
        let kex = line_names(&r.ssh_config, "KexAlgorithms");
        let k = |n: &str| kex.iter().position(|x| x == n).unwrap();
        assert!(k("curve25519-sha256") < k("ecdh-sha2-nistp256"));
        let ciphers = line_names(&r.ssh_config, "Ciphers");
        assert_eq!(ciphers.last().map(String::as_str), Some("3des-cbc"));
    }

    #[test]
    fn ties_are_stated_within_the_class() {
        // aes128-ctr + hmac-sha1-etm ties with + hmac-sha2-256-etm (315 vs 314 MB/s), but
        // SHA-1 is a weaker class: no tie is claimed across classes, one is within a class.
        let p = Policy::custom("ctr", vec!["aes*-ctr".into()], vec![], vec![]);
        let r = recommend_with(&analysis(), &p, &with_support()).unwrap();
        assert_eq!(r.mac.as_deref(), Some("hmac-sha2-256-etm@openssh.com"));
        assert!(r.tied_with.is_empty(), "{:?}", r.tied_with);
        let mut a = analysis();
        let gcm = a.bulk[0].mbps.clone();
        a.bulk
            .iter_mut()
            .find(|b| b.cipher == "aes256-gcm@openssh.com")
            .unwrap()
            .mbps = gcm;
        let r = recommend_with(&a, &Policy::preset("hardened").unwrap(), &with_support()).unwrap();
        assert_eq!(r.tied_with, vec!["aes256-gcm@openssh.com".to_owned()]);
        assert!(
            r.ssh_config
                .contains("# tied with it (95% CIs overlap): aes256-gcm@openssh.com\n")
        );
    }

    #[test]
    fn prepend_style_uses_the_caret_and_names_what_stays_behind() {
        let opts = Options {
            style: Style::Prepend,
            host_pattern: "db*".into(),
            ..with_support()
        };
        let r = recommend_with(&analysis(), &Policy::preset("hardened").unwrap(), &opts).unwrap();
        assert!(
            r.ssh_config
                .contains("Host db*\n    Ciphers ^aes128-gcm@openssh.com,")
        );
        assert!(
            r.ssh_config
                .contains("KexAlgorithms ^sntrup761x25519-sha512,")
        );
        assert!(r.ssh_config.contains("OpenSSH 8.2 or later"));
        assert!(r.ssh_config.contains("including what the policy rejects: "));
        assert!(r.ssh_config.contains("umac-64-etm@openssh.com"));
    }

    #[test]
    fn unknown_support_says_the_lists_may_be_narrower() {
        let r = recommend(&analysis(), &Policy::preset("hardened").unwrap()).unwrap();
        assert!(!r.complete);
        assert!(r.ssh_config.contains("may be narrower than the policy"));
    }

    #[test]
    fn nothing_allowed_is_none() {
        let p = Policy::custom("none", vec!["blowfish-cbc".into()], vec![], vec![]);
        assert_eq!(recommend(&analysis(), &p), None);
    }

    #[test]
    fn slower_direction_decides() {
        let mut a = analysis();
        let mut down = a.bulk[0].clone();
        down.direction = crate::plan::Direction::Down;
        down.mbps.median = 100.0;
        down.mbps.ci_low = 95.0;
        down.mbps.ci_high = 105.0;
        a.bulk.push(down);
        let r = recommend(&a, &Policy::preset("all").unwrap()).unwrap();
        assert_eq!(r.cipher, "aes256-gcm@openssh.com");
    }

    mod property {
        //! Whatever the filters of the run and whatever the policy: the lists hold nothing the
        //! policy rejects or a side lacks, and everything the policy allows that both support.
        use super::*;
        use crate::analyze::KexResult;
        use crate::plan::Direction;
        use proptest::prelude::*;

        fn summary(median: f64) -> Summary {
            Summary {
                n: 5,
                median,
                mean: median,
                stddev: 1.0,
                min: median * 0.98,
                max: median * 1.02,
                mad: 1.0,
                ci_low: median * 0.98,
                ci_high: median * 1.02,
                outliers: vec![],
            }
        }

        fn subset(xs: &[String], mask: u64) -> Vec<String> {
            xs.iter()
                .enumerate()
                .filter(|(i, _)| mask >> (i % 64) & 1 == 1)
                .map(|(_, x)| x.clone())
                .collect()
        }

        fn policy(which: u8, mask: u64) -> Policy {
            match which % 6 {
                0 => Policy::preset("hardened").unwrap(),
                1 => Policy::preset("stribika").unwrap(),
                2 => Policy::preset("openssh-default").unwrap(),
                3 => Policy::preset("all").unwrap(),
                4 => Policy::preset("good").unwrap(),
                _ => {
                    let n = neg_92();
                    Policy::custom(
                        "random",
                        subset(&n.ciphers, mask),
                        subset(&n.macs, mask.rotate_left(13)),
                        subset(&n.kex, mask.rotate_left(29)),
                    )
                }
            }
        }

        proptest! {
            #[test]
            fn never_rejected_never_narrower(
                server_mask in any::<u64>(),
                filter_mask in any::<u64>(),
                which in any::<u8>(),
                pmask in any::<u64>(),
                rates in proptest::collection::vec(1.0f64..2000.0, 64),
                prepend in any::<bool>(),
            ) {
                let full = neg_92();
                // A server offering a random subset (always something of each kind).
                let mut sup = full.clone();
                let keep = |xs: &[String], m: u64| {
                    let s = subset(xs, m);
                    if s.is_empty() { xs[..1].to_vec() } else { s }
                };
                sup.ciphers = keep(&full.ciphers, server_mask);
                sup.aead = sup.ciphers.iter().filter(|c| full.is_aead(c)).cloned().collect();
                sup.macs = keep(&full.macs, server_mask.rotate_left(17));
                sup.kex = keep(&full.kex, server_mask.rotate_left(37));
                sup.kex_aliases.retain(|a| sup.kex.iter().any(|k| k == canonical_kex(a)));
                // A filtered run measured a random subset of that.
                let mut analysis = base().clone();
                analysis.bulk.clear();
                let mut i = 0;
                for c in subset(&sup.ciphers, filter_mask) {
                    let macs: Vec<Option<String>> = if sup.is_aead(&c) {
                        vec![None]
                    } else {
                        subset(&sup.macs, filter_mask.rotate_left(7)).into_iter().map(Some).collect()
                    };
                    for m in macs {
                        let mut b = synthetic_row();
                        b.cipher = c.clone();
                        b.mac = m;
                        b.trial = format!("bulk/up/{c}/{i}");
                        b.mbps = summary(rates[i % rates.len()]);
                        b.direction = Direction::Up;
                        analysis.bulk.push(b);
                        i += 1;
                    }
                }
                analysis.kex = subset(&sup.kex, filter_mask.rotate_left(23))
                    .into_iter()
                    .enumerate()
                    .map(|(j, k)| KexResult {
                        kex: k,
                        kex_only_ms: Some(summary(rates[(j * 7) % rates.len()] / 10.0)),
                        connect_ms: None,
                        client_cpu_ms: None,
                        server_cpu_ms: None,
                    })
                    .collect();
                let pol = policy(which, pmask);
                let opts = Options {
                    style: if prepend { Style::Prepend } else { Style::Exact },
                    supported: Some(sup.clone()),
                    ..Options::default()
                };
                let Some(r) = recommend_with(&analysis, &pol, &opts) else {
                    // No measured combination allowed: nothing to paste.
                    prop_assert!(!analysis.bulk.iter().any(|b| pol.allows_bulk(&b.cipher, b.mac.as_deref())));
                    return Ok(());
                };
                for cfg in [&r.ssh_config, &r.sshd_config] {
                    let ciphers = line_names(cfg, "Ciphers");
                    let macs = line_names(cfg, "MACs");
                    let kex = line_names(cfg, "KexAlgorithms");
                    for c in &ciphers {
                        prop_assert!(pol.allows(crate::algos::AlgoKind::Cipher, c), "{c} rejected");
                        prop_assert!(sup.ciphers.contains(c), "{c} unsupported");
                    }
                    for m in &macs {
                        prop_assert!(pol.allows(crate::algos::AlgoKind::Mac, m), "{m} rejected");
                        prop_assert!(sup.macs.contains(m), "{m} unsupported");
                    }
                    for k in &kex {
                        prop_assert!(pol.allows_kex(k), "{k} rejected");
                        prop_assert!(sup.kex.contains(k) || sup.kex_aliases.contains(k), "{k} unsupported");
                    }
                    // Never narrower than the policy on this pair.
                    for c in sup.ciphers.iter().filter(|c| pol.allows(crate::algos::AlgoKind::Cipher, c)) {
                        prop_assert!(ciphers.contains(c), "{c} missing");
                    }
                    for m in sup.macs.iter().filter(|m| pol.allows(crate::algos::AlgoKind::Mac, m)) {
                        prop_assert!(macs.contains(m), "{m} missing");
                    }
                    for k in sup.kex.iter().filter(|k| pol.allows_kex(k)) {
                        prop_assert!(kex.contains(k), "{k} missing");
                    }
                    // Security first: a post-quantum kex both sides have and the policy allows leads.
                    if sup.kex.iter().any(|k| pol.allows_kex(k) && crate::rating::is_post_quantum(k)) {
                        prop_assert!(crate::rating::is_post_quantum(&kex[0]), "{kex:?}");
                    }
                }
            }
        }

        fn base() -> &'static Analysis {
            static BASE: std::sync::OnceLock<Analysis> = std::sync::OnceLock::new();
            BASE.get_or_init(|| analyze(&synthetic_log()))
        }

        fn synthetic_row() -> BulkResult {
            base().bulk[0].clone()
        }
    }
}
