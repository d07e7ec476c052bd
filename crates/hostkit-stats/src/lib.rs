//! Pure statistics for hostkit: summaries, bootstrap confidence intervals, MAD outliers.
