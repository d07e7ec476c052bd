//! dkms harness: kernels discovered from `/lib/modules/*/build/Makefile`, temporary dkms roots
//! (sources, tree, install tree, etc-dir) with a MOK key pair generated once per test run, the
//! project's fixture modules (written in code), runners for the real dkms 3.0.10 (in a private
//! mount namespace with the root's etc-dir bound over /etc/dkms) and for `hostkit dkms`, modinfo
//! helpers and a guard proving that nothing was written outside the temporary roots.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// Debian's dkms (3.0.10-8 on Debian 12).
pub const REAL_DKMS: &str = "/usr/sbin/dkms";

/// The kernels that have headers (`/lib/modules/<kver>/build/Makefile`), ordered like `sort -V`.
/// Panics with a hint when there are none: every dkms test needs at least one.
pub fn kernels() -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(rd) = fs::read_dir("/lib/modules") {
        for e in rd.flatten() {
            if e.path().join("build/Makefile").is_file() {
                found.push(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    assert!(
        !found.is_empty(),
        "no kernel headers found (/lib/modules/*/build/Makefile); run scripts/install-deps \
         (linux-headers-amd64, linux-headers-cloud-amd64)"
    );
    sort_v(found)
}

/// Orders version strings with GNU `sort -V` itself, the order dkms uses for kernel lists.
fn sort_v(list: Vec<String>) -> Vec<String> {
    let mut child = Command::new("sort")
        .arg("-V")
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn sort -V");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        for k in &list {
            writeln!(stdin, "{k}").unwrap();
        }
    }
    let out = child.wait_with_output().expect("sort -V");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The two flavours of one kernel version the tests need: (plain, cloud), e.g.
/// `6.1.0-N-amd64` and `6.1.0-N-cloud-amd64`. Panics with a hint when either is missing.
pub fn kernel_pair() -> (String, String) {
    let ks = kernels();
    let cloud = ks.iter().find(|k| k.contains("-cloud-")).cloned().expect(
        "no cloud-flavour kernel headers; install linux-headers-cloud-amd64 (scripts/install-deps)",
    );
    let plain = ks.iter().find(|k| !k.contains("-cloud-")).cloned().expect(
        "no plain-flavour kernel headers; install linux-headers-amd64 (scripts/install-deps)",
    );
    (plain, cloud)
}

/// `uname -m`, the arch dkms defaults to.
pub fn arch() -> String {
    static ARCH: OnceLock<String> = OnceLock::new();
    ARCH.get_or_init(|| {
        let out = Command::new("uname").arg("-m").output().expect("uname -m");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    })
    .clone()
}

/// `nproc`, which dkms passes as `make -jN`.
pub fn nproc() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A MOK signing key and DER certificate.
#[derive(Debug, Clone)]
pub struct Mok {
    /// Private key (PEM), for `mok_signing_key`.
    pub key: PathBuf,
    /// Certificate (DER), for `mok_certificate`.
    pub cert: PathBuf,
}

/// Generates a key pair exactly as dkms 3.0.10 does when none exists (RSA-2048, 100 years,
/// CN "DKMS module signing key", DER certificate).
pub fn generate_mok(key: &Path, cert: &Path) {
    let st = Command::new("openssl")
        .args(["req", "-new", "-x509", "-nodes", "-days", "36500"])
        .args([
            "-subj",
            "/CN=DKMS module signing key",
            "-newkey",
            "rsa:2048",
        ])
        .arg("-keyout")
        .arg(key)
        .args(["-outform", "DER", "-out"])
        .arg(cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run openssl (install it: scripts/install-deps)");
    assert!(st.success(), "openssl req failed");
}

/// The key pair shared by every root of this test run, generated on first use in a directory
/// named after this process (directories left by dead test processes are removed then).
pub fn mok() -> &'static Mok {
    static MOK: OnceLock<Mok> = OnceLock::new();
    MOK.get_or_init(|| {
        let tmp = std::env::temp_dir();
        if let Ok(rd) = fs::read_dir(&tmp) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(pid) = name.strip_prefix("hostkit-dkms-mok.")
                    && !Path::new("/proc").join(pid).exists()
                {
                    let _ = fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = tmp.join(format!("hostkit-dkms-mok.{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        let mok = Mok {
            key: dir.join("mok.key"),
            cert: dir.join("mok.pub"),
        };
        generate_mok(&mok.key, &mok.cert);
        mok
    })
}

/// The certificate's serial in modinfo's `sig_key` form without colons, upper case
/// (what dell/dkms run_test.sh compares).
pub fn cert_serial(cert: &Path) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-serial", "-inform", "DER", "-noout", "-in"])
        .arg(cert)
        .output()
        .expect("openssl x509");
    let s = String::from_utf8(out.stdout).unwrap();
    s.trim()
        .trim_start_matches("serial=")
        .trim_start_matches("SERIAL=")
        .to_uppercase()
}

/// The certificate's subject CN.
pub fn cert_cn(cert: &Path) -> String {
    let out = Command::new("openssl")
        .args([
            "x509",
            "-subject",
            "-inform",
            "DER",
            "-noout",
            "-nameopt",
            "multiline",
            "-in",
        ])
        .arg(cert)
        .output()
        .expect("openssl x509");
    let s = String::from_utf8(out.stdout).unwrap();
    s.lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("commonName")
                .map(|v| v.trim().trim_start_matches('=').trim().to_owned())
        })
        .unwrap_or_default()
}

/// One `modinfo -F FIELD FILE` value (multi-line values joined by '\n'); empty when absent.
pub fn modinfo(file: &Path, field: &str) -> String {
    let out = Command::new("modinfo")
        .args(["-F", field])
        .arg(file)
        .output()
        .expect("modinfo (install kmod: scripts/install-deps)");
    assert!(
        out.status.success(),
        "modinfo -F {field} {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim_end().to_owned()
}

/// The first word of `vermagic` (the kernel release the module was built for).
pub fn vermagic_release(file: &Path) -> String {
    modinfo(file, "vermagic")
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// modinfo's `description`.
pub fn description(file: &Path) -> String {
    modinfo(file, "description")
}

/// modinfo's `signer` (empty for an unsigned module).
pub fn signer(file: &Path) -> String {
    modinfo(file, "signer")
}

/// modinfo's `sig_key`, colons removed, upper case (comparable with [`cert_serial`]).
pub fn sig_key(file: &Path) -> String {
    modinfo(file, "sig_key").replace(':', "").to_uppercase()
}

/// A fixture module: a source directory written by the project.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// PACKAGE_NAME.
    pub name: String,
    /// PACKAGE_VERSION.
    pub version: String,
    /// Relative path -> contents.
    pub files: BTreeMap<String, String>,
}

/// The C source of one trivial module whose description is `<module>: unpatched`.
fn module_c(module: &str, version: &str) -> String {
    format!(
        "// SPDX-License-Identifier: GPL-2.0\n\
         // hostkit test fixture: a module that does nothing.\n\
         #include <linux/init.h>\n\
         #include <linux/module.h>\n\
         \n\
         static int __init {module}_init(void) {{ return 0; }}\n\
         static void __exit {module}_exit(void) {{ }}\n\
         module_init({module}_init);\n\
         module_exit({module}_exit);\n\
         \n\
         MODULE_LICENSE(\"GPL\");\n\
         MODULE_VERSION(\"{version}\");\n\
         MODULE_DESCRIPTION(\"{module}: unpatched\");\n\
         MODULE_AUTHOR(\"hostkit tests\");\n"
    )
}

impl Fixture {
    fn base(name: &str, version: &str) -> Fixture {
        Fixture {
            name: name.into(),
            version: version.into(),
            files: BTreeMap::new(),
        }
    }

    fn conf_head(&self) -> String {
        format!(
            "PACKAGE_NAME=\"{}\"\nPACKAGE_VERSION=\"{}\"\n",
            self.name, self.version
        )
    }

    /// `hello`: one module `<name>.ko`, description `<name>: unpatched`, AUTOINSTALL.
    pub fn hello(name: &str, version: &str) -> Fixture {
        let mut f = Fixture::base(name, version);
        f.files.insert(format!("{name}.c"), module_c(name, version));
        f.files
            .insert("Makefile".into(), format!("obj-m := {name}.o\n"));
        let conf = format!(
            "{}BUILT_MODULE_NAME[0]=\"{name}\"\nDEST_MODULE_LOCATION[0]=\"/updates/dkms\"\nAUTOINSTALL=\"yes\"\n",
            f.conf_head()
        );
        f.files.insert("dkms.conf".into(), conf);
        f
    }

    /// Two `.ko` from one package: `<name>_a.ko` and `<name>_b.ko`.
    pub fn multi(name: &str, version: &str) -> Fixture {
        let mut f = Fixture::base(name, version);
        let (a, b) = (format!("{name}_a"), format!("{name}_b"));
        f.files.insert(format!("{a}.c"), module_c(&a, version));
        f.files.insert(format!("{b}.c"), module_c(&b, version));
        f.files
            .insert("Makefile".into(), format!("obj-m := {a}.o {b}.o\n"));
        let conf = format!(
            "{}BUILT_MODULE_NAME[0]=\"{a}\"\nDEST_MODULE_LOCATION[0]=\"/updates/dkms\"\n\
             BUILT_MODULE_NAME[1]=\"{b}\"\nDEST_MODULE_LOCATION[1]=\"/updates/dkms\"\nAUTOINSTALL=\"yes\"\n",
            f.conf_head()
        );
        f.files.insert("dkms.conf".into(), conf);
        f
    }

    /// A module whose C source does not compile (kbuild fails: dkms exit 10).
    pub fn failing(name: &str, version: &str) -> Fixture {
        let mut f = Fixture::hello(name, version);
        let c = module_c(name, version).replace(
            "static int __init",
            "#error \"hostkit fixture: this module fails to build\"\nstatic int __init",
        );
        f.files.insert(format!("{name}.c"), c);
        f
    }

    /// A module that may only be built for kernels matching an ERE no kernel matches (exit 77).
    pub fn build_exclusive(name: &str, version: &str) -> Fixture {
        Fixture::hello(name, version)
            .with_conf_line("BUILD_EXCLUSIVE_KERNEL=\"^0[.]0[.]0-hostkit-never$\"")
    }

    /// `hello` whose MAKE names the shared build dir explicitly, as many packages do.
    pub fn shared_build_make(name: &str, version: &str) -> Fixture {
        Fixture::hello(name, version).with_conf_line(
            "MAKE[0]=\"make -C ${kernel_source_dir} M=${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build modules\"",
        )
    }

    /// `hello` that must be built after `dep` (BUILD_DEPENDS).
    pub fn build_depends(name: &str, version: &str, dep: &str) -> Fixture {
        Fixture::hello(name, version).with_conf_line(&format!("BUILD_DEPENDS[0]=\"{dep}\""))
    }

    /// `hello` carrying `patches/describe.patch` (see [`Fixture::description_patch`]) with
    /// `PATCH[0]`/`PATCH_MATCH[0]` in dkms.conf: kernels matching `patch_match` get the
    /// description `<name>: patched`.
    pub fn patched(name: &str, version: &str, patch_match: &str) -> Fixture {
        let mut f = Fixture::hello(name, version)
            .with_conf_line("PATCH[0]=\"describe.patch\"")
            .with_conf_line(&format!("PATCH_MATCH[0]=\"{patch_match}\""));
        f.files
            .insert("patches/describe.patch".into(), f.description_patch(1));
        f
    }

    /// A unified diff (for `patch -pN`) changing the description of `<name>.c` from
    /// `<name>: unpatched` to `<name>: patched`, with three lines of context.
    pub fn description_patch(&self, strip: usize) -> String {
        let file = format!("{}.c", self.name);
        let text = module_c(&self.name, &self.version);
        let lines: Vec<&str> = text.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.starts_with("MODULE_DESCRIPTION"))
            .unwrap();
        let (from, to) = (at.saturating_sub(3), (at + 4).min(lines.len()));
        let prefix = |side: &str| {
            let mut p = String::new();
            for i in 0..strip {
                p.push_str(if i == 0 { side } else { "x" });
                p.push('/');
            }
            p
        };
        let mut out = format!(
            "--- {}{file}\n+++ {}{file}\n@@ -{},{} +{},{} @@\n",
            prefix("a"),
            prefix("b"),
            from + 1,
            to - from,
            from + 1,
            to - from
        );
        for (i, l) in lines[from..to].iter().enumerate() {
            if from + i == at {
                out.push_str(&format!("-{l}\n"));
                out.push_str(&format!("+{}\n", l.replace(": unpatched", ": patched")));
            } else {
                out.push_str(&format!(" {l}\n"));
            }
        }
        out
    }

    /// Appends one line to dkms.conf.
    pub fn with_conf_line(mut self, line: &str) -> Fixture {
        let conf = self.files.get_mut("dkms.conf").unwrap();
        conf.push_str(line);
        conf.push('\n');
        self
    }

    /// Replaces dkms.conf outright.
    pub fn with_conf(mut self, conf: &str) -> Fixture {
        self.files.insert("dkms.conf".into(), conf.into());
        self
    }

    /// The `.ko` names dkms installs for this fixture (from BUILT_MODULE_NAME lines).
    pub fn modules(&self) -> Vec<String> {
        let conf = &self.files["dkms.conf"];
        let mods: Vec<String> = conf
            .lines()
            .filter_map(|l| l.strip_prefix("BUILT_MODULE_NAME["))
            .filter_map(|l| l.split_once("]=\""))
            .map(|(_, v)| v.trim_end_matches('"').to_owned())
            .collect();
        if mods.is_empty() {
            vec![self.name.clone()]
        } else {
            mods
        }
    }
}

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

/// Calls `f` for every path under `base` (not following symlinks); missing `base` = nothing.
fn walk(base: &Path, f: &mut dyn FnMut(&Path, &fs::Metadata)) {
    let Ok(rd) = fs::read_dir(base) else { return };
    for e in rd.flatten() {
        let p = e.path();
        let Ok(md) = fs::symlink_metadata(&p) else {
            continue;
        };
        f(&p, &md);
        if md.is_dir() {
            walk(&p, f);
        }
    }
}

/// A picture of the system places dkms must never touch from a temp root: /var/lib/dkms,
/// /lib/modules (whole, not following the `build` links), /etc/dkms and the top of /usr/src.
/// Every entry is recorded with its type, size, mode and mtime.
#[derive(Debug, PartialEq, Eq)]
pub struct SystemGuard {
    entries: BTreeMap<String, (u32, u64, i64, i64)>,
}

impl Default for SystemGuard {
    fn default() -> Self {
        Self::take()
    }
}

impl SystemGuard {
    /// Takes the picture now.
    pub fn take() -> SystemGuard {
        let mut entries = BTreeMap::new();
        let mut record = |p: &Path, md: &fs::Metadata| {
            entries.insert(
                p.display().to_string(),
                (md.mode(), md.size(), md.mtime(), md.mtime_nsec()),
            );
        };
        for base in ["/var/lib/dkms", "/lib/modules", "/etc/dkms"] {
            if let Ok(md) = fs::symlink_metadata(base) {
                record(Path::new(base), &md);
            }
            walk(Path::new(base), &mut record);
        }
        if let Ok(rd) = fs::read_dir("/usr/src") {
            for e in rd.flatten() {
                if let Ok(md) = fs::symlink_metadata(e.path()) {
                    record(&e.path(), &md);
                }
            }
        }
        SystemGuard { entries }
    }

    /// Panics listing what changed since [`SystemGuard::take`].
    pub fn assert_unchanged(&self) {
        let now = SystemGuard::take();
        let mut diffs = Vec::new();
        for (p, v) in &self.entries {
            match now.entries.get(p) {
                None => diffs.push(format!("removed {p}")),
                Some(w) if w != v => diffs.push(format!("changed {p}")),
                _ => {}
            }
        }
        for p in now.entries.keys() {
            if !self.entries.contains_key(p) {
                diffs.push(format!("created {p}"));
            }
        }
        assert!(
            diffs.is_empty(),
            "writes outside the temp roots:\n{}",
            diffs.join("\n")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn description_patch_applies_with_patch_p1_and_changes_only_the_description() {
        let f = Fixture::hello("hello", "0.1");
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("hello.c"), &f.files["hello.c"]).unwrap();
        fs::write(dir.path().join("p"), f.description_patch(1)).unwrap();
        let st = Command::new("sh")
            .arg("-c")
            .arg("patch -p1 < p")
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success());
        let after = fs::read_to_string(dir.path().join("hello.c")).unwrap();
        assert_eq!(
            after,
            f.files["hello.c"].replace("hello: unpatched", "hello: patched")
        );
    }

    #[test]
    fn fixture_modules_read_built_module_names() {
        assert_eq!(Fixture::hello("h", "1").modules(), ["h"]);
        assert_eq!(Fixture::multi("m", "1").modules(), ["m_a", "m_b"]);
    }

    #[test]
    fn sort_v_orders_abi_numbers_numerically() {
        let v = sort_v(vec!["6.1.0-10-amd64".into(), "6.1.0-9-amd64".into()]);
        assert_eq!(v, ["6.1.0-9-amd64", "6.1.0-10-amd64"]);
    }
}
