//! Kernel receive timestamps (`SO_TIMESTAMPNS`, socket(7)): the time the datagram reached the
//! socket, not when this process got scheduled to read it. That removes wake-up latency from
//! T4 (it otherwise inflates the delay and biases the offset on a busy host). Falls back to
//! the clock read after `recvmsg` when the kernel attaches no timestamp.

use std::io;
use std::net::UdpSocket;
use std::os::fd::AsRawFd;
use std::time::SystemTime;

use crate::time::NtpTimestamp;

/// Asks the kernel to timestamp every datagram received on `socket`.
pub fn enable(socket: &UdpSocket) -> io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: a valid fd and a pointer to a c_int of the stated size.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_TIMESTAMPNS,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Receives one datagram into `buf`: its length and its arrival time.
pub fn recv(socket: &UdpSocket, buf: &mut [u8]) -> io::Result<(usize, NtpTimestamp)> {
    // u64 elements keep the control buffer aligned for `cmsghdr`.
    let mut control = [0u64; 16];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: zeroed msghdr is a valid "no name, no control" header; fields set below.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: msg points at live buffers (`buf`, `control`) for the duration of the call.
    let n = unsafe { libc::recvmsg(socket.as_raw_fd(), &mut msg, 0) };
    let fallback = NtpTimestamp::from_system_time(SystemTime::now());
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut arrival = None;
    // SAFETY: standard CMSG traversal over the control buffer filled in by recvmsg.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            let c = &*cmsg;
            if c.cmsg_level == libc::SOL_SOCKET && c.cmsg_type == libc::SCM_TIMESTAMPNS {
                let ts: libc::timespec = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast());
                if ts.tv_sec > 0 {
                    arrival = Some(NtpTimestamp::from_unix(ts.tv_sec as u64, ts.tv_nsec as u32));
                }
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    Ok((n as usize, arrival.unwrap_or(fallback)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrival_time_is_attached_and_not_after_the_read() {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        enable(&rx).unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        // The stamp is always between send and read. That it is the *arrival* (not the read) is
        // shown by a datagram left 30 ms in the queue; a loaded or virtualised host can deliver
        // one late now and then, so one clean attempt out of five is the proof.
        let mut stamped_on_arrival = false;
        let mut seen = Vec::new();
        for _ in 0..5 {
            let before = NtpTimestamp::from_system_time(SystemTime::now());
            tx.send_to(b"hello", rx.local_addr().unwrap()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(30));
            let mut buf = [0u8; 16];
            let (n, arrival) = recv(&rx, &mut buf).unwrap();
            let after = NtpTimestamp::from_system_time(SystemTime::now());
            assert_eq!(&buf[..n], b"hello");
            let since_send = arrival.diff(before).to_seconds();
            let until_read = after.diff(arrival).to_seconds();
            assert!(
                since_send >= -1e-6 && until_read >= -1e-6,
                "{since_send} {until_read}"
            );
            seen.push((since_send, until_read));
            if since_send < 0.02 && until_read >= 0.025 {
                stamped_on_arrival = true;
                break;
            }
        }
        assert!(stamped_on_arrival, "never stamped on arrival: {seen:?}");
    }
}
