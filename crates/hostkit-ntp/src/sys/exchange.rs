//! The UDP exchange: one `connect()`ed socket per address (so ICMP port-unreachable comes back
//! as ECONNREFUSED), all addresses in flight at once, one `poll(2)` loop that sleeps until the
//! next reply, the next scheduled request or the deadline (millisecond precision, never a spin),
//! and stops as soon as every address is finished. Each request carries a fresh random 64-bit
//! cookie in its transmit field; T1 is kept locally.

use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant, SystemTime};

use crate::packet::Packet;
use crate::sample::{Reply, Request, validate};
use crate::select::Exchange;
use crate::sys::rx_timestamp;
use crate::time::NtpTimestamp;

/// How to query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Valid samples wanted per address.
    pub samples: u32,
    /// Gap between one answered request and the next to the same address.
    pub interval: Duration,
    /// Re-send when a request has gone unanswered this long.
    pub retry_after: Duration,
    /// Stop everything at this instant.
    pub deadline: Instant,
}

struct Slot {
    socket: Option<UdpSocket>,
    exchange: Exchange,
    inflight: Vec<Request>,
    next_send: Instant,
    done: bool,
}

/// A random 64-bit cookie from the kernel CSPRNG (never zero).
pub fn random_cookie() -> NtpTimestamp {
    loop {
        let mut buf = [0u8; 8];
        // SAFETY: `buf` is a valid writable buffer of the given length.
        let n = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n == 8 {
            let v = u64::from_ne_bytes(buf);
            if v != 0 {
                return NtpTimestamp::from_bits(v);
            }
        }
    }
}

fn open(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    let local: SocketAddr = if addr.is_ipv4() {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(local)?;
    socket.connect(addr)?;
    socket.set_nonblocking(true)?;
    // Best effort: without it T4 is read from the clock after recvmsg.
    let _ = rx_timestamp::enable(&socket);
    Ok(socket)
}

/// Queries every `(host, address)` in parallel and returns one [`Exchange`] per address.
pub fn run(targets: &[(String, SocketAddr)], plan: &Plan) -> Vec<Exchange> {
    let start = Instant::now();
    let mut slots: Vec<Slot> = targets
        .iter()
        .map(|(host, addr)| {
            let mut exchange = Exchange::new(host, *addr);
            let socket = match open(*addr) {
                Ok(s) => Some(s),
                Err(e) => {
                    exchange.error = Some(e.to_string().to_lowercase());
                    None
                }
            };
            let done = socket.is_none() || plan.samples == 0;
            Slot {
                socket,
                exchange,
                inflight: Vec::new(),
                next_send: start,
                done,
            }
        })
        .collect();
    loop {
        let now = Instant::now();
        if now >= plan.deadline {
            break;
        }
        for slot in slots.iter_mut().filter(|s| !s.done && s.next_send <= now) {
            send(slot, plan, start);
        }
        let active: Vec<usize> = (0..slots.len()).filter(|&i| !slots[i].done).collect();
        if active.is_empty() {
            break;
        }
        let wake = active
            .iter()
            .map(|&i| slots[i].next_send)
            .min()
            .unwrap_or(plan.deadline)
            .min(plan.deadline);
        let ready = wait(&slots, &active, wake);
        for i in ready {
            receive(&mut slots[i], plan, start);
        }
    }
    slots.into_iter().map(|s| s.exchange).collect()
}

fn send(slot: &mut Slot, plan: &Plan, start: Instant) {
    let Some(socket) = &slot.socket else { return };
    let cookie = random_cookie();
    let t1 = NtpTimestamp::from_system_time(SystemTime::now());
    let bytes = Packet::client_request(cookie).encode();
    match socket.send(&bytes) {
        Ok(_) => {
            slot.exchange.sent += 1;
            slot.inflight.push(Request { cookie, t1 });
            slot.next_send = Instant::now() + plan.retry_after;
        }
        Err(e) => fail(slot, &e, start),
    }
}

fn fail(slot: &mut Slot, e: &std::io::Error, start: Instant) {
    if e.kind() == ErrorKind::ConnectionRefused {
        slot.exchange.refused = true;
        slot.exchange.refused_after_ms = Some(start.elapsed().as_millis() as u64);
    } else {
        slot.exchange.error = Some(e.to_string().to_lowercase());
    }
    slot.done = true;
}

/// Blocks in poll(2) until a socket is readable (or errored) or `wake` arrives.
fn wait(slots: &[Slot], active: &[usize], wake: Instant) -> Vec<usize> {
    let mut fds: Vec<libc::pollfd> = active
        .iter()
        .map(|&i| libc::pollfd {
            fd: slots[i].socket.as_ref().map_or(-1, |s| s.as_raw_fd()),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let left = wake.saturating_duration_since(Instant::now());
    // Round up so that we never wake a fraction of a millisecond early and spin.
    let timeout_ms = left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
    // SAFETY: `fds` is a valid array of `fds.len()` pollfd structures.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
    if n <= 0 {
        return Vec::new();
    }
    active
        .iter()
        .zip(&fds)
        .filter(|(_, f)| f.revents != 0)
        .map(|(&i, _)| i)
        .collect()
}

fn receive(slot: &mut Slot, plan: &Plan, start: Instant) {
    let mut buf = [0u8; 1024];
    loop {
        let Some(socket) = &slot.socket else { return };
        let (n, t4) = match rx_timestamp::recv(socket, &mut buf) {
            Ok(got) => got,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return fail(slot, &e, start),
        };
        match validate(&slot.inflight, &buf[..n], t4) {
            Reply::Sample { request, sample } => {
                slot.inflight.remove(request);
                slot.exchange.samples.push(sample);
                if slot.exchange.samples.len() as u32 >= plan.samples {
                    slot.done = true;
                    return;
                }
                slot.next_send = Instant::now() + plan.interval;
            }
            Reply::Kiss { code, .. } => {
                // RATE, DENY, RSTR and the rest: stop querying this address (RFC 5905 §7.4).
                slot.exchange.kiss = Some(code);
                slot.done = true;
                return;
            }
            Reply::Ignored(why) => slot.exchange.ignored.push(why),
        }
        if slot.done {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_random() {
        let a = random_cookie();
        let b = random_cookie();
        assert_ne!(a, b);
        assert_ne!(a, NtpTimestamp::ZERO);
    }

    #[test]
    fn silent_server_times_out_at_the_deadline() {
        // A bound socket that never answers.
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = silent.local_addr().unwrap();
        let plan = Plan {
            samples: 1,
            interval: Duration::ZERO,
            retry_after: Duration::from_millis(20),
            deadline: Instant::now() + Duration::from_millis(100),
        };
        let out = run(&[("x".into(), addr)], &plan);
        assert!(out[0].samples.is_empty() && !out[0].refused);
        assert!(out[0].sent >= 2, "retried: {}", out[0].sent);
        let mut buf = [0u8; 64];
        let (n, _) = silent.recv_from(&mut buf).unwrap();
        assert_eq!((n, buf[0]), (48, 0x23));
    }
}
