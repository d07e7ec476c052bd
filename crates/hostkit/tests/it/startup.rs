//! What every hostkit run needs before `main`: glibc 2.34 at most (RHEL/Rocky 9 run it; a static
//! libgcc_eh pulled in GLIBC_2.35 once) and only the base system's DSOs (libc, libm, libgcc_s).
//! `scripts/test-dist` checks the same of the release binary.

use std::process::Command;

/// The highest `GLIBC_x.y[.z]` version among the binary's dynamic symbols (objdump -T).
fn max_glibc_version(binary: &std::path::Path) -> (Vec<u32>, String) {
    let out = Command::new("objdump")
        .arg("-T")
        .arg(binary)
        .output()
        .expect("run objdump (binutils)");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let max = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .filter_map(|w| w.strip_prefix("GLIBC_"))
        .filter_map(|v| {
            v.split('.')
                .map(|n| n.parse().ok())
                .collect::<Option<Vec<u32>>>()
        })
        .max()
        .expect("a dynamically linked glibc binary has GLIBC_ symbol versions");
    (max, text)
}

#[test]
fn needs_glibc_2_34_at_most_and_starts() {
    let (max, listing) = max_glibc_version(&crate::bin());
    assert!(
        max <= vec![2, 34],
        "hostkit needs GLIBC_{max:?}, newer than RHEL/Rocky 9's 2.34:\n{}",
        listing
            .lines()
            .filter(|l| l.contains("GLIBC_2.3") && !l.contains("GLIBC_2.3 "))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let out = Command::new(crate::bin())
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("hostkit "));
}

#[test]
fn loads_only_base_system_libraries_at_start_up() {
    // glibc's ld.so lists the objects it would load and exits (what `ldd` does).
    let out = Command::new(crate::bin())
        .env("LD_TRACE_LOADED_OBJECTS", "1")
        .output()
        .expect("run hostkit under LD_TRACE_LOADED_OBJECTS");
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{listing}");
    assert!(listing.contains("libc.so.6"), "{listing}");
    let allowed = [
        "linux-vdso",
        "libc.so.6",
        "libm.so.6",
        "libgcc_s.so.1",
        "ld-linux",
    ];
    for line in listing.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            allowed.iter().any(|a| line.contains(a)),
            "hostkit loads more than the base system at start-up: {line}\n{listing}"
        );
    }
}
