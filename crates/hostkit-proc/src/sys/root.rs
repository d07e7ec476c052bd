//! A proc tree to read: an open directory fd plus low-level file access relative to it
//! (`openat`, one `read` into a reused buffer, `pread` on kept fds). Works for a live procfs
//! and for a plain directory written by `proc capture`; `is_procfs` tells them apart.

use std::ffi::CStr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use super::SysError;

/// `PROC_SUPER_MAGIC` from statfs(2).
const PROC_SUPER_MAGIC: i64 = 0x9fa0;

/// An opened proc tree.
#[derive(Debug)]
pub struct ProcRoot {
    path: PathBuf,
    dir: OwnedFd,
    is_procfs: bool,
}

/// How reading one per-process file failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileError {
    /// ENOENT / ESRCH: the task is gone.
    Gone,
    /// EACCES / EPERM.
    Denied,
    /// Any other errno.
    Other(i32),
}

impl FileError {
    fn from_errno(e: i32) -> Self {
        match e {
            libc::ENOENT | libc::ESRCH => FileError::Gone,
            libc::EACCES | libc::EPERM => FileError::Denied,
            other => FileError::Other(other),
        }
    }

    fn last() -> Self {
        Self::from_errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }

    /// The OS error text.
    pub fn describe(self) -> String {
        let errno = match self {
            FileError::Gone => libc::ENOENT,
            FileError::Denied => libc::EACCES,
            FileError::Other(e) => e,
        };
        std::io::Error::from_raw_os_error(errno).to_string()
    }
}

impl ProcRoot {
    /// Opens `path` as a proc tree.
    pub fn open(path: &Path) -> Result<ProcRoot, SysError> {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| {
            SysError::OpenRoot {
                path: path.to_path_buf(),
                source: std::io::Error::from(std::io::ErrorKind::InvalidInput),
            }
        })?;
        // SAFETY: `c` is a valid NUL-terminated path.
        let fd = unsafe {
            libc::open(
                c.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(SysError::OpenRoot {
                path: path.to_path_buf(),
                source: std::io::Error::last_os_error(),
            });
        }
        // SAFETY: `fd` was just opened and is owned by nobody else.
        let dir = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: zeroed statfs is a valid out-parameter.
        let mut sfs: libc::statfs = unsafe { std::mem::zeroed() };
        // SAFETY: `dir` is open and `sfs` is writable.
        let ok = unsafe { libc::fstatfs(dir.as_raw_fd(), &mut sfs) } == 0;
        let is_procfs = ok && sfs.f_type as i64 == PROC_SUPER_MAGIC;
        let root = ProcRoot {
            path: path.to_path_buf(),
            dir,
            is_procfs,
        };
        if !is_procfs && !path.join("loadavg").exists() && root.list_pids()?.is_empty() {
            return Err(SysError::NotProc {
                path: path.to_path_buf(),
            });
        }
        Ok(root)
    }

    /// The path given to [`ProcRoot::open`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True for a live procfs mount (owners come from `fstat`, files are seq_files).
    pub fn is_procfs(&self) -> bool {
        self.is_procfs
    }

    /// PIDs listed in the root (numeric directory names), ascending.
    pub fn list_pids(&self) -> Result<Vec<i32>, SysError> {
        list_numeric(&self.path)
    }

