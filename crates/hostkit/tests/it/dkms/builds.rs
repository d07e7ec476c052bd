//! Builds against the real kbuild of both kernels: a failing module (exit 10, a tree the real
//! dkms still reads), BUILD_EXCLUSIVE (exit 77), a MAKE naming the shared build dir, parallel
//! builds of one module for two kernels, depmod kept inside the install tree.

use super::*;
use hostkit_testkit::dkms::{
    DkmsRoot, Fixture, SystemGuard, Tool, arch, kernel_pair, vermagic_release,
};
use std::fs;
use std::path::Path;

both! {
    /// A module that does not compile: build exits 10 with dkms's error, the make.log it cites
    /// holds the compiler's error, and the tree stays readable by the real dkms (`added`).
    fn failing_build(tool: Tool) {
        let root = DkmsRoot::new();
        let k = root.kernels[0].clone();
        root.add_source(&Fixture::failing("broken", "1.0"));
        root.run(&tool, &["add", "broken/1.0"]).ok();
        let r = root.run(&tool, &["build", "broken/1.0", "-k", &k]);
        r.expect_code(10);
        let all = r.all();
        assert!(all.contains(&format!("Error! Bad return status for module build on kernel: {k} ({})\n", arch())), "{all}");
        let log = all
            .lines()
            .find_map(|l| l.strip_prefix("Consult ").and_then(|l| l.strip_suffix(" for more information.")))
            .unwrap_or_else(|| panic!("no make.log cited:\n{all}"));
        let text = fs::read_to_string(log).unwrap();
        assert!(text.contains("this module fails to build"), "{log}:\n{text}");
        assert!(Path::new(log).starts_with(root.path()));
        assert_eq!(root.status(&Tool::Real, &[]), "broken/1.0: added\n");
        assert_eq!(root.status(&tool, &[]), "broken/1.0: added\n");
    }
}

both! {
    /// BUILD_EXCLUSIVE_KERNEL matching no kernel: build exits 77 (Debian), nothing built.
    fn build_exclusive(tool: Tool) {
        let root = DkmsRoot::new();
        let k = root.kernels[0].clone();
        root.add_source(&Fixture::build_exclusive("excl", "1.0"));
        root.run(&tool, &["add", "excl/1.0"]).ok();
        let r = root.run(&tool, &["build", "excl/1.0", "-k", &k]);
        r.expect_code(77);
        assert!(r.out.contains("includes a BUILD_EXCLUSIVE directive which does not match this kernel/arch/config."), "{}", r.all());
        assert_eq!(root.status(&tool, &[]), "excl/1.0: added\n");
        assert!(!root.tree.join("excl/1.0").join(&k).exists());
    }
}

both! {
    /// A MAKE naming the shared build dir (`M=${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build`)
    /// built for both kernels in one command: each module carries its own kernel's vermagic.
    fn shared_build_dir_make_two_kernels(tool: Tool) {
        let root = DkmsRoot::new();
        let (a, b) = kernel_pair();
        root.add_source(&Fixture::shared_build_make("shared", "1.0"));
        root.run(&tool, &["add", "shared/1.0"]).ok();
        root.run(&tool, &["build", "shared/1.0", "-k", &a, "-k", &b]).ok();
        for k in [&a, &b] {
            assert_eq!(vermagic_release(&root.built_ko("shared", "1.0", k, "shared")), *k);
        }
        assert_eq!(root.status(&Tool::Real, &[]), line("shared", "1.0", &a, "built") + &line("shared", "1.0", &b, "built"));
    }
}

/// hostkit's failed build leaves a tree the real dkms reads and removes.
#[test]
fn hostkit_failed_build_tree_read_and_removed_by_real() {
    let root = DkmsRoot::new();
    let k = root.kernels[0].clone();
    root.add_source(&Fixture::failing("broken", "1.0"));
    root.run(&hostkit(), &["build", "broken/1.0", "-k", &k])
        .expect_code(10);
    assert_eq!(root.status(&Tool::Real, &[]), "broken/1.0: added\n");
    root.run(&Tool::Real, &["remove", "broken/1.0", "--all"])
        .ok();
    assert!(!root.tree.join("broken").exists());
}

/// Two hostkit processes building one module (MAKE naming the shared build dir) for the two
/// kernels at the same time: both succeed, each module has its own kernel's vermagic (the
/// real dkms fails this: both builds wipe the shared `build/`).
#[test]
fn hostkit_parallel_builds_of_one_module_for_two_kernels() {
    let root = DkmsRoot::new();
    let (a, b) = kernel_pair();
    root.add_source(&Fixture::shared_build_make("shared", "1.0"));
    root.run(&hostkit(), &["add", "shared/1.0"]).ok();
    let spawn = |k: &str| {
        root.command(&hostkit(), &["build", "shared/1.0", "-k", k])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (pa, pb) = (spawn(&a), spawn(&b));
    let (oa, ob) = (
        pa.wait_with_output().unwrap(),
        pb.wait_with_output().unwrap(),
    );
    assert!(
        oa.status.success(),
        "{}",
        String::from_utf8_lossy(&oa.stderr)
    );
    assert!(
        ob.status.success(),
        "{}",
        String::from_utf8_lossy(&ob.stderr)
    );
    for k in [&a, &b] {
        assert_eq!(
            vermagic_release(&root.built_ko("shared", "1.0", k, "shared")),
            *k
        );
    }
    assert_eq!(
        root.status(&Tool::Real, &[]),
        line("shared", "1.0", &a, "built") + &line("shared", "1.0", &b, "built")
    );
}

/// Without `--no-depmod`, hostkit runs depmod on the install tree only: modules.dep appears
/// under the root, the system is untouched.
#[test]
fn hostkit_depmod_stays_in_the_install_tree() {
    let guard = SystemGuard::take();
    let root = DkmsRoot::new();
    let k = root.kernels[0].clone();
    root.add_source(&Fixture::hello("dep", "1.0"));
    root.run_exact(&hostkit(), &["install", "dep/1.0", "-k", &k])
        .ok();
    let dep = fs::read_to_string(root.install.join(&k).join("modules.dep")).unwrap();
    assert!(dep.contains("updates/dkms/dep.ko"), "{dep}");
    guard.assert_unchanged();
}
