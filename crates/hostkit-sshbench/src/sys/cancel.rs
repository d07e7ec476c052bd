//! Cooperative cancellation for Ctrl-C/SIGTERM: a flag the session loop checks between
//! samples, plus the PID of the ssh child running right now so a signal can stop it at once.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// Shared between the signal thread (calls [`Cancel::cancel`]) and the runner.
#[derive(Debug, Default)]
pub struct Cancel {
    flag: AtomicBool,
    child: AtomicI32,
}

impl Cancel {
    /// Marks the run as cancelled and sends SIGTERM to the ssh child running now, if any.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::SeqCst);
        let pid = self.child.load(Ordering::SeqCst);
        if pid > 0 {
            // SAFETY: kill has no memory-safety preconditions; pid is our own child.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
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
}
