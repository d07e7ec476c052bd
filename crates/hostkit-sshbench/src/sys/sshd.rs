//! The private sshd: ephemeral host and client keys in a 0700 temp dir, a generated
//! sshd_config enabling every algorithm the local OpenSSH knows, listening on 127.0.0.1 on a
//! free port, running as the invoking user. [`PrivateSshd`] stops the listener and every
//! per-connection child by PID and removes the temp dir on drop; the listener also gets
//! `PR_SET_PDEATHSIG` so a SIGKILLed hostkit does not leave it running.

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::SysError;
use super::client::{self, SshClient};

/// Temp dir name prefix; stale dirs of dead hostkit processes are removed on the next start.
const DIR_PREFIX: &str = "hostkit-sshd-";

/// Host key types generated (every signature family OpenSSH supports without hardware).
const HOST_KEYS: &[(&str, &[&str])] = &[
    ("ed25519", &["-t", "ed25519"]),
    ("ecdsa", &["-t", "ecdsa", "-b", "256"]),
    ("rsa", &["-t", "rsa", "-b", "2048"]),
];

/// A running private sshd.
#[derive(Debug)]
pub struct PrivateSshd {
    dir: PathBuf,
    child: Option<Child>,
    port: u16,
    user: String,
    sshd: PathBuf,
    /// CPU the listener (and so every connection's sshd) is pinned to.
    cpu: Option<usize>,
}

impl PrivateSshd {
    /// Creates keys and config, starts `sshd -D` on a free loopback port and waits until it
    /// accepts connections. `sshd` is `--sshd PATH` or searched in the usual places.
    pub fn start(ssh: &SshClient, sshd: Option<&Path>) -> Result<Self, SysError> {
        Self::start_pinned(ssh, sshd, None)
    }

