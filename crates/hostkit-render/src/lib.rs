//! hostkit-render: the one place where hostkit turns values into text. Pure (no IO, no clock):
//! text tables ([`table`]), CSV fields ([`csv`]), Prometheus text exposition ([`prom`]), the JSON
//! envelope every `--format json` output carries ([`json`]), UTC calendar time ([`civil`]) and
//! POSIX shell words ([`shell`]).
//! Nagios plugin lines live in `hostkit-nagios`, which sits beside this crate.

pub mod civil;
pub mod csv;
pub mod json;
pub mod prom;
pub mod shell;
pub mod table;

pub use json::{Envelope, SCHEMA_VERSION_FIELD};
pub use prom::{Exposition, MetricKind};
pub use table::{Align, Table};
