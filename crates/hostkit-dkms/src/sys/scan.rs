//! The status scan: dkms 3.0.10's `module_status`/`module_status_built`/
//! `module_status_built_extra` over a tree, in bash glob order, with its quirks (unquoted
//! glob arguments, `-k` on a kernel without a build lists `added`, a bad or missing
//! dkms.conf on a built entry ends the listing). No process is started for plain confs.

use std::path::Path;

use crate::conf::Conf;
use crate::glob;
use crate::status::{Entry, Report, State, Suffix};
use crate::sys::modinfo::verinfo;
use crate::sys::{ConfError, ConfReader, Roots};

/// What `dkms status` was asked for (unquoted glob patterns, as dkms passes them).
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub module: String,
    pub version: String,
    /// `-k` values; empty = all kernels.
    pub kernels: Vec<String>,
    /// `-a` values (1:1 with kernels, or one for all).
    pub arches: Vec<String>,
}

fn is_dir(p: &str) -> bool {
    Path::new(p).is_dir()
}

fn is_symlink(p: &str) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
}

fn exists(p: &str) -> bool {
    Path::new(p).exists()
}

/// Names in `dir` matching a glob `pattern` (literal when it has no metacharacters), hidden
/// names only when the pattern starts with a dot, as bash expands them.
fn expand(dir: &str, pattern: &str, want_dir: bool) -> Vec<String> {
    if !glob::has_meta(pattern) && pattern != "+([0-9]).*" {
        return vec![pattern.to_string()];
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.') || pattern.starts_with('.'))
        .filter(|n| {
            if pattern == "+([0-9]).*" {
                glob::is_kernel_dir_name(n)
            } else {
                glob::matches(pattern, n)
            }
        })
        .filter(|n| !want_dir || is_dir(&format!("{dir}/{n}")))
        .collect();
    out.sort();
    out
}

/// Pairs `a/b` in bash glob order (the whole path sorted bytewise, `LC_ALL=C`).
fn expand2(root: &str, p1: &str, p2: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for a in expand(root, p1, true) {
        for b in expand(&format!("{root}/{a}"), p2, false) {
            out.push((a.clone(), b));
        }
    }
    out.sort_by(|x, y| format!("{}/{}", x.0, x.1).cmp(&format!("{}/{}", y.0, y.1)));
    out
}

/// dkms's `compressed_or_uncompressed`.
pub fn ko_path(dir: &str, name: &str, compressed: Option<&str>) -> Option<String> {
    let t1 = format!("{dir}/{name}.ko");
    if exists(&t1) {
        return Some(t1);
    }
    let t2 = format!("{dir}/{name}.ko{}", compressed.unwrap_or(""));
    exists(&t2).then_some(t2)
}

/// `readlink -f` (canonical path; the last component may be missing).
fn readlink_f(p: &str) -> Option<String> {
    if let Ok(c) = std::fs::canonicalize(p) {
        return c.to_str().map(str::to_string);
    }
    let path = Path::new(p);
    let parent = std::fs::canonicalize(path.parent()?).ok()?;
    let target = std::fs::read_link(path).ok();
    match target {
        Some(t) if t.is_absolute() => t.to_str().map(str::to_string),
        Some(t) => parent.join(t).to_str().map(str::to_string),
        None => parent.join(path.file_name()?).to_str().map(str::to_string),
    }
}

/// Scans a tree like `dkms status`.
pub struct Scanner<'a> {
    pub roots: &'a Roots,
    pub reader: &'a mut ConfReader,
}

