//! The few shell patterns dkms relies on: `fnmatch`-style `*`, `?`, `[...]` (status arguments
//! are unquoted globs), dkms's kernel-dir pattern `+([0-9]).*`, and a glob compiled to the
//! ERE that dkms's `PATCH_MATCH` accepts (dots written `[.]`).

/// True when `name` contains a glob metacharacter bash would expand.
pub fn has_meta(name: &str) -> bool {
    name.contains(['*', '?', '['])
}

/// `fnmatch(pattern, name)` without flags (no special leading dot: callers skip hidden names
/// the way bash does).
pub fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    match_at(&p, &n)
}

fn match_at(p: &[char], n: &[char]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some('*') => (0..=n.len()).any(|i| match_at(&p[1..], &n[i..])),
        Some('?') => !n.is_empty() && match_at(&p[1..], &n[1..]),
        Some('[') => match class(&p[1..]) {
            Some((set, negate, used)) => {
                !n.is_empty()
                    && (set.iter().any(|(lo, hi)| *lo <= n[0] && n[0] <= *hi) != negate)
                    && match_at(&p[1 + used..], &n[1..])
            }
            None => n.first() == Some(&'[') && match_at(&p[1..], &n[1..]),
        },
        Some('\\') if p.len() > 1 => n.first() == Some(&p[1]) && match_at(&p[2..], &n[1..]),
        Some(c) => n.first() == Some(c) && match_at(&p[1..], &n[1..]),
    }
}

type Class = (Vec<(char, char)>, bool, usize);

/// Parses a bracket expression after `[`; returns ranges, negation and chars consumed
/// (including the closing `]`).
fn class(p: &[char]) -> Option<Class> {
    let mut i = 0;
    let negate = matches!(p.first(), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let mut set = Vec::new();
    let mut first = true;
    while i < p.len() {
        let c = p[i];
        if c == ']' && !first {
            return Some((set, negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            set.push((c, p[i + 2]));
            i += 3;
        } else {
            set.push((c, c));
            i += 1;
        }
    }
    None
}

/// dkms's kernel directory pattern `+([0-9]).*`: one or more digits, then a dot.
pub fn is_kernel_dir_name(name: &str) -> bool {
    let digits = name.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && name.as_bytes().get(digits) == Some(&b'.')
}

/// Compiles a shell glob over kernel versions (`6.1.0-*-amd64`) to an anchored ERE for
/// `PATCH_MATCH` that survives dkms re-reading it inside double quotes: no backslashes,
/// every literal metacharacter in a bracket (`[.]`).
pub fn glob_to_ere(glob: &str) -> String {
    let mut out = String::from("^");
    for c in glob.chars() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            c if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '/' => out.push(c),
            c => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
        }
    }
    out.push('$');
    out
}

/// An anchored ERE matching exactly these kernel versions (`^(a|b)$`, dots as `[.]`).
pub fn exact_ere(kvers: &[String]) -> String {
    let alts: Vec<String> = kvers
        .iter()
        .map(|k| glob_to_ere(k)[1..].trim_end_matches('$').to_string())
        .collect();
    if alts.len() == 1 {
        format!("^{}$", alts[0])
    } else {
        format!("^({})$", alts.join("|"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_basics() {
        assert!(matches("hel*", "hello"));
        assert!(matches("h?llo", "hello"));
        assert!(matches("[gh]ello", "hello"));
        assert!(!matches("[!h]ello", "hello"));
        assert!(matches("6.1.0-57-amd64", "6.1.0-57-amd64"));
        assert!(!matches("6.1.0-57-amd64", "6.1.0-57-cloud-amd64"));
    }

    #[test]
    fn kernel_dirs() {
        assert!(is_kernel_dir_name("6.1.0-57-amd64"));
        assert!(is_kernel_dir_name("10.x"));
        assert!(!is_kernel_dir_name("source"));
        assert!(!is_kernel_dir_name("6"));
        assert!(!is_kernel_dir_name(".6.1"));
    }

    #[test]
    fn eres_tell_flavours_apart() {
        let re = regex::Regex::new(&exact_ere(&["6.1.0-57-amd64".into()])).unwrap();
        assert!(re.is_match("6.1.0-57-amd64"));
        assert!(!re.is_match("6.1.0-57-cloud-amd64"));
        assert!(!re.is_match("6x1.0-57-amd64"));
        let g = regex::Regex::new(&glob_to_ere("6.1.*-cloud-*")).unwrap();
        assert!(g.is_match("6.1.0-57-cloud-amd64"));
        assert!(!g.is_match("6.1.0-57-amd64"));
        assert!(!glob_to_ere("6.1.*").contains('\\'));
    }
}
