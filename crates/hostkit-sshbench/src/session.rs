//! Drives a plan: warm-up, size probe, randomized interleaved rounds, adaptive repetition,
//! appending every sample to the log through a sink, reporting progress to an observer.
//! Pure orchestration over the `TrialRunner` trait; the real runner lives in `sys::runner`.
//!
//! OWNER: S2.
