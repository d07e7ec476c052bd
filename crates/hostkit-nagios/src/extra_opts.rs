//! `--extra-opts=[section][@file]`, the monitoring-plugins way of keeping plugin options in an
//! ini file (their lib/extra_opts.c and lib/parse_ini.c, 2.x behaviour, quirks included): every
//! `--extra-opts` argument is removed from the command line and the options of its section are
//! inserted, in order, right after the program name; the section defaults to the plugin's name
//! and the file to the first of [`DEFAULT_FILES`] that exists. A section line `key = value`
//! becomes `--key=value` (`-k=value` for one-letter keys, `--key` for `key=`). Pure: the
//! caller supplies the file contents, environment and an existence check.

use thiserror::Error;

/// Files searched, in order, when no `@file` is given and neither `MP_CONFIG_FILE` nor
/// `NAGIOS_CONFIG_PATH` names one.
pub const DEFAULT_FILES: &[&str] = &[
    "/usr/local/etc/monitoring-plugins/monitoring-plugins.ini",
    "/usr/local/etc/monitoring-plugins.ini",
    "/etc/monitoring-plugins/monitoring-plugins.ini",
    "/etc/monitoring-plugins.ini",
    "/etc/nagios/plugins.ini",
    "/usr/local/nagios/etc/plugins.ini",
    "/usr/local/etc/nagios/plugins.ini",
    "/etc/opt/nagios/plugins.ini",
    "/etc/nagios-plugins.ini",
    "/usr/local/etc/nagios-plugins.ini",
    "/etc/opt/nagios-plugins.ini",
];

/// File names tried in each directory of `NAGIOS_CONFIG_PATH` (colon-separated).
pub const PATH_FILE_NAMES: &[&str] = &[
    "monitoring-plugins.ini",
    "plugins.ini",
    "nagios-plugins.ini",
];

/// Why the options could not be read. `Display` is exactly what the C plugins print (on
/// stdout, exit 3), newline included.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExtraOptsError {
    /// No `@file`, and no default file exists (or `@` was followed by nothing).
    #[error("Cannot find config file in any standard location.\n")]
    NoFile,
    /// The file could not be opened; `reason` is `strerror(errno)`.
    #[error("Can't read config file: {reason}\n")]
    Unreadable {
        /// The file.
        path: String,
        /// `strerror` text, e.g. `No such file or directory`.
        reason: String,
    },
    /// The section does not exist or has no options.
    #[error("Invalid section '{section}' in config file '{path}'\n")]
    InvalidSection {
        /// The section.
        section: String,
        /// The file.
        path: String,
    },
    /// A line outside any section, a line without `=`, or a line starting with `=`.
    #[error("Config file error\n")]
    Syntax,
}

/// A `[section][@file]` locator split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locator {
    /// The section (the plugin name when none was given).
    pub section: String,
    /// `Some(file)` after `@` (possibly empty, which is an error), `None` to search.
    pub file: Option<String>,
}

/// Splits `[section][@file]`; `None` (a bare `--extra-opts`) means both defaults.
pub fn parse_locator(locator: Option<&str>, plugin: &str) -> Locator {
    let text = locator.unwrap_or("");
    let (section, file) = match text.split_once('@') {
        Some((s, f)) => (s, Some(f.to_string())),
        None => (text, None),
    };
    Locator {
        section: if section.is_empty() { plugin } else { section }.to_string(),
        file,
    }
}

/// The file to read when the locator names none: `MP_CONFIG_FILE` as is (even if missing),
/// else the first existing `DIR/NAME` over `NAGIOS_CONFIG_PATH` and [`PATH_FILE_NAMES`], else
/// the first existing [`DEFAULT_FILES`] entry.
pub fn default_file(
    mp_config_file: Option<&str>,
    nagios_config_path: Option<&str>,
    exists: impl Fn(&str) -> bool,
) -> Option<String> {
    if let Some(f) = mp_config_file {
        return Some(f.to_string());
    }
    if let Some(path) = nagios_config_path {
        for dir in path.split(':').filter(|d| !d.is_empty()) {
            for name in PATH_FILE_NAMES {
                let candidate = format!("{dir}/{name}");
                if exists(&candidate) {
                    return Some(candidate);
                }
            }
        }
    }
    DEFAULT_FILES
        .iter()
        .find(|f| exists(f))
        .map(|f| f.to_string())
}

