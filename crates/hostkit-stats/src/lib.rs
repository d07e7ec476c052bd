//! Pure statistics for hostkit: summaries, bootstrap confidence intervals, MAD outliers,
//! least-squares fits and rank agreement. No IO, no global RNG: every random step takes a seed.
//!
//! Modules: [`summary`] (median, quantiles, bootstrap CI, [`Summary`]), [`outlier`] (modified
//! Z-scores), [`fit`] (ordinary least squares), [`rank`] (Kendall's tau-b), [`rng`] (SplitMix64).

pub mod fit;
pub mod outlier;
pub mod rank;
pub mod rng;
pub mod summary;

pub use fit::{LinearFit, least_squares};
pub use outlier::{MODIFIED_Z_THRESHOLD, mad, mad_outliers, modified_z_scores};
pub use rank::kendall_tau;
pub use rng::Rng;
pub use summary::{
    BOOTSTRAP_RESAMPLES, Summary, bootstrap_ci, mean, median, median_or_nan, quantile,
    seed_from_str, stddev, summarize,
};
