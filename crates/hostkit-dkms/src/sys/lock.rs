//! Per-module locks: `flock` on `<dkms_tree>/.hostkit/locks/<module>.lock`, outside `<m>/`
//! (dkms deletes `<m>/` when it looks empty) and ignored by dkms's globs (a dot-dir).

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

/// A held lock; released on drop (or when the process dies, even by SIGKILL).
#[derive(Debug)]
pub struct ModuleLock {
    _file: File,
    pub path: PathBuf,
}

/// Takes the exclusive lock of `module` in `dkms_tree`, waiting for other holders.
pub fn lock_module(dkms_tree: &str, module: &str) -> io::Result<ModuleLock> {
    let dir = PathBuf::from(format!("{dkms_tree}/.hostkit/locks"));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{module}.lock"));
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    // SAFETY: flock on a valid open descriptor has no memory-safety preconditions.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(ModuleLock { _file: file, path })
}
