//! Commands about hostkit itself: shell completions and man pages, both generated from the
//! same clap definitions as the parser so they can never drift from it.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use clap::CommandFactory;

use crate::cli::Cli;
use crate::exit::Outcome;

/// Writes the completion script for `shell` to stdout.
pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<Outcome> {
    let mut cmd = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut cmd, "hostkit", &mut out);
    out.flush().context("writing completions to stdout")?;
    Ok(Outcome::Ok)
}

/// Writes the top-level man page to stdout, or every page into `out_dir`.
pub fn man(out_dir: Option<&Path>) -> anyhow::Result<Outcome> {
    let cmd = Cli::command();
    match out_dir {
        None => {
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(cmd)
                .render(&mut out)
                .context("writing the man page to stdout")?;
            out.flush().context("writing the man page to stdout")?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating man page directory `{}`", dir.display()))?;
            clap_mangen::generate_to(cmd, dir)
                .with_context(|| format!("writing man pages into `{}`", dir.display()))?;
        }
    }
    Ok(Outcome::Ok)
}
