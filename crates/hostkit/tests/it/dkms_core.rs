//! Smoke tests of `hostkit dkms` that need no compiler: status against the real dkms on
//! synthesised trees where dkms.conf needs bash or override layers apply, dkms's argument
//! errors and exit codes, `--dry-run` plans, and the JSON field references in docs/dkms.md.

use hostkit_testkit::dkms::{DkmsRoot, Fixture, Tool};

use crate::docs::assert_documented;

fn hostkit() -> Tool {
    Tool::Hostkit(crate::bin())
}

/// The same (code, stdout, stderr) from both tools.
fn same_status(root: &DkmsRoot, extra: &[&str]) -> String {
    let real = root.status_split(&Tool::Real, extra);
    let ours = root.status_split(&hostkit(), extra);
    assert_eq!(ours, real, "status {extra:?}");
    real.1
}

#[test]
fn status_with_bash_confs_and_override_layers_matches_real() {
    let root = DkmsRoot::new();
    let k = root.kernels[0].clone();
    // A conf only bash can evaluate, choosing the module name per kernel.
    let logic = Fixture::hello("logic", "1.0").with_conf(
        "PACKAGE_NAME=logic\nPACKAGE_VERSION=1.0\n\
         if [[ $kernelver == *-cloud-* ]]; then BUILT_MODULE_NAME[0]=logic; else BUILT_MODULE_NAME[0]=$(echo logic); fi\n\
         DEST_MODULE_LOCATION[0]=/updates/dkms\n",
    );
    let plain = Fixture::hello("plain", "2.0");
    for f in [&logic, &plain] {
        root.add_source(f);
        root.run(&Tool::Real, &["add", &format!("{}/{}", f.name, f.version)])
            .ok();
        root.fake_built(f, &k, b"ko bytes");
    }
    root.fake_installed(&plain, &k);
    // An override renaming the module: dkms applies it only when status names the module.
    root.write_etc("plain-2.0.conf", "DEST_MODULE_NAME[0]=other\n");
    let all = same_status(&root, &[]);
    assert!(all.contains("plain/2.0, "), "{all}");
    let named = same_status(&root, &["plain/2.0"]);
    assert_eq!(named, "plain/2.0: added\n");
    same_status(&root, &["-k", &k]);
    same_status(&root, &["-k", "9.9.9"]);
    same_status(&root, &["-m", "logic"]);
}

#[test]
fn status_stops_at_a_bad_conf_like_dkms() {
    let root = DkmsRoot::new();
    let k = root.kernels[0].clone();
    for (name, conf) in [
        ("aaa", None),
        (
            "bad",
            Some("PACKAGE_NAME=bad\nBUILT_MODULE_NAME[0]=bad.ko\n"),
        ),
        ("zzz", None),
    ] {
        let mut f = Fixture::hello(name, "1.0");
        root.add_source(&f);
        root.run(&Tool::Real, &["add", &format!("{name}/1.0")]).ok();
        root.fake_built(&f, &k, b"x");
        if let Some(c) = conf {
            f = f.with_conf(c);
            root.add_source(&f);
        }
    }
    let out = same_status(&root, &[]);
    assert!(out.starts_with("aaa/1.0, "), "{out}");
    assert!(
        !out.contains("zzz"),
        "dkms 3.0.10 stops the listing at bad/1.0: {out}"
    );
}

#[test]
fn argument_errors_match_dkms() {
    let root = DkmsRoot::new();
    for args in [
        &["status", "--bogus"][..],
        &["status", "build"],
        &["remove", "nosuch/1.0", "-k", "1.2.3"],
        &["build"],
        &["remove", "nosuch/1.0", "--all", "-k", "1.2.3"],
    ] {
        let real = root.run(&Tool::Real, args);
        let ours = root.run(&hostkit(), args);
        assert_eq!(ours.code, real.code, "{args:?}: {}", ours.all());
        // dkms's usage names its own path ($0).
        let ours = ours
            .all()
            .replace("Usage: hostkit dkms ", "Usage: /usr/sbin/dkms ");
        assert_eq!(ours, real.all(), "{args:?}");
    }
}

#[test]
fn dry_run_plans_and_changes_nothing() {
    let root = DkmsRoot::new();
    let k = root.kernels[0].clone();
    let f = Fixture::patched("pp", "1.0", "cloud");
    root.add_source(&f);
    root.run(&Tool::Real, &["add", "pp/1.0"]).ok();
    let before = root.listing();
    let r = root.run(&hostkit(), &["install", "pp/1.0", "-k", &k, "--dry-run"]);
    r.ok();
    assert!(
        r.all().contains(&format!("build pp/1.0 for {k} (")),
        "{}",
        r.all()
    );
    assert!(
        r.all().contains(&format!("install pp/1.0 for {k} (")),
        "{}",
        r.all()
    );
    assert_eq!(root.listing(), before, "--dry-run changed the tree");
    let json = crate::docs::json_of(
        &[
            &[
                "dkms",
                "install",
                "pp/1.0",
                "-k",
                &k,
                "--dry-run",
                "--format",
                "json",
            ][..],
            &["--dkmstree", root.tree.to_str().unwrap()],
            &["--sourcetree", root.src.to_str().unwrap()],
            &["--installtree", root.install.to_str().unwrap()],
            &["--etc-dir", root.etc.to_str().unwrap()],
        ]
        .concat(),
    );
    assert_eq!(json["command"], "dkms plan");
    assert_eq!(json["steps"][0]["step"], "build");
    assert_documented("dkms.md", &json);
}

#[test]
fn status_json_is_documented() {
    let root = DkmsRoot::new();
    let k = root.kernels[0].clone();
    let f = Fixture::hello("js", "1.0");
    root.add_source(&f);
    root.run(&Tool::Real, &["add", "js/1.0"]).ok();
    root.fake_built(&f, &k, b"x");
    root.fake_installed(&f, &k);
    let json = crate::docs::json_of(&[
        "dkms",
        "status",
        "--format",
        "json",
        "--dkmstree",
        root.tree.to_str().unwrap(),
        "--installtree",
        root.install.to_str().unwrap(),
    ]);
    assert_eq!(json["entries"][0]["state"], "installed");
    assert_eq!(json["entries"][0]["kernel"], k.as_str());
    assert_documented("dkms.md", &json);
}
