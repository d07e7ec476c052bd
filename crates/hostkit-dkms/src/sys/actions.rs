//! The dkms actions over a tree: add, build, install, uninstall, unbuild, remove and
//! autoinstall, with dkms 3.0.10's messages and exit codes. Differences by design: builds run
//! in a private dir per (module, version, kernel, arch) (`<m>/<v>/.hostkit-build-<k>-<a>`,
//! invisible to dkms's globs) and several kernels build in parallel under one job budget;
//! results are staged and renamed into place; depmod runs once per kernel per command.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::conf::Conf;
use crate::kernel::{dkms_ver_key, version_cmp};
use crate::sys::build::{
    BuildJob, Piece, execute, is_executable, prepare_signing, sign_file_for, signing_paths,
};
use crate::sys::modinfo::verinfo;
pub use crate::sys::outcome::Died;
use crate::sys::outcome::died;
use crate::sys::runner::{Buffered, Say, run};
use crate::sys::scan::{Scanner, ko_path};
use crate::sys::{ConfError, ConfReader, Roots};

/// Settings of one command.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub force: bool,
    pub force_version_override: bool,
    pub no_depmod: bool,
    /// Total make jobs across parallel builds.
    pub jobs: usize,
}

/// One action run: the roots, the conf reader and the kernels needing depmod at the end.
pub struct Session<'a> {
    pub roots: &'a Roots,
    pub reader: ConfReader,
    pub opts: Options,
    pub depmod_kernels: BTreeSet<String>,
}

fn is_dir(p: &str) -> bool {
    Path::new(p).is_dir()
}

fn say_error(say: &mut dyn Say, lines: &[String]) {
    let mut s = String::from("Error! ");
    for l in lines {
        s.push_str(l);
        s.push('\n');
    }
    say.err(&s);
}

impl<'a> Session<'a> {
    pub fn new(roots: &'a Roots, opts: Options) -> Self {
        Session {
            roots,
            reader: ConfReader::default(),
            opts,
            depmod_kernels: BTreeSet::new(),
        }
    }

