//! Command-line grammar for `hostkit ntp` (placeholder until its issue lands).

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum NtpCommand {
    /// Not implemented yet.
    Check,
    /// Not implemented yet.
    Drift,
}
