//! OpenSSH's compiled-in algorithm orders (myproposal.h): what a client or server negotiates
//! when its config names nothing. The `openssh-default` policy and the recommendation's "gain
//! over the default order" both read them; below `policy` and `report`.

/// OpenSSH's compiled-in cipher order (myproposal.h, 9.x; 10.0 moved GCM before CTR, chacha20
/// stays first, so the default pick is the same).
pub const CIPHERS: &[&str] = &[
    "chacha20-poly1305@openssh.com",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
];
/// OpenSSH's compiled-in MAC order (9.x).
pub const MACS: &[&str] = &[
    "umac-64-etm@openssh.com",
    "umac-128-etm@openssh.com",
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "hmac-sha1-etm@openssh.com",
    "umac-64@openssh.com",
    "umac-128@openssh.com",
    "hmac-sha2-256",
    "hmac-sha2-512",
    "hmac-sha1",
];
/// OpenSSH's compiled-in kex order (canonical names; 10.0 put ML-KEM first, 9.0 sntrup761).
pub const KEX: &[&str] = &[
    "mlkem768x25519-sha256",
    "sntrup761x25519-sha512",
    "curve25519-sha256",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group14-sha256",
];
