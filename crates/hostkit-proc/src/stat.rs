//! Parser for `/proc/PID/stat` and `/proc/PID/task/TID/stat` (proc_pid_stat(5), `do_task_stat()`
//! in fs/proc/array.c). The command name is unescaped and may hold spaces, parentheses,
//! newlines or any byte, so the line is split at the *first* `(` and the *last* `)`; comm is kept
//! as bytes and escaped only for display ([`escape_comm`]).

use crate::state::State;

/// `PF_KTHREAD` in the flags field (include/linux/sched.h): the task is a kernel thread.
pub const PF_KTHREAD: u64 = 0x0020_0000;

/// Fewest fields after the `)` this parser accepts: up to and including starttime (field 22),
/// present since Linux 2.6.
const MIN_TAIL_FIELDS: usize = 20;

/// The fields of one stat line that hostkit uses. Times are in clock ticks (`USER_HZ`,
/// `sysconf(_SC_CLK_TCK)`), cumulative since the task started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    /// Field 1: process (or thread) ID.
    pub pid: i32,
    /// Field 2: command name, raw bytes without the parentheses.
    pub comm: Vec<u8>,
    /// Field 3: state letter (any letter accepted).
    pub state: State,
    /// Field 4: parent PID.
    pub ppid: i32,
    /// Field 9: `PF_*` flags.
    pub flags: u64,
    /// Field 14: user-mode time in ticks (includes guest time).
    pub utime_ticks: u64,
    /// Field 15: kernel-mode time in ticks.
    pub stime_ticks: u64,
    /// Field 16: user time of reaped children, in ticks.
    pub cutime_ticks: i64,
    /// Field 17: system time of reaped children, in ticks.
    pub cstime_ticks: i64,
    /// Field 20: number of threads.
    pub num_threads: i64,
    /// Field 22: start time in ticks since boot; with `pid` it identifies a process across reads.
    pub starttime_ticks: u64,
    /// Field 39: CPU last run on (absent on very old kernels).
    pub processor: Option<i64>,
}

impl Stat {
    /// True when the task is a kernel thread (`PF_KTHREAD`).
    pub fn is_kthread(&self) -> bool {
        self.flags & PF_KTHREAD != 0
    }
}

/// Why a stat line could not be parsed. Carries the offending text so the message can show it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatError {
    /// No `(` opening the command name.
    #[error("stat line has no `(` before the command name")]
    NoOpenParen,
    /// No `)` closing the command name.
    #[error("stat line has no `)` after the command name")]
    NoCloseParen,
    /// The text before `(` is not a PID.
    #[error("stat line starts with `{0}`, expected a PID")]
    BadPid(String),
    /// Fewer fields after the command name than the minimum (truncated read or not a stat file).
    #[error(
        "stat line has {found} fields after the command name, expected at least {MIN_TAIL_FIELDS}"
    )]
    Truncated {
        /// Fields found after `)`.
        found: usize,
    },
    /// A numeric field holds something else.
    #[error("stat field {field} ({name}) is `{value}`, expected {expected}")]
    BadField {
        /// 1-based field number as in proc_pid_stat(5).
        field: usize,
        /// Field name.
        name: &'static str,
        /// The text found.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
}

/// Parses one stat file's whole contents (never stop at a newline: comm may contain one).
pub fn parse_stat(bytes: &[u8]) -> Result<Stat, StatError> {
    let open = bytes
        .iter()
        .position(|&b| b == b'(')
        .ok_or(StatError::NoOpenParen)?;
    let close = bytes
        .iter()
        .rposition(|&b| b == b')')
        .filter(|&c| c > open)
        .ok_or(StatError::NoCloseParen)?;
    let pid_text = trim(&bytes[..open]);
    let pid = parse_dec(pid_text)
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(|| StatError::BadPid(String::from_utf8_lossy(pid_text).into_owned()))?;
    let comm = bytes[open + 1..close].to_vec();
    let mut tail = [&b""[..]; 40];
    let found = split_fields(&bytes[close + 1..], &mut tail);
    if found < MIN_TAIL_FIELDS {
        return Err(StatError::Truncated { found });
    }
    let state = match tail[0] {
        [b] => State(*b),
        other => {
            return Err(bad(3, "state", other, "a single state letter"));
        }
    };
    Ok(Stat {
        pid,
        comm,
        state,
        ppid: num(&tail, 4, "ppid")?,
        flags: num(&tail, 9, "flags")?,
        utime_ticks: num(&tail, 14, "utime")?,
        stime_ticks: num(&tail, 15, "stime")?,
        cutime_ticks: num(&tail, 16, "cutime")?,
        cstime_ticks: num(&tail, 17, "cstime")?,
        num_threads: num(&tail, 20, "num_threads")?,
        starttime_ticks: num(&tail, 22, "starttime")?,
        processor: if found >= 37 {
            Some(num(&tail, 39, "processor")?)
        } else {
            None
        },
    })
}

