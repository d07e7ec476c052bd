//! Runs the external programs of a build (bash for MAKE/CLEAN as dkms `eval`s them, patch,
//! strip, sign-file, openssl, depmod), and the message sink the actions talk through.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Where an action's messages go: dkms's stdout and stderr lines.
pub trait Say {
    fn out(&mut self, s: &str);
    fn err(&mut self, s: &str);
}

/// Straight to the process's stdout/stderr.
#[derive(Debug, Default)]
pub struct StdSay;

impl Say for StdSay {
    fn out(&mut self, s: &str) {
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(s.as_bytes());
        let _ = o.flush();
    }
    fn err(&mut self, s: &str) {
        let _ = std::io::stderr().lock().write_all(s.as_bytes());
    }
}

/// Buffered messages of one parallel build, replayed in order when it finishes.
#[derive(Debug, Default)]
pub struct Buffered {
    pub items: Vec<(bool, String)>,
}

impl Say for Buffered {
    fn out(&mut self, s: &str) {
        self.items.push((false, s.to_string()));
    }
    fn err(&mut self, s: &str) {
        self.items.push((true, s.to_string()));
    }
}

impl Buffered {
    /// Replays into another sink.
    pub fn replay(&self, to: &mut dyn Say) {
        for (is_err, s) in &self.items {
            if *is_err {
                to.err(s);
            } else {
                to.out(s);
            }
        }
    }
}

/// `bash -c CMD` in `dir` with extra environment; returns the exit status (127 if bash is
/// missing) and nothing else: output goes where `CMD` redirects it, else to /dev/null.
pub fn bash(cmd: &str, dir: &Path, env: &[(String, String)]) -> i32 {
    let mut c = Command::new("bash");
    c.args(["--noprofile", "--norc", "-c", cmd])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .env_remove("CC")
        .env_remove("CXX")
        .env_remove("CFLAGS")
        .env_remove("CXXFLAGS")
        .env_remove("LDFLAGS");
    for (k, v) in env {
        c.env(k, v);
    }
    c.status().map_or(127, |s| s.code().unwrap_or(128))
}

/// `bash -c CMD` in `dir`; returns the exit status and what it printed (stdout then stderr).
pub fn bash_output(cmd: &str, dir: &Path, env: &[(String, String)]) -> (i32, String) {
    let mut c = Command::new("bash");
    c.args(["--noprofile", "--norc", "-c", &format!("{{ {cmd}; }} 2>&1")])
        .current_dir(dir)
        .stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    match c.output() {
        Ok(o) => (
            o.status.code().unwrap_or(128),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        ),
        Err(e) => (127, format!("bash: {e}\n")),
    }
}

/// Runs a program; Ok(()) on exit 0, else the status and stderr.
pub fn run(prog: &str, args: &[&str], dir: Option<&Path>) -> Result<(), String> {
    let mut c = Command::new(prog);
    c.args(args).stdin(Stdio::null()).stdout(Stdio::null());
    if let Some(d) = dir {
        c.current_dir(d);
    }
    match c.output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!(
            "{prog} {}: {}: {}",
            args.join(" "),
            o.status,
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Err(format!("{prog}: {e}")),
    }
}

/// The last `n` lines of a file.
pub fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
