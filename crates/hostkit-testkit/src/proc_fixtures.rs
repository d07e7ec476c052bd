//! Real processes in chosen scheduler states for `/proc` tests: R (busy loop), high system
//! time (reads from /dev/zero), S (`pause`), T (SIGSTOP), Z (exited, never waited for), D (a
//! parent blocked in `clone(CLONE_VFORK)` without `CLONE_VM` while its child pauses) and a
//! hidden D (a second thread blocked that way behind a sleeping main thread). Needs no root.
//!
//! Children are forked from the (multi-threaded) test process and use only raw syscalls,
//! except the hidden-D fixture, which calls `pthread_create` after `fork` (glibc resets its
//! allocator and thread-stack locks in the child). This process becomes a child subreaper so
//! orphaned grandchildren come back here; `Drop` kills every PID it started and reaps them.

use std::time::{Duration, Instant};

/// Which state to create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Busy user-space loop: R, high utime.
    Running,
    /// `read(/dev/zero, 64 KiB)` in a loop: high stime.
    HighSys,
    /// `pause()`: S.
    Sleeping,
    /// Sleeping, then SIGSTOP: T.
    Stopped,
    /// `_exit(0)` and never reaped: Z.
    Zombie,
    /// Blocked in `clone(CLONE_VFORK)` while the child pauses: D.
    DiskVfork,
    /// Main thread pauses (S); a second thread is blocked in a vfork clone: hidden D.
    HiddenD,
    /// Starts as the caller's user, then switches to `nobody` (65534) with setresgid and
    /// setresuid, no exec, and pauses: `/proc/PID` stays root-owned (the process became
    /// non-dumpable), `status` shows the new effective UID. Needs root to switch.
    DroppedPrivileges,
    /// A second thread spins while the main thread has exited (raw `exit`): the leader's
    /// stat reads Z although the process runs.
    LeaderExited,
}

impl Kind {
    /// The comm the fixture sets (prctl PR_SET_NAME), for `--comm '^hk-fx-'` filters.
    pub fn comm(self) -> &'static str {
        match self {
            Kind::Running => "hk-fx-R",
            Kind::HighSys => "hk-fx-sys",
            Kind::Sleeping => "hk-fx-S",
            Kind::Stopped => "hk-fx-T",
            Kind::Zombie => "hk-fx-Z",
            Kind::DiskVfork => "hk-fx-D",
            Kind::HiddenD => "hk-fx-hidden",
            Kind::DroppedPrivileges => "hk-fx-setuid",
            Kind::LeaderExited => "hk-fx-lexit",
        }
    }

    /// The state letter the main thread shows once settled.
    pub fn leader_state(self) -> char {
        match self {
            Kind::Running | Kind::HighSys => 'R',
            Kind::Sleeping | Kind::HiddenD | Kind::DroppedPrivileges => 'S',
            Kind::LeaderExited => 'Z',
            Kind::Stopped => 'T',
            Kind::Zombie => 'Z',
            Kind::DiskVfork => 'D',
        }
    }
}

/// Comm of the blocked thread in [`Kind::HiddenD`].
pub const HIDDEN_THREAD_COMM: &str = "hk-fx-Dthread";

/// A running fixture; killed by PID and reaped on drop.
#[derive(Debug)]
pub struct Fixture {
    /// What it is.
    pub kind: Kind,
    /// The forked child's PID.
    pub pid: i32,
    /// The vfork grandchild (D kinds), killed first to release the blocked parent.
    pub grandchild: Option<i32>,
}

fn set_subreaper() {
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
}

/// Sets the calling thread's comm (at most 15 bytes are kept).
fn set_name(name: &[u8]) {
    let mut buf = [0u8; 16];
    let n = name.len().min(15);
    buf[..n].copy_from_slice(&name[..n]);
    // SAFETY: `buf` is NUL-terminated and outlives the call.
    unsafe { libc::prctl(libc::PR_SET_NAME, buf.as_ptr() as libc::c_ulong, 0, 0, 0) };
}

