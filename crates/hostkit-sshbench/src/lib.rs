//! OpenSSH algorithm benchmarking. Pure modules (`algos`, `kexinit`, `policy`, `plan`,
//! `record`, `analyze`, `report`) take values and return values; `session` drives a plan
//! through a `TrialRunner`; only `sys/` touches processes, sockets and files.

pub mod algos;
pub mod alias;
pub mod analyze;
pub mod ceiling;
pub mod defaults;
pub mod kexinit;
pub mod pattern;
pub mod pinning;
pub mod plan;
pub mod policy;
pub mod rating;
pub mod record;
pub mod report;
pub mod session;
pub mod sys;

#[cfg(test)]
mod fixtures;

#[cfg(test)]
mod layering {
    //! No import cycle between the crate's top-level modules (test code excluded): a shared
    //! notion lives in its own module below its users.
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// Top-level modules each module's non-test code names via `crate::NAME`.
    fn edges() -> BTreeMap<String, BTreeSet<String>> {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut stack = vec![src.clone()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                let rel = p.strip_prefix(&src).unwrap().to_string_lossy().to_string();
                let module = rel.split(['/', '.']).next().unwrap().to_owned();
                if module == "lib" || module == "fixtures" {
                    continue;
                }
                let text = std::fs::read_to_string(&p).unwrap();
                let code = text.split("#[cfg(test)]").next().unwrap();
                let deps = out.entry(module.clone()).or_default();
                for (i, _) in code.match_indices("crate::") {
                    let name: String = code[i + 7..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if name != module && !name.is_empty() {
                        deps.insert(name);
                    }
                }
            }
        }
        out
    }

    #[test]
    fn top_level_modules_form_no_cycle() {
        let g = edges();
        assert!(g.contains_key("policy") && g.contains_key("rating"));
        // Depth-first search for a back edge.
        fn visit(
            n: &str,
            g: &BTreeMap<String, BTreeSet<String>>,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) {
            if done.contains(n) {
                return;
            }
            assert!(
                !path.iter().any(|p| p == n),
                "import cycle: {path:?} -> {n}"
            );
            path.push(n.to_owned());
            for d in g.get(n).into_iter().flatten() {
                visit(d, g, path, done);
            }
            path.pop();
            done.insert(n.to_owned());
        }
        let mut done = BTreeSet::new();
        for n in g.keys() {
            visit(n, &g, &mut Vec::new(), &mut done);
        }
        // The layering the design asks for: names and ratings below their users.
        assert!(!g["rating"].contains("algos") && !g["rating"].contains("policy"));
        assert!(!g["pattern"].iter().any(|d| d != "pattern"));
    }
}
