//! `*`-glob name filters for `--ciphers`, `--macs` and `--kex` (`aes*`, `*-etm@openssh.com`,
//! exact names), anchored at both ends, unlike the seed script's unanchored `grep`.

use serde::{Deserialize, Serialize};

/// A `*`-glob name filter (`aes*`, `*-etm@openssh.com`, exact names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pattern(pub String);

impl Pattern {
    /// Whether `name` matches: `*` matches any run of characters (also empty), everything
    /// else literally and case-sensitively (algorithm names are case-sensitive, RFC 4251 §6).
    pub fn matches(&self, name: &str) -> bool {
        glob_match(self.0.as_bytes(), name.as_bytes())
    }

    /// Parses a comma-separated list (`aes*,chacha20*`); blanks are ignored.
    pub fn list(spec: &str) -> Vec<Pattern> {
        spec.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Pattern(s.to_owned()))
            .collect()
    }
}

/// Iterative wildcard match with single backtrack point (linear in practice).
fn glob_match(pat: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pat.len() && pat[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pat.len() && pat[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_patterns() {
        let p = |s: &str| Pattern(s.to_owned());
        assert!(p("aes*").matches("aes128-ctr"));
        assert!(p("*-etm@openssh.com").matches("hmac-sha1-etm@openssh.com"));
        assert!(!p("*-etm@openssh.com").matches("hmac-sha1"));
        assert!(p("hmac-sha1").matches("hmac-sha1"));
        assert!(
            !p("hmac-sha1").matches("hmac-sha1-96"),
            "anchored, unlike the seed's grep"
        );
        assert!(p("*").matches(""));
        assert!(p("a*b*c").matches("aXXbYYc"));
        assert!(!p("a*b*c").matches("aXXbYY"));
        assert!(p("*sha2*etm*").matches("hmac-sha2-512-etm@openssh.com"));
        assert!(!p("AES*").matches("aes128-ctr"));
        assert_eq!(
            Pattern::list(" aes*, ,chacha20*,"),
            vec![p("aes*"), p("chacha20*")]
        );
    }
}
