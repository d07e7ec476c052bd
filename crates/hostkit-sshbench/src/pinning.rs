//! Where ssh and the private sshd run during a benchmark (pure): on two different CPUs when
//! there are two, so neither waits for the other on a shared core; nothing pinned when the user
//! says `--no-pin` or only one CPU is allowed; for a remote target only ssh is pinned (the
//! server runs on its own machine).

use crate::record::Pinning;

/// Chooses CPUs from `allowed` (ascending). `private_sshd` is false for a remote target.
pub fn choose(allowed: &[usize], private_sshd: bool, no_pin: bool) -> Pinning {
    if no_pin {
        return Pinning {
            unpinned: Some("`--no-pin`".into()),
            ..Pinning::default()
        };
    }
    match (allowed, private_sshd) {
        ([], _) => Pinning {
            unpinned: Some("the allowed CPU set could not be read".into()),
            ..Pinning::default()
        },
        ([only], true) => Pinning {
            unpinned: Some(format!("only CPU {only} is allowed: ssh and sshd share it")),
            ..Pinning::default()
        },
        ([first, .., last], true) => Pinning {
            ssh_cpu: Some(*first),
            sshd_cpu: Some(*last),
            unpinned: None,
        },
        // A remote sshd runs on its own machine: only ssh is pinned, and nothing is lost.
        ([first, ..], false) => Pinning {
            ssh_cpu: Some(*first),
            sshd_cpu: None,
            unpinned: None,
        },
    }
}

/// The warning to print when something is not pinned (`None` when fully pinned).
pub fn warning(p: &Pinning) -> Option<String> {
    p.unpinned.as_ref().map(|why| {
        format!(
            "ssh and sshd are not both pinned to their own CPU ({why}); fast ciphers may read low until the scheduler separates them"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_cpus_give_ssh_and_sshd_one_each() {
        let p = choose(&[0, 1], true, false);
        assert_eq!(
            (p.ssh_cpu, p.sshd_cpu, p.unpinned.clone()),
            (Some(0), Some(1), None)
        );
        assert_eq!(warning(&p), None);
        let p = choose(&[2, 5, 7], true, false);
        assert_eq!((p.ssh_cpu, p.sshd_cpu), (Some(2), Some(7)));
    }

    #[test]
    fn one_cpu_no_pin_and_remote_say_why() {
        let one = choose(&[3], true, false);
        assert_eq!((one.ssh_cpu, one.sshd_cpu), (None, None));
        assert!(warning(&one).unwrap().contains("only CPU 3"));
        let off = choose(&[0, 1], true, true);
        assert!(off.unpinned.as_deref().unwrap().contains("--no-pin"));
        let remote = choose(&[0, 1], false, false);
        assert_eq!((remote.ssh_cpu, remote.sshd_cpu), (Some(0), None));
        assert_eq!(warning(&remote), None);
    }
}
