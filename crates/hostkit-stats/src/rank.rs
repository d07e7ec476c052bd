//! Rank agreement between two orderings of the same items: Kendall's tau-b (Kendall, "The
//! treatment of ties in ranking problems", Biometrika 1945), used to check that two runs rank
//! the algorithm combinations alike (target tau >= 0.9).

use std::collections::HashMap;

/// Kendall's tau-b between two rankings of the same items (by name); items in only one are ignored.
/// A ranking lists names best first; a repeated name keeps its first position.
/// `None` when fewer than 2 items are common.
pub fn kendall_tau(a: &[&str], b: &[&str]) -> Option<f64> {
    let pos_b = first_positions(b);
    let pairs: Vec<(usize, usize)> = first_positions(a)
        .into_iter()
        .filter_map(|(name, ia)| pos_b.get(name).map(|&ib| (ia, ib)))
        .collect();
    tau_b(&pairs)
}

fn first_positions<'a>(names: &[&'a str]) -> HashMap<&'a str, usize> {
    let mut map = HashMap::new();
    for (i, n) in names.iter().enumerate() {
        map.entry(*n).or_insert(i);
    }
    map
}

/// tau-b = (C - D) / sqrt((n0 - n1)(n0 - n2)) over paired ranks (O(n^2), n is small here).
fn tau_b(pairs: &[(usize, usize)]) -> Option<f64> {
    if pairs.len() < 2 {
        return None;
    }
    let (mut concordant, mut discordant, mut ties_a, mut ties_b) = (0i64, 0i64, 0i64, 0i64);
    for (i, &(a1, b1)) in pairs.iter().enumerate() {
        for &(a2, b2) in &pairs[i + 1..] {
            let da = (a1 as i64 - a2 as i64).signum();
            let db = (b1 as i64 - b2 as i64).signum();
            match (da, db) {
                (0, 0) => {}
                (0, _) => ties_a += 1,
                (_, 0) => ties_b += 1,
                _ if da == db => concordant += 1,
                _ => discordant += 1,
            }
        }
    }
    let left = (concordant + discordant + ties_a) as f64;
    let right = (concordant + discordant + ties_b) as f64;
    let denom = (left * right).sqrt();
    (denom > 0.0).then(|| (concordant - discordant) as f64 / denom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_reversed_and_one_swap() {
        let a = ["a", "b", "c", "d", "e"];
        assert_eq!(kendall_tau(&a, &a), Some(1.0));
        let rev = ["e", "d", "c", "b", "a"];
        assert_eq!(kendall_tau(&a, &rev), Some(-1.0));
        // One adjacent swap among 5 items: 9 concordant, 1 discordant -> 0.8.
        let swap = ["a", "b", "c", "e", "d"];
        assert!((kendall_tau(&a, &swap).unwrap() - 0.8).abs() < 1e-12);
    }

    #[test]
    fn only_common_items_count() {
        let a = ["x", "a", "b", "c"];
        let b = ["a", "y", "b", "c", "z"];
        assert_eq!(kendall_tau(&a, &b), Some(1.0));
    }

    #[test]
    fn too_few_common_items() {
        assert_eq!(kendall_tau(&["a"], &["a"]), None);
        assert_eq!(kendall_tau(&["a", "b"], &["c", "d"]), None);
        assert_eq!(kendall_tau(&[], &[]), None);
    }

    #[test]
    fn repeated_names_keep_first_position() {
        let a = ["a", "b", "a", "c"];
        let b = ["a", "b", "c"];
        assert_eq!(kendall_tau(&a, &b), Some(1.0));
    }

    proptest::proptest! {
        #[test]
        fn tau_is_bounded_and_symmetric(seed in 0u64..500, n in 2usize..12) {
            let names: Vec<String> = (0..n).map(|i| format!("t{i}")).collect();
            let mut shuffled = names.clone();
            crate::Rng::new(seed).shuffle(&mut shuffled);
            let a: Vec<&str> = names.iter().map(String::as_str).collect();
            let b: Vec<&str> = shuffled.iter().map(String::as_str).collect();
            let t = kendall_tau(&a, &b).unwrap();
            proptest::prop_assert!((-1.0..=1.0).contains(&t));
            proptest::prop_assert_eq!(Some(t), kendall_tau(&b, &a));
        }
    }
}
