//! The real [`TrialRunner`]: spawns the system ssh (pinned to its CPU) with the algorithms
//! pinned, stdin opened on `/dev/zero` by ssh itself (no payload passes through hostkit), reaps
//! it with wait4(2) for client user+sys CPU, and reads its LogLevel DEBUG1 stderr to verify what
//! was negotiated (a mismatch is an error, never a silently wrong row), count NEWKEYS (rekeys),
//! pick up the server's `/proc/$PPID/stat` line and classify refusals as unsupported.
//!
//! Bulk samples time a window inside the connection: the remote command prints a marker line,
//! moves W warm-up bytes, prints another, moves N bytes, prints a third; hostkit timestamps the
//! markers as they arrive on ssh's stdout (upload: the payload goes to the remote `/dev/null`,
//! only the markers come back) or stderr (download: the payload is ssh's stdout, opened on
//! `/dev/null`; the markers travel as extended data on the same channel, behind the data sent
//! before them). A download also times a restart segment S (about N / 10) between W and N, with
//! a fourth marker: see [`restart_bytes`].
//!
//! Against the private sshd the next bulk sample's ssh is started when the current transfer
//! starts (first marker): it connects and authenticates during the warm-up, then its remote
//! shell blocks reading a FIFO (the gate) until the current sample has ended and the runner
//! writes a line to it. The handshake never overlaps a timed window.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use super::cancel::Cancel;
use super::client::HOST_ALIAS;
use super::{machine, sshd};
use crate::plan::{Direction, Trial, TrialKind};
use crate::record::Negotiated;
use crate::session::{Measurement, RunnerError, Size, TrialOutcome, TrialRunner};

/// Marker the remote command prints before the sshd process's stat line.
const STAT_MARKER: &str = "hostkit-stat: ";
/// Line the remote command prints when the transfer starts, when the timed window opens and
/// when it closes.
pub const WINDOW_MARKER: &str = "hostkit-mark";
/// Line a connection set up ahead prints when its remote shell waits at the gate.
pub const READY_MARKER: &str = "hostkit-ready";

/// Runs trials with the system ssh.
#[derive(Debug)]
pub struct SshRunner {
    /// The ssh binary (`--ssh` or from PATH).
    pub ssh: PathBuf,
    /// The generated `-F` config.
    pub config: PathBuf,
    /// Where the per-sample ssh debug log is written (overwritten each sample).
    pub work_dir: PathBuf,
    /// Where a failing sample's log is copied so it outlives the temp dir.
    pub keep_dir: PathBuf,
    /// Kex pinned for baseline (zero-byte) samples: the bulk trials' kex.
    pub baseline_kex: Option<String>,
    /// PID of the private sshd listener: samples start only when it has no connection left,
    /// and handshake samples get server CPU from its reaped children (whole connection).
    pub listener: Option<i32>,
    /// Shared with the signal thread: stops the running ssh on Ctrl-C/SIGTERM.
    pub cancel: Arc<Cancel>,
    /// CPU ssh is pinned to (`sched_setaffinity` before exec), if any.
    pub pin_cpu: Option<usize>,
    clk_tck: f64,
    /// What [`TrialRunner::prepare`] announced.
    next: Option<(Trial, Size)>,
    /// The connection set up ahead, waiting at its gate.
    ahead: Option<Ahead>,
    /// Connections started (names their log and FIFO).
    conns: u64,
}

/// What ssh's debug output said.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SshLog {
    pub negotiated: Negotiated,
    /// `SSH2_MSG_NEWKEYS sent` lines (1 = initial key exchange only).
    pub newkeys_sent: u32,
    /// `(utime, stime)` ticks of the server process, when the remote command could read it.
    pub server_ticks: Option<(u64, u64)>,
    /// The "no matching ... found" line when the server refused an algorithm.
    pub refusal: Option<String>,
    /// The last non-debug line (ssh's error message), for error reports.
    pub last_error: Option<String>,
    /// Auth was refused (expected for kex-only samples).
    pub auth_refused: bool,
}

impl SshRunner {
    pub fn new(
        ssh: PathBuf,
        config: PathBuf,
        work_dir: PathBuf,
        keep_dir: PathBuf,
        cancel: Arc<Cancel>,
    ) -> Self {
        SshRunner {
            ssh,
            config,
            work_dir,
            keep_dir,
            baseline_kex: None,
            listener: None,
            cancel,
            pin_cpu: None,
            clk_tck: machine::clock_ticks_per_s(),
            next: None,
            ahead: None,
            conns: 0,
        }
    }
}

/// Command-line pieces for one sample: `-o` options, remote command, stdin from /dev/zero.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// `-o` options (LogLevel and the pinned algorithms).
    pub options: Vec<String>,
    /// The remote command.
    pub remote: String,
    /// Upload: ssh's stdin is `/dev/zero`, opened for it (otherwise `/dev/null`).
    pub stdin_zero: bool,
    /// Where the window markers arrive, if the sample has a timed window.
    pub markers: Option<Direction>,
    /// What to verify afterwards: (kex, cipher, mac) where `None` = not pinned.
    pub expect: (Option<String>, Option<String>, Option<Option<String>>),
    /// Auth is refused on purpose (`PreferredAuthentications=none`): exit 255 is success.
    pub kex_only: bool,
}

