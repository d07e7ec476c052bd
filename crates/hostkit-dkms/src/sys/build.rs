//! One build of a module for a kernel, as dkms 3.0.10 does it but in a private directory:
//! signing settings (MOK key and certificate, sign-file), copy, patches, MAKE/CLEAN with the
//! shared `<m>/<v>/build` pointed at the private dir, strip, sign, stage and rename into
//! `<m>/<v>/<k>/<a>`; and `execute`, which runs many builds at once under one job budget.

use std::path::{Path, PathBuf};

use crate::conf::Conf;
use crate::sys::Roots;
use crate::sys::outcome::{Died, died};
use crate::sys::runner::{Buffered, Say, bash, bash_output, run, tail};

/// Signing settings (dkms's prepare_signing), resolved once per command.
#[derive(Debug, Clone, Default)]
pub struct Signing {
    pub key: String,
    pub cert: String,
}

/// dkms's MOK key/cert: env `mok_signing_key`/`mok_certificate`, else `<dkms_tree>/mok.key`
/// and `mok.pub` (dkms always uses /var/lib/dkms; hostkit stays inside the given tree).
pub fn signing_paths(roots: &Roots, k: &str) -> Signing {
    let [_, fkey, fcert] = roots.framework_signing(k);
    let env = |n: &str| std::env::var(n).ok().filter(|s| !s.is_empty());
    let key = fkey.or_else(|| env("mok_signing_key"));
    let cert = fcert.or_else(|| env("mok_certificate"));
    Signing {
        key: key.unwrap_or_else(|| format!("{}/mok.key", roots.dkms_tree)),
        cert: cert.unwrap_or_else(|| format!("{}/mok.pub", roots.dkms_tree)),
    }
}

/// dkms's sign-file lookup for a kernel.
pub fn sign_file_for(roots: &Roots, k: &str) -> String {
    let [fsign, _, _] = roots.framework_signing(k);
    if let Some(s) = fsign
        .or_else(|| std::env::var("sign_file").ok())
        .filter(|s| !s.is_empty())
    {
        return s;
    }
    let majmin = k.rsplit_once('.').map_or(k, |(h, _)| h);
    let deb = format!("/usr/lib/linux-kbuild-{majmin}/scripts/sign-file");
    if Path::new(&deb).is_file() {
        deb
    } else {
        format!("/lib/modules/{k}/build/scripts/sign-file")
    }
}

/// Prints dkms's signing lines and generates the MOK pair when missing. Returns whether
/// modules will be signed with `sign_file`.
pub fn prepare_signing(sign_file: &str, s: &Signing, say: &mut dyn Say) -> bool {
    say.out(&format!("Sign command: {sign_file}\n"));
    let exe = std::fs::metadata(sign_file).is_ok_and(|m| {
        m.is_file() && std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0
    });
    if !exe {
        say.out(&format!(
            "Binary {sign_file} not found, modules won't be signed\n"
        ));
        return false;
    }
    say.out(&format!("Signing key: {}\n", s.key));
    say.out(&format!("Public certificate (MOK): {}\n", s.cert));
    let have_pair = Path::new(&s.key).is_file() && Path::new(&s.cert).is_file();
    if !(s.key.starts_with("pkcs11:") || have_pair) {
        say.out("Certificate or key are missing, generating self signed certificate for MOK...\n");
        let _ = run(
            "openssl",
            &[
                "req",
                "-new",
                "-x509",
                "-nodes",
                "-days",
                "36500",
                "-subj",
                "/CN=DKMS module signing key",
                "-newkey",
                "rsa:2048",
                "-keyout",
                &s.key,
                "-outform",
                "DER",
                "-out",
                &s.cert,
            ],
            None,
        );
        if !Path::new(&s.key).is_file() {
            say.out(&format!(
                "Key file {} not found and can't be generated, modules won't be signed\n",
                s.key
            ));
            return false;
        }
    }
    if !Path::new(&s.cert).is_file() {
        say.out(&format!(
            "Certificate file {} not found and can't be generated, modules won't be signed\n",
            s.cert
        ));
        return false;
    }
    true
}

