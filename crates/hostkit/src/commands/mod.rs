//! One module per command noun: each builds its configuration from the parsed CLI, calls a
//! domain crate and renders the result. `run` is the single dispatch point.

pub mod dkms;
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
        Command::Dkms(args) => dkms::run(args),
        Command::Completions { shell } => meta::completions(shell),
        Command::Man { out_dir } => meta::man(out_dir.as_deref()),
    }
}

/// Called by `main` when clap rejects the command line. `proc load --nagios` is a Nagios
/// plugin and must answer UNKNOWN (3) on stdout so monitoring shows the mistake (`ntp check`
/// never gets here: [`ntp::check_fast_path`] parses and answers it first); everything else
/// keeps clap's own message and exit code 2.
pub fn usage_error(err: clap::Error) -> crate::exit::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let nagios_load = args.first().is_some_and(|a| a == "proc")
        && args.get(1).is_some_and(|a| a == "load")
        && args.iter().any(|a| a == "--nagios");
    if nagios_load {
        proc::nagios_usage_error(err)
    } else {
        err.exit()
    }
}