/// The restart segment S of a sample of `bytes` timed bytes in `dir`: downloads about a tenth
/// of N (64 KiB-aligned, at least 64 KiB), uploads none. A download's source is the remote
/// `head`: while the next one starts, nothing feeds sshd, the pipeline drains, and the window
/// loses ~5 ms (AES-GCM read 2-3 % low at 0.25 s); timing S, which pays the same restart, and
/// taking (N - S) / (window - restart) cancels it. In an upload the channel window and socket
/// buffers keep data flowing while `head` restarts (there the difference read ~1 % high).
pub fn restart_bytes(dir: Direction, bytes: u64) -> u64 {
    match dir {
        Direction::Up => 0,
        Direction::Down if bytes == 0 => 0,
        Direction::Down => ((bytes / 10).div_ceil(65536) * 65536)
            .max(65536)
            .min(bytes / 2),
    }
}

/// The remote command moving `size` in `dir`, then printing the server stat line on stderr.
/// With a payload: a marker line (the transfer starts), W warm-up bytes, a marker line (the
/// window opens), N timed bytes, a marker line (it closes); upload: markers on stdout;
/// download: on stderr, since stdout carries the payload. With a `gate` (a FIFO on the
/// private sshd's machine) the command first prints [`READY_MARKER`] on the marker stream and
/// waits for a line on the FIFO; it exits if the FIFO is closed without one.
pub fn remote_command(dir: Direction, size: Size, gate: Option<&Path>) -> String {
    let head = |n: u64| match dir {
        Direction::Up => format!("head -c {n} >/dev/null"),
        Direction::Down => format!("head -c {n} /dev/zero"),
    };
    let say = |line: &str| match dir {
        Direction::Up => format!("echo {line}"),
        Direction::Down => format!("echo {line} >&2"),
    };
    let mark = say(WINDOW_MARKER);
    let restart = restart_bytes(dir, size.bytes);
    let transfer = if size.bytes == 0 {
        head(0)
    } else {
        // W, then S (downloads), then N, a marker before each and after the last.
        let restart = (restart > 0).then_some(restart);
        let segments: Vec<String> = std::iter::once(size.warmup_bytes)
            .chain(restart)
            .chain([size.bytes])
            .map(head)
            .collect();
        format!(
            "{mark}; {}; s=$?; {mark}; (exit $s)",
            segments.join(&format!("; {mark}; "))
        )
    };
    let wait = gate.map_or(String::new(), |g| {
        format!(
            "{}; read -r _ <{} || exit 1; ",
            say(READY_MARKER),
            hostkit_render::shell::word(&g.to_string_lossy())
        )
    });
    format!(
        "{wait}{transfer}; s=$?; printf '{STAT_MARKER}%s\\n' \"$(cat /proc/$PPID/stat 2>/dev/null)\" >&2; exit $s"
    )
}

/// Builds the invocation of `trial` (pure).
pub fn invocation(
    trial: &Trial,
    size: Size,
    baseline_kex: Option<&str>,
    gate: Option<&Path>,
) -> Invocation {
    let mut options = vec!["LogLevel=DEBUG1".to_string()];
    let pin_kex = |k: &str, options: &mut Vec<String>| {
        options.push(format!("KexAlgorithms={k}"));
        Some(k.to_string())
    };
    match &trial.kind {
        TrialKind::Bulk {
            cipher,
            mac,
            kex,
            direction,
        } => {
            let k = pin_kex(kex, &mut options);
            options.push(format!("Ciphers={cipher}"));
            if let Some(m) = mac {
                options.push(format!("MACs={m}"));
            }
            Invocation {
                options,
                remote: remote_command(*direction, size, gate.filter(|_| size.bytes > 0)),
                stdin_zero: *direction == Direction::Up,
                markers: (size.bytes > 0).then_some(*direction),
                expect: (k, Some(cipher.clone()), Some(mac.clone())),
                kex_only: false,
            }
        }
        TrialKind::Baseline { direction } => {
            let k = baseline_kex.and_then(|k| pin_kex(k, &mut options));
            Invocation {
                options,
                remote: remote_command(*direction, Size::default(), None),
                stdin_zero: *direction == Direction::Up,
                markers: None,
                expect: (k, None, None),
                kex_only: false,
            }
        }
        TrialKind::KexOnly { kex } => {
            let k = pin_kex(kex, &mut options);
            options.push("PreferredAuthentications=none".into());
            Invocation {
                options,
                remote: "true".into(),
                stdin_zero: false,
                markers: None,
                expect: (k, None, None),
                kex_only: true,
            }
        }
        TrialKind::Connect { kex } => {
            let k = pin_kex(kex, &mut options);
            Invocation {
                options,
                remote: "true".into(),
                stdin_zero: false,
                markers: None,
                expect: (k, None, None),
                kex_only: false,
            }
        }
    }
}

