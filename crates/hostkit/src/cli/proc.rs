//! Command-line grammar for `hostkit proc`: `time` (per-process user vs system CPU, snapshot or
//! interval), `load` (the load average explained, with a Nagios mode) and `capture` (save a
//! proc tree). Declarations and value validation only; `commands::proc` does the work.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum ProcCommand {
    /// Per-process user vs system CPU time, state and threads; a snapshot or per interval.
    ///
    /// Reads /proc/PID/stat directly (never cmdline or environ, which can hang on stuck
    /// processes), splits the command name at the last `)` so every name is safe, and sorts by
    /// system time. A snapshot shows seconds of CPU since each process started; with `-i`
    /// every interval shows percent of one CPU over the monotonic time that really elapsed:
    /// %USR, %SYS, %CUSR/%CSYS (children reaped within the interval), %WAIT (run-queue wait,
    /// schedstat) and a footer saying how much of the CPU time in /proc/stat the processes
    /// account for. Every interval carries a timestamp; `-c N` and Ctrl-C end with an Average
    /// block (exit 0). USER is the effective user. S shows the main thread's state (the live
    /// threads' when the main thread has exited); `S+D` marks a process whose main thread
    /// sleeps while another of its threads is in D (uninterruptible).
    #[command(after_long_help = TIME_EXAMPLES)]
    Time(TimeArgs),
    /// Explain the load average: runnable (R) + uninterruptible (D) threads, the D culprits.
    ///
    /// The load average counts threads in R and in D; /proc/loadavg shows only R and
    /// procs_blocked only the D threads in I/O wait, so a high load with few running tasks
    /// looks like a mystery. This prints one sentence with both counts, then the D threads
    /// grouped by command and kernel wait channel (wchan) with their oldest PIDs, the trend
    /// and the pressure (PSI) lines.
    #[command(after_long_help = LOAD_EXAMPLES)]
    Load(LoadArgs),
    /// Save a proc tree (stat, status, wchan, schedstat, io, task/*, loadavg, stat, PSI) to DIR.
    ///
    /// For bug reports and tests: `hostkit proc time --proc-root DIR` reads it back. Never
    /// copies cmdline or environ. DIR must not exist or be empty.
    #[command(after_long_help = CAPTURE_EXAMPLES)]
    Capture(CaptureArgs),
}

const TIME_EXAMPLES: &str = "\
Examples:
  hostkit proc time                      top 20 processes by system CPU time since start
  hostkit proc time -i 1 -c 5            five 1-second intervals, then their average
  hostkit proc time -i 1 --children      fold reaped children into their parent (shell loops)
  hostkit proc time --state D --all      every process in D (uninterruptible)
  hostkit proc time --by comm            totals per command name (\"43 x LLAWP\")
  hostkit proc time -u www-data --comm '^php'   filters: user, command regex
  hostkit proc time --threads -p 1234    one row per thread of PID 1234
  hostkit proc time -i 5 -c 12 --fail-on-d-age 30   exit 1 if a process stays in D for 30 s
  hostkit proc time --format json | jq '.processes[0]'
  hostkit proc time -i 1 -c 60 --format csv --output cpu.csv   log a minute as CSV
  hostkit proc time -i 15 --prom-file /var/lib/node_exporter/textfile/proc.prom";

const LOAD_EXAMPLES: &str = "\
Examples:
  hostkit proc load                      the sentence, D culprits, trend, PSI
  sudo hostkit proc load --stack         also fold the kernel stacks of D tasks
  hostkit proc load --window 3           average R and D over 3 seconds
  hostkit proc load --nagios -w 10 -c 50 Nagios check on the number of D threads
  hostkit proc load --nagios -w 5:10 -c @20:30 -t 5   Nagios ranges, 5 s timeout
  hostkit proc load --prom-file /var/lib/node_exporter/textfile/load.prom";

const CAPTURE_EXAMPLES: &str = "\
Examples:
  hostkit proc capture /tmp/proc-$(hostname)    save this host's tree
  hostkit proc load --proc-root /tmp/proc-web1  explain a captured tree";

/// Output formats of `proc time` and `proc load`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text for people.
    Table,
    /// JSON (one document; one line per interval with `-i`).
    Json,
    /// CSV with a header row.
    Csv,
    /// Prometheus text format 0.0.4 (node_exporter textfile collector).
    Prometheus,
}

