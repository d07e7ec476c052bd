//! The JSON field references in `docs/` cannot drift from the code: each test runs a command
//! with `--format json` and checks that every field name it emits is documented, in backticks,
//! in that tool's page. Object keys that are data (algorithm names, hosts: anything that is not
//! a snake_case identifier) are not field names; their values are still checked.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Field names in `value`, recursively.
fn field_names(value: &serde_json::Value, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let is_field = k
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    && k.starts_with(|c: char| c.is_ascii_lowercase());
                if is_field {
                    out.insert(k.clone());
                }
                field_names(v, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| field_names(v, out)),
        _ => {}
    }
}

/// Fails naming every field of `json` that `docs/<page>` does not mention as `` `field` ``.
pub fn assert_documented(page: &str, json: &serde_json::Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs")
        .join(page);
    let doc = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut names = BTreeSet::new();
    field_names(json, &mut names);
    assert!(!names.is_empty(), "no fields in {json}");
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !doc.contains(&format!("`{n}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "fields emitted but not documented in docs/{page}: {missing:?}"
    );
}

/// Runs hostkit with `args` and parses its stdout as JSON.
pub fn json_of(args: &[&str]) -> serde_json::Value {
    let out = Command::new(crate::bin()).args(args).output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn the_check_sees_an_undocumented_field() {
    let v = serde_json::json!({"schema_version": 1, "surely_not_documented_anywhere": 2});
    let r = std::panic::catch_unwind(|| assert_documented("ntp.md", &v));
    assert!(r.is_err());
}

#[test]
fn ntp_drift_fields_are_documented() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("chrony.drift");
    std::fs::write(&f, "-12.345 0.021\n").unwrap();
    let v = json_of(&["ntp", "drift", f.to_str().unwrap(), "--format", "json"]);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["command"], "ntp drift");
    assert_documented("ntp.md", &v);
}
