//! One pass over a proc tree into a [`Snapshot`]: list PIDs, read each `PID/stat` with one
//! `openat` + `read` into a reused buffer, take the owner from `fstat` on the same fd (or from
//! `status` in captured trees), walk `task/` only when a process has more than one thread, and
//! read `wchan` (and `stack`) only for blocked tasks. Never opens `cmdline` or `environ`, whose
//! reads take the target's mmap lock and can hang. In interval mode stat fds are kept open and
//! re-read with `pread`, which is cheaper and pinned to the process (a reaped one reads ESRCH).

use std::os::fd::{AsRawFd, OwnedFd};

use super::SysError;
use super::facts;
use super::root::{FileError, ProcRoot, fd_owner, read_fd, rel_path};
use crate::explain::stack_frame;
use crate::psi::parse_psi;
use crate::sched::{SchedStat, parse_schedstat};
use crate::snapshot::{Facts, Problem, ProblemKind, Process, Snapshot, SystemInfo, Thread};
use crate::stat::{Stat, parse_stat};
use crate::state::State;
use crate::system::{parse_kernel_stat, parse_loadavg, parse_uptime};
use crate::users::parse_status_euid;

/// In interval mode, list the whole directory at least every this many passes (a process
/// created with a chosen PID, `clone3` `set_tid`, would otherwise be missed until then).
pub const FULL_LIST_EVERY: u32 = 10;

/// File descriptors kept below the hard RLIMIT_NOFILE for other uses.
const FD_RESERVE: u64 = 256;

/// How a pass found the PIDs it read (see [`Reader::last_listing`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// `-p` named them.
    Given,
    /// No task was created since the last pass: the kept fds' PIDs.
    Kept,
    /// The kept PIDs plus a listing of the PIDs above the last pass's `last_pid`.
    Above,
    /// The whole directory.
    Full,
}

/// What to read beyond each process's `stat`.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Read `wchan` for tasks in D, T or t.
    pub wchan: bool,
    /// Read `stack` for tasks in D (root only; EACCES/EPERM otherwise, recorded as `None`).
    pub stack: bool,
    /// Keep stat fds open between [`Reader::sample`] calls (interval mode).
    pub keep_fds: bool,
    /// Read only these PIDs (`-p`), skipping the directory listing.
    pub only_pids: Option<Vec<i32>>,
    /// Read `schedstat` (run and run-queue wait nanoseconds) for every process, and for
    /// every thread of the processes whose threads are walked.
    pub schedstat: bool,
    /// Leave the reading process itself out (live procfs of this PID namespace only).
    pub skip_self: bool,
}

/// A stat read: its fd (to keep), the owner, a kept schedstat fd, whether the owner is new.
type Fresh = (Option<OwnedFd>, Option<u32>, Option<OwnedFd>, bool);

struct Kept {
    fd: OwnedFd,
    uid: Option<u32>,
    sched_fd: Option<OwnedFd>,
}

/// Reads snapshots of one proc root, reusing buffers (and fds in interval mode).
pub struct Reader {
    root: ProcRoot,
    opts: ReadOptions,
    facts: Facts,
    buf: Vec<u8>,
    path: Vec<u8>,
    /// Kept stat fds in ascending PID order.
    kept: Vec<(i32, Kept)>,
    fd_budget: usize,
    last_forks: Option<u64>,
    /// `last_pid` of `/proc/loadavg` at the last pass.
    last_pid: Option<u64>,
    /// Passes since the last full directory listing.
    passes_since_full: u32,
    /// The root is the procfs of this process's PID namespace.
    own_ns: bool,
    /// This process's PID when it is to be left out (`skip_self`), else 0.
    self_pid: i32,
    listing: Listing,
    /// The last pass kept an fd for every process it read.
    kept_all: bool,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("root", &self.root)
            .field("kept", &self.kept.len())
            .finish()
    }
}

