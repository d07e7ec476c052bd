//! Evaluates a dkms.conf layer chain for one (module, version, kernel, arch): every layer
//! through the static tier when all are plain, else the whole chain through one
//! `bash --noprofile --norc` that sources each layer in a subshell and reads the whitelisted
//! variables back exactly as dkms's `safe_source` does. Results are cached per chain.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use thiserror::Error;

use crate::conf::{self, Conf, Context, Facts, Vars, WHITELIST, eval_plain, vars::is_whitelisted};

/// Why a conf chain could not be evaluated.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum ConfError {
    /// dkms: `Could not locate dkms.conf file.` (exit 4).
    #[error("could not locate dkms.conf file `{path}`")]
    Missing { path: String },
    /// bash could not be run or its output could not be read.
    #[error("evaluating `{path}` with bash: {reason}")]
    Bash { path: String, reason: String },
}

/// Which tier evaluated a chain (for `--dry-run` and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Static,
    Bash,
}

/// (conf path, etc dir, the visible dkms variables).
type CacheKey = (String, PathBuf, Vec<(String, String)>);

/// Reads dkms.conf chains with a per-process cache.
#[derive(Debug, Default)]
pub struct ConfReader {
    cache: HashMap<CacheKey, (Vars, Tier)>,
    /// Typed results by chain and location override.
    typed: HashMap<(CacheKey, Option<String>), Conf>,
    /// Kernel `.config` texts by path (read once per process, not per entry).
    configs: HashMap<String, Option<std::rc::Rc<str>>>,
    /// (clang, lld) of a kernel `.config` by path.
    toolchains: HashMap<String, (bool, bool)>,
    /// bash processes started so far.
    pub forks: usize,
    /// Force the bash tier (tests compare both tiers).
    pub force_bash: bool,
}

fn readable(path: &str) -> bool {
    std::fs::File::open(path).is_ok_and(|f| f.metadata().is_ok_and(|m| !m.is_dir()))
}

