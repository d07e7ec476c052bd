//! User identity: the effective UID from `/proc/PID/status` (`Uid: real effective saved fs`)
//! for trees that are not a live procfs, and UID -> name from passwd(5) text. Pure parsers;
//! no NSS calls, so a hung directory service cannot stall a read of a sick host.

use std::collections::HashMap;

/// The effective UID from a status file's `Uid:` line, if present.
pub fn parse_status_euid(status: &[u8]) -> Option<u32> {
    status
        .split(|&b| b == b'\n')
        .find_map(|line| line.strip_prefix(b"Uid:"))
        .and_then(|rest| {
            std::str::from_utf8(rest)
                .ok()?
                .split_ascii_whitespace()
                .nth(1)?
                .parse()
                .ok()
        })
}

/// UID -> user name, from `name:x:uid:...` lines; the first entry for a UID wins.
pub fn parse_passwd(text: &str) -> HashMap<u32, String> {
    let mut map = HashMap::new();
    for line in text.lines() {
        let mut f = line.split(':');
        let (Some(name), Some(_), Some(uid)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if let Ok(uid) = uid.parse::<u32>() {
            map.entry(uid).or_insert_with(|| name.to_string());
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_euid_is_the_second_uid() {
        let status = b"Name:\tx\nState:\tS (sleeping)\nUid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\n";
        assert_eq!(parse_status_euid(status), Some(0));
        assert_eq!(parse_status_euid(b"Name:\tx\n"), None);
    }

    #[test]
    fn passwd_maps_uids_and_skips_junk() {
        let m =
            parse_passwd("root:x:0:0:root:/root:/bin/bash\n#c\nnobody:x:65534:65534::/:/x\nbad\n");
        assert_eq!(m.get(&0).map(String::as_str), Some("root"));
        assert_eq!(m.get(&65534).map(String::as_str), Some("nobody"));
        assert_eq!(m.len(), 2);
    }
}
