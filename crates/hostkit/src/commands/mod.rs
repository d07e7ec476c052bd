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

/// Called by `main` when clap rejects the command line. The Nagios plugins (`ntp check`,
/// `proc load --nagios`) must answer UNKNOWN (3) on stdout so monitoring shows the mistake;
/// everything else keeps clap's own message and exit code 2.
pub fn usage_error(err: clap::Error) -> crate::exit::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let noun_verb = (
        args.first().map(String::as_str),
        args.get(1).map(String::as_str),
    );
    match noun_verb {
        (Some("ntp"), Some("check")) => ntp::parse_error(err),
        (Some("proc"), Some("load")) if args.iter().any(|a| a == "--nagios") => {
            proc::nagios_usage_error(err)
        }
        _ => err.exit(),
    }
}
