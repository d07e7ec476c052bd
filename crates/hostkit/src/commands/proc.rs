//! `hostkit proc`: placeholder dispatch until its issue lands.

use crate::cli::proc::ProcCommand;
use crate::exit::Outcome;

pub fn run(cmd: ProcCommand) -> anyhow::Result<Outcome> {
    anyhow::bail!("`hostkit proc {cmd:?}` is not implemented yet")
}
