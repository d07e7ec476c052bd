//! The dkms actions in the binary: kernels and arches set up as dkms does (`-k`, `-a`,
//! `--all`, the running kernel by default, plus `--kernel-range`), the plan printed for
//! `--dry-run`, else run under the module lock with one depmod per kernel at the end.

use hostkit_dkms::args::{Action, Invocation};
use hostkit_dkms::kernel::{KernelRange, dkms_ver_key, sort_versions};
use hostkit_dkms::plan::{Plan, Step};
use hostkit_dkms::sys::Roots;
use hostkit_dkms::sys::actions::{Died, Options, Session};
use hostkit_dkms::sys::build::{execute, prepare_signing, sign_file_for, signing_paths};
use hostkit_dkms::sys::lock::lock_module;
use hostkit_dkms::sys::runner::{Say, StdSay};

use super::{print_error, roots_of};

fn uname() -> (String, String) {
    // SAFETY: uname fills a zeroed utsname we own.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    unsafe { libc::uname(&mut u) };
    let s = |f: &[libc::c_char]| {
        let b: Vec<u8> = f
            .iter()
            .take_while(|c| **c != 0)
            .map(|c| *c as u8)
            .collect();
        String::from_utf8_lossy(&b).into_owned()
    };
    (s(&u.release), s(&u.machine))
}

fn report(d: &Died) -> u8 {
    print_error(&d.lines);
    if let Some(h) = &d.hint {
        eprintln!("hint: {h}");
    }
    d.code
}

/// Kernels present for a range: kernel dirs of the install tree and of `/lib/modules`.
fn kernels_in_range(roots: &Roots, range: &KernelRange) -> Vec<String> {
    let mut ks = Vec::new();
    for dir in [roots.install_tree.as_str(), "/lib/modules"] {
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.filter_map(|e| e.ok()) {
                let n = e.file_name().to_string_lossy().into_owned();
                if hostkit_dkms::glob::is_kernel_dir_name(&n)
                    && range.matches(&n)
                    && !ks.contains(&n)
                {
                    ks.push(n);
                }
            }
        }
    }
    sort_versions(&mut ks);
    ks
}

/// dkms's setup_kernels_arches for a non-status action.
fn kernel_arches(
    sess: &mut Session,
    inv: &Invocation,
    roots: &Roots,
) -> Result<Vec<(String, String)>, u8> {
    let (rel, mach) = uname();
    let mut kernels = inv.kernels.clone();
    let mut arches = inv.arches.clone();
    if let Some(r) = &inv.kernel_range {
        match KernelRange::parse(r) {
            Ok(range) => kernels.extend(kernels_in_range(roots, &range)),
            Err(e) => {
                eprintln!("error: {e}");
                return Err(2);
            }
        }
        if kernels.is_empty() {
            eprintln!(
                "error: no kernel under {} or /lib/modules matches `{r}`",
                roots.install_tree
            );
            return Err(2);
        }
    }
    if inv.all {
        return Ok(sess.all_kernels(&inv.module, &inv.version));
    }
    if kernels.is_empty() {
        kernels.push(rel);
    }
    if arches.is_empty() {
        arches.push(mach);
    }
    while arches.len() < kernels.len() {
        arches.push(arches[0].clone());
    }
    Ok(kernels.into_iter().zip(arches).collect())
}

