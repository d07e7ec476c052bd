//! An in-test NTP server for what chronyd cannot be made to do on demand: a clock shifted by
//! a fixed amount (e.g. 0.75 s slow), leap indicator 3, stratum 16, kiss-o'-death codes, a wrong
//! origin, a wrong mode, truncated replies, silence; plus a port that refuses (ICMP unreachable).
//! It builds replies by hand (independently of the codec under test) on a thread that stops
//! when the [`Responder`] is dropped. Like chronyd, it stamps T2 with the kernel receive time.

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hostkit_ntp::sys::rx_timestamp;

/// What the responder does with each request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Behaviour {
    /// A normal server whose clock is `shift_seconds` ahead of ours (negative: behind).
    Clock {
        /// Server clock minus local clock, in seconds.
        shift_seconds: f64,
        /// Stratum to claim.
        stratum: u8,
        /// Leap indicator (0..=3).
        leap: u8,
    },
    /// Kiss-o'-death with this code (stratum 0).
    Kiss([u8; 4]),
    /// A good reply whose origin does not echo the request.
    WrongOrigin,
    /// A good reply with this mode instead of 4.
    Mode(u8),
    /// A good reply cut to this many bytes.
    Truncated(usize),
    /// A synchronised stratum-2 server with no offset that reports these root delay and root
    /// dispersion values (root distance = delay / 2 + dispersion, RFC 5905 §11.2), like a
    /// Windows w32time server (dispersion near 10 s).
    Root {
        /// Root delay in seconds (0 to 32767).
        delay_seconds: f64,
        /// Root dispersion in seconds (0 to 65535).
        dispersion_seconds: f64,
    },
    /// Never answer.
    Silent,
}

impl Behaviour {
    /// An honest stratum-2 server with no offset.
    pub const GOOD: Behaviour = Behaviour::Clock {
        shift_seconds: 0.0,
        stratum: 2,
        leap: 0,
    };
}

/// A running responder; dropped = stopped.
#[derive(Debug)]
pub struct Responder {
    /// Where it listens.
    pub addr: SocketAddr,
    requests: Arc<AtomicU32>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn ntp_now(shift_seconds: f64) -> u64 {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    ntp_bits(d.as_secs_f64(), shift_seconds)
}

fn ntp_bits(unix_seconds: f64, shift_seconds: f64) -> u64 {
    let secs = unix_seconds + shift_seconds + 2_208_988_800.0;
    let whole = secs.floor();
    ((whole as u64 & 0xFFFF_FFFF) << 32) | (((secs - whole) * 4_294_967_296.0) as u64)
}

/// The reply to `req` under `b`, or `None` to stay silent.
pub fn reply(b: Behaviour, req: &[u8], received: u64) -> Option<Vec<u8>> {
    if req.len() < 48 {
        return None;
    }
    let (shift, stratum, leap, mode, refid) = match b {
        Behaviour::Silent => return None,
        Behaviour::Clock {
            shift_seconds,
            stratum,
            leap,
        } => (shift_seconds, stratum, leap, 4, [127, 0, 0, 1]),
        Behaviour::Kiss(code) => (0.0, 0, 3, 4, code),
        Behaviour::Mode(m) => (0.0, 2, 0, m, [127, 0, 0, 1]),
        Behaviour::WrongOrigin | Behaviour::Truncated(_) | Behaviour::Root { .. } => {
            (0.0, 2, 0, 4, [127, 0, 0, 1])
        }
    };
    let mut p = vec![0u8; 48];
    p[0] = (leap << 6) | (4 << 3) | mode;
    p[1] = stratum;
    p[2] = req[2];
    p[3] = (-20i8) as u8;
    p[8..12].copy_from_slice(&0x0000_0100u32.to_be_bytes()); // root dispersion ~3.9 ms
    if let Behaviour::Root {
        delay_seconds,
        dispersion_seconds,
    } = b
    {
        // NTP short format: 16.16 fixed point.
        let short = |s: f64| ((s * 65536.0).round() as u32).to_be_bytes();
        p[4..8].copy_from_slice(&short(delay_seconds));
        p[8..12].copy_from_slice(&short(dispersion_seconds));
    }
    p[12..16].copy_from_slice(&refid);
    let transmit = ntp_now(shift);
    p[16..24].copy_from_slice(&(transmit - (1u64 << 32)).to_be_bytes());
    let mut origin = [0u8; 8];
    origin.copy_from_slice(&req[40..48]);
    if b == Behaviour::WrongOrigin {
        origin[7] ^= 0x55;
    }
    p[24..32].copy_from_slice(&origin);
    p[32..40].copy_from_slice(&received.to_be_bytes());
    p[40..48].copy_from_slice(&transmit.to_be_bytes());
    if let Behaviour::Truncated(n) = b {
        p.truncate(n);
    }
    Some(p)
}

impl Responder {
    /// Starts a responder on `127.0.0.1` (or `::1` with `ipv6`) on a free port.
    pub fn start(behaviour: Behaviour) -> Responder {
        Responder::start_on("127.0.0.1:0", behaviour)
    }

