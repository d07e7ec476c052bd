//! dkms 3.0.10's command-line grammar, value in, value out: the action anywhere on the line,
//! `m/v` or `-m m/v` or `-m m -v v`, `-k kver[/arch]` and `-a arch` repeatable, `--opt=value`
//! or `--opt value`, plus hostkit's own `--etc-dir`, `--format`, `--dry-run`,
//! `--kernel-range`. Exit codes and messages follow dkms's parser and sanity checks.

use thiserror::Error;

/// A dkms action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Add,
    Remove,
    Build,
    Unbuild,
    Install,
    Uninstall,
    Autoinstall,
    Status,
    Match,
    Mktarball,
    Ldtarball,
}

impl Action {
    /// dkms's `action_re`.
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "add" => Action::Add,
            "remove" => Action::Remove,
            "build" => Action::Build,
            "unbuild" => Action::Unbuild,
            "install" => Action::Install,
            "uninstall" => Action::Uninstall,
            "autoinstall" => Action::Autoinstall,
            "status" => Action::Status,
            "match" => Action::Match,
            "mktarball" => Action::Mktarball,
            "ldtarball" => Action::Ldtarball,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Remove => "remove",
            Action::Build => "build",
            Action::Unbuild => "unbuild",
            Action::Install => "install",
            Action::Uninstall => "uninstall",
            Action::Autoinstall => "autoinstall",
            Action::Status => "status",
            Action::Match => "match",
            Action::Mktarball => "mktarball",
            Action::Ldtarball => "ldtarball",
        }
    }
}

/// A parsed dkms command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invocation {
    pub action: Option<Action>,
    pub module: String,
    pub version: String,
    pub kernels: Vec<String>,
    pub arches: Vec<String>,
    pub conf: Option<String>,
    pub force: bool,
    pub force_version_override: bool,
    pub all: bool,
    pub no_depmod: bool,
    pub quiet: bool,
    pub verbose: bool,
    pub jobs: Option<String>,
    pub dkms_tree: Option<String>,
    pub source_tree: Option<String>,
    pub install_tree: Option<String>,
    pub kernel_source_dir: Option<String>,
    pub kernel_config: Option<String>,
    pub directives: Vec<String>,
    /// A directory (or dkms.conf path) given to `add`.
    pub source_dir: Option<String>,
    pub archive: Option<String>,
    pub version_flag: bool,
    /// hostkit: `--etc-dir` (dkms hard-codes /etc/dkms).
    pub etc_dir: Option<String>,
    /// hostkit: `--format text|json`.
    pub format: Option<String>,
    /// hostkit: `--dry-run`.
    pub dry_run: bool,
    /// hostkit: `--kernel-range`.
    pub kernel_range: Option<String>,
    /// hostkit: `--output FILE`.
    pub output: Option<String>,
    /// dkms's `Warning: I do not know how to handle X.` lines.
    pub warnings: Vec<String>,
}

/// A command line dkms rejects: the message lines (after `Error! `) and its exit code.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("{}", lines.join(" "))]
pub struct ArgError {
    pub lines: Vec<String>,
    pub code: u8,
    /// dkms prints its usage after this error.
    pub usage: bool,
}

fn die(code: u8, lines: &[&str]) -> ArgError {
    ArgError {
        lines: lines.iter().map(|s| s.to_string()).collect(),
        code,
        usage: false,
    }
}

/// dkms's `show_usage` (printed to stdout).
pub fn usage(argv0: &str) -> String {
    [
        format!("Usage: {argv0} [action] [options]"),
        "  [action]  = { add | remove | build | install | uninstall | match | autoinstall |".into(),
        "                mktarball | ldtarball | status }".into(),
        "  [options] = [-m module] [-v module-version] [-k kernel-version] [-a arch]".into(),
        "              [-c dkms.conf-location] [-q] [--force] [--force-version-override] [--all]"
            .into(),
        "              [--templatekernel=kernel] [--directive='cli-directive=cli-value']".into(),
        "              [--config=kernel-.config-location] [--archive=tarball-location]".into(),
        "              [--kernelsourcedir=source-location]".into(),
        "              [--binaries-only] [--source-only] [--verbose]".into(),
        "              [--no-depmod] [--modprobe-on-install] [-j number] [--version]".into(),
        String::new(),
    ]
    .join("\n")
}

