//! Outlier detection by the modified Z-score of Iglewicz & Hoaglin ("How to Detect and Handle
//! Outliers", ASQC 1993): M_i = 0.6745 (x_i - median) / MAD, outlier when |M_i| > 3.5.
//! When the MAD is zero but the data are not constant, the mean absolute deviation scaled by
//! 1.253314 stands in (the usual fallback, e.g. IBM SPSS), so a lone spike is still found.

/// The threshold Iglewicz & Hoaglin recommend.
pub const MODIFIED_Z_THRESHOLD: f64 = 3.5;

/// 0.6745 = the 0.75 quantile of the standard normal: MAD / 0.6745 estimates sigma.
const MAD_TO_Z: f64 = 0.6745;
/// MeanAD fallback: M_i = (x_i - median) / (1.253314 * MeanAD).
const MEANAD_SCALE: f64 = 1.253_314;

/// Median absolute deviation from the median (unscaled); `None` when empty.
pub fn mad(xs: &[f64]) -> Option<f64> {
    let m = crate::median(xs)?;
    let dev: Vec<f64> = xs.iter().map(|x| (x - m).abs()).collect();
    crate::median(&dev)
}

/// Modified Z-scores of every sample (0 everywhere for constant data); empty for empty input.
pub fn modified_z_scores(xs: &[f64]) -> Vec<f64> {
    let Some(m) = crate::median(xs) else {
        return Vec::new();
    };
    let mad = mad(xs).unwrap_or(0.0);
    if mad > 0.0 {
        return xs.iter().map(|x| MAD_TO_Z * (x - m) / mad).collect();
    }
    let mean_ad = xs.iter().map(|x| (x - m).abs()).sum::<f64>() / xs.len() as f64;
    if mean_ad > 0.0 {
        xs.iter()
            .map(|x| (x - m) / (MEANAD_SCALE * mean_ad))
            .collect()
    } else {
        vec![0.0; xs.len()]
    }
}

/// Indices of outliers by modified Z-score |0.6745 (x - median) / MAD| > `threshold`.
/// Fewer than 3 samples never have outliers (there is no majority to deviate from).
pub fn mad_outliers(xs: &[f64], threshold: f64) -> Vec<usize> {
    if xs.len() < 3 {
        return Vec::new();
    }
    modified_z_scores(xs)
        .iter()
        .enumerate()
        .filter(|(_, z)| z.abs() > threshold)
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mad_of_known_data() {
        // 1,1,2,2,4,6,9: median 2, deviations 1,1,0,0,2,4,7 -> MAD 1.
        assert_eq!(mad(&[1.0, 1.0, 2.0, 2.0, 4.0, 6.0, 9.0]), Some(1.0));
        assert_eq!(mad(&[]), None);
    }

    #[test]
    fn finds_a_spike() {
        let xs = [100.0, 101.0, 99.0, 100.5, 99.5, 160.0, 100.2];
        assert_eq!(mad_outliers(&xs, MODIFIED_Z_THRESHOLD), vec![5]);
    }

    #[test]
    fn finds_low_and_high_outliers() {
        let xs = [10.0, 10.2, 9.9, 10.1, 2.0, 10.0, 18.0, 9.8];
        assert_eq!(mad_outliers(&xs, MODIFIED_Z_THRESHOLD), vec![4, 6]);
    }

    #[test]
    fn no_outliers_in_well_behaved_or_tiny_samples() {
        assert!(mad_outliers(&[1.0, 2.0, 3.0, 4.0, 5.0], 3.5).is_empty());
        assert!(mad_outliers(&[], 3.5).is_empty());
        assert!(mad_outliers(&[1.0], 3.5).is_empty());
        assert!(mad_outliers(&[1.0, 1000.0], 3.5).is_empty());
    }

    #[test]
    fn zero_variance_has_no_outliers_and_zero_scores() {
        assert!(mad_outliers(&[7.0; 5], 3.5).is_empty());
        assert_eq!(modified_z_scores(&[7.0; 3]), vec![0.0; 3]);
    }

    #[test]
    fn zero_mad_with_a_spike_uses_mean_ad_fallback() {
        // More than half the samples are equal: MAD is 0, the spike must still be caught.
        let xs = [5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 9.0];
        assert_eq!(mad(&xs), Some(0.0));
        assert_eq!(mad_outliers(&xs, 3.5), vec![6]);
        let z = modified_z_scores(&xs);
        assert!(z[6] > 3.5 && z[0] == 0.0);
    }
}