/// One prepared build, runnable on its own thread.
#[derive(Debug, Clone)]
pub struct BuildJob {
    pub m: String,
    pub v: String,
    pub k: String,
    pub a: String,
    pub conf: Conf,
    pub jobs: usize,
    pub roots: Roots,
    pub sign: Option<(String, Signing)>,
}

fn copy_tree(from: &str, to: &str) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{to}: {e}"))?;
    run("cp", &["-a", &format!("{from}/."), to], None)
}

impl BuildJob {
    fn private(&self) -> String {
        format!(
            "{}/.hostkit-build-{}-{}",
            self.roots.mv_dir(&self.m, &self.v),
            self.k,
            self.a
        )
    }

    /// MAKE/CLEAN with the shared `<m>/<v>/build` replaced by the private dir.
    fn privatise(&self, cmd: &str) -> String {
        let shared = format!("{}/build", self.roots.mv_dir(&self.m, &self.v));
        cmd.replace(&shared, &self.private())
    }

    /// Runs the build; on success the result is in `<m>/<v>/<k>/<a>` (renamed into place).
    pub fn run(&self, say: &mut dyn Say) -> Result<(), Died> {
        let (m, v, k, a) = (&self.m, &self.v, &self.k, &self.a);
        let build = self.private();
        let src = format!("{}/source", self.roots.mv_dir(m, v));
        let _ = std::fs::remove_dir_all(&build);
        copy_tree(&src, &build).map_err(|e| died(1, &[e]))?;
        let bdir = PathBuf::from(&build);
        let mut env: Vec<(String, String)> = Vec::new();
        let cfg_text = std::fs::read_to_string(self.roots.kernel_config(k)).unwrap_or_default();
        if let Some(cc) = cfg_text.lines().find_map(|l| {
            l.strip_prefix("CONFIG_CC_VERSION_TEXT=\"")
                .and_then(|r| r.split(' ').next())
        }) && which(cc)
        {
            env.push(("CC".into(), cc.into()));
        }
        for p in &self.conf.patches {
            if !bdir.join("patches").join(p).exists() {
                return Err(died(
                    5,
                    &[
                        format!(" Patch {p} as specified in dkms.conf cannot be"),
                        format!("found in {build}/patches/."),
                    ],
                ));
            }
            say.out(&format!("applying patch {p}..."));
            let (rc, printed) = bash_output(&format!("patch -p1 < ./patches/{p}"), &bdir, &env);
            say.out(&printed);
            if rc != 0 {
                say.out(&format!("(bad exit status: {rc})\n"));
                return Err(died(
                    6,
                    &[
                        format!("Application of patch {p} failed."),
                        format!("Check {build} for more information."),
                    ],
                ));
            }
            say.out("\n");
        }
        if !self.conf.pre_build.is_empty() {
            self.script("pre_build", &self.conf.pre_build, &bdir, say);
        }
        say.out("\nBuilding module:\n");
        let clean = self.privatise(&self.conf.clean);
        say.out("Cleaning build area...");
        // The private dir is a fresh copy of the source: kbuild's clean only matters when the
        // source ships build products, or when CLEAN is the package's own command.
        let rc = if self.conf.clean_is_default && !has_build_products(&bdir) {
            0
        } else {
            bash(&clean, &bdir, &env)
        };
        say.out(&if rc != 0 {
            format!("(bad exit status: {rc})\n")
        } else {
            "\n".into()
        });
        let log = format!("{build}/make.log");
        let date = std::process::Command::new("date")
            .output()
            .map(|o| o.stdout)
            .unwrap_or_default();
        let mut header = format!("DKMS make.log for {m}-{v} for kernel {k} ({a})\n").into_bytes();
        header.extend(date);
        let _ = std::fs::write(&log, header);
        let make = self.privatise(&self.conf.make_command);
        let make = match make.strip_prefix("make") {
            Some(rest) => format!("make -j{} KERNELRELEASE={k}{rest}", self.jobs),
            None => make,
        };
        say.out(&format!("{make}..."));
        let rc = bash(&format!("{{ {make}; }} >> {log} 2>&1"), &bdir, &env);
        if rc != 0 {
            say.out(&format!("(bad exit status: {rc})\n"));
            let mut d = died(
                10,
                &[
                    format!("Bad return status for module build on kernel: {k} ({a})"),
                    format!("Consult {log} for more information."),
                ],
            );
            let t = tail(Path::new(&log), 12);
            let mut hint = format!(
                "`{make}` exited {rc} in {build}; the last lines of {log}:\n{}",
                t.lines()
                    .map(|l| format!("  {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            let ksrc = self.roots.kernel_source_dir(k);
            if !Path::new(&format!("{ksrc}/Makefile")).exists()
                || t.contains("No rule to make target 'modules'")
            {
                hint.push_str(&format!(
                    "\nthe kernel build directory {ksrc} looks incomplete: install linux-headers-{k}"
                ));
            }
            d.hint = Some(hint);
            return Err(d);
        }
        say.out("\n");
        for r in &self.conf.modules {
            let ko = format!("{build}/{}{}.ko", r.built_location, r.built_name);
            if !Path::new(&ko).exists() {
                return Err(died(
                    7,
                    &[
                        format!(" Build of {}.ko failed for: {k} ({a})", r.built_name),
                        "Make sure the name of the generated module is correct and at the root of the".into(),
                        "build directory, or consult make.log in the build directory".into(),
                        format!("{build} for more information."),
                    ],
                ));
            }
        }
        // Stage the result next to its final place, then rename it in.
        let stage = format!("{}/.hostkit-stage-{k}-{a}", self.roots.mv_dir(m, v));
        let _ = std::fs::remove_dir_all(&stage);
        let io = |e: std::io::Error| died(1, &[format!("{stage}: {e}")]);
        std::fs::create_dir_all(format!("{stage}/log")).map_err(io)?;
        std::fs::create_dir_all(format!("{stage}/module")).map_err(io)?;
        let kconfig = self.roots.kernel_config(k);
        if Path::new(&kconfig).is_file() {
            let _ = std::fs::copy(&kconfig, format!("{stage}/log/.config"));
        }
        let _ = std::fs::rename(&log, format!("{stage}/log/make.log"));
        let hash = cfg_text
            .lines()
            .find_map(|l| l.strip_prefix("CONFIG_MODULE_SIG_HASH="))
            .map(|h| h.trim_matches('"').to_string())
            .unwrap_or_else(|| "sha512".into());
        for r in &self.conf.modules {
            let ko = format!("{build}/{}{}.ko", r.built_location, r.built_name);
            if r.strip {
                let _ = run("strip", &["-g", &ko], None);
            }
            if let Some((sf, s)) = &self.sign {
                say.out(&format!("Signing module {ko}\n"));
                if let Err(e) = run(sf, &[&hash, &s.key, &s.cert, &ko], None) {
                    say.err(&format!("{e}\n"));
                }
            }
            std::fs::copy(&ko, format!("{stage}/module/{}.ko", r.dest_name)).map_err(io)?;
        }
        std::fs::create_dir_all(format!("{}/{k}", self.roots.mv_dir(m, v))).map_err(io)?;
        std::fs::rename(&stage, self.roots.base_dir(m, v, k, a)).map_err(io)?;
        if !self.conf.post_build.is_empty() {
            self.script("post_build", &self.conf.post_build, &bdir, say);
        }
        say.out("Cleaning build area...");
        // kbuild's clean of a directory deleted right after is skipped; a package's CLEAN runs.
        let rc = if self.conf.clean_is_default {
            0
        } else {
            bash(&clean, &bdir, &env)
        };
        say.out(&if rc != 0 {
            format!("(bad exit status: {rc})\n")
        } else {
            "\n".into()
        });
        let _ = std::fs::remove_dir_all(&build);
        Ok(())
    }

    fn script(&self, kind: &str, script: &str, dir: &Path, say: &mut dyn Say) {
        let first = script.split_whitespace().next().unwrap_or("");
        let path = dir.join(first);
        if is_executable(&path) {
            say.out(&format!("\nRunning the {kind} script:\n"));
            let mut parts = script.split_whitespace();
            let _ = parts.next();
            let args: Vec<&str> = parts.collect();
            let _ = std::process::Command::new(&path)
                .args(&args)
                .current_dir(dir)
                .status();
        } else {
            say.out("\n");
            say.err(&format!("Warning: The {kind} script is not executable.\n"));
        }
    }
}

/// True when a tree holds kbuild output (`*.o`, `*.ko`, `.*.cmd`, `Module.symvers`).
fn has_build_products(dir: &Path) -> bool {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.filter_map(|e| e.ok()) {
            let n = e.file_name().to_string_lossy().into_owned();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(e.path());
            } else if n.ends_with(".o")
                || n.ends_with(".ko")
                || (n.starts_with('.') && n.ends_with(".cmd"))
                || n == "Module.symvers"
            {
                return true;
            }
        }
    }
    false
}

pub(crate) fn is_executable(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| {
        m.is_file() && std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0
    })
}

