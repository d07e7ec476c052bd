//! Command-line grammar for `hostkit ntp`: `check` (a Nagios plugin, a better
//! `check_ntp_time`) and `drift` (ntpd/chrony drift files in human units).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum NtpCommand {
    // The help text lives on `CheckArgs` so that `CheckCli` (the fast path) shares it.
    Check(CheckArgs),
    /// Read an ntpd, ntpsec, chrony or macOS drift file and show it in ppm, ms/hour and s/day.
    ///
    /// Without FILE, the well-known locations are tried in order: /var/lib/chrony/chrony.drift,
    /// /var/lib/chrony/drift, /var/lib/ntpsec/ntp.drift, /var/lib/ntp/ntp.drift, /etc/ntp.drift,
    /// /var/db/ntp.drift. The format is detected (one number: ntpd; two: chrony) unless --kind
    /// is given. Signs differ: ntpd stores the correction it applies, chrony how fast the
    /// uncorrected clock runs; both are explained in the output.
    ///
    /// Examples:
    ///   hostkit ntp drift
    ///   hostkit ntp drift /var/lib/ntp/ntp.drift
    ///   hostkit ntp drift --kind macos /var/db/ntp.drift --format json
    #[command(verbatim_doc_comment)]
    Drift(DriftArgs),
}

/// Output formats of `ntp check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// The Nagios plugin line with perfdata, then one line per address.
    Nagios,
    /// A JSON document with per-server state and per-sample timestamps.
    Json,
    /// Prometheus text format (node_exporter textfile collector).
    Prometheus,
}

/// Output formats of `ntp drift`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DriftFormat {
    /// Human-readable lines (`text` is the old name, kept for one release).
    #[value(alias = "text")]
    Table,
    /// JSON.
    Json,
}

/// Plugins whose output can be reproduced byte for byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Compat {
    /// monitoring-plugins 2.3 `check_ntp_time` first line (lenient ranges, -q = UNKNOWN).
    #[value(name = "check_ntp_time")]
    CheckNtpTime,
}

/// What to report when no server could be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Unreachable {
    /// UNKNOWN (3): the check could not measure anything.
    Unknown,
    /// WARNING (1).
    Warning,
    /// CRITICAL (2), as check_ntp_time does.
    Critical,
}

/// Daemon formats of drift files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DriftKindArg {
    /// ntpd or ntpsec: one number, the correction applied to the kernel clock.
    Ntpd,
    /// chrony: frequency of the uncorrected clock and skew.
    Chrony,
    /// macOS 10.9-10.10 ntpd: like ntpd.
    Macos,
}

// `hostkit ntp check` parsed on its own: a Nagios check runs every minute on every host, so its
// start-up skips building the grammar of every other command (same flags, same help, which
// both come from `CheckArgs`).
#[derive(Debug, clap::Parser)]
#[command(name = "hostkit ntp check", max_term_width = 100, version)]
pub struct CheckCli {
    #[command(flatten)]
    pub args: CheckArgs,
}

