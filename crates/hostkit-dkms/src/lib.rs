//! hostkit-dkms: a dkms 3.0.x compatible model of module trees. The pure core (`kernel`,
//! `conf`, `glob`, `status`, `plan`, `args`) takes strings and values; `sys/` reads trees,
//! runs bash for dkms.conf files that need it, and runs make/patch/depmod/sign-file.
//! Reference: dkms(8) and /usr/sbin/dkms 3.0.10 (Debian 12).

pub mod args;
pub mod conf;
pub mod glob;
pub mod kernel;
pub mod patchset;
pub mod plan;
pub mod status;
pub mod sys;