impl Scanner<'_> {
    /// dkms's `is_module_added`.
    pub fn is_added(&self, m: &str, v: &str) -> bool {
        if m.is_empty() || v.is_empty() {
            return false;
        }
        let d = self.roots.mv_dir(m, v);
        let src = format!("{d}/source");
        is_dir(&d) && (is_symlink(&src) || is_dir(&src))
    }

    /// dkms's `_is_module_installed`.
    pub fn is_installed_link(&self, m: &str, v: &str, k: &str, a: &str) -> bool {
        let link = format!("{}/{m}/kernel-{k}-{a}", self.roots.dkms_tree);
        is_symlink(&link) && readlink_f(&link).as_deref() == Some(&self.roots.base_dir(m, v, k, a))
    }

    /// dkms's `read_conf` for a status check, with the command line's module/version naming
    /// the override layers.
    fn conf(
        &mut self,
        cli_mv: (&str, &str),
        conf_path: &str,
        k: &str,
        a: &str,
    ) -> Result<Conf, ConfError> {
        let ctx = self.roots.context(cli_mv.0, cli_mv.1, k, a);
        self.reader.read(
            conf_path,
            &self.roots.etc_dir,
            &ctx,
            self.roots.location_override.as_deref(),
        )
    }

    /// dkms's `is_module_built`: Ok(None) when not built, Err(messages) when dkms dies.
    pub fn is_built(
        &mut self,
        cli_mv: (&str, &str),
        mvka: (&str, &str, &str, &str),
        suffix: &mut Option<&'static str>,
    ) -> Result<bool, Vec<String>> {
        let (m, v, k, a) = mvka;
        let d = self.roots.base_dir(m, v, k, a);
        if !is_dir(&format!("{d}/module")) {
            return Ok(false);
        }
        let conf_path = self.roots.conf_path(m, v);
        let conf = match self.conf(cli_mv, &conf_path, k, a) {
            Ok(c) => c,
            Err(ConfError::Missing { path }) => {
                return Err(vec![
                    "Error! Could not locate dkms.conf file.".into(),
                    format!("File: {path} does not exist."),
                ]);
            }
            Err(e) => return Err(vec![format!("Error! {e}")]),
        };
        if conf.is_bad() {
            let mut msgs = conf.errors.clone();
            msgs.push("Error! Bad conf file.".into());
            msgs.push(format!(
                "File: {} does not represent a valid dkms.conf file.",
                self.roots.conf.clone().unwrap_or_default()
            ));
            return Err(msgs);
        }
        if let Some(s) = Roots::compressed_suffix(k) {
            *suffix = Some(s);
        }
        let dir = format!("{d}/module");
        Ok(conf
            .modules
            .iter()
            .all(|r| ko_path(&dir, &r.dest_name, *suffix).is_some()))
    }

    /// One `do_status` pass for (kernel pattern, arch pattern).
    pub fn pass(&mut self, q: &Query, kpat: Option<&str>, apat: Option<&str>, report: &mut Report) {
        let mpat = if q.module.is_empty() { "*" } else { &q.module };
        let vpat = if q.version.is_empty() {
            "*"
        } else {
            &q.version
        };
        let cli_mv = (q.module.as_str(), q.version.as_str());
        let kpat = kpat.filter(|s| !s.is_empty()).unwrap_or("+([0-9]).*");
        let apat = apat.filter(|s| !s.is_empty()).unwrap_or("*");
        let mut suffix = None;
        let mut lines: Vec<Entry> = Vec::new();
        'modules: for (m, v) in expand2(&self.roots.dkms_tree.clone(), mpat, vpat) {
            if !self.is_added(&m, &v) {
                continue;
            }
            let mut any = false;
            for (k, a) in expand2(&self.roots.mv_dir(&m, &v), kpat, apat) {
                match self.is_built(cli_mv, (&m, &v, &k, &a), &mut suffix) {
                    Ok(false) => continue,
                    Ok(true) => {}
                    Err(msgs) => {
                        report.errors.extend(msgs);
                        report.truncated = true;
                        break 'modules;
                    }
                }
                any = true;
                let state = if self.is_installed_link(&m, &v, &k, &a) {
                    State::Installed
                } else {
                    State::Built
                };
                lines.push(Entry {
                    module: m.clone(),
                    version: v.clone(),
                    kernel: Some(k),
                    arch: Some(a),
                    state,
                    warnings: Vec::new(),
                });
            }
            if !any {
                lines.push(Entry {
                    module: m.clone(),
                    version: v.clone(),
                    kernel: None,
                    arch: None,
                    state: State::Added,
                    warnings: Vec::new(),
                });
            }
        }
        for e in &mut lines {
            if let (Some(k), Some(a)) = (e.kernel.clone(), e.arch.clone()) {
                e.warnings = self.extras(cli_mv, &e.module, &e.version, &k, &a);
            }
        }
        report.entries.extend(lines);
    }

    /// dkms's `module_status_built_extra`.
    fn extras(&mut self, cli_mv: (&str, &str), m: &str, v: &str, k: &str, a: &str) -> Vec<Suffix> {
        let mut out = Vec::new();
        let suffix = Roots::compressed_suffix(k);
        let conf_path = format!("{}/source/dkms.conf", self.roots.mv_dir(m, v));
        let Ok(conf) = self.conf(cli_mv, &conf_path, k, a) else {
            return out;
        };
        let tree = &self.roots.dkms_tree;
        if is_dir(&format!("{tree}/{m}/original_module/{k}/{a}")) {
            out.push(Suffix::OriginalModuleExists);
        }
        let installed = self.is_installed_link(m, v, k, a);
        for r in &conf.modules {
            let dir = format!("{}/module", self.roots.base_dir(m, v, k, a));
            match ko_path(&dir, &r.dest_name, suffix) {
                None => out.push(Suffix::MissingBuiltModules),
                Some(tree_mod) if installed => {
                    let dest = self.actual_dest_location(m, k, a, r, suffix);
                    let inst = ko_path(
                        &format!(
                            "{}/{k}{}",
                            self.roots.install_tree,
                            dest.unwrap_or_default()
                        ),
                        &r.dest_name,
                        suffix,
                    );
                    if !same_file_contents(&tree_mod, inst.as_deref()) {
                        out.push(Suffix::DiffBuiltInstalled);
                    }
                }
                Some(_) => {}
            }
        }
        out
    }

    /// dkms's `find_actual_dest_module_location`.
    pub fn actual_dest_location(
        &self,
        m: &str,
        k: &str,
        a: &str,
        r: &crate::conf::ModuleRecord,
        suffix: Option<&str>,
    ) -> Option<String> {
        let mut locations = vec![r.dest_location.clone()];
        if r.dest_location_raw != r.dest_location {
            locations.push(r.dest_location_raw.clone());
        }
        let owned = ko_path(
            &format!("{}/{m}/kernel-{k}-{a}/module", self.roots.dkms_tree),
            &r.dest_name,
            suffix,
        )
        .unwrap_or_default();
        let owned_ver = verinfo(&owned).0;
        locations
            .into_iter()
            .filter(|l| !l.is_empty() || locations_len_one(l))
            .find(|l| {
                let dir = format!("{}/{k}{l}", self.roots.install_tree);
                ko_path(&dir, &r.dest_name, suffix)
                    .is_some_and(|inst| verinfo(&inst).0 == owned_ver)
            })
    }

    /// Every pass `dkms status` makes for a query.
    pub fn status(&mut self, q: &Query) -> Vec<Report> {
        let mut reports = Vec::new();
        if q.kernels.is_empty() {
            let mut r = Report::default();
            self.pass(q, None, q.arches.first().map(String::as_str), &mut r);
            reports.push(r);
        } else {
            for (j, k) in q.kernels.iter().enumerate() {
                let a = if q.arches.len() == 1 {
                    q.arches.first()
                } else {
                    q.arches.get(j)
                };
                let mut r = Report::default();
                self.pass(q, Some(k), a.map(String::as_str), &mut r);
                reports.push(r);
            }
        }
        reports
    }
}

