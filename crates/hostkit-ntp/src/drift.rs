//! Drift files of NTP daemons. ntpd/ntpsec (and macOS 10.9-10.10 ntpd): one number, the
//! frequency correction in ppm handed to the kernel (`%.3f`, clamped to ±500). chrony: two
//! numbers, frequency and skew in ppm, where frequency is how fast the *uncorrected* clock runs
//! (positive gains time; chrony's sys_timex.c hands the kernel the negated value). So on the same
//! hardware chrony's number is about minus ntpd's.

use serde::Serialize;
use thiserror::Error;

/// Which daemon wrote the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DriftKind {
    /// ntpd or ntpsec: one number, the kernel frequency correction.
    Ntpd,
    /// chronyd: frequency and skew.
    Chrony,
    /// macOS ntpd (10.9-10.10), same format and sign as ntpd.
    Macos,
}

impl DriftKind {
    /// Parses `ntpd`, `ntpsec`, `chrony`, `macos`.
    pub fn from_name(name: &str) -> Option<DriftKind> {
        match name {
            "ntpd" | "ntpsec" | "ntp" => Some(DriftKind::Ntpd),
            "chrony" | "chronyd" => Some(DriftKind::Chrony),
            "macos" | "darwin" => Some(DriftKind::Macos),
            _ => None,
        }
    }

    /// One sentence on the sign convention.
    pub fn sign_convention(self) -> &'static str {
        match self {
            DriftKind::Ntpd | DriftKind::Macos => {
                "ntpd stores the frequency correction it applies to the kernel clock: a negative value slows the clock down, so the uncorrected clock runs fast by that much"
            }
            DriftKind::Chrony => {
                "chrony stores how fast the uncorrected clock runs: a positive value means it gains time, and chronyd applies the opposite correction"
            }
        }
    }
}

/// Well-known drift file locations, tried in this order.
pub const DEFAULT_PATHS: &[(&str, DriftKind)] = &[
    ("/var/lib/chrony/chrony.drift", DriftKind::Chrony),
    ("/var/lib/chrony/drift", DriftKind::Chrony),
    ("/var/lib/ntpsec/ntp.drift", DriftKind::Ntpd),
    ("/var/lib/ntp/ntp.drift", DriftKind::Ntpd),
    ("/etc/ntp.drift", DriftKind::Ntpd),
    ("/var/db/ntp.drift", DriftKind::Macos),
];

/// A parsed drift file.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Drift {
    /// Which daemon's convention applies.
    pub kind: DriftKind,
    /// The number in the file, in ppm, with the daemon's own sign.
    pub frequency_ppm: f64,
    /// chrony's skew estimate (uncertainty of the frequency), in ppm.
    pub skew_ppm: Option<f64>,
}

/// Why a drift file was rejected.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DriftError {
    /// Empty file.
    #[error(
        "the drift file is empty\nhint: the daemon writes it about once an hour after it has synchronised"
    )]
    Empty,
    /// A token was not a number.
    #[error(
        "`{token}` is not a number\nhint: a drift file holds one number (ntpd) or two (chrony), in ppm"
    )]
    NotANumber {
        /// The offending token.
        token: String,
    },
    /// Too many numbers, or the count does not match the forced kind.
    #[error(
        "expected {expected} for {kind:?}, found {found}\nhint: pass `--kind ntpd` or `--kind chrony` to match the file"
    )]
    WrongCount {
        /// What was expected.
        expected: &'static str,
        /// The kind.
        kind: DriftKind,
        /// How many numbers were found.
        found: usize,
    },
}

/// Parses a drift file's text; `kind` forces the format, otherwise 1 number is ntpd, 2 is chrony.
pub fn parse(text: &str, kind: Option<DriftKind>) -> Result<Drift, DriftError> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    if tokens.is_empty() {
        return Err(DriftError::Empty);
    }
    let numbers = tokens
        .iter()
        .map(|t| match t.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(DriftError::NotANumber {
                token: (*t).to_string(),
            }),
        })
        .collect::<Result<Vec<f64>, _>>()?;
    let kind = match (kind, numbers.len()) {
        (Some(k), _) => k,
        (None, 1) => DriftKind::Ntpd,
        (None, _) => DriftKind::Chrony,
    };
    let (expected, ok) = match kind {
        DriftKind::Chrony => ("two numbers (frequency and skew)", numbers.len() == 2),
        _ => ("one number", numbers.len() == 1),
    };
    if !ok {
        return Err(DriftError::WrongCount {
            expected,
            kind,
            found: numbers.len(),
        });
    }
    Ok(Drift {
        kind,
        frequency_ppm: numbers[0],
        skew_ppm: numbers.get(1).copied(),
    })
}

impl Drift {
    /// How fast the uncorrected clock runs, in ppm (positive: it gains time).
    pub fn gain_ppm(&self) -> f64 {
        match self.kind {
            DriftKind::Chrony => self.frequency_ppm,
            DriftKind::Ntpd | DriftKind::Macos => -self.frequency_ppm,
        }
    }

    /// True when ntpd's value sits at its ±500 ppm clamp (the kernel limit): the real error is
    /// probably larger.
    pub fn pinned(&self) -> bool {
        self.kind != DriftKind::Chrony && self.frequency_ppm.abs() >= 499.999
    }
}

/// ppm to milliseconds per hour (1 ppm = 3.6 ms/h).
pub fn ms_per_hour(ppm: f64) -> f64 {
    ppm * 3.6
}

/// ppm to seconds per day (1 ppm = 86.4 ms/day).
pub fn seconds_per_day(ppm: f64) -> f64 {
    ppm * 0.0864
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ntpd_value() {
        let d = parse("-47.901\n", None).unwrap();
        assert_eq!(d.kind, DriftKind::Ntpd);
        assert!((ms_per_hour(d.frequency_ppm) + 172.4436).abs() < 1e-9);
        assert!((seconds_per_day(d.frequency_ppm) + 4.1386464).abs() < 1e-9);
        assert_eq!(d.gain_ppm(), 47.901);
        assert!(!d.pinned());
        assert!(parse("500.000", None).unwrap().pinned());
    }

    #[test]
    fn chrony_two_numbers() {
        let d = parse("           -0.008849             0.308377\n", None).unwrap();
        assert_eq!(d.kind, DriftKind::Chrony);
        assert_eq!((d.frequency_ppm, d.skew_ppm), (-0.008849, Some(0.308377)));
        assert_eq!(d.gain_ppm(), -0.008849);
    }

    #[test]
    fn rejects_and_forced_kinds() {
        assert_eq!(parse(" \n", None), Err(DriftError::Empty));
        assert!(matches!(
            parse("abc", None),
            Err(DriftError::NotANumber { .. })
        ));
        assert!(matches!(
            parse("nan", None),
            Err(DriftError::NotANumber { .. })
        ));
        assert!(matches!(
            parse("1 2 3", None),
            Err(DriftError::WrongCount { found: 3, .. })
        ));
        assert!(matches!(
            parse("1", Some(DriftKind::Chrony)),
            Err(DriftError::WrongCount { .. })
        ));
        assert_eq!(
            parse("1.5", Some(DriftKind::Macos)).unwrap().kind,
            DriftKind::Macos
        );
        let msg = parse("x", None).unwrap_err().to_string();
        assert!(msg.starts_with("`x` is not a number\nhint: "), "{msg}");
    }
}