    /// Starts a responder bound to `bind` (e.g. `127.0.0.1:0`).
    pub fn start_on(bind: &str, behaviour: Behaviour) -> Responder {
        let socket = UdpSocket::bind(bind).expect("bind responder");
        socket
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let addr = socket.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicU32::new(0));
        let (stop2, requests2) = (stop.clone(), requests.clone());
        let shift = match behaviour {
            Behaviour::Clock { shift_seconds, .. } => shift_seconds,
            _ => 0.0,
        };
        rx_timestamp::enable(&socket).expect("SO_TIMESTAMPNS");
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            while !stop2.load(Ordering::Relaxed) {
                // Peek the sender, then read the datagram with its kernel arrival time.
                let Ok((_, from)) = socket.peek_from(&mut buf) else {
                    continue;
                };
                let Ok((n, arrival)) = rx_timestamp::recv(&socket, &mut buf) else {
                    continue;
                };
                let received = ntp_bits(arrival.to_unix_seconds(), shift);
                requests2.fetch_add(1, Ordering::Relaxed);
                if let Some(r) = reply(behaviour, &buf[..n], received) {
                    let _ = socket.send_to(&r, from);
                }
            }
        });
        Responder {
            addr,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// Requests received so far.
    pub fn requests(&self) -> u32 {
        self.requests.load(Ordering::Relaxed)
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A UDP port on 127.0.0.1 with nothing listening: requests get ICMP port unreachable.
pub fn refused_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
    s.local_addr().unwrap().port()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_echo_the_cookie_and_shift_the_clock() {
        let mut req = [0u8; 48];
        req[0] = 0x23;
        req[40..48].copy_from_slice(&42u64.to_be_bytes());
        let b = Behaviour::Clock {
            shift_seconds: -0.75,
            stratum: 2,
            leap: 0,
        };
        let before = ntp_now(0.0);
        let r = reply(b, &req, ntp_now(-0.75)).unwrap();
        assert_eq!(r[0], 0x24);
        assert_eq!(&r[24..32], &42u64.to_be_bytes());
        let t3 = u64::from_be_bytes(r[40..48].try_into().unwrap());
        let shift = (t3.wrapping_sub(before) as i64) as f64 / 4_294_967_296.0;
        assert!((shift + 0.75).abs() < 0.05, "{shift}");
        assert_eq!(reply(Behaviour::Truncated(47), &req, 0).unwrap().len(), 47);
        assert_eq!(reply(Behaviour::Silent, &req, 0), None);
        let root = Behaviour::Root {
            delay_seconds: 4.0,
            dispersion_seconds: 10.25,
        };
        let r = reply(root, &req, 0).unwrap();
        assert_eq!(&r[4..12], &[0, 4, 0, 0, 0, 10, 0x40, 0]);
        assert_ne!(
            &reply(Behaviour::WrongOrigin, &req, 0).unwrap()[24..32],
            &42u64.to_be_bytes()
        );
    }
}
