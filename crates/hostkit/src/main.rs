//! hostkit: the binary's entry point. Parses the command line (or the `check_ntp_time` and
//! `dkms` personalities when invoked under those names), dispatches to one command module and turns the
//! outcome into an exit code through the single policy in `exit.rs`.
//!
//! `main` is the C entry point (`#![no_main]`): std's runtime set-up probes the main thread's
//! stack through `/proc/self/maps`, about 15 % of the instructions of a 1 ms Nagios check run
//! thousands of times a day. We keep what matters of it: SIGPIPE ignored (a closed stdout is an
//! `EPIPE` error, which `exit.rs` treats as success), panics caught after unwinding (so every
//! Drop guard, e.g. the private sshd's, still runs) and stdout flushed before returning.

// Unit-test builds keep libtest's generated `main`.
#![cfg_attr(not(test), no_main)]

mod cli;
mod commands;
mod error;
mod exit;
// Static builds (`bench/ntp-check --static`) link libm.a and load no DSOs anyway.
#[cfg(not(target_feature = "crt-static"))]
mod lazy_libm;
mod output;

use clap::Parser;

use crate::exit::ExitCode;

/// Process entry point called by the C runtime.
#[cfg(not(test))]
#[unsafe(no_mangle)]
pub extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    // SAFETY: setting a signal disposition to SIG_IGN before any thread exists is sound.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    let code = match std::panic::catch_unwind(run) {
        Ok(ExitCode(code)) => libc::c_int::from(code),
        // The panic message was already printed by the panic hook; Drop guards have run.
        Err(_) => libc::c_int::from(exit::PANIC),
    };
    let _ = std::io::Write::flush(&mut std::io::stdout());
    code
}

#[cfg_attr(test, allow(dead_code))]
fn run() -> ExitCode {
    let argv0 = std::env::args_os().next().unwrap_or_default();
    let invoked_as = std::path::Path::new(&argv0)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if invoked_as == "check_ntp_time" {
        // Nagios personality: every outcome, usage errors included, is a plugin exit code.
        return commands::ntp::check_ntp_time_personality(std::env::args_os().skip(1));
    }
    if invoked_as == "dkms" {
        // dkms personality: dkms's own command line, messages and exit codes.
        return commands::dkms::personality(std::env::args_os().skip(1));
    }
    if let Some(code) = commands::ntp::check_fast_path() {
        return code;
    }
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        // `proc load --nagios` turns usage errors into UNKNOWN (3); see `commands::usage_error`.
        Err(err) => return commands::usage_error(err),
    };
    exit::finish(commands::run(cli))
}
