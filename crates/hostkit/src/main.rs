//! hostkit: the binary's entry point. Parses the command line (or the `check_ntp_time` and
//! `dkms` personalities when invoked under those names), dispatches to one command module and turns the
//! outcome into an exit code through the single policy in `exit.rs`.
//!
//! `main` is the C entry point (`#![no_main]`): std's runtime set-up (`lang_start`) would add
//! 26 % to the instructions of a `check_ntp_time` run, which Nagios repeats thousands of times a
//! day. `bench/startup` (callgrind, one query to a local chronyd): ~441 k instructions here vs
//! ~557 k with std's `fn main` (`--features std-main`); monitoring-plugins' own check_ntp_time
//! takes ~413 k. Nearly all of the difference is std's main-thread stack-guard probe
//! (`pthread_getattr_np`, which parses `/proc/self/maps` with sscanf).
//!
//! What we keep: SIGPIPE ignored (a closed stdout is an `EPIPE` error, which `exit.rs` treats as
//! success), fds 0-2 opened on `/dev/null` when the parent closed them (so no file hostkit opens
//! can become its stdout), panics caught after unwinding (every Drop guard, e.g. the private
//! sshd's, still runs; exit 101) and stdout flushed before returning. What we give up: a stack
//! overflow is a bare SIGSEGV instead of std's "has overflowed its stack" message (no guard-page
//! handler is installed, in any thread), and the main thread is unnamed in panic messages
//! (`thread '<unnamed>' panicked`).

// Unit-test builds keep libtest's generated `main`; `--features std-main` (for `bench/startup`)
// starts through std's runtime to measure what this saves.
#![cfg_attr(not(any(test, feature = "std-main")), no_main)]

mod cli;
mod commands;
mod error;
mod exit;
mod output;

use clap::Parser;

use crate::exit::ExitCode;

/// Process entry point called by the C runtime.
#[cfg(not(any(test, feature = "std-main")))]
#[unsafe(no_mangle)]
pub extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    // SAFETY: setting a signal disposition to SIG_IGN before any thread exists is sound.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    open_standard_fds();
    let code = match std::panic::catch_unwind(run) {
        Ok(ExitCode(code)) => libc::c_int::from(code),
        // The panic message was already printed by the panic hook; Drop guards have run.
        Err(_) => libc::c_int::from(exit::PANIC),
    };
    let _ = std::io::Write::flush(&mut std::io::stdout());
    code
}

/// The same through std's runtime (which ignores SIGPIPE and opens fds 0-2 itself).
#[cfg(all(not(test), feature = "std-main"))]
fn main() -> std::process::ExitCode {
    let code = match std::panic::catch_unwind(run) {
        Ok(ExitCode(code)) => code,
        Err(_) => exit::PANIC,
    };
    let _ = std::io::Write::flush(&mut std::io::stdout());
    std::process::ExitCode::from(code)
}

/// Opens `/dev/null` on each of fds 0, 1, 2 the parent left closed, as std's runtime does: one
/// `poll` when all three are open (the usual case).
#[cfg(not(any(test, feature = "std-main")))]
fn open_standard_fds() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: `fds` is a valid array of three pollfd structs; timeout 0 never blocks.
    if unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) } < 0 {
        return;
    }
    for pfd in fds.iter().filter(|p| p.revents & libc::POLLNVAL != 0) {
        // SAFETY: a constant NUL-terminated path. open returns the lowest free fd, which is
        // `pfd.fd` when the lower ones are open (they are, in ascending order by now).
        let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
        if fd < 0 {
            // Like std: a process that cannot even open /dev/null must not run on.
            std::process::abort();
        }
        debug_assert_eq!(fd, pfd.fd);
    }
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