/// The `--extra-opts` occurrences in `args` (without the program name): the arguments with
/// them removed, and the locator of each (`None` for a bare `--extra-opts`), in order.
/// A bare `--extra-opts` takes the next argument as its value unless it looks like an option
/// (one or two leading dashes).
pub fn split_args(args: &[String]) -> (Vec<String>, Vec<Option<String>>) {
    let mut rest = Vec::new();
    let mut locators = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if let Some(v) = a.strip_prefix("--extra-opts=") {
            locators.push(Some(v.to_string()));
        } else if a == "--extra-opts" {
            match args.get(i) {
                Some(next) if !looks_like_option(next) => {
                    locators.push(Some(next.clone()));
                    i += 1;
                }
                _ => locators.push(None),
            }
        } else {
            rest.push(a.clone());
        }
    }
    (rest, locators)
}

/// C `is_option2`: one or two leading dashes (not three).
fn looks_like_option(s: &str) -> bool {
    let dashes = s.bytes().take_while(|b| *b == b'-').count();
    dashes == 1 || dashes == 2
}

/// C `isspace` in the C locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// A byte reader with C's `fgetc`/`ungetc`.
struct Reader<'a> {
    text: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn getc(&mut self) -> Option<u8> {
        let c = self.text.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    /// Reads up to and including the next `\n` (or to the end).
    fn gobble_line(&mut self) {
        while let Some(c) = self.getc() {
            if c == b'\n' {
                break;
            }
        }
    }

    /// The rest of the current line, without its `\n` (which is consumed).
    fn line(&mut self) -> &[u8] {
        let start = self.pos;
        let end = self.text[start..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(self.text.len(), |n| start + n);
        self.pos = (end + 1).min(self.text.len());
        &self.text[start..end]
    }
}

/// The options of `section` in ini `text`, as command-line arguments; `Ok(None)` when the
/// section is missing or empty (the caller reports [`ExtraOptsError::InvalidSection`]).
pub fn read_section(text: &[u8], section: &str) -> Result<Option<Vec<String>>, ExtraOptsError> {
    #[derive(PartialEq)]
    enum In {
        NoSection,
        Other,
        Wanted,
    }
    let want = section.as_bytes();
    let mut r = Reader { text, pos: 0 };
    let mut state = In::NoSection;
    let mut options = Vec::new();
    while let Some(c) = r.getc() {
        if is_space(c) {
            continue;
        }
        match c {
            b';' | b'#' => r.gobble_line(),
            b'[' => {
                state = In::Other;
                let mut matched = true;
                for (i, &expected) in want.iter().enumerate() {
                    let mut c = r.getc();
                    if i == 0 {
                        while c.is_some_and(is_space) {
                            c = r.getc();
                        }
                    }
                    if c != Some(expected) {
                        // C gobbles from here to the end of the line; if the mismatch was the
                        // newline itself, the next line goes too.
                        r.gobble_line();
                        matched = false;
                        break;
                    }
                }
                if matched {
                    let mut c = r.getc();
                    while c.is_some_and(is_space) {
                        c = r.getc();
                    }
                    if c == Some(b']') {
                        state = In::Wanted;
                    }
                }
            }
            _ => match state {
                In::NoSection => return Err(ExtraOptsError::Syntax),
                In::Other => r.gobble_line(),
                In::Wanted => {
                    r.pos -= 1;
                    options.push(option_from_line(r.line())?);
                }
            },
        }
    }
    Ok((!options.is_empty()).then_some(options))
}

/// One `key[ ]*(=[ ]*value)?` line (leading space already skipped) as `--key=value`.
fn option_from_line(line: &[u8]) -> Result<String, ExtraOptsError> {
    let eq = line.iter().position(|&c| c == b'=');
    let Some(eq) = eq else {
        return Err(ExtraOptsError::Syntax);
    };
    if eq == 0 {
        return Err(ExtraOptsError::Syntax);
    }
    // The key ends before a run of white space that reaches the `=`; C's scan forgets the
    // run's start at its second blank, so only a single blank before `=` is dropped.
    let mut blank: Option<usize> = None;
    for (i, &c) in line[..eq].iter().enumerate() {
        blank = if is_space(c) && blank.is_none() {
            Some(i)
        } else {
            None
        };
    }
    let key = &line[..blank.unwrap_or(eq)];
    let value_start = line[eq + 1..]
        .iter()
        .position(|&c| !is_space(c))
        .map(|n| eq + 1 + n);
    let mut arg = String::from(if key.len() == 1 { "-" } else { "--" });
    arg.push_str(&String::from_utf8_lossy(key));
    if let Some(start) = value_start {
        let end = line.iter().rposition(|&c| !is_space(c)).expect("a value") + 1;
        arg.push('=');
        arg.push_str(&String::from_utf8_lossy(&line[start..end]));
    }
    Ok(arg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn locators() {
        let p = "check_ntp_time";
        assert_eq!(
            parse_locator(None, p),
            Locator {
                section: p.into(),
                file: None
            }
        );
        assert_eq!(parse_locator(Some("ntp"), p).section, "ntp");
        let l = parse_locator(Some("@/etc/x.ini"), p);
        assert_eq!(
            (l.section.as_str(), l.file.as_deref()),
            (p, Some("/etc/x.ini"))
        );
        let l = parse_locator(Some("s@"), p);
        assert_eq!((l.section.as_str(), l.file.as_deref()), ("s", Some("")));
        let l = parse_locator(Some("a@b@c"), p);
        assert_eq!((l.section.as_str(), l.file.as_deref()), ("a", Some("b@c")));
    }

    #[test]
    fn default_file_search_order() {
        let none = |_: &str| false;
        assert_eq!(default_file(None, None, none), None);
        assert_eq!(
            default_file(Some("/missing.ini"), None, none).as_deref(),
            Some("/missing.ini")
        );
        let only = |want: &'static str| move |f: &str| f == want;
        assert_eq!(
            default_file(None, Some("::/a:/b"), only("/b/plugins.ini")).as_deref(),
            Some("/b/plugins.ini")
        );
        assert_eq!(
            default_file(None, None, only("/etc/nagios/plugins.ini")).as_deref(),
            Some("/etc/nagios/plugins.ini")
        );
    }

    #[test]
    fn extra_opts_are_pulled_out_in_order() {
        let (rest, locs) = split_args(&args(&[
            "-H",
            "x",
            "--extra-opts=a@f",
            "--extra-opts",
            "b",
            "--extra-opts",
            "-w",
            "1",
            "--extra-opts",
        ]));
        assert_eq!(rest, args(&["-H", "x", "-w", "1"]));
        assert_eq!(locs, vec![Some("a@f".into()), Some("b".into()), None, None]);
        let (rest, locs) = split_args(&args(&["--extra-opts", "---x"]));
        assert_eq!((rest.len(), locs), (0, vec![Some("---x".into())]));
    }

    #[test]
    fn sections_and_lines_like_parse_ini() {
        let ini = b"; comment\n# another\n[other]\nwarning=9\n[ check_ntp_time ]\n  warning = 0.5 \ncritical=1\nw=2\nquiet=\nhostname  =h\n\n[check_ntp_time_x]\nport=1\n[check_ntp_time]\nport = 123\r\n";
        let got = read_section(ini, "check_ntp_time").unwrap().unwrap();
        assert_eq!(
            got,
            args(&[
                "--warning=0.5",
                "--critical=1",
                "-w=2",
                "--quiet",
                "--hostname  =h",
                "--port=123"
            ])
        );
        assert_eq!(read_section(ini, "missing").unwrap(), None);
        assert_eq!(read_section(b"[s]\n", "s").unwrap(), None);
        assert_eq!(
            read_section(b"w=1\n[s]\n", "s"),
            Err(ExtraOptsError::Syntax)
        );
        assert_eq!(
            read_section(b"[s]\nnoequals\n", "s"),
            Err(ExtraOptsError::Syntax)
        );
        assert_eq!(read_section(b"[s]\n=1\n", "s"), Err(ExtraOptsError::Syntax));
        // Text after `]` on a header line is read as an option line.
        assert_eq!(read_section(b"[s] x\n", "s"), Err(ExtraOptsError::Syntax));
        assert_eq!(
            read_section(b"[s]\nkey = a b \n", "s").unwrap().unwrap(),
            args(&["--key=a b"])
        );
        assert_eq!(
            ExtraOptsError::InvalidSection {
                section: "s".into(),
                path: "/f".into()
            }
            .to_string(),
            "Invalid section 's' in config file '/f'\n"
        );
    }
}
