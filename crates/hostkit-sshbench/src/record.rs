//! The results log: one JSON object per line, appended and flushed as each sample lands,
//! after a header record. Parsing tolerates a torn last line (a crash mid-write) and names
//! the line number of anything else that is malformed.
//!
//! Layout (schema 2): `header`, then any mix of `ceiling` / `sample` / `unsupported` records,
//! then optionally `end`. A resumed run may append a second `header` with the same trial list
//! and more `end` records; the first header and the last `end` win.
//!
//! Schema 1 logs (fixed-cost subtraction, field names `wall_s`, ...) are still read: the old
//! names are serde aliases and a missing `method` means [`Method::FixedCost`].

use serde::{Deserialize, Serialize};

use crate::plan::Trial;

/// Log schema written by this version (2: in-connection window, unit-named fields).
pub const SCHEMA: u32 = 2;

/// How bulk rates were measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Schema 1: whole-connection wall time minus a zero-byte connection's (biased low for fast
    /// ciphers: the start-of-connection stall and scheduler placement are not removed).
    #[default]
    FixedCost,
    /// Schema 2: the remote command prints a marker line after a warm-up of W bytes and after
    /// N more; hostkit timestamps both on its own monotonic clock; rate = N / (t2 - t1).
    InConnectionWindow,
}

impl Method {
    /// Words for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Method::FixedCost => "fixed-cost subtraction, biased low for fast ciphers",
            Method::InConnectionWindow => "in-connection window (steady state)",
        }
    }
}

/// Where ssh and the private sshd ran (`sched_setaffinity(2)` before exec).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pinning {
    /// CPU the ssh client was pinned to.
    pub ssh_cpu: Option<usize>,
    /// CPU the private sshd (and its per-connection children) was pinned to.
    pub sshd_cpu: Option<usize>,
    /// Why something was not pinned (`--no-pin`, one CPU, remote server), when so.
    pub unpinned: Option<String>,
}

/// First line of every log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Log schema version (1 or 2).
    pub schema: u32,
    pub hostkit_version: String,
    /// `ssh -V` of the client used.
    pub ssh_version: String,
    /// Server identification line (from KEXINIT).
    pub server_version: String,
    pub cpu_model: String,
    /// Crypto-relevant CPU flags present (aes, pclmulqdq, avx2, vaes, sha_ni, ...).
    pub cpu_flags: Vec<String>,
    pub cpus: usize,
    pub kernel: String,
    /// `private-sshd` or `[user@]host[:port]`.
    pub target: String,
    pub started_unix: f64,
    pub seed: u64,
    /// The options the run was started with (free-form, for resume and reports).
    pub options: serde_json::Value,
    pub trials: Vec<Trial>,
    /// How bulk rates were measured (absent in schema 1 = fixed-cost subtraction).
    #[serde(default)]
    pub method: Method,
    /// CPU placement (absent in schema 1: unpinned).
    #[serde(default)]
    pub pinning: Pinning,
    /// Name of the machine that ran the bench (reports of many hosts key on it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// What both sides support (the recommendation lists all of it the policy allows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negotiable: Option<crate::algos::Negotiable>,
}

/// Algorithms ssh reported as negotiated (from its debug1 output).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Negotiated {
    pub kex: String,
    pub cipher_c2s: String,
    pub mac_c2s: String,
    pub cipher_s2c: String,
    pub mac_s2c: String,
}

