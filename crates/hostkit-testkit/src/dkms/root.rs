//! A temporary dkms root and the runners: the real dkms (in a private mount namespace reading
//! the root's etc-dir) and `hostkit dkms` (directly or through a `dkms` symlink).

use super::{Mok, REAL_DKMS, arch, kernels, mok, walk};
use crate::dkms::fixture::Fixture;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Which dkms runs a command.
#[derive(Debug, Clone)]
pub enum Tool {
    /// `/usr/sbin/dkms` in a private mount namespace (`unshare -m`) where the root's etc-dir is
    /// bound over /etc/dkms, so it reads exactly what hostkit reads with `--etc-dir`.
    Real,
    /// `<hostkit> dkms ... --etc-dir <etc>`.
    Hostkit(PathBuf),
    /// hostkit invoked through a symlink named `dkms`: `<link> ... --etc-dir <etc>`.
    HostkitAsDkms(PathBuf),
}

impl Tool {
    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Tool::Real => "dkms 3.0.10",
            Tool::Hostkit(_) => "hostkit dkms",
            Tool::HostkitAsDkms(_) => "hostkit as dkms",
        }
    }

    /// True for the real dkms.
    pub fn is_real(&self) -> bool {
        matches!(self, Tool::Real)
    }
}

/// What one command did.
#[derive(Debug, Clone)]
pub struct Run {
    /// The command line, for messages.
    pub argv: String,
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// stdout and stderr interleaved as written (one pipe, like `> log 2>&1`).
    pub out: String,
}

impl Run {
    /// The transcript (stdout and stderr interleaved).
    pub fn all(&self) -> String {
        self.out.clone()
    }

    /// Panics with the whole transcript unless the exit code is `code`.
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "`{}` exited {} (expected {code})\n--- output\n{}",
            self.argv, self.code, self.out
        );
        self
    }

    /// Panics unless it succeeded.
    pub fn ok(&self) -> &Run {
        self.expect_code(0)
    }

    /// stdout+stderr without the lines that depend on the signing setup (what run_test.sh's
    /// `genericize_expected_output` drops), `depmod....` normalised to `depmod...`.
    pub fn generic(&self) -> String {
        let mut out = String::new();
        for l in self.all().lines() {
            if l.starts_with("Sign command:")
                || l.starts_with("Signing key:")
                || l.starts_with("Public certificate (MOK):")
                || l.starts_with("Certificate or key are missing")
                || l.starts_with("At main.c:")
                || l.starts_with("- SSL error:")
            {
                continue;
            }
            if l.starts_with("depmod..") {
                out.push_str("depmod...\n");
                continue;
            }
            out.push_str(l);
            out.push('\n');
        }
        out
    }
}

/// A temporary dkms world: `src/` (`--sourcetree`), `tree/` (`--dkmstree`), `lib/`
/// (`--installtree`, with an empty `<kver>/` per kernel), `etc/` (the etc-dir), all in one
/// temp dir removed on drop. Every command gets `mok_signing_key`/`mok_certificate` (the
/// run's shared pair unless overridden) and `LC_ALL=C`.
#[derive(Debug)]
pub struct DkmsRoot {
    dir: tempfile::TempDir,
    /// Source tree.
    pub src: PathBuf,
    /// dkms tree.
    pub tree: PathBuf,
    /// Install tree (stands for /lib/modules).
    pub install: PathBuf,
    /// etc-dir (stands for /etc/dkms).
    pub etc: PathBuf,
    /// The MOK pair passed to every command.
    pub mok: Mok,
    /// Kernels with headers, `sort -V` order.
    pub kernels: Vec<String>,
    /// Extra environment for every command.
    pub env: Vec<(String, String)>,
}

impl Default for DkmsRoot {
    fn default() -> Self {
        Self::new()
    }
}

