//! Test fixtures shared by the unit tests: the OpenSSH 9.2p1 algorithm lists captured from
//! `ssh -Q` (under `testdata/ssh-q-9.2/`) and a server offering all of them.

use crate::algos::{ClientAlgos, Negotiable, ServerOffer, intersect};

fn q(name: &str) -> String {
    let path = format!(
        "{}/testdata/ssh-q-9.2/{name}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Owned strings from literals.
pub fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| (*s).to_owned()).collect()
}

/// The OpenSSH 9.2p1 client lists captured from `ssh -Q`.
pub fn client_92() -> ClientAlgos {
    ClientAlgos::from_query(
        &q("cipher"),
        &q("cipher-auth"),
        &q("mac"),
        &q("kex"),
        &q("key"),
    )
}

/// A server offering exactly what the 9.2 client knows, plus its pseudo-algorithms.
pub fn server_all_92() -> ServerOffer {
    let c = client_92();
    let mut kex = c.kex.clone();
    kex.push("kex-strict-s-v00@openssh.com".into());
    ServerOffer {
        version: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10".into(),
        kex,
        host_keys: strings(&["rsa-sha2-512", "rsa-sha2-256", "ssh-ed25519"]),
        ciphers_c2s: c.ciphers.clone(),
        ciphers_s2c: c.ciphers.clone(),
        macs_c2s: c.macs.clone(),
        macs_s2c: c.macs.clone(),
        compression: strings(&["none"]),
        pseudo: Vec::new(),
    }
}

/// What a 9.2 client and a 9.2 server with every algorithm enabled can negotiate.
pub fn neg_92() -> Negotiable {
    intersect(&client_92(), &server_all_92())
}

/// One synthetic bulk combination: cipher, MAC, true MB/s.
type Combo = (&'static str, Option<&'static str>, f64);

/// Bulk combinations of the synthetic log (rates shaped like the notes' loopback baselines).
pub const SYNTHETIC_BULK: &[Combo] = &[
    ("aes128-gcm@openssh.com", None, 391.0),
    ("aes256-gcm@openssh.com", None, 376.0),
    ("aes128-ctr", Some("hmac-sha1-etm@openssh.com"), 315.0),
    ("aes128-ctr", Some("hmac-sha2-256-etm@openssh.com"), 314.0),
    ("chacha20-poly1305@openssh.com", None, 257.0),
    ("aes128-ctr", Some("umac-64-etm@openssh.com"), 233.0),
    ("aes256-ctr", Some("hmac-sha2-512-etm@openssh.com"), 197.0),
    ("3des-cbc", Some("hmac-sha1-etm@openssh.com"), 8.0),
];

/// Kex of the synthetic log with true kex-only and connect milliseconds.
pub const SYNTHETIC_KEX: &[(&str, f64, f64)] = &[
    ("ecdh-sha2-nistp256", 104.0, 420.0),
    ("curve25519-sha256", 123.0, 593.0),
    ("sntrup761x25519-sha512", 271.0, 700.0),
];

/// A deterministic synthetic results log: 5 rounds, 0.25 s fixed cost, ±2 % noise, client CPU
/// busy half of each 1 s transfer (server 1.5x the client), one slow
/// chacha20 outlier, re-keys for 3des, one load spike above the 2 CPUs, one unsupported trial.
pub fn synthetic_log() -> crate::record::Log {
    use crate::plan::{Direction, Trial, TrialKind};
    use crate::record::{Header, Log, Measurement, Negotiated, Sample, Unsupported};
    let mut trials = vec![Trial::new(TrialKind::Baseline {
        direction: Direction::Up,
    })];
    for (cipher, mac, _) in SYNTHETIC_BULK {
        trials.push(Trial::new(TrialKind::Bulk {
            cipher: (*cipher).into(),
            mac: mac.map(str::to_owned),
            kex: "curve25519-sha256".into(),
            direction: Direction::Up,
        }));
    }
    for (kex, _, _) in SYNTHETIC_KEX {
        trials.push(Trial::new(TrialKind::KexOnly { kex: (*kex).into() }));
        trials.push(Trial::new(TrialKind::Connect { kex: (*kex).into() }));
    }
    let mut rng = hostkit_stats::Rng::new(2026);
    let mut noise = move || 1.0 + (rng.below(4001) as f64 - 2000.0) / 100_000.0;
    let mut samples = Vec::new();
    let sample = |trial: &str, round: u32, bytes: u64, wall_s: f64, cpu: f64| Sample {
        trial: trial.to_owned(),
        round,
        warmup: false,
        unix_time: 1_700_000_000.0 + f64::from(round),
        measured: Measurement {
            bytes,
            warmup_bytes: 0,
            window_s: None,
            restart_bytes: 0,
            restart_s: None,
            warmup_s: None,
            connected_ahead: false,
            wall_s,
            client_user_s: cpu * 0.75,
            client_sys_s: cpu * 0.25,
            server_user_s: Some(cpu * 1.2),
            server_sys_s: Some(cpu * 0.3),
            load1: 1.2,
            rekeys: 0,
            negotiated: Negotiated::default(),
        },
    };
    let fixed = 0.25;
    for round in 0..5 {
        samples.push(sample("baseline/up", round, 0, fixed * noise(), 0.03));
        for (t, (_, _, rate)) in trials[1..].iter().zip(SYNTHETIC_BULK) {
            let bytes = (rate * 1e6) as u64;
            let mut s = sample(
                &t.id,
                round,
                bytes,
                fixed + noise(),
                0.03 + 0.5 * bytes as f64 / (rate * 1e6),
            );
            if t.id.starts_with("bulk/up/3des") {
                s.measured.rekeys = 1;
            }
            if t.id.contains("chacha20") && round == 3 {
                s.measured.wall_s = fixed + 1.6;
            }
            samples.push(s);
        }
        for (kex, kex_ms, connect_ms) in SYNTHETIC_KEX {
            samples.push(sample(
                &format!("kex/{kex}"),
                round,
                0,
                kex_ms * noise() / 1e3,
                0.02,
            ));
            samples.push(sample(
                &format!("connect/{kex}"),
                round,
                0,
                connect_ms * noise() / 1e3,
                0.03,
            ));
        }
    }
    // A warm-up sample that must be ignored, and a load spike.
    let mut warm = sample(
        "bulk/up/aes128-gcm@openssh.com/implicit/curve25519-sha256",
        0,
        1,
        100.0,
        9.0,
    );
    warm.warmup = true;
    samples.push(warm);
    samples[3].measured.load1 = 3.4;
    Log {
        header: Header {
            schema: 1,
            hostkit_version: "0.1.0".into(),
            ssh_version: "OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.19".into(),
            server_version: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10".into(),
            cpu_model: "AMD EPYC (synthetic)".into(),
            cpu_flags: strings(&["aes", "avx2", "sha_ni", "vaes"]),
            cpus: 2,
            kernel: "6.1.0".into(),
            target: "private-sshd".into(),
            started_unix: 1_700_000_000.0,
            seed: 42,
            options: serde_json::json!({}),
            trials,
            method: crate::record::Method::FixedCost,
            pinning: crate::record::Pinning::default(),
            hostname: None,
            negotiable: None,
        },
        samples,
        ceilings: vec![],
        unsupported: vec![Unsupported {
            trial: "bulk/up/aes128-cbc/hmac-md5/curve25519-sha256".into(),
            reason: "no matching cipher found".into(),
        }],
        end: None,
        torn_tail: false,
    }
}
