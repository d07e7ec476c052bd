//! One module per command noun: each builds its configuration from the parsed CLI, calls a
//! domain crate and renders the result. `run` is the single dispatch point.

pub mod meta;
pub mod ntp;
pub mod proc;
pub mod ssh;

use crate::cli::{Cli, Command};
use crate::exit::Outcome;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Ssh(cmd) => ssh::run(cmd),
        Command::Ntp(cmd) => ntp::run(cmd),
        Command::Proc(cmd) => proc::run(cmd),
        Command::Completions { shell } => meta::completions(shell),
        Command::Man { out_dir } => meta::man(out_dir.as_deref()),
    }
}
