//! Kex algorithms published under two names (a vendor `@domain` alias and the standard name,
//! e.g. `curve25519-sha256@libssh.org` = `curve25519-sha256`, RFC 8731): the alias table and
//! canonicalisation. The lowest layer of the crate's name handling; `rating`, `algos`,
//! `policy` and `plan` all use it.

/// Kex names that are vendor aliases of a standard name (same algorithm, two names on the wire).
pub const KEX_ALIASES: &[(&str, &str)] = &[
    ("curve25519-sha256@libssh.org", "curve25519-sha256"),
    (
        "sntrup761x25519-sha512@openssh.com",
        "sntrup761x25519-sha512",
    ),
    ("mlkem768x25519-sha256@openssh.com", "mlkem768x25519-sha256"),
];

/// The canonical name of a kex alias (identity for non-aliases).
pub fn canonical_kex(name: &str) -> &str {
    KEX_ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, canonical)| canonical)
}