fn which(cmd: &str) -> bool {
    if cmd.contains('/') {
        return is_executable(Path::new(cmd));
    }
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .any(|d| is_executable(&Path::new(d).join(cmd)))
}

/// One piece of a build command's transcript, in dkms's order: messages printed while
/// preparing, a build to run, or the error that ended the command there.
#[derive(Debug)]
pub enum Piece {
    Said(Buffered),
    Job(Box<BuildJob>),
    Failed(Died),
}

/// A build on its thread, or a piece that needs no thread.
type Running = Result<std::thread::JoinHandle<(Buffered, Result<(), Died>)>, Piece>;

/// Runs every build of every group at once (one thread each; the `jobs` budget split across
/// them), then returns per group its transcript in dkms's order and its first error.
pub fn execute(groups: Vec<Vec<Piece>>, jobs: usize) -> Vec<(Buffered, Result<(), Died>)> {
    let total = groups
        .iter()
        .flatten()
        .filter(|p| matches!(p, Piece::Job(_)))
        .count()
        .max(1);
    let per = (jobs / total).max(1);
    let mut handles: Vec<Vec<Running>> = Vec::new();
    for group in groups {
        let mut hs = Vec::new();
        for piece in group {
            match piece {
                Piece::Job(mut j) => {
                    j.jobs = per;
                    hs.push(Ok(std::thread::spawn(move || {
                        let mut buf = Buffered::default();
                        let r = j.run(&mut buf);
                        (buf, r)
                    })));
                }
                other => hs.push(Err(other)),
            }
        }
        handles.push(hs);
    }
    handles
        .into_iter()
        .map(|hs| {
            let mut out = Buffered::default();
            let mut first: Option<Died> = None;
            for h in hs {
                match h {
                    Ok(h) => {
                        let (buf, r) = h.join().unwrap_or_else(|_| {
                            (
                                Buffered::default(),
                                Err(died(1, &["build thread panicked".into()])),
                            )
                        });
                        out.items.extend(buf.items);
                        if let Err(d) = r {
                            first.get_or_insert(d);
                        }
                    }
                    Err(Piece::Said(b)) => out.items.extend(b.items),
                    Err(Piece::Failed(d)) => {
                        first.get_or_insert(d);
                    }
                    Err(Piece::Job(_)) => {}
                }
            }
            (out, first.map_or(Ok(()), Err))
        })
        .collect()
}
