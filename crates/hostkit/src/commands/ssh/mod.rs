//! `hostkit ssh`: dispatch to `bench`, `algos` and `report`, plus what they share: reaching
//! the target (private sshd or remote) and discovering what both sides support.

mod algos;
mod bench;
mod progress;
mod report;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::error::ResultExt;
use hostkit_sshbench::algos::{ClientAlgos, Negotiable, ServerOffer, intersect};
use hostkit_sshbench::analyze::Analysis;
use hostkit_sshbench::kexinit::{ServerHello, to_offer};
use hostkit_sshbench::policy::Policy;
use hostkit_sshbench::record::Log;
use hostkit_sshbench::report::{
    RecommendOptions, Recommendation, Style, bars, recommend_with, text,
};
use hostkit_sshbench::sys::cancel::Cancel;
use hostkit_sshbench::sys::client::{self, SshClient};
use hostkit_sshbench::sys::sshd::{PrivateSshd, WorkDir};
use hostkit_sshbench::sys::{probe, target};

use crate::cli::ssh::{Connection, PolicyArg, SshCommand, StyleArg};
use crate::exit::Outcome;

/// Label of the private server in logs and file names.
pub const PRIVATE: &str = "private-sshd";

pub fn run(cmd: SshCommand) -> anyhow::Result<Outcome> {
    match cmd {
        SshCommand::Bench(a) => bench::run(*a),
        SshCommand::Algos(a) => algos::run(a),
        SshCommand::Report(a) => report::run(a),
    }
}

/// A reachable target: the private sshd (kept alive while this lives) or a remote host.
pub struct Prepared {
    pub ssh: SshClient,
    /// `private-sshd` or the remote as given.
    pub label: String,
    /// The generated `ssh -F` config.
    pub config: PathBuf,
    /// Private 0700 dir for per-sample logs.
    pub work_dir: PathBuf,
    /// Host and port for the KEXINIT probe.
    pub addr: (String, u16),
    pub sshd: Option<PrivateSshd>,
    _remote_dir: Option<WorkDir>,
}

/// Locates ssh (it must be OpenSSH), the way [`prepare`] does.
pub fn openssh(conn: &Connection) -> anyhow::Result<SshClient> {
    let ssh = SshClient::locate(conn.ssh.as_deref())?;
    let version = ssh.version()?;
    if !version.starts_with("OpenSSH") {
        return Err(crate::error::hinted(
            format!(
                "`{}` is not OpenSSH (`-V` printed `{}`)",
                ssh.path.display(),
                version.lines().next().unwrap_or("")
            ),
            "hostkit measures the OpenSSH client; pass one with `--ssh PATH`",
        ));
    }
    Ok(ssh)
}

/// The target a run connects to: TARGET, else the one a resumed log names, else `None` (the
/// private sshd).
pub fn target_of<'a>(conn: &'a Connection, logged: Option<&'a str>) -> Option<&'a str> {
    conn.target.as_deref().or(logged.filter(|t| *t != PRIVATE))
}

/// Locates ssh (OpenSSH only), then starts the private sshd or resolves the remote target's
/// config.
pub fn prepare(conn: &Connection, target_override: Option<&str>) -> anyhow::Result<Prepared> {
    let ssh = openssh(conn)?;
    prepare_with(ssh, conn, target_of(conn, target_override), None)
}

/// Starts the private sshd (pinned to `sshd_cpu`) or resolves the remote target's config.
pub fn prepare_with(
    ssh: SshClient,
    conn: &Connection,
    target: Option<&str>,
    sshd_cpu: Option<usize>,
) -> anyhow::Result<Prepared> {
    match target {
        None => {
            let sshd = PrivateSshd::start_pinned(&ssh, conn.sshd.as_deref(), sshd_cpu)?;
            Ok(Prepared {
                label: PRIVATE.into(),
                config: sshd.client_config(),
                work_dir: sshd.dir().to_path_buf(),
                addr: ("127.0.0.1".into(), sshd.port()),
                ssh,
                sshd: Some(sshd),
                _remote_dir: None,
            })
        }
        Some(t) => {
            let remote = target::parse_remote(t)?;
            let settings = ssh.resolve_remote(&remote)?;
            let get = |k: &str| {
                settings
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.clone())
            };
            let host = get("hostname").unwrap_or_else(|| remote.host.clone());
            let port = get("port")
                .and_then(|p| p.parse().ok())
                .or(remote.port)
                .unwrap_or(22);
            let dir = WorkDir::new()?;
            let config = dir.path().join("ssh_config");
            client::write_config(&config, &settings)?;
            Ok(Prepared {
                label: remote.to_string(),
                config,
                work_dir: dir.path().to_path_buf(),
                addr: (host, port),
                ssh,
                sshd: None,
                _remote_dir: Some(dir),
            })
        }
    }
}

