//! `hostkit dkms patch add|list|remove`: a patch stored (as -p1) in the source's `patches/`
//! and selected per kernel by `PATCH[n]`/`PATCH_MATCH[n]` in `<etc-dir>/<m>-<v>.conf`, which
//! the real dkms reads too; `--rebuild` rebuilds (and reinstalls) only the matching kernels.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use hostkit_dkms::conf::Vars;
use hostkit_dkms::glob::{exact_ere, glob_to_ere, is_kernel_dir_name};
use hostkit_dkms::kernel::{KernelRange, range_to_ere, sort_versions};
use hostkit_dkms::patchset::{PatchEntry, entries, normalise_to_p1, render};
use hostkit_dkms::sys::actions::{Options, Session};
use hostkit_dkms::sys::lock::lock_module;
use hostkit_dkms::sys::runner::StdSay;
use hostkit_dkms::sys::{ConfReader, Roots};

use crate::cli::dkms::{PatchAddArgs, PatchCommand, PatchRoots};
use crate::exit::Outcome;

/// Runs a patch subcommand.
pub fn run(cmd: PatchCommand) -> anyhow::Result<Outcome> {
    match cmd {
        PatchCommand::Add(a) => add(&a),
        PatchCommand::List(t) => list(&t.module, &t.roots),
        PatchCommand::Remove(r) => remove(&r.module, &r.name, &r.roots),
    }
}

fn split_mv(mv: &str) -> anyhow::Result<(String, String)> {
    match mv.split_once('/') {
        Some((m, v)) if !m.is_empty() && !v.is_empty() => Ok((m.into(), v.into())),
        _ => bail!("`{mv}` is not MODULE/VERSION (e.g. `hello/0.1`)"),
    }
}

fn roots(r: &PatchRoots) -> Roots {
    Roots {
        dkms_tree: r.dkmstree.clone(),
        source_tree: r.sourcetree.clone(),
        install_tree: r.installtree.clone(),
        etc_dir: r.etc_dir.clone(),
        ..Roots::default()
    }
}

/// The module's source dir (through the tree's `source` link, else `<sourcetree>/<m>-<v>`).
fn source_dir(roots: &Roots, m: &str, v: &str) -> PathBuf {
    let link = PathBuf::from(format!("{}/source", roots.mv_dir(m, v)));
    std::fs::canonicalize(&link)
        .unwrap_or_else(|_| PathBuf::from(format!("{}/{m}-{v}", roots.source_tree)))
}

/// PATCH entries of the module's own dkms.conf (the override's indices follow them).
fn own_patch_count(roots: &Roots, m: &str, v: &str, src: &Path) -> usize {
    let ctx = roots.context(m, v, "", "");
    let mut reader = ConfReader::default();
    let conf = src.join("dkms.conf");
    reader
        .vars(
            &conf.to_string_lossy(),
            Path::new("/nonexistent-hostkit-etc"),
            &ctx,
        )
        .map(|(vars, _): (Vars, _)| {
            vars.map
                .get("PATCH")
                .and_then(|a| a.keys().max().map(|k| k + 1))
                .unwrap_or(0)
        })
        .unwrap_or(0)
}

fn override_path(roots: &Roots, m: &str, v: &str) -> PathBuf {
    roots.etc_dir.join(format!("{m}-{v}.conf"))
}

fn write_atomic(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating `{}`", dir.display()))?;
    }
    let tmp = path.with_extension("conf.hostkit-tmp");
    std::fs::write(&tmp, text).with_context(|| format!("writing `{}`", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming to `{}`", path.display()))?;
    Ok(())
}

/// Kernels known for a module: its built kernel dirs, the install tree and /lib/modules.
fn known_kernels(roots: &Roots, m: &str, v: &str) -> Vec<String> {
    let mut ks = Vec::new();
    for dir in [
        roots.mv_dir(m, v),
        roots.install_tree.clone(),
        "/lib/modules".into(),
    ] {
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for e in rd.filter_map(|e| e.ok()) {
                let n = e.file_name().to_string_lossy().into_owned();
                if is_kernel_dir_name(&n) && !ks.contains(&n) {
                    ks.push(n);
                }
            }
        }
    }
    sort_versions(&mut ks);
    ks
}

