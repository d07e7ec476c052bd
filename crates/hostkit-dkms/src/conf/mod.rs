//! dkms.conf as dkms 3.0.10 reads it (`read_conf`): the layer chain (the module's dkms.conf,
//! then `<etc>/<m>.conf`, `<m>-<v>.conf`, `<m>-<v>-<kver>.conf`, `<m>-<v>-<kver>-<arch>.conf`),
//! the variables dkms makes visible while sourcing them, and the typed result with dkms's
//! defaults, per-kernel MAKE/PATCH selection, BUILD_EXCLUSIVE and its error messages.

pub mod parse;
pub mod vars;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use parse::{NeedsBash, Scope, eval_plain};
pub use vars::{Vars, WHITELIST};

/// What dkms makes visible while it sources conf files, for one (module, kernel, arch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub module: String,
    pub module_version: String,
    pub kernelver: String,
    pub arch: String,
    pub kernel_source_dir: String,
    pub kernel_config: String,
    pub dkms_tree: String,
    pub source_tree: String,
    pub install_tree: String,
}

impl Context {
    /// The shell variables dkms has set when a conf file is sourced.
    pub fn shell_vars(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("module", &self.module),
            ("module_version", &self.module_version),
            ("kernelver", &self.kernelver),
            ("arch", &self.arch),
            ("kernel_source_dir", &self.kernel_source_dir),
            ("kernel_config", &self.kernel_config),
            ("dkms_tree", &self.dkms_tree),
            ("source_tree", &self.source_tree),
            ("install_tree", &self.install_tree),
            ("current_os", "Linux"),
        ]
    }

    /// The override files of `etc_dir`, in dkms's order (empty module/version give dkms's
    /// own odd names, as `dkms status` without a module does).
    pub fn layer_paths(&self, conf: &Path, etc_dir: &Path) -> Vec<PathBuf> {
        let (m, v, k, a) = (
            &self.module,
            &self.module_version,
            &self.kernelver,
            &self.arch,
        );
        vec![
            conf.to_path_buf(),
            etc_dir.join(format!("{m}.conf")),
            etc_dir.join(format!("{m}-{v}.conf")),
            etc_dir.join(format!("{m}-{v}-{k}.conf")),
            etc_dir.join(format!("{m}-{v}-{k}-{a}.conf")),
        ]
    }
}

/// One module record (`BUILT_MODULE_NAME[i]` and friends after dkms's defaults).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleRecord {
    pub built_name: String,
    /// With the trailing `/` dkms appends, or empty.
    pub built_location: String,
    pub dest_name: String,
    /// After the distribution override (`/updates/dkms` on Debian).
    pub dest_location: String,
    /// `DEST_MODULE_LOCATION[i]` as written.
    pub dest_location_raw: String,
    pub strip: bool,
}

/// The typed result of `read_conf` for one kernel and arch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Conf {
    pub package_name: String,
    pub package_version: String,
    pub modules: Vec<ModuleRecord>,
    pub make_command: String,
    pub clean: String,
    /// CLEAN was not set: dkms's default `make -C <kernel> M=<build> clean`.
    pub clean_is_default: bool,
    /// `patch_array`: the patches that apply to this kernel, in order.
    pub patches: Vec<String>,
    pub build_exclude: bool,
    pub pre_build: String,
    pub post_build: String,
    pub post_add: String,
    pub pre_install: String,
    pub post_install: String,
    pub post_remove: String,
    pub obsolete_by: String,
    pub autoinstall: bool,
    pub build_depends: Vec<String>,
    pub no_weak_modules: bool,
    /// dkms's `dkms.conf: Error! ...` lines (stderr); non-empty = bad conf (exit 8).
    pub errors: Vec<String>,
    /// Deprecated variables that were set (`Deprecated feature: NAME (file)`).
    pub deprecated: Vec<String>,
}

