//! hostkit-nagios: the pure parts of a Nagios/Icinga plugin, per the monitoring-plugins
//! developer guidelines: [`Status`] and its exit code, threshold [`Range`]s (`[@][start:][end]`,
//! `~`), [`PerfData`] formatting with quoting, and the first output line ([`PluginOutput`]).
//! [`printf`] reproduces C's `%f`/`%g` for byte-compatible output with the C plugins.

pub mod extra_opts;
pub mod line;
pub mod perfdata;
pub mod printf;
pub mod range;
pub mod status;
pub mod strtod;

pub use line::PluginOutput;
pub use perfdata::PerfData;
pub use range::{Range, RangeError, Thresholds};
pub use status::Status;
