//! The binary's one error path. Domain crates return `thiserror` errors that carry their input;
//! commands add context with `anyhow` and, where they know what helps, advice with
//! [`ResultExt::hint`] and a specific exit status with [`ResultExt::exit_code`]. The advice
//! travels beside the message, never inside it, and `exit::report` prints the cause chain
//! first (each cause once), then every hint on its own `hint:` line. Branch on error types
//! ([`find`]), never on their text. Warnings use [`warn`], the same two-line form.

use std::fmt;

/// An error with advice attached. Transparent: it displays as the error it wraps and its
/// `source` is that error's source, so the cause chain reads as if it were not there.
#[derive(Debug)]
pub struct Advised {
    inner: anyhow::Error,
    /// What the user can do about it, printed after the causes.
    pub hint: Option<String>,
    /// The exit status this error should end the process with (default `exit::ERROR`).
    pub code: Option<u8>,
}

impl fmt::Display for Advised {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

impl std::error::Error for Advised {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.source()
    }
}

fn advise(err: anyhow::Error, hint: Option<String>, code: Option<u8>) -> anyhow::Error {
    anyhow::Error::new(Advised {
        inner: err,
        hint,
        code,
    })
}

/// Advice for any error: `result.hint("use --log FILE")?`.
pub trait ResultExt<T> {
    /// Attaches a hint, printed as `hint: ...` after the causes.
    fn hint(self, hint: impl Into<String>) -> anyhow::Result<T>;
    /// Attaches a hint computed only on error.
    fn with_hint<F: FnOnce() -> String>(self, hint: F) -> anyhow::Result<T>;
    /// Ends the process with `code` (a named constant of `exit.rs`) if this error reaches `main`.
    #[allow(dead_code, reason = "the dkms exit codes (#8) are its first users")]
    fn exit_code(self, code: u8) -> anyhow::Result<T>;
}

impl<T, E: Into<anyhow::Error>> ResultExt<T> for Result<T, E> {
    fn hint(self, hint: impl Into<String>) -> anyhow::Result<T> {
        self.map_err(|e| advise(e.into(), Some(hint.into()), None))
    }

    fn with_hint<F: FnOnce() -> String>(self, hint: F) -> anyhow::Result<T> {
        self.map_err(|e| advise(e.into(), Some(hint()), None))
    }

    fn exit_code(self, code: u8) -> anyhow::Result<T> {
        self.map_err(|e| advise(e.into(), None, Some(code)))
    }
}

/// The first cause of type `E` in the chain of `err`, looking through [`Advised`] layers
/// (which are transparent, so `err.chain()` alone does not see the error they wrap).
/// This is how commands branch on a cause: by type, never by text.
pub fn find<E: std::error::Error + Send + Sync + 'static>(err: &anyhow::Error) -> Option<&E> {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<E>() {
            return Some(e);
        }
        if let Some(a) = cause.downcast_ref::<Advised>()
            && let Some(e) = find::<E>(&a.inner)
        {
            return Some(e);
        }
    }
    None
}

/// An error built from a message plus a hint, for failures that have no underlying error:
/// `return Err(error::hinted("unknown policy `x`", "use one of ..."))`.
pub fn hinted(message: impl fmt::Display, hint: impl Into<String>) -> anyhow::Error {
    advise(anyhow::anyhow!("{message}"), Some(hint.into()), None)
}

/// Prints a warning on stderr the house way: `warning: ...`, then `hint: ...` if given.
pub fn warn(message: impl fmt::Display, hint: Option<&str>) {
    eprintln!("warning: {message}");
    if let Some(h) = hint {
        eprintln!("hint: {h}");
    }
}

/// What `main` prints and returns for an error: the causes (outermost first, each once),
/// the hints, and the exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Cause messages, outermost first, with duplicated tails removed.
    pub causes: Vec<String>,
    /// Hints in the order they were attached, outermost first, without duplicates.
    pub hints: Vec<String>,
    /// The outermost explicit exit status, if any.
    pub code: Option<u8>,
}

