//! `hostkit ssh algos`: client (`ssh -Q`) and server (KEXINIT) algorithm lists side by side,
//! each rated by the built-in database; table or JSON. With `--policy` it is a gate: exit 0
//! when the server offers nothing the policy rejects, 1 when it does (listed), 2 on error.

use hostkit_sshbench::algos::{AlgoKind, listing};
use hostkit_sshbench::policy::Judgement;
use hostkit_sshbench::policy::RATING_DB_VERSION;

use std::sync::Arc;

use hostkit_sshbench::sys::cancel::Cancel;

use super::{discover, install_signals, prepare};
use crate::cli::ssh::{AlgosArgs, BenchFormat};
use crate::exit::Outcome;
use crate::output::table::{Align, Table};

pub fn run(a: AlgosArgs) -> anyhow::Result<Outcome> {
    // Ctrl-C during the (sub-second) discovery must still stop the private sshd cleanly.
    let signals = install_signals(Arc::new(Cancel::default()))?;
    let found = prepare(&a.conn, None).and_then(|prep| {
        let d = discover(&prep)?;
        Ok((prep.label.clone(), d))
    });
    signals.close();
    let (label, d) = found?;
    let rows = listing(&d.client, Some(&d.server));
    let judgement = match &a.policy {
        Some(p) => Some(super::policy(p)?.judge(&d.server)),
        None => None,
    };
    let verdict_of = |kind: AlgoKind, name: &str, aliases: &[String]| {
        judgement.as_ref().map(|j| {
            j.verdicts
                .iter()
                .filter(|v| v.kind == kind && (v.name == name || aliases.contains(&v.name)))
                .all(|v| v.allowed)
        })
    };
    match a.format {
        BenchFormat::Json => crate::output::emit_text(
            a.output.as_deref(),
            &hostkit_render::Envelope::new(
                "ssh algos",
                1,
                crate::output::now_unix_seconds(),
                serde_json::json!({
                "target": label,
                "server_version": d.hello.version,
                "rating_db": RATING_DB_VERSION,
                "client": d.client,
                "server": d.server,
                "negotiable": d.negotiable,
                "algorithms": rows,
                "policy": judgement.as_ref().map(|j| serde_json::json!({
                    "name": j.policy,
                    "passed": j.passes(),
                    "verdicts": j.verdicts,
                    "nothing_allowed": j.nothing_allowed,
                })),
                    }),
            )
            .to_pretty(),
        )?,
        BenchFormat::Table => {
            let mut t = Table::new(&[
                ("KIND", Align::Left),
                ("ALGORITHM", Align::Left),
                ("CLIENT", Align::Left),
                ("SERVER", Align::Left),
                ("RATING", Align::Left),
                ("POLICY", Align::Left),
                ("WHY", Align::Left),
            ]);
            let mark = |b: bool| if b { "yes" } else { "-" };
            for r in &rows {
                let mut name = r.name.clone();
                if !r.aliases.is_empty() {
                    name.push_str(&format!(" (= {})", r.aliases.join(", ")));
                }
                t.row([
                    r.kind.label().to_string(),
                    name,
                    mark(r.client).into(),
                    mark(r.server.unwrap_or(false)).into(),
                    r.rating.rating.label().to_string(),
                    match (r.server, verdict_of(r.kind, &r.name, &r.aliases)) {
                        (Some(true), Some(true)) => "allowed".into(),
                        (Some(true), Some(false)) => "REJECTED".into(),
                        _ => "-".into(),
                    },
                    r.rating.reason.clone(),
                ]);
            }
            let mut out = format!(
                "server {} ({}), ratings {RATING_DB_VERSION}\n\n",
                d.hello.version, label
            );
            out.push_str(&t.render());
            if !d.server.pseudo.is_empty() {
                out.push_str(&format!(
                    "\nserver extensions (not algorithms): {}\n",
                    d.server.pseudo.join(", ")
                ));
            }
            if let Some(j) = &judgement {
                out.push('\n');
                out.push_str(&gate_summary(j));
            }
            crate::output::emit_text(a.output.as_deref(), &out)?;
        }
    }
    Ok(match &judgement {
        Some(j) if !j.passes() => Outcome::Negative,
        _ => Outcome::Ok,
    })
}

/// One verdict line plus the rejected names per kind.
fn gate_summary(j: &Judgement) -> String {
    if j.passes() {
        return format!(
            "policy `{}`: passed, the server offers nothing the policy rejects\n",
            j.policy
        );
    }
    let mut out = format!(
        "policy `{}`: FAILED, the server offers {} algorithm(s) the policy rejects\n",
        j.policy,
        j.rejected().count()
    );
    for kind in [
        AlgoKind::Kex,
        AlgoKind::HostKey,
        AlgoKind::Cipher,
        AlgoKind::Mac,
    ] {
        let names: Vec<&str> = j
            .rejected()
            .filter(|v| v.kind == kind)
            .map(|v| v.name.as_str())
            .collect();
        if !names.is_empty() {
            out.push_str(&format!("  {}: {}\n", kind.label(), names.join(", ")));
        }
    }
    for kind in &j.nothing_allowed {
        out.push_str(&format!(
            "  {}: the server offers none the policy allows (no connection is possible under it)\n",
            kind.label()
        ));
    }
    out
}