    fn scanner(&mut self) -> Scanner<'_> {
        Scanner {
            roots: self.roots,
            reader: &mut self.reader,
        }
    }

    /// dkms's `read_conf_or_die` for a module context.
    pub fn conf(&mut self, m: &str, v: &str, k: &str, a: &str, path: &str) -> Result<Conf, Died> {
        let ctx = self.roots.context(m, v, k, a);
        match self.reader.read(
            path,
            &self.roots.etc_dir,
            &ctx,
            self.roots.location_override.as_deref(),
        ) {
            Ok(c) if c.is_bad() => {
                let mut lines = c.errors.clone();
                lines[0] = lines[0].clone();
                Err(Died {
                    code: 8,
                    lines: vec![
                        "Bad conf file.".into(),
                        format!(
                            "File: {} does not represent a valid dkms.conf file.",
                            self.roots.conf.clone().unwrap_or_default()
                        ),
                    ],
                    hint: Some(c.errors.join("; ")),
                })
            }
            Ok(c) => Ok(c),
            Err(ConfError::Missing { path }) => Err(died(
                4,
                &[
                    "Could not locate dkms.conf file.".into(),
                    format!("File: {path} does not exist."),
                ],
            )),
            Err(e) => Err(died(8, &[e.to_string()])),
        }
    }

    pub fn is_added(&self, m: &str, v: &str) -> bool {
        Scanner {
            roots: self.roots,
            reader: &mut ConfReader::default(),
        }
        .is_added(m, v)
    }

    /// dkms's `is_module_built`.
    pub fn is_built(&mut self, m: &str, v: &str, k: &str, a: &str) -> Result<bool, Died> {
        let mut suffix = None;
        self.scanner()
            .is_built((m, v), (m, v, k, a), &mut suffix)
            .map_err(|lines| {
                let code = if lines.iter().any(|l| l.contains("Could not locate")) {
                    4
                } else {
                    8
                };
                let lines: Vec<String> = lines
                    .into_iter()
                    .filter(|l| !l.starts_with("dkms.conf:"))
                    .map(|l| l.trim_start_matches("Error! ").to_string())
                    .collect();
                died(code, &lines)
            })
    }

    pub fn is_installed(&mut self, m: &str, v: &str, k: &str, a: &str) -> Result<bool, Died> {
        Ok(self.is_built(m, v, k, a)? && self.scanner().is_installed_link(m, v, k, a))
    }

    /// `add`: registers `<source_tree>/<m>-<v>`.
    pub fn add(
        &mut self,
        m: &str,
        v: &str,
        k: &str,
        a: &str,
        say: &mut dyn Say,
    ) -> Result<(), Died> {
        if self.is_added(m, v) {
            return Err(died(
                3,
                &[
                    format!("DKMS tree already contains: {m}-{v}"),
                    "You cannot add the same module/version combo more than once.".into(),
                ],
            ));
        }
        let src = format!("{}/{m}-{v}", self.roots.source_tree);
        let conf = self
            .roots
            .conf
            .clone()
            .unwrap_or_else(|| format!("{src}/dkms.conf"));
        if !is_dir(&src) {
            return Err(died(
                2,
                &[
                    "Could not find module source directory.".into(),
                    format!("Directory: {src} does not exist."),
                ],
            ));
        }
        self.conf(m, v, k, a, &conf)?;
        let mv = self.roots.mv_dir(m, v);
        say.out(&format!("Creating symlink {mv}/source -> {src}\n"));
        let io = |e: std::io::Error| died(1, &[format!("{mv}: {e}")]);
        std::fs::create_dir_all(format!("{mv}/build")).map_err(io)?;
        std::os::unix::fs::symlink(&src, format!("{mv}/source")).map_err(io)?;
        Ok(())
    }

    /// The private build directory of (m, v, k, a).
    pub fn build_dir(&self, m: &str, v: &str, k: &str, a: &str) -> String {
        format!("{}/.hostkit-build-{k}-{a}", self.roots.mv_dir(m, v))
    }

    /// Everything a build needs, checked before anything runs (dkms's prepare_build checks).
    pub fn prepare(
        &mut self,
        m: &str,
        v: &str,
        k: &str,
        a: &str,
        say: &mut dyn Say,
    ) -> Result<Conf, Died> {
        if !self.is_added(m, v) {
            self.add(m, v, k, a, say)?;
        }
        let base = self.roots.base_dir(m, v, k, a);
        if is_dir(&base) {
            return Err(died(
                3,
                &[
                    format!("This module/version has already been built on: {k}"),
                    format!(
                        "Directory {base} already exists. Use the dkms remove function before trying to build again."
                    ),
                ],
            ));
        }
        let conf = self.conf(m, v, k, a, &self.roots.conf_path(m, v))?;
        if conf.build_exclude {
            return Err(died(
                77,
                &[
                    format!(
                        "The {base}/dkms.conf for module {m} includes a BUILD_EXCLUSIVE directive which does not match this kernel/arch/config."
                    ),
                    "This indicates that it should not be built.".into(),
                ],
            ));
        }
        let ksrc = self.roots.kernel_source_dir(k);
        if !Path::new(&format!("{ksrc}/include")).exists() {
            let mut d = died(
                1,
                &[
                    format!(
                        "Your kernel headers for kernel {k} cannot be found at /lib/modules/{k}/build or /lib/modules/{k}/source."
                    ),
                    format!(
                        "Please install the linux-headers-{k} package or use the --kernelsourcedir option to tell DKMS where it's located."
                    ),
                ],
            );
            d.hint = Some(format!("apt-get install linux-headers-{k}"));
            return Err(d);
        }
        Ok(conf)
    }
}

trait DefaultResult {
    fn unwrap_or_default_result(self) -> (Buffered, Result<(), Died>);
}

impl DefaultResult for Option<(Buffered, Result<(), Died>)> {
    fn unwrap_or_default_result(self) -> (Buffered, Result<(), Died>) {
        self.unwrap_or_else(|| (Buffered::default(), Ok(())))
    }
}

