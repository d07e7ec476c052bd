//! The one exit-status policy of hostkit (DESIGN.md §3.6). Every status the binary can end with
//! is a named constant here and a row of [`TABLE`], from which the README's exit-status table
//! and each man page's EXIT STATUS section are checked or generated.
//! - Native commands: 0 success, 1 a negative verdict (a check that found a problem), 2 an error.
//! - Nagios modes (`ntp check`, `check_ntp_time`, `proc load --nagios`): 0 OK, 1 WARNING,
//!   2 CRITICAL, 3 UNKNOWN; every usage error is UNKNOWN on stdout.
//! - `hostkit dkms` (and `dkms` through a symlink): dkms 3.0.10's own codes, listed below.
//! - 130 after Ctrl-C/SIGTERM/SIGHUP in a long run; 101 when hostkit panicked (a bug).
//!
//! A broken pipe on stdout counts as success.

// The dkms and some Nagios constants are the contract for `hostkit dkms` (#8) and the
// man pages; not every one is referenced from code yet.
#![allow(dead_code)]

use crate::error::{self, Rendered};

/// The process exit status (0-255) that `main` returns to the C runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitCode(pub u8);

impl From<u8> for ExitCode {
    fn from(code: u8) -> Self {
        ExitCode(code)
    }
}

/// Success.
pub const OK: u8 = 0;
/// The command ran and its verdict is negative (e.g. a threshold was crossed).
pub const NEGATIVE: u8 = 1;
/// The command could not do its job (also: a usage error of a native command).
pub const ERROR: u8 = 2;

/// Nagios: the check passed.
pub const NAGIOS_OK: u8 = 0;
/// Nagios: WARNING threshold crossed.
pub const NAGIOS_WARNING: u8 = 1;
/// Nagios: CRITICAL threshold crossed, or the service is down.
pub const NAGIOS_CRITICAL: u8 = 2;
/// Nagios: the check could not decide (usage error, timeout, no usable answer).
pub const NAGIOS_UNKNOWN: u8 = 3;

/// dkms: generic failure (not root, kernel headers missing, ...).
pub const DKMS_GENERIC: u8 = 1;
/// dkms: bad option, or the source tree is missing.
pub const DKMS_BAD_OPTION: u8 = 2;
/// dkms: already added/built, or not in the tree.
pub const DKMS_NOT_IN_TREE: u8 = 3;
/// dkms: more than one action, or no dkms.conf.
pub const DKMS_NO_CONF: u8 = 4;
/// dkms: `--all` not allowed here, a patch is missing, or already installed.
pub const DKMS_PATCH_MISSING: u8 = 5;
/// dkms: a patch failed to apply, no kernel dir, or depmod failed.
pub const DKMS_PATCH_FAILED: u8 = 6;
/// dkms: a built module is missing after make.
pub const DKMS_MODULE_MISSING: u8 = 7;
/// dkms: dkms.conf is invalid.
pub const DKMS_BAD_CONF: u8 = 8;
/// dkms: make (the module build) failed.
pub const DKMS_BUILD_FAILED: u8 = 10;
/// dkms: autoinstall failed for at least one module.
pub const DKMS_AUTOINSTALL_FAILED: u8 = 11;
/// dkms: BUILD_EXCLUSIVE_* excludes this kernel or arch (Debian's 77, "skipped").
pub const DKMS_EXCLUDED: u8 = 77;
/// dkms: the PRE_INSTALL script failed.
pub const DKMS_PRE_INSTALL_FAILED: u8 = 101;

/// hostkit panicked: a bug; please report it with the message printed above.
pub const PANIC: u8 = 101;
/// A long run was interrupted (SIGINT, SIGTERM, SIGHUP) after saving its results.
pub const INTERRUPTED: u8 = 130;

/// One documented exit status.
#[derive(Debug, Clone, Copy)]
pub struct ExitRow {
    /// The status.
    pub code: u8,
    /// Which commands use it with this meaning.
    pub commands: &'static str,
    /// What it means.
    pub meaning: &'static str,
}

