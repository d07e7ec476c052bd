//! hostkit: the binary's entry point. Parses the command line (or the `check_ntp_time`
//! personality when invoked under that name), dispatches to one command module and turns the
//! outcome into an exit code through the single policy in `exit.rs`.

mod cli;
mod commands;
mod exit;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let argv0 = std::env::args_os().next().unwrap_or_default();
    let invoked_as = std::path::Path::new(&argv0)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if invoked_as == "check_ntp_time" {
        // Nagios personality: every outcome, usage errors included, is a plugin exit code.
        return commands::ntp::check_ntp_time_personality(std::env::args_os().skip(1));
    }
    if let Some(code) = commands::ntp::check_fast_path() {
        return code;
    }
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        // Nagios modes (`ntp check`, `proc load --nagios`) turn usage errors into UNKNOWN (3).
        Err(err) => return commands::usage_error(err),
    };
    exit::finish(commands::run(cli))
}