fn split_mv(s: &str) -> (String, Option<String>) {
    match s.split_once('/') {
        Some((m, v)) => (m.to_string(), Some(v.to_string())),
        None => (s.to_string(), None),
    }
}

/// How a positional word is classified (dkms looks at the filesystem).
pub trait PathProbe {
    fn is_file(&self, p: &str) -> bool;
    fn is_dir_with_conf(&self, p: &str) -> bool;
}

/// Parses argv (without argv[0]) as dkms 3.0.10 does.
pub fn parse(args: &[String], probe: &dyn PathProbe) -> Result<Invocation, ArgError> {
    let mut inv = Invocation::default();
    let mut i = 0;
    // `--opt=value` or `--opt value` (dkms's read_arg); returns the value.
    let take = |i: &mut usize, arg: &str| -> String {
        if let Some((_, v)) = arg.split_once('=') {
            v.to_string()
        } else {
            *i += 1;
            args.get(*i).cloned().unwrap_or_default()
        }
    };
    while i < args.len() {
        let a = args[i].as_str();
        let long = |p: &str| a.starts_with(p);
        match a {
            _ if long("--module") || a == "-m" => {
                let (m, v) = split_mv(&take(&mut i, a));
                inv.module = m;
                if let Some(v) = v {
                    inv.version = v;
                }
            }
            "-v" => inv.version = take(&mut i, a),
            _ if long("--kernelver") || a == "-k" => {
                let ka = take(&mut i, a);
                match ka.split_once('/') {
                    Some((k, arch)) => {
                        inv.kernels.push(k.into());
                        inv.arches.push(arch.into());
                    }
                    None => inv.kernels.push(ka),
                }
            }
            _ if long("--templatekernel") => {
                take(&mut i, a);
            }
            "-c" => inv.conf = Some(take(&mut i, a)),
            "--quiet" | "-q" => inv.quiet = true,
            "--version" | "-V" => inv.version_flag = true,
            "--no-initrd" | "--no-clean-kernel" | "--no-prepare-kernel" => {
                inv.warnings.push(format!("Deprecated feature: {a}"));
            }
            "--binaries-only"
            | "--source-only"
            | "--rpm_safe_upgrade"
            | "--symlink-modules"
            | "--modprobe-on-install"
            | "--debug" => {}
            "--force" => inv.force = true,
            "--force-version-override" => inv.force_version_override = true,
            "--all" => inv.all = true,
            "--verbose" => inv.verbose = true,
            "--no-depmod" => inv.no_depmod = true,
            "--dry-run" => inv.dry_run = true,
            _ if long("--dkmstree") => inv.dkms_tree = Some(take(&mut i, a)),
            _ if long("--sourcetree") => inv.source_tree = Some(take(&mut i, a)),
            _ if long("--installtree") => inv.install_tree = Some(take(&mut i, a)),
            _ if long("--config") => inv.kernel_config = Some(take(&mut i, a)),
            _ if long("--archive") => inv.archive = Some(take(&mut i, a)),
            _ if long("--arch") || a == "-a" => {
                let v = take(&mut i, a);
                inv.arches.push(v);
            }
            _ if long("--kernelsourcedir") => inv.kernel_source_dir = Some(take(&mut i, a)),
            _ if long("--directive") => {
                let v = take(&mut i, a);
                inv.directives.push(v);
            }
            _ if long("--etc-dir") => inv.etc_dir = Some(take(&mut i, a)),
            _ if long("--format") => inv.format = Some(take(&mut i, a)),
            _ if long("--kernel-range") => inv.kernel_range = Some(take(&mut i, a)),
            _ if long("--output") => inv.output = Some(take(&mut i, a)),
            "-j" => inv.jobs = Some(take(&mut i, a)),
            _ if a.starts_with('-') => {
                return Err(ArgError {
                    lines: vec![format!(" Unknown option: {a}")],
                    code: 2,
                    usage: true,
                });
            }
            _ => {
                if let Some(act) = Action::parse(a) {
                    if inv.action.is_some() {
                        return Err(die(4, &["Cannot specify more than one action."]));
                    }
                    inv.action = Some(act);
                } else if a.ends_with("dkms.conf") && probe.is_file(a) {
                    inv.source_dir = Some(format!("{}./", a.trim_end_matches("dkms.conf")));
                } else if probe.is_dir_with_conf(a) {
                    inv.source_dir = Some(a.to_string());
                } else if probe.is_file(a) {
                    inv.archive = Some(a.to_string());
                } else if inv.module.is_empty() {
                    let (m, v) = split_mv(a);
                    inv.module = m;
                    if let Some(v) = v {
                        inv.version = v;
                    }
                } else {
                    inv.warnings
                        .push(format!("Warning: I do not know how to handle {a}."));
                }
            }
        }
        i += 1;
    }
    Ok(inv)
}

