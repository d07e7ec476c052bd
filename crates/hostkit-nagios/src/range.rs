//! Threshold ranges, monitoring-plugins developer guidelines §"Threshold and ranges":
//! `[@]start:end`; `start` omitted means 0, `end` omitted after `:` means +infinity, `~` means
//! -infinity; alert when the value is *outside* `[start, end]` (endpoints inclusive), or inside
//! with a leading `@`. [`Range::parse`] is strict; [`Range::parse_legacy`] reproduces the
//! lenient `strtod`-based parser of monitoring-plugins 2.x for drop-in compatibility.

use thiserror::Error;

use crate::Status;
use crate::strtod::strtod;

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
    /// The `end` member of monitoring-plugins' C `range`, which its plugins print in perfdata:
    /// the end as parsed, 0 when no end was given (`5:`, `~:`, an empty string).
    pub c_end: f64,
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
            c_end: if end.is_finite() { end } else { 0.0 },
        })
    }

    /// The monitoring-plugins 2.x parser (`parse_range_string` in lib/utils_base.c): bounds are
    /// read with glibc [`strtod`] semantics (`abc` is 0, `1.0x` is 1.0, `inf`, `nan`, `0x1p3`,
    /// `1e999` = inf), `~` before a `:` means -infinity and an empty end +infinity. The range
    /// is rejected only when neither bound is infinite by omission and `start <= end` is false,
    /// which includes every comparison with NaN (`nan`, `1:nan`), as in C.
    pub fn parse_legacy(text: &str) -> Result<Range, RangeError> {
        let (alert_inside, body) = match text.strip_prefix('@') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (start, start_infinity, end_text) = match body.find(':') {
            Some(colon) => {
                let tilde = body.starts_with('~');
                let start = if tilde {
                    f64::NEG_INFINITY
                } else {
                    strtod(body).value
                };
                (start, tilde, &body[colon + 1..])
            }
            None => (0.0, false, body),
        };
        let end_infinity = end_text.is_empty();
        let c_end = if end_infinity {
            0.0
        } else {
            strtod(end_text).value
        };
        let end = if end_infinity { f64::INFINITY } else { c_end };
        // C: `start_infinity || end_infinity || start <= end`.
        if !(start_infinity || end_infinity || start <= end) {
            return Err(RangeError::StartAfterEnd {
                text: text.to_string(),
            });
        }
        Ok(Range {
            start,
            end,
            alert_inside,
            text: text.to_string(),
            c_end,
        })
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
    strtod(s).value
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
    fn legacy_parser_reads_numbers_as_glibc_strtod() {
        // (range, accepted, alerts at 0.5, alerts at 1e300, perfdata end)
        let inf = f64::INFINITY;
        let table: &[(&str, bool, bool, bool, f64)] = &[
            ("inf", true, false, false, inf),
            ("infinity", true, false, false, inf),
            ("1e999", true, false, false, inf),
            ("0x1p-1", true, false, true, 0.5),
            ("  0.25", true, true, true, 0.25),
            ("nan", false, false, false, 0.0),
            ("-nan", false, false, false, 0.0),
            ("1:nan", false, false, false, 0.0),
            ("nan:", true, true, true, 0.0),
            ("~:nan", true, true, true, f64::NAN),
            ("@nan:", true, false, false, 0.0),
            ("-inf:0x1", true, false, true, 1.0),
            ("inf:5", false, false, false, 0.0),
            ("0x", true, true, true, 0.0),
        ];
        for &(text, accepted, at_half, at_huge, c_end) in table {
            let r = Range::parse_legacy(text);
            assert_eq!(r.is_ok(), accepted, "{text}: {r:?}");
            let Ok(r) = r else { continue };
            assert_eq!(r.alerts(0.5), at_half, "{text} at 0.5");
            assert_eq!(r.alerts(1e300), at_huge, "{text} at 1e300");
            assert!(
                r.c_end == c_end || (r.c_end.is_nan() && c_end.is_nan()),
                "{text}: {}",
                r.c_end
            );
        }
        assert!(
            Range::parse_legacy("~:-nan")
                .unwrap()
                .c_end
                .is_sign_negative()
        );
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
