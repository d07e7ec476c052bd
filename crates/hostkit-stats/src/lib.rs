//! Pure statistics for hostkit: summaries, bootstrap confidence intervals, MAD outliers,
//! least-squares fits and rank agreement. No IO, no global RNG: every random step takes a seed.
//!
//! CONTRACT (lead): the public items below are the interface other crates code against.
//! Implement them (split into modules as you like, re-export here); extend, don't rename.

use serde::{Deserialize, Serialize};

/// Summary of one set of samples (e.g. MB/s of one cipher x MAC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub n: usize,
    pub median: f64,
    pub mean: f64,
    pub stddev: f64,
    pub min: f64,
    pub max: f64,
    /// Median absolute deviation (raw, not scaled by 1.4826).
    pub mad: f64,
    /// Bootstrap 95 % confidence interval of the median (percentile method).
    pub ci_low: f64,
    pub ci_high: f64,
    /// Indices of samples whose modified Z-score exceeds 3.5 (Iglewicz & Hoaglin).
    pub outliers: Vec<usize>,
}

impl Summary {
    /// CI half-width relative to the median: (ci_high - ci_low) / 2 / |median|.
    pub fn rel_half_width(&self) -> f64 {
        todo!()
    }
}

/// Median of `xs` (NaN-free input); `None` when empty.
pub fn median(xs: &[f64]) -> Option<f64> {
    let _ = xs;
    todo!()
}

/// Full summary with a deterministic bootstrap CI (`seed`, 2000 resamples); `None` when empty.
pub fn summarize(xs: &[f64], seed: u64) -> Option<Summary> {
    let _ = (xs, seed);
    todo!()
}

/// Percentile-bootstrap CI of `stat` at `confidence` (e.g. 0.95).
pub fn bootstrap_ci(
    xs: &[f64],
    stat: fn(&[f64]) -> f64,
    confidence: f64,
    resamples: usize,
    seed: u64,
) -> (f64, f64) {
    let _ = (xs, stat, confidence, resamples, seed);
    todo!()
}

/// Indices of outliers by modified Z-score |0.6745 (x - median) / MAD| > `threshold`.
pub fn mad_outliers(xs: &[f64], threshold: f64) -> Vec<usize> {
    let _ = (xs, threshold);
    todo!()
}

/// Ordinary least squares y = intercept + slope * x.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LinearFit {
    pub slope: f64,
    pub intercept: f64,
    pub r2: f64,
}

/// Least-squares fit; `None` with fewer than 2 distinct x values.
pub fn least_squares(xs: &[f64], ys: &[f64]) -> Option<LinearFit> {
    let _ = (xs, ys);
    todo!()
}

/// Kendall's tau-b between two rankings of the same items (by name); items in only one are ignored.
pub fn kendall_tau(a: &[&str], b: &[&str]) -> Option<f64> {
    let _ = (a, b);
    todo!()
}

/// A small deterministic PRNG (e.g. SplitMix64) for bootstrap and plan shuffles.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        todo!()
    }
    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        let _ = n;
        todo!()
    }
    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        let _ = items;
        todo!()
    }
}