/// What one run of a trial measured (the runner's result; a [`Sample`] adds where it belongs).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// Bytes timed (the window N for bulk samples, 0 for baselines and handshakes).
    pub bytes: u64,
    /// Bytes moved before the window opened (the warm-up W), 0 in schema 1.
    #[serde(default)]
    pub warmup_bytes: u64,
    /// Seconds between the marker lines that open and close the timed window (schema 2 bulk
    /// samples).
    #[serde(default, rename = "window_seconds")]
    pub window_s: Option<f64>,
    /// Seconds from the start of the transfer (the remote command's first marker line) to the
    /// window opening: how long the warm-up really took, start-of-connection stall included.
    /// Absent in logs written before hostkit 0.4.
    #[serde(default, rename = "warmup_seconds")]
    pub warmup_s: Option<f64>,
    /// Downloads: the short segment S timed between the warm-up and the window (about a tenth
    /// of N). Restarting the remote `head` stalls a download's source; the stall and the ramp
    /// after it cost each window ~5 ms, so the rate is (N - S) / (window - restart), which
    /// cancels it. 0 and absent for uploads (the channel window absorbs the restart) and in
    /// logs written before hostkit 0.5.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub restart_bytes: u64,
    /// Seconds between the marker lines around the restart segment S (downloads).
    #[serde(
        default,
        rename = "restart_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub restart_s: Option<f64>,
    /// The connection was set up ahead, while the sample before it was warming up, and waited
    /// (authenticated, remote shell blocked on a FIFO) until that sample had ended.
    #[serde(default, rename = "connected_ahead")]
    pub connected_ahead: bool,
    /// Wall seconds from spawning ssh to reaping it (from releasing the gate to reaping it
    /// when `connected_ahead`).
    #[serde(rename = "wall_seconds", alias = "wall_s")]
    pub wall_s: f64,
    /// ssh's own CPU seconds (wait4 rusage).
    #[serde(rename = "client_user_seconds", alias = "client_user_s")]
    pub client_user_s: f64,
    #[serde(rename = "client_sys_seconds", alias = "client_sys_s")]
    pub client_sys_s: f64,
    /// Server CPU seconds, when they could be read (see `sys::runner`).
    #[serde(rename = "server_user_seconds", alias = "server_user_s", default)]
    pub server_user_s: Option<f64>,
    #[serde(rename = "server_sys_seconds", alias = "server_sys_s", default)]
    pub server_sys_s: Option<f64>,
    /// 1-minute load average at the end of the sample.
    pub load1: f64,
    /// Re-keys observed inside the sample (NEWKEYS count - 1).
    pub rekeys: u32,
    /// What ssh reported as negotiated (already verified against the trial).
    pub negotiated: Negotiated,
}

impl Measurement {
    /// Client user + system CPU seconds.
    pub fn client_cpu_s(&self) -> f64 {
        self.client_user_s + self.client_sys_s
    }

    /// Server user + system CPU seconds, when both were measured.
    pub fn server_cpu_s(&self) -> Option<f64> {
        Some(self.server_user_s? + self.server_sys_s?)
    }

    /// Every payload byte of the connection (warm-up, restart segment and window).
    pub fn total_bytes(&self) -> u64 {
        self.bytes + self.warmup_bytes + self.restart_bytes
    }

    /// Bytes and seconds the steady rate is taken over: the window, less the restart segment
    /// timed before it when there is one (downloads); `None` without a window.
    pub fn timed(&self) -> Option<(u64, f64)> {
        let window = self.window_s?;
        match self.restart_s {
            Some(restart) if self.restart_bytes > 0 => Some((
                self.bytes.saturating_sub(self.restart_bytes),
                window - restart,
            )),
            _ => Some((self.bytes, window)),
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One measured sample: a [`Measurement`] and where it belongs (its fields are read through
/// `Deref`, and written flat on the log line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub trial: String,
    pub round: u32,
    /// Warm-up and probe samples are logged but not used in statistics.
    pub warmup: bool,
    pub unix_time: f64,
    #[serde(flatten)]
    pub measured: Measurement,
}

impl std::ops::Deref for Sample {
    type Target = Measurement;
    fn deref(&self) -> &Measurement {
        &self.measured
    }
}

/// The single-core speed of one primitive in the local OpenSSL (`openssl speed -evp`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ceiling {
    /// The SSH name (`aes128-ctr`, `hmac-sha2-256`).
    pub name: String,
    /// MB/s (10^6 bytes per second) on 16 KiB blocks.
    pub mb_per_s: f64,
    /// What was run, e.g. `openssl speed -evp aes-128-ctr -bytes 16384 -seconds 1`.
    pub command: String,
}

/// A trial the server (or client) refused; recorded, and the run goes on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unsupported {
    pub trial: String,
    pub reason: String,
}

/// Written when a run ends normally or is interrupted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct End {
    /// `complete`, `interrupted`, `failed: ...`
    pub status: String,
    pub unix_time: f64,
    /// hostkit's own user + system CPU seconds up to here (its threads only: ssh, sshd and
    /// the other processes it started are not counted). Absent from older logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_cpu_seconds: Option<f64>,
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[allow(
    clippy::large_enum_variant,
    reason = "one header per log; records are built one line at a time, never stored in bulk"
)]
pub enum Record {
    Header(Header),
    Sample(Sample),
    Unsupported(Unsupported),
    Ceiling(Ceiling),
    End(End),
}

/// A parsed log.
#[derive(Debug, Clone, PartialEq)]
pub struct Log {
    pub header: Header,
    pub samples: Vec<Sample>,
    pub unsupported: Vec<Unsupported>,
    /// Crypto ceilings measured at the start of the run.
    pub ceilings: Vec<Ceiling>,
    pub end: Option<End>,
    /// True when the last line was torn (ignored).
    pub torn_tail: bool,
}

impl Log {
    /// Non-warm-up samples of `trial`, in log order.
    pub fn samples_of<'a>(&'a self, trial: &'a str) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples
            .iter()
            .filter(move |s| s.trial == trial && !s.warmup)
    }
}

