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

/// dkms 3.0.10's exit codes (the binary's `exit.rs` names the same numbers `DKMS_*`). Several
/// numbers carry more than one meaning in dkms; the names give the main one.
pub mod code {
    /// Generic failure: not root, no headers, I/O.
    pub const GENERIC: u8 = 1;
    /// Bad option, or no source directory.
    pub const NO_SOURCE: u8 = 2;
    /// Not in the tree, already added, already built.
    pub const NOT_IN_TREE: u8 = 3;
    /// No dkms.conf, or more than one action.
    pub const NO_CONF: u8 = 4;
    /// A patch file is missing, `--all` is not allowed, already installed.
    pub const PATCH_MISSING: u8 = 5;
    /// A patch failed, no kernel dir to install into, depmod failed, install aborted.
    pub const PATCH_FAILED: u8 = 6;
    /// A built module is missing after make.
    pub const MODULE_MISSING: u8 = 7;
    /// Invalid dkms.conf.
    pub const BAD_CONF: u8 = 8;
    /// make failed.
    pub const BUILD_FAILED: u8 = 10;
    /// autoinstall failed for a module.
    pub const AUTOINSTALL_FAILED: u8 = 11;
    /// BUILD_EXCLUSIVE does not match this kernel/arch/config (Debian's 77).
    pub const EXCLUDED: u8 = 77;
    /// PRE_INSTALL failed.
    pub const PRE_INSTALL_FAILED: u8 = 101;
}
