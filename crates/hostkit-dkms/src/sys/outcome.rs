//! How an action ends when dkms would `die`: its exit code, its `Error! ...` lines and
//! hostkit's hint.

/// A dkms `die`: the exit code and the `Error! ...` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Died {
    pub code: u8,
    pub lines: Vec<String>,
    /// hostkit's advice, printed on a `hint:` line after dkms's message.
    pub hint: Option<String>,
}

pub(crate) fn died(code: u8, lines: &[String]) -> Died {
    Died {
        code,
        lines: lines.to_vec(),
        hint: None,
    }
}
