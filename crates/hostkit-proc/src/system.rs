//! Parsers for the system-wide files: `/proc/loadavg`, `/proc/stat` (cpu totals, `btime`,
//! `procs_running`, `procs_blocked`) and `/proc/uptime` (proc(5)). Pure: text in, values out.

use serde::Serialize;

/// Why a system file could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SystemError {
    /// The file's text does not have the documented shape.
    #[error("`{file}` reads `{text}`, expected {expected}")]
    Malformed {
        /// Which file (`loadavg`, `stat`, `uptime`).
        file: &'static str,
        /// The offending text (first line, shortened).
        text: String,
        /// The documented shape.
        expected: &'static str,
    },
}

fn malformed(file: &'static str, text: &str, expected: &'static str) -> SystemError {
    let first = text.lines().next().unwrap_or("");
    SystemError::Malformed {
        file,
        text: first.chars().take(80).collect(),
        expected,
    }
}

/// `/proc/loadavg`: `0.54 0.50 0.22 2/86 6696`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LoadAvg {
    /// 1-minute load average.
    pub load1: f64,
    /// 5-minute load average.
    pub load5: f64,
    /// 15-minute load average.
    pub load15: f64,
    /// Runnable (R) threads right now, including the reader; D is not in this count.
    pub running: u64,
    /// All threads, kernel threads included.
    pub total_threads: u64,
    /// The PID most recently allocated (in the reader's PID namespace).
    pub last_pid: Option<u64>,
}

/// Parses `/proc/loadavg`.
pub fn parse_loadavg(text: &str) -> Result<LoadAvg, SystemError> {
    const EXPECTED: &str = "`L1 L5 L15 RUNNING/TOTAL LASTPID`";
    let f: Vec<&str> = text.split_ascii_whitespace().collect();
    let bad = || malformed("loadavg", text, EXPECTED);
    if f.len() < 4 {
        return Err(bad());
    }
    let (running, total) = f[3].split_once('/').ok_or_else(bad)?;
    Ok(LoadAvg {
        load1: f[0].parse().map_err(|_| bad())?,
        load5: f[1].parse().map_err(|_| bad())?,
        load15: f[2].parse().map_err(|_| bad())?,
        running: running.parse().map_err(|_| bad())?,
        total_threads: total.parse().map_err(|_| bad())?,
        last_pid: f.get(4).and_then(|v| v.parse().ok()),
    })
}

/// The aggregate `cpu` line of `/proc/stat`, in ticks (USER_HZ) since boot. `user` includes
/// guest time and `nice` guest_nice time, as the kernel counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CpuTimes {
    /// User mode (normal priority).
    pub user: u64,
    /// User mode, niced.
    pub nice: u64,
    /// Kernel mode on behalf of tasks.
    pub system: u64,
    /// Idle.
    pub idle: u64,
    /// Idle with I/O outstanding.
    pub iowait: u64,
    /// Hard interrupts.
    pub irq: u64,
    /// Soft interrupts.
    pub softirq: u64,
    /// Stolen by the hypervisor.
    pub steal: u64,
}

impl CpuTimes {
    /// Ticks the kernel charges to tasks: user + nice + system. This is what per-process
    /// utime + stime can add up to (interrupt time belongs to no process).
    pub fn task_ticks(&self) -> u64 {
        self.user + self.nice + self.system
    }

    /// Every field, for per-interval differences.
    pub fn total_ticks(&self) -> u64 {
        self.user
            + self.nice
            + self.system
            + self.idle
            + self.iowait
            + self.irq
            + self.softirq
            + self.steal
    }

    /// Field-wise `self - earlier`, saturating (a CPU going offline can lower a sum).
    pub fn since(&self, earlier: &CpuTimes) -> CpuTimes {
        CpuTimes {
            user: self.user.saturating_sub(earlier.user),
            nice: self.nice.saturating_sub(earlier.nice),
            system: self.system.saturating_sub(earlier.system),
            idle: self.idle.saturating_sub(earlier.idle),
            iowait: self.iowait.saturating_sub(earlier.iowait),
            irq: self.irq.saturating_sub(earlier.irq),
            softirq: self.softirq.saturating_sub(earlier.softirq),
            steal: self.steal.saturating_sub(earlier.steal),
        }
    }
}

/// The parts of `/proc/stat` hostkit uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KernelStat {
    /// The aggregate `cpu` line.
    pub cpu: CpuTimes,
    /// Number of `cpuN` lines (online CPUs).
    pub ncpu: u32,
    /// Aggregate `cpu` line: user+nice ticks.
    pub cpu_user_ticks: u64,
    /// Aggregate `cpu` line: system ticks.
    pub cpu_system_ticks: u64,
    /// Aggregate `cpu` line: irq+softirq ticks.
    pub cpu_irq_ticks: u64,
    /// Boot time, seconds since the Unix epoch.
    pub btime_unix_seconds: Option<u64>,
    /// Runnable threads now (same count as loadavg's numerator).
    pub procs_running: Option<u64>,
    /// Threads in I/O wait (`nr_iowait`): a subset of the D threads.
    pub procs_blocked: Option<u64>,
    /// `processes`: tasks (processes and threads) created since boot.
    pub forks_total: Option<u64>,
}

