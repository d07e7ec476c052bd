//! CPU placement for measurements: which CPUs this process may use (`sched_getaffinity(2)`)
//! and pinning a child to one CPU before exec (`sched_setaffinity(2)` in `pre_exec`; the
//! private sshd's per-connection children inherit it). On a few-core machine an unpinned ssh and
//! sshd share a CPU until the scheduler separates them, ~2 s into a connection.

use std::os::unix::process::CommandExt;
use std::process::Command;

/// CPUs this process may run on, ascending (empty when the kernel does not say).
pub fn allowed_cpus() -> Vec<usize> {
    // SAFETY: cpu_set_t is plain data; sched_getaffinity fills it for this process.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if r != 0 {
        return Vec::new();
    }
    (0..libc::CPU_SETSIZE as usize)
        // SAFETY: i is below CPU_SETSIZE.
        .filter(|&i| unsafe { libc::CPU_ISSET(i, &set) })
        .collect()
}

/// Makes `cmd`'s process run only on `cpu` from before its exec on.
pub fn pin_command(cmd: &mut Command, cpu: usize) {
    // SAFETY: cpu_set_t is plain data; built here, before fork, so the closure only copies it.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: sched_setaffinity is async-signal-safe; the closure allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pinned_child_sees_only_its_cpu() {
        let cpus = allowed_cpus();
        assert!(!cpus.is_empty());
        let last = *cpus.last().unwrap();
        let mut cmd = Command::new("cat");
        cmd.arg("/proc/self/status");
        pin_command(&mut cmd, last);
        let out = String::from_utf8(cmd.output().unwrap().stdout).unwrap();
        let line = out
            .lines()
            .find(|l| l.starts_with("Cpus_allowed_list:"))
            .unwrap();
        assert_eq!(
            line.split_whitespace().nth(1),
            Some(last.to_string().as_str())
        );
    }
}
