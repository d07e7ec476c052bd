//! Fuzz target for the /proc parsers: `stat` lines (any bytes, hostile comms), and the system
//! files (`loadavg`, `/proc/stat`, `uptime`, PSI, status). Nothing may panic; an escaped comm
//! never contains a control character; a parsed line's comm is exactly the bytes between the
//! first `(` and the last `)`.
#![no_main]

use hostkit_proc::{escape_comm, parse_stat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(stat) = parse_stat(data) {
        let open = data.iter().position(|&b| b == b'(').unwrap();
        let close = data.iter().rposition(|&b| b == b')').unwrap();
        assert_eq!(stat.comm, &data[open + 1..close]);
    }
    assert!(!escape_comm(data).chars().any(char::is_control));
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = hostkit_proc::system::parse_loadavg(text);
        let _ = hostkit_proc::system::parse_kernel_stat(text);
        let _ = hostkit_proc::system::parse_uptime(text);
        let _ = hostkit_proc::psi::parse_psi("cpu", text);
        let _ = hostkit_proc::users::parse_passwd(text);
    }
    let _ = hostkit_proc::users::parse_status_euid(data);
});
