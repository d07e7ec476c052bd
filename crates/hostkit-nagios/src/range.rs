//! Threshold ranges, monitoring-plugins developer guidelines §"Threshold and ranges":
//! `[@]start:end`; `start` omitted means 0, `end` omitted after `:` means +infinity, `~` means
//! -infinity; alert when the value is *outside* `[start, end]` (endpoints inclusive), or inside
//! with a leading `@`. [`Range::parse`] is strict; [`Range::parse_legacy`] reproduces the
//! lenient `strtod`-based parser of monitoring-plugins 2.x for drop-in compatibility.

use thiserror::Error;

use crate::Status;

/// A parsed threshold range.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    /// Lower bound (may be `-inf`).
    pub start: f64,
    /// Upper bound (may be `+inf`).
    pub end: f64,
    /// `@` prefix: alert when the value is inside the range instead of outside.
    pub alert_inside: bool,
    /// The text the range was parsed from.
    pub text: String,
}

/// Why a range string was rejected.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RangeError {
    /// The string was empty.
    #[error("empty threshold range\nhint: use `[@][start:][end]`, e.g. `0.5`, `~:0.5`, `@1:2`")]
    Empty,
    /// A bound was not a number.
    #[error(
        "invalid number `{bound}` in threshold range `{text}`\nhint: use `[@][start:][end]` with decimal numbers, `~` for minus infinity"
    )]
    BadNumber {
        /// The whole range text.
        text: String,
        /// The offending bound.
        bound: String,
    },
    /// start > end.
    #[error(
        "threshold range `{text}` has start greater than end\nhint: write the smaller bound first, e.g. `5:10`"
    )]
    StartAfterEnd {
        /// The whole range text.
        text: String,
    },
}

impl Range {
    /// Strict parser: every bound must be a complete decimal number (or `~` for the start).
    pub fn parse(text: &str) -> Result<Range, RangeError> {
        let trimmed = text.trim();
        let (alert_inside, body) = match trimmed.strip_prefix('@') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        if body.is_empty() {
            return Err(RangeError::Empty);
        }
        let number = |bound: &str| -> Result<f64, RangeError> {
            let bad = || RangeError::BadNumber {
                text: text.to_string(),
                bound: bound.to_string(),
            };
            let value: f64 = bound.parse().map_err(|_| bad())?;
            if value.is_finite() {
                Ok(value)
            } else {
                Err(bad())
            }
        };
        let (start, end) = match body.split_once(':') {
            Some((start, end)) => {
                let start = match start {
                    "" => 0.0,
                    "~" => f64::NEG_INFINITY,
                    s => number(s)?,
                };
                let end = if end.is_empty() {
                    f64::INFINITY
                } else {
                    number(end)?
                };
                (start, end)
            }
            None => (0.0, number(body)?),
        };
        Range::checked(text, start, end, alert_inside)
    }

    /// A range from its parts; rejects `start > end` (infinite bounds never are).
    fn checked(text: &str, start: f64, end: f64, alert_inside: bool) -> Result<Range, RangeError> {
        if start > end {
            return Err(RangeError::StartAfterEnd {
                text: text.to_string(),
            });
        }
        Ok(Range {
            start,
            end,
            alert_inside,
            text: text.to_string(),
        })
    }

    /// The monitoring-plugins 2.x parser (`parse_range_string`): numbers are read with
    /// `strtod` semantics (`abc` is 0, `1.0x` is 1.0), an empty end means +infinity.
    /// Only a finite start greater than a finite end is rejected.
    pub fn parse_legacy(text: &str) -> Result<Range, RangeError> {
        let (alert_inside, body) = match text.strip_prefix('@') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (start, end_text) = match body.find(':') {
            Some(colon) => {
                let start = if body.starts_with('~') {
                    f64::NEG_INFINITY
                } else {
                    strtod_prefix(body)
                };
                (start, &body[colon + 1..])
            }
            None => (0.0, body),
        };
        let end = if end_text.is_empty() {
            f64::INFINITY
        } else {
            strtod_prefix(end_text)
        };
        Range::checked(text, start, end, alert_inside)
    }

    /// True when `value` should raise this range's alert.
    pub fn alerts(&self, value: f64) -> bool {
        let inside = self.start <= value && value <= self.end;
        inside == self.alert_inside
    }

    /// A range symmetric around zero, `-end:end`, when this one is a plain `0:end`
    /// applied to an absolute value; used to show absolute thresholds on a signed value.
    pub fn as_symmetric(&self) -> Option<String> {
        (!self.alert_inside && self.start == 0.0 && self.end.is_finite())
            .then(|| format!("-{}:{}", trim_float(self.end), trim_float(self.end)))
    }
}

/// A warning and a critical range; critical is checked first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Thresholds {
    /// Alert WARNING when this range alerts.
    pub warning: Option<Range>,
    /// Alert CRITICAL when this range alerts.
    pub critical: Option<Range>,
}

impl Thresholds {
    /// The state for `value`: CRITICAL if the critical range alerts, else WARNING if the
    /// warning range alerts, else OK.
    pub fn evaluate(&self, value: f64) -> Status {
        if self.critical.as_ref().is_some_and(|r| r.alerts(value)) {
            Status::Critical
        } else if self.warning.as_ref().is_some_and(|r| r.alerts(value)) {
            Status::Warning
        } else {
            Status::Ok
        }
    }
}

