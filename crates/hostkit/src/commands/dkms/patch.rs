//! `hostkit dkms patch add|list|remove`.

use crate::cli::dkms::PatchCommand;
use crate::exit::Outcome;

/// Runs a patch subcommand.
pub fn run(cmd: PatchCommand) -> anyhow::Result<Outcome> {
    let _ = cmd;
    Ok(Outcome::Ok)
}
