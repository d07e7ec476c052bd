//! dell/dkms `run_test.sh` (v3.0.10) ported to temporary roots, each expectation checked on
//! the real dkms and on hostkit: the lifecycle with exit codes and transcripts, two versions of
//! one module, a module without a version, autoinstall with failures and BUILD_DEPENDS, and the
//! signing cases (MOK pair generated or unusable, sign_file, framework.conf, --config hash).

use super::*;
use hostkit_testkit::dkms::{
    DkmsRoot, Fixture, SystemGuard, Tool, arch, cert_cn, cert_serial, description, sig_key, signer,
    vermagic_release,
};
use std::fs;
use std::path::Path;

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
        assert_eq!(visible_tree_entries(&root), Vec::<String>::new(), "tree not empty");
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
    /// Signing: with the run's MOK pair every built module carries signer "DKMS module signing
    /// key" and sig_key = the certificate's serial, hash sha256; `--config` with
    /// CONFIG_MODULE_SIG_HASH="sha512" signs with sha512; a missing pair is generated where
    /// mok_signing_key/mok_certificate point, and used.
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

    }
}

both! {
    /// `sign_file` pointing nowhere, from framework.conf in the etc-dir (dkms 3.0.10 reads
    /// /etc/dkms/framework.conf; hostkit reads `<etc-dir>/framework.conf`): built unsigned with
    /// dkms's message.
    fn sign_file_from_framework_conf(tool: Tool) {
        let root = DkmsRoot::new();
        let k = root.kernels[0].clone();
        root.add_source(&Fixture::hello("nosign", "1.0"));
        root.run(&tool, &["add", "nosign/1.0"]).ok();
        root.write_etc("framework.conf", "sign_file=\"/no/such/file\"\n");
        let r = root.run(&tool, &["build", "nosign/1.0", "-k", &k]);
        r.ok();
        assert!(r.generic().starts_with("Binary /no/such/file not found, modules won't be signed\n"), "{}", r.all());
        assert_eq!(signer(&root.built_ko("nosign", "1.0", &k, "nosign")), "");
    }
}

both! {
    /// The same with `sign_file` from the environment (honoured by dkms 3.0.10).
    fn sign_file_from_environment(tool: Tool) {
        let mut root = DkmsRoot::new();
        let k = root.kernels[0].clone();
        root.add_source(&Fixture::hello("nosign", "1.0"));
        root.run(&tool, &["add", "nosign/1.0"]).ok();
        root.env.push(("sign_file".into(), "/no/such/file".into()));
        let r = root.run(&tool, &["build", "nosign/1.0", "-k", &k]);
        r.ok();
        assert!(r.generic().starts_with("Binary /no/such/file not found, modules won't be signed\n"), "{}", r.all());
        assert_eq!(signer(&root.built_ko("nosign", "1.0", &k, "nosign")), "");
        assert_eq!(root.status(&Tool::Real, &[]), line("nosign", "1.0", &k, "built"));
    }
}

