//! `proc capture DIR`: copies a proc tree's files into a plain directory with the same layout,
//! for bug reports and golden tests (`--proc-root DIR` reads it back). Saves `loadavg`, `stat`,
//! `uptime`, `pressure/*`, and per process `stat`, `status`, `wchan`, `schedstat`, `io` (when
//! permitted) plus `task/TID/*` for multi-threaded ones; never `cmdline` or `environ`. Adds
//! `hostkit-capture.json` (clock ticks) and a `passwd` with just the names of the UIDs seen.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::SysError;
use super::facts;
use super::root::ProcRoot;
use crate::stat::parse_stat;
use crate::users::parse_status_euid;

/// Name of the metadata file in a captured tree.
pub const META_FILE: &str = "hostkit-capture.json";

const SYSTEM_FILES: &[&str] = &[
    "loadavg",
    "stat",
    "uptime",
    "pressure/cpu",
    "pressure/io",
    "pressure/memory",
];
const PROCESS_FILES: &[&str] = &["stat", "status", "wchan", "schedstat", "io"];
const THREAD_FILES: &[&str] = &["stat", "status", "wchan"];

/// What a capture wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureSummary {
    /// Processes saved.
    pub processes: usize,
    /// Threads saved under `task/`.
    pub threads: usize,
    /// Files copied.
    pub files: usize,
    /// Files that could not be read (vanished, permission denied).
    pub skipped: usize,
}

/// Reads the clock ticks recorded in a captured tree, if it is one.
pub fn captured_clk_tck(root: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(root.join(META_FILE)).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("clk_tck")?.as_u64()
}

/// Told how far a capture is: `(processes done, processes listed)`.
pub trait CaptureObserver {
    /// Called before each process.
    fn progress(&mut self, done: usize, total: usize);
}

/// An observer that ignores progress.
#[derive(Debug, Default)]
pub struct Quiet;

impl CaptureObserver for Quiet {
    fn progress(&mut self, _done: usize, _total: usize) {}
}

/// Copies `src` into `dest`, which must not exist or be empty.
pub fn capture(
    src: &ProcRoot,
    dest: &Path,
    passwd: &BTreeMap<u32, String>,
    observer: &mut dyn CaptureObserver,
) -> Result<CaptureSummary, SysError> {
    let io = |what: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| SysError::Io { what, path, source }
    };
    if dest.exists()
        && std::fs::read_dir(dest)
            .map_err(io("reading", dest))?
            .next()
            .is_some()
    {
        return Err(SysError::Io {
            what: "refusing to write into the non-empty directory",
            path: dest.to_path_buf(),
            source: std::io::Error::other("choose a new or empty directory"),
        });
    }
    std::fs::create_dir_all(dest).map_err(io("creating", dest))?;
    let mut sum = CaptureSummary::default();
    for name in SYSTEM_FILES {
        copy(src.path(), dest, name, &mut sum)?;
    }
    let mut uids = std::collections::BTreeSet::new();
    let pids = src.list_pids()?;
    for (done, pid) in pids.iter().copied().enumerate() {
        observer.progress(done, pids.len());
        let base = pid.to_string();
        if !copy(src.path(), dest, &format!("{base}/stat"), &mut sum)? {
            continue;
        }
        sum.processes += 1;
        for name in &PROCESS_FILES[1..] {
            copy(src.path(), dest, &format!("{base}/{name}"), &mut sum)?;
        }
        if let Some(uid) = std::fs::read(dest.join(&base).join("status"))
            .ok()
            .as_deref()
            .and_then(parse_status_euid)
        {
            uids.insert(uid);
        }
        let threads = std::fs::read(dest.join(&base).join("stat"))
            .ok()
            .and_then(|b| parse_stat(&b).ok())
            .map_or(1, |s| s.num_threads);
        if threads > 1 {
            for tid in src.list_tids(pid) {
                let mut any = false;
                for name in THREAD_FILES {
                    any |= copy(
                        src.path(),
                        dest,
                        &format!("{base}/task/{tid}/{name}"),
                        &mut sum,
                    )?;
                }
                sum.threads += usize::from(any);
            }
        }
    }
    let mut pw = String::new();
    for uid in uids {
        if let Some(name) = passwd.get(&uid) {
            pw.push_str(&format!("{name}:x:{uid}:\n"));
        }
    }
    write(dest, "passwd", pw.as_bytes())?;
    let meta = serde_json::json!({
        "clk_tck": facts::clk_tck(),
        "source": src.path(),
        "kernel": std::fs::read_to_string(src.path().join("sys/kernel/osrelease")).unwrap_or_default().trim(),
        "processes": sum.processes,
    });
    write(dest, META_FILE, format!("{meta:#}\n").as_bytes())?;
    Ok(sum)
}

/// Copies one file; `Ok(false)` when the source could not be read (vanished, denied).
fn copy(src: &Path, dest: &Path, rel: &str, sum: &mut CaptureSummary) -> Result<bool, SysError> {
    match std::fs::read(src.join(rel)) {
        Ok(bytes) => {
            write(dest, rel, &bytes)?;
            sum.files += 1;
            Ok(true)
        }
        Err(_) => {
            sum.skipped += 1;
            Ok(false)
        }
    }
}

fn write(dest: &Path, rel: &str, bytes: &[u8]) -> Result<(), SysError> {
    let path: PathBuf = dest.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| SysError::Io {
            what: "creating",
            path: parent.to_path_buf(),
            source,
        })?;
    }
    std::fs::write(&path, bytes).map_err(|source| SysError::Io {
        what: "writing",
        path,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::reader::{ReadOptions, Reader};

    #[test]
    fn capture_of_live_proc_reads_back_with_the_same_processes() {
        let dir = std::env::temp_dir().join(format!("hostkit-cap-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let live = ProcRoot::open(Path::new("/proc")).unwrap();
        let mut pw = BTreeMap::new();
        pw.insert(0, "root".to_string());
        let sum = capture(&live, &dir.join("tree"), &pw, &mut Quiet).unwrap();
        assert!(sum.processes > 1 && sum.files > sum.processes);
        assert!(!dir.join("tree/1/cmdline").exists());
        assert!(!dir.join("tree/1/environ").exists());
        assert_eq!(captured_clk_tck(&dir.join("tree")), Some(facts::clk_tck()));
        let root = ProcRoot::open(&dir.join("tree")).unwrap();
        let snap = Reader::new(root, ReadOptions::default(), None)
            .sample()
            .unwrap();
        assert_eq!(snap.processes.len(), sum.processes);
        assert!(snap.system.loadavg.is_some());
        assert!(snap.processes.iter().all(|p| p.uid.is_some()));
        let again = capture(&live, &dir.join("tree"), &pw, &mut Quiet)
            .unwrap_err()
            .to_string();
        assert!(again.contains("non-empty"), "{again}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
