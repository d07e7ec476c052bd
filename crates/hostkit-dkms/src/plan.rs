//! Plans are values: the steps a dkms action will take (per module, kernel and arch), built
//! before anything runs so `--dry-run` can print them and tests can check them.

use serde::Serialize;

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    Add {
        module: String,
        version: String,
        source: String,
    },
    Build {
        module: String,
        version: String,
        kernel: String,
        arch: String,
        patches: Vec<String>,
        make: String,
    },
    Install {
        module: String,
        version: String,
        kernel: String,
        arch: String,
        dest: Vec<String>,
    },
    Uninstall {
        module: String,
        version: String,
        kernel: String,
        arch: String,
    },
    Unbuild {
        module: String,
        version: String,
        kernel: String,
        arch: String,
    },
    RemoveVersion {
        module: String,
        version: String,
    },
    Depmod {
        kernel: String,
    },
    Skip {
        module: String,
        version: String,
        kernel: String,
        arch: String,
        reason: String,
    },
}

/// A plan: the steps in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub action: String,
    pub steps: Vec<Step>,
}

impl Plan {
    /// One human line per step.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for st in &self.steps {
            let line = match st {
                Step::Add {
                    module,
                    version,
                    source,
                } => format!("add {module}/{version} from {source}"),
                Step::Build {
                    module,
                    version,
                    kernel,
                    arch,
                    patches,
                    make,
                } => {
                    let p = if patches.is_empty() {
                        String::new()
                    } else {
                        format!(" patches: {}", patches.join(", "))
                    };
                    format!("build {module}/{version} for {kernel} ({arch}): {make}{p}")
                }
                Step::Install {
                    module,
                    version,
                    kernel,
                    arch,
                    dest,
                } => {
                    format!(
                        "install {module}/{version} for {kernel} ({arch}) into {}",
                        dest.join(", ")
                    )
                }
                Step::Uninstall {
                    module,
                    version,
                    kernel,
                    arch,
                } => format!("uninstall {module}/{version} from {kernel} ({arch})"),
                Step::Unbuild {
                    module,
                    version,
                    kernel,
                    arch,
                } => format!("unbuild {module}/{version} for {kernel} ({arch})"),
                Step::RemoveVersion { module, version } => {
                    format!("remove {module}/{version} from the tree")
                }
                Step::Depmod { kernel } => format!("depmod {kernel}"),
                Step::Skip {
                    module,
                    version,
                    kernel,
                    arch,
                    reason,
                } => format!("skip {module}/{version} for {kernel} ({arch}): {reason}"),
            };
            s.push_str(&line);
            s.push('\n');
        }
        s
    }
}
