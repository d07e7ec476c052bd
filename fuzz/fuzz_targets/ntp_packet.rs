//! Fuzz target for the NTP packet decoder and reply validation: arbitrary bytes never panic,
//! anything that decodes re-encodes to the same first 48 bytes, and offset/delay arithmetic
//! on whatever validates stays finite.
#![no_main]

use hostkit_ntp::packet::{HEADER_LEN, Packet};
use hostkit_ntp::sample::{Reply, Request, validate};
use hostkit_ntp::time::NtpTimestamp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = Packet::decode(data) {
        assert_eq!(&p.encode()[..], &data[..HEADER_LEN]);
        let _ = p.kiss_code().map(|k| k.as_text());
        // Validate against a request whose cookie is the packet's own origin, so that the
        // fuzzer reaches the checks behind the cookie.
        let req = Request {
            cookie: p.origin,
            t1: NtpTimestamp::from_bits(0xe000_0000_0000_0000),
        };
        if let Reply::Sample { sample, .. } =
            validate(&[req], data, NtpTimestamp::from_bits(0xe000_0001_0000_0000))
        {
            assert!(sample.offset().to_seconds().is_finite());
            assert!(sample.delay().to_seconds() >= 0.0);
            assert!(sample.root_distance_seconds().is_finite());
        }
    }
});
