//! OpenSSH algorithm benchmarking. Pure modules (`algos`, `kexinit`, `policy`, `plan`,
//! `record`, `analyze`, `report`) take values and return values; `session` drives a plan
//! through a `TrialRunner`; only `sys/` touches processes, sockets and files.

pub mod algos;
pub mod analyze;
pub mod ceiling;
pub mod kexinit;
pub mod pinning;
pub mod plan;
pub mod policy;
pub mod record;
pub mod report;
pub mod session;
pub mod sys;

#[cfg(test)]
mod fixtures;