both! {
    /// run_test.sh's dkms_nover_test: a module without MODULE_VERSION, dkms.conf with the
    /// unindexed BUILT_MODULE_NAME and DEST_MODULE_LOCATION="/kernel/extra" (Debian installs
    /// to updates/dkms anyway): build, install, uninstall, remove with dkms's transcripts.
    fn module_without_version(tool: Tool) {
        let root = DkmsRoot::new();
        let k = root.kernels[0].clone();
        let m = "dkms_nover_test";
        let mut f = Fixture::hello(m, "1.0").with_conf(&format!(
            "PACKAGE_NAME=\"{m}\"\nPACKAGE_VERSION=\"1.0\"\nBUILT_MODULE_NAME=\"{m}\"\n\
             AUTOINSTALL=\"yes\"\nDEST_MODULE_LOCATION=\"/kernel/extra\"\n"
        ));
        let c = f.files[&format!("{m}.c")].replace("MODULE_VERSION(\"1.0\");\n", "");
        f.files.insert(format!("{m}.c"), c);
        root.add_source(&f);
        root.run(&tool, &["add", &format!("{m}/1.0")]).ok();
        let r = root.run(&tool, &["build", "-k", &k, "-m", m, "-v", "1.0"]);
        r.ok();
        assert_out(&r, &build_transcript(&k, &[m]));
        let r = root.run(&tool, &["install", "-k", &k, "-m", m, "-v", "1.0"]);
        r.ok();
        assert_out(&r, &install_transcript(&root, &k, m, false));
        assert_eq!(root.status(&tool, &[]), line(m, "1.0", &k, "installed"));
        let installed = root.installed_ko(&k, m);
        assert_eq!(hostkit_testkit::dkms::modinfo(&installed, "version"), "");
        let r = root.run(&tool, &["uninstall", "-k", &k, "-m", m, "-v", "1.0"]);
        r.ok();
        assert_out(&r, &uninstall_transcript(&root, m, "1.0", &k, m));
        assert!(!installed.exists());
        let r = root.run(&tool, &["remove", "-k", &k, "-m", m, "-v", "1.0"]);
        r.ok();
        // Still built: remove unbuilds it silently after the "not installed" line.
        assert_out(&r, &format!("{}Deleting module {m}-1.0 completely from the DKMS tree.\n",
            not_installed(m, "1.0", &k)));
        assert!(!root.tree.join(m).exists());
        assert_eq!(root.status(&tool, &[]), "");
    }
}

both! {
    /// run_test.sh's bad signing paths: a key that cannot be generated, then a certificate that
    /// cannot be generated (with an existing key): dkms's message, the module built unsigned.
    fn unusable_mok_paths(tool: Tool) {
        let mut root = DkmsRoot::new().with_private_mok();
        let k = root.kernels[0].clone();
        fs::copy(&hostkit_testkit::dkms::mok().key, &root.mok.key).unwrap();
        root.add_source(&Fixture::hello("dkms_test", "1.0"));
        root.run(&tool, &["add", "dkms_test/1.0"]).ok();
        let ko = root.built_ko("dkms_test", "1.0", &k, "dkms_test");

        root.env.push(("mok_signing_key".into(), "/no/such/path.key".into()));
        let r = root.run(&tool, &["build", "dkms_test/1.0", "-k", &k]);
        r.ok();
        assert_out(&r, &format!("Key file /no/such/path.key not found and can't be generated, modules won't be signed\n{}",
            build_transcript(&k, &[])));
        assert_eq!(signer(&ko), "");

        root.env.clear();
        root.env.push(("mok_certificate".into(), "/no/such/path.crt".into()));
        let r = root.run(&tool, &["build", "dkms_test/1.0", "-k", &k, "--force"]);
        r.ok();
        assert_out(&r, &format!("Certificate file /no/such/path.crt not found and can't be generated, modules won't be signed\n{}",
            build_transcript(&k, &[])));
        assert_eq!(signer(&ko), "");
        assert!(!Path::new("/no/such").exists());
    }
}

both! {
    /// run_test.sh's variables_in_path.conf: framework.conf's mok paths may use ${kernelver};
    /// the pair is generated there and the module signed with it.
    fn mok_paths_with_kernelver_in_framework_conf(tool: Tool) {
        let root = DkmsRoot::new();
        let k = root.kernels[0].clone();
        let dir = root.path().join(format!("mok-{k}"));
        fs::create_dir(&dir).unwrap();
        let base = root.path().display().to_string();
        root.write_etc("framework.conf", &format!(
            "mok_signing_key=\"{base}/mok-${{kernelver}}/key\"\nmok_certificate=\"{base}/mok-${{kernelver}}/cert\"\n"));
        root.add_source(&Fixture::hello("dkms_test", "1.0"));
        root.run(&tool, &["add", "dkms_test/1.0"]).ok();
        // framework.conf is read after the environment: unset the run's pair for this one.
        let mut cmd = root.command(&tool, &["build", "dkms_test/1.0", "-k", &k, "--no-depmod"]);
        cmd.env_remove("mok_signing_key").env_remove("mok_certificate");
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(dir.join("key").is_file() && dir.join("cert").is_file(), "pair not generated in {}", dir.display());
        let ko = root.built_ko("dkms_test", "1.0", &k, "dkms_test");
        assert_eq!(sig_key(&ko), cert_serial(&dir.join("cert")));
    }
}
