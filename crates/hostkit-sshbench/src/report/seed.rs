//! Import of the seed script's log (`ssh-performance.sh run ... | tee log`): lines such as
//! `17/2240 cipher: aes128-ctr \t mac: umac-64-etm@openssh.com \t kex: curve25519-sha256 - 6 seconds avg.`
//! and failures `... kex: K - n/a (<first 40 chars of ssh stderr>)`.
//!
//! Fields are found by their `cipher:`/`mac:`/`kex:` labels, not by position, so the script's
//! broken progress counter (`1/ cipher: ...`), literal or real tabs, the older `- 6 seconds`
//! form and blog copies with names stripped (`mac:  kex: -`) all parse. Other lines are skipped.

use serde::{Deserialize, Serialize};

/// One row of the seed script's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedRow {
    pub cipher: String,
    pub mac: String,
    pub kex: String,
    /// Average whole seconds; None for `n/a (reason)` rows.
    pub seconds: Option<f64>,
    pub failure: Option<String>,
}

/// Parses an `ssh-performance.sh` log (lines without `seconds` and `n/a` are handled).
pub fn import_seed_log(text: &str) -> Vec<SeedRow> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<SeedRow> {
    let line = line.replace("\\t", " ").replace('\t', " ");
    let c = line.find("cipher:")?;
    let m = c + line[c..].find(" mac:")?;
    let k = m + line[m..].find(" kex:")?;
    let cipher = line[c + "cipher:".len()..m].trim().to_owned();
    let mac = line[m + " mac:".len()..k].trim().to_owned();
    let rest = line[k + " kex:".len()..].trim_start();
    // The kex name ends at the ` - ` separator; it may be empty (`kex: - 10 seconds`).
    let (kex, outcome) = match rest.strip_prefix('-') {
        Some(after) => ("", after),
        None => {
            let sep = rest.find(" -")?;
            (&rest[..sep], &rest[sep + 2..])
        }
    };
    let outcome = outcome.trim();
    let (seconds, failure) = if let Some(reason) = outcome.strip_prefix("n/a") {
        let reason = reason.trim();
        let reason = reason
            .strip_prefix('(')
            .map(|r| r.strip_suffix(')').unwrap_or(r))
            .unwrap_or(reason);
        (None, Some(reason.trim().to_owned()))
    } else {
        let mut words = outcome.split_whitespace();
        let value: f64 = words.next()?.parse().ok()?;
        if !words.next()?.starts_with("second") || !value.is_finite() {
            return None;
        }
        (Some(value), None)
    };
    Some(SeedRow {
        cipher,
        mac,
        kex: kex.trim().to_owned(),
        seconds,
        failure,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(c: &str, m: &str, k: &str, s: Option<f64>, f: Option<&str>) -> SeedRow {
        SeedRow {
            cipher: c.into(),
            mac: m.into(),
            kex: k.into(),
            seconds: s,
            failure: f.map(str::to_owned),
        }
    }

    #[test]
    fn current_format_with_literal_and_real_tabs() {
        let log = "17/2240 cipher: aes128-ctr \\t mac: umac-64-etm@openssh.com \\t kex: curve25519-sha256 - 6 seconds avg.\n\
                   18/2240 cipher: aes128-ctr \t mac: hmac-sha1 \t kex: diffie-hellman-group1-sha1 - 12 seconds avg.\n";
        assert_eq!(
            import_seed_log(log),
            vec![
                row(
                    "aes128-ctr",
                    "umac-64-etm@openssh.com",
                    "curve25519-sha256",
                    Some(6.0),
                    None
                ),
                row(
                    "aes128-ctr",
                    "hmac-sha1",
                    "diffie-hellman-group1-sha1",
                    Some(12.0),
                    None
                ),
            ]
        );
    }

    #[test]
    fn failures_keep_their_reason() {
        let log = "3/2240 cipher: 3des-cbc \\t mac: hmac-md5 \\t kex: sntrup761x25519-sha512@openssh.com - n/a (Unable to negotiate with 127.0.0.1 p)\n\
                   4/2240 cipher: x \\t mac: y \\t kex: z - n/a (ssh: connect to host bench port 22: Conn\n";
        let rows = import_seed_log(log);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].seconds, None);
        assert_eq!(
            rows[0].failure.as_deref(),
            Some("Unable to negotiate with 127.0.0.1 p")
        );
        assert_eq!(rows[0].kex, "sntrup761x25519-sha512@openssh.com");
        assert_eq!(
            rows[1].failure.as_deref(),
            Some("ssh: connect to host bench port 22: Conn"),
            "truncated, no closing paren"
        );
    }

    #[test]
    fn buggy_progress_older_form_and_stripped_names() {
        let log = "1/ cipher: aes192-ctr mac: umac-64@openssh.com kex: ecdh-sha2-nistp256 - 6 seconds\n\
                   cipher: aes128-ctr   mac:  kex: -  10 seconds avg.\n\
                   cipher: mac: kex: diffie-hellman-group-exchange-sha256 -  13 seconds avg.\n";
        assert_eq!(
            import_seed_log(log),
            vec![
                row(
                    "aes192-ctr",
                    "umac-64@openssh.com",
                    "ecdh-sha2-nistp256",
                    Some(6.0),
                    None
                ),
                row("aes128-ctr", "", "", Some(10.0), None),
                row(
                    "",
                    "",
                    "diffie-hellman-group-exchange-sha256",
                    Some(13.0),
                    None
                ),
            ]
        );
    }

    #[test]
    fn other_lines_are_skipped() {
        let log = "### Top-5 overall\n\
                   cipher: arcfour     20.26391)\n\
                   expr: syntax error\n\
                   cipher: a mac: b kex: c - lots of seconds\n\
                   \n";
        assert!(import_seed_log(log).is_empty());
    }
}
