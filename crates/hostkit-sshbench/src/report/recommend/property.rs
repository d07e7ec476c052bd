//! Whatever the filters of the run and whatever the policy: the lists hold nothing the
//! policy rejects or a side lacks, and everything the policy allows that both support.

use super::tests::line_names;
use super::*;
use crate::analyze::KexResult;
use crate::analyze::analyze;
use crate::fixtures::{neg_92, synthetic_log};
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