/// The shortest decimal text of `v` (`0.5`, `1`, `120`).
fn trim_float(v: f64) -> String {
    format!("{v}")
}

/// C `strtod` on the longest numeric prefix of `s`; 0.0 when there is none.
pub fn strtod_prefix(s: &str) -> f64 {
    let s = s.trim_start();
    let bytes = s.as_bytes();
    let mut i = 0;
    if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
        i += 1;
    }
    let digits_start = i;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    let mut mantissa_digits = i - digits_start;
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        mantissa_digits += i - frac_start;
    }
    if mantissa_digits == 0 {
        return 0.0;
    }
    let mantissa_end = i;
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        let mut j = i + 1;
        if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
            j += 1;
        }
        let exp_digits = j;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            j += 1;
        }
        if j > exp_digits {
            i = j;
        } else {
            i = mantissa_end;
        }
    }
    s[..i].parse().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The guideline table: range text, values that alert, values that do not.
    #[test]
    fn guideline_table() {
        let table: &[(&str, &[f64], &[f64])] = &[
            ("10", &[-1.0, 10.5, 11.0], &[0.0, 5.0, 10.0]),
            ("10:", &[-1.0, 9.99], &[10.0, 1e9]),
            ("~:10", &[10.01, 11.0], &[-1e9, 10.0]),
            ("10:20", &[9.9, 20.1], &[10.0, 15.0, 20.0]),
            ("@10:20", &[10.0, 15.0, 20.0], &[9.9, 20.1]),
        ];
        for (text, alert, quiet) in table {
            let r = Range::parse(text).unwrap();
            for v in *alert {
                assert!(r.alerts(*v), "{text} should alert on {v}");
            }
            for v in *quiet {
                assert!(!r.alerts(*v), "{text} should not alert on {v}");
            }
        }
    }

    #[test]
    fn strict_parser_bounds() {
        let r = Range::parse("~:").unwrap();
        assert_eq!((r.start, r.end), (f64::NEG_INFINITY, f64::INFINITY));
        assert!(!r.alerts(1e300));
        let r = Range::parse("@~:").unwrap();
        assert!(r.alerts(0.0));
        let r = Range::parse(":5").unwrap();
        assert_eq!((r.start, r.end), (0.0, 5.0));
        let r = Range::parse("-1:1").unwrap();
        assert!(r.alerts(-1.5) && !r.alerts(-1.0));
    }

    #[test]
    fn strict_parser_rejects() {
        assert_eq!(Range::parse(""), Err(RangeError::Empty));
        assert_eq!(Range::parse("@"), Err(RangeError::Empty));
        for bad in ["abc", "1.0x", "1:~", "inf"] {
            let r = Range::parse(bad);
            assert!(
                matches!(r, Err(RangeError::BadNumber { .. })),
                "{bad}: {r:?}"
            );
        }
        // `-1` is `0:-1`.
        for backwards in ["10:5", "-1"] {
            let r = Range::parse(backwards);
            assert!(
                matches!(r, Err(RangeError::StartAfterEnd { .. })),
                "{backwards}: {r:?}"
            );
        }
        let msg = Range::parse("x").unwrap_err().to_string();
        assert!(msg.contains("`x`") && msg.contains("\nhint: "), "{msg}");
    }

    #[test]
    fn legacy_parser_is_lenient_like_monitoring_plugins_2() {
        assert_eq!(Range::parse_legacy("abc").unwrap().end, 0.0);
        assert_eq!(Range::parse_legacy("1.0x").unwrap().end, 1.0);
        let empty = Range::parse_legacy("").unwrap();
        assert_eq!(empty.end, f64::INFINITY);
        assert!(!empty.alerts(1e9));
        assert!(Range::parse_legacy("10:5").is_err());
        assert!(Range::parse_legacy("-1").is_err());
        let r = Range::parse_legacy("@0:0.5").unwrap();
        assert!(r.alerts(0.1) && !r.alerts(0.6));
        let r = Range::parse_legacy("~:2").unwrap();
        assert!(r.alerts(2.5) && !r.alerts(-100.0));
    }

    #[test]
    fn strtod_prefix_matches_c() {
        assert_eq!(strtod_prefix("1.5e3xyz"), 1500.0);
        assert_eq!(strtod_prefix("1e"), 1.0);
        assert_eq!(strtod_prefix("-.5"), -0.5);
        assert_eq!(strtod_prefix("."), 0.0);
        assert_eq!(strtod_prefix("  7:"), 7.0);
    }

    #[test]
    fn thresholds_check_critical_first() {
        let t = Thresholds {
            warning: Some(Range::parse("0.5").unwrap()),
            critical: Some(Range::parse("1").unwrap()),
        };
        assert_eq!(t.evaluate(0.1), Status::Ok);
        assert_eq!(t.evaluate(0.75), Status::Warning);
        assert_eq!(t.evaluate(1.5), Status::Critical);
        assert_eq!(Thresholds::default().evaluate(1e9), Status::Ok);
        assert_eq!(
            Range::parse("0.5").unwrap().as_symmetric().unwrap(),
            "-0.5:0.5"
        );
        assert_eq!(Range::parse("@0.5").unwrap().as_symmetric(), None);
    }
}