/// Runs one action; returns dkms's exit code.
pub fn run(action: Action, inv: &Invocation) -> u8 {
    let roots = roots_of(inv);
    let jobs = inv
        .jobs
        .as_deref()
        .and_then(|j| j.parse().ok())
        .filter(|j: &usize| *j > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let opts = Options {
        force: inv.force,
        force_version_override: inv.force_version_override,
        no_depmod: inv.no_depmod,
        jobs,
    };
    let mut sess = Session::new(&roots, opts);
    let mut say = StdSay;
    let needs_mv = matches!(
        action,
        Action::Remove
            | Action::Unbuild
            | Action::Uninstall
            | Action::Build
            | Action::Install
            | Action::Add
    );
    if matches!(action, Action::Add)
        && inv.module.is_empty()
        && let Some(dir) = &inv.source_dir
    {
        return add_source_dir(&mut sess, inv, dir);
    }
    if needs_mv && let Err(mut e) = inv.check_module_args() {
        if matches!(action, Action::Build | Action::Install) && !inv.all {
            // dkms gets there through do_build: signing is prepared first, then the implicit
            // add complains in its own name.
            let (rel, _) = uname();
            let k = inv.kernels.first().cloned().unwrap_or(rel);
            let sf = sign_file_for(&roots, &k);
            prepare_signing(&sf, &signing_paths(&roots, &k), &mut say);
            for l in &mut e.lines {
                *l = l.replacen(action.name(), "add", 1);
            }
        }
        print_error(&e.lines);
        return e.code;
    }
    if matches!(action, Action::Add | Action::Build | Action::Install) && inv.all {
        print_error(&[format!(
            "The action {} does not support the --all parameter.",
            action.name()
        )]);
        return 5;
    }
    if matches!(action, Action::Remove | Action::Unbuild | Action::Uninstall)
        && !sess.is_added(&inv.module, &inv.version)
    {
        print_error(&[format!(
            "The module/version combo: {}-{} is not located in the DKMS tree.",
            inv.module, inv.version
        )]);
        return 3;
    }
    let ka = match kernel_arches(&mut sess, inv, &roots) {
        Ok(ka) => ka,
        Err(c) => return c,
    };
    let (m, v) = (inv.module.as_str(), inv.version.as_str());
    if inv.dry_run {
        return dry_run(&mut sess, action, inv, &ka);
    }
    if matches!(action, Action::Autoinstall) {
        return autoinstall(&mut sess, &ka, &mut say);
    }
    // A read-only or missing tree: dkms's own checks below report it.
    let _lock = lock_module(&roots.dkms_tree, m).ok();
    let result = (|| -> Result<(), Died> {
        match action {
            Action::Add => {
                let (k, a) = ka.first().cloned().unwrap_or_default();
                sess.add(m, v, &k, &a, &mut say)
            }
            Action::Build => sess.build_many(m, v, &ka, &mut say),
            Action::Install => install(&mut sess, m, v, &ka, &mut say),
            Action::Uninstall => {
                for (k, a) in &ka {
                    sess.maybe_uninstall(m, v, k, a, &mut say)?;
                }
                Ok(())
            }
            Action::Unbuild | Action::Remove => {
                for (k, a) in &ka {
                    sess.maybe_uninstall(m, v, k, a, &mut say)?;
                    sess.maybe_unbuild(m, v, k, a, &mut say)?;
                }
                if action == Action::Remove {
                    sess.remove_version_if_empty(m, v, &mut say);
                }
                Ok(())
            }
            _ => Err(Died {
                code: 1,
                lines: vec![format!(
                    "hostkit dkms does not implement `{}` yet",
                    action.name()
                )],
                hint: Some("run the real dkms for mktarball, ldtarball and match".into()),
            }),
        }
    })();
    let dep = sess.run_depmods(&mut say);
    match result.and(dep) {
        Ok(()) => 0,
        Err(d) => report(&d),
    }
}

fn install(
    sess: &mut Session,
    m: &str,
    v: &str,
    ka: &[(String, String)],
    say: &mut dyn Say,
) -> Result<(), Died> {
    // Build what is missing first (in parallel), then install kernel by kernel.
    let mut to_build = Vec::new();
    let mut todo = Vec::new();
    for (k, a) in ka {
        if sess.is_installed(m, v, k, a)? {
            if sess.opts.force {
                sess.uninstall_one(m, v, k, a, say)?;
            } else {
                say.out(&format!(
                    "Module {m}/{v} already installed on kernel {k} ({a}), skip. You may override by specifying --force.\n"
                ));
                continue;
            }
        }
        if !sess.is_built(m, v, k, a)? {
            to_build.push((k.clone(), a.clone()));
        }
        todo.push((k.clone(), a.clone()));
    }
    if !to_build.is_empty() {
        let force = std::mem::replace(&mut sess.opts.force, false);
        let r = sess.build_many(m, v, &to_build, say);
        sess.opts.force = force;
        r?;
    }
    for (k, a) in &todo {
        sess.install_one(m, v, k, a, say)?;
    }
    Ok(())
}

fn add_source_dir(sess: &mut Session, inv: &Invocation, dir: &str) -> u8 {
    let conf = format!("{}/dkms.conf", dir.trim_end_matches('/'));
    let text = std::fs::read_to_string(&conf).unwrap_or_default();
    let mut vars = hostkit_dkms::conf::Vars::default();
    let scope = |n: &str| std::env::var(n).ok();
    let _ = hostkit_dkms::conf::eval_plain(&text, &scope, &mut vars);
    let (m, v) = (
        vars.scalar("PACKAGE_NAME").to_string(),
        vars.scalar("PACKAGE_VERSION").to_string(),
    );
    if m.is_empty() || v.is_empty() {
        print_error(&["Malformed dkms.conf file. Cannot load source tree.".into()]);
        return 10;
    }
    let dest = format!("{}/{m}-{v}", sess.roots.source_tree);
    let from = std::fs::canonicalize(dir).unwrap_or_default();
    if std::fs::canonicalize(&dest).ok() != Some(from.clone()) {
        let _ = std::fs::create_dir_all(&dest);
        let _ = hostkit_dkms::sys::runner::run(
            "cp",
            &["-fr", &format!("{}/.", from.display()), &dest],
            None,
        );
    }
    let (rel, mach) = uname();
    let k = inv.kernels.first().cloned().unwrap_or(rel);
    let a = inv.arches.first().cloned().unwrap_or(mach);
    match sess.add(&m, &v, &k, &a, &mut StdSay) {
        Ok(()) => 0,
        Err(d) => report(&d),
    }
}

/// dkms's autoinstall for the first kernel: the newest AUTOINSTALL version of each module
/// not yet installed there, in BUILD_DEPENDS order; exit 11 when any fails.
fn autoinstall(sess: &mut Session, ka: &[(String, String)], say: &mut dyn Say) -> u8 {
    let (k, a) = ka.first().cloned().unwrap_or_default();
    let tree = sess.roots.dkms_tree.clone();
    let mut mvs: Vec<(String, String)> = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&tree) {
        let mut mods: Vec<String> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        mods.sort();
        for m in mods {
            if let Ok(rd) = std::fs::read_dir(format!("{tree}/{m}")) {
                let mut vs: Vec<String> = rd
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| !n.starts_with('.'))
                    .collect();
                vs.sort();
                for v in vs {
                    if sess.is_added(&m, &v) {
                        mvs.push((m.clone(), v));
                    }
                }
            }
        }
    }
    let mut installed: Vec<String> = Vec::new();
    let mut candidates: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut i = 0;
    while i < mvs.len() {
        let m = mvs[i].0.clone();
        let mut best: Option<(String, Vec<String>)> = None;
        let mut skip = false;
        while i < mvs.len() && mvs[i].0 == m {
            let v = mvs[i].1.clone();
            i += 1;
            if skip {
                continue;
            }
            let link = format!("{tree}/{m}/kernel-{k}-{a}");
            let base = sess.roots.base_dir(&m, &v, &k, &a);
            if std::fs::canonicalize(&link)
                .ok()
                .and_then(|p| p.to_str().map(str::to_string))
                == Some(base)
            {
                installed.push(m.clone());
                skip = true;
                continue;
            }
            let conf = match sess.conf(&m, &v, &k, &a, &sess.roots.conf_path(&m, &v)) {
                Ok(c) => c,
                Err(d) => return report(&d),
            };
            if !conf.autoinstall {
                continue;
            }
            if best
                .as_ref()
                .is_none_or(|(bv, _)| dkms_ver_key(&v) > dkms_ver_key(bv))
            {
                best = Some((v, conf.build_depends.clone()));
            }
        }
        if let (Some((v, deps)), false) = (best, skip) {
            candidates.push((m, v, deps));
        }
    }
    let mut failed = false;
    loop {
        let mut progress = false;
        let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut candidates)
            .into_iter()
            .map(|(m, v, deps)| {
                let deps: Vec<String> = deps
                    .into_iter()
                    .filter(|d| !installed.contains(d))
                    .collect();
                (m, v, deps)
            })
            .partition(|(_, _, deps)| deps.is_empty());
        candidates = waiting;
        // Every ready module builds at once (one -j budget); installs follow in dkms's order.
        let locks: Vec<_> = ready
            .iter()
            .map(|(m, _, _)| lock_module(&sess.roots.dkms_tree, m).ok())
            .collect();
        let mut groups = Vec::new();
        for (m, v, _) in &ready {
            let built = sess.is_built(m, v, &k, &a).unwrap_or(false);
            groups.push(if built {
                Vec::new()
            } else {
                sess.plan_builds(m, v, &[(k.clone(), a.clone())])
            });
        }
        let results = execute(groups, sess.opts.jobs);
        for ((m, v, _), (buf, built)) in ready.into_iter().zip(results) {
            buf.replay(say);
            let _ = std::fs::remove_dir(format!("{}/build", sess.roots.mv_dir(&m, &v)));
            match built.and_then(|()| sess.install_one(&m, &v, &k, &a, say)) {
                Ok(()) => {
                    installed.push(m);
                    progress = true;
                }
                Err(d) => {
                    report(&d);
                    failed = true;
                }
            }
        }
        drop(locks);
        if !progress {
            break;
        }
    }
    for (m, v, deps) in &candidates {
        say.out(&format!(
            "{m}/{v} autoinstall failed due to missing dependencies: {}\n",
            deps.join(" ")
        ));
    }
    if let Err(d) = sess.run_depmods(say) {
        return report(&d);
    }
    if failed || !candidates.is_empty() {
        print_error(&[
            "One or more modules failed to install during autoinstall.".into(),
            "Refer to previous errors for more information.".into(),
        ]);
        return 11;
    }
    0
}