/// In a forked child: vfork-clone without CLONE_VM. The grandchild writes its PID to `fd` and
/// pauses forever; the caller blocks in D until the grandchild dies, then reaps it.
fn vfork_block(fd: i32) {
    // SAFETY: raw clone without CLONE_VM behaves like fork; the grandchild runs on a copy of
    // this stack and only makes raw syscalls.
    let r = unsafe {
        libc::syscall(
            libc::SYS_clone,
            libc::CLONE_VFORK | libc::SIGCHLD,
            0,
            0,
            0,
            0,
        )
    };
    if r == 0 {
        // SAFETY: raw syscalls only.
        unsafe {
            let me = libc::syscall(libc::SYS_getpid) as i32;
            let bytes = me.to_ne_bytes();
            libc::write(fd, bytes.as_ptr().cast(), 4);
            loop {
                libc::pause();
            }
        }
    }
    if r > 0 {
        let mut status = 0;
        // SAFETY: reaping our own child.
        unsafe { libc::waitpid(r as i32, &mut status, libc::__WALL) };
    }
}

extern "C" fn spin_thread(_: *mut libc::c_void) -> *mut libc::c_void {
    let mut x = 0u64;
    loop {
        x = std::hint::black_box(x).wrapping_add(1);
    }
}

extern "C" fn hidden_thread(arg: *mut libc::c_void) -> *mut libc::c_void {
    set_name(HIDDEN_THREAD_COMM.as_bytes());
    vfork_block(arg as usize as i32);
    std::ptr::null_mut()
}

impl Fixture {
    /// Forks a child in `kind`'s state and waits until `/proc` shows it.
    pub fn spawn(kind: Kind) -> Fixture {
        Self::spawn_named(kind, kind.comm().as_bytes())
    }

