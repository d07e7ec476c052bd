//! A tiny DNS server (RFC 1035, UDP, A records only) that answers late or never, for testing
//! what a slow resolver does to a check: glibc's real stub resolver talks to it through a
//! resolv.conf bind-mounted over /etc/resolv.conf in a private mount namespace
//! ([`DnsResponder::command`], `unshare -m`, root only), so the program under test resolves
//! exactly as it would in production. It listens on port 53 of a random 127.x.y.z address
//! (so parallel tests never collide) and stops when dropped.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// When to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Every reply waits this long after its query.
    After(Duration),
    /// Never reply (glibc's own timeout decides: `EAI_AGAIN`).
    Never,
}

/// A running DNS responder and the resolv.conf that points at it.
#[derive(Debug)]
pub struct DnsResponder {
    /// The address it listens on (port 53).
    pub ip: Ipv4Addr,
    dir: tempfile::TempDir,
    queries: Arc<AtomicU32>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// The reply to a query for `records` (name, address), or `None` for a malformed query.
/// Known names get their A record (AAAA and other types: no data); unknown names NXDOMAIN.
pub fn reply(query: &[u8], records: &[(String, Ipv4Addr)]) -> Option<Vec<u8>> {
    if query.len() < 12 || query[2] & 0x80 != 0 {
        return None;
    }
    // The question: labels, then type and class.
    let mut i = 12;
    let mut labels = Vec::new();
    loop {
        let len = *query.get(i)? as usize;
        i += 1;
        if len == 0 {
            break;
        }
        if len > 63 {
            return None;
        }
        labels.push(String::from_utf8_lossy(query.get(i..i + len)?).to_ascii_lowercase());
        i += len;
    }
    let qtype = u16::from_be_bytes([*query.get(i)?, *query.get(i + 1)?]);
    let question_end = i + 4;
    query.get(..question_end)?;
    let name = labels.join(".");
    let address = records.iter().find(|(n, _)| n.eq_ignore_ascii_case(&name));
    let mut r = Vec::with_capacity(question_end + 16);
    r.extend_from_slice(&query[0..2]); // id
    let rcode = if address.is_some() { 0 } else { 3 }; // NXDOMAIN
    r.push(0x80 | 0x04 | (query[2] & 0x01)); // QR, AA, RD copied
    r.push(0x80 | rcode); // RA
    let answers = u16::from(address.is_some() && qtype == 1);
    for count in [1u16, answers, 0, 0] {
        r.extend_from_slice(&count.to_be_bytes());
    }
    r.extend_from_slice(&query[12..question_end]);
    if let (Some((_, ip)), 1) = (address, answers) {
        r.extend_from_slice(&[0xc0, 12]); // name: pointer to the question
        r.extend_from_slice(&[0, 1, 0, 1]); // A, IN
        r.extend_from_slice(&0u32.to_be_bytes()); // TTL
        r.extend_from_slice(&4u16.to_be_bytes());
        r.extend_from_slice(&ip.octets());
    }
    Some(r)
}

impl DnsResponder {
    /// Starts a responder that knows `records` and answers as `answer` says. The resolv.conf
    /// it writes uses `options` (e.g. `timeout:1 attempts:1`) when not empty.
    pub fn start(records: &[(&str, Ipv4Addr)], answer: Answer, options: &str) -> DnsResponder {
        let (socket, ip) = bind_random_loopback();
        socket
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut conf = format!("nameserver {ip}\n");
        if !options.is_empty() {
            conf.push_str(&format!("options {options}\n"));
        }
        std::fs::write(dir.path().join("resolv.conf"), conf).unwrap();
        let records: Vec<(String, Ipv4Addr)> =
            records.iter().map(|(n, a)| (n.to_string(), *a)).collect();
        let stop = Arc::new(AtomicBool::new(false));
        let queries = Arc::new(AtomicU32::new(0));
        let (stop2, queries2) = (stop.clone(), queries.clone());
        let thread = std::thread::spawn(move || {
            let socket = Arc::new(socket);
            let mut buf = [0u8; 512];
            let mut late = Vec::new();
            while !stop2.load(Ordering::Relaxed) {
                let Ok((n, from)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                queries2.fetch_add(1, Ordering::Relaxed);
                let (Answer::After(delay), Some(r)) = (answer, reply(&buf[..n], &records)) else {
                    continue;
                };
                let (socket, stop3) = (socket.clone(), stop2.clone());
                late.push(std::thread::spawn(move || {
                    send_later(&socket, &r, from, delay, &stop3)
                }));
            }
            for t in late {
                let _ = t.join();
            }
        });
        DnsResponder {
            ip,
            dir,
            queries,
            stop,
            thread: Some(thread),
        }
    }

    /// The resolv.conf pointing at this responder.
    pub fn resolv_conf(&self) -> PathBuf {
        self.dir.path().join("resolv.conf")
    }

    /// Queries received so far.
    pub fn queries(&self) -> u32 {
        self.queries.load(Ordering::Relaxed)
    }

    /// `program args...` run in a private mount namespace where /etc/resolv.conf is this
    /// responder's (`unshare -m` + `mount --bind`; needs root).
    pub fn command(&self, program: &Path) -> Command {
        let mut c = Command::new("unshare");
        c.args(["-m", "--", "sh", "-c"])
            .arg(r#"mount --bind "$0" /etc/resolv.conf && exec "$@""#)
            .arg(self.resolv_conf())
            .arg(program);
        c
    }
}

/// Sleeps `delay` in small steps (so a dropped responder stops promptly), then sends.
fn send_later(socket: &UdpSocket, r: &[u8], to: SocketAddr, delay: Duration, stop: &AtomicBool) {
    let until = std::time::Instant::now() + delay;
    while std::time::Instant::now() < until {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        std::thread::sleep(Duration::from_millis(5).min(delay));
    }
    let _ = socket.send_to(r, to);
}

/// Binds UDP port 53 on a random 127.x.y.z (not 127.0.0.x), retrying on collisions.
fn bind_random_loopback() -> (UdpSocket, Ipv4Addr) {
    let mut seed = std::process::id() as u64
        ^ (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64);
    for _ in 0..50 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let b = (seed >> 33).to_be_bytes();
        let ip = Ipv4Addr::new(127, 1 + b[5] % 250, b[6], 1 + b[7] % 250);
        if let Ok(s) = UdpSocket::bind((ip, 53)) {
            return (s, ip);
        }
    }
    panic!("no free 127.x.y.z:53 for the DNS responder (are we root?)");
}

impl Drop for DnsResponder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(name: &str, qtype: u16) -> Vec<u8> {
        let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        for label in name.split('.') {
            q.push(label.len() as u8);
            q.extend_from_slice(label.as_bytes());
        }
        q.push(0);
        q.extend_from_slice(&qtype.to_be_bytes());
        q.extend_from_slice(&[0, 1]);
        q
    }

    #[test]
    fn answers_a_records_and_nxdomain() {
        let records = vec![("ntp.hostkit.test".to_string(), Ipv4Addr::LOCALHOST)];
        let r = reply(&query("NTP.hostkit.test", 1), &records).unwrap();
        assert_eq!(&r[0..2], &[0x12, 0x34]);
        assert_eq!(r[3] & 0x0f, 0);
        assert_eq!(u16::from_be_bytes([r[6], r[7]]), 1);
        assert_eq!(&r[r.len() - 4..], &[127, 0, 0, 1]);
        let aaaa = reply(&query("ntp.hostkit.test", 28), &records).unwrap();
        assert_eq!((aaaa[3] & 0x0f, aaaa[7]), (0, 0));
        let nx = reply(&query("other.test", 1), &records).unwrap();
        assert_eq!(nx[3] & 0x0f, 3);
        assert_eq!(reply(&[0; 5], &records), None);
    }
}