/// Every exit status of hostkit, in the order the README and man pages list them.
pub const TABLE: &[ExitRow] = &[
    ExitRow {
        code: OK,
        commands: "all",
        meaning: "success (also: stdout closed early, e.g. piped into `head`)",
    },
    ExitRow {
        code: NEGATIVE,
        commands: "native commands",
        meaning: "the command ran and its verdict is negative (e.g. `ssh algos --policy` found a rejected algorithm, `proc time --fail-on-d-age`)",
    },
    ExitRow {
        code: ERROR,
        commands: "native commands",
        meaning: "error: the command could not do its job, or a usage error",
    },
    ExitRow {
        code: NAGIOS_OK,
        commands: "Nagios modes",
        meaning: "OK",
    },
    ExitRow {
        code: NAGIOS_WARNING,
        commands: "Nagios modes",
        meaning: "WARNING",
    },
    ExitRow {
        code: NAGIOS_CRITICAL,
        commands: "Nagios modes",
        meaning: "CRITICAL",
    },
    ExitRow {
        code: NAGIOS_UNKNOWN,
        commands: "Nagios modes",
        meaning: "UNKNOWN (usage errors included, printed on stdout)",
    },
    ExitRow {
        code: DKMS_GENERIC,
        commands: "dkms",
        meaning: "generic failure (kernel headers missing, not root)",
    },
    ExitRow {
        code: DKMS_BAD_OPTION,
        commands: "dkms",
        meaning: "bad option or missing source tree",
    },
    ExitRow {
        code: DKMS_NOT_IN_TREE,
        commands: "dkms",
        meaning: "module/version not in the tree, or already added/built",
    },
    ExitRow {
        code: DKMS_NO_CONF,
        commands: "dkms",
        meaning: "no dkms.conf, or more than one action",
    },
    ExitRow {
        code: DKMS_PATCH_MISSING,
        commands: "dkms",
        meaning: "patch file missing, `--all` not allowed, or already installed",
    },
    ExitRow {
        code: DKMS_PATCH_FAILED,
        commands: "dkms",
        meaning: "patch failed to apply, kernel dir missing, or depmod failed",
    },
    ExitRow {
        code: DKMS_MODULE_MISSING,
        commands: "dkms",
        meaning: "a built module is missing after make",
    },
    ExitRow {
        code: DKMS_BAD_CONF,
        commands: "dkms",
        meaning: "invalid dkms.conf",
    },
    ExitRow {
        code: DKMS_BUILD_FAILED,
        commands: "dkms",
        meaning: "make failed",
    },
    ExitRow {
        code: DKMS_AUTOINSTALL_FAILED,
        commands: "dkms",
        meaning: "autoinstall failed for a module",
    },
    ExitRow {
        code: DKMS_EXCLUDED,
        commands: "dkms",
        meaning: "BUILD_EXCLUSIVE excludes this kernel or arch (skipped)",
    },
    ExitRow {
        code: DKMS_PRE_INSTALL_FAILED,
        commands: "dkms",
        meaning: "PRE_INSTALL script failed",
    },
    ExitRow {
        code: PANIC,
        commands: "all but dkms",
        meaning: "hostkit panicked: a bug, please report it",
    },
    ExitRow {
        code: INTERRUPTED,
        commands: "long runs",
        meaning: "interrupted by SIGINT, SIGTERM or SIGHUP; results so far are saved",
    },
];

/// The exit-status table as Markdown (the README's table is checked against it).
pub fn markdown_table() -> String {
    let mut t = hostkit_render::Table::new(&[
        ("code", hostkit_render::Align::Right),
        ("commands", hostkit_render::Align::Left),
        ("meaning", hostkit_render::Align::Left),
    ]);
    for r in TABLE {
        t.row([
            r.code.to_string(),
            r.commands.to_owned(),
            r.meaning.to_owned(),
        ]);
    }
    t.render_markdown()
}

/// What a command reports back to `main`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything went as asked.
    Ok,
    /// The command ran and its verdict is negative.
    Negative,
    /// An exact exit status, one of the named constants above (Nagios, dkms, interrupted).
    Code(u8),
}

/// Maps a command's result to the process exit status, printing errors on stderr.
pub fn finish(result: anyhow::Result<Outcome>) -> ExitCode {
    match result {
        Ok(Outcome::Ok) => ExitCode::from(OK),
        Ok(Outcome::Negative) => ExitCode::from(NEGATIVE),
        Ok(Outcome::Code(c)) => ExitCode::from(c),
        Err(err) if is_broken_pipe(&err) => ExitCode::from(OK),
        Err(err) => ExitCode::from(report(&err)),
    }
}

