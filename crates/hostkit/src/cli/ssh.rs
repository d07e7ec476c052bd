//! Command-line grammar for `hostkit ssh`: `bench`, `algos` and `report`. Declarations only;
//! `commands/ssh/` does the work.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum SshCommand {
    /// Rank ciphers x MACs by throughput and key exchanges by handshake cost.
    ///
    /// Without TARGET, hostkit starts a private sshd on 127.0.0.1 (ephemeral keys, every
    /// algorithm the local OpenSSH knows, stopped on exit) and benchmarks against it. With
    /// TARGET (`[user@]host[:port]`), it connects with your keys, never prompting.
    ///
    /// The server's algorithms are read from its KEXINIT in one connection, intersected with
    /// `ssh -Q`, de-duplicated (AEAD ciphers once, kex aliases once) and measured in randomized,
    /// interleaved rounds until each median is known within 3 % (or `--max-runs` / the time
    /// budget). Every sample is appended to a JSON-lines log as it lands; `--resume` continues an
    /// interrupted run.
    ///
    /// Examples:
    ///   hostkit ssh bench
    ///   hostkit ssh bench --ciphers 'aes*gcm*,chacha20*' --direction both
    ///   hostkit ssh bench admin@db1:2222 --policy hardened --top 5
    ///   hostkit ssh bench --dry-run --matrix full
    ///   hostkit ssh bench --resume hostkit-ssh-bench-20261129-070000-private-sshd.jsonl
    #[command(verbatim_doc_comment)]
    Bench(Box<BenchArgs>),
    /// List what the client and the server offer, side by side, with security ratings.
    ///
    /// The client side comes from `ssh -Q`, the server side from its KEXINIT (one TCP connection,
    /// no login). Without TARGET a private sshd is started and asked.
    ///
    /// Examples:
    ///   hostkit ssh algos
    ///   hostkit ssh algos db1 --format json | jq '.server.ciphers_c2s'
    ///   hostkit ssh algos db1 --policy hardened || echo "db1 offers what the policy rejects"
    ///   hostkit ssh algos db1 --policy ./corp-policy.conf --format json
    #[command(verbatim_doc_comment)]
    Algos(AlgosArgs),
    /// Re-analyse result logs: hostkit JSON-lines logs or ssh-performance.sh logs.
    ///
    /// Examples:
    ///   hostkit ssh report results.jsonl
    ///   hostkit ssh report results.jsonl --format markdown --top 10
    ///   hostkit ssh report results.jsonl --format svg --output ranking.svg
    ///   hostkit ssh report results.jsonl --format html --output report.html
    ///   hostkit ssh report web1.jsonl web2.jsonl db1.jsonl      # one table, HOST column
    ///   hostkit ssh report --compare before.jsonl after.jsonl
    ///   ssh web1 'cat hostkit-ssh-bench-*.jsonl' | hostkit ssh report -
    ///   hostkit ssh report seed-run.log --policy stribika
    #[command(verbatim_doc_comment)]
    Report(ReportArgs),
}