/// Sort keys of `proc time` (descending, except pid, user and comm).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortKey {
    /// System (kernel) CPU time; per interval with `-i`.
    Stime,
    /// User CPU time; per interval with `-i`.
    Utime,
    /// User + system.
    Cpu,
    /// Reaped children's user time.
    Cutime,
    /// Reaped children's system time.
    Cstime,
    /// Run-queue wait (with `-i`).
    Wait,
    /// Thread count.
    Threads,
    /// Time since start (oldest first).
    Elapsed,
    /// Process ID (ascending).
    Pid,
    /// User name (ascending).
    User,
    /// Command name (ascending).
    Comm,
}

/// Roll-up keys of `--by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupKey {
    /// Command name.
    Comm,
    /// User name.
    User,
}

/// Options shared by the reading commands.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// Read this proc tree instead of /proc: a procfs mount (e.g. /host/proc) or a directory
    /// written by `hostkit proc capture`.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "/proc",
        env = "HOSTKIT_PROC_ROOT"
    )]
    pub proc_root: PathBuf,
}

/// Output options shared by `time` and `load`.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the rendered output to FILE instead of stdout (`-` for stdout); with `-i` every
    /// interval is appended as it is rendered.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write Prometheus metrics to PATH, a node_exporter textfile-collector file:
    /// written to a new temp file in the same directory, then renamed over PATH, which must
    /// be a regular file or not exist (a FIFO, device or symlink is refused). With `-i`,
    /// rewritten every interval; a failed write is reported on stderr and retried next time.
    #[arg(long, value_name = "PATH")]
    pub prom_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct TimeArgs {
    /// Sample every SECS seconds and show per-interval %usr/%sys (e.g. `1`, `0.5`).
    #[arg(short, long, value_name = "SECS", value_parser = parse_interval)]
    pub interval: Option<f64>,
    /// Stop after COUNT intervals (default: run until interrupted).
    #[arg(short, long, value_name = "COUNT", requires = "interval", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// Sort key.
    #[arg(long, value_enum, default_value_t = SortKey::Stime)]
    pub sort: SortKey,
    /// Show the first N rows.
    #[arg(long, value_name = "N", default_value_t = 20, conflicts_with = "all", value_parser = parse_top)]
    pub top: usize,
    /// Show every row.
    #[arg(long)]
    pub all: bool,
    /// Only these PIDs (comma-separated or repeated).
    #[arg(short, long = "pid", value_name = "PID", value_delimiter = ',', value_parser = clap::value_parser!(i32).range(1..))]
    pub pids: Vec<i32>,
    /// Only processes of these users (names or UIDs, comma-separated or repeated).
    #[arg(short, long = "user", value_name = "USER", value_delimiter = ',')]
    pub users: Vec<String>,
    /// Only commands matching this regular expression (on the raw name bytes; ASCII classes
    /// and ASCII `(?i)`, no `\p{..}`).
    #[arg(long, value_name = "REGEX")]
    pub comm: Option<String>,
    /// Only processes with a thread in one of these states, e.g. `D` or `D,R` or `DRT`.
    #[arg(long, value_name = "LETTERS", value_parser = parse_states)]
    pub state: Option<StateSet>,
    /// Hide kernel threads.
    #[arg(long)]
    pub no_kthreads: bool,
    /// Fold the CPU time of reaped children into their parent, like `pidstat -T ALL`
    /// (UTIME/STIME or %USR/%SYS include it; CUTIME/CSTIME columns show that part). Shell
    /// loops and build drivers whose work happens in short-lived children then show it.
    #[arg(long)]
    pub children: bool,
    /// Show the wall-clock START time instead of ELAPSED.
    #[arg(long)]
    pub start: bool,
    /// One row per thread (with `-i`: per-interval %USR/%SYS per thread).
    #[arg(long, conflicts_with = "by")]
    pub threads: bool,
    /// Timestamps in local time with its UTC offset instead of UTC (RFC 3339 either way).
    #[arg(long)]
    pub local_time: bool,
    /// With `-i`: exit 1 as soon as a process has stayed in D (a D thread in every sample)
    /// for SECS seconds, naming it on stderr.
    #[arg(long, value_name = "SECS", requires = "interval", value_parser = parse_age)]
    pub fail_on_d_age: Option<f64>,
    /// Roll processes up by command or user.
    #[arg(long, value_enum, value_name = "KEY")]
    pub by: Option<GroupKey>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Also read and fold /proc/TID/stack of D threads (needs root).
    #[arg(long)]
    pub stack: bool,
    /// Show at most N culprit groups.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = parse_top)]
    pub top: usize,
    /// Sample the task states over SECS seconds (several passes) and report the averages,
    /// with run-queue wait from schedstat; `0` reads one instant.
    #[arg(long, value_name = "SECS", default_value_t = 1.0, value_parser = parse_window)]
    pub window: f64,
    /// Nagios plugin mode on the number of D threads: exit 0 OK, 1 WARNING, 2 CRITICAL,
    /// 3 UNKNOWN, one status line with perfdata on stdout. Usage errors are UNKNOWN too.
    #[arg(long, conflicts_with_all = ["format", "output", "prom_file"])]
    pub nagios: bool,
    /// WARNING range for the D thread count (Nagios syntax: `10` alerts above 10, `5:10`
    /// outside 5..10, `@5:10` inside 5..10, `~:10` above 10 with no lower bound).
    #[arg(
        short,
        long,
        value_name = "RANGE",
        requires = "nagios",
        allow_hyphen_values = true
    )]
    pub warning: Option<String>,
    /// CRITICAL range for the D thread count (same syntax as -w).
    #[arg(
        short,
        long,
        value_name = "RANGE",
        requires = "nagios",
        allow_hyphen_values = true
    )]
    pub critical: Option<String>,
    /// With --nagios: UNKNOWN after SECS seconds (a stuck /proc read must not hang the check).
    #[arg(short = 't', long, value_name = "SECS", default_value_t = 10.0, requires = "nagios", value_parser = parse_window)]
    pub timeout: f64,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// Directory to create (must not exist or be empty).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub source: SourceArgs,
}