/// Splits on ASCII whitespace into `out`; returns how many fields there were, or
/// `out.len() + 1` when there were more than `out` holds (the rest is not scanned).
fn split_fields<'a>(rest: &'a [u8], out: &mut [&'a [u8]; 40]) -> usize {
    let mut found = 0;
    let mut i = 0;
    while i < rest.len() {
        while i < rest.len() && rest[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while i < rest.len() && !rest[i].is_ascii_whitespace() {
            i += 1;
        }
        if start < i {
            if found == out.len() {
                // Enough for every field this parser reads; report "more than enough".
                return found + 1;
            }
            out[found] = &rest[start..i];
            found += 1;
        }
    }
    found
}

/// Parses 1-based field `field` from the tail (tail index = field - 3).
fn num<T: TryFrom<i128>>(
    tail: &[&[u8]; 40],
    field: usize,
    name: &'static str,
) -> Result<T, StatError> {
    let text = tail[field - 3];
    parse_dec(text)
        .and_then(|v| T::try_from(v).ok())
        .ok_or_else(|| bad(field, name, text, "an integer"))
}

fn bad(field: usize, name: &'static str, value: &[u8], expected: &'static str) -> StatError {
    StatError::BadField {
        field,
        name,
        value: String::from_utf8_lossy(value).into_owned(),
        expected,
    }
}

/// A decimal integer with an optional leading `-`, at most 20 digits; byte-level, no UTF-8
/// validation (this runs once per field per process per sample).
fn parse_dec(bytes: &[u8]) -> Option<i128> {
    let (neg, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    let mut v: i128 = 0;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + i128::from(d);
    }
    Some(if neg { -v } else { v })
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let end = bytes.iter().rposition(|b| !b.is_ascii_whitespace());
    match (start, end) {
        (Some(s), Some(e)) => &bytes[s..=e],
        _ => &[],
    }
}

/// Renders a raw command name for display: valid UTF-8 printable text as is, `\` as `\\`,
/// newline and tab as `\n` / `\t`, other control characters and invalid bytes as `\xHH`.
/// The result never contains a control character, so it cannot forge table rows.
pub fn escape_comm(comm: &[u8]) -> String {
    let mut out = String::with_capacity(comm.len());
    for chunk in comm.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() => {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        out.push_str(&format!("\\x{b:02x}"));
                    }
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A realistic 52-field tail (Linux 6.x) after the command name.
    const TAIL: &str = "S 1 4642 4642 0 -1 4194304 120 0 0 0 9 51 3 4 20 0 1 0 77731 2523136 \
        448 18446744073709551615 1 1 0 0 0 0 0 0 0 1 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0";

    fn line(comm: &[u8], tail: &str) -> Vec<u8> {
        let mut v = b"4644 (".to_vec();
        v.extend_from_slice(comm);
        v.extend_from_slice(b") ");
        v.extend_from_slice(tail.as_bytes());
        v.push(b'\n');
        v
    }

    #[test]
    fn hostile_comms_keep_the_tail_fields() {
        let comms: &[&[u8]] = &[
            b"sleep",
            b"zoo sys )ppid",
            b"a) R 1 2\nb (x",
            b"(",
            b")",
            b"))((",
            b"",
            b"\xff\xfe bad utf8",
            b"with\ttab",
            b"rcu_exp_par_gp_kthread_worker/0_and_some_more_to_reach_64_bytes_",
        ];
        for comm in comms {
            let s = parse_stat(&line(comm, TAIL)).unwrap();
            assert_eq!(s.pid, 4644);
            assert_eq!(s.comm, *comm, "{}", escape_comm(comm));
            assert_eq!(s.state, State::SLEEPING);
            assert_eq!((s.ppid, s.utime_ticks, s.stime_ticks), (1, 9, 51));
            assert_eq!((s.cutime_ticks, s.cstime_ticks), (3, 4));
            assert_eq!((s.num_threads, s.starttime_ticks), (1, 77731));
            assert_eq!(s.processor, Some(1));
        }
    }

    #[test]
    fn old_kernels_with_fewer_fields_are_accepted() {
        let tail = "R 1 2 3 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 100";
        let s = parse_stat(&line(b"old", tail)).unwrap();
        assert_eq!(
            (s.utime_ticks, s.stime_ticks, s.starttime_ticks),
            (5, 6, 100)
        );
        assert_eq!(s.processor, None);
    }

    #[test]
    fn extra_fields_and_unknown_letters_are_accepted() {
        let tail = format!("{} 7 7 7 7 7 7", TAIL.replacen('S', "Q", 1));
        let s = parse_stat(&line(b"new", &tail)).unwrap();
        assert_eq!(s.state, State(b'Q'));
        assert_eq!(s.stime_ticks, 51);
    }

    #[test]
    fn zombie_dead_and_idle_lines_parse() {
        for letter in ["Z", "X", "I", "P", "x", "K", "W"] {
            let tail = TAIL
                .replacen('S', letter, 1)
                .replacen(" 4642 4642 ", " -1 -1 ", 1);
            let s = parse_stat(&line(b"z", &tail)).unwrap();
            assert_eq!(s.state.letter().to_string(), letter);
        }
    }

    #[test]
    fn kthread_flag_is_read() {
        let tail = TAIL.replacen("4194304", "2129984", 1);
        assert!(
            parse_stat(&line(b"kworker/0:1", &tail))
                .unwrap()
                .is_kthread()
        );
        assert!(!parse_stat(&line(b"sleep", TAIL)).unwrap().is_kthread());
    }

    #[test]
    fn garbage_is_an_error_with_the_offending_text() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "no `(`"),
            (b"12 (abc", "no `)`"),
            (b"x1 (a) S 1", "starts with `x1`"),
            (b"12 (a) S 1 2 3", "has 4 fields"),
            (
                &line(b"a", &TAIL.replacen(" 9 51 ", " 9 fifty ", 1)),
                "field 15 (stime) is `fifty`",
            ),
            (
                &line(b"a", &TAIL.replacen('S', "SS", 1)),
                "field 3 (state) is `SS`",
            ),
        ];
        for (input, want) in cases {
            let err = parse_stat(input).unwrap_err().to_string();
            assert!(err.contains(want), "{err:?} lacks {want:?}");
        }
    }

    #[test]
    fn escape_makes_every_comm_one_printable_line() {
        assert_eq!(escape_comm(b"a) R 1 2\nb (x"), "a) R 1 2\\nb (x");
        assert_eq!(escape_comm(b"back\\slash"), "back\\\\slash");
        assert_eq!(escape_comm(b"\xff\x01ok"), "\\xff\\x01ok");
        assert_eq!(escape_comm("zoo☃".as_bytes()), "zoo☃");
        assert_eq!(escape_comm(b""), "");
    }

    proptest::proptest! {
        #[test]
        fn any_comm_bytes_give_the_same_tail(comm in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let s = parse_stat(&line(&comm, TAIL)).unwrap();
            proptest::prop_assert_eq!(&s.comm, &comm);
            proptest::prop_assert_eq!((s.utime_ticks, s.stime_ticks, s.starttime_ticks), (9, 51, 77731));
            proptest::prop_assert_eq!(s.state, State::SLEEPING);
            let shown = escape_comm(&comm);
            proptest::prop_assert!(!shown.chars().any(char::is_control));
        }

        #[test]
        fn arbitrary_input_never_panics(input in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse_stat(&input);
        }
    }
}
