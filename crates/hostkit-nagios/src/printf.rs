//! C `printf` number conversions (`%f`, `%.Ng`) reproduced exactly, so that output meant to be
//! byte-compatible with the C monitoring-plugins (e.g. `check_ntp_time`) can be produced.

/// C `%f`: six decimals, fixed notation.
pub fn c_f(value: f64) -> String {
    if !value.is_finite() {
        return c_nonfinite(value);
    }
    format!("{value:.6}")
}

/// C `%.{precision}g`: `precision` significant digits, scientific notation when the decimal
/// exponent is below -4 or at least `precision`, trailing zeros removed.
pub fn c_g(value: f64, precision: usize) -> String {
    if !value.is_finite() {
        return c_nonfinite(value);
    }
    let p = precision.max(1);
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Rust's `{:e}` rounds correctly to p significant digits and gives the exponent after rounding.
    let sci = format!("{:.*e}", p - 1, value);
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` always has an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` exponent is an integer");
    if exp < -4 || exp >= p as i32 {
        let mantissa = strip_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        strip_zeros(&format!("{value:.decimals$}")).to_string()
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// glibc prints the sign of a NaN too (`-nan` from `strtod("-nan")`).
fn c_nonfinite(value: f64) -> String {
    if value.is_nan() {
        if value.is_sign_negative() {
            "-nan".into()
        } else {
            "nan".into()
        }
    } else if value > 0.0 {
        "inf".into()
    } else {
        "-inf".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected strings produced by glibc printf (`printf '%.10g'` in a shell).
    #[test]
    fn g_matches_glibc() {
        let cases = [
            (-8.285045624e-05, "-8.285045624e-05"),
            (-0.7461649179, "-0.7461649179"),
            (0.9997164011, "0.9997164011"),
            (-0.0007786750793, "-0.0007786750793"),
            (1.5, "1.5"),
            (100.0, "100"),
            (12345678901.0, "1.23456789e+10"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-9.223372035e18, "-9.223372035e+18"),
            (0.0, "0"),
        ];
        for (v, want) in cases {
            assert_eq!(c_g(v, 10), want, "{v}");
        }
        assert_eq!(c_g(9.99999999999, 10), "10");
    }

    #[test]
    fn f_matches_glibc() {
        assert_eq!(c_f(-0.000083), "-0.000083");
        assert_eq!(c_f(0.5), "0.500000");
        assert_eq!(c_f(-1e-9), "-0.000000");
        assert_eq!(c_f(f64::INFINITY), "inf");
    }
}
