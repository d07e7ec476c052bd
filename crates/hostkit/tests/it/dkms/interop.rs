//! The two tools on one tree: `status` byte-identical (added, built, installed, Diff warning,
//! two versions, two kernels, unknown kernel, a broken dkms.conf), a tree built by one removed
//! cleanly by the other, and the seed's patch-one-kernel scenario checked with modinfo on both
//! kernels, also after the real dkms rebuilds.

use super::*;
use hostkit_testkit::dkms::{
    DkmsRoot, Fixture, SystemGuard, Tool, arch, cert_serial, description, kernel_pair, sig_key,
    vermagic_release,
};
use std::fs;

/// Status scenarios on synthesised trees (no compiler): each one's golden text is checked on
/// the real dkms and on hostkit; the hostkit side also compares the two outputs directly.
fn status_cases(tool: &Tool) {
    let (a, b) = kernel_pair();
    let ar = arch();
    let check = |root: &DkmsRoot, args: &[&str], expected: &str| {
        let got = root.status(tool, args);
        assert_eq!(got, expected, "{} status {args:?}", tool.name());
        if !tool.is_real() {
            let real = root.status_split(&Tool::Real, args);
            let mine = root.status_split(tool, args);
            assert_eq!(
                (mine.0, &mine.1),
                (real.0, &real.1),
                "status {args:?}: hostkit vs dkms"
            );
        }
    };
    let root = DkmsRoot::new();
    let hello = Fixture::hello("hello", "0.1");
    let multi = Fixture::multi("multi", "2.0");
    let zeta = Fixture::hello("zeta", "1.0");
    check(&root, &[], "");
    for f in [&hello, &multi, &zeta] {
        root.add_source(f);
        root.run(&Tool::Real, &["add", &format!("{}/{}", f.name, f.version)])
            .ok();
    }
    check(
        &root,
        &[],
        "hello/0.1: added\nmulti/2.0: added\nzeta/1.0: added\n",
    );
    root.fake_built(&hello, &a, b"ko-a");
    root.fake_built(&hello, &b, b"ko-b");
    root.fake_built(&multi, &b, b"multi-b");
    root.fake_installed(&hello, &a);
    root.fake_installed(&multi, &b);
    let expected = format!(
        "hello/0.1, {a}, {ar}: installed\nhello/0.1, {b}, {ar}: built\nmulti/2.0, {b}, {ar}: installed\nzeta/1.0: added\n"
    );
    check(&root, &[], &expected);
    check(
        &root,
        &["-k", &b],
        &format!("hello/0.1, {b}, {ar}: built\nmulti/2.0, {b}, {ar}: installed\nzeta/1.0: added\n"),
    );
    check(
        &root,
        &["-k", "9.9.9-unknown"],
        "hello/0.1: added\nmulti/2.0: added\nzeta/1.0: added\n",
    );
    check(
        &root,
        &["hello/0.1"],
        &format!("hello/0.1, {a}, {ar}: installed\nhello/0.1, {b}, {ar}: built\n"),
    );
    check(
        &root,
        &["-m", "multi"],
        &format!("multi/2.0, {b}, {ar}: installed\n"),
    );
    check(&root, &["nosuch/1.0"], "");

    // A second version of hello: version order is bash glob order.
    let hello10 = Fixture::hello("hello", "0.10");
    root.add_source(&hello10);
    root.run(&Tool::Real, &["add", "hello/0.10"]).ok();
    root.fake_built(&hello10, &b, b"ko-b-10");
    check(
        &root,
        &["-m", "hello"],
        &format!(
            "hello/0.1, {a}, {ar}: installed\nhello/0.1, {b}, {ar}: built\nhello/0.10, {b}, {ar}: built\n"
        ),
    );

    // The installed copy differs from the built one; then goes missing.
    fs::write(root.installed_ko(&a, "hello"), b"changed").unwrap();
    let diff = format!(
        "hello/0.1, {a}, {ar}: installed (WARNING! Diff between built and installed module!)\n"
    );
    check(&root, &["hello/0.1", "-k", &a], &diff);
    fs::remove_file(root.installed_ko(&a, "hello")).unwrap();
    check(&root, &["hello/0.1", "-k", &a], &diff);

    // multi loses one of its two .ko: no longer built (3.0.10 needs every DEST_MODULE_NAME).
    fs::remove_file(root.built_ko("multi", "2.0", &b, "multi_b")).unwrap();
    check(&root, &["-m", "multi"], "multi/2.0: added\n");

    // A built entry whose dkms.conf is broken after the fact: 3.0.10 stops the listing
    // there, exit 0, an error on stderr.
    // "kaput" sorts between hello and multi.
    let broken = Fixture::hello("kaput", "1.0");
    let dir = root.add_source(&broken);
    root.run(&Tool::Real, &["add", "kaput/1.0"]).ok();
    root.fake_built(&broken, &a, b"x");
    fs::write(dir.join("dkms.conf"), "PACKAGE_NAME=\"kaput\"\n").unwrap();
    let (code, out, err) = root.status_split(tool, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        format!(
            "hello/0.1, {a}, {ar}: installed (WARNING! Diff between built and installed module!)\nhello/0.1, {b}, {ar}: built\nhello/0.10, {b}, {ar}: built\n"
        ),
        "3.0.10 prints nothing past a broken conf"
    );
    assert!(err.contains("Bad conf file"), "{err}");
    if !tool.is_real() {
        assert_eq!((code, out), {
            let r = root.status_split(&Tool::Real, &[]);
            (r.0, r.1)
        });
    }
}

