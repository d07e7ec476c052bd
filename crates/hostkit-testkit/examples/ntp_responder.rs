//! A standalone responder for `bench/ntp-check`: `ntp_responder SHIFT_SECONDS` serves NTP on a
//! free 127.0.0.1 port with its clock shifted by SHIFT_SECONDS, prints the port on stdout and
//! runs until stdin is closed (so it dies with the script that started it).

use hostkit_testkit::ntp_responder::{Behaviour, Responder};

fn main() {
    let shift_seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(-0.75);
    let r = Responder::start(Behaviour::Clock {
        shift_seconds,
        stratum: 2,
        leap: 0,
    });
    println!("{}", r.addr.port());
    let mut sink = String::new();
    while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {}
}