    /// [`PrivateSshd::start`] with the listener pinned to `cpu` (its per-connection children
    /// inherit the affinity).
    pub fn start_pinned(
        ssh: &SshClient,
        sshd: Option<&Path>,
        cpu: Option<usize>,
    ) -> Result<Self, SysError> {
        let sshd = locate_sshd(sshd)?;
        remove_stale_dirs();
        let dir = make_private_dir()?;
        let mut me = PrivateSshd {
            dir,
            child: None,
            port: 0,
            user: current_user()?,
            sshd,
            cpu,
        };
        me.make_keys(ssh)?;
        let algos = AlgoLists::query(ssh)?;
        for attempt in 0..5 {
            me.port = free_port()?;
            std::fs::write(me.config_path(), me.sshd_config(&algos))
                .map_err(|e| SysError::io("writing the private sshd_config", e))?;
            if attempt == 0 {
                me.check_config()?;
            }
            match me.spawn_and_wait() {
                Ok(()) => break,
                Err(e) if attempt < 4 && me.log_text().contains("Address already in use") => {
                    let _ = e;
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
        me.write_client_files()?;
        Ok(me)
    }

    /// The loopback port sshd listens on.
    pub fn port(&self) -> u16 {
        self.port
    }
    /// The 0700 temp dir holding keys, configs and logs (removed on drop).
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    /// The generated `ssh -F` config for connections to this server.
    pub fn client_config(&self) -> PathBuf {
        self.dir.join("ssh_config")
    }
    /// sshd's own log (`-E`).
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("sshd.log")
    }
    /// PID of the listener, if running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
    /// The user ssh logs in as (the invoking user).
    pub fn user(&self) -> &str {
        &self.user
    }
    /// True while the listener runs.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    fn config_path(&self) -> PathBuf {
        self.dir.join("sshd_config")
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn make_keys(&self, ssh: &SshClient) -> Result<(), SysError> {
        let keygen = sibling_or_path(&ssh.path, "ssh-keygen")
            .ok_or_else(|| SysError::plain("generating keys", "`ssh-keygen` not found"))?;
        let mut jobs = Vec::new();
        let mut specs: Vec<(String, Vec<&str>)> = HOST_KEYS
            .iter()
            .map(|(name, args)| (format!("host_{name}"), args.to_vec()))
            .collect();
        specs.push(("client_ed25519".into(), vec!["-t", "ed25519"]));
        for (file, args) in &specs {
            let child = Command::new(&keygen)
                .args(["-q", "-N", "", "-C", "hostkit-bench"])
                .args(args)
                .arg("-f")
                .arg(self.dir.join(file))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| SysError::io(format!("running `{}`", keygen.display()), e))?;
            jobs.push((file, child));
        }
        for (file, child) in jobs {
            let out = child
                .wait_with_output()
                .map_err(|e| SysError::io("waiting for ssh-keygen", e))?;
            if !out.status.success() {
                return Err(SysError::plain(
                    format!("generating the key `{file}`"),
                    String::from_utf8_lossy(&out.stderr).trim().to_string(),
                ));
            }
        }
        // The login shell gets an empty HOME: a user's ~/.bashrc (sourced by bash for ssh
        // commands on Debian) would otherwise add its start-up time to every connection.
        let home = self.dir.join("home");
        std::fs::create_dir(&home).map_err(|e| SysError::io("creating the empty HOME", e))?;
        let pubkey = std::fs::read_to_string(self.dir.join("client_ed25519.pub"))
            .map_err(|e| SysError::io("reading the client public key", e))?;
        std::fs::write(
            self.dir.join("authorized_keys"),
            format!("environment=\"HOME={}\" {pubkey}", home.display()),
        )
        .map_err(|e| SysError::io("writing authorized_keys", e))?;
        Ok(())
    }

    fn sshd_config(&self, a: &AlgoLists) -> String {
        let d = self.dir.display();
        let mut s = format!(
            "# generated by hostkit ssh bench\nPort {}\nListenAddress 127.0.0.1\n",
            self.port
        );
        for (name, _) in HOST_KEYS {
            s.push_str(&format!("HostKey {d}/host_{name}\n"));
        }
        s.push_str(&format!(
            "AuthorizedKeysFile {d}/authorized_keys\nPermitUserEnvironment HOME\nPidFile none\nAllowUsers {user}\n\
             PermitRootLogin prohibit-password\nUsePAM no\nStrictModes no\n\
             PubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             HostbasedAuthentication no\nUseDNS no\nPrintMotd no\nPrintLastLog no\n\
             X11Forwarding no\nAllowTcpForwarding no\nAllowAgentForwarding no\nPermitTTY no\n\
             MaxStartups 100:30:200\nLogLevel VERBOSE\n\
             Ciphers {}\nMACs {}\nKexAlgorithms {}\nHostKeyAlgorithms {}\nPubkeyAcceptedAlgorithms {}\n",
            a.ciphers,
            a.macs,
            a.kex,
            a.host_keys,
            a.pubkeys,
            user = self.user,
        ));
        s
    }

    fn check_config(&self) -> Result<(), SysError> {
        let out = Command::new(&self.sshd)
            .arg("-t")
            .arg("-f")
            .arg(self.config_path())
            .output()
            .map_err(|e| SysError::io(format!("running `{} -t`", self.sshd.display()), e))?;
        if !out.status.success() {
            let mut message = String::from_utf8_lossy(&out.stderr).trim().to_string();
            if message.contains("privilege separation directory") {
                message.push_str(
                    "\nhint: as root, sshd needs `/run/sshd`: `mkdir -p /run/sshd` (scripts/install-deps does this)",
                );
            }
            return Err(SysError::plain(
                format!(
                    "checking the private sshd_config with `{} -t`",
                    self.sshd.display()
                ),
                message,
            ));
        }
        Ok(())
    }

    fn spawn_and_wait(&mut self) -> Result<(), SysError> {
        let _ = std::fs::remove_file(self.log_path());
        let mut cmd = Command::new(&self.sshd);
        cmd.arg("-D")
            .arg("-f")
            .arg(self.config_path())
            .arg("-E")
            .arg(self.log_path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        super::die_with_parent(&mut cmd);
        if let Some(cpu) = self.cpu {
            super::affinity::pin_command(&mut cmd, cpu);
        }
        let child = cmd
            .spawn()
            .map_err(|e| SysError::io(format!("starting `{}`", self.sshd.display()), e))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        loop {
            if let Some(c) = self.child.as_mut()
                && let Ok(Some(status)) = c.try_wait()
            {
                self.child = None;
                return Err(self.died(
                    "starting the private sshd",
                    &format!("sshd exited ({status})"),
                ));
            }
            if let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                // Read the identification line so sshd sees a clean short connection.
                let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
                let mut buf = [0u8; 64];
                let _ = s.read(&mut buf);
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(self.died("starting the private sshd", "not listening after 10 s"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// An error naming `step` with the tail of sshd's log (the log itself goes with the dir).
    pub fn died(&self, step: &str, what: &str) -> SysError {
        let log = self.log_text();
        let tail: Vec<&str> = log.lines().rev().take(5).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        SysError::plain(
            step,
            format!("{what}; sshd log ends with:\n  {}", tail.join("\n  ")),
        )
    }

    fn write_client_files(&self) -> Result<(), SysError> {
        let mut known = String::new();
        for (name, _) in HOST_KEYS {
            let pubkey = std::fs::read_to_string(self.dir.join(format!("host_{name}.pub")))
                .map_err(|e| SysError::io("reading a host public key", e))?;
            let mut parts = pubkey.split_whitespace();
            if let (Some(t), Some(k)) = (parts.next(), parts.next()) {
                known.push_str(&format!("[127.0.0.1]:{} {t} {k}\n", self.port));
            }
        }
        std::fs::write(self.dir.join("known_hosts"), known)
            .map_err(|e| SysError::io("writing known_hosts", e))?;
        let d = self.dir.display();
        let settings: Vec<(String, String)> = [
            ("HostName", "127.0.0.1".to_string()),
            ("Port", self.port.to_string()),
            ("User", self.user.clone()),
            ("IdentityFile", format!("{d}/client_ed25519")),
            ("IdentitiesOnly", "yes".into()),
            ("IdentityAgent", "none".into()),
            ("UserKnownHostsFile", format!("{d}/known_hosts")),
            ("GlobalKnownHostsFile", "/dev/null".into()),
            ("StrictHostKeyChecking", "yes".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        client::write_config(&self.client_config(), &settings)
    }

    /// Stops the listener and every process below it (by PID), then waits for it.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = child.id() as i32;
        let tree = descendants(pid);
        for p in std::iter::once(pid).chain(tree.iter().copied()) {
            // SAFETY: plain kill(2) on PIDs of processes this sshd started.
            unsafe {
                libc::kill(p, libc::SIGTERM);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if matches!(child.try_wait(), Ok(None)) {
            let _ = child.kill();
        }
        let _ = child.wait();
        for p in tree {
            let deadline = Instant::now() + Duration::from_secs(1);
            while Path::new(&format!("/proc/{p}")).exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if Path::new(&format!("/proc/{p}")).exists() {
                // SAFETY: as above.
                unsafe {
                    libc::kill(p, libc::SIGKILL);
                }
            }
        }
    }
}

impl Drop for PrivateSshd {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The algorithm lists the client knows, joined for sshd_config.
struct AlgoLists {
    ciphers: String,
    macs: String,
    kex: String,
    host_keys: String,
    pubkeys: String,
}

impl AlgoLists {
    fn query(ssh: &SshClient) -> Result<Self, SysError> {
        let q = |what: &str| ssh.query(what).map(|v| v.join(","));
        Ok(AlgoLists {
            ciphers: q("cipher")?,
            macs: q("mac")?,
            kex: q("kex")?,
            host_keys: q("HostKeyAlgorithms")?,
            pubkeys: q("PubkeyAcceptedAlgorithms")?,
        })
    }
}

/// `--sshd PATH` (made absolute: sshd re-executes itself) or the usual install locations.
pub fn locate_sshd(explicit: Option<&Path>) -> Result<PathBuf, SysError> {
    if let Some(p) = explicit {
        if !super::is_executable(p) {
            return Err(SysError::plain(
                "locating sshd",
                format!(
                    "`{}` is not an executable file\nhint: pass the path of an OpenSSH sshd binary",
                    p.display()
                ),
            ));
        }
        return std::fs::canonicalize(p).map_err(|e| SysError::io("resolving `--sshd`", e));
    }
    ["/usr/sbin/sshd", "/usr/local/sbin/sshd"]
        .iter()
        .map(PathBuf::from)
        .find(|p| super::is_executable(p))
        .or_else(|| super::which("sshd"))
        .ok_or(SysError::NoSshd)
}

fn sibling_or_path(exe: &Path, name: &str) -> Option<PathBuf> {
    exe.parent()
        .map(|d| d.join(name))
        .filter(|p| super::is_executable(p))
        .or_else(|| super::which(name))
}

fn free_port() -> Result<u16, SysError> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| SysError::io("finding a free loopback port", e))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| SysError::io("finding a free loopback port", e))
}

/// A 0700 temp dir removed (with its contents) on drop.
#[derive(Debug)]
pub struct WorkDir(PathBuf);

impl WorkDir {
    /// Creates `$TMPDIR/hostkit-sshd-<pid>-<n>` with mode 0700.
    pub fn new() -> Result<Self, SysError> {
        remove_stale_dirs();
        make_private_dir().map(WorkDir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn make_private_dir() -> Result<PathBuf, SysError> {
    use std::os::unix::fs::DirBuilderExt;
    let base = std::env::temp_dir();
    for i in 0..100u32 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = base.join(format!(
            "{DIR_PREFIX}{}-{:x}",
            std::process::id(),
            nanos ^ i
        ));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(SysError::io(format!("creating `{}`", dir.display()), e)),
        }
    }
    Err(SysError::plain(
        "creating the private sshd dir",
        "no free name",
    ))
}

/// Removes temp dirs left by hostkit processes that no longer exist (e.g. SIGKILLed).
fn remove_stale_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(DIR_PREFIX) else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or("");
        if !pid.is_empty() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Server CPU seconds (user, sys) of the connections the listener `pid` has reaped so far.
pub fn reaped_children_cpu_s(pid: i32) -> Option<(f64, f64)> {
    let line = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (u, s) = super::machine::parse_stat_child_times(&line)?;
    let hz = super::machine::clock_ticks_per_s();
    Some((u as f64 / hz, s as f64 / hz))
}

/// Waits (up to `limit`) until the listener `pid` has reaped every per-connection child, so
/// one connection's teardown does not overlap the next sample and its CPU is accounted.
pub fn wait_until_idle(pid: i32, limit: Duration) -> bool {
    wait_until_at_most(pid, 0, limit)
}

/// Waits until `pid` has at most `n` children (the connection set up ahead may stay), up to
/// `limit`; true when it got there.
pub fn wait_until_at_most(pid: i32, n: usize, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        let kids =
            std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        if kids.split_whitespace().count() <= n {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// All PIDs below `pid` (from /proc/PID/task/*/children, proc(5)).
pub fn descendants(pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let mut stack = vec![pid];
    while let Some(p) = stack.pop() {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) else {
            continue;
        };
        for t in tasks.flatten() {
            let kids = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
            for k in kids.split_whitespace().filter_map(|k| k.parse().ok()) {
                out.push(k);
                stack.push(k);
            }
        }
    }
    out
}

/// Name of the effective user (getpwuid_r(3)).
pub fn current_user() -> Result<String, SysError> {
    // SAFETY: getpwuid_r writes into the buffers we own; we check the result pointer.
    unsafe {
        let uid = libc::geteuid();
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut buf = vec![0 as libc::c_char; 4096];
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result);
        if rc != 0 || result.is_null() {
            return Err(SysError::plain(
                "looking up the current user",
                format!("uid {uid} has no passwd entry"),
            ));
        }
        Ok(std::ffi::CStr::from_ptr(pwd.pw_name)
            .to_string_lossy()
            .into_owned())
    }
}
