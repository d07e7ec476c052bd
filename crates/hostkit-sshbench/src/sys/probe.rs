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
        if left.is_zero() || buf.len() > MAX_GREETING_BYTES {
            return Err(SysError::plain(
                step,
                "no complete KEXINIT before the timeout",
            ));
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(|e| SysError::io(step.clone(), e))?;
        let n = stream
            .read(&mut chunk)
            .map_err(|e| SysError::io(step.clone(), e))?;
        if n == 0 {
            return Err(SysError::plain(
                step,
                "the server closed the connection before sending its KEXINIT",
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}
