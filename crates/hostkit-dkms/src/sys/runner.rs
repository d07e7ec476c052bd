//! Runs the external programs of a build (bash for MAKE/CLEAN, patch, strip, sign-file, depmod).
