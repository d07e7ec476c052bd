//! Facts about this machine recorded in every log header: CPU model and crypto-relevant
//! flags, CPU count, kernel release, load average (proc(5): /proc/cpuinfo, /proc/loadavg).

/// CPU flags that change which cipher or MAC is fastest.
const CRYPTO_FLAGS: &[&str] = &[
    "aes",
    "pclmulqdq",
    "avx",
    "avx2",
    "avx512f",
    "vaes",
    "vpclmulqdq",
    "sha_ni",
    "ssse3",
    "sse4_1",
    "bmi2",
];

/// Machine description for the log header.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    pub cpu_model: String,
    pub cpu_flags: Vec<String>,
    pub cpus: usize,
    pub kernel: String,
    /// `/proc/sys/kernel/hostname` (empty when unreadable).
    pub hostname: String,
}

/// Reads the machine facts; missing files give empty values, never an error.
pub fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let (cpu_model, cpu_flags) = parse_cpuinfo(&cpuinfo);
    Machine {
        cpu_model,
        cpu_flags,
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
        hostname: std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
    }
}

/// Model name and the crypto flags of the first CPU in `/proc/cpuinfo` text.
pub fn parse_cpuinfo(text: &str) -> (String, Vec<String>) {
    let field = |key: &str| {
        text.lines()
            .find(|l| l.split(':').next().is_some_and(|k| k.trim() == key))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
    };
    let model = field("model name").unwrap_or_default();
    let flags = field("flags")
        .or_else(|| field("Features"))
        .unwrap_or_default();
    let present: Vec<&str> = flags.split_whitespace().collect();
    let crypto = CRYPTO_FLAGS
        .iter()
        .filter(|f| present.contains(f))
        .map(|f| (*f).to_string())
        .collect();
    (model, crypto)
}

/// The 1-minute load average, 0 when unreadable.
pub fn load1() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// Clock ticks per second for /proc stat fields (sysconf(_SC_CLK_TCK)).
pub fn clock_ticks_per_s() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as f64 } else { 100.0 }
}

/// `(utime, stime)` in ticks from one `/proc/PID/stat` line (proc(5) fields 14 and 15),
/// splitting on the last `)` so a `comm` containing spaces or parentheses is handled.
pub fn parse_stat_times(line: &str) -> Option<(u64, u64)> {
    let rest = &line[line.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    // After `)`: state(3) ppid(4) ... utime is field 14 => index 11 here.
    let utime = fields.nth(11)?.parse().ok()?;
    let stime = fields.next()?.parse().ok()?;
    Some((utime, stime))
}

/// `(cutime, cstime)` in ticks (proc(5) fields 16 and 17): CPU of reaped children.
pub fn parse_stat_child_times(line: &str) -> Option<(u64, u64)> {
    let rest = &line[line.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let cutime = fields.nth(13)?.parse().ok()?;
    let cstime = fields.next()?.parse().ok()?;
    Some((cutime, cstime))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_times_from_a_real_sshd_line() {
        let line =
            "14143 (sshd) S 13818 14143 14143 0 -1 4194560 17348 298 0 0 7 3 1 0 20 0 1 0 35647";
        assert_eq!(parse_stat_times(line), Some((7, 3)));
        let odd = "1 (a) b (c)) S 0 1 1 0 -1 0 0 0 0 0 12 34 0 0";
        assert_eq!(parse_stat_times(odd), Some((12, 34)));
        assert_eq!(parse_stat_times("garbage"), None);
        assert_eq!(parse_stat_times("1 (x) S 1 2"), None);
        assert_eq!(parse_stat_child_times(line), Some((1, 0)));
    }

    #[test]
    fn cpuinfo_model_and_crypto_flags() {
        let text = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu sse aes avx2 sha_ni vaes\n\nprocessor\t: 1\n";
        let (model, flags) = parse_cpuinfo(text);
        assert_eq!(model, "AMD EPYC 7B13");
        assert_eq!(flags, ["aes", "avx2", "vaes", "sha_ni"]);
    }
}
