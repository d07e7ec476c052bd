//! `hostkit ssh`: placeholder dispatch until its issue lands.

use crate::cli::ssh::SshCommand;
use crate::exit::Outcome;

pub fn run(cmd: SshCommand) -> anyhow::Result<Outcome> {
    anyhow::bail!("`hostkit ssh {cmd:?}` is not implemented yet")
}