#[test]
fn status_golden_real() {
    status_cases(&Tool::Real);
}

#[test]
fn status_golden_hostkit_byte_identical() {
    status_cases(&hostkit());
}

#[test]
fn status_via_dkms_symlink_matches_real() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("dkms");
    std::os::unix::fs::symlink(crate::bin(), &link).unwrap();
    status_cases(&Tool::HostkitAsDkms(link));
}

/// Installs `f` for both kernels with `builder`, checks `reader` sees the same status, then
/// removes everything with `remover` and checks that nothing is left behind.
fn interop(builder: &Tool, remover: &Tool) {
    let guard = SystemGuard::take();
    let root = DkmsRoot::new();
    let (a, b) = kernel_pair();
    let f = Fixture::multi("inter", "1.0");
    root.add_source(&f);
    root.run(builder, &["install", "inter/1.0", "-k", &a, "-k", &b])
        .ok();
    let by_builder = root.status(builder, &[]);
    assert_eq!(
        by_builder,
        line("inter", "1.0", &a, "installed") + &line("inter", "1.0", &b, "installed")
    );
    assert_eq!(
        root.status(remover, &[]),
        by_builder,
        "{} reads {}'s tree differently",
        remover.name(),
        builder.name()
    );
    for k in [&a, &b] {
        for ko in f.modules() {
            assert_eq!(vermagic_release(&root.installed_ko(k, &ko)), *k);
        }
    }
    let r = root.run(remover, &["remove", "inter/1.0", "--all"]);
    r.ok();
    assert!(
        r.all()
            .ends_with("Deleting module inter-1.0 completely from the DKMS tree.\n"),
        "{}",
        r.all()
    );
    assert_eq!(root.status(&Tool::Real, &[]), "");
    assert_eq!(root.status(builder, &[]), "");
    let left: Vec<String> = root
        .listing()
        .into_iter()
        .filter(|p| !p.ends_with('/'))
        // hostkit's per-module flock files: kept (deleting a lock file is racy), never read by dkms.
        .filter(|p| !(p.starts_with("tree/.hostkit/locks/") && p.ends_with(".lock")))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert_eq!(
        visible_tree_entries(&root),
        Vec::<String>::new(),
        "module dir left in the tree"
    );
    assert!(root.src.join("inter-1.0/dkms.conf").is_file());
    guard.assert_unchanged();
}

#[test]
fn interop_real_builds_real_removes() {
    interop(&Tool::Real, &Tool::Real);
}

#[test]
fn interop_real_builds_hostkit_removes() {
    interop(&Tool::Real, &hostkit());
}

#[test]
fn interop_hostkit_builds_real_removes() {
    interop(&hostkit(), &Tool::Real);
}