fn locations_len_one(_l: &str) -> bool {
    // An empty location word disappears in dkms's unquoted `for l in $locations`.
    false
}

/// `diff -q a b` succeeds.
fn same_file_contents(a: &str, b: Option<&str>) -> bool {
    let Some(b) = b else { return false };
    match (std::fs::read(a), std::fs::read(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    const K1: &str = "6.1.0-9-amd64";
    const K2: &str = "6.1.0-9-cloud-amd64";

    /// A tree in dkms 3.0.10's layout with dummy `.ko` files (no compiler needed).
    fn tree() -> (tempfile::TempDir, Roots) {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap().to_string();
        let roots = Roots {
            dkms_tree: format!("{d}/tree"),
            source_tree: format!("{d}/src"),
            install_tree: format!("{d}/lib"),
            etc_dir: format!("{d}/etc").into(),
            location_override: Some("/updates/dkms".into()),
            ..Roots::default()
        };
        for (m, v) in [
            ("hello", "0.1"),
            ("hello", "10.0"),
            ("a-b", "1"),
            ("a", "1"),
        ] {
            let src = format!("{}/{m}-{v}", roots.source_tree);
            fs::create_dir_all(&src).unwrap();
            fs::write(
                format!("{src}/dkms.conf"),
                format!("PACKAGE_NAME={m}\nPACKAGE_VERSION={v}\nBUILT_MODULE_NAME[0]={m}\nDEST_MODULE_LOCATION[0]=/updates/dkms\n"),
            )
            .unwrap();
            fs::create_dir_all(roots.mv_dir(m, v)).unwrap();
            std::os::unix::fs::symlink(&src, format!("{}/source", roots.mv_dir(m, v))).unwrap();
        }
        let built = |m: &str, v: &str, k: &str, bytes: &[u8]| {
            let md = format!("{}/module", roots.base_dir(m, v, k, "x86_64"));
            fs::create_dir_all(&md).unwrap();
            fs::write(format!("{md}/{m}.ko"), bytes).unwrap();
        };
        built("hello", "0.1", K1, b"one");
        built("hello", "0.1", K2, b"two");
        built("a-b", "1", K1, b"ab");
        // module/ without the .ko: not built.
        fs::create_dir_all(format!("{}/module", roots.base_dir("a", "1", K1, "x86_64"))).unwrap();
        // Installed on K1 (same bytes) and K2 (installed copy differs).
        for (k, bytes) in [(K1, &b"one"[..]), (K2, &b"other"[..])] {
            let lib = format!("{}/{k}/updates/dkms", roots.install_tree);
            fs::create_dir_all(&lib).unwrap();
            fs::write(format!("{lib}/hello.ko"), bytes).unwrap();
            std::os::unix::fs::symlink(
                format!("0.1/{k}/x86_64"),
                format!("{}/hello/kernel-{k}-x86_64", roots.dkms_tree),
            )
            .unwrap();
        }
        (dir, roots)
    }

    fn status(roots: &Roots, q: &Query) -> (String, usize) {
        let mut reader = ConfReader::default();
        let mut s = Scanner {
            roots,
            reader: &mut reader,
        };
        let text = s.status(q).iter().map(Report::text).collect();
        (text, reader.forks)
    }

    #[test]
    fn golden_status_in_glob_order_with_suffixes_and_no_fork() {
        let (_d, roots) = tree();
        let (text, forks) = status(&roots, &Query::default());
        assert_eq!(
            text,
            format!(
                "a-b/1, {K1}, x86_64: built\n\
                 a/1: added\n\
                 hello/0.1, {K1}, x86_64: installed\n\
                 hello/0.1, {K2}, x86_64: installed (WARNING! Diff between built and installed module!)\n\
                 hello/10.0: added\n"
            )
        );
        assert_eq!(forks, 0, "plain confs need no bash");
    }

    #[test]
    fn kernel_filter_lists_unbuilt_as_added() {
        let (_d, roots) = tree();
        let q = Query {
            kernels: vec!["9.9.9".into()],
            ..Query::default()
        };
        let (text, _) = status(&roots, &q);
        assert_eq!(
            text,
            "a-b/1: added\na/1: added\nhello/0.1: added\nhello/10.0: added\n"
        );
        let q = Query {
            module: "hello".into(),
            version: "0.1".into(),
            kernels: vec![K2.into()],
            ..Query::default()
        };
        assert!(
            status(&roots, &q)
                .0
                .starts_with(&format!("hello/0.1, {K2}, x86_64: installed (WARNING!"))
        );
    }

    #[test]
    fn bad_conf_stops_the_listing() {
        let (_d, roots) = tree();
        fs::write(
            format!("{}/a-b-1/dkms.conf", roots.source_tree),
            "PACKAGE_NAME=a-b\n",
        )
        .unwrap();
        let mut reader = ConfReader::default();
        let mut s = Scanner {
            roots: &roots,
            reader: &mut reader,
        };
        let r = s.status(&Query::default()).remove(0);
        assert!(r.truncated);
        assert_eq!(r.text(), "");
        assert!(
            r.errors.contains(&"Error! Bad conf file.".to_string()),
            "{:?}",
            r.errors
        );
    }
}
