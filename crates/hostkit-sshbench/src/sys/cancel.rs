//! Cooperative cancellation for Ctrl-C/SIGTERM: a flag the session loop checks between
//! samples, plus the PIDs of the ssh child running right now and of the one set up ahead for
//! the next sample, so a signal can stop both at once.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// Shared between the signal thread (calls [`Cancel::cancel`]) and the runner.
#[derive(Debug, Default)]
pub struct Cancel {
    flag: AtomicBool,
    child: AtomicI32,
    ahead: AtomicI32,
}

impl Cancel {
    /// Marks the run as cancelled and sends SIGTERM to the ssh children (running now, set up
    /// ahead), if any.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::SeqCst);
        for pid in [&self.child, &self.ahead].map(|p| p.load(Ordering::SeqCst)) {
            if pid > 0 {
                // SAFETY: kill has no memory-safety preconditions; pid is our own child.
                unsafe {
                    libc::kill(pid, libc::SIGTERM);
                }
            }
        }
    }
    /// True once [`Cancel::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
    /// Registers (pid > 0) or clears (0) the running child.
    pub(crate) fn set_child(&self, pid: i32) {
        self.child.store(pid, Ordering::SeqCst);
    }
    /// Registers (pid > 0) or clears (0) the child set up ahead for the next sample.
    pub(crate) fn set_ahead(&self, pid: i32) {
        self.ahead.store(pid, Ordering::SeqCst);
    }
}
