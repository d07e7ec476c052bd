//! Unix seconds to a UTC calendar date and time of day (no time-zone database, no crate):
//! Howard Hinnant's `civil_from_days` algorithm, shared by every command that prints or
//! names files by date, and the RFC 3339 form every JSON envelope and log line uses.

/// A UTC date and time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utc {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
}

/// Splits `unix_seconds` (clamped at the epoch, fraction dropped) into a UTC date and time.
pub fn utc(unix_seconds: f64) -> Utc {
    let t = unix_seconds.max(0.0) as i64;
    let (days, rem) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    Utc {
        year: yoe + era * 400 + i64::from(month <= 2),
        month,
        day,
        hour: rem / 3600,
        minute: rem / 60 % 60,
        second: rem % 60,
    }
}

impl Utc {
    /// `YYYY-MM-DDThh:mm:ssZ` (RFC 3339, UTC, whole seconds).
    pub fn rfc3339(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `YYYYMMDD-hhmmss`, for file names that sort by time.
    pub fn compact(&self) -> String {
        format!(
            "{:04}{:02}{:02}-{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Unix seconds as `YYYY-MM-DDThh:mm:ssZ` (UTC).
pub fn rfc3339(unix_seconds: f64) -> String {
    utc(unix_seconds).rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        let at = |y, mo, d, h, mi, s| Utc {
            year: y,
            month: mo,
            day: d,
            hour: h,
            minute: mi,
            second: s,
        };
        assert_eq!(utc(0.0), at(1970, 1, 1, 0, 0, 0));
        assert_eq!(utc(951_782_400.0), at(2000, 2, 29, 0, 0, 0));
        assert_eq!(utc(2_085_978_496.0), at(2036, 2, 7, 6, 28, 16));
        assert_eq!(utc(1_795_936_929.9), at(2026, 11, 29, 7, 22, 9));
        assert_eq!(utc(-5.0), at(1970, 1, 1, 0, 0, 0));
    }

    #[test]
    fn rfc3339_and_compact_forms() {
        assert_eq!(rfc3339(0.0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400.0), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_795_936_929.9).compact(), "20261129-072209");
    }
}