/// A set of state letters from `--state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateSet(pub Vec<u8>);

fn parse_interval(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.01..=86_400.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "`{s}` is not an interval; expected seconds between 0.01 and 86400, such as `1` or `0.5`"
        )),
    }
}

fn parse_window(s: &str) -> Result<f64, String> {
    match s.trim_end_matches('s').parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=3600.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "`{s}` is not a duration; expected seconds between 0 and 3600, such as `1` or `0.5`"
        )),
    }
}

fn parse_age(s: &str) -> Result<f64, String> {
    match s.trim_end_matches('s').parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!(
            "`{s}` is not a duration; expected seconds such as `30` or `30s`"
        )),
    }
}

fn parse_top(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "`{s}` is not a row count; expected a whole number >= 1 such as `20` (or `--all`)"
        )),
    }
}

fn parse_states(s: &str) -> Result<StateSet, String> {
    const KNOWN: &[u8] = b"RSDTtZXIPxKW";
    let letters: Vec<u8> = s.bytes().filter(|b| *b != b',' && *b != b' ').collect();
    if letters.is_empty() {
        return Err(format!(
            "`{s}` names no state; expected letters such as `D` or `D,R`"
        ));
    }
    if let Some(bad) = letters.iter().find(|b| !KNOWN.contains(b)) {
        return Err(format!(
            "`{}` is not a state letter; expected some of R S D T t Z X I P, e.g. `D,R`",
            char::from(*bad)
        ));
    }
    Ok(StateSet(letters))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_and_states_validate_with_the_bad_value() {
        assert_eq!(parse_interval("0.5"), Ok(0.5));
        for bad in ["0", "-1", "abc", "inf", "NaN"] {
            let e = parse_interval(bad).unwrap_err();
            assert!(
                e.contains(&format!("`{bad}`")) && e.contains("expected"),
                "{e}"
            );
        }
        assert_eq!(parse_states("D,R").unwrap().0, b"DR");
        assert!(parse_states("Q").unwrap_err().contains("`Q`"));
        assert!(parse_states(",").is_err());
        assert_eq!(parse_top("5"), Ok(5));
        assert!(parse_top("0").unwrap_err().contains("`0`"));
    }
}
