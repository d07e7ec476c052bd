//! A private chronyd for tests: serves NTP on 127.0.0.1 and ::1 on a free port, never touches
//! the system clock (`-x`), opens no command socket (`cmdport 0`, `bindcmdaddress /`), keeps its
//! files in a 0700 temp dir, and is killed by PID when dropped.

use std::net::{SocketAddr, UdpSocket};
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Path of Debian's chronyd.
pub const CHRONYD: &str = "/usr/sbin/chronyd";

/// How the server should present itself.
#[derive(Debug, Clone)]
pub struct ChronydOptions {
    /// `local stratum N`; `None` leaves chronyd unsynchronised (LI=3, stratum 0).
    pub local_stratum: Option<u8>,
    /// Extra configuration lines (e.g. `ratelimit interval 3 burst 1`).
    pub extra: Vec<String>,
}

impl Default for ChronydOptions {
    fn default() -> Self {
        ChronydOptions {
            local_stratum: Some(8),
            extra: Vec::new(),
        }
    }
}

/// A running chronyd; dropped = killed.
#[derive(Debug)]
pub struct Chronyd {
    child: Child,
    /// The NTP port on 127.0.0.1 and ::1.
    pub port: u16,
    dir: tempfile::TempDir,
}

/// True when this machine has a usable IPv6 loopback (some containers have none).
pub fn ipv6_loopback() -> bool {
    UdpSocket::bind("[::1]:0").is_ok()
}

/// A UDP port currently free on 127.0.0.1 and, when IPv6 exists, on ::1.
pub fn free_udp_port() -> u16 {
    let v6 = ipv6_loopback();
    loop {
        let v4 = UdpSocket::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = v4.local_addr().unwrap().port();
        if !v6 || UdpSocket::bind(("::1", port)).is_ok() {
            return port;
        }
    }
}

/// One SNTP request; the first 48 bytes of the reply if one comes back within `wait`.
pub fn query(addr: SocketAddr, wait: Duration) -> Option<[u8; 48]> {
    let local = if addr.is_ipv4() {
        "127.0.0.1:0"
    } else {
        "[::1]:0"
    };
    let s = UdpSocket::bind(local).ok()?;
    s.set_read_timeout(Some(wait)).ok()?;
    let mut req = [0u8; 48];
    req[0] = 0x23;
    req[40..48].copy_from_slice(&0x5eed_u64.to_be_bytes());
    s.send_to(&req, addr).ok()?;
    let mut buf = [0u8; 512];
    match s.recv_from(&mut buf) {
        Ok((n, _)) if n >= 48 => Some(buf[..48].try_into().unwrap()),
        _ => None,
    }
}

/// True for a reply that chronyd itself sent: reference ID 127.127.1.1 (`local`), or the
/// unsynchronised form (leap 3, stratum 0, reference ID 0). Guards against another test's
/// server having taken the port.
fn from_chronyd(reply: &[u8; 48]) -> bool {
    reply[12..16] == [0x7f, 0x7f, 0x01, 0x01]
        || (reply[0] >> 6 == 3 && reply[1] == 0 && reply[12..16] == [0; 4])
}

impl Chronyd {
    /// Starts a synchronised server (`local stratum 8`).
    pub fn start() -> Chronyd {
        Chronyd::start_with(&ChronydOptions::default())
    }

    /// Starts chronyd with `opts`, retrying on another port if it does not come up.
    pub fn start_with(opts: &ChronydOptions) -> Chronyd {
        let mut last = String::new();
        for _ in 0..5 {
            match Chronyd::try_start(opts) {
                Ok(c) => return c,
                Err(e) => last = e,
            }
        }
        panic!("chronyd did not start: {last}");
    }

    fn try_start(opts: &ChronydOptions) -> Result<Chronyd, String> {
        let dir = tempfile::Builder::new()
            .prefix("hostkit-chronyd")
            .tempdir()
            .map_err(|e| e.to_string())?;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
            .map_err(|e| e.to_string())?;
        let port = free_udp_port();
        let mut conf = format!(
            "port {port}\nbindaddress 127.0.0.1\nallow 127.0.0.1\nallow ::1\ncmdport 0\nbindcmdaddress /\npidfile {}/chronyd.pid\n",
            dir.path().display()
        );
        if ipv6_loopback() {
            conf.push_str("bindaddress ::1\n");
        }
        if let Some(s) = opts.local_stratum {
            conf.push_str(&format!("local stratum {s}\n"));
        }
        for line in &opts.extra {
            conf.push_str(line);
            conf.push('\n');
        }
        let conf_path = dir.path().join("chrony.conf");
        std::fs::write(&conf_path, conf).map_err(|e| e.to_string())?;
        let log =
            std::fs::File::create(dir.path().join("chronyd.log")).map_err(|e| e.to_string())?;
        let child = Command::new(CHRONYD)
            .arg("-x")
            .arg("-d")
            .arg("-f")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot run {CHRONYD}: {e}"))?;
        let mut server = Chronyd { child, port, dir };
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("chronyd exited with {status}: {}", server.log()));
            }
            match query(addr, Duration::from_millis(5)) {
                Some(reply) if from_chronyd(&reply) => return Ok(server),
                Some(_) => return Err(format!("port {port} is answered by another server")),
                None => {}
            }
        }
        Err(format!(
            "chronyd on port {port} did not answer within 5 s: {}",
            server.log()
        ))
    }

    /// chronyd's log so far (for assertion messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("chronyd.log")).unwrap_or_default()
    }

    /// `127.0.0.1:PORT`.
    pub fn v4(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `[::1]:PORT`.
    pub fn v6(&self) -> String {
        format!("[::1]:{}", self.port)
    }
}

impl Drop for Chronyd {
    fn drop(&mut self) {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) on the PID of our own child.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let until = Instant::now() + Duration::from_secs(2);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