/// The seed scenario with the real dkms alone: a PATCH/PATCH_MATCH override in the etc-dir
/// (as `hostkit dkms patch add` writes it) makes the real dkms patch only the cloud kernel.
#[test]
fn patch_override_in_etc_dir_real() {
    let root = DkmsRoot::new();
    let (a, b) = kernel_pair();
    let f = Fixture::hello("vbox", "4.3");
    let src = root.add_source(&f);
    fs::create_dir_all(src.join("patches")).unwrap();
    fs::write(src.join("patches/describe.patch"), f.description_patch(1)).unwrap();
    root.write_etc(
        "vbox-4.3.conf",
        "PATCH[0]=\"describe.patch\"\nPATCH_MATCH[0]=\"cloud\"\n",
    );
    let r = root.run(&Tool::Real, &["install", "vbox/4.3", "-k", &a, "-k", &b]);
    r.ok();
    assert!(
        r.all().contains("applying patch describe.patch..."),
        "{}",
        r.all()
    );
    assert_eq!(
        description(&root.installed_ko(&a, "vbox")),
        "vbox: unpatched"
    );
    assert_eq!(description(&root.installed_ko(&b, "vbox")), "vbox: patched");
    // Same fixture with the patch in dkms.conf itself.
    let g = Fixture::patched("pm", "1.0", "cloud");
    root.add_source(&g);
    root.run(&Tool::Real, &["build", "pm/1.0", "-k", &a, "-k", &b])
        .ok();
    assert_eq!(
        description(&root.built_ko("pm", "1.0", &a, "pm")),
        "pm: unpatched"
    );
    assert_eq!(
        description(&root.built_ko("pm", "1.0", &b, "pm")),
        "pm: patched"
    );
}

/// The seed scenario: `hostkit dkms patch add m/v FILE -k <cloud> --rebuild` patches only the
/// cloud kernel's installed module; the real dkms, reading the same etc-dir, rebuilds both
/// kernels and the plain one is still unpatched.
#[test]
fn seed_patch_one_kernel_then_real_dkms_rebuilds() {
    let guard = SystemGuard::take();
    let root = DkmsRoot::new();
    let (a, b) = kernel_pair();
    let hk = hostkit();
    let f = Fixture::hello("vbox", "4.3");
    root.add_source(&f);
    root.run(&hk, &["install", "vbox/4.3", "-k", &a, "-k", &b])
        .ok();
    let patch = root.path().join("cloud-only.patch");
    fs::write(&patch, f.description_patch(1)).unwrap();
    root.run(
        &hk,
        &[
            "patch",
            "add",
            "vbox/4.3",
            patch.to_str().unwrap(),
            "-k",
            &b,
            "--rebuild",
        ],
    )
    .ok();
    assert_eq!(
        description(&root.installed_ko(&a, "vbox")),
        "vbox: unpatched"
    );
    assert_eq!(description(&root.installed_ko(&b, "vbox")), "vbox: patched");
    assert_eq!(
        description(&root.built_ko("vbox", "4.3", &a, "vbox")),
        "vbox: unpatched"
    );
    assert!(
        root.etc.join("vbox-4.3.conf").is_file(),
        "no override layer written"
    );
    assert_eq!(root.status(&Tool::Real, &[]), root.status(&hk, &[]));

    root.run(
        &Tool::Real,
        &["build", "vbox/4.3", "-k", &a, "-k", &b, "--force"],
    )
    .ok();
    root.run(
        &Tool::Real,
        &["install", "vbox/4.3", "-k", &a, "-k", &b, "--force"],
    )
    .ok();
    assert_eq!(
        description(&root.installed_ko(&a, "vbox")),
        "vbox: unpatched"
    );
    assert_eq!(description(&root.installed_ko(&b, "vbox")), "vbox: patched");
    for k in [&a, &b] {
        assert_eq!(vermagic_release(&root.installed_ko(k, "vbox")), *k);
        assert_eq!(
            sig_key(&root.installed_ko(k, "vbox")),
            cert_serial(&root.mok.cert)
        );
    }
    guard.assert_unchanged();
}