impl Reader {
    /// A reader over `root`. `clk_tck` overrides the machine's (captured trees record theirs).
    pub fn new(root: ProcRoot, mut opts: ReadOptions, clk_tck: Option<u64>) -> Reader {
        if let Some(p) = opts.only_pids.as_mut() {
            p.sort_unstable();
            p.dedup();
        }
        let fd_budget = if opts.keep_fds { raise_nofile() } else { 0 };
        let own_ns = root.is_procfs() && root.is_own_namespace();
        let opts_skip_self = opts.skip_self;
        Reader {
            root,
            opts,
            facts: Facts {
                clk_tck: clk_tck.unwrap_or_else(facts::clk_tck),
                ncpu: facts::online_cpus(),
            },
            buf: Vec::with_capacity(1024),
            path: Vec::with_capacity(64),
            kept: Vec::new(),
            fd_budget,
            last_forks: None,
            last_pid: None,
            passes_since_full: 0,
            own_ns,
            self_pid: if opts_skip_self && own_ns {
                std::process::id() as i32
            } else {
                0
            },
            listing: Listing::Full,
            kept_all: false,
        }
    }

    /// The root being read.
    pub fn root(&self) -> &ProcRoot {
        &self.root
    }

    /// How the last pass found its PIDs.
    pub fn last_listing(&self) -> Listing {
        self.listing
    }

    /// Number of stat fds currently kept open.
    pub fn kept_fds(&self) -> usize {
        self.kept.len()
    }

    /// One pass over the tree.
    pub fn sample(&mut self) -> Result<Snapshot, SysError> {
        let monotonic_ns = if self.root.is_procfs() {
            facts::monotonic_ns()
        } else {
            0
        };
        let system = self.read_system();
        let pids = self.pids_to_read(&system)?;
        let mut processes = Vec::with_capacity(pids.len());
        let mut problems = Vec::new();
        let kept = std::mem::take(&mut self.kept);
        let mut kept = kept.into_iter().peekable();
        let mut next_kept = Vec::with_capacity(if self.opts.keep_fds { pids.len() } else { 0 });
        for (pid, listed) in pids {
            // Both lists ascend: drop kept fds of PIDs no longer listed (they exited).
            while kept.next_if(|(k, _)| *k < pid).is_some() {}
            if pid == self.self_pid {
                continue;
            }
            let read = match kept.next_if(|(k, _)| *k == pid) {
                Some((_, k)) => match read_fd(k.fd.as_raw_fd(), &mut self.buf, Some(0)) {
                    Ok(()) => Ok((Some(k.fd), k.uid, k.sched_fd, false)),
                    // The kept fd's process is gone; the PID may have a new owner.
                    Err(_) if listed => self.read_stat_fresh(pid),
                    Err(_) => continue, // exited since the last pass: the delta marks it
                },
                None => self.read_stat_fresh(pid),
            };
            let (fd, uid, sched_fd, fresh_uid) = match read {
                Ok(v) => v,
                Err(e) => {
                    problems.push(problem(pid, e));
                    continue;
                }
            };
            let stat = match parse_stat(&self.buf) {
                Ok(s) => s,
                Err(e) => {
                    problems.push(Problem {
                        pid,
                        kind: ProblemKind::Malformed,
                        detail: e.to_string(),
                    });
                    continue;
                }
            };
            // `PID/stat` belongs to root when the process is root *or* turned non-dumpable,
            // which a credential change (setuid in php-fpm, nginx workers) does. The `PID`
            // directory keeps the effective UID (one fstatat); `status` is the fallback.
            // Kernel threads are root; the answer is kept with the fd in interval mode.
            let uid = match uid {
                Some(0) if self.root.is_procfs() && !stat.is_kthread() && fresh_uid => {
                    self.effective_uid(pid).or(uid)
                }
                other => other,
            };
            let (sched, sched_fd) = self.read_sched(pid, sched_fd);
            if let Some(fd) = fd.filter(|_| next_kept.len() < self.fd_budget) {
                next_kept.push((pid, Kept { fd, uid, sched_fd }));
            }
            let mut p = self.complete(stat, uid);
            p.sched = sched;
            processes.push(p);
        }
        // Only then may the next pass start from the kept PIDs: a process that was denied or
        // unparsable has no kept fd and must be listed again.
        self.kept_all = self.opts.only_pids.is_none()
            && !next_kept.is_empty()
            && next_kept.len() == processes.len()
            && problems.iter().all(|p| p.kind == ProblemKind::Vanished);
        self.kept = next_kept;
        let mut facts = self.facts;
        if let Some(k) = system.kernel.as_ref().filter(|k| k.ncpu > 0) {
            facts.ncpu = k.ncpu;
        }
        Ok(Snapshot {
            processes,
            problems,
            system,
            facts,
            monotonic_ns,
        })
    }

