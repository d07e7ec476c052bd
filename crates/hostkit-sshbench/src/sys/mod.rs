//! Everything that touches the machine: the private sshd, the ssh runner (spawn, wait4
//! rusage, debug-log verification), the KEXINIT probe and `ssh -Q` discovery.
//!
//! OWNER: S2.
