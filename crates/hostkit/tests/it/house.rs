//! House rules that no compiler checks, checked on the source tree of every crate:
//! no import cycle between sibling modules of a crate (DESIGN.md §2: a shared notion gets its
//! own module below its users), and no `hint:` baked into a message (hints travel beside the
//! error, `crates/hostkit/src/error.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::Regex;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a source file: `a/b.rs` and `a/b/mod.rs` are `[a, b]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// Code without its `#[cfg(test)] mod tests` block and without comments.
fn product_code(text: &str) -> String {
    let cut = text.find("#[cfg(test)]\nmod tests").unwrap_or(text.len());
    text[..cut]
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            !t.starts_with("//")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Module paths that `code` in module `here` refers to (`crate::a::b`, `super::x`, `self::y`,
/// grouped `use crate::{a, b::c}` included), resolved to the deepest existing module.
fn references(
    here: &[String],
    code: &str,
    modules: &BTreeSet<Vec<String>>,
) -> BTreeSet<Vec<String>> {
    let path = Regex::new(
        r"\b(crate|super|self)((?:::super)*)::(\{[^}]*\}|[a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)*)",
    )
    .unwrap();
    let mut out = BTreeSet::new();
    for cap in path.captures_iter(code) {
        let mut base: Vec<String> = match &cap[1] {
            "crate" => Vec::new(),
            "super" => here[..here.len().saturating_sub(1)].to_vec(),
            _ => here.to_vec(),
        };
        for _ in 0..cap[2].matches("super").count() {
            base.pop();
        }
        let tails: Vec<String> = if cap[3].starts_with('{') {
            cap[3][1..cap[3].len() - 1]
                .split(',')
                .map(|s| s.trim().to_owned())
                .collect()
        } else {
            vec![cap[3].to_owned()]
        };
        for tail in tails {
            let mut p = base.clone();
            let mut best = base.clone();
            for seg in tail.split("::") {
                let seg = seg.trim();
                if seg.is_empty()
                    || !seg
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                {
                    break;
                }
                p.push(seg.to_owned());
                if modules.contains(&p) {
                    best = p.clone();
                }
            }
            out.insert(best);
        }
    }
    out
}

/// Sibling-level dependency edges of one crate: an edge from A to B (both children of the same
/// parent) when code in A's subtree refers to B's subtree. References to an ancestor or a
/// descendant are a parent and its parts, not a cycle.
fn sibling_edges(src: &Path) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(src, f)).collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for f in &files {
        let here = module_of(src, f);
        let code = product_code(&std::fs::read_to_string(f).unwrap());
        for target in references(&here, &code, &modules) {
            let common = here.iter().zip(&target).take_while(|(a, b)| a == b).count();
            if common == here.len() || common == target.len() {
                continue;
            }
            edges
                .entry(here[..=common].to_vec())
                .or_default()
                .insert(target[..=common].to_vec());
        }
    }
    edges
}

/// A cycle in the graph, if any, as the list of modules along it.
fn find_cycle(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Option<Vec<Vec<String>>> {
    fn visit(
        n: &Vec<String>,
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        stack: &mut Vec<Vec<String>>,
        done: &mut BTreeSet<Vec<String>>,
    ) -> Option<Vec<Vec<String>>> {
        if let Some(i) = stack.iter().position(|s| s == n) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(n.clone());
            return Some(cycle);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.clone());
        for m in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, edges, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n.clone());
        None
    }
    let mut done = BTreeSet::new();
    for n in edges.keys() {
        if let Some(c) = visit(n, edges, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_checker_sees_a_cycle_between_siblings() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("a")).unwrap();
    std::fs::write(src.join("lib.rs"), "mod a;\n").unwrap();
    std::fs::write(src.join("a/mod.rs"), "mod x;\nmod y;\npub use x::X;\n").unwrap();
    std::fs::write(src.join("a/x.rs"), "use super::y::Y;\npub struct X;\n").unwrap();
    std::fs::write(src.join("a/y.rs"), "pub struct Y(crate::a::x::X);\n").unwrap();
    let cycle = find_cycle(&sibling_edges(src)).expect("x -> y -> x is a cycle");
    assert_eq!(cycle.len(), 3, "{cycle:?}");
    // Child to parent and parent to child are not cycles.
    std::fs::write(src.join("a/y.rs"), "pub struct Y(super::X);\n").unwrap();
    assert_eq!(find_cycle(&sibling_edges(src)), None);
}

#[test]
fn no_import_cycle_inside_any_crate() {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(workspace().join("crates"))
        .unwrap()
        .flatten()
    {
        let src = entry.path().join("src");
        if let Some(cycle) = find_cycle(&sibling_edges(&src)) {
            let names: Vec<String> = cycle.iter().map(|m| m.join("::")).collect();
            found.push(format!(
                "{}: {}",
                entry.file_name().to_string_lossy(),
                names.join(" -> ")
            ));
        }
    }
    assert!(
        found.is_empty(),
        "import cycles between sibling modules:\n{}",
        found.join("\n")
    );
}

#[test]
fn hints_are_never_baked_into_messages() {
    let mut files = Vec::new();
    rust_files(&workspace().join("crates/hostkit/src"), &mut files);
    let mut offenders = Vec::new();
    // error.rs is where domain crates' trailing hint lines are lifted out of their messages.
    for f in files.into_iter().filter(|f| !f.ends_with("src/error.rs")) {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            if line.contains("\\nhint:") {
                offenders.push(format!("{}:{}", f.display(), i + 1));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "use `crate::error::ResultExt::hint` or `error::hinted` instead of \"\\nhint:\" in:\n{}",
        offenders.join("\n")
    );
}
