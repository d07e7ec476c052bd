//! Kernel and module version strings: GNU `sort -V` order (dkms orders `--all` kernels with
//! it), dkms's own `VER()` padding compare (used by autoinstall to pick a module version) and
//! hostkit's kernel ranges (`>=6.1,<6.12`).

use std::cmp::Ordering;

use thiserror::Error;

/// `sort -V` (gnulib `filevercmp`) comparison of two strings.
pub fn version_cmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (pa, pb) = (suffix_start(a), suffix_start(b));
    let r = if pa == pb || a[..pa] != b[..pb] {
        verrevcmp(&a[..pa], &b[..pb])
    } else {
        Ordering::Equal
    };
    if r == Ordering::Equal {
        verrevcmp(a, b).then_with(|| a.cmp(b))
    } else {
        r
    }
}

/// Where the file suffix `(\.[A-Za-z~][A-Za-z0-9~]*)*$` starts (its length if none).
fn suffix_start(s: &[u8]) -> usize {
    let mut start = s.len();
    let mut i = s.len();
    // Walk back over suffix components.
    loop {
        let mut j = i;
        while j > 0 && (s[j - 1].is_ascii_alphanumeric() || s[j - 1] == b'~') {
            j -= 1;
        }
        if j < i && j > 0 && s[j - 1] == b'.' && (s[j].is_ascii_alphabetic() || s[j] == b'~') {
            start = j - 1;
            i = j - 1;
        } else {
            return start;
        }
    }
}

fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let mut first_diff = 0;
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ac = order(a.get(i).copied());
            let bc = order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        while i < a.len() && a[i].is_ascii_digit() && j < b.len() && b[j].is_ascii_digit() {
            if first_diff == 0 {
                first_diff = i32::from(a[i]) - i32::from(b[j]);
            }
            i += 1;
            j += 1;
        }
        if i < a.len() && a[i].is_ascii_digit() {
            return Ordering::Greater;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != 0 {
            return first_diff.cmp(&0);
        }
    }
    Ordering::Equal
}

/// dkms's `VER()`: digit runs padded to three digits, separators kept, compared as strings.
/// Known quirk kept on purpose: `999` > `1000`.
pub fn dkms_ver_key(v: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    for c in v.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush_run(&mut out, &mut run);
            if c != ' ' {
                out.push(c);
            }
        }
    }
    flush_run(&mut out, &mut run);
    out
}

fn flush_run(out: &mut String, run: &mut String) {
    if !run.is_empty() {
        for _ in run.len()..3 {
            out.push('0');
        }
        out.push_str(run);
        run.clear();
    }
}

/// A range of kernel versions such as `>=6.1,<6.12` (all comparators must hold).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelRange {
    /// The comparators, in the order written.
    pub bounds: Vec<(Op, String)>,
}

/// A comparison operator of a [`KernelRange`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Ge,
    Gt,
    Le,
    Lt,
    Eq,
    Ne,
}

/// A kernel range that does not parse.
#[derive(Debug, Error, PartialEq, Eq)]
#[error(
    "kernel range `{input}`: {reason}; expected comparators joined by commas, e.g. `>=6.1,<6.12`"
)]
pub struct RangeError {
    pub input: String,
    pub reason: String,
}

impl KernelRange {
    /// Parses `>=6.1,<6.12`, `=6.1`, `6.1` (same as `=6.1`).
    pub fn parse(input: &str) -> Result<Self, RangeError> {
        let err = |reason: String| RangeError {
            input: input.to_string(),
            reason,
        };
        let mut bounds = Vec::new();
        for part in input.split(',') {
            let part = part.trim();
            let (op, rest) = [
                (">=", Op::Ge),
                ("<=", Op::Le),
                ("==", Op::Eq),
                ("!=", Op::Ne),
                (">", Op::Gt),
                ("<", Op::Lt),
                ("=", Op::Eq),
            ]
            .iter()
            .find_map(|(p, op)| part.strip_prefix(p).map(|r| (*op, r)))
            .unwrap_or((Op::Eq, part));
            let rest = rest.trim();
            if rest.is_empty() || !rest.starts_with(|c: char| c.is_ascii_digit()) {
                return Err(err(format!(
                    "`{part}` has no version starting with a digit"
                )));
            }
            bounds.push((op, rest.to_string()));
        }
        Ok(KernelRange { bounds })
    }

    /// True when `kver` satisfies every comparator. A bound made only of dotted numbers
    /// (`6.1`) compares that many leading numbers of the kernel (`6.1.0-57-amd64` counts as
    /// 6.1); a bound with more (`6.1.0-57`) compares with `sort -V`.
    pub fn matches(&self, kver: &str) -> bool {
        self.bounds.iter().all(|(op, bound)| {
            let ord = range_cmp(kver, bound);
            match op {
                Op::Ge => ord != Ordering::Less,
                Op::Gt => ord == Ordering::Greater,
                Op::Le => ord != Ordering::Greater,
                Op::Lt => ord == Ordering::Less,
                Op::Eq => ord == Ordering::Equal,
                Op::Ne => ord != Ordering::Equal,
            }
        })
    }
}

fn numeric_prefix(s: &str) -> Vec<u64> {
    let head: String = s
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    head.split('.')
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().unwrap_or(u64::MAX))
        .collect()
}

fn range_cmp(kver: &str, bound: &str) -> Ordering {
    if bound.chars().all(|c| c.is_ascii_digit() || c == '.') {
        let b = numeric_prefix(bound);
        let mut k = numeric_prefix(kver);
        k.resize(b.len(), 0);
        k.cmp(&b)
    } else {
        version_cmp(kver, bound)
    }
}

/// Sorts kernel versions like `sort -V`.
pub fn sort_versions(v: &mut [String]) {
    v.sort_by(|a, b| version_cmp(a, b));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_v_orders_kernels() {
        let mut v: Vec<String> = [
            "6.1.0-57-cloud-amd64",
            "6.1.0-57-amd64",
            "6.12.1",
            "6.1.0-9-amd64",
            "4.4.0-1000-aws",
            "4.4.0-999-aws",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        sort_versions(&mut v);
        assert_eq!(
            v,
            [
                "4.4.0-999-aws",
                "4.4.0-1000-aws",
                "6.1.0-9-amd64",
                "6.1.0-57-amd64",
                "6.1.0-57-cloud-amd64",
                "6.12.1"
            ]
        );
    }

    #[test]
    fn ver_key_keeps_dkms_quirk() {
        assert!(dkms_ver_key("4.4.0-999-aws") > dkms_ver_key("4.4.0-1000-aws"));
        assert_eq!(dkms_ver_key("2.6.9-1cvs"), "002.006.009-001cvs");
        assert!(dkms_ver_key("0.2") > dkms_ver_key("0.1"));
    }

    #[test]
    fn ranges() {
        let r = KernelRange::parse(">=6.1,<6.12").unwrap();
        assert!(r.matches("6.1.0-57-amd64"));
        assert!(r.matches("6.11.9"));
        assert!(!r.matches("6.12.0"));
        assert!(!r.matches("5.10.0-20-amd64"));
        let eq = KernelRange::parse("6.1").unwrap();
        assert!(eq.matches("6.1.0-57-cloud-amd64"));
        let abi = KernelRange::parse(">6.1.0-9").unwrap();
        assert!(abi.matches("6.1.0-57-amd64"));
        assert!(KernelRange::parse(">=x").is_err());
        assert!(KernelRange::parse("").is_err());
    }
}
