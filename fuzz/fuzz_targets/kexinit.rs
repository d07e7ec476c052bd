//! Fuzz target for the server greeting + KEXINIT parser: arbitrary bytes must never panic,
//! and a successful parse must consume no more than it was given and convert to an offer.
#![no_main]

use hostkit_sshbench::kexinit::{parse_server_greeting, to_offer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((hello, used))) = parse_server_greeting(data) {
        assert!(used <= data.len());
        let offer = to_offer(&hello);
        assert!(
            offer
                .kex
                .iter()
                .all(|k| !hostkit_sshbench::algos::is_pseudo(k))
        );
    }
    // The same bytes after a valid identification line exercise the packet parser directly.
    let mut framed = b"SSH-2.0-fuzz\r\n".to_vec();
    framed.extend_from_slice(data);
    let _ = parse_server_greeting(&framed);
});
