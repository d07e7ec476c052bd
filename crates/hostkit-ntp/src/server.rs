//! Server arguments as users write them: `host`, `host:port`, `[v6]:port`, a bare IPv6 literal;
//! `port` is a number or the service name `ntp`. Also the address-family filter (`-4`/`-6`).

use std::net::{IpAddr, SocketAddr};

use thiserror::Error;

/// The standard NTP port.
pub const NTP_PORT: u16 = 123;

/// One `-H` value split into host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSpec {
    /// Host name or address literal, without brackets.
    pub host: String,
    /// UDP port.
    pub port: u16,
    /// The text as given.
    pub text: String,
}

/// A malformed server argument.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SpecError {
    /// Empty host.
    #[error("empty server name in `{0}`\nhint: use `HOST`, `HOST:PORT` or `[IPV6]:PORT`")]
    EmptyHost(String),
    /// Port not a number in 1..=65535 (or `ntp`).
    #[error("invalid port `{port}` in `{text}`\nhint: use a number from 1 to 65535 (or `ntp`)")]
    BadPort {
        /// The whole argument.
        text: String,
        /// The port text.
        port: String,
    },
    /// `[` without a matching `]`.
    #[error("unbalanced brackets in `{0}`\nhint: write IPv6 addresses with a port as `[::1]:123`")]
    Brackets(String),
}

/// Parses a port number or the service name `ntp`.
pub fn parse_port(text: &str) -> Option<u16> {
    if text == "ntp" {
        return Some(NTP_PORT);
    }
    text.parse::<u16>().ok().filter(|&p| p != 0)
}

/// Splits a server argument; `default_port` applies when none is given.
pub fn parse_server(text: &str, default_port: u16) -> Result<ServerSpec, SpecError> {
    let bad_port = |port: &str| SpecError::BadPort {
        text: text.into(),
        port: port.into(),
    };
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| SpecError::Brackets(text.into()))?;
        let port = match after {
            "" => default_port,
            p => {
                let p = p.strip_prefix(':').ok_or_else(|| bad_port(p))?;
                parse_port(p).ok_or_else(|| bad_port(p))?
            }
        };
        (host, port)
    } else if text.parse::<IpAddr>().is_ok() || text.matches(':').count() > 1 {
        (text, default_port)
    } else if let Some((host, port)) = text.split_once(':') {
        (host, parse_port(port).ok_or_else(|| bad_port(port))?)
    } else {
        (text, default_port)
    };
    if host.is_empty() {
        return Err(SpecError::EmptyHost(text.into()));
    }
    Ok(ServerSpec {
        host: host.into(),
        port,
        text: text.into(),
    })
}

/// Which address families to query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Family {
    /// IPv4 and IPv6.
    #[default]
    Any,
    /// IPv4 only (`-4`).
    V4,
    /// IPv6 only (`-6`).
    V6,
}

impl Family {
    /// True when `addr` belongs to this family.
    pub fn admits(self, addr: &SocketAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => addr.is_ipv4(),
            Family::V6 => addr.is_ipv6(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_forms() {
        let p = |t| parse_server(t, 123).map(|s| (s.host, s.port));
        assert_eq!(p("pool.ntp.org"), Ok(("pool.ntp.org".into(), 123)));
        assert_eq!(p("127.0.0.1:11123"), Ok(("127.0.0.1".into(), 11123)));
        assert_eq!(p("[::1]:11123"), Ok(("::1".into(), 11123)));
        assert_eq!(p("[::1]"), Ok(("::1".into(), 123)));
        assert_eq!(p("::1"), Ok(("::1".into(), 123)));
        assert_eq!(p("fe80::1:2"), Ok(("fe80::1:2".into(), 123)));
        assert_eq!(p("host:ntp"), Ok(("host".into(), 123)));
        assert!(matches!(p("host:0"), Err(SpecError::BadPort { .. })));
        assert!(matches!(p("host:abc"), Err(SpecError::BadPort { .. })));
        assert!(matches!(p("[::1"), Err(SpecError::Brackets(_))));
        assert!(matches!(p("[::1]x"), Err(SpecError::BadPort { .. })));
        assert!(matches!(p(":123"), Err(SpecError::EmptyHost(_))));
    }

    #[test]
    fn families() {
        let v4: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let v6: SocketAddr = "[::1]:1".parse().unwrap();
        assert!(Family::V4.admits(&v4) && !Family::V4.admits(&v6));
        assert!(Family::V6.admits(&v6) && !Family::V6.admits(&v4));
        assert!(Family::Any.admits(&v4) && Family::Any.admits(&v6));
    }
}
