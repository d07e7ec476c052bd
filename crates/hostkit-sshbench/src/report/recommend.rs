//! The recommendation: the fastest bulk combination a policy allows, the combinations that are
//! statistically indistinguishable from it (overlapping 95 % CIs), and ready-to-paste
//! ssh_config / sshd_config lines listing every allowed, measured algorithm fastest first (so a
//! peer lacking the pick still negotiates the next best).
//!
//! With both directions measured, a combination is judged by its slower direction (the
//! bottleneck of a mixed workload).

use std::fmt::Write as _;

use hostkit_stats::Summary;
use serde::{Deserialize, Serialize};

use crate::algos::KEX_ALIASES;
use crate::analyze::{Analysis, BulkResult};
use crate::policy::{Policy, RATING_DB_VERSION};

/// The fastest configuration a policy allows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    pub policy: String,
    pub cipher: String,
    pub mac: Option<String>,
    pub kex: Option<String>,
    /// Other combinations statistically indistinguishable from the pick (overlapping CIs).
    pub tied_with: Vec<String>,
    /// `Host` block for ~/.ssh/config.
    pub ssh_config: String,
    /// Lines for sshd_config.
    pub sshd_config: String,
    /// The pick's MB/s summary (its slower direction when both were measured).
    #[serde(default)]
    pub mbps: Option<Summary>,
}

/// One cipher x MAC with its bottleneck-direction summary.
struct Candidate<'a> {
    row: &'a BulkResult,
}

/// [`recommend_for`] with `Host *`.
pub fn recommend(analysis: &Analysis, policy: &Policy) -> Option<Recommendation> {
    recommend_for(analysis, policy, "*")
}

/// The fastest allowed combination with config lines for `Host {host_pattern}`;
/// `None` when no measured bulk combination is allowed.
pub fn recommend_for(
    analysis: &Analysis,
    policy: &Policy,
    host_pattern: &str,
) -> Option<Recommendation> {
    let cands = candidates(analysis, policy);
    let best = cands.first()?.row;
    let tied_with: Vec<String> = cands[1..]
        .iter()
        .filter(|c| c.row.mbps.ci_overlaps(&best.mbps))
        .map(|c| c.row.label())
        .collect();
    let ciphers = ordered(cands.iter().map(|c| c.row.cipher.clone()));
    let macs = ordered(cands.iter().filter_map(|c| c.row.mac.clone()));
    let kex = kex_order(analysis, policy, best);
    let mut lines = vec![format!("Ciphers {}", ciphers.join(","))];
    if !macs.is_empty() {
        lines.push(format!("MACs {}", macs.join(",")));
    }
    if !kex.is_empty() {
        lines.push(format!("KexAlgorithms {}", kex.join(",")));
    }
    let mut head = format!(
        "# hostkit ssh bench: fastest under the `{}` policy (rating database {RATING_DB_VERSION})\n# {}: {:.1} MB/s, 95% CI {:.1}..{:.1}\n",
        policy.name,
        best.label(),
        best.mbps.median,
        best.mbps.ci_low,
        best.mbps.ci_high
    );
    if !tied_with.is_empty() {
        let _ = writeln!(head, "# indistinguishable here: {}", tied_with.join("; "));
    }
    let mut ssh_config = format!("{head}Host {host_pattern}\n");
    for l in &lines {
        let _ = writeln!(ssh_config, "    {l}");
    }
    let sshd_config = format!("{head}{}\n", lines.join("\n"));
    Some(Recommendation {
        policy: policy.name.clone(),
        cipher: best.cipher.clone(),
        mac: best.mac.clone(),
        kex: kex.first().cloned(),
        tied_with,
        ssh_config: ssh_config.trim_end().to_owned(),
        sshd_config: sshd_config.trim_end().to_owned(),
        mbps: Some(best.mbps.clone()),
    })
}