/// Parses `/proc/stat`; unknown lines are ignored, a missing `cpu` line is an error.
pub fn parse_kernel_stat(text: &str) -> Result<KernelStat, SystemError> {
    let mut ks = KernelStat {
        cpu: CpuTimes::default(),
        ncpu: 0,
        cpu_user_ticks: 0,
        cpu_system_ticks: 0,
        cpu_irq_ticks: 0,
        btime_unix_seconds: None,
        procs_running: None,
        procs_blocked: None,
        forks_total: None,
    };
    let mut saw_cpu = false;
    for line in text.lines() {
        let mut f = line.split_ascii_whitespace();
        let Some(key) = f.next() else { continue };
        let nums: Vec<u64> = f.filter_map(|v| v.parse().ok()).collect();
        match key {
            "cpu" => {
                let at = |i: usize| nums.get(i).copied().unwrap_or(0);
                ks.cpu_user_ticks = at(0) + at(1);
                ks.cpu_system_ticks = at(2);
                ks.cpu_irq_ticks = at(5) + at(6);
                ks.cpu = CpuTimes {
                    user: at(0),
                    nice: at(1),
                    system: at(2),
                    idle: at(3),
                    iowait: at(4),
                    irq: at(5),
                    softirq: at(6),
                    steal: at(7),
                };
                saw_cpu = nums.len() >= 4;
            }
            k if k.starts_with("cpu") && k[3..].bytes().all(|b| b.is_ascii_digit()) => {
                ks.ncpu += 1;
            }
            "btime" => ks.btime_unix_seconds = nums.first().copied(),
            "procs_running" => ks.procs_running = nums.first().copied(),
            "procs_blocked" => ks.procs_blocked = nums.first().copied(),
            "processes" => ks.forks_total = nums.first().copied(),
            _ => {}
        }
    }
    if !saw_cpu {
        return Err(malformed(
            "stat",
            text,
            "a `cpu USER NICE SYSTEM IDLE ...` line",
        ));
    }
    Ok(ks)
}

/// Parses `/proc/uptime` (`12345.67 23456.78`): seconds since boot.
pub fn parse_uptime(text: &str) -> Result<f64, SystemError> {
    text.split_ascii_whitespace()
        .next()
        .and_then(|v| v.parse::<f64>().ok())
        .ok_or_else(|| malformed("uptime", text, "`SECONDS IDLE_SECONDS`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loadavg_parses_and_rejects_garbage() {
        let l = parse_loadavg("47.22 17.30 6.90 7/1439 6696\n").unwrap();
        assert_eq!(
            (l.load1, l.load5, l.running, l.total_threads),
            (47.22, 17.3, 7, 1439)
        );
        let err = parse_loadavg("1.0 2.0").unwrap_err().to_string();
        assert!(
            err.contains("`1.0 2.0`") && err.contains("RUNNING/TOTAL"),
            "{err}"
        );
        assert!(parse_loadavg("a b c 1/2 3").is_err());
    }

    #[test]
    fn kernel_stat_counts_cpus_and_blocked() {
        let text = "cpu  10 2 30 400 5 6 7 0 0 0\ncpu0 5 1 15 200 2 3 3 0 0 0\n\
                    cpu1 5 1 15 200 3 3 4 0 0 0\nintr 1 2 3\nctxt 99\nbtime 1764390000\n\
                    processes 5000\nprocs_running 9\nprocs_blocked 0\n";
        let k = parse_kernel_stat(text).unwrap();
        assert_eq!(k.ncpu, 2);
        assert_eq!(
            (k.cpu_user_ticks, k.cpu_system_ticks, k.cpu_irq_ticks),
            (12, 30, 13)
        );
        assert_eq!(k.btime_unix_seconds, Some(1_764_390_000));
        assert_eq!((k.procs_running, k.procs_blocked), (Some(9), Some(0)));
        assert_eq!(k.forks_total, Some(5000));
        assert_eq!(
            (k.cpu.iowait, k.cpu.softirq, k.cpu.task_ticks()),
            (5, 7, 42)
        );
        assert_eq!(k.cpu.total_ticks(), 460);
        assert!(parse_kernel_stat("intr 1\n").is_err());
    }

    #[test]
    fn uptime_parses() {
        assert_eq!(parse_uptime("350735.47 234388.90\n").unwrap(), 350_735.47);
        assert!(parse_uptime("").unwrap_err().to_string().contains("uptime"));
    }
}
