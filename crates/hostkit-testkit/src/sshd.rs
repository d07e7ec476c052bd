//! Helpers for tests of hostkit's private sshd: finding processes by command line and the
//! temp dirs a hostkit process created, so tests can prove nothing was left behind.

use std::path::{Path, PathBuf};

/// PIDs whose command line contains `needle` (proc(5) `/proc/PID/cmdline`), excluding ours.
pub fn pids_with_cmdline(needle: &str) -> Vec<i32> {
    let me = std::process::id() as i32;
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| pid != me)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|raw| {
                    String::from_utf8_lossy(&raw)
                        .replace('\0', " ")
                        .contains(needle)
                })
                .unwrap_or(false)
        })
        .collect()
}

/// Entries of `dir` whose name starts with `prefix`.
pub fn entries_with_prefix(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default()
}

/// Polls `cond` every 20 ms until it holds or `secs` pass; returns whether it held.
pub fn wait_until(secs: f64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs_f64(secs);
    loop {
        if cond() {
            return true;
        }
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Number of `"type":"sample"` lines in a results log (0 if unreadable).
pub fn sample_lines(log: &Path) -> usize {
    std::fs::read_to_string(log)
        .map(|t| {
            t.lines()
                .filter(|l| l.contains("\"type\":\"sample\""))
                .count()
        })
        .unwrap_or(0)
}

/// An sshd started by a test on a free loopback port, reached as a *remote* target: the test
/// user's "own keys" are supplied by an ssh wrapper script (`--ssh`), the way a user's
/// ~/.ssh/config would, so `ssh -G` resolution is exercised. Stopped by PID on drop.
#[derive(Debug)]
pub struct TestSshd {
    pub dir: tempfile::TempDir,
    pub port: u16,
    child: std::process::Child,
}

impl TestSshd {
    /// Starts sshd offering `ciphers` (comma list) or every cipher `ssh -Q cipher` knows.
    pub fn start(ciphers: Option<&str>) -> TestSshd {
        let q = |what: &str| {
            let out = std::process::Command::new("ssh")
                .args(["-Q", what])
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(",")
        };
        let algos = format!(
            "Ciphers {}\nMACs {}\nKexAlgorithms {}\n",
            ciphers.map_or_else(|| q("cipher"), str::to_string),
            q("mac"),
            q("kex"),
        );
        TestSshd::start_with(&algos)
    }

    /// Starts sshd with OpenSSH's compiled-in algorithm defaults plus `algorithm_lines`
    /// (sshd_config lines such as `Ciphers ...`; empty keeps the defaults).
    pub fn start_with(algorithm_lines: &str) -> TestSshd {
        use std::process::{Command, Stdio};
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        for key in ["hostkey", "key"] {
            let ok = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(d.join(key))
                .status()
                .expect("ssh-keygen")
                .success();
            assert!(ok, "ssh-keygen failed");
        }
        std::fs::copy(d.join("key.pub"), d.join("authorized_keys")).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/hostkey\nAuthorizedKeysFile {d}/authorized_keys\n\
             PidFile none\nUsePAM no\nStrictModes no\nPasswordAuthentication no\nUseDNS no\n\
             {algorithm_lines}",
            d = d.display()
        );
        std::fs::write(d.join("sshd_config"), config).unwrap();
        let child = Command::new("/usr/sbin/sshd")
            .arg("-D")
            .arg("-f")
            .arg(d.join("sshd_config"))
            .arg("-E")
            .arg(d.join("sshd.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start /usr/sbin/sshd");
        let up = wait_until(10.0, || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        assert!(up, "test sshd did not listen on {port}");
        let host_pub = std::fs::read_to_string(d.join("hostkey.pub")).unwrap();
        let mut parts = host_pub.split_whitespace();
        let known = format!(
            "[127.0.0.1]:{port} {} {}\n",
            parts.next().unwrap(),
            parts.next().unwrap()
        );
        std::fs::write(d.join("known_hosts"), known).unwrap();
        let wrapper = format!(
            "#!/bin/sh\nexec ssh -i {d}/key -o IdentitiesOnly=yes -o UserKnownHostsFile={d}/known_hosts \"$@\"\n",
            d = d.display()
        );
        std::fs::write(d.join("ssh"), wrapper).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(d.join("ssh"), std::fs::Permissions::from_mode(0o755)).unwrap();
        TestSshd { dir, port, child }
    }

    /// `user@127.0.0.1:port` for the current user.
    pub fn target(&self) -> String {
        let out = std::process::Command::new("id")
            .arg("-un")
            .output()
            .unwrap();
        let user = String::from_utf8_lossy(&out.stdout).trim().to_string();
        format!("{user}@127.0.0.1:{}", self.port)
    }

    /// The ssh wrapper that supplies the key and known_hosts (pass as `--ssh`).
    pub fn ssh_wrapper(&self) -> PathBuf {
        self.dir.path().join("ssh")
    }
}

impl Drop for TestSshd {
    fn drop(&mut self) {
        let pid = self.child.id() as i32;
        let needle = self.dir.path().to_string_lossy().to_string();
        // SAFETY: kill(2) on the sshd this harness started.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let _ = self.child.wait();
        // Per-connection children re-executed with our config path in their command line.
        for p in pids_with_cmdline(&needle) {
            // SAFETY: as above; these are children of our sshd.
            unsafe {
                libc::kill(p, libc::SIGTERM);
            }
        }
    }
}
