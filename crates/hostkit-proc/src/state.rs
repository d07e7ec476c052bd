//! Task states as the kernel prints them in `/proc/PID/stat` field 3 (proc_pid_stat(5),
//! `task_state_array` in fs/proc/array.c). Unknown letters are kept, never rejected: new
//! kernels add states (`I` in 4.14 broke parsers that enumerated them).

use serde::{Serialize, Serializer};

/// One task state letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct State(pub u8);

impl State {
    /// Running or runnable.
    pub const RUNNING: State = State(b'R');
    /// Interruptible sleep.
    pub const SLEEPING: State = State(b'S');
    /// Uninterruptible sleep (includes `TASK_KILLABLE` waits and, on new kernels, frozen tasks).
    pub const DISK: State = State(b'D');
    /// Stopped by a signal.
    pub const STOPPED: State = State(b'T');
    /// Stopped by a tracer.
    pub const TRACED: State = State(b't');
    /// Zombie: exited, not yet reaped.
    pub const ZOMBIE: State = State(b'Z');
    /// Dead (transient, while being reaped).
    pub const DEAD: State = State(b'X');
    /// Idle kernel thread (`TASK_IDLE`, kernel >= 4.14): D-like but never counted in the load.
    pub const IDLE: State = State(b'I');

    /// The letter as a `char` (a non-ASCII byte maps to its Latin-1 char).
    pub fn letter(self) -> char {
        char::from(self.0)
    }

    /// True for the two states the load average counts: R and D (kernel/sched/loadavg.c).
    pub fn counts_in_load(self) -> bool {
        self == State::RUNNING || self == State::DISK
    }

    /// A short human name (`"disk sleep"`), or `"unknown"` for letters this code does not know.
    pub fn name(self) -> &'static str {
        match self.0 {
            b'R' => "running",
            b'S' => "sleeping",
            b'D' => "disk sleep",
            b'T' => "stopped",
            b't' => "tracing stop",
            b'Z' => "zombie",
            b'X' | b'x' => "dead",
            b'I' => "idle",
            b'P' => "parked",
            b'K' => "wakekill",
            b'W' => "waking",
            _ => "unknown",
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.letter())
    }
}

impl Serialize for State {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_r_and_d_count_in_load() {
        let counted: Vec<char> = b"RSDTtZXIPxKW?"
            .iter()
            .map(|&b| State(b))
            .filter(|s| s.counts_in_load())
            .map(State::letter)
            .collect();
        assert_eq!(counted, vec!['R', 'D']);
    }

    #[test]
    fn unknown_letters_have_a_name_and_serialise() {
        assert_eq!(State(b'Q').name(), "unknown");
        assert_eq!(State::IDLE.name(), "idle");
        assert_eq!(serde_json::to_string(&State::DISK).unwrap(), "\"D\"");
    }
}