impl Rendered {
    /// Walks the chain of `err`.
    pub fn of(err: &anyhow::Error) -> Self {
        let mut causes: Vec<String> = Vec::new();
        let mut hints: Vec<String> = Vec::new();
        let mut code = None;
        for cause in err.chain() {
            // `Advised` is transparent, so advice wrapped directly in advice is not in the
            // chain: walk down through it.
            let mut advice = cause.downcast_ref::<Advised>();
            while let Some(a) = advice {
                if let Some(h) = &a.hint
                    && !hints.contains(h)
                {
                    hints.push(h.clone());
                }
                code = code.or(a.code);
                advice = a.inner.downcast_ref::<Advised>();
            }
            // Domain crates cannot use `Advised` (they do not depend on the binary): their
            // messages carry advice as trailing `\nhint: ` lines, lifted out here so that it
            // prints after every cause, wherever in the chain the error sits.
            let full = cause.to_string();
            let mut parts = full.split("\nhint: ");
            let text = parts.next().unwrap_or_default().to_owned();
            for h in parts {
                let h = h.trim_end().to_owned();
                if !h.is_empty() && !hints.contains(&h) {
                    hints.push(h);
                }
            }
            if causes.last() == Some(&text) || text.is_empty() {
                continue;
            }
            causes.push(text);
        }
        // A message that formats its source (`{step}: {source}`) and also returns it would
        // print the source twice: keep the tail only once.
        for i in 0..causes.len().saturating_sub(1) {
            let next = causes[i + 1].clone();
            if let Some(head) = causes[i].strip_suffix(&next) {
                let head = head.trim_end_matches([':', ' ', ';', ',']);
                if !head.is_empty() {
                    causes[i] = head.to_owned();
                }
            }
        }
        Rendered {
            causes,
            hints,
            code,
        }
    }

    /// The lines `main` writes to stderr: `error: a: b: c`, then `hint: ...` lines.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!("error: {}", self.causes.join(": "))];
        out.extend(self.hints.iter().map(|h| format!("hint: {h}")));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[derive(Debug)]
    struct Doubled {
        source: std::io::Error,
    }

    impl fmt::Display for Doubled {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "starting sshd: {}", self.source)
        }
    }

    impl std::error::Error for Doubled {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.source)
        }
    }

    #[test]
    fn causes_first_then_hint() {
        let err: anyhow::Result<()> = Err(anyhow::anyhow!("line 1: not a log record"))
            .context("reading `x.jsonl`")
            .hint("pass a file written by `hostkit ssh bench --log`");
        let r = Rendered::of(&err.unwrap_err());
        assert_eq!(
            r.lines(),
            [
                "error: reading `x.jsonl`: line 1: not a log record",
                "hint: pass a file written by `hostkit ssh bench --log`"
            ]
        );
        assert_eq!(r.code, None);
    }

    #[test]
    fn a_source_formatted_into_its_parent_prints_once() {
        let io = std::io::Error::from_raw_os_error(2);
        let err = anyhow::Error::new(Doubled { source: io }).context("private sshd");
        let r = Rendered::of(&err);
        assert_eq!(
            r.lines(),
            ["error: private sshd: starting sshd: No such file or directory (os error 2)"]
        );
    }

    #[test]
    fn advice_survives_more_context_and_keeps_the_outermost_code() {
        let inner: anyhow::Result<()> = Err(anyhow::anyhow!("make failed")).exit_code(10);
        let err = inner
            .hint("install `linux-headers-6.1.0-1-amd64`")
            .context("building hello/0.1")
            .exit_code(7)
            .unwrap_err();
        let r = Rendered::of(&err);
        assert_eq!(r.causes, ["building hello/0.1", "make failed"]);
        assert_eq!(r.hints, ["install `linux-headers-6.1.0-1-amd64`"]);
        assert_eq!(r.code, Some(7));
        assert_eq!(format!("{err:#}"), "building hello/0.1: make failed");
    }

    #[test]
    fn typed_causes_stay_downcastable_through_advice() {
        let io = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let err = Err::<(), _>(io).hint("x").context("writing").unwrap_err();
        let found = find::<std::io::Error>(&err).expect("the io::Error is found");
        assert_eq!(found.kind(), std::io::ErrorKind::BrokenPipe);
        assert!(find::<std::fmt::Error>(&err).is_none());
    }

    #[test]
    fn a_domain_errors_trailing_hint_prints_after_every_cause() {
        let inner = anyhow::anyhow!("line 1: not a log record\nhint: repair the line");
        let err = Err::<(), _>(inner)
            .context("reading `x.jsonl`")
            .hint("pass a log")
            .unwrap_err();
        assert_eq!(
            Rendered::of(&err).lines(),
            [
                "error: reading `x.jsonl`: line 1: not a log record",
                "hint: pass a log",
                "hint: repair the line"
            ]
        );
    }

    #[test]
    fn hinted_builds_a_message_with_advice() {
        let r = Rendered::of(&hinted("unknown policy `good`", "use one of `hardened`"));
        assert_eq!(
            r.lines(),
            [
                "error: unknown policy `good`",
                "hint: use one of `hardened`"
            ]
        );
    }
}