impl DkmsRoot {
    /// A fresh root using the run's shared MOK pair.
    pub fn new() -> DkmsRoot {
        let dir = tempfile::Builder::new()
            .prefix("hostkit-dkms.")
            .tempdir()
            .unwrap();
        let base = dir.path().to_path_buf();
        let kernels = kernels();
        let root = DkmsRoot {
            src: base.join("src"),
            tree: base.join("tree"),
            install: base.join("lib"),
            etc: base.join("etc"),
            mok: mok().clone(),
            kernels,
            env: Vec::new(),
            dir,
        };
        for d in [&root.src, &root.tree, &root.install, &root.etc] {
            fs::create_dir_all(d).unwrap();
        }
        for k in &root.kernels {
            fs::create_dir_all(root.install.join(k)).unwrap();
        }
        root
    }

    /// The root directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Uses a MOK pair inside this root (not generated yet: the tool must generate it).
    pub fn with_private_mok(mut self) -> DkmsRoot {
        self.mok = Mok {
            key: self.path().join("mok/mok.key"),
            cert: self.path().join("mok/mok.pub"),
        };
        fs::create_dir_all(self.path().join("mok")).unwrap();
        self
    }

    /// Writes a fixture's source to `src/<name>-<version>/`; returns that dir.
    pub fn add_source(&self, f: &Fixture) -> PathBuf {
        let dir = self.src.join(format!("{}-{}", f.name, f.version));
        for (rel, text) in &f.files {
            let p = dir.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, text).unwrap();
        }
        dir
    }

    /// Writes `<etc>/<name>` (an override layer or framework.conf).
    pub fn write_etc(&self, name: &str, text: &str) {
        let p = self.etc.join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    /// The root options both tools take.
    pub fn root_args(&self) -> Vec<OsString> {
        vec![
            "--dkmstree".into(),
            self.tree.clone().into(),
            "--sourcetree".into(),
            self.src.clone().into(),
            "--installtree".into(),
            self.install.clone().into(),
        ]
    }

    /// `<tree>/<m>/<v>/<kver>/<arch>/module/<ko>.ko`.
    pub fn built_ko(&self, m: &str, v: &str, kver: &str, ko: &str) -> PathBuf {
        self.tree
            .join(m)
            .join(v)
            .join(kver)
            .join(arch())
            .join("module")
            .join(format!("{ko}.ko"))
    }

    /// `<install>/<kver>/updates/dkms/<ko>.ko`.
    pub fn installed_ko(&self, kver: &str, ko: &str) -> PathBuf {
        self.install
            .join(kver)
            .join("updates/dkms")
            .join(format!("{ko}.ko"))
    }

    /// The command that runs `tool` with `args`, the root options and the environment.
    pub fn command(&self, tool: &Tool, args: &[&str]) -> Command {
        let mut cmd = match tool {
            Tool::Real => {
                let mut c = Command::new("unshare");
                c.args(["-m", "--propagation", "private", "--", "sh", "-c"])
                    .arg(r#"mount --bind "$0" /etc/dkms && exec "$@""#)
                    .arg(&self.etc)
                    .arg(REAL_DKMS);
                c.args(args).args(self.root_args());
                c
            }
            Tool::Hostkit(bin) => {
                let mut c = Command::new(bin);
                c.arg("dkms").args(args).args(self.root_args());
                c.arg("--etc-dir").arg(&self.etc);
                c
            }
            Tool::HostkitAsDkms(link) => {
                let mut c = Command::new(link);
                c.args(args).args(self.root_args());
                c.arg("--etc-dir").arg(&self.etc);
                c
            }
        };
        cmd.env("LC_ALL", "C")
            .env("mok_signing_key", &self.mok.key)
            .env("mok_certificate", &self.mok.cert)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(self.path())
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `tool args...` (plus the root options) and returns what it did. Every command but
    /// `status` also gets `--no-depmod`: the real dkms would otherwise run the system depmod.
    pub fn run(&self, tool: &Tool, args: &[&str]) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        if args.first() != Some(&"status") && !args.contains(&"--no-depmod") {
            all.push("--no-depmod");
        }
        self.run_exact(tool, &all)
    }

    /// Runs `tool args...` (plus the root options) without adding `--no-depmod`; stdout and
    /// stderr go to one pipe so the transcript keeps dkms's order.
    pub fn run_exact(&self, tool: &Tool, args: &[&str]) -> Run {
        use std::io::Read;
        let (mut reader, writer) = std::io::pipe().expect("pipe");
        let mut cmd = self.command(tool, args);
        cmd.stdout(writer.try_clone().expect("dup pipe"))
            .stderr(writer);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("{}: cannot run: {e}", tool.name()));
        drop(cmd);
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).expect("read transcript");
        let status = child.wait().expect("wait");
        Run {
            argv: format!("{} {}", tool.name(), args.join(" ")),
            code: status.code().unwrap_or(-1),
            out: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// `status` stdout; panics (with stderr) unless it exits 0, as dkms status always does.
    pub fn status(&self, tool: &Tool, extra: &[&str]) -> String {
        let (code, stdout, stderr) = self.status_split(tool, extra);
        assert_eq!(
            code,
            0,
            "{} status {extra:?} exited {code}: {stderr}",
            tool.name()
        );
        stdout
    }

    /// `status` as (exit code, stdout, stderr).
    pub fn status_split(&self, tool: &Tool, extra: &[&str]) -> (i32, String, String) {
        let mut args = vec!["status"];
        args.extend_from_slice(extra);
        let out: Output = self
            .command(tool, &args)
            .output()
            .unwrap_or_else(|e| panic!("{}: cannot run: {e}", tool.name()));
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Synthesises the built state of `m/v` for `kver` in dkms 3.0.10's exact layout without
    /// compiling: `module/<ko>.ko` (the given bytes) and `log/make.log`. The module must have
    /// been added.
    pub fn fake_built(&self, f: &Fixture, kver: &str, bytes: &[u8]) {
        let base = self
            .tree
            .join(&f.name)
            .join(&f.version)
            .join(kver)
            .join(arch());
        fs::create_dir_all(base.join("module")).unwrap();
        fs::create_dir_all(base.join("log")).unwrap();
        fs::write(base.join("log/make.log"), "fake build\n").unwrap();
        for ko in f.modules() {
            fs::write(base.join("module").join(format!("{ko}.ko")), bytes).unwrap();
        }
    }

    /// Synthesises the installed state over a [`DkmsRoot::fake_built`] one: copies each `.ko` to
    /// `<install>/<kver>/updates/dkms/` and makes the relative `kernel-<kver>-<arch>` link.
    pub fn fake_installed(&self, f: &Fixture, kver: &str) {
        let a = arch();
        for ko in f.modules() {
            let dst = self.installed_ko(kver, &ko);
            fs::create_dir_all(dst.parent().unwrap()).unwrap();
            fs::copy(self.built_ko(&f.name, &f.version, kver, &ko), dst).unwrap();
        }
        let link = self.tree.join(&f.name).join(format!("kernel-{kver}-{a}"));
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink(format!("{}/{kver}/{a}", f.version), link).unwrap();
    }

    /// Every path under the dkms tree and the install tree (relative, `/`-joined, with a type
    /// mark: `/` dir, `@` symlink), sorted: a picture of the state to compare.
    pub fn listing(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (label, base) in [("tree", &self.tree), ("lib", &self.install)] {
            walk(base, &mut |p, md| {
                let rel = p.strip_prefix(base).unwrap().display().to_string();
                let mark = if md.file_type().is_symlink() {
                    "@"
                } else if md.is_dir() {
                    "/"
                } else {
                    ""
                };
                out.push(format!("{label}/{rel}{mark}"));
            });
        }
        out.sort();
        out
    }
}
