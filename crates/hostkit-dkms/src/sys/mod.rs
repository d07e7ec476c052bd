//! The IO edge of hostkit-dkms: the roots of a tree, dkms.conf evaluation (static or through
//! bash), the status scan, `.modinfo` reading, the command runner for make/patch/depmod/
//! sign-file, locks, and the actions (add, build, install, uninstall, unbuild, remove).

pub mod actions;
pub mod build;
pub mod evaluate;
pub mod lock;
pub mod modinfo;
pub mod outcome;
pub mod roots;
pub mod runner;
pub mod scan;

pub use evaluate::{ConfError, ConfReader};
pub use roots::Roots;
