//! `hostkit dkms` against the real components: kernel headers + kbuild of the two installed
//! flavours, modinfo, and Debian's dkms 3.0.10 on the same temporary roots. Each expectation is
//! checked on the real dkms first (`real` tests), then on hostkit (`hostkit` tests, and the
//! interop tests where one tool reads or removes what the other wrote). Ports dell/dkms
//! `run_test.sh` (v3.0.10) to temp roots: lifecycle, two versions, autoinstall, signing.

use hostkit_testkit::dkms::{
    DkmsRoot, Fixture, Run, SystemGuard, Tool, arch, cert_cn, cert_serial, description,
    kernel_pair, nproc, sig_key, signer, vermagic_release,
};
use std::fs;
use std::path::Path;

/// Why the hostkit side is ignored on this branch; remove it (one place) once `hostkit dkms`
/// from branch `dkms` is merged.
macro_rules! hostkit_pending {
    () => {
        "hostkit dkms CLI not on this branch yet (branch dkms)"
    };
}

/// hostkit under test.
fn hostkit() -> Tool {
    Tool::Hostkit(crate::bin())
}

/// One scenario, run against the real dkms (`real`) and against hostkit (`hostkit`) with the
/// same expectations: hostkit must behave exactly like dkms 3.0.10 here.
macro_rules! both {
    ($(#[doc = $doc:literal])* fn $name:ident($tool:ident: Tool) $body:block) => {
        $(#[doc = $doc])*
        mod $name {
            use super::*;
            fn case($tool: Tool) $body
            #[test]
            fn real() {
                case(Tool::Real)
            }
            #[test]
            #[ignore = hostkit_pending!()]
            fn hostkit() {
                case(super::hostkit())
            }
        }
    };
}

/// Masks the build directory in build transcripts: dkms builds in the shared `<m>/<v>/build`,
/// hostkit in a private one; everything else must be the same.
fn mask_build_dir(s: &str) -> String {
    s.lines()
        .map(|l| {
            if let Some(at) = l.find(" M=")
                && l.starts_with("make -j")
                && l.ends_with("...")
            {
                return format!("{} M=<build>...", &l[..at]);
            }
            if let Some(rest) = l.strip_prefix("Signing module ") {
                let file = rest.rsplit('/').next().unwrap_or(rest);
                return format!("Signing module <build>/{file}");
            }
            l.to_owned()
        })
        .map(|l| l + "\n")
        .collect()
}

/// The transcript of a successful first build of `ko` (signing lines dropped).
fn build_transcript(kver: &str, ko: &[&str]) -> String {
    let mut s = format!(
        "\nBuilding module:\nCleaning build area...\n\
         make -j{} KERNELRELEASE={kver} -C /lib/modules/{kver}/build M=<build>...\n",
        nproc()
    );
    for k in ko {
        s.push_str(&format!("Signing module <build>/{k}.ko\n"));
    }
    s.push_str("Cleaning build area...\n");
    s
}

/// The transcript of installing `ko` on `kver` when nothing was there.
fn install_transcript(root: &DkmsRoot, kver: &str, ko: &str, never_had: bool) -> String {
    let original = if never_had {
        "This kernel never originally had a module by this name"
    } else {
        "No original module exists within this kernel"
    };
    format!(
        "\n{ko}.ko:\nRunning module version sanity check.\n - Original module\n   - {original}\n \
         - Installation\n   - Installing to {}/{kver}/updates/dkms/\ndepmod...\n",
        root.install.display()
    )
}

/// The transcript of uninstalling the active `m-v` from `kver`.
fn uninstall_transcript(root: &DkmsRoot, m: &str, v: &str, kver: &str, ko: &str) -> String {
    format!(
        "Module {m}-{v} for kernel {kver} ({a}).\n\
         Before uninstall, this module version was ACTIVE on this kernel.\n\n{ko}.ko:\n \
         - Uninstallation\n   - Deleting from: {}/{kver}/updates/dkms/\n - Original module\n   \
         - No original module was found for this module on this kernel.\n   \
         - Use the dkms install command to reinstall any previous module version.\ndepmod...\n",
        root.install.display(),
        a = arch()
    )
}

fn not_installed(m: &str, v: &str, kver: &str) -> String {
    format!(
        "Module {m} {v} is not installed for kernel {kver} ({}). Skipping...\n",
        arch()
    )
}

fn not_built(m: &str, v: &str, kver: &str) -> String {
    format!(
        "Module {m} {v} is not built for kernel {kver} ({}). Skipping...\n",
        arch()
    )
}

fn line(m: &str, v: &str, kver: &str, state: &str) -> String {
    format!("{m}/{v}, {kver}, {}: {state}\n", arch())
}

fn assert_out(run: &Run, expected: &str) {
    assert_eq!(
        mask_build_dir(&run.generic()),
        expected,
        "unexpected output from `{}` (exit {})",
        run.argv,
        run.code
    );
}

both! {
    /// run_test.sh's dkms_test lifecycle: add (by version without source, by directory, twice),
    /// build (twice, signed), install (twice, --force), modinfo, uninstall, unbuild, remove;
    /// then `install` combining add+build+install and `remove --all`. Every step's exit code,
    /// transcript and status line.
    fn lifecycle(tool: Tool) {
        let guard = SystemGuard::take();
        let root = DkmsRoot::new();
        let k = root.kernels[0].clone();
        let f = Fixture::hello("dkms_test", "1.0");
        let (tree, src) = (root.tree.display().to_string(), root.src.display().to_string());

        let r = root.run(&tool, &["add", "-m", "dkms_test", "-v", "1.0"]);
        r.expect_code(2);
        assert_out(&r, &format!(
            "Error! Could not find module source directory.\nDirectory: {src}/dkms_test-1.0 does not exist.\n"));

        // Add by directory: dkms copies it into the source tree.
        let incoming = root.path().join("incoming/dkms_test-1.0");
        for (rel, text) in &f.files {
            fs::create_dir_all(incoming.join(rel).parent().unwrap()).unwrap();
            fs::write(incoming.join(rel), text).unwrap();
        }
        let r = root.run(&tool, &["add", incoming.to_str().unwrap()]);
        r.ok();
        let symlink_msg = format!("Creating symlink {tree}/dkms_test/1.0/source -> {src}/dkms_test-1.0\n");
        assert_out(&r, &symlink_msg);
        assert!(root.src.join("dkms_test-1.0/dkms.conf").is_file(), "source not copied");
        assert_eq!(root.status(&tool, &[]), "dkms_test/1.0: added\n");

        let again = "Error! DKMS tree already contains: dkms_test-1.0\nYou cannot add the same module/version combo more than once.\n";
        let r = root.run(&tool, &["add", incoming.to_str().unwrap()]);
        r.expect_code(3);
        assert_out(&r, again);
        let r = root.run(&tool, &["add", "-m", "dkms_test", "-v", "1.0"]);
        r.expect_code(3);
        assert_out(&r, again);

        let r = root.run(&tool, &["build", "-k", &k, "-m", "dkms_test", "-v", "1.0"]);
        r.ok();
        assert_out(&r, &build_transcript(&k, &["dkms_test"]));
        assert_eq!(root.status(&tool, &[]), line("dkms_test", "1.0", &k, "built"));

        let r = root.run(&tool, &["build", "-k", &k, "-m", "dkms_test", "-v", "1.0"]);
        r.ok();
        assert_out(&r, &format!("Module dkms_test/1.0 already built for kernel {k} ({}), skip. You may override by specifying --force.\n", arch()));

        let r = root.run(&tool, &["install", "-k", &k, "-m", "dkms_test", "-v", "1.0"]);
        r.ok();
        assert_out(&r, &install_transcript(&root, &k, "dkms_test", false));
        assert_eq!(root.status(&tool, &[]), line("dkms_test", "1.0", &k, "installed"));
        let installed = root.installed_ko(&k, "dkms_test");
        assert!(installed.is_file());

        let r = root.run(&tool, &["install", "-k", &k, "-m", "dkms_test", "-v", "1.0"]);
        r.ok();
        assert_out(&r, &format!("Module dkms_test/1.0 already installed on kernel {k} ({}), skip. You may override by specifying --force.\n", arch()));

        let r = root.run(&tool, &["install", "-k", &k, "-m", "dkms_test", "-v", "1.0", "--force"]);
        r.ok();
        assert_out(&r, &format!("{}{}",
            uninstall_transcript(&root, "dkms_test", "1.0", &k, "dkms_test"),
            install_transcript(&root, &k, "dkms_test", false)));
        assert_eq!(root.status(&tool, &[]), line("dkms_test", "1.0", &k, "installed"));

        assert_eq!(description(&installed), "dkms_test: unpatched");
        assert_eq!(hostkit_testkit::dkms::modinfo(&installed, "version"), "1.0");
        assert_eq!(vermagic_release(&installed), k);
        assert_eq!(sig_key(&installed), cert_serial(&root.mok.cert));

        let r = root.run(&tool, &["uninstall", "-k", &k, "-m", "dkms_test", "-v", "1.0"]);
        r.ok();
        assert_out(&r, &uninstall_transcript(&root, "dkms_test", "1.0", &k, "dkms_test"));
        assert_eq!(root.status(&tool, &[]), line("dkms_test", "1.0", &k, "built"));
        assert!(!installed.exists(), "uninstall left {}", installed.display());

        let r = root.run(&tool, &["uninstall", "-k", &k, "-m", "dkms_test", "-v", "1.0"]);
        r.ok();
        assert_out(&r, &not_installed("dkms_test", "1.0", &k));

        let r = root.run(&tool, &["unbuild", "-k", &k, "-m", "dkms_test", "-v", "1.0"]);
        r.ok();
        assert_out(&r, &not_installed("dkms_test", "1.0", &k));
        assert_eq!(root.status(&tool, &[]), "dkms_test/1.0: added\n");

        let r = root.run(&tool, &["unbuild", "-k", &k, "-m", "dkms_test", "-v", "1.0"]);
        r.ok();
        assert_out(&r, &(not_installed("dkms_test", "1.0", &k) + &not_built("dkms_test", "1.0", &k)));

        let r = root.run(&tool, &["remove", "-k", &k, "-m", "dkms_test", "-v", "1.0"]);
        r.ok();
        let deleting = "Deleting module dkms_test-1.0 completely from the DKMS tree.\n";
        assert_out(&r, &(not_installed("dkms_test", "1.0", &k) + &not_built("dkms_test", "1.0", &k) + deleting));
        assert_eq!(root.status(&tool, &[]), "");
        assert!(root.src.join("dkms_test-1.0").is_dir(), "remove deleted the source");
        assert!(!root.tree.join("dkms_test").exists(), "remove left the module dir");

        let r = root.run(&tool, &["add", "-m", "dkms_test", "-v", "1.0"]);
        r.ok();
        assert_out(&r, &symlink_msg);
        let r = root.run(&tool, &["remove", "--all", "-m", "dkms_test", "-v", "1.0"]);
        r.ok();
        assert_out(&r, deleting);
        assert_eq!(root.status(&tool, &[]), "");

        // install = add + build + install
        let r = root.run(&tool, &["install", "-k", &k, "-m", "dkms_test", "-v", "1.0"]);
        r.ok();
        assert_out(&r, &format!("{symlink_msg}{}{}",
            build_transcript(&k, &["dkms_test"]),
            install_transcript(&root, &k, "dkms_test", false)));
        assert_eq!(root.status(&tool, &[]), line("dkms_test", "1.0", &k, "installed"));
        assert_eq!(sig_key(&installed), cert_serial(&root.mok.cert));

        let r = root.run(&tool, &["remove", "--all", "-m", "dkms_test", "-v", "1.0"]);
        r.ok();
        assert_out(&r, &(uninstall_transcript(&root, "dkms_test", "1.0", &k, "dkms_test") + deleting));
        assert_eq!(root.status(&tool, &[]), "");
        assert!(!installed.exists());
        assert!(!root.tree.join("dkms_test").exists());
        guard.assert_unchanged();
    }
}

both! {
    /// run_test.sh's dkms_multiver_test: two versions of one module built and installed in
    /// turn; Debian's 3.0.10-8 installs an older version over a newer one with the error and
    /// exit 0 but copies nothing (the Diff warning then shows it).
    fn two_versions(tool: Tool) {
        let root = DkmsRoot::new();
        let k = root.kernels[0].clone();
        let (m, tree) = ("dkms_multiver_test", root.tree.display().to_string());
        for v in ["1.0", "2.0"] {
            root.add_source(&Fixture::hello(m, v));
            let r = root.run(&tool, &["add", "-m", m, "-v", v]);
            r.ok();
            assert_out(&r, &format!("Creating symlink {tree}/{m}/{v}/source -> {}/{m}-{v}\n", root.src.display()));
        }
        assert_eq!(root.status(&tool, &["-m", m]), format!("{m}/1.0: added\n{m}/2.0: added\n"));

        root.run(&tool, &["build", "-k", &k, "-m", m, "-v", "1.0"]).ok();
        assert_eq!(root.status(&tool, &["-m", m]), format!("{}{m}/2.0: added\n", line(m, "1.0", &k, "built")));
        let r = root.run(&tool, &["build", "-k", &k, "-m", m, "-v", "2.0"]);
        r.ok();
        assert_out(&r, &build_transcript(&k, &[m]));
        assert_eq!(root.status(&tool, &["-m", m]), line(m, "1.0", &k, "built") + &line(m, "2.0", &k, "built"));

        let r = root.run(&tool, &["install", "-k", &k, "-m", m, "-v", "1.0"]);
        r.ok();
        assert_out(&r, &install_transcript(&root, &k, m, false));
        assert_eq!(root.status(&tool, &["-m", m]), line(m, "1.0", &k, "installed") + &line(m, "2.0", &k, "built"));

        let r = root.run(&tool, &["install", "-k", &k, "-m", m, "-v", "2.0"]);
        r.ok();
        assert_out(&r, &install_transcript(&root, &k, m, true));
        assert_eq!(root.status(&tool, &["-m", m]), line(m, "1.0", &k, "built") + &line(m, "2.0", &k, "installed"));
        let installed = root.installed_ko(&k, m);
        assert_eq!(hostkit_testkit::dkms::modinfo(&installed, "version"), "2.0");

        // Debian 3.0.10-8: the error, exit 0, nothing copied, the active link flipped to 1.0.
        let r = root.run(&tool, &["install", "-k", &k, "-m", m, "-v", "1.0"]);
        r.ok();
        assert!(r.all().contains(&format!("Error! Module version 1.0 for {m}.ko\nis not newer than what is already found in kernel {k} (2.0).\nYou may override by specifying --force.\n")), "{}", r.all());
        assert_eq!(hostkit_testkit::dkms::modinfo(&installed, "version"), "2.0");
        assert_eq!(root.status(&tool, &["-m", m]),
            format!("{}{}", line(m, "1.0", &k, "installed (WARNING! Diff between built and installed module!)"), line(m, "2.0", &k, "built")));

        let r = root.run(&tool, &["uninstall", "-k", &k, "-m", m, "-v", "2.0"]);
        r.ok();
        assert_out(&r, &not_installed(m, "2.0", &k));
        // The active 1.0 was never copied: uninstall finds no file of its version and leaves
        // 2.0's copy in place (3.0.10 deletes only a copy whose version matches).
        let r = root.run(&tool, &["uninstall", "-k", &k, "-m", m, "-v", "1.0"]);
        r.ok();
        let expected = uninstall_transcript(&root, m, "1.0", &k, m).replace(
            &format!("   - Deleting from: {}/{k}/updates/dkms/\n", root.install.display()),
            &format!("   - Module was not found within {}/{k}/\n", root.install.display()),
        );
        assert_out(&r, &expected);
        assert_eq!(root.status(&tool, &["-m", m]), line(m, "1.0", &k, "built") + &line(m, "2.0", &k, "built"));
        assert_eq!(hostkit_testkit::dkms::modinfo(&installed, "version"), "2.0");

        root.run(&tool, &["unbuild", "-k", &k, "-m", m, "-v", "1.0"]).ok();
        assert_eq!(root.status(&tool, &["-m", m]), format!("{m}/1.0: added\n{}", line(m, "2.0", &k, "built")));
        root.run(&tool, &["remove", "-k", &k, "-m", m, "-v", "1.0"]).ok();
        assert_eq!(root.status(&tool, &["-m", m]), line(m, "2.0", &k, "built"));
        let r = root.run(&tool, &["remove", "-k", &k, "-m", m, "-v", "2.0"]);
        r.ok();
        assert_out(&r, &format!("{}Deleting module {m}-2.0 completely from the DKMS tree.\n", not_installed(m, "2.0", &k)));
        assert_eq!(root.status(&tool, &[]), "");
        assert!(!root.tree.join(m).exists());
    }
}

both! {
    /// run_test.sh's autoinstall error testing: a failing AUTOINSTALL module makes autoinstall
    /// exit 11; a module whose BUILD_DEPENDS names it is skipped with its own message; after
    /// the failing one is removed the dependent one still fails for the missing dependency.
    fn autoinstall_failures_and_build_depends(tool: Tool) {
        let root = DkmsRoot::new();
        let k = root.kernels[0].clone();
        let a = arch();
        root.add_source(&Fixture::failing("dkms_failing_test", "1.0"));
        root.run(&tool, &["add", "dkms_failing_test/1.0"]).ok();
        let r = root.run(&tool, &["autoinstall", "-k", &k]);
        r.expect_code(11);
        let fail = format!("Error! Bad return status for module build on kernel: {k} ({a})\nConsult ");
        let tail = "Error! One or more modules failed to install during autoinstall.\nRefer to previous errors for more information.\n";
        assert!(r.all().contains(&fail), "{}", r.all());
        assert!(r.all().ends_with(tail), "{}", r.all());

        root.add_source(&Fixture::build_depends("dkms_dependencies_test", "1.0", "dkms_failing_test"));
        root.run(&tool, &["add", "dkms_dependencies_test/1.0"]).ok();
        let r = root.run(&tool, &["autoinstall", "-k", &k]);
        r.expect_code(11);
        let dep = "dkms_dependencies_test/1.0 autoinstall failed due to missing dependencies: dkms_failing_test\n";
        assert!(r.all().contains(&fail), "{}", r.all());
        assert!(r.all().ends_with(&format!("{dep}{tail}")), "{}", r.all());
        assert_eq!(root.status(&tool, &[]), "dkms_dependencies_test/1.0: added\ndkms_failing_test/1.0: added\n");

        let r = root.run(&tool, &["remove", "-k", &k, "-m", "dkms_failing_test", "-v", "1.0"]);
        r.ok();
        let r = root.run(&tool, &["autoinstall", "-k", &k]);
        r.expect_code(11);
        assert_eq!(r.all(), format!("{dep}{tail}"));
        root.run(&tool, &["remove", "-k", &k, "-m", "dkms_dependencies_test", "-v", "1.0"]).ok();
        assert_eq!(root.status(&tool, &[]), "");
        assert!(fs::read_dir(&root.tree).unwrap().next().is_none(), "tree not empty");
    }
}

both! {
    /// BUILD_DEPENDS satisfied: autoinstall builds the dependency first, then the dependent,
    /// and installs both (exit 0); a second autoinstall has nothing to do.
    fn autoinstall_build_depends_order(tool: Tool) {
        let root = DkmsRoot::new();
        let k = root.kernels[0].clone();
        // "adep" sorts before "base": the order must come from BUILD_DEPENDS, not the name.
        root.add_source(&Fixture::build_depends("adep", "1.0", "base"));
        root.add_source(&Fixture::hello("base", "1.0"));
        root.run(&tool, &["add", "adep/1.0"]).ok();
        root.run(&tool, &["add", "base/1.0"]).ok();
        let r = root.run(&tool, &["autoinstall", "-k", &k]);
        r.ok();
        let out = r.all();
        let (b, d) = (out.find("\nbase.ko:\n"), out.find("\nadep.ko:\n"));
        assert!(b.is_some() && d.is_some() && b < d, "base must be installed before adep:\n{out}");
        assert_eq!(root.status(&tool, &[]), line("adep", "1.0", &k, "installed") + &line("base", "1.0", &k, "installed"));
        let r = root.run(&tool, &["autoinstall", "-k", &k]);
        r.ok();
        assert_eq!(r.all(), "");
    }
}

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
    /// Signing: with the run's MOK pair every built module carries signer "DKMS module signing
    /// key" and sig_key = the certificate's serial, hash sha256; `--config` with
    /// CONFIG_MODULE_SIG_HASH="sha512" signs with sha512; a missing pair is generated where
    /// mok_signing_key/mok_certificate point, and used; `sign_file` pointing nowhere (from
    /// framework.conf in the etc-dir) builds unsigned with dkms's message.
    fn signing(tool: Tool) {
        let root = DkmsRoot::new();
        let k = root.kernels[0].clone();
        root.add_source(&Fixture::multi("signed", "1.0"));
        root.run(&tool, &["add", "signed/1.0"]).ok();
        root.run(&tool, &["build", "signed/1.0", "-k", &k]).ok();
        for ko in ["signed_a", "signed_b"] {
            let f = root.built_ko("signed", "1.0", &k, ko);
            assert_eq!(signer(&f), "DKMS module signing key");
            assert_eq!(signer(&f), cert_cn(&root.mok.cert));
            assert_eq!(sig_key(&f), cert_serial(&root.mok.cert));
            assert_eq!(hostkit_testkit::dkms::modinfo(&f, "sig_hashalgo"), "sha256");
            assert_eq!(vermagic_release(&f), k);
        }

        let kconfig = root.path().join("kconfig");
        fs::write(&kconfig, "CONFIG_MODULE_SIG_HASH=\"sha512\"\n").unwrap();
        root.run(&tool, &["build", "signed/1.0", "-k", &k, "--force", "--config", kconfig.to_str().unwrap()]).ok();
        let f = root.built_ko("signed", "1.0", &k, "signed_a");
        assert_eq!(hostkit_testkit::dkms::modinfo(&f, "sig_hashalgo"), "sha512");

        let fresh = DkmsRoot::new().with_private_mok();
        fresh.add_source(&Fixture::hello("gen", "1.0"));
        fresh.run(&tool, &["add", "gen/1.0"]).ok();
        let r = fresh.run(&tool, &["build", "gen/1.0", "-k", &k]);
        r.ok();
        assert!(r.all().contains("Certificate or key are missing, generating self signed certificate for MOK...\n"), "{}", r.all());
        assert!(fresh.mok.key.is_file() && fresh.mok.cert.is_file(), "MOK pair not generated");
        let f = fresh.built_ko("gen", "1.0", &k, "gen");
        assert_eq!(cert_cn(&fresh.mok.cert), "DKMS module signing key");
        assert_eq!(sig_key(&f), cert_serial(&fresh.mok.cert));

        fresh.write_etc("framework.conf", "sign_file=\"/no/such/file\"\n");
        let r = fresh.run(&tool, &["build", "gen/1.0", "-k", &k, "--force"]);
        r.ok();
        assert!(r.generic().starts_with("Binary /no/such/file not found, modules won't be signed\n"), "{}", r.all());
        assert_eq!(signer(&f), "");
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
#[ignore = hostkit_pending!()]
fn status_golden_hostkit_byte_identical() {
    status_cases(&hostkit());
}

#[test]
#[ignore = hostkit_pending!()]
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
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(root.src.join("inter-1.0/dkms.conf").is_file());
    guard.assert_unchanged();
}

#[test]
fn interop_real_builds_real_removes() {
    interop(&Tool::Real, &Tool::Real);
}

#[test]
#[ignore = hostkit_pending!()]
fn interop_real_builds_hostkit_removes() {
    interop(&Tool::Real, &hostkit());
}

#[test]
#[ignore = hostkit_pending!()]
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
#[ignore = hostkit_pending!()]
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

/// hostkit's failed build leaves a tree the real dkms reads and removes.
#[test]
#[ignore = hostkit_pending!()]
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
#[ignore = hostkit_pending!()]
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
#[ignore = hostkit_pending!()]
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
