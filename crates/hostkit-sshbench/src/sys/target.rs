//! What to benchmark: the private sshd hostkit starts itself, or a remote
//! `[user@]host[:port]` (IPv6 as `[::1]:22`).

use std::fmt;

/// A parsed remote target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    /// Login name; None = ssh's default (the config's `User` or the local user).
    pub user: Option<String>,
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// TCP port; None = the config's `Port` or 22.
    pub port: Option<u16>,
}

impl fmt::Display for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(u) = &self.user {
            write!(f, "{u}@")?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            write!(f, "{}", self.host)?;
        }
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        Ok(())
    }
}

/// Why a target string is not `[user@]host[:port]`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "invalid target `{input}`: {problem}\nhint: expected `[user@]host[:port]`, e.g. `alice@db1:2222` or `[::1]:22`"
)]
pub struct TargetError {
    /// The target as given.
    pub input: String,
    /// What is wrong with it.
    pub problem: &'static str,
}

/// Parses `[user@]host[:port]`.
pub fn parse_remote(input: &str) -> Result<Remote, TargetError> {
    let err = |problem| TargetError {
        input: input.to_string(),
        problem,
    };
    let (user, hostport) = match input.rsplit_once('@') {
        Some(("", _)) => return Err(err("the user before `@` is empty")),
        Some((u, h)) => (Some(u.to_string()), h),
        None => (None, input),
    };
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or_else(|| err("`[` without `]`"))?;
        match after {
            "" => (h, None),
            p => (
                h,
                Some(p.strip_prefix(':').ok_or_else(|| err("junk after `]`"))?),
            ),
        }
    } else {
        match hostport.matches(':').count() {
            0 => (hostport, None),
            1 => {
                let (h, p) = hostport.split_once(':').unwrap_or((hostport, ""));
                (h, Some(p))
            }
            _ => (hostport, None), // bare IPv6 address
        }
    };
    if host.is_empty() {
        return Err(err("the host is empty"));
    }
    if host.starts_with('-') || host.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err(err("the host contains a character ssh would not accept"));
    }
    let port = match port {
        None => None,
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|&p| p > 0)
                .ok_or_else(|| err("the port is not a number in 1..=65535"))?,
        ),
    };
    Ok(Remote {
        user,
        host: host.to_string(),
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms() {
        let r = parse_remote("alice@db1:2222").unwrap();
        assert_eq!(
            (r.user.as_deref(), r.host.as_str(), r.port),
            (Some("alice"), "db1", Some(2222))
        );
        assert_eq!(parse_remote("db1").unwrap().port, None);
        let v6 = parse_remote("root@[::1]:22").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", Some(22)));
        assert_eq!(parse_remote("::1").unwrap().host, "::1");
        assert_eq!(v6.to_string(), "root@[::1]:22");
    }

    #[test]
    fn rejects_bad_forms_with_the_reason() {
        for (bad, why) in [
            ("db1:0", "port"),
            ("db1:x", "port"),
            ("@db1", "user"),
            ("", "host is empty"),
            ("-oProxyCommand=x", "character"),
            ("[::1", "`]`"),
        ] {
            let e = parse_remote(bad).unwrap_err();
            assert!(e.to_string().contains(why), "{bad}: {e}");
            assert!(
                e.to_string()
                    .contains("hint: expected `[user@]host[:port]`")
            );
        }
    }
}
