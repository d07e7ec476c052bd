//! The local ssh client: locating it, `ssh -V`, `ssh -Q` discovery, and the generated `-F`
//! config every benchmark connection uses (no multiplexing, no compression, batch mode,
//! algorithms pinned per trial on the command line). For remote targets the user's own config
//! is resolved once with `ssh -G` and only the keys in [`HONOURED`] are carried over.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::SysError;
use super::target::Remote;
use crate::algos::{ClientAlgos, parse_query_list};

/// The `Host` alias used inside generated configs.
pub const HOST_ALIAS: &str = "hostkit-target";

/// `ssh -G` keys copied from the user's config for a remote target: how to reach the host and
/// authenticate, never anything that changes what is measured.
pub const HONOURED: &[&str] = &[
    "hostname",
    "port",
    "user",
    "identityfile",
    "certificatefile",
    "identitiesonly",
    "identityagent",
    "userknownhostsfile",
    "globalknownhostsfile",
    "stricthostkeychecking",
    "hostkeyalias",
    "hostkeyalgorithms",
    "pubkeyacceptedalgorithms",
    "addressfamily",
    "connecttimeout",
];

/// Options for every benchmark connection (after the target's `Host` block).
const HYGIENE: &str = "Host *
  BatchMode yes
  ControlMaster no
  ControlPath none
  Compression no
  ForwardAgent no
  ForwardX11 no
  ClearAllForwardings yes
  RequestTTY no
  GSSAPIAuthentication no
  PasswordAuthentication no
  KbdInteractiveAuthentication no
  PreferredAuthentications publickey
  UpdateHostKeys no
  CheckHostIP no
  PermitLocalCommand no
  EscapeChar none
  ServerAliveInterval 0
  ConnectTimeout 15
";

/// A located ssh client.
#[derive(Debug, Clone)]
pub struct SshClient {
    /// Path of the ssh binary.
    pub path: PathBuf,
}

impl SshClient {
    /// `--ssh PATH` or `ssh` from PATH.
    pub fn locate(explicit: Option<&Path>) -> Result<Self, SysError> {
        let path = match explicit {
            Some(p) if super::is_executable(p) => p.to_path_buf(),
            Some(p) => return Err(SysError::NoSsh(p.display().to_string())),
            None => super::which("ssh").ok_or_else(|| SysError::NoSsh("ssh".into()))?,
        };
        Ok(SshClient { path })
    }

    /// `ssh -V` (printed on stderr), e.g. `OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.19 ...`.
    pub fn version(&self) -> Result<String, SysError> {
        let out = Command::new(&self.path)
            .arg("-V")
            .output()
            .map_err(|e| SysError::io(format!("running `{} -V`", self.path.display()), e))?;
        let text = String::from_utf8_lossy(&out.stderr).trim().to_string();
        Ok(if text.is_empty() {
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        } else {
            text
        })
    }

    /// `ssh -Q what` as a list of names.
    pub fn query(&self, what: &str) -> Result<Vec<String>, SysError> {
        let out = Command::new(&self.path)
            .args(["-Q", what])
            .output()
            .map_err(|e| SysError::io(format!("running `ssh -Q {what}`"), e))?;
        if !out.status.success() {
            return Err(SysError::plain(
                format!("`{} -Q {what}`", self.path.display()),
                String::from_utf8_lossy(&out.stderr).trim().to_string(),
            ));
        }
        Ok(parse_query_list(&String::from_utf8_lossy(&out.stdout)))
    }

    /// Everything the client supports.
    pub fn algos(&self) -> Result<ClientAlgos, SysError> {
        Ok(ClientAlgos {
            ciphers: self.query("cipher")?,
            aead: self.query("cipher-auth")?,
            macs: self.query("mac")?,
            kex: self.query("kex")?,
            keys: self.query("key")?,
        })
    }

    /// The user's resolved config for `remote` (`ssh -G`), reduced to [`HONOURED`] keys.
    pub fn resolve_remote(&self, remote: &Remote) -> Result<Vec<(String, String)>, SysError> {
        let mut cmd = Command::new(&self.path);
        cmd.arg("-G");
        if let Some(p) = remote.port {
            cmd.args(["-p", &p.to_string()]);
        }
        if let Some(u) = &remote.user {
            cmd.args(["-l", u]);
        }
        cmd.arg("--").arg(&remote.host);
        let out = cmd
            .output()
            .map_err(|e| SysError::io("resolving the ssh config (`ssh -G`)", e))?;
        if !out.status.success() {
            return Err(SysError::plain(
                format!("`ssh -G {}`", remote.host),
                String::from_utf8_lossy(&out.stderr).trim().to_string(),
            ));
        }
        Ok(honoured_settings(&String::from_utf8_lossy(&out.stdout)))
    }
}

/// Picks the [`HONOURED`] keys out of `ssh -G` output (a key may repeat, e.g. identityfile).
pub fn honoured_settings(g_output: &str) -> Vec<(String, String)> {
    g_output
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(k, v)| HONOURED.contains(k) && !v.trim().is_empty() && *v != "none")
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

/// The full `-F` config text: a `Host` block for [`HOST_ALIAS`] with `settings`, then the
/// measurement hygiene applied to every connection.
pub fn config_text(settings: &[(String, String)]) -> String {
    let mut s = format!("# generated by hostkit ssh bench; do not edit\nHost {HOST_ALIAS}\n");
    for (k, v) in settings {
        s.push_str(&format!("  {k} {v}\n"));
    }
    s.push_str(HYGIENE);
    s
}

/// Writes the config (mode 0600) to `path`.
pub fn write_config(path: &Path, settings: &[(String, String)]) -> Result<(), SysError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let step = || format!("writing the ssh client config `{}`", path.display());
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| SysError::io(step(), e))?;
    f.write_all(config_text(settings).as_bytes())
        .map_err(|e| SysError::io(step(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn honours_only_reachability_and_auth_keys() {
        let g = "host db1\nuser alice\nhostname 10.0.0.5\nport 2222\nciphers 3des-cbc\ncompression yes\n\
                 controlmaster auto\nidentityfile ~/.ssh/id_rsa\nidentityfile ~/.ssh/id_ed25519\nidentityagent none\n";
        let s = honoured_settings(g);
        let keys: Vec<&str> = s.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["user", "hostname", "port", "identityfile", "identityfile"]
        );
        let text = config_text(&s);
        assert!(text.contains("Host hostkit-target\n  user alice\n"));
        assert!(text.contains("ControlMaster no") && text.contains("Compression no"));
        assert!(!text.contains("3des-cbc"));
    }
}
