//! Roll-ups (`--by comm|user`): processes grouped by a key with counts, thread-state totals and
//! summed user/system ticks. "43 x LLAWP in D" is the line a sick host needs.

use std::collections::HashMap;

use crate::snapshot::Process;
use crate::state::State;

/// One group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The key (escaped comm or user name).
    pub key: String,
    /// Processes in the group.
    pub processes: u32,
    /// Threads in the group.
    pub threads: u64,
    /// Threads in R.
    pub r_threads: u32,
    /// Threads in D.
    pub d_threads: u32,
    /// Summed user ticks (cumulative or per interval, as given).
    pub utime_ticks: u64,
    /// Summed system ticks.
    pub stime_ticks: u64,
}

/// Groups `(process, utime_ticks, stime_ticks)` items by `key`, sorted by system ticks, then
/// user ticks, descending, then key.
pub fn aggregate<'a, I, K>(items: I, key: K) -> Vec<Group>
where
    I: IntoIterator<Item = (&'a Process, u64, u64)>,
    K: Fn(&Process) -> String,
{
    let mut groups: HashMap<String, Group> = HashMap::new();
    for (p, ut, st) in items {
        let k = key(p);
        let g = groups.entry(k.clone()).or_insert_with(|| Group {
            key: k,
            processes: 0,
            threads: 0,
            r_threads: 0,
            d_threads: 0,
            utime_ticks: 0,
            stime_ticks: 0,
        });
        g.processes += 1;
        g.threads += p.stat.num_threads.max(1) as u64;
        g.r_threads += p.threads_in(State::RUNNING);
        g.d_threads += p.d_threads();
        g.utime_ticks += ut;
        g.stime_ticks += st;
    }
    let mut v: Vec<Group> = groups.into_values().collect();
    v.sort_by(|a, b| {
        (b.stime_ticks, b.utime_ticks)
            .cmp(&(a.stime_ticks, a.utime_ticks))
            .then_with(|| a.key.cmp(&b.key))
    });
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::tests::{proc_, with_threads};
    use crate::stat::escape_comm;

    #[test]
    fn groups_by_comm_with_state_counts() {
        let ps = [
            proc_(1, "LLAWP", 'D', 1, 10, 1),
            proc_(2, "LLAWP", 'D', 2, 20, 1),
            with_threads(proc_(3, "LLAWP", 'S', 0, 5, 1), &['D', 'R'], None),
            proc_(4, "bash", 'R', 100, 1, 1),
        ];
        let g = aggregate(
            ps.iter()
                .map(|p| (p, p.stat.utime_ticks, p.stat.stime_ticks)),
            |p| escape_comm(&p.stat.comm),
        );
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].key, "LLAWP");
        assert_eq!(
            (g[0].processes, g[0].threads, g[0].d_threads, g[0].r_threads),
            (3, 5, 3, 1)
        );
        assert_eq!((g[0].utime_ticks, g[0].stime_ticks), (3, 35));
        assert_eq!((g[1].key.as_str(), g[1].r_threads), ("bash", 1));
    }
}
