//! The crypto ceiling (pure): which `openssl speed` run measures the primitive behind an SSH
//! cipher or MAC, parsing its machine-readable (`-mr`) result, and the pair ceiling of a
//! cipher + MAC (both run on the same CPU in turn: 1 / (1/cipher + 1/MAC)). The ratio of ssh's
//! rate to this says how much of one core's crypto speed OpenSSH delivers.

use crate::record::Ceiling;

/// `openssl speed` arguments for an SSH cipher or MAC name (`None`: not an OpenSSL primitive,
/// e.g. OpenSSH's own UMAC, or unknown).
pub fn openssl_args(name: &str) -> Option<Vec<String>> {
    let evp = |alg: &str| Some(vec!["-evp".to_string(), alg.to_string()]);
    let hmac = |d: &str| Some(vec!["-hmac".to_string(), d.to_string()]);
    let mac = name.trim_end_matches("-etm@openssh.com");
    match name {
        "3des-cbc" => evp("des-ede3-cbc"),
        "aes128-cbc" | "aes192-cbc" | "aes256-cbc" | "aes128-ctr" | "aes192-ctr" | "aes256-ctr" => {
            evp(&format!("aes-{}-{}", &name[3..6], &name[7..]))
        }
        "aes128-gcm@openssh.com" => evp("aes-128-gcm"),
        "aes256-gcm@openssh.com" => evp("aes-256-gcm"),
        "chacha20-poly1305@openssh.com" => evp("chacha20-poly1305"),
        _ => match mac {
            "hmac-sha1" | "hmac-sha1-96" => hmac("sha1"),
            "hmac-sha2-256" => hmac("sha256"),
            "hmac-sha2-512" => hmac("sha512"),
            "hmac-md5" | "hmac-md5-96" => hmac("md5"),
            _ => None,
        },
    }
}

/// Bytes per second from `openssl speed -mr` output: the last `+F:` line's last field.
pub fn parse_speed(output: &str) -> Option<f64> {
    output
        .lines()
        .rev()
        .find(|l| l.starts_with("+F:"))
        .and_then(|l| l.rsplit(':').next())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v > 0.0)
}

/// The ceiling of `cipher` (+ `mac`, None for AEAD) in MB/s, when every part has one.
pub fn pair_mb_per_s(ceilings: &[Ceiling], cipher: &str, mac: Option<&str>) -> Option<f64> {
    let get = |n: &str| {
        ceilings
            .iter()
            .find(|c| c.name == n && c.mb_per_s > 0.0)
            .map(|c| c.mb_per_s)
    };
    let c = get(cipher)?;
    match mac {
        None => Some(c),
        Some(m) => Some(1.0 / (1.0 / c + 1.0 / get(m)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_ssh_names_to_openssl_primitives() {
        assert_eq!(openssl_args("aes192-ctr").unwrap(), ["-evp", "aes-192-ctr"]);
        assert_eq!(openssl_args("3des-cbc").unwrap(), ["-evp", "des-ede3-cbc"]);
        assert_eq!(
            openssl_args("hmac-sha2-256-etm@openssh.com").unwrap(),
            ["-hmac", "sha256"]
        );
        assert_eq!(openssl_args("hmac-sha1-96").unwrap(), ["-hmac", "sha1"]);
        assert_eq!(openssl_args("umac-64@openssh.com"), None);
    }

    #[test]
    fn parses_machine_readable_speed_and_combines_a_pair() {
        let out = "+DT:AES-128-CTR:1:16384\n+R:174723:AES-128-CTR:0.290000\n+H:16384\n+F:25:AES-128-CTR:9871247006.90\n";
        assert_eq!(parse_speed(out), Some(9871247006.90));
        assert_eq!(parse_speed("garbage"), None);
        let c = |name: &str, v: f64| Ceiling {
            name: name.into(),
            mb_per_s: v,
            command: String::new(),
        };
        let cs = [c("aes128-ctr", 3000.0), c("hmac-sha1", 1500.0)];
        assert_eq!(
            pair_mb_per_s(&cs, "aes128-ctr", Some("hmac-sha1")),
            Some(1000.0)
        );
        assert_eq!(pair_mb_per_s(&cs, "aes128-ctr", None), Some(3000.0));
        assert_eq!(
            pair_mb_per_s(&cs, "aes128-ctr", Some("umac-64@openssh.com")),
            None
        );
    }
}
