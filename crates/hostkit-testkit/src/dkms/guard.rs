//! The proof that nothing was written outside the temporary roots: a picture of the system's
//! dkms places taken before and compared after.

use super::walk;
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// A picture of the system places dkms must never touch from a temp root: /var/lib/dkms,
/// /lib/modules (whole, not following the `build` links), /etc/dkms and the top of /usr/src.
/// Every entry is recorded with its type, size, mode and mtime.
#[derive(Debug, PartialEq, Eq)]
pub struct SystemGuard {
    entries: BTreeMap<String, (u32, u64, i64, i64)>,
}

impl Default for SystemGuard {
    fn default() -> Self {
        Self::take()
    }
}

impl SystemGuard {
    /// Takes the picture now.
    pub fn take() -> SystemGuard {
        let mut entries = BTreeMap::new();
        let mut record = |p: &Path, md: &fs::Metadata| {
            entries.insert(
                p.display().to_string(),
                (md.mode(), md.size(), md.mtime(), md.mtime_nsec()),
            );
        };
        for base in ["/var/lib/dkms", "/lib/modules", "/etc/dkms"] {
            if let Ok(md) = fs::symlink_metadata(base) {
                record(Path::new(base), &md);
            }
            walk(Path::new(base), &mut record);
        }
        if let Ok(rd) = fs::read_dir("/usr/src") {
            for e in rd.flatten() {
                if let Ok(md) = fs::symlink_metadata(e.path()) {
                    record(&e.path(), &md);
                }
            }
        }
        SystemGuard { entries }
    }

    /// Panics listing what changed since [`SystemGuard::take`].
    pub fn assert_unchanged(&self) {
        let now = SystemGuard::take();
        let mut diffs = Vec::new();
        for (p, v) in &self.entries {
            match now.entries.get(p) {
                None => diffs.push(format!("removed {p}")),
                Some(w) if w != v => diffs.push(format!("changed {p}")),
                _ => {}
            }
        }
        for p in now.entries.keys() {
            if !self.entries.contains_key(p) {
                diffs.push(format!("created {p}"));
            }
        }
        assert!(
            diffs.is_empty(),
            "writes outside the temp roots:\n{}",
            diffs.join("\n")
        );
    }
}
