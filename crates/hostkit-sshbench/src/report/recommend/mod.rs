//! The recommendation: security first, then speed. Within a policy, algorithms are grouped by
//! security class (post-quantum kex above the other good ones, good above weak above broken)
//! and ordered by measured speed only inside a class. The lists name every algorithm the policy
//! allows and both sides support (measured ones first, then unmeasured), so a pasted block never
//! narrows what a host can negotiate below the policy; ties (overlapping 95 % CIs) are stated,
//! and so are the kex's handshake cost and the measured gain over OpenSSH's default order.
//!
//! With both directions measured, a combination is judged by its slower direction.

use hostkit_stats::Summary;
use serde::{Deserialize, Serialize};

use crate::algos::{KEX_ALIASES, Negotiable, canonical_kex};
use crate::analyze::{Analysis, BulkResult};
use crate::policy::Policy;
use crate::rating::{SecurityClass, bulk_class, class};

pub use crate::defaults::{
    CIPHERS as OPENSSH_DEFAULT_CIPHERS, KEX as OPENSSH_DEFAULT_KEX, MACS as OPENSSH_DEFAULT_MACS,
};

/// How the lists are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// The full list: exactly what the policy allows, nothing else negotiable.
    #[default]
    Exact,
    /// OpenSSH's `^` form (OpenSSH 8.1 and later): these first, the defaults behind them.
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
    /// What OpenSSH's default order negotiates between these two sides (`cipher + mac`),
    /// measured or not.
    pub openssh_default: Option<String>,
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
        openssh_default: default_combination(&all, sup).map(|(c, m)| match m {
            Some(m) => format!("{c} + {m}"),
            None => c.to_owned(),
        }),
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
/// have; its first default MAC unless AEAD).
fn default_combination<'a>(
    all: &[Candidate],
    sup: Option<&Negotiable>,
) -> Option<(&'a str, Option<&'a str>)> {
    let has_cipher = |c: &str| match sup {
        Some(s) => s.ciphers.iter().any(|x| x == c),
        None => all.iter().any(|k| k.row.cipher == c),
    };
    let cipher = *OPENSSH_DEFAULT_CIPHERS.iter().find(|c| has_cipher(c))?;
    let aead = match sup {
        Some(s) => s.is_aead(cipher),
        None => crate::algos::is_known_aead(cipher),
    };
    if aead {
        return Some((cipher, None));
    }
    let has_mac = |m: &str| match sup {
        Some(s) => s.macs.iter().any(|x| x == m),
        None => all.iter().any(|k| k.row.mac.as_deref() == Some(m)),
    };
    Some((
        cipher,
        Some(*OPENSSH_DEFAULT_MACS.iter().find(|m| has_mac(m))?),
    ))
}

/// The pick against [`default_combination`]'s row, when that was measured.
fn gain_over_default(
    all: &[Candidate],
    sup: Option<&Negotiable>,
    pick: &BulkResult,
) -> Option<Gain> {
    let (cipher, mac) = default_combination(all, sup)?;
    let def = all
        .iter()
        .find(|c| c.row.cipher == cipher && c.row.mac.as_deref() == mac)?
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

mod text;

use text::render;

#[cfg(test)]
mod property;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::analyze;
    use crate::fixtures::{neg_92, synthetic_log};

    fn analysis() -> Analysis {
        analyze(&synthetic_log())
    }

    pub(super) fn with_support() -> Options {
        Options {
            supported: Some(neg_92()),
            ..Options::default()
        }
    }

    /// The names of a `Keyword a,b,c` line (caret dropped).
    pub(super) fn line_names(cfg: &str, keyword: &str) -> Vec<String> {
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
        assert!(r.ssh_config.contains(
            "# warning: the `all` policy lets these lists include algorithms rated weak or broken: "
        ));
        let hardened = recommend_with(
            &analysis(),
            &Policy::preset("hardened").unwrap(),
            &with_support(),
        )
        .unwrap();
        assert!(!hardened.ssh_config.contains("# warning"));
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
        assert!(r.ssh_config.contains("OpenSSH 8.1 or later"));
        assert!(r.ssh_config.contains("including what the policy rejects: "));
        assert!(r.ssh_config.contains("umac-64-etm@openssh.com"));
    }

    #[test]
    fn an_unmeasured_default_is_named_with_how_to_measure_it() {
        let mut a = analysis();
        a.bulk.retain(|b| !b.cipher.starts_with("chacha20"));
        let r = recommend_with(&a, &Policy::preset("hardened").unwrap(), &with_support()).unwrap();
        assert_eq!(r.gain_over_default, None);
        assert_eq!(
            r.openssh_default.as_deref(),
            Some("chacha20-poly1305@openssh.com")
        );
        assert!(r.ssh_config.contains(
            "# vs OpenSSH's default order here (chacha20-poly1305@openssh.com): not measured; include it in `--ciphers`/`--macs` to compare"
        ));
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
}