/// Where to connect and which binaries to use.
#[derive(Debug, Args)]
pub struct Connection {
    /// `[user@]host[:port]`; default: a private sshd started by hostkit on 127.0.0.1.
    pub target: Option<String>,
    /// ssh client binary to measure (e.g. an HPN-SSH build).
    #[arg(long, value_name = "PATH")]
    pub ssh: Option<PathBuf>,
    /// sshd binary for the private server.
    #[arg(long, value_name = "PATH")]
    pub sshd: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub conn: Connection,
    /// Ciphers to measure: comma list, `*` globs (e.g. `aes*-gcm*,chacha20*`). Default: all.
    #[arg(long, value_name = "LIST")]
    pub ciphers: Option<String>,
    /// MACs to measure: comma list, `*` globs (e.g. `*-etm@openssh.com`). Default: all.
    #[arg(long, value_name = "LIST")]
    pub macs: Option<String>,
    /// Key exchanges to measure: comma list, `*` globs. Default: all.
    #[arg(long, value_name = "LIST")]
    pub kex: Option<String>,
    /// `dedup`: AEAD once, kex measured apart from bulk; `full`: the seed's cartesian product
    /// minus AEAD duplicates (`--dry-run` lists every trial) [default: dedup].
    #[arg(long, value_enum)]
    pub matrix: Option<MatrixArg>,
    /// Data direction of bulk trials [default: up].
    #[arg(long, value_enum)]
    pub direction: Option<DirectionArg>,
    /// Seconds of the timed window of each bulk sample (it opens ~0.37 s after the transfer
    /// starts, ~0.8 s in a download, inside the same connection; sizes come from a few short
    /// probes) [default: 0.25].
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub sample_time: Option<f64>,
    /// Samples per trial before adaptive stopping may end it [default: 3].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub min_runs: Option<u32>,
    /// Most samples per trial [default: 10].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_runs: Option<u32>,
    /// Extra adaptive rounds start only if they fit in this many seconds of run time (counted
    /// from start-up: discovery and the crypto ceiling are inside it); at 1.2x the budget the run
    /// stops even inside the `--min-runs` rounds (the ranking then rests on fewer samples for
    /// some trials). The default keeps a whole run under 5 minutes.
    #[arg(long, value_name = "SECONDS", default_value = "240", value_parser = parse_seconds)]
    pub time_budget: f64,
    /// Rows in the ranking (and trials kept sampling by adaptive stopping).
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub top: u32,
    /// Policy for the recommendation: a preset or a policy FILE (sshd_config-style
    /// `Ciphers`/`MACs`/`KexAlgorithms`/`HostKeyAlgorithms` lines).
    #[arg(long, value_name = "NAME|FILE", default_value = "hardened", value_parser = PolicyParser)]
    pub policy: PolicyArg,
    /// How the recommended lists are written: `exact` (the full allowed list) or `prepend`
    /// (OpenSSH's `^` form, 8.1 or later: these first, OpenSSH's defaults behind them).
    #[arg(long, value_enum, default_value_t = StyleArg::Exact)]
    pub style: StyleArg,
    /// Skip handshake (kex) trials.
    #[arg(long)]
    pub no_kex: bool,
    /// Skip bulk (cipher x MAC) trials.
    #[arg(long)]
    pub no_bulk: bool,
    /// Results log (JSON lines), created new. Default: `hostkit-ssh-bench-DATE-TARGET.jsonl`
    /// here. (`--out` is an old spelling.)
    #[arg(long, value_name = "FILE", conflicts_with = "resume", alias = "out")]
    pub log: Option<PathBuf>,
    /// Write the rendered ranking (or the `--dry-run` plan) to FILE atomically instead of
    /// stdout (`-` is stdout). The results log is `--log`.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Continue an interrupted run from its log: plan, seed, target and the options that shape
    /// the measurement come from the log (giving a different one is an error).
    #[arg(long, value_name = "FILE")]
    pub resume: Option<PathBuf>,
    /// Skip the crypto ceiling (`openssl speed`, ~1 s per cipher and MAC of the plan, once per
    /// run).
    #[arg(long)]
    pub no_ceiling: bool,
    /// Do not pin ssh and the private sshd to separate CPUs (rates of fast ciphers then depend
    /// on where the scheduler puts them).
    #[arg(long)]
    pub no_pin: bool,
    /// Print the plan and exit without measuring.
    #[arg(long)]
    pub dry_run: bool,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = BenchFormat::Table)]
    pub format: BenchFormat,
    /// Seed of the randomized order (default: from the clock; recorded in the log).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

#[derive(Debug, Args)]
pub struct AlgosArgs {
    #[command(flatten)]
    pub conn: Connection,
    /// Judge the server's offer by a policy (a preset or a policy FILE): exit 0 when it offers
    /// nothing the policy rejects, 1 when it does (they are listed), 2 on error.
    #[arg(long, value_name = "NAME|FILE", value_parser = PolicyParser)]
    pub policy: Option<PolicyArg>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = BenchFormat::Table)]
    pub format: BenchFormat,
    /// Write the rendered output to FILE atomically instead of stdout (`-` is stdout).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// hostkit JSON-lines logs or ssh-performance.sh logs (`-` reads stdin). Logs of one host
    /// with the same plan are merged; logs of several hosts share one table with a HOST column.
    #[arg(value_name = "LOG", required_unless_present = "compare")]
    pub logs: Vec<PathBuf>,
    /// Compare two logs: per combination the ratio B/A with a verdict (`faster`, `slower`, or
    /// `tied` when the 95 % CIs overlap).
    #[arg(long, num_args = 2, value_names = ["A", "B"], conflicts_with = "logs")]
    pub compare: Option<Vec<PathBuf>>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Rows in the ranking (a chart of more than 15 rows gets its axis at the top as well).
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub top: u32,
    /// Policy for the recommendation: a preset or a policy FILE.
    #[arg(long, value_name = "NAME|FILE", default_value = "hardened", value_parser = PolicyParser)]
    pub policy: PolicyArg,
    /// How the recommended lists are written (`exact` or `prepend`, OpenSSH's `^` form).
    #[arg(long, value_enum, default_value_t = StyleArg::Exact)]
    pub style: StyleArg,
    /// Write the report to FILE (atomically: a temp file renamed into place); `-` = stdout.
    #[arg(long, value_name = "FILE", alias = "out")]
    pub output: Option<PathBuf>,
}

