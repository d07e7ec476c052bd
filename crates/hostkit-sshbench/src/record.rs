//! The results log: one JSON object per line, appended and flushed as each sample lands,
//! after a header record. Parsing tolerates a torn last line (a crash mid-write) and names
//! the line number of anything else that is malformed.
//!
//! CONTRACT (lead): S1 implements; extend, don't rename.

use serde::{Deserialize, Serialize};

use crate::plan::Trial;

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

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("the log has no header record (first line must be {{\"type\":\"header\",...}})")]
    NoHeader,
}

/// Serialises one record as a single line with a trailing `\n`.
pub fn to_line(record: &Record) -> String {
    let _ = record;
    todo!()
}

/// Parses a whole log.
pub fn parse_log(text: &str) -> Result<Log, LogError> {
    let _ = text;
    todo!()
}