    /// PIDs from `min_pid` up, without walking the lower ones: procfs positions its root
    /// directory by PID (`proc_pid_readdir`: offset = PID + `TGID_OFFSET`), so one `lseek`
    /// skips them. `None` when that does not hold here (not a procfs, or the entries returned
    /// are not all PIDs >= `min_pid`): the caller then lists everything.
    pub fn list_pids_from(&self, min_pid: i32) -> Option<Vec<i32>> {
        /// `FIRST_PROCESS_ENTRY + 2` in fs/proc/base.c.
        const TGID_OFFSET: i64 = 258;
        if !self.is_procfs || min_pid < 1 {
            return None;
        }
        let fd = self.open_at(c".").ok()?;
        // SAFETY: `fd` is an open directory.
        if unsafe {
            libc::lseek(
                fd.as_raw_fd(),
                TGID_OFFSET + i64::from(min_pid),
                libc::SEEK_SET,
            )
        } < 0
        {
            return None;
        }
        let mut pids = Vec::new();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            // SAFETY: `buf` is writable for its length; getdents64 fills whole records.
            let n = unsafe {
                libc::syscall(
                    libc::SYS_getdents64,
                    fd.as_raw_fd(),
                    buf.as_mut_ptr(),
                    buf.len(),
                )
            };
            if n < 0 {
                return None;
            }
            if n == 0 {
                break;
            }
            let mut off = 0usize;
            while off < n as usize {
                // struct linux_dirent64 { u64 d_ino; i64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
                let reclen = u16::from_ne_bytes([buf[off + 16], buf[off + 17]]) as usize;
                let name = &buf[off + 19..off + reclen];
                let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
                let pid = std::str::from_utf8(name).ok()?.parse::<i32>().ok()?;
                if pid < min_pid {
                    return None;
                }
                pids.push(pid);
                off += reclen;
            }
        }
        Some(pids)
    }

    /// True when this root is the procfs of the caller's own PID namespace (`self` points at
    /// our PID), so `loadavg`'s last PID describes the PIDs listed here.
    pub fn is_own_namespace(&self) -> bool {
        self.is_procfs
            && std::fs::read_link(self.path.join("self"))
                .ok()
                .and_then(|p| p.to_str()?.parse::<u32>().ok())
                == Some(std::process::id())
    }

    /// TIDs under `PID/task`, ascending; empty when the process is gone.
    pub fn list_tids(&self, pid: i32) -> Vec<i32> {
        list_numeric(&self.path.join(pid.to_string()).join("task")).unwrap_or_default()
    }

    /// Opens `rel` (a NUL-terminated path relative to the root) read-only.
    pub fn open_at(&self, rel: &CStr) -> Result<OwnedFd, FileError> {
        // SAFETY: `rel` is NUL-terminated; the dir fd is open for the lifetime of `self`.
        let fd = unsafe {
            libc::openat(
                self.dir.as_raw_fd(),
                rel.as_ptr(),
                libc::O_RDONLY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(FileError::last());
        }
        // SAFETY: freshly opened, owned here.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// The owner of the directory `rel` (e.g. `1234\0`). For a live procfs, `/proc/PID` itself
    /// (a world-readable directory) is owned by the task's *effective* UID even when the task
    /// is non-dumpable, while its files are then given to root (`task_dump_owner()` in
    /// fs/proc/base.c): the cheap way to the real owner of a root-owned `PID/stat`.
    pub fn dir_owner(&self, rel: &CStr) -> Option<u32> {
        // SAFETY: zeroed stat is a valid out-parameter.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: `rel` is NUL-terminated; the dir fd is open; `st` is writable.
        let rc = unsafe { libc::fstatat(self.dir.as_raw_fd(), rel.as_ptr(), &mut st, 0) };
        (rc == 0).then_some(st.st_uid)
    }

    /// Reads the whole of `rel` into `buf` (cleared first).
    pub fn read_at(&self, rel: &CStr, buf: &mut Vec<u8>) -> Result<(), FileError> {
        let fd = self.open_at(rel)?;
        read_fd(fd.as_raw_fd(), buf, None)
    }

    /// Reads a whole file as a string, `None` when absent or unreadable (system files).
    pub fn read_string(&self, rel: &str) -> Option<String> {
        std::fs::read_to_string(self.path.join(rel)).ok()
    }
}

/// Reads `fd` from offset 0 to the end into `buf`. With `pread_from` = `Some(0)` the file
/// position is not used, so a kept fd re-reads fresh data (seq_file semantics).
pub fn read_fd(fd: RawFd, buf: &mut Vec<u8>, pread_from: Option<i64>) -> Result<(), FileError> {
    buf.clear();
    if buf.capacity() < 1024 {
        buf.reserve(1024);
    }
    loop {
        let spare = buf.capacity() - buf.len();
        let dst = buf
            .as_mut_ptr()
            .wrapping_add(buf.len())
            .cast::<libc::c_void>();
        // SAFETY: `dst` points at `spare` writable bytes of `buf`'s allocation.
        let n = unsafe {
            match pread_from {
                Some(off) => libc::pread(fd, dst, spare, off + buf.len() as i64),
                None => libc::read(fd, dst, spare),
            }
        };
        if n < 0 {
            let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            if e == libc::EINTR {
                continue;
            }
            return Err(FileError::from_errno(e));
        }
        let n = n as usize;
        // SAFETY: the kernel initialised `n` more bytes.
        unsafe { buf.set_len(buf.len() + n) };
        if n == 0 || n < spare {
            // A short read of a proc seq_file or a regular file means the end was reached.
            return Ok(());
        }
        buf.reserve(buf.capacity());
    }
}

/// The owner UID of an open file (`/proc/PID/stat` is owned by the task's effective UID).
pub fn fd_owner(fd: RawFd) -> Option<u32> {
    // SAFETY: zeroed stat is a valid out-parameter.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `fd` is open; `st` is writable.
    (unsafe { libc::fstat(fd, &mut st) } == 0).then_some(st.st_uid)
}

fn list_numeric(dir: &Path) -> Result<Vec<i32>, SysError> {
    let rd = std::fs::read_dir(dir).map_err(|source| SysError::Io {
        what: "listing",
        path: dir.to_path_buf(),
        source,
    })?;
    let mut pids: Vec<i32> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name();
            let b = name.as_encoded_bytes();
            if b.first().is_some_and(u8::is_ascii_digit) {
                std::str::from_utf8(b).ok()?.parse().ok()
            } else {
                None
            }
        })
        .collect();
    pids.sort_unstable();
    Ok(pids)
}