    /// Which PIDs this pass reads, ascending, each flagged `true` when a directory listing
    /// (or `-p`) named it. In interval mode the listing is the costliest part after the reads
    /// themselves, so when every process of the last pass has a kept fd:
    /// - no task was created since (`processes` in `/proc/stat` unchanged): read the kept ones;
    /// - the new PIDs all lie above the last pass's `last_pid` (`/proc/loadavg`; no wrap-around,
    ///   checked by `forks <= last_pid delta`, same PID namespace): list only from there;
    /// - otherwise, and every [`FULL_LIST_EVERY`] passes anyway, list everything.
    fn pids_to_read(&mut self, system: &SystemInfo) -> Result<Vec<(i32, bool)>, SysError> {
        if let Some(p) = &self.opts.only_pids {
            self.listing = Listing::Given;
            return Ok(p.iter().map(|&pid| (pid, true)).collect());
        }
        let forks = system.kernel.as_ref().and_then(|k| k.forks_total);
        let last_pid = system.loadavg.as_ref().and_then(|l| l.last_pid);
        let (prev_forks, prev_last) = (self.last_forks, self.last_pid);
        self.last_forks = forks;
        self.last_pid = last_pid;
        self.passes_since_full += 1;
        let kept = || self.kept.iter().map(|(pid, _)| (*pid, false));
        if self.kept_all && self.passes_since_full < FULL_LIST_EVERY {
            if forks.is_some() && forks == prev_forks {
                let all = kept().collect();
                self.listing = Listing::Kept;
                return Ok(all);
            }
            if let (Some(f0), Some(f1), Some(l0), Some(l1)) =
                (prev_forks, forks, prev_last, last_pid)
            {
                let no_wrap = l1 >= l0 && f1.saturating_sub(f0) <= l1 - l0;
                let above = i32::try_from(l0 + 1).ok();
                if let Some(new) = above
                    .filter(|_| no_wrap && self.own_ns)
                    .and_then(|from| self.root.list_pids_from(from))
                {
                    let mut all: Vec<(i32, bool)> = kept().collect();
                    all.extend(new.into_iter().map(|pid| (pid, true)));
                    all.sort_unstable();
                    // A PID both kept and listed was reused: keep the listed entry.
                    all.dedup_by(|later, earlier| {
                        if later.0 == earlier.0 {
                            earlier.1 |= later.1;
                            true
                        } else {
                            false
                        }
                    });
                    self.listing = Listing::Above;
                    return Ok(all);
                }
            }
        }
        self.passes_since_full = 0;
        self.listing = Listing::Full;
        Ok(self
            .root
            .list_pids()?
            .into_iter()
            .map(|pid| (pid, true))
            .collect())
    }

    /// Opens and reads `PID/stat`, returning the fd (to keep), the owner (the fd's, or from
    /// `status` in captured trees), no schedstat fd yet, and `true`: the owner is new.
    fn read_stat_fresh(&mut self, pid: i32) -> Result<Fresh, FileError> {
        let fd = self
            .root
            .open_at(rel_path(&mut self.path, pid, None, "stat"))?;
        read_fd(fd.as_raw_fd(), &mut self.buf, None)?;
        let uid = if self.root.is_procfs() {
            fd_owner(fd.as_raw_fd())
        } else {
            let mut status = Vec::new();
            let rel = rel_path(&mut self.path, pid, None, "status");
            self.root
                .read_at(rel, &mut status)
                .ok()
                .and_then(|()| parse_status_euid(&status))
        };
        Ok((self.opts.keep_fds.then_some(fd), uid, None, true))
    }

    /// The effective UID of a live process: the owner of `PID/`, else `status`'s `Uid:` line.
    fn effective_uid(&mut self, pid: i32) -> Option<u32> {
        self.path.clear();
        {
            use std::io::Write;
            let _ = write!(self.path, "{pid}\0");
        }
        if let Some(uid) = std::ffi::CStr::from_bytes_with_nul(&self.path)
            .ok()
            .and_then(|rel| self.root.dir_owner(rel))
        {
            return Some(uid);
        }
        let rel = rel_path(&mut self.path, pid, None, "status");
        self.root.read_at(rel, &mut self.buf).ok()?;
        parse_status_euid(&self.buf)
    }