fn dry_run(sess: &mut Session, action: Action, inv: &Invocation, ka: &[(String, String)]) -> u8 {
    let (m, v) = (inv.module.as_str(), inv.version.as_str());
    let mut plan = Plan {
        action: action.name().into(),
        steps: Vec::new(),
    };
    let step = |k: &str, a: &str| (m.to_string(), v.to_string(), k.to_string(), a.to_string());
    for (k, a) in ka {
        let (mm, vv, kk, aa) = step(k, a);
        let built = sess.is_built(m, v, k, a).unwrap_or(false);
        let installed = built && sess.is_installed(m, v, k, a).unwrap_or(false);
        match action {
            Action::Build | Action::Install => {
                if !built || inv.force {
                    match sess.conf(m, v, k, a, &sess.roots.conf_path(m, v)) {
                        Ok(c) if c.build_exclude => plan.steps.push(Step::Skip {
                            module: mm.clone(),
                            version: vv.clone(),
                            kernel: kk.clone(),
                            arch: aa.clone(),
                            reason: "BUILD_EXCLUSIVE does not match (exit 77)".into(),
                        }),
                        Ok(c) => plan.steps.push(Step::Build {
                            module: mm.clone(),
                            version: vv.clone(),
                            kernel: kk.clone(),
                            arch: aa.clone(),
                            patches: c.patches.clone(),
                            make: c.make_command.clone(),
                        }),
                        Err(d) => plan.steps.push(Step::Skip {
                            module: mm.clone(),
                            version: vv.clone(),
                            kernel: kk.clone(),
                            arch: aa.clone(),
                            reason: d.lines.join(" "),
                        }),
                    }
                }
                if action == Action::Install && (!installed || inv.force) {
                    plan.steps.push(Step::Install {
                        module: mm,
                        version: vv,
                        kernel: kk.clone(),
                        arch: aa,
                        dest: vec![format!("{}/{k}/updates/dkms", sess.roots.install_tree)],
                    });
                    plan.steps.push(Step::Depmod { kernel: kk });
                }
            }
            Action::Uninstall | Action::Unbuild | Action::Remove => {
                if installed {
                    plan.steps.push(Step::Uninstall {
                        module: mm.clone(),
                        version: vv.clone(),
                        kernel: kk.clone(),
                        arch: aa.clone(),
                    });
                    plan.steps.push(Step::Depmod { kernel: kk.clone() });
                }
                if action != Action::Uninstall && built {
                    plan.steps.push(Step::Unbuild {
                        module: mm,
                        version: vv,
                        kernel: kk,
                        arch: aa,
                    });
                }
            }
            _ => {}
        }
    }
    if action == Action::Remove {
        plan.steps.push(Step::RemoveVersion {
            module: m.into(),
            version: v.into(),
        });
    }
    if action == Action::Add {
        plan.steps.push(Step::Add {
            module: m.into(),
            version: v.into(),
            source: format!("{}/{m}-{v}", sess.roots.source_tree),
        });
    }
    if inv.format.as_deref() == Some("json") {
        let env = hostkit_render::json::Envelope::new("dkms plan", 1, super::now(), &plan);
        print!("{}", env.to_pretty());
    } else {
        print!("{}", plan.text());
    }
    0
}
