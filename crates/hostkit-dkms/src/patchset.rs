//! Per-kernel patches in an override file (`<etc>/<m>-<v>.conf`): reading and rewriting its
//! `PATCH[n]`/`PATCH_MATCH[n]` pairs so dkms agrees (indices run on from the module's own
//! dkms.conf entries without gaps, values in double quotes without backslashes), keeping
//! every other line as written; and normalising a patch to `-p1`.

use serde::Serialize;

/// One patch entry of the override file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatchEntry {
    pub index: usize,
    pub file: String,
    /// Unanchored ERE on the kernel version; empty = every kernel.
    pub match_re: String,
}

fn parse_assign(line: &str) -> Option<(&str, usize, String)> {
    let t = line.trim();
    let (lhs, rhs) = t.split_once('=')?;
    let (name, idx) = lhs.strip_suffix(']')?.split_once('[')?;
    if name != "PATCH" && name != "PATCH_MATCH" {
        return None;
    }
    let idx = idx.parse().ok()?;
    let v = rhs.trim();
    let v = v
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(v);
    Some((name, idx, v.to_string()))
}

/// The PATCH/PATCH_MATCH entries written in an override file, by index.
pub fn entries(text: &str) -> Vec<PatchEntry> {
    let mut out: Vec<PatchEntry> = Vec::new();
    for line in text.lines() {
        let Some((name, idx, v)) = parse_assign(line) else {
            continue;
        };
        let pos = match out.iter().position(|e| e.index == idx) {
            Some(p) => p,
            None => {
                out.push(PatchEntry {
                    index: idx,
                    file: String::new(),
                    match_re: String::new(),
                });
                out.len() - 1
            }
        };
        if name == "PATCH" {
            out[pos].file = v;
        } else {
            out[pos].match_re = v;
        }
    }
    out.sort_by_key(|e| e.index);
    out
}

/// The override file with its patch entries replaced by `list`, numbered from `base`.
pub fn render(text: &str, list: &[PatchEntry], base: usize) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if parse_assign(line).is_none() && !line.starts_with("# hostkit dkms patch") {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !list.is_empty() {
        out.push_str(
            "# hostkit dkms patch: per-kernel patches (PATCH_MATCH is an ERE on the kernel)\n",
        );
    }
    for (i, e) in list.iter().enumerate() {
        let n = base + i;
        out.push_str(&format!("PATCH[{n}]=\"{}\"\n", e.file));
        out.push_str(&format!("PATCH_MATCH[{n}]=\"{}\"\n", e.match_re));
    }
    out
}

/// Rewrites the file headers of a unified diff written for `patch -pN` so that it applies
/// with `patch -p1` (`a/`/`b/` prefixes). Fails when a path has fewer than N components.
pub fn normalise_to_p1(diff: &str, strip: usize) -> Result<String, String> {
    if strip == 1 {
        return Ok(diff.to_string());
    }
    let mut out = String::new();
    for line in diff.split_inclusive('\n') {
        let header = ["--- ", "+++ "].iter().find(|p| line.starts_with(**p));
        match header {
            Some(prefix) => {
                let rest = &line[4..];
                let end = rest.find(['\t', '\n']).unwrap_or(rest.len());
                let (path, tail) = rest.split_at(end);
                if path == "/dev/null" {
                    out.push_str(line);
                    continue;
                }
                let comps: Vec<&str> = path.split('/').collect();
                if comps.len() <= strip {
                    return Err(format!(
                        "`{path}` has fewer than {} path components for -p{strip}",
                        strip + 1
                    ));
                }
                let side = if *prefix == "--- " { "a" } else { "b" };
                out.push_str(prefix);
                out.push_str(side);
                out.push('/');
                out.push_str(&comps[strip..].join("/"));
                out.push_str(tail);
            }
            None => out.push_str(line),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_renumber() {
        let text =
            "MAKE[0]=x\nPATCH[3]=\"b.patch\"\nPATCH_MATCH[3]=\"cloud\"\nPATCH[2]=\"a.patch\"\n";
        let e = entries(text);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].file, "a.patch");
        let out = render(text, &e, 1);
        assert!(out.starts_with("MAKE[0]=x\n"));
        assert!(out.contains("PATCH[1]=\"a.patch\"\nPATCH_MATCH[1]=\"\"\n"));
        assert!(out.contains("PATCH[2]=\"b.patch\"\nPATCH_MATCH[2]=\"cloud\"\n"));
        assert_eq!(entries(&out).len(), 2);
    }

    #[test]
    fn p0_becomes_p1() {
        let d = "--- hello.c.orig\t2024\n+++ hello.c\n@@ -1 +1 @@\n-a\n+b\n";
        let n = normalise_to_p1(d, 0).unwrap();
        assert!(n.starts_with("--- a/hello.c.orig\t2024\n+++ b/hello.c\n"));
        let d2 = "--- x/y/hello.c\n+++ x/y/hello.c\n";
        assert_eq!(
            normalise_to_p1(d2, 2).unwrap(),
            "--- a/hello.c\n+++ b/hello.c\n"
        );
        assert!(normalise_to_p1("--- hello.c\n", 1 + 1).is_err());
    }
}