impl Session<'_> {
    /// dkms's maybe_build for each kernel, as pieces: skip messages, prepared builds, and the
    /// error that stops the command (later kernels are not prepared, as in dkms).
    pub fn plan_builds(&mut self, m: &str, v: &str, ka: &[(String, String)]) -> Vec<Piece> {
        let mut pieces = Vec::new();
        for (k, a) in ka {
            let mut say = Buffered::default();
            let built = match self.is_built(m, v, k, a) {
                Ok(b) => b,
                Err(d) => {
                    pieces.push(Piece::Failed(d));
                    break;
                }
            };
            if built {
                if self.opts.force {
                    self.unbuild_dirs(m, v, k, a);
                } else {
                    say.out(&format!(
                        "Module {m}/{v} already built for kernel {k} ({a}), skip. You may override by specifying --force.\n"
                    ));
                    pieces.push(Piece::Said(say));
                    continue;
                }
            }
            let sf = sign_file_for(self.roots, k);
            let signing = signing_paths(self.roots, k);
            let sign = prepare_signing(&sf, &signing, &mut say).then(|| (sf, signing.clone()));
            let conf = self.prepare(m, v, k, a, &mut say);
            pieces.push(Piece::Said(say));
            match conf {
                Ok(conf) => pieces.push(Piece::Job(Box::new(BuildJob {
                    m: m.into(),
                    v: v.into(),
                    k: k.clone(),
                    a: a.clone(),
                    conf,
                    jobs: 1,
                    roots: self.roots.clone(),
                    sign,
                }))),
                Err(d) => {
                    pieces.push(Piece::Failed(d));
                    break;
                }
            }
        }
        pieces
    }

    /// Builds (m, v) for several kernels, in parallel, after dkms's per-kernel checks;
    /// prints the transcript in dkms's order and returns the first failure.
    pub fn build_many(
        &mut self,
        m: &str,
        v: &str,
        ka: &[(String, String)],
        say: &mut dyn Say,
    ) -> Result<(), Died> {
        let pieces = self.plan_builds(m, v, ka);
        let (buf, r) = execute(vec![pieces], self.opts.jobs)
            .pop()
            .unwrap_or_default_result();
        buf.replay(say);
        // dkms deletes the shared build dir after a successful build; keep it consistent.
        let _ = std::fs::remove_dir(format!("{}/build", self.roots.mv_dir(m, v)));
        r
    }

    fn unbuild_dirs(&self, m: &str, v: &str, k: &str, a: &str) {
        let mv = self.roots.mv_dir(m, v);
        discard(&format!("{mv}/{k}/{a}"), &mv);
        let kdir = format!("{mv}/{k}");
        let has_sub = std::fs::read_dir(&kdir).is_ok_and(|rd| {
            rd.filter_map(|e| e.ok())
                .any(|e| !e.file_name().to_string_lossy().starts_with('.') && e.path().is_dir())
        });
        if !has_sub {
            let _ = std::fs::remove_dir_all(&kdir);
        }
    }

    /// `install` for one kernel (the module must be built).
    pub fn install_one(
        &mut self,
        m: &str,
        v: &str,
        k: &str,
        a: &str,
        say: &mut dyn Say,
    ) -> Result<(), Died> {
        let base = self.roots.base_dir(m, v, k, a);
        let lib = format!("{}/{k}", self.roots.install_tree);
        if !Path::new(&lib).exists() {
            return Err(died(
                6,
                &[
                    format!("The directory {lib} doesn't exist."),
                    "You cannot install a module onto a non-existant kernel.".into(),
                ],
            ));
        }
        let conf = self.conf(m, v, k, a, &self.roots.conf_path(m, v))?;
        if self.is_installed(m, v, k, a)? {
            return Err(died(
                5,
                &[format!(
                    "This module/version combo is already installed for kernel {k} ({a})."
                )],
            ));
        }
        let suffix = Roots::compressed_suffix(k);
        let sfx = format!(".ko{}", suffix.unwrap_or(""));
        let link = format!("{}/{m}/kernel-{k}-{a}", self.roots.dkms_tree);
        let link_exists = std::fs::symlink_metadata(&link).is_ok();
        let mut any = false;
        for r in &conf.modules {
            let name = &r.dest_name;
            say.out(&format!("\n{name}{sfx}:\n"));
            if !self.version_sane(&lib, &base, name, suffix, say) {
                any = true;
                continue;
            }
            say.out(" - Original module\n");
            if link_exists {
                say.out("   - This kernel never originally had a module by this name\n");
            } else if find_module(Path::new(&lib), name, &sfx).is_empty() {
                say.out("   - No original module exists within this kernel\n");
            }
            let dest = format!("{lib}{}", r.dest_location);
            say.out(" - Installation\n");
            say.out(&format!("   - Installing to {dest}/\n"));
            let Some(from) = ko_path(&format!("{base}/module"), name, suffix) else {
                continue;
            };
            let file = from.rsplit('/').next().unwrap_or_default().to_string();
            std::fs::create_dir_all(&dest).map_err(|e| died(1, &[format!("{dest}: {e}")]))?;
            let tmp = format!("{dest}/.{file}.hostkit-tmp");
            std::fs::copy(&from, &tmp)
                .and_then(|_| std::fs::rename(&tmp, format!("{dest}/{file}")))
                .map_err(|e| died(1, &[format!("{dest}/{file}: {e}")]))?;
            any = true;
        }
        if !any {
            return Err(died(6, &["Installation aborted.".into()]));
        }
        let tmp = format!("{link}.hostkit-tmp");
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(format!("{v}/{k}/{a}"), &tmp)
            .and_then(|_| std::fs::rename(&tmp, &link))
            .map_err(|e| died(1, &[format!("{link}: {e}")]))?;
        if !conf.post_install.is_empty() {
            let src = PathBuf::from(format!("{}/source", self.roots.mv_dir(m, v)));
            let job_script =
                |s: &mut dyn Say| script_in(&conf.post_install, "post_install", &src, s);
            job_script(say);
        }
        say.out("depmod...\n");
        self.depmod_kernels.insert(k.to_string());
        Ok(())
    }

    /// dkms's check_version_sanity (without OBSOLETE_BY): false refuses this module.
    fn version_sane(
        &self,
        lib: &str,
        base: &str,
        name: &str,
        suffix: Option<&str>,
        say: &mut dyn Say,
    ) -> bool {
        say.out("Running module version sanity check.\n");
        let found = find_module(
            Path::new(lib),
            name,
            &format!(".ko{}", suffix.unwrap_or("")),
        );
        if found.is_empty() || self.opts.force_version_override {
            return true;
        }
        if found.len() > 1 {
            say.err(&format!(
                "Warning: Cannot do version sanity checking because multiple {name}.ko{} modules were found in kernel {}.\n",
                suffix.unwrap_or(""),
                lib.rsplit('/').next().unwrap_or("")
            ));
            return true;
        }
        let kernels = found[0].to_string_lossy().into_owned();
        let ours = ko_path(&format!("{base}/module/"), name, suffix).unwrap_or_default();
        let (kv, _) = verinfo(&kernels);
        let (ov, _) = verinfo(&ours);
        let k = lib.rsplit('/').next().unwrap_or("");
        if self.opts.force {
            return true;
        }
        if kv == ov {
            say.err(&format!(
                "Module version {ov} for {name}.ko{}\nexactly matches what is already found in kernel {k}.\nDKMS will not replace this module.\nYou may override by specifying --force.\n",
                suffix.unwrap_or("")
            ));
            return false;
        }
        if !kv.is_empty() && !ov.is_empty() && dkms_ver_key(&kv) > dkms_ver_key(&ov) {
            say_error(
                say,
                &[
                    format!("Module version {ov} for {name}.ko{}", suffix.unwrap_or("")),
                    format!("is not newer than what is already found in kernel {k} ({kv})."),
                    "You may override by specifying --force.".into(),
                ],
            );
            return false;
        }
        true
    }

    /// dkms's do_uninstall for one kernel.
    pub fn uninstall_one(
        &mut self,
        m: &str,
        v: &str,
        k: &str,
        a: &str,
        say: &mut dyn Say,
    ) -> Result<(), Died> {
        say.out(&format!("Module {m}-{v} for kernel {k} ({a}).\n"));
        let suffix = Roots::compressed_suffix(k);
        let sfx = format!(".ko{}", suffix.unwrap_or(""));
        let link = format!("{}/{m}/kernel-{k}-{a}", self.roots.dkms_tree);
        let conf = self.conf(m, v, k, a, &self.roots.conf_path(m, v))?;
        if self.scanner().is_installed_link(m, v, k, a) {
            say.out("Before uninstall, this module version was ACTIVE on this kernel.\n");
            let lib = format!("{}/{k}", self.roots.install_tree);
            for r in &conf.modules {
                let loc = self.scanner().actual_dest_location(m, k, a, r, suffix);
                say.out(&format!("\n{}{sfx}:\n - Uninstallation\n", r.dest_name));
                match loc {
                    Some(l) => {
                        say.out(&format!("   - Deleting from: {lib}{l}/\n"));
                        if let Ok(rd) = std::fs::read_dir(format!("{lib}{l}")) {
                            for e in rd.filter_map(|e| e.ok()) {
                                if e.file_name()
                                    .to_string_lossy()
                                    .starts_with(&format!("{}.ko", r.dest_name))
                                {
                                    let _ = std::fs::remove_file(e.path());
                                }
                            }
                        }
                        // rmdir -p --ignore-fail-on-non-empty, relative to the kernel dir.
                        let mut rel = l.trim_start_matches('/').to_string();
                        while !rel.is_empty() {
                            if std::fs::remove_dir(format!("{lib}/{rel}")).is_err() {
                                break;
                            }
                            rel = rel
                                .rsplit_once('/')
                                .map_or(String::new(), |(h, _)| h.to_string());
                        }
                    }
                    None => say.out(&format!("   - Module was not found within {lib}/\n")),
                }
                say.out(" - Original module\n   - No original module was found for this module on this kernel.\n   - Use the dkms install command to reinstall any previous module version.\n");
            }
            let _ = std::fs::remove_file(&link);
        } else {
            say.out("This module version was INACTIVE for this kernel.\n");
        }
        if !conf.post_remove.is_empty() {
            let src = PathBuf::from(format!("{}/source", self.roots.mv_dir(m, v)));
            script_in(&conf.post_remove, "post_remove", &src, say);
        }
        say.out("depmod...\n");
        self.depmod_kernels.insert(k.to_string());
        let orig = format!("{}/{m}/original_module", self.roots.dkms_tree);
        let has_sub = std::fs::read_dir(&orig)
            .is_ok_and(|rd| rd.filter_map(|e| e.ok()).any(|e| e.path().is_dir()));
        if !has_sub {
            let _ = std::fs::remove_dir_all(&orig);
        }
        Ok(())
    }

    /// maybe_uninstall_module.
    pub fn maybe_uninstall(
        &mut self,
        m: &str,
        v: &str,
        k: &str,
        a: &str,
        say: &mut dyn Say,
    ) -> Result<(), Died> {
        if !self.is_installed(m, v, k, a)? {
            say.out(&format!(
                "Module {m} {v} is not installed for kernel {k} ({a}). Skipping...\n"
            ));
            return Ok(());
        }
        self.uninstall_one(m, v, k, a, say)
    }

    /// maybe_unbuild_module.
    pub fn maybe_unbuild(
        &mut self,
        m: &str,
        v: &str,
        k: &str,
        a: &str,
        say: &mut dyn Say,
    ) -> Result<(), Died> {
        if !self.is_built(m, v, k, a)? {
            say.out(&format!(
                "Module {m} {v} is not built for kernel {k} ({a}). Skipping...\n"
            ));
            return Ok(());
        }
        self.unbuild_dirs(m, v, k, a);
        Ok(())
    }

    /// The tail of remove_module: drop `<m>/<v>` when no kernel dirs remain, `<m>` if empty.
    pub fn remove_version_if_empty(&mut self, m: &str, v: &str, say: &mut dyn Say) {
        let mv = self.roots.mv_dir(m, v);
        let keep = ["build", "tarball", "driver_disk", "rpm", "deb", "source"];
        let other = std::fs::read_dir(&mv).is_ok_and(|rd| {
            rd.filter_map(|e| e.ok()).any(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                !n.starts_with('.') && e.path().is_dir() && !keep.iter().any(|k| n.ends_with(k))
            })
        });
        if !other {
            say.out(&format!(
                "Deleting module {m}-{v} completely from the DKMS tree.\n"
            ));
            let _ = std::fs::remove_dir_all(&mv);
        }
        let mdir = format!("{}/{m}", self.roots.dkms_tree);
        let empty = std::fs::read_dir(&mdir).is_ok_and(|rd| {
            rd.filter_map(|e| e.ok())
                .all(|e| e.file_name().to_string_lossy().starts_with('.'))
        });
        if empty {
            let _ = std::fs::remove_dir_all(&mdir);
        }
    }

    /// `--all`: every kernel/arch the module version is built for, in dkms's `sort -V` order
    /// of its status lines.
    pub fn all_kernels(&mut self, m: &str, v: &str) -> Vec<(String, String)> {
        let mut lines: Vec<(String, String, String)> = Vec::new();
        let mv = self.roots.mv_dir(m, v);
        let Ok(rd) = std::fs::read_dir(&mv) else {
            return Vec::new();
        };
        let mut ks: Vec<String> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| crate::glob::is_kernel_dir_name(n))
            .collect();
        ks.sort();
        for k in ks {
            let Ok(rd) = std::fs::read_dir(format!("{mv}/{k}")) else {
                continue;
            };
            let mut arches: Vec<String> = rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect();
            arches.sort();
            for a in arches {
                if self.is_built(m, v, &k, &a).unwrap_or(false) {
                    let st = if self.scanner().is_installed_link(m, v, &k, &a) {
                        "installed"
                    } else {
                        "built"
                    };
                    lines.push((format!("{st} {m}/{v}/{k}/{a}"), k.clone(), a));
                }
            }
        }
        lines.sort_by(|x, y| version_cmp(&x.0, &y.0));
        lines.into_iter().map(|(_, k, a)| (k, a)).collect()
    }

    /// One depmod per kernel touched by this command (`depmod -b` for a non-default tree).
    pub fn run_depmods(&mut self, say: &mut dyn Say) -> Result<(), Died> {
        let kernels = std::mem::take(&mut self.depmod_kernels);
        if self.opts.no_depmod {
            return Ok(());
        }
        for k in kernels {
            let res = if self.roots.install_tree == "/lib/modules" {
                let map = format!("/boot/System.map-{k}");
                if Path::new(&map).is_file() {
                    run("depmod", &["-a", &k, "-F", &map], None)
                } else {
                    run("depmod", &["-a", &k], None)
                }
            } else {
                depmod_in_root(&self.roots.install_tree, &k)
            };
            if let Err(e) = res {
                say.err(&format!("{e}\n"));
                return Err(died(
                    6,
                    &[
                        "Problems with depmod detected. Automatically uninstalling this module."
                            .into(),
                        "Install Failed (depmod problems). Module rolled back to built state."
                            .into(),
                    ],
                ));
            }
        }
        Ok(())
    }
}