    /// Reads `PID/schedstat` (through `kept` when given) if asked to; returns the values and
    /// the fd to keep in interval mode.
    fn read_sched(
        &mut self,
        pid: i32,
        kept: Option<OwnedFd>,
    ) -> (Option<SchedStat>, Option<OwnedFd>) {
        if !self.opts.schedstat {
            return (None, None);
        }
        if let Some(fd) = kept {
            if read_fd(fd.as_raw_fd(), &mut self.buf, Some(0)).is_ok() {
                return (parse_schedstat(&self.buf), Some(fd));
            }
            return (None, None);
        }
        let rel = rel_path(&mut self.path, pid, None, "schedstat");
        let Ok(fd) = self.root.open_at(rel) else {
            return (None, None);
        };
        if read_fd(fd.as_raw_fd(), &mut self.buf, None).is_err() {
            return (None, None);
        }
        let sched = parse_schedstat(&self.buf);
        (sched, self.opts.keep_fds.then_some(fd))
    }

    /// Adds threads, wchan and stack to a parsed leader.
    fn complete(&mut self, stat: Stat, uid: Option<u32>) -> Process {
        let pid = stat.pid;
        let mut p = Process {
            uid,
            wchan: None,
            stack: None,
            threads: Vec::new(),
            sched: None,
            stat,
        };
        if p.stat.num_threads > 1 {
            for tid in self.root.list_tids(pid) {
                let rel = rel_path(&mut self.path, pid, Some(tid), "stat");
                if self.root.read_at(rel, &mut self.buf).is_err() {
                    continue; // the thread exited meanwhile
                }
                let Ok(stat) = parse_stat(&self.buf) else {
                    continue;
                };
                let (wchan, stack) = self.blocked_info(pid, Some(tid), stat.state);
                let sched = if self.opts.schedstat {
                    let rel = rel_path(&mut self.path, pid, Some(tid), "schedstat");
                    self.root
                        .read_at(rel, &mut self.buf)
                        .ok()
                        .and_then(|()| parse_schedstat(&self.buf))
                } else {
                    None
                };
                p.threads.push(Thread {
                    stat,
                    wchan,
                    stack,
                    sched,
                });
            }
        }
        if p.threads.is_empty() {
            let (wchan, stack) = self.blocked_info(pid, None, p.stat.state);
            p.wchan = wchan;
            p.stack = stack;
        } else if let Some(leader) = p.threads.iter().find(|t| t.stat.pid == pid) {
            p.wchan = leader.wchan.clone();
            p.stack = leader.stack.clone();
        }
        p
    }

    fn blocked_info(
        &mut self,
        pid: i32,
        tid: Option<i32>,
        state: State,
    ) -> (Option<String>, Option<Vec<String>>) {
        let wants_wchan = matches!(state, State::DISK | State::STOPPED | State::TRACED);
        let mut wchan = None;
        if self.opts.wchan && wants_wchan {
            let rel = rel_path(&mut self.path, pid, tid, "wchan");
            if self.root.read_at(rel, &mut self.buf).is_ok() {
                let text = String::from_utf8_lossy(&self.buf).trim().to_string();
                if !text.is_empty() && text != "0" {
                    wchan = Some(text);
                }
            }
        }
        let mut stack = None;
        if self.opts.stack && state == State::DISK {
            let rel = rel_path(&mut self.path, pid, tid, "stack");
            if self.root.read_at(rel, &mut self.buf).is_ok() {
                let text = String::from_utf8_lossy(&self.buf);
                stack = Some(text.lines().filter_map(stack_frame).collect());
            }
        }
        (wchan, stack)
    }

    fn read_system(&self) -> SystemInfo {
        let r = |name: &str| self.root.read_string(name);
        let mut psi = Vec::new();
        for res in ["cpu", "io", "memory"] {
            if let Some(text) = r(&format!("pressure/{res}")) {
                psi.extend(parse_psi(res, &text));
            }
        }
        SystemInfo {
            loadavg: r("loadavg").and_then(|t| parse_loadavg(&t).ok()),
            kernel: r("stat").and_then(|t| parse_kernel_stat(&t).ok()),
            uptime_seconds: r("uptime").and_then(|t| parse_uptime(&t).ok()),
            psi,
        }
    }
}

