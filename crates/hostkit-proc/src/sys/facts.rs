//! Machine facts and clocks read from the running system: `sysconf(_SC_CLK_TCK)`, the online
//! CPU count and CLOCK_MONOTONIC. The pure code receives these as values.

/// `sysconf(_SC_CLK_TCK)`: ticks per second of the times in `/proc/PID/stat` (100 on x86-64).
pub fn clk_tck() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let v = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if v > 0 { v as u64 } else { 100 }
}

/// Online CPUs per `sysconf(_SC_NPROCESSORS_ONLN)`, at least 1.
pub fn online_cpus() -> u32 {
    // SAFETY: sysconf has no preconditions.
    let v = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    if v > 0 { v as u32 } else { 1 }
}

/// CLOCK_MONOTONIC now, nanoseconds.
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_are_sane_and_monotonic_moves_forward() {
        assert!(clk_tck() >= 1);
        assert!(online_cpus() >= 1);
        let a = monotonic_ns();
        let b = monotonic_ns();
        assert!(b >= a);
    }
}