/// Why a results log cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("the log has no header record (first line must be {{\"type\":\"header\",...}})")]
    NoHeader,
}

/// Serialises one record as a single line with a trailing `\n`.
///
/// Non-finite numbers (which JSON cannot hold and would make the line unreadable) are written
/// as 0, or as `null` where the field is optional, so one bad measurement never poisons a log.
pub fn to_line(record: &Record) -> String {
    let clean = sanitized(record);
    // Serialising these plain structs cannot fail (string keys only, finite numbers).
    let mut line = serde_json::to_string(&clean).expect("records serialise to JSON");
    line.push('\n');
    line
}

fn finite(v: f64) -> f64 {
    if v.is_finite() { v } else { 0.0 }
}

fn finite_opt(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

fn sanitized(record: &Record) -> Record {
    let mut r = record.clone();
    match &mut r {
        Record::Header(h) => h.started_unix = finite(h.started_unix),
        Record::Sample(s) => {
            s.unix_time = finite(s.unix_time);
            let m = &mut s.measured;
            for v in [
                &mut m.wall_s,
                &mut m.client_user_s,
                &mut m.client_sys_s,
                &mut m.load1,
            ] {
                *v = finite(*v);
            }
            m.server_user_s = finite_opt(m.server_user_s);
            m.server_sys_s = finite_opt(m.server_sys_s);
            m.window_s = finite_opt(m.window_s);
            m.restart_s = finite_opt(m.restart_s);
        }
        Record::Ceiling(c) => c.mb_per_s = finite(c.mb_per_s),
        Record::End(e) => e.unix_time = finite(e.unix_time),
        Record::Unsupported(_) => {}
    }
    r
}

/// Parses a whole log.
pub fn parse_log(text: &str) -> Result<Log, LogError> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    let last_line = lines.last().map(|(n, _)| *n);
    let complete_tail = text.ends_with('\n');
    let mut header: Option<Header> = None;
    let mut log_parts = (Vec::new(), Vec::new(), None);
    let mut ceilings = Vec::new();
    let mut torn_tail = false;
    for (n, line) in lines {
        let record = match serde_json::from_str::<Record>(line) {
            Ok(r) => r,
            Err(e) if Some(n) == last_line && (!complete_tail || e.is_eof()) => {
                torn_tail = true;
                break;
            }
            Err(e) => return Err(line_error(n, line, &e)),
        };
        match (record, &header) {
            (Record::Header(h), None) => header = Some(h),
            (Record::Header(h), Some(first)) => {
                if h.trials != first.trials {
                    return Err(LogError::Line {
                        line: n,
                        message: "a second header with a different trial list (two runs in one file?)\nhint: give each run its own `--log` file".to_owned(),
                    });
                }
            }
            (_, None) => return Err(LogError::NoHeader),
            (Record::Sample(s), Some(_)) => log_parts.0.push(s),
            (Record::Unsupported(u), Some(_)) => log_parts.1.push(u),
            (Record::Ceiling(c), Some(_)) => ceilings.push(c),
            (Record::End(e), Some(_)) => log_parts.2 = Some(e),
        }
    }
    let header = header.ok_or(LogError::NoHeader)?;
    if header.schema > SCHEMA {
        return Err(LogError::Line {
            line: 1,
            message: format!(
                "log schema `{}` is newer than this hostkit understands (`{SCHEMA}`)\nhint: analyse it with the hostkit version that wrote it",
                header.schema
            ),
        });
    }
    Ok(Log {
        header,
        samples: log_parts.0,
        unsupported: log_parts.1,
        ceilings,
        end: log_parts.2,
        torn_tail,
    })
}

