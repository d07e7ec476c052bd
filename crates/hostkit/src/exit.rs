//! The one exit-code policy of hostkit (DESIGN.md §3.6): 0 success, 1 a negative verdict
//! (a check that found a problem), 2 an error. Nagios commands bypass this with their own
//! 0/1/2/3 codes via [`Outcome::Code`]. A broken pipe on stdout counts as success.

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
/// The command could not do its job.
pub const ERROR: u8 = 2;

/// What a command reports back to `main`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything went as asked.
    Ok,
    /// The command ran and its verdict is negative.
    Negative,
    /// An exact exit code (Nagios plugins: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
    Code(u8),
}

/// Maps a command's result to the process exit code, printing errors on stderr.
pub fn finish(result: anyhow::Result<Outcome>) -> ExitCode {
    match result {
        Ok(Outcome::Ok) => ExitCode::from(OK),
        Ok(Outcome::Negative) => ExitCode::from(NEGATIVE),
        Ok(Outcome::Code(c)) => ExitCode::from(c),
        Err(err) if is_broken_pipe(&err) => ExitCode::from(OK),
        Err(err) => {
            report(&err);
            ExitCode::from(ERROR)
        }
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

/// Prints `error: ...` with the context chain, then any `hint:` lines the error carries.
pub fn report(err: &anyhow::Error) {
    let text = format!("{err:#}");
    // Hints travel inside messages as "\nhint: ..." lines; keep them on their own lines.
    let mut lines = text.lines();
    if let Some(first) = lines.next() {
        eprintln!("error: {first}");
    }
    for line in lines {
        eprintln!("{line}");
    }
}

/// True when the error chain contains an `EPIPE` write error (the reader went away).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_pipe_is_detected_through_context() {
        let io = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let err = anyhow::Error::new(io).context("writing the table");
        assert!(is_broken_pipe(&err));
        let other = anyhow::anyhow!("something else");
        assert!(!is_broken_pipe(&other));
    }
}
