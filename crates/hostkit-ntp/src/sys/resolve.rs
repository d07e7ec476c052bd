//! Name resolution under one overall deadline: `getaddrinfo` blocks with no timeout of its own,
//! so each name is resolved on a worker thread and the caller waits on a channel only until the
//! deadline (a resolver that hangs costs nothing beyond it; the thread is abandoned).

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use crate::server::{Family, ServerSpec};

/// Resolves every spec (in parallel), filters by family and removes duplicate addresses.
/// Each entry is the list of addresses or a lowercase error message.
pub fn resolve(
    specs: &[ServerSpec],
    family: Family,
    deadline: Instant,
) -> Vec<Result<Vec<SocketAddr>, String>> {
    let mut results: Vec<Option<Result<Vec<SocketAddr>, String>>> = vec![None; specs.len()];
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
                let r = (host.as_str(), port)
                    .to_socket_addrs()
                    .map(|it| it.collect::<Vec<_>>())
                    .map_err(|e| e.to_string().to_lowercase());
                let _ = tx.send((i, r));
            });
        match spawned {
            Ok(_) => pending += 1,
            Err(e) => results[i] = Some(Err(format!("cannot start a resolver thread: {e}"))),
        }
    }
    while pending > 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((i, r)) => {
                results[i] = Some(r);
                pending -= 1;
            }
            Err(_) => break,
        }
    }
    results
        .into_iter()
        .map(|r| {
            let addrs = r.unwrap_or_else(|| Err("name resolution timed out".into()))?;
            let mut kept: Vec<SocketAddr> = Vec::new();
            for a in addrs.into_iter().filter(|a| family.admits(a)) {
                if !kept.contains(&a) {
                    kept.push(a);
                }
            }
            if kept.is_empty() {
                let which = match family {
                    Family::V4 => "no IPv4 address",
                    Family::V6 => "no IPv6 address",
                    Family::Any => "no address",
                };
                return Err(which.into());
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
        let deadline = Instant::now() + Duration::from_millis(100);
        let r = resolve(&specs, Family::Any, deadline);
        assert_eq!(
            r[0].as_ref().unwrap(),
            &vec!["127.0.0.1:5".parse::<SocketAddr>().unwrap()]
        );
        let r = resolve(&specs, Family::V4, deadline);
        assert!(r[0].is_ok());
        assert_eq!(r[1].as_ref().unwrap_err(), "no IPv4 address");
    }

    #[test]
    fn localhost_resolves_and_expired_deadline_times_out() {
        let specs = [parse_server("localhost", 123).unwrap()];
        let r = resolve(&specs, Family::Any, Instant::now() + Duration::from_secs(5));
        assert!(r[0].as_ref().unwrap().iter().all(|a| a.ip().is_loopback()));
        let r = resolve(&specs, Family::Any, Instant::now());
        // Either the resolver was faster than the zero budget or it timed out; never a panic.
        if let Err(e) = &r[0] {
            assert_eq!(e, "name resolution timed out");
        }
    }
}
