//! Raw dkms.conf variables as bash holds them: every variable is an indexed array (a scalar
//! is index 0). `Vars` is what a chain of sourced files leaves behind; `WHITELIST` is the set
//! dkms 3.0.10 reads back from each file (`dkms_conf_variables`).

use std::collections::BTreeMap;

/// The variables dkms 3.0.10 copies out of each sourced file, in its order.
pub const WHITELIST: &[&str] = &[
    "CLEAN",
    "PACKAGE_NAME",
    "PACKAGE_VERSION",
    "POST_ADD",
    "POST_BUILD",
    "POST_INSTALL",
    "POST_REMOVE",
    "PRE_BUILD",
    "PRE_INSTALL",
    "BUILD_DEPENDS",
    "BUILD_EXCLUSIVE_KERNEL",
    "BUILD_EXCLUSIVE_ARCH",
    "BUILD_EXCLUSIVE_CONFIG",
    "build_exclude",
    "OBSOLETE_BY",
    "MAKE",
    "MAKE_MATCH",
    "PATCH",
    "PATCH_MATCH",
    "patch_array",
    "BUILT_MODULE_NAME",
    "built_module_name",
    "BUILT_MODULE_LOCATION",
    "built_module_location",
    "DEST_MODULE_NAME",
    "dest_module_name",
    "DEST_MODULE_LOCATION",
    "dest_module_location",
    "STRIP",
    "strip",
    "AUTOINSTALL",
    "NO_WEAK_MODULES",
    "SIGN_FILE",
    "MOK_SIGNING_KEY",
    "MOK_CERTIFICATE",
    "REMAKE_INITRD",
    "MODULES_CONF",
    "MODULES_CONF_OBSOLETES",
    "MODULES_CONF_ALIAS_TYPE",
    "MODULES_CONF_OBSOLETE_ONLY",
];

/// True for a name dkms reads back from a conf file.
pub fn is_whitelisted(name: &str) -> bool {
    WHITELIST.contains(&name)
}

/// What `echo NAME[i]=\"$value\"` makes of a value (the expansion is unquoted between two
/// literal parts): IFS runs become one space, and a leading or trailing run stays as one
/// space because it separates the value from the literal around it.
pub fn echo_split_join(v: &str) -> String {
    let ws = |c: char| c == ' ' || c == '\t' || c == '\n';
    let fields: Vec<&str> = v.split(ws).filter(|f| !f.is_empty()).collect();
    if fields.is_empty() {
        return if v.is_empty() {
            String::new()
        } else {
            " ".into()
        };
    }
    let mut out = String::new();
    if v.starts_with(ws) {
        out.push(' ');
    }
    out.push_str(&fields.join(" "));
    if v.ends_with(ws) {
        out.push(' ');
    }
    out
}

/// Bash variables as sparse indexed arrays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vars {
    pub map: BTreeMap<String, BTreeMap<usize, String>>,
}

impl Vars {
    /// `${NAME[i]}` (empty when unset).
    pub fn get(&self, name: &str, i: usize) -> &str {
        self.map
            .get(name)
            .and_then(|a| a.get(&i))
            .map_or("", String::as_str)
    }

    /// `$NAME` = `${NAME[0]}`.
    pub fn scalar(&self, name: &str) -> &str {
        self.get(name, 0)
    }

    /// `${#NAME[@]}`: the number of set elements.
    pub fn count(&self, name: &str) -> usize {
        self.map.get(name).map_or(0, BTreeMap::len)
    }

    /// True when the variable has at least one set element.
    pub fn is_set(&self, name: &str) -> bool {
        self.count(name) > 0
    }

    /// `NAME[i]=value`.
    pub fn set(&mut self, name: &str, i: usize, value: String) {
        self.map
            .entry(name.to_string())
            .or_default()
            .insert(i, value);
    }

    /// `NAME=(values...)`: replaces the whole array.
    pub fn set_array(&mut self, name: &str, values: Vec<String>) {
        self.map
            .insert(name.to_string(), values.into_iter().enumerate().collect());
    }

    /// The whitelisted variables as dkms copies them back from a sourced file: every element
    /// is re-read after `echo` joined its words with single spaces (bash word splitting).
    pub fn exported(&self) -> Vars {
        let mut out = Vars::default();
        for name in WHITELIST {
            if let Some(arr) = self.map.get(*name) {
                for (i, v) in arr {
                    out.set(name, *i, echo_split_join(v));
                }
            }
        }
        out
    }

    /// Merges `other` element by element (what `. tmpfile` does in the parent shell).
    pub fn merge(&mut self, other: &Vars) {
        for (name, arr) in &other.map {
            for (i, v) in arr {
                self.set(name, *i, v.clone());
            }
        }
    }
}