/// `--policy`: a preset name or a policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyArg {
    Preset(String),
    File(PathBuf),
}

impl PolicyArg {
    /// The preset name or the file path, as given.
    pub fn label(&self) -> String {
        match self {
            PolicyArg::Preset(n) => n.clone(),
            PolicyArg::File(p) => p.display().to_string(),
        }
    }
}

/// Recorded in the log header's options as the string given.
impl serde::Serialize for PolicyArg {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.label())
    }
}

/// Presets with their one-line help, for `--help` and shell completion.
pub const POLICY_PRESETS: &[(&str, &str)] = &[
    (
        "hardened",
        "ssh-audit's hardening guide for OpenSSH 9.2 (AEAD/CTR, EtM MACs, PQ/curve25519/DH16+)",
    ),
    (
        "stribika",
        "\"Secure Secure Shell\" (2015): CTR/AEAD, SHA-2 MACs, curve25519 and DH-GEX",
    ),
    ("openssh-default", "OpenSSH 9.2's compiled-in defaults"),
    ("good", "everything the rating database rates good"),
    ("all", "everything (no security filter)"),
];

/// Parses `--policy`: a preset (completed by shells) or anything path-like as a FILE.
#[derive(Debug, Clone, Copy)]
pub struct PolicyParser;

impl clap::builder::TypedValueParser for PolicyParser {
    type Value = PolicyArg;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<PolicyArg, clap::Error> {
        let s = value.to_string_lossy();
        if POLICY_PRESETS.iter().any(|(n, _)| *n == s) {
            return Ok(PolicyArg::Preset(s.into_owned()));
        }
        let path = PathBuf::from(value);
        if s.contains('/') || s.contains('.') || path.exists() {
            return Ok(PolicyArg::File(path));
        }
        let names: Vec<&str> = POLICY_PRESETS.iter().map(|(n, _)| *n).collect();
        Err(clap::Error::raw(
            clap::error::ErrorKind::InvalidValue,
            format!(
                "unknown policy `{s}`: expected one of `{}`, or a policy file path (e.g. `./policy.conf`)\n",
                names.join("`, `")
            ),
        ))
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(POLICY_PRESETS.iter().map(|(n, h)| {
            clap::builder::PossibleValue::new(*n).help(*h)
        })))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StyleArg {
    /// The full allowed list: nothing else is negotiable.
    Exact,
    /// `^list`: these first, OpenSSH's defaults behind them (OpenSSH 8.1 or later).
    Prepend,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MatrixArg {
    Dedup,
    Full,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DirectionArg {
    Up,
    Down,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Csv,
    Markdown,
    /// A standalone SVG chart (ranking, handshake panel, cipher x MAC heatmap).
    Svg,
    /// One self-contained HTML page: tables and charts inline, for sharing.
    Html,
}

/// A positive number of seconds (`0.3`, `2`), at most one hour.
fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.trim_end_matches('s').parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 3600.0 => Ok(v),
        _ => Err(format!(
            "`{s}` is not a duration in seconds; expected a positive number up to 3600, e.g. `0.3`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_parser_names_the_expected_form() {
        assert_eq!(parse_seconds("0.3"), Ok(0.3));
        assert_eq!(parse_seconds("2s"), Ok(2.0));
        for bad in ["0", "-1", "abc", "NaN", "inf", "7200"] {
            let e = parse_seconds(bad).unwrap_err();
            assert!(
                e.contains(&format!("`{bad}`")) && e.contains("expected"),
                "{e}"
            );
        }
    }
}
