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

/// An ERE (re-read safely by dkms: no backslashes) matching exactly the kernel versions of a
/// range, for `PATCH_MATCH`; None when the range uses `!=` or a bound that is not dotted
/// numbers. Supports any number of lower and upper bounds (the tightest of each is kept).
pub fn range_to_ere(range: &KernelRange) -> Option<String> {
    let mut lo: Option<Vec<u64>> = None;
    let mut hi: Option<(Vec<u64>, bool)> = None;
    for (op, b) in &range.bounds {
        if !b.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return None;
        }
        let t = numeric_prefix(b);
        let lower = |t: Vec<u64>, incl: bool| {
            // `>` on a truncated compare: the next value at that length.
            if incl { Some(t) } else { bump(&t) }
        };
        match op {
            Op::Ge | Op::Gt => {
                let t = lower(t, *op == Op::Ge)?;
                if lo
                    .as_ref()
                    .is_none_or(|l| cmp_trunc(&t, l) == Ordering::Greater)
                {
                    lo = Some(t);
                }
            }
            Op::Le | Op::Lt => {
                let cand = (t, *op == Op::Le);
                if hi
                    .as_ref()
                    .is_none_or(|h| cmp_trunc(&cand.0, &h.0) == Ordering::Less)
                {
                    hi = Some(cand);
                }
            }
            Op::Eq => {
                lo = Some(t.clone());
                hi = Some((t, true));
            }
            Op::Ne => return None,
        }
    }
    let body = components(lo.as_deref(), hi.as_ref().map(|(t, i)| (t.as_slice(), *i)))?;
    Some(format!("^({body})"))
}

fn cmp_trunc(a: &[u64], b: &[u64]) -> Ordering {
    let n = a.len().min(b.len());
    a[..n].cmp(&b[..n]).then(a.len().cmp(&b.len()))
}

/// The smallest tuple of the same length greater than `t`.
fn bump(t: &[u64]) -> Option<Vec<u64>> {
    let mut t = t.to_vec();
    *t.last_mut()? += 1;
    Some(t)
}

/// The regex for component lists with `lo <= k` and `k < hi` (or `<=`), compared on the
/// bounds' lengths; None when nothing matches.
fn components(lo: Option<&[u64]>, hi: Option<(&[u64], bool)>) -> Option<String> {
    let lo = lo.filter(|l| !l.is_empty());
    let hi = match hi {
        Some(([], true)) => None,
        Some(([], false)) => return None,
        h => h,
    };
    if lo.is_none() && hi.is_none() {
        return Some(".*".into());
    }
    let a = lo.map_or(0, |l| l[0]);
    let b = hi.map(|(h, _)| h[0]);
    let rest = |lo: Option<&[u64]>, hi: Option<(&[u64], bool)>| components(lo, hi);
    let mut alts = Vec::new();
    if b == Some(a) {
        let r = rest(lo.map(|l| &l[1..]), hi.map(|(h, i)| (&h[1..], i)))?;
        return Some(format!("{a}{}", sep(&r)));
    }
    if let Some(b) = b
        && b < a
    {
        return None;
    }
    if let Some(r) = rest(lo.map(|l| &l[1..]), None) {
        alts.push(format!("{a}{}", sep(&r)));
    }
    let between_hi = b.map(|b| b.checked_sub(1));
    match between_hi {
        Some(None) => {}
        Some(Some(bh)) if bh < a + 1 => {}
        _ => alts.push(format!(
            "({})([^0-9].*|$)",
            int_range(a + 1, between_hi.flatten())
        )),
    }
    if let (Some(b), Some((h, i))) = (b, hi)
        && let Some(r) = rest(None, Some((&h[1..], i)))
    {
        alts.push(format!("{b}{}", sep(&r)));
    }
    if alts.is_empty() {
        None
    } else {
        Some(alts.join("|"))
    }
}

/// What follows a fixed component: the rest, after a dot, or anything when unconstrained.
fn sep(rest: &str) -> String {
    if rest == ".*" {
        "([^0-9].*|$)".into()
    } else {
        format!("[.]({rest})")
    }
}

