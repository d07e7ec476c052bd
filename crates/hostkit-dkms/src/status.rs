//! `dkms status` as values and as the exact bytes dkms 3.0.10 prints (`do_status`), plus the
//! JSON form. The scan that fills these lives in `sys::scan`.

use serde::Serialize;

/// The state of one module version (for one kernel/arch when built).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Added,
    Built,
    Installed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Added => "added",
            State::Built => "built",
            State::Installed => "installed",
        }
    }
}

/// A warning dkms appends to a built/installed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Suffix {
    /// ` (original_module exists)`
    OriginalModuleExists,
    /// ` (WARNING! Missing some built modules!)`
    MissingBuiltModules,
    /// ` (WARNING! Diff between built and installed module!)`
    DiffBuiltInstalled,
}

impl Suffix {
    pub fn text(self) -> &'static str {
        match self {
            Suffix::OriginalModuleExists => " (original_module exists)",
            Suffix::MissingBuiltModules => " (WARNING! Missing some built modules!)",
            Suffix::DiffBuiltInstalled => " (WARNING! Diff between built and installed module!)",
        }
    }
}

/// One line of `dkms status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub module: String,
    pub version: String,
    /// None for `added` lines.
    pub kernel: Option<String>,
    pub arch: Option<String>,
    pub state: State,
    pub warnings: Vec<Suffix>,
}

impl Entry {
    /// The line exactly as dkms 3.0.10 prints it (without the newline).
    pub fn line(&self) -> String {
        match (&self.kernel, &self.arch, self.state) {
            (Some(k), Some(a), State::Built | State::Installed) => {
                let mut s = format!(
                    "{}/{}, {k}, {a}: {}",
                    self.module,
                    self.version,
                    self.state.as_str()
                );
                for w in &self.warnings {
                    s.push_str(w.text());
                }
                s
            }
            _ => format!("{}/{}: {}", self.module, self.version, self.state.as_str()),
        }
    }
}

/// The result of a status scan: the lines, and what dkms would have said on stderr.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub entries: Vec<Entry>,
    /// Messages dkms prints on stderr (bad or missing dkms.conf). When the listing stopped
    /// there, as dkms 3.0.10's does, `truncated` is true.
    pub errors: Vec<String>,
    pub truncated: bool,
}

impl Report {
    /// The stdout of `dkms status`.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for e in &self.entries {
            s.push_str(&e.line());
            s.push('\n');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_dkms_3_0_10() {
        let mut e = Entry {
            module: "hello".into(),
            version: "0.1".into(),
            kernel: Some("6.1.0-57-amd64".into()),
            arch: Some("x86_64".into()),
            state: State::Installed,
            warnings: vec![Suffix::DiffBuiltInstalled],
        };
        assert_eq!(
            e.line(),
            "hello/0.1, 6.1.0-57-amd64, x86_64: installed (WARNING! Diff between built and installed module!)"
        );
        e.state = State::Added;
        assert_eq!(e.line(), "hello/0.1: added");
    }
}
