//! hostkit's one integration-test binary: each module drives the real CLI against real
//! components (sshd, chronyd, live /proc, kernel headers + kbuild and the real dkms) started
//! and stopped by the test itself.

mod cli;
mod dkms;
mod dkms_core;
mod docs;
mod house;
mod ntp;
mod ntp_bench;
mod ntp_compat;
mod proc;
mod proc_monitor;
mod ssh;
mod ssh_resume;
mod startup;

/// Path of the hostkit binary under test.
pub fn bin() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_BIN_EXE_hostkit"))
}