/// Parses ssh's LogLevel DEBUG1 stderr (first key exchange wins; later ones are rekeys).
pub fn parse_ssh_log(text: &str) -> SshLog {
    let mut log = SshLog::default();
    let mut have_c2s = false;
    let mut have_s2c = false;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(rest) = line.strip_prefix("debug1: kex: algorithm: ") {
            if log.negotiated.kex.is_empty() {
                log.negotiated.kex = rest.trim().to_string();
            }
        } else if let Some(rest) = line.strip_prefix("debug1: kex: client->server cipher: ") {
            if !have_c2s {
                (log.negotiated.cipher_c2s, log.negotiated.mac_c2s) = cipher_mac(rest);
                have_c2s = true;
            }
        } else if let Some(rest) = line.strip_prefix("debug1: kex: server->client cipher: ") {
            if !have_s2c {
                (log.negotiated.cipher_s2c, log.negotiated.mac_s2c) = cipher_mac(rest);
                have_s2c = true;
            }
        } else if line.contains("SSH2_MSG_NEWKEYS sent") {
            log.newkeys_sent += 1;
        } else if let Some(rest) = line.split_once(STAT_MARKER).map(|(_, r)| r) {
            log.server_ticks = machine::parse_stat_times(rest);
        } else if line.contains("no matching") && line.contains("found") {
            log.refusal = Some(line.to_string());
        } else if line.contains("Permission denied") {
            log.auth_refused = true;
            log.last_error = Some(line.to_string());
        } else if !line.starts_with("debug") && !line.trim().is_empty() {
            log.last_error = Some(line.to_string());
        }
    }
    log
}

/// `C MAC: M compression: none` -> (C, M).
fn cipher_mac(rest: &str) -> (String, String) {
    let mut words = rest.split_whitespace();
    let cipher = words.next().unwrap_or("").to_string();
    let mac = match (words.next(), words.next()) {
        (Some("MAC:"), Some(m)) => m.to_string(),
        _ => String::new(),
    };
    (cipher, mac)
}

/// Checks the negotiated algorithms against the pinned ones; `Err` names the difference.
pub fn verify(inv: &Invocation, got: &Negotiated) -> Result<(), String> {
    let (kex, cipher, mac) = &inv.expect;
    if let Some(k) = kex
        && &got.kex != k
    {
        return Err(format!("asked for kex `{k}`, ssh negotiated `{}`", got.kex));
    }
    if inv.kex_only {
        return Ok(());
    }
    if let Some(c) = cipher {
        for (dir, gc) in [
            ("client->server", &got.cipher_c2s),
            ("server->client", &got.cipher_s2c),
        ] {
            if gc != c {
                return Err(format!(
                    "asked for cipher `{c}`, ssh negotiated `{gc}` ({dir})"
                ));
            }
        }
    }
    if let Some(m) = mac {
        let want = m.as_deref().unwrap_or("<implicit>");
        for (dir, gm) in [
            ("client->server", &got.mac_c2s),
            ("server->client", &got.mac_s2c),
        ] {
            if gm != want {
                return Err(format!(
                    "asked for MAC `{want}`, ssh negotiated `{gm}` ({dir})"
                ));
            }
        }
    }
    Ok(())
}

/// What a finished ssh run means for the session (pure, see [`classify`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Measured as asked.
    Ok,
    /// The server or client refused the combination: recorded, and the run goes on.
    Unsupported(String),
    /// Stops the run; the text says why (the caller adds the log's path).
    Fatal(String),
}

/// Decides from ssh's exit code and its parsed debug log whether the sample is good, refused or
/// a failure that must stop the run (a wrong negotiation included).
pub fn classify(inv: &Invocation, code: Option<i32>, log: &SshLog) -> Verdict {
    let ok = if inv.kex_only {
        log.auth_refused && !log.negotiated.kex.is_empty()
    } else {
        code == Some(0)
    };
    if !ok {
        if let Some(r) = &log.refusal {
            return Verdict::Unsupported(r.clone());
        }
        let status = code.map_or("was killed by a signal".to_string(), |c| {
            format!("exited with status {c}")
        });
        return Verdict::Fatal(format!(
            "ssh {status}: {}",
            log.last_error.as_deref().unwrap_or("no error message")
        ));
    }
    match verify(inv, &log.negotiated) {
        Ok(()) => Verdict::Ok,
        Err(why) => Verdict::Fatal(format!("negotiation mismatch: {why}")),
    }
}

/// Seconds between marker arrivals: the warm-up, the restart segment (downloads) and the
/// window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timings {
    pub warmup_s: f64,
    pub restart_s: Option<f64>,
    pub window_s: f64,
}

