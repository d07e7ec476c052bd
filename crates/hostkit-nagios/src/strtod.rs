//! C `strtod` as glibc implements it in the C locale (ISO C11 §7.22.1.3), so that the lenient
//! number parsing of the C monitoring-plugins can be reproduced: leading white space, a sign,
//! `inf`/`infinity`/`nan`/`nan(chars)` in any case, decimal and hexadecimal (`0x1.8p3`) forms,
//! the longest valid prefix, `0` when nothing converts, `±inf` with a range error on overflow
//! and `0` (or a subnormal) on underflow. Rounding is to nearest, ties to even.

/// The result of [`strtod`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Strtod {
    /// The converted value (`0.0` when nothing converted).
    pub value: f64,
    /// Bytes of the input consumed (C's `endptr - nptr`; 0 when nothing converted).
    pub consumed: usize,
    /// C sets `errno = ERANGE`: the value overflowed to `±inf` or underflowed to 0/subnormal.
    pub range_error: bool,
}

/// C `isspace` in the C locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Length of the case-insensitive ASCII prefix `word` at the start of `s` (0 if absent).
fn prefix_ci(s: &[u8], word: &str) -> usize {
    if s.len() >= word.len() && s[..word.len()].eq_ignore_ascii_case(word.as_bytes()) {
        word.len()
    } else {
        0
    }
}

