//! Location, spread and the percentile-bootstrap confidence interval of the median
//! (Efron & Tibshirani, "An Introduction to the Bootstrap", 1993, ch. 13), bundled into
//! [`Summary`]. Quantiles use linear interpolation between order statistics (Hyndman & Fan
//! type 7, the default of R and NumPy).

use serde::{Deserialize, Serialize};

use crate::outlier::{MODIFIED_Z_THRESHOLD, mad, mad_outliers};
use crate::rng::Rng;

/// Bootstrap resamples used by [`summarize`].
pub const BOOTSTRAP_RESAMPLES: usize = 2000;

/// Summary of one set of samples (e.g. MB/s of one cipher x MAC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of samples.
    pub n: usize,
    pub median: f64,
    pub mean: f64,
    /// Sample standard deviation (n - 1 denominator; 0 for a single sample).
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
    /// Infinite when the median is 0 and the interval has any width; 0 for a zero-width interval.
    pub fn rel_half_width(&self) -> f64 {
        let half = (self.ci_high - self.ci_low) / 2.0;
        if half == 0.0 {
            0.0
        } else if self.median == 0.0 {
            f64::INFINITY
        } else {
            half / self.median.abs()
        }
    }

    /// Whether the confidence intervals of `self` and `other` overlap (touching counts).
    pub fn ci_overlaps(&self, other: &Summary) -> bool {
        self.ci_low <= other.ci_high && other.ci_low <= self.ci_high
    }
}

/// Sorted copy of `xs` (total order, so a stray NaN cannot panic).
fn sorted(xs: &[f64]) -> Vec<f64> {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// Quantile `q` in `0..=1` of already sorted, non-empty data (type 7 interpolation).
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let q = q.clamp(0.0, 1.0);
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

/// Quantile `q` (0..=1, clamped) of `xs` by linear interpolation; `None` when empty.
pub fn quantile(xs: &[f64], q: f64) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    Some(quantile_sorted(&sorted(xs), q))
}

/// Median of `xs` (NaN-free input); `None` when empty.
pub fn median(xs: &[f64]) -> Option<f64> {
    quantile(xs, 0.5)
}

/// Median as a plain statistic for [`bootstrap_ci`]: NaN when empty.
pub fn median_or_nan(xs: &[f64]) -> f64 {
    median(xs).unwrap_or(f64::NAN)
}

/// Arithmetic mean; `None` when empty.
pub fn mean(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        None
    } else {
        Some(xs.iter().sum::<f64>() / xs.len() as f64)
    }
}

/// Sample standard deviation (n - 1); 0 for one sample, `None` when empty.
pub fn stddev(xs: &[f64]) -> Option<f64> {
    let m = mean(xs)?;
    if xs.len() < 2 {
        return Some(0.0);
    }
    let ss: f64 = xs.iter().map(|x| (x - m) * (x - m)).sum();
    Some((ss / (xs.len() - 1) as f64).sqrt())
}

/// A stable 64-bit seed derived from a name (FNV-1a), so each trial gets its own
/// reproducible bootstrap stream.
pub fn seed_from_str(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Percentile-bootstrap CI of `stat` at `confidence` (e.g. 0.95).
///
/// Draws `resamples` samples of `xs.len()` with replacement from a SplitMix64 stream seeded with
/// `seed`, and returns the `(1 - confidence) / 2` and `(1 + confidence) / 2` quantiles of the
/// statistic. Empty input gives `(NaN, NaN)`; one sample (or zero variance) a zero-width interval.
pub fn bootstrap_ci(
    xs: &[f64],
    stat: fn(&[f64]) -> f64,
    confidence: f64,
    resamples: usize,
    seed: u64,
) -> (f64, f64) {
    if xs.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    if xs.len() == 1 || resamples == 0 {
        let s = stat(xs);
        return (s, s);
    }
    resample_ci(xs, confidence, resamples, seed, |buf| stat(buf))
}

/// The percentile-bootstrap loop shared by [`bootstrap_ci`] and [`summarize`]; `stat` may
/// reorder its scratch buffer.
fn resample_ci(
    xs: &[f64],
    confidence: f64,
    resamples: usize,
    seed: u64,
    mut stat: impl FnMut(&mut [f64]) -> f64,
) -> (f64, f64) {
    let mut rng = Rng::new(seed);
    let mut buf = vec![0.0; xs.len()];
    let mut stats = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        for slot in buf.iter_mut() {
            *slot = xs[rng.below(xs.len())];
        }
        stats.push(stat(&mut buf));
    }
    stats.sort_by(f64::total_cmp);
    let alpha = (1.0 - confidence.clamp(0.0, 1.0)) / 2.0;
    (
        quantile_sorted(&stats, alpha),
        quantile_sorted(&stats, 1.0 - alpha),
    )
}