/// [`Timings`] from the marker arrivals: transfer start, window open, window close (3); with a
/// restart segment, transfer start, restart open, window open, window close (4). `None` when
/// fewer came.
pub fn window_seconds(marks: &[Instant], restart: bool) -> Option<Timings> {
    let secs = |a: &Instant, b: &Instant| b.duration_since(*a).as_secs_f64();
    match (restart, marks) {
        (false, [start, open, close, ..]) => Some(Timings {
            warmup_s: secs(start, open),
            restart_s: None,
            window_s: secs(open, close),
        }),
        (true, [start, mid, open, close, ..]) => Some(Timings {
            warmup_s: secs(start, mid),
            restart_s: Some(secs(mid, open)),
            window_s: secs(open, close),
        }),
        _ => None,
    }
}

/// What a watcher thread tells the runner as it happens.
#[derive(Debug, Clone, Copy)]
enum Seen {
    /// The remote shell waits at the gate.
    Ready,
    /// A [`WINDOW_MARKER`] line arrived.
    Mark,
}

/// Reads `from` line by line until EOF, copying every line to `copy` (when given), noting the
/// arrival time of each [`WINDOW_MARKER`] line and telling `tell` about markers as they come.
fn watch(
    from: impl Read + Send + 'static,
    mut copy: Option<File>,
    tell: Option<mpsc::Sender<Seen>>,
) -> std::thread::JoinHandle<Vec<Instant>> {
    std::thread::spawn(move || {
        let mut marks = Vec::new();
        let mut reader = BufReader::with_capacity(64 * 1024, from);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let seen = if line.starts_with(WINDOW_MARKER.as_bytes()) {
                        marks.push(Instant::now());
                        Some(Seen::Mark)
                    } else if line.starts_with(READY_MARKER.as_bytes()) {
                        Some(Seen::Ready)
                    } else {
                        None
                    };
                    if let (Some(seen), Some(tx)) = (seen, tell.as_ref()) {
                        let _ = tx.send(seen);
                    }
                    if let Some(f) = copy.as_mut() {
                        let _ = f.write_all(&line);
                    }
                }
            }
        }
        marks
    })
}

/// A FIFO the remote shell of a connection set up ahead reads its start signal from. Writing a
/// line releases it; dropping the gate (our only writer) without one makes the shell exit.
#[derive(Debug)]
struct Gate {
    path: PathBuf,
    file: File,
}

impl Gate {
    fn new(path: PathBuf) -> std::io::Result<Gate> {
        let _ = std::fs::remove_file(&path);
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        // SAFETY: c is a valid NUL-terminated path.
        if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // Read-write: the open does not block, and the FIFO lives while we hold it.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)?;
        Ok(Gate { path, file })
    }