impl Invocation {
    /// dkms's sanity checks after parsing (exit 1, 2, 3).
    pub fn check(&self) -> Result<(), ArgError> {
        if self.kernels.len() != self.arches.len() && self.arches.len() > 1 {
            return Err(die(
                1,
                &[
                    " If more than one arch is specified on the command line, then there",
                    "must be an equal number of kernel versions also specified (1:1 relationship).",
                ],
            ));
        }
        if !self.kernels.is_empty() && self.all {
            return Err(die(
                2,
                &[
                    " You cannot specify a kernel version and also specify",
                    "--all on the command line.",
                ],
            ));
        }
        if !self.arches.is_empty() && self.all {
            return Err(die(
                3,
                &[
                    " You cannot specify an arch and also specify",
                    "--all on the command line.",
                ],
            ));
        }
        Ok(())
    }

    /// dkms's `check_module_args` (exit 1).
    pub fn check_module_args(&self) -> Result<(), ArgError> {
        if !self.module.is_empty() && !self.version.is_empty() {
            return Ok(());
        }
        let act = self.action.map_or("", Action::name);
        Err(ArgError {
            lines: vec![
                "Arguments <module> and <module-version> are not specified.".into(),
                format!("Usage: {act} <module>/<module-version> or"),
                format!("       {act} -m <module>/<module-version> or"),
                format!("       {act} -m <module> -v <module-version>"),
            ],
            code: 1,
            usage: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoFs;
    impl PathProbe for NoFs {
        fn is_file(&self, _: &str) -> bool {
            false
        }
        fn is_dir_with_conf(&self, _: &str) -> bool {
            false
        }
    }

    fn p(s: &str) -> Result<Invocation, ArgError> {
        let v: Vec<String> = s.split_whitespace().map(str::to_string).collect();
        parse(&v, &NoFs)
    }

    #[test]
    fn action_anywhere_and_module_forms() {
        let a = p("-k 6.1.0-1-amd64/x86_64 hello/0.1 build --dkmstree=/t -k 6.2").unwrap();
        assert_eq!(a.action, Some(Action::Build));
        assert_eq!((a.module.as_str(), a.version.as_str()), ("hello", "0.1"));
        assert_eq!(a.kernels, ["6.1.0-1-amd64", "6.2"]);
        assert_eq!(a.arches, ["x86_64"]);
        assert_eq!(a.dkms_tree.as_deref(), Some("/t"));
        let b = p("install -m hello -v 0.2 --etc-dir /e --no-depmod -j 3").unwrap();
        assert_eq!((b.module.as_str(), b.version.as_str()), ("hello", "0.2"));
        assert_eq!(b.etc_dir.as_deref(), Some("/e"));
        assert_eq!(b.jobs.as_deref(), Some("3"));
        assert!(b.no_depmod);
    }

    #[test]
    fn errors_and_codes() {
        assert_eq!(p("status build").unwrap_err().code, 4);
        assert_eq!(p("status --bogus").unwrap_err().code, 2);
        assert_eq!(
            p("remove m/v --all -k 1.2")
                .unwrap()
                .check()
                .unwrap_err()
                .code,
            2
        );
        assert_eq!(p("build").unwrap().check_module_args().unwrap_err().code, 1);
    }
}
