//! What every hostkit run loads before `main`: only libc (and ld.so). `build.rs` links the
//! GCC unwinder statically and `lazy_libm` binds libm on first use; a regression here costs
//! each Nagios check a DSO load (~4 % of its wall time, see bench/ntp-check).

use std::process::Command;

#[test]
fn loads_only_libc_at_start_up() {
    // glibc's ld.so lists the objects it would load and exits (what `ldd` does).
    let out = Command::new(crate::bin())
        .env("LD_TRACE_LOADED_OBJECTS", "1")
        .output()
        .expect("run hostkit under LD_TRACE_LOADED_OBJECTS");
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{listing}");
    assert!(listing.contains("libc.so.6"), "{listing}");
    for unwanted in ["libgcc_s", "libm.so"] {
        assert!(
            !listing.contains(unwanted),
            "{unwanted} loaded at start-up:\n{listing}"
        );
    }
}