    fn release(&mut self) -> std::io::Result<()> {
        self.file.write_all(b"go\n")
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// One ssh process with its output watchers.
#[derive(Debug)]
struct Conn {
    child: std::process::Child,
    pid: i32,
    inv: Invocation,
    log_path: PathBuf,
    seen: mpsc::Receiver<Seen>,
    err_watch: Option<std::thread::JoinHandle<Vec<Instant>>>,
    out_watch: Option<std::thread::JoinHandle<Vec<Instant>>>,
    gate: Option<Gate>,
    started: Instant,
}

impl Conn {
    /// Waits for the next event from the watchers; `None` once ssh closed its output (it
    /// exited) or after `limit`.
    fn next_seen(&self, limit: Duration) -> Option<Seen> {
        self.seen.recv_timeout(limit).ok()
    }

    /// Stops ssh (its process group) and reaps it.
    fn kill(mut self) {
        // SAFETY: kill has no memory-safety preconditions; the group is our own child's.
        unsafe {
            libc::kill(-self.pid, libc::SIGTERM);
        }
        self.gate = None;
        let _ = wait4(self.pid);
        drop(self.child);
        for h in [self.err_watch.take(), self.out_watch.take()]
            .into_iter()
            .flatten()
        {
            let _ = h.join();
        }
    }
}

/// The sample a connection was set up ahead for.
#[derive(Debug)]
struct Ahead {
    trial: String,
    size: Size,
    conn: Conn,
}

impl SshRunner {
    /// Starts ssh for `trial` (not waiting for it), gated when `gated`.
    fn spawn(&mut self, trial: &Trial, size: Size, gated: bool) -> Result<Conn, RunnerError> {
        let err = |message: String| RunnerError { message };
        self.conns += 1;
        let n = self.conns % 4;
        let log_path = self.work_dir.join(format!("ssh-sample-{n}.log"));
        let gate = if gated {
            let path = self.work_dir.join(format!("gate-{n}"));
            Some(
                Gate::new(path.clone())
                    .map_err(|e| err(format!("creating the FIFO `{}`: {e}", path.display())))?,
            )
        } else {
            None
        };
        let inv = invocation(
            trial,
            size,
            self.baseline_kex.as_deref(),
            gate.as_ref().map(|g| g.path.as_path()),
        );
        let log_file = File::create(&log_path)
            .map_err(|e| err(format!("creating `{}`: {e}", log_path.display())))?;
        let stdin = if inv.stdin_zero {
            Stdio::from(
                File::open("/dev/zero").map_err(|e| err(format!("opening /dev/zero: {e}")))?,
            )
        } else {
            Stdio::null()
        };
        let mut cmd = Command::new(&self.ssh);
        cmd.arg("-F").arg(&self.config).arg("-T");
        for o in &inv.options {
            cmd.arg("-o").arg(o);
        }
        let stdout = match inv.markers {
            Some(Direction::Up) => Stdio::piped(),
            _ => Stdio::null(),
        };
        cmd.arg(HOST_ALIAS)
            .arg(&inv.remote)
            .stdin(stdin)
            .stdout(stdout)
            .stderr(Stdio::piped())
            .process_group(0);
        super::die_with_parent(&mut cmd);
        if let Some(cpu) = self.pin_cpu {
            super::affinity::pin_command(&mut cmd, cpu);
        }
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .map_err(|e| err(format!("starting `{}`: {e}", self.ssh.display())))?;
        let pid = child.id() as i32;
        let (tx, seen) = mpsc::channel();
        let (err_tx, out_tx) = match inv.markers {
            Some(Direction::Up) => (None, Some(tx)),
            _ => (Some(tx), None),
        };
        let err_watch = child
            .stderr
            .take()
            .map(|e| watch(e, Some(log_file), err_tx));
        let out_watch = child.stdout.take().map(|o| watch(o, None, out_tx));
        Ok(Conn {
            child,
            pid,
            inv,
            log_path,
            seen,
            err_watch,
            out_watch,
            gate,
            started,
        })
    }

    /// Copies the sample log next to the results so an error can name it.
    fn keep_log(&self, trial: &Trial, log_path: &Path) -> PathBuf {
        let safe = super::file_safe(&trial.id);
        let dest = self.keep_dir.join(format!("hostkit-ssh-error-{safe}.log"));
        match std::fs::copy(log_path, &dest) {
            Ok(_) => dest,
            Err(_) => log_path.to_path_buf(),
        }
    }

    /// The connection for `trial`: the one set up ahead when it was for this very sample
    /// (released from its gate once the connection before it is gone), else a new one. Any
    /// other connection set up ahead is stopped.
    fn connect(&mut self, trial: &Trial, size: Size) -> Result<Conn, RunnerError> {
        match self.ahead.take() {
            Some(a) if a.trial == trial.id && a.size == size => {
                let mut conn = a.conn;
                self.cancel.set_ahead(0);
                if let Some(pid) = self.listener {
                    // Only the connection set up ahead may be left.
                    sshd::wait_until_at_most(pid, 1, Duration::from_secs(2));
                }
                // The remote shell normally waits at the gate by now; if ssh failed instead
                // (a refused cipher), its output ends and the failure is classified below.
                while let Some(seen) = conn.next_seen(Duration::from_secs(30)) {
                    if matches!(seen, Seen::Ready) {
                        break;
                    }
                }
                if let Some(gate) = conn.gate.as_mut() {
                    // A shell that already exited cannot read it; ssh's status tells why.
                    let _ = gate.release();
                }
                conn.started = Instant::now();
                Ok(conn)
            }
            other => {
                if let Some(a) = other {
                    self.cancel.set_ahead(0);
                    a.conn.kill();
                }
                if let Some(pid) = self.listener {
                    sshd::wait_until_idle(pid, Duration::from_secs(2));
                }
                self.spawn(trial, size, false)
            }
        }
    }

    /// Once `conn`'s transfer has started (its first marker), sets up the connection for the
    /// sample announced by [`TrialRunner::prepare`], if it is a bulk sample against the private
    /// sshd: its handshake then overlaps this sample's warm-up, not its window.
    fn set_up_next(&mut self, conn: &Conn) -> Result<(), RunnerError> {
        let Some((trial, size)) = self.next.take() else {
            return Ok(());
        };
        // Private sshd only: the gate is a FIFO on this machine.
        if self.listener.is_none()
            || conn.inv.markers.is_none()
            || size.bytes == 0
            || !matches!(trial.kind, TrialKind::Bulk { .. })
        {
            return Ok(());
        }
        match conn.next_seen(Duration::from_secs(60)) {
            Some(Seen::Mark) => {}
            _ => return Ok(()),
        }
        if self.cancel.is_cancelled() {
            return Ok(());
        }
        let next = self.spawn(&trial, size, true)?;
        self.cancel.set_ahead(next.pid);
        self.ahead = Some(Ahead {
            trial: trial.id.clone(),
            size,
            conn: next,
        });
        Ok(())
    }
}

impl Drop for SshRunner {
    fn drop(&mut self) {
        if let Some(a) = self.ahead.take() {
            self.cancel.set_ahead(0);
            a.conn.kill();
        }
    }
}

impl TrialRunner for SshRunner {
    fn prepare(&mut self, next: &Trial, size: Size) {
        self.next = Some((next.clone(), size));
    }

    fn run(&mut self, trial: &Trial, size: Size) -> Result<TrialOutcome, RunnerError> {
        let err = |message: String| RunnerError { message };
        let handshake = matches!(
            trial.kind,
            TrialKind::KexOnly { .. } | TrialKind::Connect { .. }
        );
        let mut conn = self.connect(trial, size)?;
        let connected_ahead = conn.gate.is_some();
        let server_before = self
            .listener
            .filter(|_| handshake)
            .and_then(sshd::reaped_children_cpu_s);
        let pid = conn.pid;
        self.cancel.set_child(pid);
        if self.cancel.is_cancelled() {
            self.cancel.cancel();
        }
        let next = self.set_up_next(&conn);
        let waited = wait4(pid);
        let wall_s = conn.started.elapsed().as_secs_f64();
        self.cancel.set_child(0);
        conn.gate = None;
        let err_marks = conn
            .err_watch
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        let out_marks = conn
            .out_watch
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        let (code, ru) = waited.map_err(|e| err(format!("waiting for ssh: {e}")))?;
        next?;
        let load1 = machine::load1();
        let text = std::fs::read_to_string(&conn.log_path).unwrap_or_default();
        let log = parse_ssh_log(&text);
        if self.cancel.is_cancelled() {
            return Err(err("interrupted".into()));
        }
        let inv = &conn.inv;
        match classify(inv, code, &log) {
            Verdict::Ok => {}
            Verdict::Unsupported(r) => return Ok(TrialOutcome::Unsupported(r)),
            Verdict::Fatal(why) => {
                let path = self.keep_log(trial, &conn.log_path);
                return Err(err(format!("{why} (ssh debug log: `{}`)", path.display())));
            }
        }
        let restart = inv.markers.map_or(0, |dir| restart_bytes(dir, size.bytes));
        let timings = match inv.markers {
            None => None,
            Some(dir) => {
                let marks = if dir == Direction::Up {
                    &out_marks
                } else {
                    &err_marks
                };
                let Some(t) = window_seconds(marks, restart > 0) else {
                    let path = self.keep_log(trial, &conn.log_path);
                    return Err(err(format!(
                        "the remote command printed {} of {} `{WINDOW_MARKER}` lines; is the remote shell POSIX with `head -c`? (ssh debug log: `{}`)",
                        marks.len(),
                        if restart > 0 { 4 } else { 3 },
                        path.display()
                    )));
                };
                Some(t)
            }
        };
        let server = if handshake {
            // The whole connection (pre-auth kex child, monitor, session) once it is reaped.
            self.listener
                .zip(server_before)
                .and_then(|(pid, (u0, s0))| {
                    sshd::wait_until_idle(pid, Duration::from_secs(2));
                    sshd::reaped_children_cpu_s(pid).map(|(u1, s1)| (u1 - u0, s1 - s0))
                })
        } else {
            log.server_ticks
                .map(|(u, s)| (u as f64 / self.clk_tck, s as f64 / self.clk_tck))
        };
        Ok(TrialOutcome::Measured(Box::new(Measurement {
            bytes: size.bytes,
            warmup_bytes: if inv.markers.is_some() {
                size.warmup_bytes
            } else {
                0
            },
            window_s: timings.map(|t| t.window_s),
            warmup_s: timings.map(|t| t.warmup_s),
            restart_bytes: restart,
            restart_s: timings.and_then(|t| t.restart_s),
            connected_ahead,
            wall_s,
            client_user_s: ru.0,
            client_sys_s: ru.1,
            server_user_s: server.map(|s| s.0),
            server_sys_s: server.map(|s| s.1),
            load1,
            rekeys: log.newkeys_sent.saturating_sub(1),
            negotiated: log.negotiated,
        })))
    }
}

/// Reaps `pid` with wait4(2): exit code (None when killed by a signal) and (user, sys) seconds.
fn wait4(pid: i32) -> std::io::Result<(Option<i32>, (f64, f64))> {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pointers are to locals that outlive the call.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    let code = if libc::WIFEXITED(status) {
        Some(libc::WEXITSTATUS(status))
    } else {
        None
    };
    Ok((
        code,
        (super::timeval_s(ru.ru_utime), super::timeval_s(ru.ru_stime)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "debug1: Reading configuration data /tmp/x/ssh_config\n\
debug1: kex: algorithm: curve25519-sha256\n\
debug1: kex: host key algorithm: ssh-ed25519\n\
debug1: kex: server->client cipher: aes128-gcm@openssh.com MAC: <implicit> compression: none\n\
debug1: kex: client->server cipher: aes128-gcm@openssh.com MAC: <implicit> compression: none\n\
debug1: SSH2_MSG_NEWKEYS sent\n\
debug1: SSH2_MSG_NEWKEYS received\n\
debug1: kex: algorithm: curve25519-sha256\n\
debug1: SSH2_MSG_NEWKEYS sent\n\
hostkit-stat: 14143 (sshd) S 13818 14143 14143 0 -1 4194560 17348 298 0 0 7 3 1 0 20 0\n\
debug1: Exit status 0\n";

    fn sz(bytes: u64) -> Size {
        Size {
            warmup_bytes: 65536,
            bytes,
        }
    }

    pub(super) fn gcm() -> Trial {
        Trial {
            id: "bulk/up/aes128-gcm@openssh.com/<implicit>/curve25519-sha256".into(),
            kind: TrialKind::Bulk {
                cipher: "aes128-gcm@openssh.com".into(),
                mac: None,
                kex: "curve25519-sha256".into(),
                direction: Direction::Up,
            },
        }
    }

    #[test]
    fn parses_negotiation_rekeys_and_server_stat() {
        let l = parse_ssh_log(LOG);
        assert_eq!(l.negotiated.kex, "curve25519-sha256");
        assert_eq!(l.negotiated.cipher_c2s, "aes128-gcm@openssh.com");
        assert_eq!(l.negotiated.mac_s2c, "<implicit>");
        assert_eq!(l.newkeys_sent, 2);
        assert_eq!(l.server_ticks, Some((7, 3)));
        assert!(l.refusal.is_none());
        assert!(verify(&invocation(&gcm(), sz(1), None, None), &l.negotiated).is_ok());
    }

    #[test]
    fn mismatch_is_an_error_naming_both_names() {
        let l = parse_ssh_log(&LOG.replace(
            "aes128-gcm@openssh.com MAC",
            "chacha20-poly1305@openssh.com MAC",
        ));
        let e = verify(&invocation(&gcm(), sz(1), None, None), &l.negotiated).unwrap_err();
        assert!(
            e.contains("`aes128-gcm@openssh.com`") && e.contains("`chacha20-poly1305@openssh.com`"),
            "{e}"
        );
    }

    /// A captured OpenSSH 9.2p1 LogLevel DEBUG1 stderr (`testdata/ssh-debug/`).
    fn captured(name: &str) -> SshLog {
        let path = format!("{}/testdata/ssh-debug/{name}", env!("CARGO_MANIFEST_DIR"));
        parse_ssh_log(&std::fs::read_to_string(&path).unwrap())
    }

    fn bulk_up(cipher: &str) -> Invocation {
        let t = Trial {
            id: "t".into(),
            kind: TrialKind::Bulk {
                cipher: cipher.into(),
                mac: None,
                kex: "curve25519-sha256".into(),
                direction: Direction::Up,
            },
        };
        invocation(&t, sz(1 << 20), None, None)
    }

    #[test]
    fn classifies_captured_ssh_logs() {
        // A measured upload: negotiated as pinned, server stat line present.
        let ok = captured("ok-bulk-gcm.log");
        assert_eq!(
            classify(&bulk_up("aes128-gcm@openssh.com"), Some(0), &ok),
            Verdict::Ok
        );
        assert!(ok.server_ticks.is_some());
        // The same log for a trial that pinned something else: a mismatch stops the run.
        let v = classify(&bulk_up("aes128-ctr"), Some(0), &ok);
        assert!(
            matches!(&v, Verdict::Fatal(m) if m.contains("negotiation mismatch")),
            "{v:?}"
        );
        // The server does not offer the cipher: recorded, the run goes on.
        let v = classify(
            &bulk_up("aes256-ctr"),
            Some(255),
            &captured("refused-cipher.log"),
        );
        assert!(
            matches!(&v, Verdict::Unsupported(m) if m.contains("no matching cipher found")),
            "{v:?}"
        );
        // Kex-only: auth refused on purpose after the key exchange is success.
        let kex = Trial {
            id: "kex/ecdh".into(),
            kind: TrialKind::KexOnly {
                kex: "ecdh-sha2-nistp256".into(),
            },
        };
        let inv = invocation(&kex, Size::default(), None, None);
        assert_eq!(
            classify(&inv, Some(255), &captured("kex-only.log")),
            Verdict::Ok
        );
        // ...but the same exit without a key exchange (nothing listening) is fatal.
        let v = classify(&inv, Some(255), &captured("connection-refused.log"));
        assert!(
            matches!(&v, Verdict::Fatal(m) if m.contains("Connection refused")),
            "{v:?}"
        );
        // A remote command failing is fatal and names the status.
        let v = classify(
            &bulk_up("aes128-gcm@openssh.com"),
            Some(3),
            &captured("remote-exit-3.log"),
        );
        assert!(
            matches!(&v, Verdict::Fatal(m) if m.contains("status 3")),
            "{v:?}"
        );
        // Killed by a signal.
        let v = classify(&bulk_up("aes128-gcm@openssh.com"), None, &ok);
        assert!(
            matches!(&v, Verdict::Fatal(m) if m.contains("killed by a signal")),
            "{v:?}"
        );
    }

    #[test]
    fn warmup_and_window_come_from_the_three_marks() {
        let t0 = Instant::now();
        let t1 = t0 + Duration::from_millis(400);
        let t2 = t1 + Duration::from_millis(300);
        assert_eq!(window_seconds(&[t0, t1], false), None);
        let t = window_seconds(&[t0, t1, t2], false).unwrap();
        assert!((t.warmup_s - 0.4).abs() < 1e-9 && (t.window_s - 0.3).abs() < 1e-9);
        assert_eq!(t.restart_s, None);
        // A download: the restart segment sits between the warm-up and the window.
        assert_eq!(window_seconds(&[t0, t1, t2], true), None);
        let t3 = t2 + Duration::from_millis(250);
        let t = window_seconds(&[t0, t1, t2, t3], true).unwrap();
        assert!((t.warmup_s - 0.4).abs() < 1e-9 && (t.window_s - 0.25).abs() < 1e-9);
        assert!((t.restart_s.unwrap() - 0.3).abs() < 1e-9);
    }

    #[test]
    fn only_downloads_time_a_restart_segment_of_about_a_tenth() {
        assert_eq!(restart_bytes(Direction::Up, 300 << 20), 0);
        assert_eq!(restart_bytes(Direction::Down, 0), 0);
        assert_eq!(restart_bytes(Direction::Down, 300 << 20), 30 << 20);
        // 64 KiB-aligned, at least 64 KiB, never more than half the window.
        assert_eq!(restart_bytes(Direction::Down, 1_000_000), 131_072);
        assert_eq!(restart_bytes(Direction::Down, 256 << 10), 65_536);
        assert_eq!(restart_bytes(Direction::Down, 10), 5);
    }

    #[test]
    fn a_gated_command_waits_on_its_fifo_and_quotes_the_path() {
        let g = Path::new("/tmp/it's/gate-1");
        let up = remote_command(Direction::Up, sz(10), Some(g));
        assert!(
            up.starts_with("echo hostkit-ready; read -r _ <'/tmp/it'\\''s/gate-1' || exit 1; echo hostkit-mark; head -c 65536 >/dev/null;"),
            "{up}"
        );
        let down = remote_command(Direction::Down, sz(10), Some(g));
        assert!(
            down.starts_with("echo hostkit-ready >&2; read -r _ <"),
            "{down}"
        );
        // Baselines are never gated.
        let t = Trial {
            id: "baseline/up".into(),
            kind: TrialKind::Baseline {
                direction: Direction::Up,
            },
        };
        assert!(
            !invocation(&t, Size::default(), None, Some(g))
                .remote
                .contains("read")
        );
    }

    /// The gate really holds a shell until released, and closing it unreleased ends the wait.
    #[test]
    fn a_gate_holds_the_shell_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let run = |release: bool| {
            let mut gate = Gate::new(dir.path().join("gate")).unwrap();
            let cmd = format!(
                "read -r _ <{} || exit 7; echo released",
                hostkit_render::shell::word(&gate.path.to_string_lossy())
            );
            let mut child = Command::new("sh")
                .arg("-c")
                .arg(cmd)
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(100));
            assert!(
                child.try_wait().unwrap().is_none(),
                "the shell did not wait"
            );
            if release {
                gate.release().unwrap();
            }
            drop(gate);
            let out = child.wait_with_output().unwrap();
            (out.status.code(), String::from_utf8(out.stdout).unwrap())
        };
        assert_eq!(run(true), (Some(0), "released\n".to_string()));
        assert_eq!(run(false), (Some(7), String::new()));
        assert!(!dir.path().join("gate").exists());
    }

    #[test]
    fn refusal_line_is_found() {
        let l = parse_ssh_log(
            "debug1: Connecting to 127.0.0.1\nUnable to negotiate with 127.0.0.1 port 2222: no matching cipher found. Their offer: aes128-ctr\n",
        );
        assert!(l.refusal.unwrap().contains("no matching cipher found"));
    }

    #[test]
    fn invocations_pin_algorithms_and_pick_stdin() {
        let up = invocation(&gcm(), sz(4096), None, None);
        assert!(up.stdin_zero);
        assert!(
            up.options
                .contains(&"Ciphers=aes128-gcm@openssh.com".to_string())
        );
        assert!(!up.options.iter().any(|o| o.starts_with("MACs=")));
        assert!(
            up.remote.starts_with(
                "echo hostkit-mark; head -c 65536 >/dev/null; echo hostkit-mark; head -c 4096 >/dev/null;"
            ),
            "{}",
            up.remote
        );
        assert_eq!(up.markers, Some(Direction::Up));
        let kex = Trial {
            id: "kex/x".into(),
            kind: TrialKind::KexOnly {
                kex: "ecdh-sha2-nistp256".into(),
            },
        };
        let k = invocation(&kex, Size::default(), None, None);
        assert!(k.kex_only && !k.stdin_zero);
        assert!(
            k.options
                .contains(&"PreferredAuthentications=none".to_string())
        );
        let down = remote_command(Direction::Down, sz(10), None);
        assert!(
            down.starts_with(
                "echo hostkit-mark >&2; head -c 65536 /dev/zero; echo hostkit-mark >&2; head -c 5 /dev/zero; echo hostkit-mark >&2; head -c 10 /dev/zero;"
            ),
            "{down}"
        );
        assert!(
            remote_command(Direction::Up, Size::default(), None)
                .starts_with("head -c 0 >/dev/null;")
        );
    }
}
