//! Fixture modules written by the project: hello, multi-module, failing, BUILD_EXCLUSIVE,
//! PATCH/PATCH_MATCH, a MAKE naming the shared build dir, BUILD_DEPENDS; and the patch that
//! turns a module's description from `unpatched` to `patched`.

use std::collections::BTreeMap;

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::process::{Command, Stdio};

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
}
