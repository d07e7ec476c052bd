//! `hostkit dkms` against the real components: kernel headers + kbuild of the two installed
//! flavours, modinfo, and Debian's dkms 3.0.10 on the same temporary roots. Each expectation is
//! checked on the real dkms first (`real` tests), then on hostkit (`hostkit` tests, and the
//! interop tests where one tool reads or removes what the other wrote). Ports dell/dkms
//! `run_test.sh` (v3.0.10) to temp roots: lifecycle, two versions, autoinstall, signing.

use hostkit_testkit::dkms::{DkmsRoot, Run, Tool, arch, nproc};
use std::fs;

/// hostkit under test.
fn hostkit() -> Tool {
    Tool::Hostkit(crate::bin())
}

/// One scenario, run against the real dkms (`real`) and against hostkit (`hostkit`) with the
/// same expectations: hostkit must behave exactly like dkms 3.0.10 here. A leading
/// `#[hostkit_ignore = "why"]` ignores the hostkit side, with the reason, until hostkit does it.
macro_rules! both {
    (#[hostkit_ignore = $why:literal] $(#[doc = $doc:literal])* fn $name:ident($tool:ident: Tool) $body:block) => {
        $(#[doc = $doc])*
        mod $name {
            use super::*;
            fn case($tool: Tool) $body
            #[test]
            fn real() {
                case(Tool::Real)
            }
            #[test]
            #[ignore = $why]
            fn hostkit() {
                case(super::hostkit())
            }
        }
    };
    ($(#[doc = $doc:literal])* fn $name:ident($tool:ident: Tool) $body:block) => {
        $(#[doc = $doc])*
        mod $name {
            use super::*;
            fn case($tool: Tool) $body
            #[test]
            fn real() {
                case(Tool::Real)
            }
            #[test]
            fn hostkit() {
                case(super::hostkit())
            }
        }
    };
}

/// Entries of the dkms tree the real dkms can see (bash's `*` skips dot entries: hostkit keeps
/// its per-module lock files under `<tree>/.hostkit/locks/`, invisible to dkms).
fn visible_tree_entries(root: &DkmsRoot) -> Vec<String> {
    fs::read_dir(&root.tree)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect()
}

/// Masks the build directory in build transcripts: dkms builds in the shared `<m>/<v>/build`,
/// hostkit in a private one; everything else must be the same.
fn mask_build_dir(s: &str) -> String {
    s.lines()
        .map(|l| {
            if let Some(at) = l.find(" M=")
                && l.starts_with("make -j")
                && l.ends_with("...")
            {
                return format!("{} M=<build>...", &l[..at]);
            }
            if let Some(rest) = l.strip_prefix("Signing module ") {
                let file = rest.rsplit('/').next().unwrap_or(rest);
                return format!("Signing module <build>/{file}");
            }
            l.to_owned()
        })
        .map(|l| l + "\n")
        .collect()
}

/// The transcript of a successful first build of `ko` (signing lines dropped).
fn build_transcript(kver: &str, ko: &[&str]) -> String {
    let mut s = format!(
        "\nBuilding module:\nCleaning build area...\n\
         make -j{} KERNELRELEASE={kver} -C /lib/modules/{kver}/build M=<build>...\n",
        nproc()
    );
    for k in ko {
        s.push_str(&format!("Signing module <build>/{k}.ko\n"));
    }
    s.push_str("Cleaning build area...\n");
    s
}

/// The transcript of installing `ko` on `kver` when nothing was there.
fn install_transcript(root: &DkmsRoot, kver: &str, ko: &str, never_had: bool) -> String {
    let original = if never_had {
        "This kernel never originally had a module by this name"
    } else {
        "No original module exists within this kernel"
    };
    format!(
        "\n{ko}.ko:\nRunning module version sanity check.\n - Original module\n   - {original}\n \
         - Installation\n   - Installing to {}/{kver}/updates/dkms/\ndepmod...\n",
        root.install.display()
    )
}

/// The transcript of uninstalling the active `m-v` from `kver`.
fn uninstall_transcript(root: &DkmsRoot, m: &str, v: &str, kver: &str, ko: &str) -> String {
    format!(
        "Module {m}-{v} for kernel {kver} ({a}).\n\
         Before uninstall, this module version was ACTIVE on this kernel.\n\n{ko}.ko:\n \
         - Uninstallation\n   - Deleting from: {}/{kver}/updates/dkms/\n - Original module\n   \
         - No original module was found for this module on this kernel.\n   \
         - Use the dkms install command to reinstall any previous module version.\ndepmod...\n",
        root.install.display(),
        a = arch()
    )
}

fn not_installed(m: &str, v: &str, kver: &str) -> String {
    format!(
        "Module {m} {v} is not installed for kernel {kver} ({}). Skipping...\n",
        arch()
    )
}

fn not_built(m: &str, v: &str, kver: &str) -> String {
    format!(
        "Module {m} {v} is not built for kernel {kver} ({}). Skipping...\n",
        arch()
    )
}

fn line(m: &str, v: &str, kver: &str, state: &str) -> String {
    format!("{m}/{v}, {kver}, {}: {state}\n", arch())
}

fn assert_out(run: &Run, expected: &str) {
    assert_eq!(
        mask_build_dir(&run.generic()),
        expected,
        "unexpected output from `{}` (exit {})",
        run.argv,
        run.code
    );
}

// After `both!`: macros are visible to the modules declared below their definition.
mod builds;
mod interop;
mod upstream;