fn problem(pid: i32, e: FileError) -> Problem {
    Problem {
        pid,
        kind: match e {
            FileError::Gone => ProblemKind::Vanished,
            FileError::Denied => ProblemKind::Denied,
            FileError::Other(_) => ProblemKind::Malformed,
        },
        detail: e.describe(),
    }
}

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns how many fds may be kept.
fn raise_nofile() -> usize {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid out-parameter.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return 0;
    }
    let hard = lim.rlim_max.min(1 << 20);
    if lim.rlim_cur < hard {
        lim.rlim_cur = hard;
        // SAFETY: raising the soft limit up to the hard one is always permitted.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
    }
    hard.saturating_sub(FD_RESERVE) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn live_sample_contains_this_process_with_threads() {
        let root = ProcRoot::open(Path::new("/proc")).unwrap();
        let mut r = Reader::new(root, ReadOptions::default(), None);
        // Make sure this test process has a second thread while sampling.
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let h = std::thread::spawn(move || rx.recv().ok());
        let snap = r.sample().unwrap();
        tx.send(()).unwrap();
        h.join().unwrap();
        let me = std::process::id() as i32;
        let p = snap.processes.iter().find(|p| p.stat.pid == me).unwrap();
        assert!(p.threads.len() >= 2, "{:?}", p.threads.len());
        assert_eq!(p.uid, Some(unsafe { libc::geteuid() }));
        assert!(snap.system.loadavg.is_some() && snap.system.uptime_seconds.is_some());
        assert!(snap.monotonic_ns > 0);
    }

    #[test]
    fn kept_fds_give_fresh_data_and_only_pids_is_honoured() {
        let root = ProcRoot::open(Path::new("/proc")).unwrap();
        let me = std::process::id() as i32;
        let opts = ReadOptions {
            keep_fds: true,
            only_pids: Some(vec![me, i32::MAX]),
            ..Default::default()
        };
        let mut r = Reader::new(root, opts, None);
        let a = r.sample().unwrap();
        assert_eq!(r.kept_fds(), 1);
        assert_eq!(a.problems.len(), 1);
        assert_eq!(a.problems[0].kind, ProblemKind::Vanished);
        let spin_until = std::time::Instant::now() + std::time::Duration::from_millis(60);
        while std::time::Instant::now() < spin_until {
            std::hint::black_box(0u64);
        }
        let b = r.sample().unwrap();
        let (pa, pb) = (&a.processes[0], &b.processes[0]);
        assert_eq!(pa.key(), pb.key());
        assert!(
            pb.stat.utime_ticks + pb.stat.stime_ticks > pa.stat.utime_ticks + pa.stat.stime_ticks
        );
    }

    /// `skip_self` leaves the reader out (proc load must not count itself in R); `schedstat`
    /// fills run and wait nanoseconds.
    #[test]
    fn skip_self_and_schedstat() {
        let root = ProcRoot::open(Path::new("/proc")).unwrap();
        let opts = ReadOptions {
            skip_self: true,
            schedstat: true,
            ..Default::default()
        };
        let snap = Reader::new(root, opts, None).sample().unwrap();
        let me = std::process::id() as i32;
        assert!(snap.processes.iter().all(|p| p.stat.pid != me));
        let init = snap.processes.iter().find(|p| p.stat.pid == 1).unwrap();
        assert!(init.sched.is_some_and(|s| s.run_ns > 0), "{:?}", init.sched);
    }

    /// Interval passes (kept fds, listing skipped when nothing forked) still see a process
    /// that starts between passes and drop one that exits, without calling it a problem.
    #[test]
    fn interval_passes_track_new_and_exited_processes() {
        let root = ProcRoot::open(Path::new("/proc")).unwrap();
        let opts = ReadOptions {
            keep_fds: true,
            ..Default::default()
        };
        let mut r = Reader::new(root, opts, None);
        let a = r.sample().unwrap();
        let b = r.sample().unwrap(); // usually the no-listing path on a quiet machine
        let keys = |s: &Snapshot| s.processes.iter().map(Process::key).collect::<Vec<_>>();
        let me = std::process::id() as i32;
        assert!(keys(&a).iter().any(|k| k.0 == me) && keys(&b).iter().any(|k| k.0 == me));
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        let c = r.sample().unwrap();
        assert!(
            keys(&c).iter().any(|k| k.0 == pid),
            "new child {pid} not seen ({:?})",
            r.last_listing()
        );
        assert_ne!(r.last_listing(), Listing::Kept, "a fork happened");
        eprintln!("listing after a fork: {:?}", r.last_listing());
        // SAFETY: killing the child this test started, by PID.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        child.wait().unwrap();
        let d = r.sample().unwrap();
        assert!(
            !keys(&d).iter().any(|k| k.0 == pid),
            "reaped child {pid} still listed"
        );
        assert!(!d.problems.iter().any(|p| p.pid == pid), "{:?}", d.problems);
    }
}
