//! dkms harness: kernels discovered from `/lib/modules/*/build/Makefile`, temporary dkms roots
//! (sources, tree, install tree, etc-dir) with a MOK key pair generated once per test run, the
//! project's fixture modules (written in code), runners for the real dkms 3.0.10 (in a private
//! mount namespace with the root's etc-dir bound over /etc/dkms) and for `hostkit dkms`, modinfo
//! helpers and a guard proving that nothing was written outside the temporary roots.

mod fixture;
mod guard;
mod mok;
mod root;

pub use fixture::Fixture;
pub use guard::SystemGuard;
pub use mok::{Mok, cert_cn, cert_serial, generate_mok, mok};
pub use root::{DkmsRoot, Run, Tool};

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Debian's dkms (3.0.10-8 on Debian 12).
pub const REAL_DKMS: &str = "/usr/sbin/dkms";

/// The kernels that have headers (`/lib/modules/<kver>/build/Makefile`), ordered like `sort -V`.
/// Panics with a hint when there are none: every dkms test needs at least one.
pub fn kernels() -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(rd) = fs::read_dir("/lib/modules") {
        for e in rd.flatten() {
            if e.path().join("build/Makefile").is_file() {
                found.push(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    assert!(
        !found.is_empty(),
        "no kernel headers found (/lib/modules/*/build/Makefile); run scripts/install-deps \
         (linux-headers-amd64, linux-headers-cloud-amd64)"
    );
    sort_v(found)
}

/// Orders version strings with GNU `sort -V` itself, the order dkms uses for kernel lists.
fn sort_v(list: Vec<String>) -> Vec<String> {
    let mut child = Command::new("sort")
        .arg("-V")
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn sort -V");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        for k in &list {
            writeln!(stdin, "{k}").unwrap();
        }
    }
    let out = child.wait_with_output().expect("sort -V");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The two flavours of one kernel version the tests need: (plain, cloud), e.g.
/// `6.1.0-N-amd64` and `6.1.0-N-cloud-amd64`. Panics with a hint when either is missing.
pub fn kernel_pair() -> (String, String) {
    let ks = kernels();
    let cloud = ks.iter().find(|k| k.contains("-cloud-")).cloned().expect(
        "no cloud-flavour kernel headers; install linux-headers-cloud-amd64 (scripts/install-deps)",
    );
    let plain = ks.iter().find(|k| !k.contains("-cloud-")).cloned().expect(
        "no plain-flavour kernel headers; install linux-headers-amd64 (scripts/install-deps)",
    );
    (plain, cloud)
}

/// `uname -m`, the arch dkms defaults to.
pub fn arch() -> String {
    static ARCH: OnceLock<String> = OnceLock::new();
    ARCH.get_or_init(|| {
        let out = Command::new("uname").arg("-m").output().expect("uname -m");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    })
    .clone()
}

/// `nproc`, which dkms passes as `make -jN`.
pub fn nproc() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// One `modinfo -F FIELD FILE` value (multi-line values joined by '\n'); empty when absent.
pub fn modinfo(file: &Path, field: &str) -> String {
    let out = Command::new("modinfo")
        .args(["-F", field])
        .arg(file)
        .output()
        .expect("modinfo (install kmod: scripts/install-deps)");
    assert!(
        out.status.success(),
        "modinfo -F {field} {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim_end().to_owned()
}

/// The first word of `vermagic` (the kernel release the module was built for).
pub fn vermagic_release(file: &Path) -> String {
    modinfo(file, "vermagic")
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// modinfo's `description`.
pub fn description(file: &Path) -> String {
    modinfo(file, "description")
}

/// modinfo's `signer` (empty for an unsigned module).
pub fn signer(file: &Path) -> String {
    modinfo(file, "signer")
}

/// modinfo's `sig_key`, colons removed, upper case (comparable with [`cert_serial`]).
pub fn sig_key(file: &Path) -> String {
    modinfo(file, "sig_key").replace(':', "").to_uppercase()
}

/// Calls `f` for every path under `base` (not following symlinks); missing `base` = nothing.
fn walk(base: &Path, f: &mut dyn FnMut(&Path, &fs::Metadata)) {
    let Ok(rd) = fs::read_dir(base) else { return };
    for e in rd.flatten() {
        let p = e.path();
        let Ok(md) = fs::symlink_metadata(&p) else {
            continue;
        };
        f(&p, &md);
        if md.is_dir() {
            walk(&p, f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_v_orders_abi_numbers_numerically() {
        let v = sort_v(vec!["6.1.0-10-amd64".into(), "6.1.0-9-amd64".into()]);
        assert_eq!(v, ["6.1.0-9-amd64", "6.1.0-10-amd64"]);
    }
}
