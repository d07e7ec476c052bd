//! Reads a server's identification line and its cleartext KEXINIT over one TCP connection
//! (RFC 4253 §4.2, §7.1) and hangs up: the server's algorithm lists without a key exchange.
//! Parsing is `kexinit::parse_server_greeting`; this file only moves bytes.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::SysError;
use crate::kexinit::{
    MAX_GREETING_BYTES, ServerHello, client_identification, parse_server_greeting,
};

/// Connects to `host:port`, sends our identification, returns the parsed greeting.
pub fn probe(host: &str, port: u16, timeout: Duration) -> Result<ServerHello, SysError> {
    let step = format!("reading the KEXINIT of `{host}:{port}`");
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|e| SysError::io(step.clone(), e))?
        .collect();
    let mut last_err = None;
    let mut stream = None;
    for a in addrs {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last_err = Some(e),
        }
    }
    let mut stream = stream.ok_or_else(|| {
        SysError::io(
            step.clone(),
            last_err.unwrap_or_else(|| std::io::Error::other("no address")),
        )
    })?;
    let deadline = Instant::now() + timeout;
    stream
        .write_all(&client_identification(concat!(
            "hostkit_",
            env!("CARGO_PKG_VERSION")
        )))
        .map_err(|e| SysError::io(step.clone(), e))?;
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        match parse_server_greeting(&buf) {
            Ok(Some((hello, _))) => return Ok(hello),
            Ok(None) => {}
            Err(e) => return Err(SysError::plain(step, e.to_string())),
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(SysError::plain(step, silent(&buf, timeout)));
        }
        if buf.len() > MAX_GREETING_BYTES {
            return Err(SysError::plain(
                step,
                format!("no complete KEXINIT in the first {MAX_GREETING_BYTES} bytes"),
            ));
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(|e| SysError::io(step.clone(), e))?;
        let n = match stream.read(&mut chunk) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(SysError::plain(step, silent(&buf, timeout)));
            }
            Err(e) => return Err(SysError::io(step.clone(), e)),
        };
        if n == 0 {
            return Err(SysError::plain(
                step,
                "the server closed the connection before sending its KEXINIT",
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// What a timeout means: no banner at all, or a banner but no KEXINIT.
fn silent(buf: &[u8], timeout: Duration) -> String {
    let secs = timeout.as_secs_f64();
    if buf.windows(4).any(|w| w == b"SSH-") {
        format!("no complete KEXINIT within {secs} s")
    } else {
        format!("no SSH banner within {secs} s (is an SSH server listening on that port?)")
    }
}