fn line_error(n: usize, line: &str, e: &serde_json::Error) -> LogError {
    let shown: String = line.chars().take(60).collect();
    let more = if line.chars().count() > 60 { "..." } else { "" };
    // serde_json appends " at line 1 column N" (always line 1 here): keep only the column.
    let mut what = e.to_string();
    if let Some(i) = what.rfind(" at line ") {
        what.truncate(i);
    }
    LogError::Line {
        line: n,
        message: format!(
            "not a log record ({what} at column {}): `{shown}{more}`\nhint: every line must be one JSON record written by `hostkit ssh bench`; remove or repair this one",
            e.column()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Direction, TrialKind};

    pub(crate) fn header() -> Header {
        Header {
            schema: 1,
            hostkit_version: "0.1.0".into(),
            ssh_version: "OpenSSH_9.2p1".into(),
            server_version: "SSH-2.0-OpenSSH_9.2p1".into(),
            cpu_model: "test cpu".into(),
            cpu_flags: vec!["aes".into()],
            cpus: 2,
            kernel: "6.1".into(),
            target: "private-sshd".into(),
            started_unix: 1.0,
            seed: 7,
            options: serde_json::json!({"sample_time": 1.0}),
            trials: vec![Trial::new(TrialKind::Baseline {
                direction: Direction::Up,
            })],
            method: Method::InConnectionWindow,
            pinning: Pinning::default(),
            hostname: None,
            negotiable: None,
        }
    }

    fn sample(trial: &str, wall: f64) -> Sample {
        Sample {
            trial: trial.into(),
            round: 0,
            warmup: false,
            unix_time: 2.0,
            measured: Measurement {
                bytes: 1 << 20,
                wall_s: wall,
                client_user_s: 0.1,
                client_sys_s: 0.05,
                server_user_s: Some(0.2),
                load1: 0.5,
                ..Measurement::default()
            },
        }
    }

    fn log_text(records: &[Record]) -> String {
        records.iter().map(to_line).collect()
    }

    #[test]
    fn round_trip() {
        let recs = vec![
            Record::Header(header()),
            Record::Sample(sample("baseline/up", 0.25)),
            Record::Unsupported(Unsupported {
                trial: "bulk/up/x/y/z".into(),
                reason: "no matching cipher".into(),
            }),
            Record::End(End {
                status: "complete".into(),
                unix_time: 3.0,
                own_cpu_seconds: None,
            }),
        ];
        let text = log_text(&recs);
        assert_eq!(text.lines().count(), 4);
        assert!(text.starts_with("{\"type\":\"header\""));
        let log = parse_log(&text).unwrap();
        assert_eq!(log.header, header());
        assert_eq!(log.samples, vec![sample("baseline/up", 0.25)]);
        assert_eq!(log.unsupported.len(), 1);
        assert_eq!(log.end.unwrap().status, "complete");
        assert!(!log.torn_tail);
        assert_eq!(sample("a", 1.0).server_cpu_s(), None);
        assert!((sample("a", 1.0).client_cpu_s() - 0.15).abs() < 1e-12);
    }

    #[test]
    fn non_finite_numbers_never_make_a_line_unreadable() {
        let mut bad = sample("baseline/up", f64::NAN);
        bad.measured.load1 = f64::INFINITY;
        bad.measured.server_user_s = Some(f64::NAN);
        let text = log_text(&[Record::Header(header()), Record::Sample(bad)]);
        let log = parse_log(&text).unwrap();
        let s = &log.samples[0];
        assert_eq!((s.wall_s, s.load1, s.server_user_s), (0.0, 0.0, None));
    }

    #[test]
    fn torn_tail_is_ignored() {
        let mut text = log_text(&[
            Record::Header(header()),
            Record::Sample(sample("baseline/up", 0.3)),
        ]);
        let full = to_line(&Record::Sample(sample("baseline/up", 0.4)));
        text.push_str(&full[..full.len() / 2]);
        let log = parse_log(&text).unwrap();
        assert!(log.torn_tail);
        assert_eq!(log.samples.len(), 1);
    }

    #[test]
    fn malformed_middle_line_names_its_number() {
        let mut text = log_text(&[Record::Header(header())]);
        text.push_str("{\"type\":\"sample\",\"trial\":\n");
        text.push_str(&to_line(&Record::Sample(sample("baseline/up", 0.3))));
        let err = parse_log(&text).unwrap_err();
        assert!(matches!(err, LogError::Line { line: 2, .. }), "{err}");
        let msg = err.to_string();
        assert!(
            msg.starts_with("line 2: not a log record (EOF while parsing"),
            "{msg}"
        );
        assert!(!msg.contains("line 1"), "{msg}");
        assert!(msg.contains("\nhint: "), "{msg}");
    }

    #[test]
    fn complete_but_invalid_last_line_is_an_error() {
        let mut text = log_text(&[Record::Header(header())]);
        text.push_str("{\"type\":\"bogus\"}\n");
        assert!(matches!(
            parse_log(&text),
            Err(LogError::Line { line: 2, .. })
        ));
    }

    #[test]
    fn missing_header() {
        assert!(matches!(parse_log(""), Err(LogError::NoHeader)));
        let text = to_line(&Record::Sample(sample("baseline/up", 0.3)));
        assert!(matches!(parse_log(&text), Err(LogError::NoHeader)));
    }

    #[test]
    fn resumed_log_with_repeated_header_and_two_ends() {
        let text = log_text(&[
            Record::Header(header()),
            Record::End(End {
                status: "interrupted".into(),
                unix_time: 2.0,
                own_cpu_seconds: None,
            }),
            Record::Header(header()),
            Record::Sample(sample("baseline/up", 0.3)),
            Record::End(End {
                status: "complete".into(),
                unix_time: 4.0,
                own_cpu_seconds: None,
            }),
        ]);
        let log = parse_log(&text).unwrap();
        assert_eq!(log.end.unwrap().status, "complete");
        assert_eq!(log.samples.len(), 1);
        let mut other = header();
        other.trials.clear();
        let text = log_text(&[Record::Header(header()), Record::Header(other)]);
        assert!(parse_log(&text).unwrap_err().to_string().contains("hint:"));
    }

    #[test]
    fn schema_1_log_with_old_field_names_is_read_as_fixed_cost() {
        let text = concat!(
            r#"{"type":"header","schema":1,"hostkit_version":"0.1.0","ssh_version":"x","server_version":"y","cpu_model":"","cpu_flags":[],"cpus":2,"kernel":"6.1","target":"private-sshd","started_unix":1.0,"seed":3,"options":{},"trials":[{"id":"baseline/up","kind":"baseline","direction":"up"}]}"#,
            "\n",
            r#"{"type":"sample","trial":"baseline/up","round":1,"warmup":false,"bytes":0,"wall_s":0.25,"client_user_s":0.01,"client_sys_s":0.02,"server_user_s":0.1,"server_sys_s":null,"load1":0.5,"rekeys":0,"negotiated":{"kex":"k","cipher_c2s":"","mac_c2s":"","cipher_s2c":"","mac_s2c":""},"unix_time":2.0}"#,
            "\n"
        );
        let log = parse_log(text).unwrap();
        assert_eq!(log.header.method, Method::FixedCost);
        assert_eq!(log.header.pinning, Pinning::default());
        let s = &log.samples[0];
        assert_eq!((s.wall_s, s.client_sys_s, s.window_s), (0.25, 0.02, None));
        assert_eq!(s.server_user_s, Some(0.1));
        // Written back with the schema 2 names.
        let line = to_line(&Record::Sample(s.clone()));
        assert!(line.contains("\"wall_seconds\":0.25"), "{line}");
        assert!(!line.contains("wall_s\""), "{line}");
    }

    #[test]
    fn newer_schema_is_refused() {
        let mut h = header();
        h.schema = 99;
        let err = parse_log(&to_line(&Record::Header(h))).unwrap_err();
        assert!(err.to_string().contains("`99`"));
    }

    #[test]
    fn blank_lines_are_skipped_and_crlf_tolerated() {
        let text = log_text(&[
            Record::Header(header()),
            Record::Sample(sample("baseline/up", 0.3)),
        ])
        .replace('\n', "\r\n\n");
        assert_eq!(parse_log(&text).unwrap().samples.len(), 1);
    }

    #[test]
    fn samples_of_skips_warmup() {
        let mut warm = sample("baseline/up", 9.0);
        warm.warmup = true;
        let text = log_text(&[
            Record::Header(header()),
            Record::Sample(warm),
            Record::Sample(sample("baseline/up", 0.3)),
        ]);
        let log = parse_log(&text).unwrap();
        let walls: Vec<f64> = log.samples_of("baseline/up").map(|s| s.wall_s).collect();
        assert_eq!(walls, vec![0.3]);
    }
}
