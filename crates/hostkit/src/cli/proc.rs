//! Command-line grammar for `hostkit proc` (placeholder until its issue lands).

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ProcCommand {
    /// Not implemented yet.
    Time,
    /// Not implemented yet.
    Load,
    /// Not implemented yet.
    Capture,
}
