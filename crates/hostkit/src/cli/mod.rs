//! The command-line grammar of hostkit (clap derive). Only declarations live here: no
//! syscalls, no IO. Each noun has its own module; `commands/` turns parsed arguments into work.

pub mod dkms;
pub mod ntp;
pub mod proc;
pub mod ssh;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// hostkit: a toolkit for Linux sysadmins.
///
/// Correct where the classic tools are sloppy, fast where they are slow, and honest about what
/// it measured. Commands are noun then verb, like git or cargo.
#[derive(Debug, Parser)]
#[command(
    name = "hostkit",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Benchmark, list and report OpenSSH ciphers, MACs and key exchanges.
    #[command(subcommand)]
    Ssh(ssh::SshCommand),
    /// Check clock offset against NTP servers (Nagios plugin) and read drift files.
    #[command(subcommand)]
    Ntp(ntp::NtpCommand),
    /// Per-process user vs system CPU time, and the load average explained.
    #[command(subcommand)]
    Proc(proc::ProcCommand),
    /// Build, install and track out-of-tree kernel modules (dkms-compatible).
    Dkms(dkms::DkmsArgs),
    /// Print a shell completion script to stdout.
    ///
    /// Example: `hostkit completions bash > /etc/bash_completion.d/hostkit`
    Completions {
        /// The shell to generate completions for.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout, or write one page per command into a directory.
    ///
    /// Example: `hostkit man | man -l -`
    Man {
        /// Write hostkit.1, hostkit-ssh.1, hostkit-ssh-bench.1, ... into this directory.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