/// Check the local clock against NTP servers (Nagios plugin, exit 0/1/2/3).
///
/// Every address of every -H is queried in parallel over SNTPv4 with a random origin
/// cookie; the minimum-delay sample of each address is kept, servers are ranked by root
/// distance, and the best one's offset is compared with -w/-c (on |offset| unless
/// --signed-thresholds). Unsynchronised servers (leap 3, stratum 0/16, root distance above
/// --max-root-distance), kiss-o'-death replies and silence are reported as what they are.
/// One --timeout covers name resolution and all queries. Usage errors are UNKNOWN (3).
///
/// Examples:
///   hostkit ntp check -H pool.ntp.org -w 0.5 -c 1
///   hostkit ntp check -H ntp1 -H ntp2 -H [2001:db8::1]:123 -n 4 --interval 0
///   hostkit ntp check -H 127.0.0.1 --format json
///   hostkit ntp check -H ntp1 --format prometheus --output /var/lib/node_exporter/ntp.prom
///   hostkit ntp check -H ntp1 -w 0.5 -c 1 --compat check_ntp_time
///
/// Installed as a symlink named `check_ntp_time`, hostkit accepts that plugin's options
/// (-H -p -w -c -o -t -4 -6 -v -q --extra-opts) and prints its monitoring-plugins 2.3 line.
/// `--compat check_ntp_time` keeps hostkit's flags but behaves as that plugin: -w/-c read
/// with C strtod (`inf`, `nan`, `0x1p3`), names resolved before -t starts, no root distance
/// limit, its first line.
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct CheckArgs {
    /// NTP server: HOST, HOST:PORT, [IPV6]:PORT or an address; repeat for more servers.
    #[arg(short = 'H', long = "host", value_name = "HOST", required = true)]
    pub hosts: Vec<String>,
    /// Default UDP port for servers given without one (a number or `ntp`).
    #[arg(short, long, default_value = "123", value_name = "PORT")]
    pub port: String,
    /// Query IPv4 addresses only.
    #[arg(short = '4', long = "ipv4", conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// Query IPv6 addresses only.
    #[arg(short = '6', long = "ipv6")]
    pub ipv6: bool,
    /// Valid samples wanted per address; the minimum-delay one is used.
    #[arg(short = 'n', long, default_value = "1", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=64))]
    pub samples: u32,
    /// Seconds between samples to one address (public servers rate-limit; use 0 for your own).
    #[arg(long, default_value = "2", value_name = "SECONDS")]
    pub interval: f64,
    /// Warning range for the offset in seconds ([@][start:][end], `~` = -infinity).
    #[arg(
        short,
        long,
        default_value = "60",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    pub warning: String,
    /// Critical range for the offset in seconds.
    #[arg(
        short,
        long,
        default_value = "120",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    pub critical: String,
    /// Apply -w/-c to the signed offset (e.g. `-w -0.5:0.2`) instead of its absolute value.
    #[arg(long)]
    pub signed_thresholds: bool,
    /// Warning range for the server's stratum (e.g. `4`).
    #[arg(long, value_name = "RANGE")]
    pub stratum_warning: Option<String>,
    /// Critical range for the server's stratum.
    #[arg(long, value_name = "RANGE")]
    pub stratum_critical: Option<String>,
    /// Refuse servers whose root distance (root delay / 2 + root dispersion, RFC 5905 §11.2:
    /// how far their clock may be from the reference) exceeds SECONDS; the message names the
    /// value (`root distance 10.2 s > 1.5 s`). Windows w32time servers often report ~10 s.
    /// Not with --compat (check_ntp_time has no such limit).
    #[arg(
        long,
        default_value = "1.5",
        value_name = "SECONDS",
        conflicts_with = "compat"
    )]
    pub max_root_distance: f64,
    /// Known offset of the servers in seconds, subtracted from the measured offset.
    #[arg(
        short = 'o',
        long,
        default_value = "0",
        value_name = "SECONDS",
        allow_negative_numbers = true
    )]
    pub expect_offset: f64,
    /// Overall deadline in seconds, name resolution included (fractions allowed).
    #[arg(short, long, default_value = "10", value_name = "SECONDS")]
    pub timeout: f64,
    /// State when no server answered at all (silence, refused port, unresolvable name).
    #[arg(long, value_enum, default_value = "critical", value_name = "STATE")]
    pub unreachable: Unreachable,
    /// Output format.
    #[arg(long, value_enum, default_value = "nagios")]
    pub format: CheckFormat,
    /// Write the output to FILE atomically (temp file + rename) instead of stdout (`-` is
    /// stdout), e.g. into node_exporter's textfile directory; the exit code is unchanged.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print the first line exactly as another plugin would.
    #[arg(long, value_enum, value_name = "PLUGIN", conflicts_with = "format")]
    pub compat: Option<Compat>,
    /// With --compat check_ntp_time: report "Offset unknown" as UNKNOWN (2.3 semantics).
    #[arg(short, long, requires = "compat")]
    pub quiet: bool,
    /// Add one line per sample (t1..t4, offset, delay) after the per-address lines.
    #[arg(short, long)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// The drift file (default: the first existing well-known path).
    pub file: Option<PathBuf>,
    /// The daemon that wrote it (default: detected from the number of values).
    #[arg(long, value_enum)]
    pub kind: Option<DriftKindArg>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: DriftFormat,
    /// Write the output to FILE atomically instead of stdout (`-` is stdout).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn fast_path_grammar_is_consistent_and_shares_the_help() {
        CheckCli::command().debug_assert();
        let fast = CheckCli::command().render_long_help().to_string();
        assert!(
            fast.contains("Every address of every -H is queried in parallel"),
            "{fast}"
        );
        assert!(fast.contains("--max-root-distance"), "{fast}");
    }
}