    /// Like [`Fixture::spawn`] with a chosen comm (any bytes; the kernel keeps 15).
    pub fn spawn_named(kind: Kind, name: &[u8]) -> Fixture {
        set_subreaper();
        let mut pipe = [0i32; 2];
        // SAFETY: `pipe` has room for two fds.
        assert_eq!(
            unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) },
            0
        );
        // Prepared before fork so the child allocates nothing.
        let zero = std::fs::File::open("/dev/zero").expect("open /dev/zero");
        let zero_fd = std::os::fd::AsRawFd::as_raw_fd(&zero);
        let mut buf = vec![0u8; 64 * 1024];
        // SAFETY: the child only runs the async-signal-safe code below (see module docs).
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed: {}", std::io::Error::last_os_error());
        if pid == 0 {
            // SAFETY: child side; never returns.
            unsafe { child(kind, name, pipe[1], zero_fd, &mut buf) }
        }
        // SAFETY: closing our copy of the write end.
        unsafe { libc::close(pipe[1]) };
        let mut fx = Fixture {
            kind,
            pid,
            grandchild: None,
        };
        if matches!(kind, Kind::DiskVfork | Kind::HiddenD) {
            fx.grandchild = Some(read_pid(pipe[0], Duration::from_secs(10)));
        }
        // SAFETY: closing the read end.
        unsafe { libc::close(pipe[0]) };
        if kind == Kind::Stopped {
            fx.wait_state(pid, 'S');
            // SAFETY: signalling our own child.
            unsafe { libc::kill(pid, libc::SIGSTOP) };
        }
        match kind {
            Kind::HiddenD => {
                fx.wait_state(pid, 'S');
                let deadline = Instant::now() + Duration::from_secs(10);
                while fx.d_tid().is_none() {
                    assert!(Instant::now() < deadline, "hidden D thread never reached D");
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            Kind::Running | Kind::HighSys => {
                // Busy from the first instruction; wait until the name is set.
                let want = &name[..name.len().min(15)];
                let deadline = Instant::now() + Duration::from_secs(10);
                while std::fs::read(format!("/proc/{pid}/comm"))
                    .ok()
                    .as_deref()
                    .map(|c| c.strip_suffix(b"\n").unwrap_or(c))
                    != Some(want)
                {
                    assert!(Instant::now() < deadline, "{kind:?} never set its name");
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
            _ => fx.wait_state(pid, kind.leader_state()),
        }
        fx
    }

    /// Waits up to 10 s until task `tid` of this fixture shows `state`.
    pub fn wait_state(&self, tid: i32, state: char) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let now = task_state(self.pid, tid);
            if now == Some(state) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{:?} task {tid} is {now:?}, never {state}",
                self.kind
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The TID of a thread in D other than the main thread (hidden-D fixture).
    pub fn d_tid(&self) -> Option<i32> {
        let dir = std::fs::read_dir(format!("/proc/{}/task", self.pid)).ok()?;
        dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
            .filter(|&t| t != self.pid)
            .find(|&t| task_state(self.pid, t) == Some('D'))
    }

    /// `(utime, stime)` ticks of the process now.
    pub fn cpu_ticks(&self) -> (u64, u64) {
        let text = std::fs::read(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        let tail = tail_fields(&text);
        let n = |i: usize| tail.get(i).and_then(|f| f.parse().ok()).unwrap_or(0);
        (n(11), n(12))
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        // SAFETY: signalling and reaping PIDs this fixture created.
        unsafe {
            if let Some(g) = self.grandchild {
                libc::kill(g, libc::SIGKILL);
            }
            libc::kill(self.pid, libc::SIGKILL);
            let mut status = 0;
            libc::waitpid(self.pid, &mut status, 0);
            if let Some(g) = self.grandchild {
                // Reaped by its parent, or reparented to this subreaper: reap it here.
                let deadline = Instant::now() + Duration::from_secs(5);
                while libc::kill(g, 0) == 0 && Instant::now() < deadline {
                    libc::waitpid(g, &mut status, libc::WNOHANG);
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
    }
}

/// The forked child: sets its name and enters `kind`'s state. Never returns.
///
/// # Safety
/// Call only in a freshly forked child.
unsafe fn child(kind: Kind, name: &[u8], pipe_w: i32, zero_fd: i32, buf: &mut [u8]) -> ! {
    set_name(name);
    // SAFETY: raw syscalls and libc calls documented as async-signal-safe (pthread_create
    // aside, see the module docs).
    unsafe {
        match kind {
            Kind::Running => loop {
                std::hint::black_box(&mut *buf)[0] = std::hint::black_box(buf[1]).wrapping_add(1);
            },
            Kind::HighSys => loop {
                libc::read(zero_fd, buf.as_mut_ptr().cast(), buf.len());
            },
            Kind::Sleeping | Kind::Stopped => loop {
                libc::pause();
            },
            Kind::Zombie => libc::_exit(0),
            Kind::DiskVfork => {
                vfork_block(pipe_w);
                libc::_exit(0)
            }
            Kind::DroppedPrivileges => {
                // Raw syscalls: the kernel's per-thread semantics are enough in this
                // single-threaded child.
                libc::syscall(libc::SYS_setresgid, 65534, 65534, 65534);
                libc::syscall(libc::SYS_setresuid, 65534, 65534, 65534);
                loop {
                    libc::pause();
                }
            }
            Kind::LeaderExited => {
                let mut t: libc::pthread_t = 0;
                libc::pthread_create(&mut t, std::ptr::null(), spin_thread, std::ptr::null_mut());
                // Only this thread ends (exit, not exit_group); pthread_exit would need the
                // unwinder, which a forked child of a threaded process cannot load safely.
                libc::syscall(libc::SYS_exit, 0);
                unreachable!("SYS_exit returned")
            }
            Kind::HiddenD => {
                let mut t: libc::pthread_t = 0;
                libc::pthread_create(
                    &mut t,
                    std::ptr::null(),
                    hidden_thread,
                    pipe_w as usize as *mut libc::c_void,
                );
                loop {
                    libc::pause();
                }
            }
        }
    }
}

fn read_pid(fd: i32, timeout: Duration) -> i32 {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let n = unsafe { libc::poll(&mut pfd, 1, timeout.as_millis() as i32) };
    assert_eq!(n, 1, "vfork grandchild did not report its PID");
    let mut b = [0u8; 4];
    // SAFETY: reading 4 bytes into `b`.
    let r = unsafe { libc::read(fd, b.as_mut_ptr().cast(), 4) };
    assert_eq!(r, 4, "short read of the grandchild PID");
    i32::from_ne_bytes(b)
}

/// Fields after the last `)` of a stat line (field N is at index N-3).
fn tail_fields(stat: &[u8]) -> Vec<String> {
    let close = stat.iter().rposition(|&b| b == b')').unwrap_or(0);
    String::from_utf8_lossy(&stat[close + 1..])
        .split_ascii_whitespace()
        .map(str::to_string)
        .collect()
}

/// State letter of `pid`'s task `tid` (`tid == pid` for the main thread).
pub fn task_state(pid: i32, tid: i32) -> Option<char> {
    let text = std::fs::read(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
    tail_fields(&text).first()?.chars().next()
}
