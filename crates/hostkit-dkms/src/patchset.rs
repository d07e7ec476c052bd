//! Per-kernel patches in an override file (`<etc>/<m>-<v>.conf`): reading and rewriting its
//! `PATCH[n]`/`PATCH_MATCH[n]` pairs so dkms agrees (indices from 0 without gaps, values in
//! double quotes without backslashes), keeping every other line as written.

/// One patch entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PatchEntry {
    pub index: usize,
    pub file: String,
    /// Unanchored ERE on the kernel version; empty = every kernel.
    pub match_re: String,
}
