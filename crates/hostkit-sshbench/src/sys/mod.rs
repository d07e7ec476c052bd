//! Everything that touches the machine: the private sshd, the ssh runner (spawn, wait4
//! rusage, debug-log verification), the KEXINIT probe, `ssh -Q` discovery, machine facts
//! and target parsing. Pure logic stays in the crate's other modules.

pub mod affinity;
pub mod cancel;
pub mod ceiling;
pub mod client;
pub mod machine;
pub mod probe;
pub mod runner;
pub mod sshd;
pub mod target;

use std::path::{Path, PathBuf};

/// A failure while talking to the machine; each names the step and, where one exists, the
/// log file that explains it.
#[derive(Debug, thiserror::Error)]
pub enum SysError {
    #[error("{step}")]
    Io {
        step: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "no sshd found (looked for `/usr/sbin/sshd`, `/usr/local/sbin/sshd` and `sshd` in PATH)\n\
         hint: install the `openssh-server` package (it is not started by hostkit's use), or \
         pass `--sshd PATH`, or benchmark a remote host: `hostkit ssh bench user@host`"
    )]
    NoSshd,
    #[error("`{0}` not found\nhint: install the `openssh-client` package or pass `--ssh PATH`")]
    NoSsh(String),
    #[error("{step} failed: {message}\nhint: see `{}`", log.display())]
    Step {
        step: String,
        message: String,
        log: PathBuf,
    },
    #[error("{step} failed: {message}")]
    Plain { step: String, message: String },
    #[error("interrupted")]
    Interrupted,
}

impl SysError {
    pub(crate) fn io(step: impl Into<String>, source: std::io::Error) -> Self {
        SysError::Io {
            step: step.into(),
            source,
        }
    }
    pub(crate) fn plain(step: impl Into<String>, message: impl Into<String>) -> Self {
        SysError::Plain {
            step: step.into(),
            message: message.into(),
        }
    }
}

/// Makes the child get SIGTERM when hostkit dies (`PR_SET_PDEATHSIG`, prctl(2)), so a
/// SIGKILLed hostkit leaves neither the private sshd nor a running ssh behind.
pub(crate) fn die_with_parent(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe; the closure allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// The first executable named `name` in `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

/// True when `p` is a regular file with an execute bit.
pub fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `text` with everything but ASCII letters, digits, `-` and `.` replaced by `_`, for file names
/// built from trial ids and targets.
pub fn file_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// User + system CPU seconds of this process (all its threads; children excluded).
pub fn own_cpu_s() -> Option<f64> {
    // SAFETY: getrusage writes into the zeroed struct we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return None;
    }
    Some(timeval_s(ru.ru_utime) + timeval_s(ru.ru_stime))
}

/// A `timeval` (rusage times) in seconds.
pub(crate) fn timeval_s(tv: libc::timeval) -> f64 {
    tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6
}

/// Current time as Unix seconds.
pub fn unix_now_s() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_sshd_names_the_package_and_the_alternatives() {
        let text = SysError::NoSshd.to_string();
        for needle in ["openssh-server", "--sshd PATH", "user@host", "\nhint: "] {
            assert!(text.contains(needle), "{needle} missing: {text}");
        }
    }

    #[test]
    fn explicit_sshd_that_does_not_exist_is_named() {
        let e = sshd::locate_sshd(Some(Path::new("/nonexistent/sshd"))).unwrap_err();
        assert!(e.to_string().contains("`/nonexistent/sshd`"), "{e}");
    }
}
