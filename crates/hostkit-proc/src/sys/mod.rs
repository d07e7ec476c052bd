//! The IO edge of hostkit-proc: a [`root::ProcRoot`] (live `/proc`, a host's `/host/proc` or a
//! captured tree), the [`reader::Reader`] that turns it into a [`crate::Snapshot`] (keeping fds
//! open between interval samples), machine facts, and [`capture`] to save a tree.

pub mod capture;
pub mod facts;
pub mod reader;
pub mod root;

use std::path::PathBuf;

/// Errors that stop a whole read (a single process failing is data, not one of these).
#[derive(Debug, thiserror::Error)]
pub enum SysError {
    /// The root directory could not be opened.
    #[error("cannot open proc root `{path}`")]
    OpenRoot {
        /// The root given.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The root holds neither PID directories nor `loadavg`.
    #[error(
        "`{path}` does not look like a proc tree (no PID directories, no `loadavg`)\nhint: pass a procfs mount such as `/proc` or `/host/proc`, or a directory written by `hostkit proc capture`"
    )]
    NotProc {
        /// The root given.
        path: PathBuf,
    },
    /// Other IO on a whole-tree operation (listing, capture output).
    #[error("{what} `{path}`")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}
