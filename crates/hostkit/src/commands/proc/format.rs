//! Small value formatters shared by the `proc` renderers: seconds with two decimals, ps-style
//! elapsed time and RFC 3339 timestamps (UTC, or local with its offset). CSV, Prometheus and
//! UTC calendar arithmetic come from `hostkit-render`.

/// Seconds with two decimals (`12.34`).
pub fn secs(v: f64) -> String {
    format!("{v:.2}")
}

/// Percent with one decimal (`50.0`).
pub fn pct(v: f64) -> String {
    format!("{v:.1}")
}

/// ps-style elapsed time: `mm:ss`, `hh:mm:ss` or `d-hh:mm:ss`.
pub fn elapsed(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    let (d, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    if d > 0 {
        format!("{d}-{h:02}:{m:02}:{sec:02}")
    } else if h > 0 {
        format!("{h:02}:{m:02}:{sec:02}")
    } else {
        format!("{m:02}:{sec:02}")
    }
}

/// Unix seconds as `YYYY-MM-DDThh:mm:ssZ` (UTC).
pub fn utc(unix_seconds: f64) -> String {
    hostkit_render::civil::rfc3339(unix_seconds)
}

/// Unix seconds as RFC 3339: `2026-12-01T20:55:01Z` in UTC, or local time with its offset
/// (`2026-12-01T21:55:01+01:00`, from the C library's time-zone rules) when `local`.
pub fn rfc3339(unix_seconds: f64, local: bool) -> String {
    if !local {
        return utc(unix_seconds);
    }
    let t = unix_seconds as libc::time_t;
    // SAFETY: zeroed tm is a valid out-parameter; localtime_r is thread-safe.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: `t` and `tm` are valid for the call.
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return utc(unix_seconds);
    }
    let off = tm.tm_gmtoff;
    let sign = if off < 0 { '-' } else { '+' };
    let off = off.abs();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        off / 3600,
        off / 60 % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_like_ps() {
        assert_eq!(elapsed(5.9), "00:05");
        assert_eq!(elapsed(3_725.0), "01:02:05");
        assert_eq!(elapsed(2.0 * 86_400.0 + 61.0), "2-00:01:01");
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0.0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(1_764_397_504.0), "2025-11-29T06:25:04Z");
        assert_eq!(utc(951_782_400.0), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn local_time_carries_an_offset() {
        let t = rfc3339(1_764_397_504.0, true);
        assert_eq!(t.len(), 25, "{t}");
        assert!(t[19..].starts_with(['+', '-']), "{t}");
        assert_eq!(rfc3339(0.0, false), "1970-01-01T00:00:00Z");
    }
}