/// Allowed cipher x MAC rows, one per combination (its slowest direction), best first.
fn candidates<'a>(analysis: &'a Analysis, policy: &Policy) -> Vec<Candidate<'a>> {
    let mut out: Vec<Candidate<'a>> = Vec::new();
    for b in analysis
        .bulk
        .iter()
        .filter(|b| policy.allows_bulk(&b.cipher, b.mac.as_deref()))
        .filter(|b| policy.allows_kex(&b.kex))
    {
        match out
            .iter_mut()
            .find(|c| c.row.cipher == b.cipher && c.row.mac == b.mac)
        {
            Some(c) if b.mbps.median < c.row.mbps.median => c.row = b,
            Some(_) => {}
            None => out.push(Candidate { row: b }),
        }
    }
    out.sort_by(|a, b| {
        b.row
            .mbps
            .median
            .total_cmp(&a.row.mbps.median)
            .then(a.row.trial.cmp(&b.row.trial))
    });
    out
}

/// De-duplicated, first occurrence kept.
fn ordered(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// Allowed kex fastest first (kex-only median), each followed by its known aliases the policy
/// allows (older peers know only those); the bulk kex alone when no handshake was measured.
fn kex_order(analysis: &Analysis, policy: &Policy, best: &BulkResult) -> Vec<String> {
    let measured: Vec<String> = analysis
        .kex
        .iter()
        .filter(|k| policy.allows_kex(&k.kex))
        .map(|k| k.kex.clone())
        .collect();
    let base = if measured.is_empty() {
        vec![best.kex.clone()]
    } else {
        measured
    };
    let mut out = Vec::new();
    for k in base {
        let aliases = KEX_ALIASES
            .iter()
            .filter(|(alias, canon)| *canon == k && policy.kex.iter().any(|p| p == alias))
            .map(|(alias, _)| (*alias).to_owned());
        out.push(k.clone());
        out.extend(aliases);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::analyze;
    use crate::fixtures::synthetic_log;

    fn analysis() -> Analysis {
        analyze(&synthetic_log())
    }

    #[test]
    fn hardened_picks_fastest_allowed_and_lists_ties() {
        let r = recommend(&analysis(), &Policy::preset("hardened").unwrap()).unwrap();
        assert_eq!(r.cipher, "aes128-gcm@openssh.com");
        assert_eq!(r.mac, None);
        // ecdh is faster but not allowed by the hardened policy.
        assert_eq!(r.kex.as_deref(), Some("curve25519-sha256"));
        assert!(
            r.ssh_config
                .contains("Host *\n    Ciphers aes128-gcm@openssh.com,")
        );
        assert!(r.ssh_config.contains(
            "KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org,sntrup761x25519-sha512"
        ));
        assert!(
            !r.ssh_config.contains("umac-64"),
            "umac-64-etm is not in the hardened MACs"
        );
        assert!(!r.sshd_config.contains("Host"));
        assert!(
            r.sshd_config
                .lines()
                .any(|l| l.starts_with("MACs hmac-sha2-256-etm@openssh.com"))
        );
    }

    #[test]
    fn policy_excluding_the_leader_picks_the_next() {
        let p = Policy::custom(
            "no-gcm",
            vec!["aes*-ctr".into(), "3des-cbc".into()],
            vec![],
            vec![],
        );
        let r = recommend_for(&analysis(), &p, "bench.example").unwrap();
        assert_eq!(r.cipher, "aes128-ctr");
        assert!(r.mac.as_deref().unwrap().contains("etm"));
        assert_eq!(
            r.tied_with.len(),
            1,
            "sha1-etm and sha2-256-etm tie: {:?}",
            r.tied_with
        );
        assert!(r.ssh_config.contains("Host bench.example"));
        assert!(
            r.ssh_config
                .contains("# indistinguishable here: aes128-ctr + ")
        );
        assert_eq!(r.kex.as_deref(), Some("ecdh-sha2-nistp256"));
    }

    #[test]
    fn nothing_allowed_is_none() {
        let p = Policy::custom("none", vec!["blowfish-cbc".into()], vec![], vec![]);
        assert_eq!(recommend(&analysis(), &p), None);
    }

    #[test]
    fn slower_direction_decides() {
        let mut a = analysis();
        // aes128-gcm is fast up but slow down: aes256-gcm must win under "all".
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
