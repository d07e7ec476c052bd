//! A standalone responder for `bench/ntp-check` and manual comparisons:
//! `ntp_responder [SHIFT_SECONDS [ROOT_DELAY_SECONDS ROOT_DISPERSION_SECONDS]]` serves NTP on a
//! free 127.0.0.1 port with its clock shifted by SHIFT_SECONDS (default -0.75), or, with the
//! root values, a stratum-2 server with no offset reporting them; prints the port on stdout
//! and runs until stdin is closed (so it dies with the script that started it).

use hostkit_testkit::ntp_responder::{Behaviour, Responder};

fn main() {
    let args: Vec<f64> = std::env::args()
        .skip(1)
        .map(|a| {
            a.parse()
                .unwrap_or_else(|_| panic!("`{a}` is not a number of seconds"))
        })
        .collect();
    let behaviour = match args[..] {
        [_, delay_seconds, dispersion_seconds] => Behaviour::Root {
            delay_seconds,
            dispersion_seconds,
        },
        _ => Behaviour::Clock {
            shift_seconds: args.first().copied().unwrap_or(-0.75),
            stratum: 2,
            leap: 0,
        },
    };
    let r = Responder::start(behaviour);
    println!("{}", r.addr.port());
    let mut sink = String::new();
    while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {}
}
