//! Build script: links the GCC unwinder statically (`libgcc_eh.a`) instead of `libgcc_s.so.1`.
//!
//! Rust's std asks for `-lgcc_s` on linux-gnu. Loading that DSO costs every run of hostkit an
//! extra `open`/`mmap`/symbol binding, and its constructor (`__cpu_indicator_init`) executes a
//! dozen `cpuid` instructions, each a hypervisor exit of several microseconds on a VM: together
//! a tenth of a millisecond of a ~1 ms Nagios check run thousands of times a day. `gcc
//! -static-libgcc` does the same for C++ programs; the binary stays a dynamically linked PIE
//! with full RELRO, and panics still unwind (Drop guards run).
//!
//! How: a linker script named `libgcc_s.so` in a directory searched before the system ones
//! redirects `-lgcc_s` to `-lgcc_eh`. Only this crate's link lines see it (binaries and test
//! binaries of `hostkit`); other crates and proc-macros are untouched.

use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    // static(-pie) builds already use libgcc_eh; other targets have their own unwinders.
    if target_os != "linux" || target_env != "gnu" || features.split(',').any(|f| f == "crt-static")
    {
        return;
    }
    let dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("static-libgcc");
    std::fs::create_dir_all(&dir).expect("create OUT_DIR/static-libgcc");
    std::fs::write(dir.join("libgcc_s.so"), "INPUT(-lgcc_eh)\n")
        .expect("write the libgcc_s.so linker script");
    println!("cargo::rustc-link-search=native={}", dir.display());
}
