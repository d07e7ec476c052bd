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
