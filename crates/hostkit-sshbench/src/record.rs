//! The results log: one JSON object per line, appended and flushed as each sample lands,
//! after a header record. Parsing tolerates a torn last line (a crash mid-write) and names
//! the line number of anything else that is malformed.
//!
//! Layout (schema 1): `header`, then any mix of `sample` / `unsupported` records, then
//! optionally `end`. A resumed run may append a second `header` with the same trial list and
//! more `end` records; the first header and the last `end` win.

use serde::{Deserialize, Serialize};

use crate::plan::Trial;

/// Log schema written by this version.
pub const SCHEMA: u32 = 1;

/// First line of every log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Log schema version (1).
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

/// One measured sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub trial: String,
    pub round: u32,
    /// Warm-up and probe samples are logged but not used in statistics.
    pub warmup: bool,
    pub bytes: u64,
    pub wall_s: f64,
    pub client_user_s: f64,
    pub client_sys_s: f64,
    pub server_user_s: Option<f64>,
    pub server_sys_s: Option<f64>,
    pub load1: f64,
    /// Re-keys observed inside the sample (NEWKEYS count - 1).
    pub rekeys: u32,
    pub negotiated: Negotiated,
    pub unix_time: f64,
}

impl Sample {
    /// Client user + system CPU seconds.
    pub fn client_cpu_s(&self) -> f64 {
        self.client_user_s + self.client_sys_s
    }

    /// Server user + system CPU seconds, when both were measured.
    pub fn server_cpu_s(&self) -> Option<f64> {
        Some(self.server_user_s? + self.server_sys_s?)
    }
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
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    Header(Header),
    Sample(Sample),
    Unsupported(Unsupported),
    End(End),
}

/// A parsed log.
#[derive(Debug, Clone, PartialEq)]
pub struct Log {
    pub header: Header,
    pub samples: Vec<Sample>,
    pub unsupported: Vec<Unsupported>,
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
            for v in [
                &mut s.wall_s,
                &mut s.client_user_s,
                &mut s.client_sys_s,
                &mut s.load1,
                &mut s.unix_time,
            ] {
                *v = finite(*v);
            }
            s.server_user_s = finite_opt(s.server_user_s);
            s.server_sys_s = finite_opt(s.server_sys_s);
        }
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
                        message: "a second header with a different trial list (two runs in one file?)\nhint: give each run its own `--out` file".to_owned(),
                    });
                }
            }
            (_, None) => return Err(LogError::NoHeader),
            (Record::Sample(s), Some(_)) => log_parts.0.push(s),
            (Record::Unsupported(u), Some(_)) => log_parts.1.push(u),
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
            hostname: None,
            negotiable: None,
        }
    }

    fn sample(trial: &str, wall: f64) -> Sample {
        Sample {
            trial: trial.into(),
            round: 0,
            warmup: false,
            bytes: 1 << 20,
            wall_s: wall,
            client_user_s: 0.1,
            client_sys_s: 0.05,
            server_user_s: Some(0.2),
            server_sys_s: None,
            load1: 0.5,
            rekeys: 0,
            negotiated: Negotiated::default(),
            unix_time: 2.0,
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
        bad.load1 = f64::INFINITY;
        bad.server_user_s = Some(f64::NAN);
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
            }),
            Record::Header(header()),
            Record::Sample(sample("baseline/up", 0.3)),
            Record::End(End {
                status: "complete".into(),
                unix_time: 4.0,
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
