//! Name resolution through glibc's `getaddrinfo` (so /etc/hosts, nsswitch and resolv.conf
//! apply, with their own timeouts), with typed errors: a resolver that did not answer
//! (`EAI_AGAIN`) is not a name that does not exist. [`resolve`] bounds the wait by one overall
//! deadline: `getaddrinfo` has no timeout argument, so each name is resolved on a worker
//! thread and the caller waits on a channel only until the deadline (the thread is abandoned).

use std::ffi::{CStr, CString};
use std::net::{IpAddr, SocketAddr};
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use thiserror::Error;

use crate::server::{Family, ServerSpec};

/// Why a name gave no address to query.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ResolveError {
    /// `EAI_AGAIN`: the resolver did not answer before its own timeout (resolv.conf
    /// `options timeout:N attempts:N`) or answered SERVFAIL. The name may well exist.
    #[error("the resolver did not answer ({message}, EAI_AGAIN); the name may exist")]
    ResolverTimeout {
        /// `gai_strerror` text.
        message: String,
    },
    /// `EAI_NONAME` (or `EAI_NODATA`): the resolver answered that the name does not exist.
    #[error("no such name ({message})")]
    NoSuchName {
        /// The `getaddrinfo` code.
        code: i32,
        /// `gai_strerror` text.
        message: String,
    },
    /// Any other `getaddrinfo` failure.
    #[error("{message} (getaddrinfo error {code})")]
    Other {
        /// The `getaddrinfo` code.
        code: i32,
        /// `gai_strerror` text.
        message: String,
    },
    /// Our own deadline (`--timeout`) ran out while the resolver was still working.
    #[error("name resolution timed out: no answer from the resolver within {after_ms} ms")]
    Deadline {
        /// Milliseconds waited.
        after_ms: u64,
    },
    /// The name resolved, but not to an address of the wanted family.
    #[error("{}", match .0 { Family::V4 => "no IPv4 address", Family::V6 => "no IPv6 address", Family::Any => "no address" })]
    NoAddress(Family),
    /// A host name with a NUL byte cannot be passed to the resolver.
    #[error("the name contains a NUL byte")]
    Nul,
    /// No worker thread could be started.
    #[error("cannot start a resolver thread: {0}")]
    Thread(String),
}

impl ResolveError {
    /// The text `gai_strerror` gives for a `getaddrinfo` failure (what C programs print).
    pub fn gai_message(&self) -> Option<&str> {
        match self {
            ResolveError::ResolverTimeout { message }
            | ResolveError::NoSuchName { message, .. }
            | ResolveError::Other { message, .. } => Some(message),
            _ => None,
        }
    }
}

/// One blocking `getaddrinfo(host, port, {family, SOCK_DGRAM, IPPROTO_UDP})`; `port: None`
/// asks for addresses only (no service), as `check_ntp_time` does when it validates `-H`.
/// Addresses come in resolver order.
pub fn lookup(
    host: &str,
    port: Option<u16>,
    family: Family,
) -> Result<Vec<SocketAddr>, ResolveError> {
    let c_host = CString::new(host).map_err(|_| ResolveError::Nul)?;
    let c_port = port.map(|p| CString::new(p.to_string()).expect("digits"));
    // SAFETY: an all-zero addrinfo is a valid "no hints" value.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = match family {
        Family::V4 => libc::AF_INET,
        Family::V6 => libc::AF_INET6,
        Family::Any => libc::AF_UNSPEC,
    };
    if port.is_some() {
        hints.ai_socktype = libc::SOCK_DGRAM;
        hints.ai_protocol = libc::IPPROTO_UDP;
    }
    let mut list: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: valid NUL-terminated strings (or NULL for the service), valid hints, and an out
    // pointer that getaddrinfo fills on success and we free below.
    let code = unsafe {
        libc::getaddrinfo(
            c_host.as_ptr(),
            c_port.as_ref().map_or(std::ptr::null(), |p| p.as_ptr()),
            &hints,
            &mut list,
        )
    };
    if code != 0 {
        return Err(gai_error(code));
    }
    let mut out = Vec::new();
    let mut cur = list;
    while !cur.is_null() {
        // SAFETY: `cur` walks the list getaddrinfo returned, which stays valid until freed.
        let ai = unsafe { &*cur };
        if let Some(addr) = socket_addr(ai) {
            out.push(addr);
        }
        cur = ai.ai_next;
    }
    // SAFETY: `list` came from a successful getaddrinfo and is freed once.
    unsafe { libc::freeaddrinfo(list) };
    Ok(out)
}

fn gai_error(code: i32) -> ResolveError {
    // SAFETY: gai_strerror returns a pointer to a static NUL-terminated string.
    let message = unsafe { CStr::from_ptr(libc::gai_strerror(code)) }
        .to_string_lossy()
        .into_owned();
    match code {
        libc::EAI_AGAIN => ResolveError::ResolverTimeout { message },
        libc::EAI_NONAME | libc::EAI_NODATA => ResolveError::NoSuchName { code, message },
        _ => ResolveError::Other { code, message },
    }
}