fn add(a: &PatchAddArgs) -> anyhow::Result<Outcome> {
    let (m, v) = split_mv(&a.module)?;
    let roots = roots(&a.roots);
    let src = source_dir(&roots, &m, &v);
    if !src.join("dkms.conf").is_file() {
        bail!(
            "no dkms.conf in `{}`: add the module first (`hostkit dkms add {m}/{v}`)",
            src.display()
        );
    }
    let ere = if !a.kernels.is_empty() {
        exact_ere(&a.kernels)
    } else if let Some(g) = &a.kernel_glob {
        glob_to_ere(g)
    } else if let Some(r) = &a.kernel_range
        && let Some(ere) = range_to_ere(&KernelRange::parse(r)?)
    {
        // The range itself as an ERE: future kernels in the range get the patch too.
        ere
    } else if let Some(r) = &a.kernel_range {
        let range = KernelRange::parse(r)?;
        let ks: Vec<String> = known_kernels(&roots, &m, &v)
            .into_iter()
            .filter(|k| range.matches(k))
            .collect();
        if ks.is_empty() {
            bail!(
                "no known kernel matches `{r}` (looked in the tree, the install tree and /lib/modules)"
            );
        }
        exact_ere(&ks)
    } else {
        bail!("say which kernels get the patch: -k KVER, --kernel-range R or --kernel-glob G");
    };
    let diff = std::fs::read_to_string(&a.file)
        .with_context(|| format!("reading patch `{}`", a.file.display()))?;
    let p1 = normalise_to_p1(&diff, a.strip)
        .map_err(|e| anyhow::anyhow!("{}: {e}", a.file.display()))?;
    let name = a
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .context("the patch path has no file name")?;
    if name.contains(['"', '$', '`', '\\', ' ']) {
        bail!("patch name `{name}` has characters dkms would re-interpret; rename the file");
    }
    // Check it applies to a clean copy of the source before recording anything.
    let check = tempdir_in(&roots)?;
    let copy_ok = std::process::Command::new("cp")
        .args([
            "-a",
            &format!("{}/.", src.display()),
            &check.to_string_lossy(),
        ])
        .status()
        .is_ok_and(|s| s.success());
    let tmp = check.with_extension("patch");
    std::fs::write(&tmp, &p1)?;
    let applies = copy_ok
        && std::process::Command::new("patch")
            .args(["-p1", "--dry-run", "-s", "-d"])
            .arg(&check)
            .arg("-i")
            .arg(&tmp)
            .stdout(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    let _ = std::fs::remove_file(&tmp);
    let _ = std::fs::remove_dir_all(&check);
    if !applies {
        bail!(
            "`{}` does not apply to `{}` with -p{}; check -p (the number of leading path components to strip)",
            a.file.display(),
            src.display(),
            a.strip
        );
    }
    let _lock = lock_module(&roots.dkms_tree, &m).ok();
    let pdir = src.join("patches");
    std::fs::create_dir_all(&pdir).with_context(|| format!("creating `{}`", pdir.display()))?;
    let dest = pdir.join(&name);
    if let Ok(old) = std::fs::read_to_string(&dest)
        && old != p1
    {
        bail!(
            "`{}` already exists with other content; rename the patch",
            dest.display()
        );
    }
    write_atomic(&dest, &p1)?;
    let ovr = override_path(&roots, &m, &v);
    let text = std::fs::read_to_string(&ovr).unwrap_or_default();
    let mut list = entries(&text);
    list.retain(|e| e.file != name);
    list.push(PatchEntry {
        index: 0,
        file: name.clone(),
        match_re: ere.clone(),
    });
    let base = own_patch_count(&roots, &m, &v, &src);
    write_atomic(&ovr, &render(&text, &list, base))?;
    eprintln!(
        "{m}/{v}: PATCH {name} for kernels matching `{ere}` in {}",
        ovr.display()
    );
    if a.rebuild {
        return rebuild(&roots, &m, &v, &ere, a);
    }
    Ok(Outcome::Ok)
}

fn tempdir_in(roots: &Roots) -> anyhow::Result<PathBuf> {
    let base = std::env::var("TMPDIR").unwrap_or_else(|_| "/tmp".into());
    let d = PathBuf::from(base).join(format!("hostkit-dkms-patch-{}", std::process::id()));
    let _ = roots;
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

/// Rebuilds the built kernels that match `ere`, reinstalling where installed.
fn rebuild(
    roots: &Roots,
    m: &str,
    v: &str,
    ere: &str,
    a: &PatchAddArgs,
) -> anyhow::Result<Outcome> {
    let re = regex::Regex::new(ere)?;
    let jobs = a
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let mut sess = Session::new(
        roots,
        Options {
            no_depmod: a.no_depmod,
            jobs,
            ..Options::default()
        },
    );
    let mut say = StdSay;
    let targets: Vec<(String, String)> = sess
        .all_kernels(m, v)
        .into_iter()
        .filter(|(k, _)| re.is_match(k))
        .collect();
    let mut reinstall = Vec::new();
    let mut run = || -> Result<(), hostkit_dkms::sys::actions::Died> {
        for (k, ar) in &targets {
            if sess.is_installed(m, v, k, ar)? {
                sess.uninstall_one(m, v, k, ar, &mut say)?;
                reinstall.push((k.clone(), ar.clone()));
            }
            sess.maybe_unbuild(m, v, k, ar, &mut say)?;
        }
        sess.build_many(m, v, &targets, &mut say)?;
        for (k, ar) in &reinstall {
            sess.install_one(m, v, k, ar, &mut say)?;
        }
        sess.run_depmods(&mut say)
    };
    match run() {
        Ok(()) => Ok(Outcome::Ok),
        Err(d) => {
            super::print_error(&d.lines);
            Ok(Outcome::Code(d.code))
        }
    }
}

fn list(mv: &str, r: &PatchRoots) -> anyhow::Result<Outcome> {
    let (m, v) = split_mv(mv)?;
    let roots = roots(r);
    let text = std::fs::read_to_string(override_path(&roots, &m, &v)).unwrap_or_default();
    let kernels = known_kernels(&roots, &m, &v);
    for e in entries(&text) {
        let re = regex::Regex::new(&e.match_re).ok();
        let ks: Vec<&str> = kernels
            .iter()
            .filter(|k| e.match_re.is_empty() || re.as_ref().is_some_and(|r| r.is_match(k)))
            .map(String::as_str)
            .collect();
        println!(
            "PATCH[{}]\t{}\t{}\t{}",
            e.index,
            e.file,
            e.match_re,
            ks.join(",")
        );
    }
    Ok(Outcome::Ok)
}

fn remove(mv: &str, name: &str, r: &PatchRoots) -> anyhow::Result<Outcome> {
    let (m, v) = split_mv(mv)?;
    let roots = roots(r);
    let _lock = lock_module(&roots.dkms_tree, &m).ok();
    let ovr = override_path(&roots, &m, &v);
    let text = std::fs::read_to_string(&ovr).unwrap_or_default();
    let mut list = entries(&text);
    let before = list.len();
    list.retain(|e| e.file != name);
    if list.len() == before {
        bail!(
            "no patch `{name}` in `{}`; see `hostkit dkms patch list {m}/{v}`",
            ovr.display()
        );
    }
    let src = source_dir(&roots, &m, &v);
    let base = own_patch_count(&roots, &m, &v, &src);
    write_atomic(&ovr, &render(&text, &list, base))?;
    let _ = std::fs::remove_file(src.join("patches").join(name));
    eprintln!("{m}/{v}: removed {name}; rebuild to drop it from built modules");
    Ok(Outcome::Ok)
}