/// Deletes `dir` so that a kill at any moment leaves either the whole entry or nothing: it is
/// first renamed to a dot-name in `parent` (invisible to dkms's globs), then removed.
fn discard(dir: &str, parent: &str) {
    let trash = format!("{parent}/.hostkit-trash-{}", std::process::id());
    let _ = std::fs::remove_dir_all(&trash);
    match std::fs::rename(dir, &trash) {
        Ok(()) => {
            let _ = std::fs::remove_dir_all(&trash);
        }
        Err(_) => {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn script_in(script: &str, kind: &str, dir: &Path, say: &mut dyn Say) {
    let first = script.split_whitespace().next().unwrap_or("");
    let path = dir.join(first);
    if is_executable(&path) {
        say.out(&format!("\nRunning the {kind} script:\n"));
        let args: Vec<&str> = script.split_whitespace().skip(1).collect();
        let _ = std::process::Command::new(&path)
            .args(&args)
            .current_dir(dir)
            .status();
    } else {
        say.out("\n");
        say.err(&format!("Warning: The {kind} script is not executable.\n"));
    }
}

/// `depmod -b` needs `<base>/lib/modules/<k>`: a private base whose `lib/modules` points at
/// the install tree keeps depmod's writes inside it.
fn depmod_in_root(install_tree: &str, k: &str) -> Result<(), String> {
    let base = format!("{install_tree}/.hostkit-depmod-{k}");
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(format!("{base}/lib")).map_err(|e| e.to_string())?;
    let abs = std::fs::canonicalize(install_tree).map_err(|e| e.to_string())?;
    std::os::unix::fs::symlink(&abs, format!("{base}/lib/modules")).map_err(|e| e.to_string())?;
    let r = run("depmod", &["-b", &base, "-a", k], None);
    let _ = std::fs::remove_dir_all(&base);
    r
}

/// dkms's find_module: every `<name><sfx>` (or `.ko`) file under `dir`.
fn find_module(dir: &Path, name: &str, sfx: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    let (a, b) = (format!("{name}.ko"), format!("{name}{sfx}"));
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.filter_map(|e| e.ok()) {
            let Ok(ft) = e.file_type() else { continue };
            let n = e.file_name();
            if ft.is_dir() {
                if !n.to_string_lossy().starts_with(".hostkit") {
                    stack.push(e.path());
                }
            } else if n.to_string_lossy() == a || (ft.is_file() && n.to_string_lossy() == b) {
                out.push(e.path());
            }
        }
    }
    out
}
