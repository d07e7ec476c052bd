//! The dkms actions over a tree: add, build, install, uninstall, unbuild, remove, autoinstall.
