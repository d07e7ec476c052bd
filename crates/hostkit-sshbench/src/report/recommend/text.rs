//! The recommendation as text: the comment header (pick, ties, gain over OpenSSH's default
//! order, the first kex's handshake cost, warnings) and the `Ciphers`/`MACs`/`KexAlgorithms`
//! lines in the chosen style, for ~/.ssh/config (`Host` block) and sshd_config.

use std::fmt::Write as _;

use super::{
    OPENSSH_DEFAULT_CIPHERS, OPENSSH_DEFAULT_KEX, OPENSSH_DEFAULT_MACS, Options, Recommendation,
    Style, rate,
};
use crate::analyze::BulkResult;
use crate::policy::{Policy, RATING_DB_VERSION};
use crate::rating::{SecurityClass, bulk_class, class};

/// Writes the comment header and the config lines.
pub(super) fn render(
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
        None => match &r.openssh_default {
            Some(d) => {
                let _ = writeln!(
                    head,
                    "# vs OpenSSH's default order here ({d}): not measured; include it in `--ciphers`/`--macs` to compare"
                );
            }
            None => head.push_str("# vs OpenSSH's default order: no default cipher is shared\n"),
        },
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
                    "# kex {first} first ({}): handshake not measured (add it to `--kex` to measure it)",
                    class(first).label()
                );
            }
        }
    }
    let risky: Vec<&str> = r
        .ciphers
        .iter()
        .chain(&r.macs)
        .chain(&r.kex_algorithms)
        .filter(|n| class(n) >= SecurityClass::Weak)
        .map(String::as_str)
        .collect();
    if !risky.is_empty() {
        let _ = writeln!(
            head,
            "# warning: the `{}` policy lets these lists include algorithms rated weak or broken: {}",
            policy.name,
            risky.join(",")
        );
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
            head.push_str("# `^` (OpenSSH 8.1 or later) puts these first and keeps OpenSSH's defaults behind them");
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