/// Writes `PID/name\0` or `PID/task/TID/name\0` into `out` for [`ProcRoot::open_at`].
pub fn rel_path<'a>(out: &'a mut Vec<u8>, pid: i32, tid: Option<i32>, name: &str) -> &'a CStr {
    use std::io::Write;
    out.clear();
    let _ = match tid {
        Some(t) => write!(out, "{pid}/task/{t}/{name}\0"),
        None => write!(out, "{pid}/{name}\0"),
    };
    CStr::from_bytes_with_nul(out).unwrap_or(c"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_proc_is_procfs_and_lists_self() {
        let root = ProcRoot::open(Path::new("/proc")).unwrap();
        assert!(root.is_procfs());
        let me = std::process::id() as i32;
        assert!(root.list_pids().unwrap().contains(&me));
        let mut path = Vec::new();
        let mut buf = Vec::new();
        root.read_at(rel_path(&mut path, me, None, "stat"), &mut buf)
            .unwrap();
        assert!(buf.starts_with(format!("{me} (").as_bytes()));
    }

    #[test]
    fn a_plain_directory_is_not_a_proc_tree() {
        let dir = std::env::temp_dir().join(format!("hostkit-notproc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let err = ProcRoot::open(&dir).unwrap_err().to_string();
        assert!(
            err.contains("does not look like a proc tree") && err.contains("hint:"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
        let err = ProcRoot::open(Path::new("/no/such/dir"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`/no/such/dir`"), "{err}");
    }

    #[test]
    fn missing_files_are_gone_not_errors() {
        let root = ProcRoot::open(Path::new("/proc")).unwrap();
        let mut path = Vec::new();
        let mut buf = Vec::new();
        let e = root.read_at(rel_path(&mut path, i32::MAX, None, "stat"), &mut buf);
        assert_eq!(e, Err(FileError::Gone));
    }

    #[test]
    fn large_files_are_read_whole() {
        let dir = std::env::temp_dir().join(format!("hostkit-big-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("1")).unwrap();
        let big = vec![b'x'; 10_000];
        std::fs::write(dir.join("1/stat"), &big).unwrap();
        std::fs::write(dir.join("loadavg"), "0 0 0 1/1 1\n").unwrap();
        let root = ProcRoot::open(&dir).unwrap();
        assert!(!root.is_procfs());
        let mut path = Vec::new();
        let mut buf = Vec::new();
        root.read_at(rel_path(&mut path, 1, None, "stat"), &mut buf)
            .unwrap();
        assert_eq!(buf.len(), 10_000);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn listing_from_a_pid_skips_the_lower_ones() {
        let root = ProcRoot::open(Path::new("/proc")).unwrap();
        assert!(root.is_own_namespace());
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        let from = root.list_pids_from(pid).expect("procfs seeks by PID");
        assert_eq!(from.first(), Some(&pid), "{from:?}");
        let all = root.list_pids().unwrap();
        let tail: Vec<i32> = all.into_iter().filter(|&p| p >= pid).collect();
        assert!(from.iter().all(|p| *p >= pid));
        assert!(tail.contains(&pid) && from.contains(&pid));
        assert_eq!(root.list_pids_from(1).unwrap().first(), Some(&1));
        // SAFETY: killing the child this test started, by PID.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        child.wait().unwrap();
    }
}
