//! How long processes have stayed in D across interval samples. A D that clears within a
//! sample is normal I/O; one that persists sample after sample is the stuck task behind a
//! high load. Ages are lower bounds: a process counts as D since the first sample that saw a
//! D thread in it, and the clock restarts when a sample sees none.

use std::collections::HashMap;

use crate::snapshot::{Process, Snapshot};

/// First monotonic time each `(pid, starttime)` was seen with a D thread, still D since.
#[derive(Debug, Default, Clone)]
pub struct DTracker {
    since_ns: HashMap<(i32, u64), u64>,
    now_ns: u64,
}

impl DTracker {
    /// Folds in one sample: starts clocks for new D processes, drops the others.
    pub fn update(&mut self, snap: &Snapshot) {
        self.update_with(snap.processes.iter(), snap.monotonic_ns);
    }

    /// Folds in the processes of one sample taken at `monotonic_ns` that the caller keeps
    /// (the filters), so a filtered-out process never trips `--fail-on-d-age`.
    pub fn update_with<'a>(
        &mut self,
        processes: impl Iterator<Item = &'a Process>,
        monotonic_ns: u64,
    ) {
        let mut next = HashMap::new();
        for p in processes.filter(|p| p.d_threads() > 0) {
            let first = self.since_ns.get(&p.key()).copied().unwrap_or(monotonic_ns);
            next.insert(p.key(), first);
        }
        self.since_ns = next;
        self.now_ns = monotonic_ns;
    }

    /// Seconds `p` has been in D as of the last sample (0 when first seen then), `None` if
    /// it is not in D.
    pub fn age_seconds(&self, p: &Process) -> Option<f64> {
        let first = self.since_ns.get(&p.key())?;
        Some(self.now_ns.saturating_sub(*first) as f64 / 1e9)
    }

    /// The oldest D age, seconds, with its PID.
    pub fn oldest(&self) -> Option<(i32, f64)> {
        self.since_ns
            .iter()
            .map(|(k, first)| (k.0, self.now_ns.saturating_sub(*first) as f64 / 1e9))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::tests::{proc_, snapshot_at, with_threads};

    fn snap(ps: Vec<Process>, s: u64) -> Snapshot {
        snapshot_at(ps, 1, s * 1_000_000_000)
    }

    #[test]
    fn ages_grow_while_d_persists_and_reset_when_it_clears() {
        let mut t = DTracker::default();
        let d = proc_(5, "stuck", 'D', 0, 0, 1);
        let hidden = with_threads(proc_(6, "app", 'S', 0, 0, 1), &['D'], None);
        let calm = proc_(7, "calm", 'S', 0, 0, 1);
        t.update(&snap(vec![d.clone(), hidden.clone(), calm.clone()], 10));
        assert_eq!(t.age_seconds(&d), Some(0.0));
        assert_eq!(t.age_seconds(&calm), None);
        t.update(&snap(vec![d.clone(), hidden.clone()], 13));
        assert_eq!(t.age_seconds(&d), Some(3.0));
        assert_eq!(t.age_seconds(&hidden), Some(3.0));
        // The hidden D thread woke up; the D process was replaced by one reusing its PID.
        let reused = proc_(5, "new", 'D', 0, 0, 999);
        t.update(&snap(
            vec![reused.clone(), proc_(6, "app", 'S', 0, 0, 1)],
            20,
        ));
        assert_eq!(t.age_seconds(&hidden), None);
        assert_eq!(t.age_seconds(&reused), Some(0.0));
        assert_eq!(t.oldest(), Some((5, 0.0)));
    }
}