impl ConfReader {
    /// The raw variables of the chain `conf_path` + the four layers of `etc_dir`.
    pub fn vars(
        &mut self,
        conf_path: &str,
        etc_dir: &Path,
        ctx: &Context,
    ) -> Result<(Vars, Tier), ConfError> {
        if !readable(conf_path) {
            return Err(ConfError::Missing {
                path: conf_path.to_string(),
            });
        }
        let key = (
            conf_path.to_string(),
            etc_dir.to_path_buf(),
            ctx.shell_vars()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        if let Some(hit) = self.cache.get(&key) {
            return Ok(hit.clone());
        }
        let layers: Vec<PathBuf> = ctx
            .layer_paths(Path::new(conf_path), etc_dir)
            .into_iter()
            .filter(|p| p.exists())
            .collect();
        let result = match (self.force_bash, static_chain(&layers, ctx)) {
            (false, Some(v)) => (v, Tier::Static),
            _ => {
                self.forks += 1;
                (bash_chain(&layers, ctx, conf_path)?, Tier::Bash)
            }
        };
        self.cache.insert(key, result.clone());
        Ok(result)
    }

    /// The typed conf (dkms's `read_conf`) for a context.
    pub fn read(
        &mut self,
        conf_path: &str,
        etc_dir: &Path,
        ctx: &Context,
        location_override: Option<&str>,
    ) -> Result<Conf, ConfError> {
        let key = (
            (
                conf_path.to_string(),
                etc_dir.to_path_buf(),
                ctx.shell_vars()
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            location_override.map(str::to_string),
        );
        if let Some(c) = self.typed.get(&key) {
            if !readable(conf_path) {
                return Err(ConfError::Missing {
                    path: conf_path.to_string(),
                });
            }
            return Ok(c.clone());
        }
        let (vars, _) = self.vars(conf_path, etc_dir, ctx)?;
        let (clang, lld) = self.toolchain(&ctx.kernel_config.clone());
        let sconfig = if vars.is_set("BUILD_EXCLUSIVE_CONFIG") {
            self.config(&format!("{}/.config", ctx.kernel_source_dir))
        } else {
            None
        };
        let facts = Facts {
            location_override,
            clang,
            lld,
            source_dir_config: sconfig.as_deref(),
        };
        let c = conf::typed(&vars, ctx, &facts);
        self.typed.insert(key, c.clone());
        Ok(c)
    }
}

impl ConfReader {
    fn toolchain(&mut self, path: &str) -> (bool, bool) {
        if let Some(t) = self.toolchains.get(path) {
            return *t;
        }
        let t = self.config(path).map_or((false, false), |c| {
            (
                c.contains("CONFIG_CC_IS_CLANG=y"),
                c.contains("CONFIG_LD_IS_LLD=y"),
            )
        });
        self.toolchains.insert(path.to_string(), t);
        t
    }

    fn config(&mut self, path: &str) -> Option<std::rc::Rc<str>> {
        self.configs
            .entry(path.to_string())
            .or_insert_with(|| std::fs::read_to_string(path).ok().map(std::rc::Rc::from))
            .clone()
    }
}

/// The static tier over a whole chain; None when any layer needs bash.
fn static_chain(layers: &[PathBuf], ctx: &Context) -> Option<Vars> {
    let shell: Vec<(&str, &str)> = ctx.shell_vars();
    let mut acc = Vars::default();
    for layer in layers {
        let text = std::fs::read_to_string(layer).ok()?;
        let scope = |name: &str| -> Option<String> {
            if let Some((_, v)) = shell.iter().find(|(k, _)| *k == name) {
                return Some(v.to_string());
            }
            if is_whitelisted(name) {
                return None;
            }
            std::env::var(name).ok()
        };
        let mut local = acc.clone();
        eval_plain(&text, &scope, &mut local).ok()?;
        acc.merge(&local.exported());
    }
    Some(acc)
}

/// One bash for the chain: dkms's globals set, whitelisted names unset, each layer sourced in
/// a subshell whose whitelisted variables are echoed (split, globbed and joined as dkms's
/// `eval echo` does) and re-read in the parent; then every element printed NUL-separated.
fn bash_chain(layers: &[PathBuf], ctx: &Context, conf_path: &str) -> Result<Vars, ConfError> {
    let wl = WHITELIST.join(" ");
    let mut script = String::from("shopt -s extglob\n");
    for (k, v) in ctx.shell_vars() {
        script.push_str(&format!("{k}={}\n", hostkit_render::shell::word(v)));
    }
    script.push_str(&format!(
        r#"__hk_wl="{wl}"
for __hk_n in $__hk_wl; do unset $__hk_n; done
for __hk_f in "$@"; do
  __hk_out=$( . "$__hk_f" >/dev/null
    for __hk_n in $__hk_wl; do
      eval "__hk_ix=\${{!$__hk_n[*]}}"
      for __hk_i in $__hk_ix; do
        eval "__hk_v=\${{$__hk_n[$__hk_i]}}"
        echo $__hk_n[$__hk_i]=\"$__hk_v\"
      done
    done )
  eval "$__hk_out"
done
for __hk_n in $__hk_wl; do
  eval "__hk_ix=\${{!$__hk_n[*]}}"
  for __hk_i in $__hk_ix; do
    eval "__hk_v=\${{$__hk_n[$__hk_i]}}"
    printf '%s\0%s\0%s\0' "$__hk_n" "$__hk_i" "$__hk_v"
  done
done
"#
    ));
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-c", &script, "dkms"])
        .args(layers)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| ConfError::Bash {
            path: conf_path.to_string(),
            reason: e.to_string(),
        })?;
    let mut vars = Vars::default();
    let fields: Vec<&[u8]> = out.stdout.split(|b| *b == 0).collect();
    for rec in fields.chunks(3) {
        if let [name, idx, val] = rec {
            let idx = std::str::from_utf8(idx)
                .ok()
                .and_then(|i| i.parse().ok())
                .ok_or_else(|| ConfError::Bash {
                    path: conf_path.to_string(),
                    reason: "unreadable output".into(),
                })?;
            vars.set(
                &String::from_utf8_lossy(name),
                idx,
                String::from_utf8_lossy(val).into_owned(),
            );
        }
    }
    Ok(vars)
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
            kernel_source_dir: "/nonexistent/build".into(),
            kernel_config: "/nonexistent/build/.config".into(),
            dkms_tree: "/t/dkms".into(),
            source_tree: "/t/src".into(),
            install_tree: "/t/lib".into(),
        }
    }

    fn both(files: &[(&str, &str)]) -> (Vars, Vars) {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("etc");
        std::fs::create_dir(&etc).unwrap();
        let conf = dir.path().join("dkms.conf");
        for (name, text) in files {
            let p = if *name == "dkms.conf" {
                conf.clone()
            } else {
                etc.join(name)
            };
            std::fs::write(p, text).unwrap();
        }
        let c = conf.to_str().unwrap();
        let mut r = ConfReader::default();
        let (s, tier) = r.vars(c, &etc, &ctx()).unwrap();
        assert_eq!(tier, Tier::Static);
        let mut b = ConfReader {
            force_bash: true,
            ..ConfReader::default()
        };
        let (bv, tier) = b.vars(c, &etc, &ctx()).unwrap();
        assert_eq!(tier, Tier::Bash);
        (s, bv)
    }

    #[test]
    fn tiers_agree_on_layers() {
        let (s, b) = both(&[
            (
                "dkms.conf",
                "PACKAGE_NAME=hello\nPACKAGE_VERSION=\"0.1\"\nMAKE[0]=\"make  KVER=$kernelver M=${dkms_tree}/x\"\n\
                 PATCH[0]=a.patch\nPATCH_MATCH[0]=cloud\nlocal_thing=1\n",
            ),
            (
                "hello-0.1.conf",
                "PATCH[1]=b.patch\nPATCH_MATCH[1]='^6[.]1$'\nX=$local_thing\n",
            ),
            ("hello-0.1-6.1.0-57-amd64.conf", "PATCH=(c.patch)\n"),
        ]);
        assert_eq!(s, b);
        assert_eq!(s.get("PATCH", 0), "c.patch");
        assert_eq!(s.get("PATCH", 1), "b.patch");
        assert_eq!(s.get("MAKE", 0), "make KVER=6.1.0-57-amd64 M=/t/dkms/x");
    }

    #[test]
    fn bash_tier_for_logic() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("dkms.conf");
        std::fs::write(
            &conf,
            "PACKAGE_NAME=h\nif [[ $kernelver == *cloud* ]]; then PACKAGE_VERSION=c; else PACKAGE_VERSION=$(echo d); fi\n",
        )
        .unwrap();
        let mut r = ConfReader::default();
        let (v, tier) = r.vars(conf.to_str().unwrap(), dir.path(), &ctx()).unwrap();
        assert_eq!(tier, Tier::Bash);
        assert_eq!(v.scalar("PACKAGE_VERSION"), "d");
        assert_eq!(r.forks, 1);
        r.vars(conf.to_str().unwrap(), dir.path(), &ctx()).unwrap();
        assert_eq!(r.forks, 1, "cached");
    }

    #[test]
    fn missing_conf() {
        let mut r = ConfReader::default();
        assert!(matches!(
            r.vars("/nonexistent/dkms.conf", Path::new("/nonexistent"), &ctx()),
            Err(ConfError::Missing { .. })
        ));
    }

    mod agreement {
        use super::*;
        use proptest::prelude::*;

        /// A value word in one of bash's quoting styles, built from safe pieces and
        /// references to dkms's variables or earlier assignments.
        fn word() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                "[a-zA-Z0-9_./:,+=@%-]{1,8}",
                Just("$kernelver".to_string()),
                Just("${dkms_tree}".to_string()),
                Just("$local_a".to_string()),
                Just("${PACKAGE_NAME}".to_string()),
            ];
            (prop::collection::vec(piece, 1..4), 0..3u8).prop_map(|(ps, style)| {
                let joined = ps.concat();
                match style {
                    0 => joined,
                    1 => format!("\"{} {}\"", joined, ps[0]),
                    _ if !joined.contains('$') => format!("'{joined}'"),
                    _ => format!("\"{joined}\""),
                }
            })
        }

        fn quoted_word() -> impl Strategy<Value = String> {
            "[a-zA-Z0-9_./:-]{1,8}".prop_map(|w| format!("\"{w}\""))
        }

        fn line() -> impl Strategy<Value = String> {
            let name = prop::sample::select(vec![
                "PACKAGE_NAME",
                "PACKAGE_VERSION",
                "MAKE",
                "PATCH",
                "PATCH_MATCH",
                "BUILT_MODULE_NAME",
                "DEST_MODULE_LOCATION",
                "local_a",
                "AUTOINSTALL",
            ]);
            prop_oneof![
                (name.clone(), word()).prop_map(|(n, w)| format!("{n}={w}")),
                (name.clone(), 0..3usize, word()).prop_map(|(n, i, w)| format!("{n}[{i}]={w}")),
                (name, prop::collection::vec(quoted_word(), 0..3))
                    .prop_map(|(n, ws)| format!("{n}=({})", ws.join(" "))),
                Just("# a comment".to_string()),
                Just(String::new()),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(40))]
            /// The static tier and bash agree on every plain file and layer chain.
            #[test]
            fn static_and_bash_agree(
                conf in prop::collection::vec(line(), 1..8),
                layer in prop::collection::vec(line(), 0..4),
            ) {
                let (s, b) = both(&[
                    ("dkms.conf", &(conf.join("\n") + "\n")),
                    ("hello-0.1.conf", &(layer.join("\n") + "\n")),
                ]);
                prop_assert_eq!(s, b);
            }
        }
    }
}
