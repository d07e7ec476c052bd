//! Runs `openssl speed -mr -seconds 1 -bytes 16384` once per primitive (the rate is per CPU
//! second, so a loaded machine lowers it little) and returns [`Ceiling`] records.

use std::path::Path;
use std::process::Command;

use crate::ceiling::{openssl_args, parse_speed};
use crate::record::Ceiling;

/// Measures each name (cipher or MAC) that maps to an OpenSSL primitive; names without one,
/// or whose run fails, are left out. `openssl` is the binary to run.
pub fn measure(openssl: &Path, names: &[String], pin_cpu: Option<usize>) -> Vec<Ceiling> {
    let mut out = Vec::new();
    let mut seen: Vec<Vec<String>> = Vec::new();
    for name in names {
        let Some(args) = openssl_args(name) else {
            continue;
        };
        let mut cmd = Command::new(openssl);
        cmd.args(["speed", "-mr", "-seconds", "1", "-bytes", "16384"])
            .args(&args);
        if let Some(cpu) = pin_cpu {
            super::affinity::pin_command(&mut cmd, cpu);
        }
        let command = format!(
            "openssl speed -mr -seconds 1 -bytes 16384 {}",
            args.join(" ")
        );
        // One run per primitive (hmac-sha1 and its -etm twin share it).
        let bps = match seen.iter().position(|a| *a == args) {
            Some(_) => out
                .iter()
                .find(|c: &&Ceiling| c.command == command)
                .map(|c| c.mb_per_s * 1e6),
            None => {
                seen.push(args.clone());
                cmd.output()
                    .ok()
                    .filter(|o| o.status.success())
                    .and_then(|o| parse_speed(&String::from_utf8_lossy(&o.stdout)))
            }
        };
        if let Some(bps) = bps {
            out.push(Ceiling {
                name: name.clone(),
                mb_per_s: bps / 1e6,
                command,
            });
        }
    }
    out
}
