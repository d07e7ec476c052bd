//! Per-module locks: `flock` on `/run/lock/hostkit-dkms/<tree-hash>-<module>.lock` (falling
//! back to `<dkms_tree>/.hostkit/locks/` when /run/lock is not writable): outside `<m>/`,
//! which dkms deletes when it looks empty, and outside the tree so nothing is left behind
//! there. The kernel drops a flock when its holder dies, even by SIGKILL.
//!
//! The lock's descriptor is inherited by every process a command starts (make, the compiler,
//! patch, depmod, the package's scripts): a flock lasts until the last descriptor of its open
//! file is closed, so after a `kill -9` of hostkit the next command on the module waits until
//! the orphaned build has finished instead of racing it in the same build directory. (A
//! package script that leaves a daemon running would hold the lock as long as it runs.)

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// A held lock; released on drop (or when the process dies).
#[derive(Debug)]
pub struct ModuleLock {
    _file: File,
    pub path: PathBuf,
}

/// FNV-1a of the tree's canonical path: one lock namespace per tree.
fn tree_key(dkms_tree: &str) -> String {
    let canon = std::fs::canonicalize(dkms_tree).unwrap_or_else(|_| PathBuf::from(dkms_tree));
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in canon.as_os_str().as_encoded_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn open_in(dir: &Path, name: &str) -> io::Result<(File, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(name);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    Ok((file, path))
}

/// Takes the exclusive lock of `module` in `dkms_tree`, waiting for other holders.
pub fn lock_module(dkms_tree: &str, module: &str) -> io::Result<ModuleLock> {
    let name = format!("{}-{module}.lock", tree_key(dkms_tree));
    let (file, path) = open_in(Path::new("/run/lock/hostkit-dkms"), &name).or_else(|_| {
        open_in(
            &PathBuf::from(format!("{dkms_tree}/.hostkit/locks")),
            &format!("{module}.lock"),
        )
    })?;
    // SAFETY: flock on a valid open descriptor has no memory-safety preconditions.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // Inherited across exec by the build processes (see the module comment).
    // SAFETY: F_SETFD on a valid open descriptor has no memory-safety preconditions.
    let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETFD, 0) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(ModuleLock { _file: file, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_waits_until_release() {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().to_str().unwrap().to_string();
        let l = lock_module(&tree, "hello").unwrap();
        let t = tree.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let h = std::thread::spawn(move || {
            let _l2 = lock_module(&t, "hello").unwrap();
            tx.send(()).unwrap();
        });
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(200))
                .is_err()
        );
        drop(l);
        rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
        h.join().unwrap();
        // Another module is independent.
        let _a = lock_module(&tree, "a").unwrap();
        let _b = lock_module(&tree, "b").unwrap();
    }

    /// A build process started under the lock keeps it after hostkit is gone (kill -9).
    #[test]
    fn a_started_process_holds_the_lock_until_it_exits() {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().to_str().unwrap().to_string();
        let l = lock_module(&tree, "orphan").unwrap();
        let mut child = std::process::Command::new("sleep")
            .arg("1")
            .spawn()
            .unwrap();
        drop(l);
        let started = std::time::Instant::now();
        let _again = lock_module(&tree, "orphan").unwrap();
        assert!(
            started.elapsed() >= std::time::Duration::from_millis(500),
            "the lock was free while the child still ran"
        );
        child.wait().unwrap();
    }
}