/// Converts the longest prefix of `s` that C's `strtod` accepts.
pub fn strtod(s: &str) -> Strtod {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && is_c_space(b[i]) {
        i += 1;
    }
    let negative = b.get(i) == Some(&b'-');
    if matches!(b.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let sign = |v: f64| if negative { -v } else { v };
    let rest = &b[i..];
    let none = Strtod {
        value: 0.0,
        consumed: 0,
        range_error: false,
    };
    let special = |len: usize, value: f64| Strtod {
        value: sign(value),
        consumed: i + len,
        range_error: false,
    };
    if prefix_ci(rest, "inf") > 0 {
        let len = prefix_ci(rest, "infinity").max(3);
        return special(len, f64::INFINITY);
    }
    if prefix_ci(rest, "nan") > 0 {
        // `nan(n-char-sequence)`: the parenthesised part counts only when it is closed.
        let mut len = 3;
        if rest.get(3) == Some(&b'(') {
            let body = rest[4..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count();
            if rest.get(4 + body) == Some(&b')') {
                len = 5 + body;
            }
        }
        return special(len, f64::NAN);
    }
    let hex = rest.len() > 2
        && rest[0] == b'0'
        && (rest[1] | 0x20) == b'x'
        && (rest[2].is_ascii_hexdigit()
            || (rest[2] == b'.' && rest.get(3).is_some_and(u8::is_ascii_hexdigit)));
    let parsed = if hex {
        hexadecimal(&rest[2..]).map(|(v, len, re)| (v, len + 2, re))
    } else {
        decimal(rest)
    };
    match parsed {
        Some((value, len, range_error)) => Strtod {
            value: sign(value),
            consumed: i + len,
            range_error,
        },
        None => none,
    }
}

/// Number of ASCII digits (per `pred`) at the start of `s`.
fn digits(s: &[u8], pred: fn(&u8) -> bool) -> usize {
    s.iter().take_while(|c| pred(c)).count()
}

/// Length of an exponent part (`e-12`, `p+3`) at the start of `s`, or 0 if there is none.
fn exponent_len(s: &[u8], marker: u8) -> usize {
    if s.first().map(|c| c | 0x20) != Some(marker) {
        return 0;
    }
    let sign = usize::from(matches!(s.get(1), Some(b'+' | b'-')));
    let n = digits(&s[1 + sign..], u8::is_ascii_digit);
    if n == 0 { 0 } else { 1 + sign + n }
}

/// A decimal number: digits with an optional point (at least one digit), optional exponent.
fn decimal(s: &[u8]) -> Option<(f64, usize, bool)> {
    let int = digits(s, u8::is_ascii_digit);
    let mut len = int;
    let mut frac = 0;
    if s.get(len) == Some(&b'.') {
        frac = digits(&s[len + 1..], u8::is_ascii_digit);
        if int + frac > 0 {
            len += 1 + frac;
        }
    }
    if int + frac == 0 {
        return None;
    }
    let nonzero_digits = s[..len].iter().any(|c| (b'1'..=b'9').contains(c));
    len += exponent_len(&s[len..], b'e');
    let text = std::str::from_utf8(&s[..len]).expect("ASCII digits");
    // Rust's parser rounds correctly (to nearest, ties to even), like glibc's.
    let value: f64 = text.parse().expect("a validated decimal literal");
    let range_error = value.is_infinite() || (nonzero_digits && value.abs() < f64::MIN_POSITIVE);
    Some((value, len, range_error))
}

/// A hexadecimal number after `0x`: hex digits with an optional point, optional binary
/// exponent `p[+-]digits`.
fn hexadecimal(s: &[u8]) -> Option<(f64, usize, bool)> {
    let int = digits(s, u8::is_ascii_hexdigit);
    let mut len = int;
    let mut fraction: &[u8] = &[];
    if s.get(len) == Some(&b'.') {
        let frac = digits(&s[len + 1..], u8::is_ascii_hexdigit);
        fraction = &s[len + 1..len + 1 + frac];
        len += 1 + frac;
    }
    let frac = fraction.len();
    if int + frac == 0 {
        return None;
    }
    let exp_len = exponent_len(&s[len..], b'p');
    let mut exp: i64 = 0;
    if exp_len > 0 {
        let t = std::str::from_utf8(&s[len + 1..len + exp_len]).expect("ASCII");
        // Saturate: anything beyond ±100000 is zero or infinite anyway.
        exp = t.parse::<i64>().unwrap_or(if t.starts_with('-') {
            -100_000
        } else {
            100_000
        });
        exp = exp.clamp(-100_000, 100_000);
    }
    // value = mantissa * 2^exp, keeping at most 60 significant bits plus a sticky bit.
    let mut mantissa: u64 = 0;
    let mut sticky = false;
    let digit_chars = s[..int]
        .iter()
        .map(|c| (c, false))
        .chain(fraction.iter().map(|c| (c, true)));
    for (c, fractional) in digit_chars {
        let d = (*c as char).to_digit(16).expect("hex digit") as u64;
        if mantissa < 1 << 56 {
            mantissa = mantissa * 16 + d;
            if fractional {
                exp -= 4;
            }
        } else {
            sticky |= d != 0;
            if !fractional {
                exp += 4;
            }
        }
    }
    let (value, range_error) = round_binary(mantissa, sticky, exp);
    Some((value, len + exp_len, range_error))
}

/// `(mantissa + sticky) * 2^exp` rounded to the nearest f64 (ties to even), and whether it
/// overflowed or lost precision as a subnormal (C's ERANGE).
fn round_binary(mantissa: u64, sticky: bool, exp: i64) -> (f64, bool) {
    if mantissa == 0 {
        return (0.0, false);
    }
    // The sticky bit sits below every real bit.
    let m = (u128::from(mantissa) << 1) | u128::from(sticky);
    let exp = exp - 1;
    let top = 127 - i64::from(m.leading_zeros()); // value in [2^(top+exp), 2^(top+exp+1))
    let e = top + exp;
    if e > 1023 {
        return (f64::INFINITY, true);
    }
    // Keep 53 bits for a normal number, fewer for a subnormal one.
    let keep = if e >= -1022 { 53 } else { 53 - (-1022 - e) };
    if keep <= 0 && e < -1075 {
        return (0.0, true);
    }
    let shift = top + 1 - keep; // bits dropped from m
    let rounded: u128 = if shift <= 0 {
        m << (-shift)
    } else if shift >= 128 {
        0
    } else {
        let q = m >> shift;
        let rem = m & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        if rem > half || (rem == half && q & 1 == 1) {
            q + 1
        } else {
            q
        }
    };
    let inexact = shift > 0 && (m & ((1u128 << shift.min(127)) - 1)) != 0;
    if e >= -1022 {
        let (q, e) = if rounded == 1 << 53 {
            (rounded >> 1, e + 1)
        } else {
            (rounded, e)
        };
        if e > 1023 {
            return (f64::INFINITY, true);
        }
        let bits = (((e + 1023) as u64) << 52) | (q as u64 & ((1 << 52) - 1));
        (f64::from_bits(bits), false)
    } else {
        // Subnormal: the bits are the rounded mantissa itself (2^52 becomes the least normal).
        let v = f64::from_bits(rounded as u64);
        (v, inexact || v == 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// glibc's strtod, the reference.
    fn c_strtod(s: &str) -> (f64, usize, bool) {
        let c = std::ffi::CString::new(s).unwrap();
        let mut end: *mut libc::c_char = std::ptr::null_mut();
        // SAFETY: `c` is a valid NUL-terminated string; errno is thread-local.
        unsafe {
            *libc::__errno_location() = 0;
            let v = libc::strtod(c.as_ptr(), &mut end);
            let erange = *libc::__errno_location() == libc::ERANGE;
            (v, end.offset_from(c.as_ptr()) as usize, erange)
        }
    }

    fn same(s: &str) {
        let ours = strtod(s);
        let (v, n, erange) = c_strtod(s);
        let value_eq = if v.is_nan() {
            ours.value.is_nan() && ours.value.is_sign_negative() == v.is_sign_negative()
        } else {
            ours.value.to_bits() == v.to_bits()
        };
        assert!(
            value_eq && ours.consumed == n && ours.range_error == erange,
            "{s:?}: ours {ours:?}, glibc ({v:?}, {n}, erange {erange})"
        );
    }

    #[test]
    fn edge_cases_match_glibc() {
        for s in [
            "",
            " ",
            "abc",
            "1.0x",
            "1e",
            "1e+",
            "-.5",
            ".",
            "+.e1",
            "  7:",
            "\t\n\x0b\x0c\r 3",
            "inf",
            "INF",
            "-Inf",
            "infinity",
            "infinit",
            "infinityx",
            "+infinity",
            "nan",
            "-nan",
            "NaN",
            "nan(",
            "nan()",
            "nan(123)",
            "nan(abc_9)x",
            "nan(1 2)",
            "nan(-1)",
            "1e999",
            "-1e999",
            "1e-400",
            "4.9e-324",
            "2.4e-324",
            "2.5e-324",
            "1e-310",
            "0x",
            "0x1",
            "0X1p3",
            "0x1P-3",
            "0x.8",
            "0x.",
            "0x.p1",
            "0xg",
            "0x1p",
            "0x1p+",
            "0x1.8p1x",
            "0x1p1024",
            "0x1p1023",
            "0x1.fffffffffffff8p1023",
            "0x1.fffffffffffff7p1023",
            "0x1p-1074",
            "0x1p-1075",
            "0x1.0000000000001p-1075",
            "0x1p-1076",
            "0x3p-1076",
            "0x1.00000000000008p0",
            "0x1.00000000000018p0",
            "0x1.000000000000080000001p0",
            "0x123456789abcdef0123456789p-50",
            "0x0.000000000000000000001p0",
            "0x00000001",
            "-0x1.8p1",
            "0x1p-1022",
            "0x0.fffffffffffffp-1022",
            "0x0.fffffffffffff8p-1022",
            "00012",
            "1.",
            "1.e5",
            "-0",
            "1_000",
            "0.000000000000000000000000000001e30",
            "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792",
            "1e99999999999999999999",
            "0e99999999999999999999",
            "1e-99999999999999999999",
        ] {
            same(s);
        }
    }

    proptest! {
        #[test]
        fn random_numeric_text_matches_glibc(s in "[ +-]?(0[xX])?[0-9a-fA-F]{0,20}(\\.[0-9a-fA-F]{0,20})?([eEpP][+-]?[0-9]{0,4})?[:x]?") {
            same(&s);
        }

        #[test]
        fn random_hex_bits_match_glibc(bits in any::<u64>(), shift in -1100i32..1100) {
            same(&format!("0x{bits:x}p{shift}"));
            same(&format!("0x.{bits:016x}{bits:x}p{shift}"));
        }
    }
}
