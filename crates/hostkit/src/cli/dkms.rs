//! Command-line grammar for `hostkit dkms`. The actions keep dkms 3.0.10's own grammar
//! (action anywhere, `m/v`, `-k kver[/arch]`...), so they are taken as raw words here and
//! parsed by `hostkit_dkms::args`; `patch` is a hostkit subcommand declared with clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Build, install and track out-of-tree kernel modules: a drop-in for dkms 3.0.x.
///
/// Takes dkms's command line unchanged: `hostkit dkms ACTION [MODULE/VERSION] [OPTIONS]`
/// (also as `dkms ...` through a symlink named dkms). Actions: add, build, install, uninstall,
/// unbuild, remove, status, autoinstall. Reads and writes the same tree as dkms (status lines
/// byte-identical to dkms 3.0.10, same exit codes), evaluates plain dkms.conf files without
/// starting a shell, builds every kernel in a private directory (several kernels and modules
/// in parallel under one `-j` budget) and runs one depmod per kernel.
#[derive(Debug, Args)]
#[command(after_long_help = DKMS_HELP)]
pub struct DkmsArgs {
    /// The dkms command line (see below), or `patch ...`.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        num_args = 0..,
        value_name = "ARGS"
    )]
    pub args: Vec<String>,
}

const DKMS_HELP: &str = "\
Options (as dkms; `--opt=value` or `--opt value`, anywhere on the line):
  MODULE/VERSION, -m MODULE[/VERSION], -v VERSION    the module version
  -k KVER[/ARCH]        kernel (repeatable; default: the running kernel), -a ARCH
  --all                 every kernel the module is built for (remove, unbuild, uninstall)
  --force               rebuild / reinstall even when already done
  --no-depmod           skip depmod after (un)installing
  -j N                  parallel make jobs in total across all builds (default: CPUs)
  -c FILE               use FILE instead of the module's dkms.conf
  --dkmstree DIR        module tree (default /var/lib/dkms)
  --sourcetree DIR      sources (default /usr/src)
  --installtree DIR     installed modules (default /lib/modules)
  --kernelsourcedir DIR kernel build dir (default /lib/modules/KVER/build)
  --config FILE         kernel .config (default KERNELSOURCEDIR/.config)
hostkit additions:
  --etc-dir DIR         dkms override files and framework.conf (default /etc/dkms)
  --kernel-range R      kernels from the tree or /lib/modules matching R, e.g. '>=6.1,<6.12'
  --dry-run             print the plan (steps per module and kernel) and change nothing
  --format json         status or plan as JSON (schema_version 1); docs/dkms.md lists fields
  --output FILE         write status/plan output to FILE (`-` = stdout)

Per-kernel patches:
  hostkit dkms patch add MODULE/VERSION FILE [-pN] (-k KVER... | --kernel-range R |
                         --kernel-glob G) [--rebuild]
  hostkit dkms patch list MODULE/VERSION
  hostkit dkms patch remove MODULE/VERSION NAME [--rebuild]

Exit status (as dkms): 0 ok; 1 usage or not root; 2 bad option or no source; 3 not in the
tree or already added; 4 bad conf path or two actions; 5 patch missing or already
installed; 6 patch failed or depmod failed; 7 built module missing; 8 bad dkms.conf;
10 make failed; 11 autoinstall failed; 77 BUILD_EXCLUSIVE does not match this kernel.

Examples:
  hostkit dkms status
  hostkit dkms status --format json
  hostkit dkms add hello/0.1 && hostkit dkms install hello/0.1 -k 6.1.0-57-amd64 -k 6.1.0-57-cloud-amd64
  hostkit dkms remove hello/0.1 --all
  hostkit dkms build hello/0.1 --kernel-range '>=6.1,<6.12' --dry-run
  hostkit dkms patch add vboxhost/7.0.20 fix.diff -p0 -k 6.1.0-57-cloud-amd64 --rebuild
  ln -s \"$(command -v hostkit)\" /usr/local/sbin/dkms   # then: dkms status";

/// `hostkit dkms patch`: per-kernel patches stored as PATCH[n]/PATCH_MATCH[n] overrides.
#[derive(Debug, Parser)]
#[command(name = "hostkit dkms patch", max_term_width = 100)]
pub struct PatchCli {
    #[command(subcommand)]
    pub command: PatchCommand,
}

#[derive(Debug, Subcommand)]
pub enum PatchCommand {
    /// Store FILE in the source's patches/ and apply it only to the chosen kernels.
    ///
    /// The patch is normalised to -p1 and copied to <source>/patches/; PATCH[n] and
    /// PATCH_MATCH[n] (an ERE on the kernel version that the real dkms honours too) are
    /// appended to <etc-dir>/<module>-<version>.conf. With --rebuild, the matching kernels are
    /// rebuilt and reinstalled where the module was installed; other kernels are untouched.
    Add(PatchAddArgs),
    /// List the patches of a module version with the kernels they apply to.
    List(PatchTarget),
    /// Remove a patch (by file name) from the override file and patches/.
    Remove(PatchRemoveArgs),
}

/// Roots shared by the patch subcommands.
#[derive(Debug, Args)]
pub struct PatchRoots {
    /// Module tree.
    #[arg(long, value_name = "DIR", default_value = "/var/lib/dkms")]
    pub dkmstree: String,
    /// Sources.
    #[arg(long, value_name = "DIR", default_value = "/usr/src")]
    pub sourcetree: String,
    /// Installed modules.
    #[arg(long, value_name = "DIR", default_value = "/lib/modules")]
    pub installtree: String,
    /// dkms override files.
    #[arg(long, value_name = "DIR", default_value = "/etc/dkms")]
    pub etc_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct PatchTarget {
    /// MODULE/VERSION
    pub module: String,
    #[command(flatten)]
    pub roots: PatchRoots,
}

#[derive(Debug, Args)]
pub struct PatchAddArgs {
    /// MODULE/VERSION
    pub module: String,
    /// The patch file (unified diff).
    pub file: PathBuf,
    /// Strip this many leading path components, as `patch -pN` (stored as -p1).
    #[arg(short = 'p', value_name = "N", default_value_t = 1)]
    pub strip: usize,
    /// Apply to exactly these kernel versions (repeatable).
    #[arg(short = 'k', long = "kernel", value_name = "KVER", group = "which")]
    pub kernels: Vec<String>,
    /// Apply to kernels in this range, e.g. '>=6.1,<6.12', compiled to an ERE so future
    /// kernels in the range match too (a range with `!=` is resolved to the kernels present).
    #[arg(long, value_name = "RANGE", group = "which")]
    pub kernel_range: Option<String>,
    /// Apply to kernels matching this shell glob, e.g. '*-cloud-amd64' (also future ones).
    #[arg(long, value_name = "GLOB", group = "which")]
    pub kernel_glob: Option<String>,
    /// Rebuild (and reinstall where installed) the matching kernels now.
    #[arg(long)]
    pub rebuild: bool,
    /// Parallel make jobs in total for --rebuild.
    #[arg(short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Skip depmod after reinstalling.
    #[arg(long)]
    pub no_depmod: bool,
    #[command(flatten)]
    pub roots: PatchRoots,
}

#[derive(Debug, Args)]
pub struct PatchRemoveArgs {
    /// MODULE/VERSION
    pub module: String,
    /// The patch name as listed by `patch list`.
    pub name: String,
    #[command(flatten)]
    pub roots: PatchRoots,
}
