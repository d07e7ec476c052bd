//! Dev-only helpers for hostkit's tests: the CLI runner and real-component harnesses (sshd,
//! chronyd, /proc processes, dkms roots with kernel headers and the real dkms).
//! Every harness starts its component itself and stops it by PID in `Drop`.

pub mod chronyd;
pub mod cli;
pub mod dkms;
pub mod dns_responder;
pub mod ntp_responder;
pub mod proc_fixtures;
pub mod sshd;