fn socket_addr(ai: &libc::addrinfo) -> Option<SocketAddr> {
    if ai.ai_addr.is_null() {
        return None;
    }
    // SAFETY: ai_addr points to a sockaddr of ai_family, ai_addrlen bytes long.
    unsafe {
        match ai.ai_family {
            libc::AF_INET => {
                let sin = &*(ai.ai_addr as *const libc::sockaddr_in);
                let ip = std::net::Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
                Some(SocketAddr::new(IpAddr::V4(ip), u16::from_be(sin.sin_port)))
            }
            libc::AF_INET6 => {
                let sin6 = &*(ai.ai_addr as *const libc::sockaddr_in6);
                let ip = std::net::Ipv6Addr::from(sin6.sin6_addr.s6_addr);
                Some(SocketAddr::V6(std::net::SocketAddrV6::new(
                    ip,
                    u16::from_be(sin6.sin6_port),
                    sin6.sin6_flowinfo,
                    sin6.sin6_scope_id,
                )))
            }
            _ => None,
        }
    }
}

/// Resolves every spec (in parallel, literals without the resolver), filters by family and
/// removes duplicate addresses; waits no longer than `deadline` (`None`: as long as glibc's
/// own resolver timeouts take).
pub fn resolve(
    specs: &[ServerSpec],
    family: Family,
    deadline: Option<Instant>,
) -> Vec<Result<Vec<SocketAddr>, ResolveError>> {
    let start = Instant::now();
    let mut results: Vec<Option<Result<Vec<SocketAddr>, ResolveError>>> = vec![None; specs.len()];
    let (tx, rx) = mpsc::channel();
    let mut pending = 0;
    for (i, spec) in specs.iter().enumerate() {
        if let Ok(ip) = spec.host.parse::<IpAddr>() {
            results[i] = Some(Ok(vec![SocketAddr::new(ip, spec.port)]));
            continue;
        }
        let tx = tx.clone();
        let (host, port) = (spec.host.clone(), spec.port);
        let spawned = thread::Builder::new()
            .name("resolve".into())
            .spawn(move || {
                let _ = tx.send((i, lookup(&host, Some(port), family)));
            });
        match spawned {
            Ok(_) => pending += 1,
            Err(e) => results[i] = Some(Err(ResolveError::Thread(e.to_string()))),
        }
    }
    while pending > 0 {
        let received = match deadline {
            Some(d) => rx
                .recv_timeout(d.saturating_duration_since(Instant::now()))
                .ok(),
            None => rx.recv().ok(),
        };
        let Some((i, r)) = received else { break };
        results[i] = Some(r);
        pending -= 1;
    }
    let after_ms = start.elapsed().as_millis() as u64;
    results
        .into_iter()
        .map(|r| {
            let addrs = r.unwrap_or(Err(ResolveError::Deadline { after_ms }))?;
            let mut kept: Vec<SocketAddr> = Vec::new();
            for a in addrs.into_iter().filter(|a| family.admits(a)) {
                if !kept.contains(&a) {
                    kept.push(a);
                }
            }
            if kept.is_empty() {
                return Err(ResolveError::NoAddress(family));
            }
            Ok(kept)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::parse_server;
    use std::time::Duration;

    #[test]
    fn literals_need_no_resolver_and_families_filter() {
        let specs = [
            parse_server("127.0.0.1:5", 123).unwrap(),
            parse_server("::1", 123).unwrap(),
        ];
        let deadline = Some(Instant::now() + Duration::from_millis(100));
        let r = resolve(&specs, Family::Any, deadline);
        assert_eq!(
            r[0].as_ref().unwrap(),
            &vec!["127.0.0.1:5".parse::<SocketAddr>().unwrap()]
        );
        let r = resolve(&specs, Family::V4, deadline);
        assert!(r[0].is_ok());
        assert_eq!(r[1], Err(ResolveError::NoAddress(Family::V4)));
        assert_eq!(r[1].as_ref().unwrap_err().to_string(), "no IPv4 address");
    }

    #[test]
    fn localhost_resolves_and_expired_deadline_times_out() {
        let specs = [parse_server("localhost", 123).unwrap()];
        let r = resolve(
            &specs,
            Family::Any,
            Some(Instant::now() + Duration::from_secs(5)),
        );
        assert!(r[0].as_ref().unwrap().iter().all(|a| a.ip().is_loopback()));
        assert!(r[0].as_ref().unwrap().iter().all(|a| a.port() == 123));
        let r = resolve(&specs, Family::Any, Some(Instant::now()));
        // Either the resolver was faster than the zero budget or it timed out; never a panic.
        if let Err(e) = &r[0] {
            assert!(matches!(e, ResolveError::Deadline { .. }), "{e}");
        }
    }

    #[test]
    fn errors_are_typed() {
        // RFC 6761: `.invalid` never resolves; /etc/hosts and the resolver say "no such name"
        // (or, with no network at all, that they could not ask).
        match lookup("nx.invalid", None, Family::Any) {
            Err(ResolveError::NoSuchName { .. } | ResolveError::ResolverTimeout { .. }) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(lookup("a\0b", None, Family::Any), Err(ResolveError::Nul));
        let e = gai_error(libc::EAI_AGAIN);
        assert_eq!(
            e.gai_message(),
            Some("Temporary failure in name resolution")
        );
        assert!(e.to_string().contains("did not answer"), "{e}");
    }
}
