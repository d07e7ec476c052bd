//! `hostkit dkms` and the `dkms` personality: parses dkms's command line with
//! `hostkit_dkms::args`, builds the roots, and runs status, the actions or `patch`. dkms's
//! messages and exit codes are kept byte for byte (`Error! ...` on stderr, exit 1-11/77).

mod actions;
mod patch;
mod status;

use std::io::Write;

use clap::Parser;
use hostkit_dkms::args::{self, Action, ArgError, Invocation, PathProbe};
use hostkit_dkms::sys::Roots;

use crate::cli::dkms::{DkmsArgs, PatchCli};
use crate::exit::{ExitCode, Outcome};

struct Fs;

impl PathProbe for Fs {
    fn is_file(&self, p: &str) -> bool {
        std::path::Path::new(p).is_file()
    }
    fn is_dir_with_conf(&self, p: &str) -> bool {
        std::path::Path::new(p).is_dir() && std::path::Path::new(p).join("dkms.conf").is_file()
    }
}

/// `hostkit dkms ARGS...`.
pub fn run(args: DkmsArgs) -> anyhow::Result<Outcome> {
    if args.args.first().is_some_and(|a| a == "patch") {
        let argv =
            std::iter::once("hostkit dkms patch".to_string()).chain(args.args[1..].iter().cloned());
        let cli = PatchCli::try_parse_from(argv).unwrap_or_else(|e| e.exit());
        return patch::run(cli.command);
    }
    Ok(Outcome::Code(dispatch("hostkit dkms", &args.args)))
}

/// Invoked as `dkms` (argv[0]): dkms's command line, dkms's exit codes.
pub fn personality(argv: impl Iterator<Item = std::ffi::OsString>) -> ExitCode {
    let args: Vec<String> = argv.map(|a| a.to_string_lossy().into_owned()).collect();
    if args.first().is_some_and(|a| a == "patch") {
        let mut v = vec!["dkms patch".to_string()];
        v.extend(args[1..].iter().cloned());
        let cli = PatchCli::try_parse_from(&v).unwrap_or_else(|e| e.exit());
        return crate::exit::finish(patch::run(cli.command));
    }
    // dkms's usage names the program as invoked ($0).
    let argv0 = std::env::args().next().unwrap_or_else(|| "dkms".into());
    ExitCode(dispatch(&argv0, &args))
}

/// Prints dkms's `Error! ...` block on stderr.
pub(crate) fn print_error(lines: &[String]) {
    let mut e = std::io::stderr().lock();
    let _ = write!(e, "Error! ");
    for l in lines {
        let _ = writeln!(e, "{l}");
    }
}

fn arg_error(argv0: &str, err: &ArgError) -> u8 {
    print_error(&err.lines);
    if err.usage {
        print!("{}", args::usage(argv0));
    }
    err.code
}

/// The roots of an invocation.
pub(crate) fn roots_of(inv: &Invocation) -> Roots {
    let mut r = Roots::default();
    if let Some(etc) = &inv.etc_dir {
        r.etc_dir = etc.into();
    }
    framework_conf(&mut r);
    if let Some(t) = &inv.dkms_tree {
        r.dkms_tree.clone_from(t);
    }
    if let Some(t) = &inv.source_tree {
        r.source_tree.clone_from(t);
    }
    if let Some(t) = &inv.install_tree {
        r.install_tree.clone_from(t);
    }
    r.kernel_source_dir.clone_from(&inv.kernel_source_dir);
    r.kernel_config.clone_from(&inv.kernel_config);
    r.conf.clone_from(&inv.conf);
    r
}

/// `framework.conf` and `framework.conf.d/*.conf` under the etc dir: `source_tree`,
/// `dkms_tree`, `install_tree` (plain assignments; the command line wins).
fn framework_conf(r: &mut Roots) {
    let mut files = vec![r.etc_dir.join("framework.conf")];
    if let Ok(rd) = std::fs::read_dir(r.etc_dir.join("framework.conf.d")) {
        let mut more: Vec<_> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "conf"))
            .collect();
        more.sort();
        files.extend(more);
    }
    r.framework_files.clone_from(&files);
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let mut vars = hostkit_dkms::conf::Vars::default();
        let scope = |n: &str| std::env::var(n).ok();
        if hostkit_dkms::conf::eval_plain(&text, &scope, &mut vars).is_err() {
            continue;
        }
        for (name, slot) in [
            ("source_tree", &mut r.source_tree),
            ("dkms_tree", &mut r.dkms_tree),
            ("install_tree", &mut r.install_tree),
        ] {
            if vars.is_set(name) {
                *slot = vars.scalar(name).to_string();
            }
        }
    }
}

/// Parses and runs one dkms command line; returns the exit code.
pub fn dispatch(argv0: &str, argv: &[String]) -> u8 {
    let inv = match args::parse(argv, &Fs) {
        Ok(i) => i,
        Err(e) => return arg_error(argv0, &e),
    };
    for w in &inv.warnings {
        eprintln!("{w}");
    }
    if inv.version_flag {
        println!("dkms-3.0.10");
        return 0;
    }
    if let Err(e) = inv.check() {
        return arg_error(argv0, &e);
    }
    if inv.quiet {
        silence();
    }
    let code = match inv.action {
        Some(Action::Status) => status::run(&inv),
        Some(act) => actions::run(act, &inv),
        None => {
            print_error(&["Unknown action specified: \"\"".to_string()]);
            print!("{}", args::usage(argv0));
            0
        }
    };
    let _ = std::io::stdout().flush();
    code
}

/// dkms's `-q`: `exec >/dev/null 2>&1`.
fn silence() {
    if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
        use std::os::fd::AsRawFd;
        // SAFETY: dup2 onto the standard descriptors with a valid open descriptor.
        unsafe {
            libc::dup2(null.as_raw_fd(), 1);
            libc::dup2(null.as_raw_fd(), 2);
        }
    }
}

/// Seconds since the epoch for the JSON envelope.
pub(crate) fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