/// Median of a scratch buffer, sorting it in place (no allocation per bootstrap resample).
fn median_in_place(buf: &mut [f64]) -> f64 {
    buf.sort_unstable_by(f64::total_cmp);
    quantile_sorted(buf, 0.5)
}

/// Full summary with a deterministic bootstrap CI (`seed`, 2000 resamples); `None` when empty.
pub fn summarize(xs: &[f64], seed: u64) -> Option<Summary> {
    if xs.is_empty() {
        return None;
    }
    let s = sorted(xs);
    let median = quantile_sorted(&s, 0.5);
    let (ci_low, ci_high) = if xs.len() == 1 {
        (median, median)
    } else {
        resample_ci(xs, 0.95, BOOTSTRAP_RESAMPLES, seed, median_in_place)
    };
    Some(Summary {
        n: xs.len(),
        median,
        mean: mean(xs)?,
        stddev: stddev(xs)?,
        min: s[0],
        max: s[s.len() - 1],
        mad: mad(xs)?,
        // The median always lies inside its own interval, even for tiny samples.
        ci_low: ci_low.min(median),
        ci_high: ci_high.max(median),
        outliers: mad_outliers(xs, MODIFIED_Z_THRESHOLD),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_odd_even_empty_single() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[4.0]), Some(4.0));
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert!(median_or_nan(&[]).is_nan());
    }

    #[test]
    fn quantile_interpolates_like_type_7() {
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&xs, 0.0), Some(1.0));
        assert_eq!(quantile(&xs, 1.0), Some(5.0));
        assert_eq!(quantile(&xs, 0.25), Some(2.0));
        assert_eq!(quantile(&xs, 0.1), Some(1.4));
        assert_eq!(quantile(&xs, 7.0), Some(5.0), "clamped");
    }

    #[test]
    fn mean_and_stddev() {
        assert_eq!(mean(&[]), None);
        assert_eq!(stddev(&[5.0]), Some(0.0));
        // 2,4,4,4,5,5,7,9: mean 5, sample variance 32/7.
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert_eq!(mean(&xs), Some(5.0));
        assert!((stddev(&xs).unwrap() - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn summarize_empty_single_and_zero_variance() {
        assert_eq!(summarize(&[], 1), None);
        let one = summarize(&[3.5], 1).unwrap();
        assert_eq!(
            (one.n, one.median, one.ci_low, one.ci_high),
            (1, 3.5, 3.5, 3.5)
        );
        assert_eq!(one.rel_half_width(), 0.0);
        let flat = summarize(&[2.0; 6], 1).unwrap();
        assert_eq!(
            (flat.stddev, flat.mad, flat.ci_low, flat.ci_high),
            (0.0, 0.0, 2.0, 2.0)
        );
        assert!(flat.outliers.is_empty());
    }

    #[test]
    fn summarize_is_deterministic_and_brackets_the_median() {
        let xs = [391.0, 359.0, 411.0, 380.0, 402.0, 377.0, 395.0, 388.0];
        let a = summarize(&xs, 99).unwrap();
        let b = summarize(&xs, 99).unwrap();
        assert_eq!(a, b);
        assert!(a.ci_low <= a.median && a.median <= a.ci_high);
        assert!(a.ci_low >= a.min && a.ci_high <= a.max);
        assert!(a.ci_low < a.ci_high);
        assert_eq!((a.min, a.max, a.n), (359.0, 411.0, 8));
    }

    #[test]
    fn summarize_uses_the_same_interval_as_bootstrap_ci() {
        let xs = [5.0, 3.0, 9.0, 4.0, 4.5, 7.0, 6.1];
        let s = summarize(&xs, 11).unwrap();
        let (lo, hi) = bootstrap_ci(&xs, median_or_nan, 0.95, BOOTSTRAP_RESAMPLES, 11);
        assert_eq!((s.ci_low, s.ci_high), (lo.min(s.median), hi.max(s.median)));
    }

    #[test]
    fn bootstrap_ci_narrows_with_more_data() {
        // Same spread, 4x the samples: the interval must shrink.
        let small: Vec<f64> = (0..8).map(|i| 100.0 + f64::from(i % 4)).collect();
        let large: Vec<f64> = (0..128).map(|i| 100.0 + f64::from(i % 4)).collect();
        let (l1, h1) = bootstrap_ci(&small, median_or_nan, 0.95, 2000, 5);
        let (l2, h2) = bootstrap_ci(&large, median_or_nan, 0.95, 2000, 5);
        assert!(h2 - l2 < h1 - l1, "{l1}..{h1} vs {l2}..{h2}");
        assert!(bootstrap_ci(&[], median_or_nan, 0.95, 10, 1).0.is_nan());
    }

    #[test]
    fn bootstrap_ci_covers_true_median_most_of_the_time() {
        // Coverage check: draws from a known distribution (uniform 0..1000, median 500).
        let mut rng = Rng::new(3);
        let mut covered = 0;
        for trial in 0..100 {
            let xs: Vec<f64> = (0..25).map(|_| rng.below(1001) as f64).collect();
            let (lo, hi) = bootstrap_ci(&xs, median_or_nan, 0.95, 500, trial);
            if lo <= 500.0 && 500.0 <= hi {
                covered += 1;
            }
        }
        assert!(covered >= 85, "covered {covered}/100");
    }

    #[test]
    fn rel_half_width_cases() {
        let mut s = summarize(&[100.0, 102.0, 98.0, 101.0, 99.0], 1).unwrap();
        s.ci_low = 97.0;
        s.ci_high = 103.0;
        s.median = 100.0;
        assert!((s.rel_half_width() - 0.03).abs() < 1e-12);
        s.median = 0.0;
        assert!(s.rel_half_width().is_infinite());
        let other = Summary {
            ci_low: 103.0,
            ci_high: 110.0,
            ..s.clone()
        };
        assert!(s.ci_overlaps(&other));
        let apart = Summary {
            ci_low: 103.5,
            ..other
        };
        assert!(!s.ci_overlaps(&apart));
    }

    #[test]
    fn seed_from_str_is_stable() {
        assert_eq!(seed_from_str(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(seed_from_str("a"), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(seed_from_str("bulk/up/x"), seed_from_str("bulk/down/x"));
    }

    proptest::proptest! {
        #[test]
        fn summary_invariants(xs in proptest::collection::vec(-1e6f64..1e6, 1..40), seed in 0u64..1000) {
            let s = summarize(&xs, seed).unwrap();
            proptest::prop_assert_eq!(s.n, xs.len());
            proptest::prop_assert!(s.min <= s.median && s.median <= s.max);
            let eps = 1e-9 * s.max.abs().max(s.min.abs()).max(1.0);
            proptest::prop_assert!(s.min - eps <= s.mean && s.mean <= s.max + eps);
            proptest::prop_assert!(s.ci_low <= s.median && s.median <= s.ci_high);
            proptest::prop_assert!(s.ci_low >= s.min && s.ci_high <= s.max);
            proptest::prop_assert!(s.stddev >= 0.0 && s.mad >= 0.0);
            proptest::prop_assert!(s.outliers.iter().all(|&i| i < xs.len()));
        }

        #[test]
        fn median_is_order_independent(mut xs in proptest::collection::vec(-1e3f64..1e3, 1..30), seed in 0u64..100) {
            let m = median(&xs);
            Rng::new(seed).shuffle(&mut xs);
            proptest::prop_assert_eq!(median(&xs), m);
        }
    }
}