/// Both sides' algorithms and their intersection.
pub struct Discovery {
    pub client: ClientAlgos,
    pub hello: ServerHello,
    pub server: ServerOffer,
    pub negotiable: Negotiable,
}

/// `ssh -Q` plus one KEXINIT read.
pub fn discover(p: &Prepared) -> anyhow::Result<Discovery> {
    let client = p.ssh.algos()?;
    let hello = probe::probe(&p.addr.0, p.addr.1, Duration::from_secs(10))?;
    let server = to_offer(&hello);
    let negotiable = intersect(&client, &server);
    Ok(Discovery {
        client,
        hello,
        server,
        negotiable,
    })
}

/// The ranking for people: S1's text report, the bar chart and the recommendation.
pub fn ranking_text(analysis: &Analysis, rec: Option<&Recommendation>, top: usize) -> String {
    let mut out = text(analysis, top);
    out.push('\n');
    out.push_str(&bars(analysis, top, 40));
    if let Some(r) = rec {
        out.push_str(&format!(
            "\nRecommended under the `{}` policy (`--policy`, `--style`), for ~/.ssh/config:\n{}\n\nFor sshd_config:\n{}\n",
            r.policy, r.ssh_config, r.sshd_config
        ));
    }
    out
}

/// The policy a `--policy` names: a preset, or a file of sshd_config-style lines.
pub fn policy(arg: &PolicyArg) -> anyhow::Result<Policy> {
    match arg {
        PolicyArg::Preset(name) => Policy::preset(name)
            .with_context(|| format!("unknown policy `{name}`"))
            .with_hint(|| {
                format!(
                    "use one of `{}`, or a policy file",
                    hostkit_sshbench::policy::PRESETS.join("`, `")
                )
            }),
        PolicyArg::File(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the policy file `{}`", path.display()))
                .with_hint(|| {
                    format!(
                        "`--policy` takes a preset (`{}`) or a file of `Ciphers`/`MACs`/`KexAlgorithms`/`HostKeyAlgorithms` lines",
                        hostkit_sshbench::policy::PRESETS.join("`, `")
                    )
                })?;
            let stem = path
                .file_stem()
                .map_or("policy".into(), |s| s.to_string_lossy().into_owned());
            Policy::from_text(&text, &stem)
                .with_context(|| format!("`{}` is not a policy file", path.display()))
                .hint(
                    "write sshd_config-style lines, e.g. `Ciphers aes256-gcm@openssh.com,aes*-ctr`",
                )
        }
    }
}

/// The recommendation for a log: lists from what both sides support (when the log records
/// it), in the chosen style.
pub fn recommendation(
    log: &Log,
    analysis: &Analysis,
    pol: &Policy,
    style: StyleArg,
) -> Option<Recommendation> {
    let opts = RecommendOptions {
        style: match style {
            StyleArg::Exact => Style::Exact,
            StyleArg::Prepend => Style::Prepend,
        },
        host_pattern: "*".into(),
        supported: log.header.negotiable.clone(),
        coarse: false,
    };
    recommend_with(analysis, pol, &opts)
}

/// Installs SIGINT/SIGTERM/SIGHUP handling that cancels the run (and its running ssh) cleanly:
/// a closed terminal ends a run like Ctrl-C, with the log closed by an `interrupted` record.
pub fn install_signals(cancel: Arc<Cancel>) -> anyhow::Result<signal_hook::iterator::Handle> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
        .context("installing signal handlers")?;
    let handle = signals.handle();
    std::thread::spawn(move || {
        for _ in signals.forever() {
            cancel.cancel();
        }
    });
    Ok(handle)
}
