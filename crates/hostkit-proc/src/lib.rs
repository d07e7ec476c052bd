//! hostkit-proc: per-process user vs system CPU time and the load average explained.
//! The pure core parses proc files (`stat`, `loadavg`, `/proc/stat`, PSI), matches samples,
//! aggregates and explains; `sys` reads a proc tree (live or captured) with a configurable root.

pub mod aggregate;
pub mod coverage;
pub mod dage;
pub mod delta;
pub mod explain;
pub mod psi;
pub mod rows;
pub mod sched;
pub mod snapshot;
pub mod stat;
pub mod state;
pub mod sys;
pub mod system;
pub mod users;
pub mod window;

pub use snapshot::{Facts, Problem, ProblemKind, Process, Snapshot, SystemInfo, Thread};
pub use stat::{Stat, StatError, escape_comm, parse_stat};
pub use state::State;
