//! `hostkit ntp`: placeholder dispatch until its issue lands.

use crate::cli::ntp::NtpCommand;
use crate::exit::Outcome;

pub fn run(cmd: NtpCommand) -> anyhow::Result<Outcome> {
    anyhow::bail!("`hostkit ntp {cmd:?}` is not implemented yet")
}

/// Entry point when the binary is invoked as `check_ntp_time`.
pub fn check_ntp_time_personality(
    _args: impl Iterator<Item = std::ffi::OsString>,
) -> std::process::ExitCode {
    println!("NTP UNKNOWN: not implemented yet");
    std::process::ExitCode::from(3)
}