/// A clap error under a Nagios mode (`ntp check`, `proc load --nagios`): `--help` and
/// `--version` keep clap's behaviour; a real usage error goes to `unknown` with clap's message
/// (without its `error: ` prefix), which prints the plugin's UNKNOWN line and returns exit 3.
pub fn nagios_usage_error(err: clap::Error, unknown: impl FnOnce(&str) -> ExitCode) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        err.exit();
    }
    let rendered = err.render().to_string();
    unknown(rendered.trim_start_matches("error: ").trim_end())
}

/// Prints `error: cause: cause` (each cause once), then one `hint:` line per hint, on stderr;
/// returns the exit status the error asks for (default [`ERROR`]).
pub fn report(err: &anyhow::Error) -> u8 {
    let rendered = Rendered::of(err);
    for line in rendered.lines() {
        eprintln!("{line}");
    }
    rendered.code.unwrap_or(ERROR)
}

/// True when the error chain contains an `EPIPE` write error (the reader went away).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    error::find::<std::io::Error>(err).is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ResultExt;

    #[test]
    fn broken_pipe_is_detected_through_context_and_advice() {
        let io = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let err = anyhow::Error::new(io).context("writing the table");
        assert!(is_broken_pipe(&err));
        let io = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let err = Err::<(), _>(io).hint("x").unwrap_err();
        assert!(is_broken_pipe(&err));
        let other = anyhow::anyhow!("something else");
        assert!(!is_broken_pipe(&other));
    }

    #[test]
    fn an_error_ends_with_its_requested_code() {
        let r: anyhow::Result<Outcome> =
            Err(anyhow::anyhow!("make failed")).exit_code(DKMS_BUILD_FAILED);
        assert_eq!(finish(r), ExitCode(DKMS_BUILD_FAILED));
        let r: anyhow::Result<Outcome> = Err(anyhow::anyhow!("plain"));
        assert_eq!(finish(r), ExitCode(ERROR));
    }

    #[test]
    fn the_table_lists_every_named_code_once_per_meaning() {
        let codes: Vec<u8> = TABLE.iter().map(|r| r.code).collect();
        for c in [
            OK,
            NEGATIVE,
            ERROR,
            NAGIOS_UNKNOWN,
            DKMS_BUILD_FAILED,
            DKMS_EXCLUDED,
            PANIC,
            INTERRUPTED,
        ] {
            assert!(
                codes.contains(&c),
                "exit status {c} is not documented in TABLE"
            );
        }
    }

    /// The dkms domain crate reports dkms's numbers; they are the ones named here.
    #[test]
    fn dkms_codes_are_the_domain_crates() {
        use hostkit_dkms::sys::outcome::code;
        let pairs = [
            (DKMS_GENERIC, code::GENERIC),
            (DKMS_BAD_OPTION, code::NO_SOURCE),
            (DKMS_NOT_IN_TREE, code::NOT_IN_TREE),
            (DKMS_NO_CONF, code::NO_CONF),
            (DKMS_PATCH_MISSING, code::PATCH_MISSING),
            (DKMS_PATCH_FAILED, code::PATCH_FAILED),
            (DKMS_MODULE_MISSING, code::MODULE_MISSING),
            (DKMS_BAD_CONF, code::BAD_CONF),
            (DKMS_BUILD_FAILED, code::BUILD_FAILED),
            (DKMS_AUTOINSTALL_FAILED, code::AUTOINSTALL_FAILED),
            (DKMS_EXCLUDED, code::EXCLUDED),
            (DKMS_PRE_INSTALL_FAILED, code::PRE_INSTALL_FAILED),
        ];
        for (ours, theirs) in pairs {
            assert_eq!(ours, theirs);
        }
    }

    /// The README's exit-status table is this table, verbatim.
    #[test]
    fn readme_lists_every_exit_status() {
        let readme = include_str!("../../../README.md");
        let table = markdown_table();
        assert!(
            readme.contains(&table),
            "README.md must contain the exit-status table exactly as `exit::markdown_table()` renders it:\n{table}"
        );
    }
}