/// Decimal numbers (no leading zeros) in `lo..=hi` (`hi` None = unbounded), as alternatives.
fn int_range(lo: u64, hi: Option<u64>) -> String {
    let mut alts = Vec::new();
    let lo_s = lo.to_string();
    let top = hi.unwrap_or(u64::MAX);
    let mut start = lo;
    let mut len = lo_s.len();
    while start <= top && len <= 19 {
        let max_len = 10u64.checked_pow(len as u32).map_or(u64::MAX, |p| p - 1);
        if hi.is_none() && start == 10u64.pow(len as u32 - 1).max(if len == 1 { 0 } else { 1 }) {
            // Every number of this length or longer.
            let first = if len == 1 { "[0-9]" } else { "[1-9]" };
            alts.push(format!("{first}[0-9]{{{},}}", len - 1));
            break;
        }
        let end = max_len.min(top);
        alts.extend(same_len(&start.to_string(), &end.to_string()));
        if end == top {
            break;
        }
        start = end + 1;
        len += 1;
    }
    alts.join("|")
}

fn same_len(lo: &str, hi: &str) -> Vec<String> {
    if lo == hi {
        return vec![lo.to_string()];
    }
    let (l0, h0) = (lo.as_bytes()[0], hi.as_bytes()[0]);
    if lo.len() == 1 {
        return vec![format!("[{}-{}]", l0 as char, h0 as char)];
    }
    let n = lo.len() - 1;
    if l0 == h0 {
        return same_len(&lo[1..], &hi[1..])
            .into_iter()
            .map(|r| format!("{}({r})", l0 as char))
            .collect();
    }
    let mut out: Vec<String> = same_len(&lo[1..], &"9".repeat(n))
        .into_iter()
        .map(|r| format!("{}({r})", l0 as char))
        .collect();
    if h0 - l0 > 1 {
        out.push(format!(
            "[{}-{}][0-9]{{{n}}}",
            (l0 + 1) as char,
            (h0 - 1) as char
        ));
    }
    out.extend(
        same_len(&"0".repeat(n), &hi[1..])
            .into_iter()
            .map(|r| format!("{}({r})", h0 as char)),
    );
    out
}

#[cfg(test)]
mod ere_tests {
    use super::*;
    use proptest::prelude::*;

    fn check(range: &str, kvers: &[&str]) {
        let r = KernelRange::parse(range).unwrap();
        let ere = range_to_ere(&r).unwrap();
        assert!(!ere.contains('\\'), "{ere}");
        let re = regex::Regex::new(&ere).unwrap();
        for k in kvers {
            assert_eq!(re.is_match(k), r.matches(k), "{range} on {k}: {ere}");
        }
    }

    #[test]
    fn ranges_compile_to_eres() {
        let ks = [
            "5.10.0-20-amd64",
            "6.0.9",
            "6.1.0-57-amd64",
            "6.1.0-57-cloud-amd64",
            "6.11.9",
            "6.12.0",
            "6.12.1-1-amd64",
            "6.2",
            "7.0.1",
            "10.1.1",
            "61.0",
        ];
        for r in [
            ">=6.1,<6.12",
            ">=6.1",
            "<6.12",
            "=6.1",
            "6.1.0",
            ">6.1",
            "<=6.11",
            ">=5,<7",
            ">=6.1.0,<=6.12",
        ] {
            check(r, &ks);
        }
        assert!(range_to_ere(&KernelRange::parse("!=6.1").unwrap()).is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// The ERE accepts exactly the kernels the range accepts.
        #[test]
        fn ere_agrees_with_range(
            lo in prop::collection::vec(0u64..130, 1..3),
            hi in prop::collection::vec(0u64..130, 1..3),
            k in prop::collection::vec(0u64..130, 2..4),
            flavour in prop::sample::select(vec!["", "-57-amd64", "-rc1", "+"]),
            ops in (0..2usize, 0..2usize),
        ) {
            let lo_s = lo.iter().map(u64::to_string).collect::<Vec<_>>().join(".");
            let hi_s = hi.iter().map(u64::to_string).collect::<Vec<_>>().join(".");
            let range = format!("{}{lo_s},{}{hi_s}", [">=", ">"][ops.0], ["<", "<="][ops.1]);
            let kver = k.iter().map(u64::to_string).collect::<Vec<_>>().join(".") + flavour;
            let r = KernelRange::parse(&range).unwrap();
            let matched = range_to_ere(&r).is_some_and(|e| regex::Regex::new(&e).unwrap().is_match(&kver));
            prop_assert_eq!(matched, r.matches(&kver), "{} on {}: {:?}", range, kver, range_to_ere(&r));
        }
    }
}
