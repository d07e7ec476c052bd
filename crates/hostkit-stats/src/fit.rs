//! Ordinary least squares for one predictor (y = intercept + slope x), e.g. wall seconds
//! against bytes for the two-size slope that removes fixed per-connection cost.

use serde::{Deserialize, Serialize};

/// Ordinary least squares y = intercept + slope * x.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LinearFit {
    pub slope: f64,
    pub intercept: f64,
    /// Coefficient of determination (1 when y is constant and fitted exactly).
    pub r2: f64,
}

impl LinearFit {
    /// The fitted y at `x`.
    pub fn predict(&self, x: f64) -> f64 {
        self.intercept + self.slope * x
    }
}

/// Least-squares fit; `None` with fewer than 2 distinct x values or mismatched lengths.
pub fn least_squares(xs: &[f64], ys: &[f64]) -> Option<LinearFit> {
    if xs.len() != ys.len() || xs.len() < 2 {
        return None;
    }
    let n = xs.len() as f64;
    let mx = xs.iter().sum::<f64>() / n;
    let my = ys.iter().sum::<f64>() / n;
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    if sxx <= 0.0 || !sxx.is_finite() {
        return None;
    }
    let sxy: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let ss_tot: f64 = ys.iter().map(|y| (y - my) * (y - my)).sum();
    let ss_res: f64 = xs
        .iter()
        .zip(ys)
        .map(|(x, y)| {
            let e = y - (intercept + slope * x);
            e * e
        })
        .sum();
    let r2 = if ss_tot == 0.0 {
        1.0
    } else {
        1.0 - ss_res / ss_tot
    };
    Some(LinearFit {
        slope,
        intercept,
        r2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_line() {
        let f = least_squares(&[1.0, 2.0, 3.0], &[5.0, 7.0, 9.0]).unwrap();
        assert!((f.slope - 2.0).abs() < 1e-12);
        assert!((f.intercept - 3.0).abs() < 1e-12);
        assert!((f.r2 - 1.0).abs() < 1e-12);
        assert!((f.predict(10.0) - 23.0).abs() < 1e-12);
    }

    #[test]
    fn noisy_line_known_answer() {
        // x 1..5, y 2,4,5,4,5: slope 0.6, intercept 2.2, r2 0.6.
        let f = least_squares(&[1.0, 2.0, 3.0, 4.0, 5.0], &[2.0, 4.0, 5.0, 4.0, 5.0]).unwrap();
        assert!((f.slope - 0.6).abs() < 1e-12);
        assert!((f.intercept - 2.2).abs() < 1e-12);
        assert!((f.r2 - 0.6).abs() < 1e-12);
    }

    #[test]
    fn degenerate_inputs() {
        assert_eq!(least_squares(&[], &[]), None);
        assert_eq!(least_squares(&[1.0], &[1.0]), None);
        assert_eq!(
            least_squares(&[2.0, 2.0], &[1.0, 3.0]),
            None,
            "one distinct x"
        );
        assert_eq!(least_squares(&[1.0, 2.0], &[1.0]), None, "length mismatch");
        let flat = least_squares(&[1.0, 2.0], &[4.0, 4.0]).unwrap();
        assert_eq!((flat.slope, flat.intercept, flat.r2), (0.0, 4.0, 1.0));
    }
}