impl Conf {
    /// True when dkms would reject the file.
    pub fn is_bad(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// Machine facts `read_conf` consults besides the variables.
#[derive(Debug, Clone, Default)]
pub struct Facts<'a> {
    /// Distribution install location override (`/updates/dkms` on Debian/Ubuntu/Arch).
    pub location_override: Option<&'a str>,
    /// `$kernel_config` has `CONFIG_CC_IS_CLANG=y` (dkms adds `CC=clang` to MAKE).
    pub clang: bool,
    /// `$kernel_config` has `CONFIG_LD_IS_LLD=y` (dkms adds `LD=ld.lld`).
    pub lld: bool,
    /// Text of `$kernel_source_dir/.config` (BUILD_EXCLUSIVE_CONFIG), if it exists.
    pub source_dir_config: Option<&'a str>,
}

fn ere_match(re: &str, s: &str) -> bool {
    regex::Regex::new(re).is_ok_and(|r| r.is_match(s))
}

fn config_has(config: &str, name: &str) -> bool {
    config.lines().any(|l| {
        l.strip_prefix(name)
            .and_then(|r| r.strip_prefix('='))
            .is_some_and(|r| r.starts_with(['y', 'm']))
    })
}

/// dkms's post-processing of the sourced variables (read_conf after the sourcing loop).
pub fn typed(v: &Vars, ctx: &Context, facts: &Facts) -> Conf {
    let mut c = Conf {
        package_name: v.scalar("PACKAGE_NAME").to_string(),
        package_version: v.scalar("PACKAGE_VERSION").to_string(),
        clean: v.scalar("CLEAN").to_string(),
        pre_build: v.scalar("PRE_BUILD").to_string(),
        post_build: v.scalar("POST_BUILD").to_string(),
        post_add: v.scalar("POST_ADD").to_string(),
        pre_install: v.scalar("PRE_INSTALL").to_string(),
        post_install: v.scalar("POST_INSTALL").to_string(),
        post_remove: v.scalar("POST_REMOVE").to_string(),
        obsolete_by: v.scalar("OBSOLETE_BY").to_string(),
        autoinstall: !v.scalar("AUTOINSTALL").is_empty(),
        no_weak_modules: !v.scalar("NO_WEAK_MODULES").is_empty(),
        ..Conf::default()
    };
    // `${BUILD_DEPENDS[@]}` joined then split.
    if let Some(arr) = v.map.get("BUILD_DEPENDS") {
        c.build_depends = arr
            .values()
            .flat_map(|s| s.split_ascii_whitespace())
            .map(str::to_string)
            .collect();
    }
    records(v, ctx, facts, &mut c);
    make_and_patches(v, ctx, facts, &mut c);
    if c.package_name.is_empty() {
        c.errors
            .push("dkms.conf: Error! No 'PACKAGE_NAME' directive specified.".into());
    }
    if c.package_version.is_empty() {
        c.errors
            .push("dkms.conf: Error! No 'PACKAGE_VERSION' directive specified.".into());
    }
    c
}

fn records(v: &Vars, ctx: &Context, facts: &Facts, c: &mut Conf) {
    let size = [
        "BUILT_MODULE_NAME",
        "BUILT_MODULE_LOCATION",
        "DEST_MODULE_NAME",
        "DEST_MODULE_LOCATION",
    ]
    .iter()
    .map(|n| v.count(n))
    .max()
    .unwrap_or(0);
    let mut strip0: Option<bool> = None;
    for i in 0..size {
        let mut built = v.get("BUILT_MODULE_NAME", i).to_string();
        let mut loc = v.get("BUILT_MODULE_LOCATION", i).to_string();
        let mut dest = v.get("DEST_MODULE_NAME", i).to_string();
        let raw_loc = v.get("DEST_MODULE_LOCATION", i).to_string();
        let strip = match v.get("STRIP", i).chars().next() {
            Some('n' | 'N') => false,
            Some('y' | 'Y') => true,
            None => strip0.unwrap_or(true),
            // Any other value leaves strip[i] unset: treated as "yes" where it is used.
            Some(_) => true,
        };
        if i == 0 {
            strip0 = Some(strip);
        }
        if built.is_empty() && v.count("DEST_MODULE_LOCATION") == 1 {
            built = c.package_name.clone();
        }
        if dest.is_empty() {
            dest = built.clone();
        }
        if !loc.is_empty() && !loc.ends_with('/') {
            loc.push('/');
        }
        if built.is_empty() {
            c.errors.push(format!(
                "dkms.conf: Error! No 'BUILT_MODULE_NAME' directive specified for record #{i}."
            ));
        }
        if built.ends_with(".o") || built.ends_with(".ko") {
            c.errors.push(format!(
                "dkms.conf: Error! 'BUILT_MODULE_NAME' directive ends in '.o' or '.ko' in record #{i}."
            ));
        }
        if dest.ends_with(".o") || dest.ends_with(".ko") {
            c.errors.push(format!(
                "dkms.conf: Error! 'DEST_MODULE_NAME' directive ends in '.o' or '.ko' in record #{i}."
            ));
        }
        // override_dest_module_location receives the unquoted lowercase value (empty
        // stays empty unless the distribution overrides it).
        let dest_location = match facts.location_override {
            Some(o) => o.to_string(),
            None => raw_loc
                .split_ascii_whitespace()
                .next()
                .unwrap_or("")
                .to_string(),
        };
        if raw_loc.is_empty() {
            c.errors.push(format!(
                "dkms.conf: Error! No 'DEST_MODULE_LOCATION' directive specified for record #{i}."
            ));
        }
        if !["/kernel", "/updates", "/extra"]
            .iter()
            .any(|p| raw_loc.starts_with(p))
        {
            c.errors.push(
                "dkms.conf: Error! Directive 'DEST_MODULE_LOCATION' does not begin with".into(),
            );
            c.errors.push(format!(
                "'/kernel', '/updates', or '/extra' in record #{i}."
            ));
        }
        c.modules.push(ModuleRecord {
            built_name: built,
            built_location: loc,
            dest_name: dest,
            dest_location,
            dest_location_raw: raw_loc,
            strip,
        });
    }
    if c.modules.is_empty() {
        c.errors
            .push("dkms.conf: Error! No 'DEST_MODULE_LOCATION' directive specified.".into());
    }
    let _ = ctx;
}

fn make_and_patches(v: &Vars, ctx: &Context, facts: &Facts, c: &mut Conf) {
    let k = &ctx.kernelver;
    let mut make = if v.get("MAKE_MATCH", 0).is_empty() {
        v.get("MAKE", 0).to_string()
    } else {
        String::new()
    };
    for i in 0..v.count("MAKE") {
        let (mk, mm) = (v.get("MAKE", i), v.get("MAKE_MATCH", i));
        if !mk.is_empty() && !mm.is_empty() && ere_match(mm, k) {
            make = mk.to_string();
        }
    }
    let build = format!(
        "{}/{}/{}/build",
        ctx.dkms_tree, ctx.module, ctx.module_version
    );
    if make.is_empty() {
        make = format!("make -C {} M={build}", ctx.kernel_source_dir);
    }
    if c.clean.is_empty() {
        c.clean_is_default = true;
        c.clean = format!("make -C {} M={build} clean", ctx.kernel_source_dir);
    }
    if facts.clang {
        make.push_str(" CC=clang");
    }
    if facts.lld {
        make.push_str(" LD=ld.lld");
    }
    c.make_command = make;
    for i in 0..v.count("PATCH") {
        let (p, pm) = (v.get("PATCH", i), v.get("PATCH_MATCH", i));
        if !p.is_empty() && (pm.is_empty() || ere_match(pm, k)) {
            c.patches.push(p.to_string());
        }
    }
    let mut exclude = !v.scalar("build_exclude").is_empty();
    let bek = v.scalar("BUILD_EXCLUSIVE_KERNEL");
    if !bek.is_empty() && !ere_match(bek, k) {
        exclude = true;
    }
    let bea = v.scalar("BUILD_EXCLUSIVE_ARCH");
    if !bea.is_empty() && !ere_match(bea, &ctx.arch) {
        exclude = true;
    }
    let bec = v.scalar("BUILD_EXCLUSIVE_CONFIG");
    if let (false, Some(cfg)) = (bec.is_empty(), facts.source_dir_config) {
        for kc in bec.split_ascii_whitespace() {
            match kc.strip_prefix('!') {
                Some(name) if config_has(cfg, name) => exclude = true,
                None if !config_has(cfg, kc) => exclude = true,
                _ => {}
            }
        }
    }
    c.build_exclude = exclude;
    for name in [
        "REMAKE_INITRD",
        "MODULES_CONF",
        "MODULES_CONF_OBSOLETES",
        "MODULES_CONF_ALIAS_TYPE",
        "MODULES_CONF_OBSOLETE_ONLY",
    ] {
        if v.is_set(name) {
            c.deprecated.push(name.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            module: "hello".into(),
            module_version: "0.1".into(),
            kernelver: "6.1.0-57-amd64".into(),
            arch: "x86_64".into(),
            kernel_source_dir: "/lib/modules/6.1.0-57-amd64/build".into(),
            kernel_config: "/lib/modules/6.1.0-57-amd64/build/.config".into(),
            dkms_tree: "/var/lib/dkms".into(),
            source_tree: "/usr/src".into(),
            install_tree: "/lib/modules".into(),
        }
    }

    fn conf(text: &str) -> Conf {
        let mut v = Vars::default();
        eval_plain(text, &|_: &str| None, &mut v).unwrap();
        let facts = Facts {
            location_override: Some("/updates/dkms"),
            ..Facts::default()
        };
        typed(&v.exported(), &ctx(), &facts)
    }

    #[test]
    fn defaults_like_dkms() {
        let c = conf("PACKAGE_NAME=hello\nPACKAGE_VERSION=0.1\nDEST_MODULE_LOCATION[0]=/extra\n");
        assert!(!c.is_bad(), "{:?}", c.errors);
        assert_eq!(c.modules[0].built_name, "hello");
        assert_eq!(c.modules[0].dest_location, "/updates/dkms");
        assert_eq!(
            c.make_command,
            "make -C /lib/modules/6.1.0-57-amd64/build M=/var/lib/dkms/hello/0.1/build"
        );
    }

    #[test]
    fn patch_match_selects_flavour() {
        let c = conf(
            "PACKAGE_NAME=h\nPACKAGE_VERSION=1\nBUILT_MODULE_NAME[0]=h\nDEST_MODULE_LOCATION[0]=/updates\n\
             PATCH[0]=a.patch\nPATCH_MATCH[0]=cloud\nPATCH[1]=b.patch\nPATCH_MATCH[1]='^6[.]1[.]0-57-amd64$'\n",
        );
        assert_eq!(c.patches, ["b.patch"]);
    }

    #[test]
    fn errors_like_dkms() {
        let c = conf("PACKAGE_NAME=h\nBUILT_MODULE_NAME[0]=h.ko\nDEST_MODULE_LOCATION[0]=/lib\n");
        assert!(c.errors.iter().any(|e| e.contains("ends in '.o' or '.ko'")));
        assert!(c.errors.iter().any(|e| e.contains("does not begin with")));
        assert!(c.errors.iter().any(|e| e.contains("PACKAGE_VERSION")));
    }

    #[test]
    fn build_exclusive() {
        let c = conf(
            "PACKAGE_NAME=h\nPACKAGE_VERSION=1\nDEST_MODULE_LOCATION=/updates\nBUILD_EXCLUSIVE_KERNEL='^5[.]'\n",
        );
        assert!(c.build_exclude);
    }
}
