//! `hostkit proc`: dispatch plus what `time`, `load` and `capture` share: opening the proc
//! root (live or captured) and resolving user names without NSS.

mod format;
mod load;
mod prom;
mod render;
mod time;
mod view;

pub use load::nagios_usage_error;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::Context;

use crate::error::ResultExt;
use hostkit_proc::sys::capture::{CaptureObserver, capture, captured_clk_tck};
use hostkit_proc::sys::reader::{ReadOptions, Reader};
use hostkit_proc::sys::root::ProcRoot;
use hostkit_proc::users::parse_passwd;

use crate::cli::proc::{CaptureArgs, ProcCommand};
use crate::exit::Outcome;
use crate::output;

/// Runs one `hostkit proc` subcommand.
pub fn run(cmd: ProcCommand) -> anyhow::Result<Outcome> {
    match cmd {
        ProcCommand::Time(args) => time::run(&args),
        ProcCommand::Load(args) => load::run(&args),
        ProcCommand::Capture(args) => run_capture(&args),
    }
}

/// Opens `root` and builds a reader, honouring a captured tree's clock ticks.
pub(crate) fn open_reader(root: &Path, opts: ReadOptions) -> anyhow::Result<Reader> {
    let proc_root = ProcRoot::open(root)?;
    let clk = if proc_root.is_procfs() {
        None
    } else {
        captured_clk_tck(root)
    };
    Ok(Reader::new(proc_root, opts, clk))
}

/// UID -> name from the tree's own `passwd` (captured trees) or `/etc/passwd`.
#[derive(Debug, Default)]
pub(crate) struct Users {
    names: HashMap<u32, String>,
}

impl Users {
    /// Loads the names that apply to `reader`'s root.
    pub fn for_root(reader: &Reader) -> Users {
        let path = if reader.root().is_procfs() {
            std::path::PathBuf::from("/etc/passwd")
        } else {
            reader.root().path().join("passwd")
        };
        let text = std::fs::read_to_string(path).unwrap_or_default();
        Users {
            names: parse_passwd(&text),
        }
    }

    /// The name of `uid`, its number when unknown, `?` when the owner was not read.
    pub fn name(&self, uid: Option<u32>) -> String {
        match uid {
            Some(u) => self.names.get(&u).cloned().unwrap_or_else(|| u.to_string()),
            None => "?".to_string(),
        }
    }

    /// Resolves `-u` values (names or numeric UIDs).
    pub fn resolve(&self, specs: &[String]) -> anyhow::Result<Vec<u32>> {
        specs
            .iter()
            .map(|s| {
                if let Ok(n) = s.parse::<u32>() {
                    return Ok(n);
                }
                self.names
                    .iter()
                    .find(|(_, name)| *name == s)
                    .map(|(uid, _)| *uid)
                    .with_context(|| {
                        format!(
                            "unknown user `{s}`; expected a user name from passwd or a numeric UID"
                        )
                    })
                    .hint("`-u 0` or `-u root`")
            })
            .collect()
    }
}

fn run_capture(args: &CaptureArgs) -> anyhow::Result<Outcome> {
    let root = ProcRoot::open(&args.source.proc_root)?;
    let passwd: BTreeMap<u32, String> =
        parse_passwd(&std::fs::read_to_string("/etc/passwd").unwrap_or_default())
            .into_iter()
            .collect();
    let bar = output::progress::bar(0, "capturing processes");
    struct Bar(indicatif::ProgressBar);
    impl CaptureObserver for Bar {
        fn progress(&mut self, done: usize, total: usize) {
            self.0.set_length(total as u64);
            self.0.set_position(done as u64);
        }
    }
    let sum = capture(&root, &args.dir, &passwd, &mut Bar(bar.clone()))?;
    bar.finish_and_clear();
    eprintln!(
        "captured {} processes, {} threads ({} files; {} unreadable or vanished) into `{}`",
        sum.processes,
        sum.threads,
        sum.files,
        sum.skipped,
        args.dir.display()
    );
    eprintln!(
        "read it back with: hostkit proc time --proc-root {}",
        args.dir.display()
    );
    Ok(Outcome::Ok)
}
