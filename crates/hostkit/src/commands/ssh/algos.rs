//! `hostkit ssh algos`: client (`ssh -Q`) and server (KEXINIT) algorithm lists side by side,
//! each rated by the built-in database; table or JSON.

use hostkit_sshbench::algos::listing;
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
    match a.format {
        BenchFormat::Json => crate::output::print_json(&serde_json::json!({
            "target": label,
            "server_version": d.hello.version,
            "rating_db": RATING_DB_VERSION,
            "client": d.client,
            "server": d.server,
            "negotiable": d.negotiable,
            "algorithms": rows,
        }))?,
        BenchFormat::Table => {
            let mut t = Table::new(&[
                ("KIND", Align::Left),
                ("ALGORITHM", Align::Left),
                ("CLIENT", Align::Left),
                ("SERVER", Align::Left),
                ("RATING", Align::Left),
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
            crate::output::print_text(&out)?;
        }
    }
    Ok(Outcome::Ok)
}
