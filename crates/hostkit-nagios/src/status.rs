//! Plugin states and their exit codes (guidelines: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).

use serde::Serialize;

/// The state a plugin reports; the exit code is what the monitoring system acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    /// Exit 0.
    Ok,
    /// Exit 1.
    Warning,
    /// Exit 2.
    Critical,
    /// Exit 3: bad arguments, internal errors, `--help`, `--version`.
    Unknown,
}

impl Status {
    /// The process exit code for this state.
    pub fn code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Warning => 1,
            Status::Critical => 2,
            Status::Unknown => 3,
        }
    }

    /// The upper-case word used in the plugin line (`OK`, `WARNING`, ...).
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warning => "WARNING",
            Status::Critical => "CRITICAL",
            Status::Unknown => "UNKNOWN",
        }
    }

    /// Parses `ok`, `warning`, `critical`, `unknown` (any case).
    pub fn from_name(name: &str) -> Option<Status> {
        match name.to_ascii_lowercase().as_str() {
            "ok" => Some(Status::Ok),
            "warning" | "warn" => Some(Status::Warning),
            "critical" | "crit" => Some(Status::Critical),
            "unknown" => Some(Status::Unknown),
            _ => None,
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_labels() {
        let all = [
            Status::Ok,
            Status::Warning,
            Status::Critical,
            Status::Unknown,
        ];
        let codes: Vec<u8> = all.iter().map(|s| s.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3]);
        for s in all {
            assert_eq!(Status::from_name(s.label()), Some(s));
        }
        assert_eq!(Status::from_name("bogus"), None);
        assert!(Status::Critical > Status::Warning);
    }
}
