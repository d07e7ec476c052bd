//! Command-line grammar for `hostkit ssh` (placeholder until its issue lands).

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum SshCommand {
    /// Not implemented yet.
    Bench,
    /// Not implemented yet.
    Algos,
    /// Not implemented yet.
    Report,
}
