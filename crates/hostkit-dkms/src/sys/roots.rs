//! Where a dkms tree lives: `--dkmstree`, `--sourcetree`, `--installtree`,
//! `--kernelsourcedir`, `--config`, `-c` and hostkit's `--etc-dir`, kept as the strings the user
//! gave (dkms compares `readlink -f` results with them textually), plus machine facts dkms
//! derives (the distribution's install location, the module compression suffix).

use std::path::{Path, PathBuf};

use crate::conf::Context;

/// The roots and per-invocation settings of a dkms command.
#[derive(Debug, Clone)]
pub struct Roots {
    pub dkms_tree: String,
    pub source_tree: String,
    pub install_tree: String,
    pub etc_dir: PathBuf,
    /// `--kernelsourcedir` (else `/lib/modules/<kver>/build`).
    pub kernel_source_dir: Option<String>,
    /// `--config` (else `<kernel_source_dir>/.config`).
    pub kernel_config: Option<String>,
    /// `-c FILE` (else `<dkms_tree>/<m>/<v>/source/dkms.conf`).
    pub conf: Option<String>,
    /// `/updates/dkms` on Debian, Ubuntu and Arch (dkms's override_dest_module_location).
    pub location_override: Option<String>,
    /// `framework.conf` and `framework.conf.d/*.conf` of the etc dir, in dkms's order. Their
    /// signing variables are read per build (they may use `${kernelver}`) and win over the
    /// environment, as in dkms.
    pub framework_files: Vec<PathBuf>,
}

impl Default for Roots {
    fn default() -> Self {
        Roots {
            dkms_tree: "/var/lib/dkms".into(),
            source_tree: "/usr/src".into(),
            install_tree: "/lib/modules".into(),
            etc_dir: PathBuf::from("/etc/dkms"),
            kernel_source_dir: None,
            kernel_config: None,
            conf: None,
            location_override: distro_location_override(Path::new("/etc/os-release")),
            framework_files: Vec::new(),
        }
    }
}

impl Roots {
    /// `<dkms_tree>/<m>/<v>`.
    pub fn mv_dir(&self, m: &str, v: &str) -> String {
        format!("{}/{m}/{v}", self.dkms_tree)
    }

    /// `<dkms_tree>/<m>/<v>/<k>/<a>`, the string dkms compares `readlink -f` with.
    pub fn base_dir(&self, m: &str, v: &str, k: &str, a: &str) -> String {
        format!("{}/{m}/{v}/{k}/{a}", self.dkms_tree)
    }

    /// The kernel build directory dkms uses for `kver`.
    pub fn kernel_source_dir(&self, kver: &str) -> String {
        self.kernel_source_dir
            .clone()
            .unwrap_or_else(|| format!("/lib/modules/{kver}/build"))
    }

    /// The kernel `.config` dkms uses for `kver`.
    pub fn kernel_config(&self, kver: &str) -> String {
        self.kernel_config
            .clone()
            .unwrap_or_else(|| format!("{}/.config", self.kernel_source_dir(kver)))
    }

    /// The conf file dkms reads for a module version.
    pub fn conf_path(&self, m: &str, v: &str) -> String {
        self.conf
            .clone()
            .unwrap_or_else(|| format!("{}/source/dkms.conf", self.mv_dir(m, v)))
    }

    /// The sourcing context for (module, version, kernel, arch).
    pub fn context(&self, m: &str, v: &str, k: &str, a: &str) -> Context {
        Context {
            module: m.into(),
            module_version: v.into(),
            kernelver: k.into(),
            arch: a.into(),
            kernel_source_dir: self.kernel_source_dir(k),
            kernel_config: self.kernel_config(k),
            dkms_tree: self.dkms_tree.clone(),
            source_tree: self.source_tree.clone(),
            install_tree: self.install_tree.clone(),
        }
    }

    /// `sign_file`, `mok_signing_key`, `mok_certificate` as framework.conf sets them for a
    /// build on `kver` (plain files; `${kernelver}` and the environment expand).
    pub fn framework_signing(&self, kver: &str) -> [Option<String>; 3] {
        let mut vars = crate::conf::Vars::default();
        for f in &self.framework_files {
            let Ok(text) = std::fs::read_to_string(f) else {
                continue;
            };
            let scope = |n: &str| match n {
                "kernelver" => Some(kver.to_string()),
                "dkms_tree" => Some(self.dkms_tree.clone()),
                "source_tree" => Some(self.source_tree.clone()),
                "install_tree" => Some(self.install_tree.clone()),
                _ => std::env::var(n).ok(),
            };
            let mut local = vars.clone();
            if crate::conf::eval_plain(&text, &scope, &mut local).is_ok() {
                vars = local;
            }
        }
        ["sign_file", "mok_signing_key", "mok_certificate"]
            .map(|n| vars.is_set(n).then(|| vars.scalar(n).to_string()))
    }

    /// dkms's `set_module_suffix`: the compression suffix of the kernel's own modules, read
    /// from `/lib/modules/<kver>/modules.dep` (dkms ignores `--installtree` here).
    pub fn compressed_suffix(kver: &str) -> Option<&'static str> {
        let dep = std::fs::read(format!("/lib/modules/{kver}/modules.dep")).ok()?;
        let has = |s: &[u8]| dep.windows(s.len()).any(|w| w == s);
        let mut suffix = None;
        for (needle, s) in [(&b".gz:"[..], ".gz"), (b".xz:", ".xz"), (b".zst:", ".zst")] {
            if has(needle) {
                suffix = Some(s);
            }
        }
        suffix
    }
}

/// dkms's `override_dest_module_location` from `/etc/os-release`'s `ID`.
pub fn distro_location_override(os_release: &Path) -> Option<String> {
    let text = std::fs::read_to_string(os_release).ok()?;
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k))
            .map(|v| v.trim_matches(['"', '\'']).to_string())
    };
    let id = field("ID=").unwrap_or_default();
    // distro_version: ID for ubuntu, else the first word of ID_LIKE, else ID.
    let like = field("ID_LIKE=").and_then(|l| l.split_whitespace().next().map(str::to_string));
    let id = match like {
        Some(l) if id != "ubuntu" => l,
        _ => id,
    };
    let id = id.as_str();
    match id {
        i if i.starts_with("fedora") || i.starts_with("rhel") || i.starts_with("ovm") => {
            Some("/extra".into())
        }
        i if i.starts_with("sles") || i.starts_with("suse") || i.starts_with("opensuse") => {
            Some("/updates".into())
        }
        i if i.starts_with("debian") || i.starts_with("ubuntu") || i.starts_with("arch") => {
            Some("/updates/dkms".into())
        }
        _ => None,
    }
}
