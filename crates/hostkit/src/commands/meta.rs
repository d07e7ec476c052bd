//! Commands about hostkit itself: shell completions and man pages, both generated from the
//! same clap definitions as the parser so they can never drift from it. Each man page gets,
//! after clap_mangen's sections, the EXIT STATUS rows of `exit::TABLE` that apply to the
//! command, its ENVIRONMENT (clap `env` arguments and what the command inherits) and SEE ALSO.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use clap::CommandFactory;

use crate::cli::Cli;
use crate::exit::{ExitRow, Outcome, TABLE};

/// Writes the completion script for `shell` to stdout.
pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<Outcome> {
    let mut cmd = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut cmd, "hostkit", &mut out);
    out.flush().context("writing completions to stdout")?;
    Ok(Outcome::Ok)
}

/// Writes the top-level man page to stdout, or every page into `out_dir`.
pub fn man(out_dir: Option<&Path>) -> anyhow::Result<Outcome> {
    let pages = pages().context("rendering the man pages")?;
    match out_dir {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&pages[0].roff)
                .and_then(|()| out.flush())
                .context("writing the man page to stdout")?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating man page directory `{}`", dir.display()))?;
            for page in &pages {
                let path = dir.join(&page.file_name);
                std::fs::write(&path, &page.roff)
                    .with_context(|| format!("writing man page `{}`", path.display()))?;
            }
        }
    }
    Ok(Outcome::Ok)
}

/// One rendered man page.
struct Page {
    /// `hostkit-ntp-check.1`.
    file_name: String,
    /// The page in roff.
    roff: Vec<u8>,
}

/// Every visible command's page, the top-level `hostkit.1` first.
fn pages() -> std::io::Result<Vec<Page>> {
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    let mut pages = Vec::new();
    collect(&root, &["hostkit".to_owned()], &mut pages)?;
    Ok(pages)
}

fn collect(cmd: &clap::Command, path: &[String], pages: &mut Vec<Page>) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(cmd.clone())
        .source(concat!("hostkit ", env!("CARGO_PKG_VERSION")))
        .manual("hostkit manual");
    let mut roff = Vec::new();
    man.render(&mut roff)?;
    extra_sections(cmd, path, &mut roff)?;
    pages.push(Page {
        file_name: format!("{}.1", path.join("-")),
        roff,
    });
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let mut sub_path = path.to_vec();
        sub_path.push(sub.get_name().to_owned());
        collect(sub, &sub_path, pages)?;
    }
    Ok(())
}

/// Appends EXIT STATUS, ENVIRONMENT and SEE ALSO to a page.
fn extra_sections(cmd: &clap::Command, path: &[String], w: &mut Vec<u8>) -> std::io::Result<()> {
    let words: Vec<&str> = path.iter().skip(1).map(String::as_str).collect();

    writeln!(w, ".SH \"EXIT STATUS\"")?;
    let rows = exit_rows(cmd, &words);
    let scopes: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.commands).collect();
    for row in rows {
        writeln!(w, ".TP")?;
        if scopes.len() > 1 {
            writeln!(w, "\\fB{}\\fR ({})", row.code, text(row.commands))?;
        } else {
            writeln!(w, "\\fB{}\\fR", row.code)?;
        }
        writeln!(w, "{}", text(row.meaning))?;
    }

    writeln!(w, ".SH ENVIRONMENT")?;
    for (name, meaning) in environment(cmd, &words) {
        writeln!(w, ".TP\n\\fB{}\\fR\n{}", text(&name), text(&meaning))?;
    }

    writeln!(w, ".SH \"SEE ALSO\"")?;
    let refs = see_also(cmd, path);
    let last = refs.len().saturating_sub(1);
    for (i, (name, section)) in refs.iter().enumerate() {
        let sep = if i == last { "" } else { "," };
        writeln!(w, ".BR {} ({}){sep}", text(name), section)?;
    }
    Ok(())
}

/// Which kinds of exit status a leaf command can end with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// 0 / 1 negative verdict / 2 error.
    Native,
    /// 0-3 OK / WARNING / CRITICAL / UNKNOWN.
    Nagios,
    /// dkms 3.0.10's codes.
    Dkms,
    /// 130 after a signal, results saved.
    LongRun,
}

fn kinds(words: &[&str]) -> Vec<Kind> {
    match words {
        ["ntp", "check"] => vec![Kind::Nagios],
        ["proc", "load"] => vec![Kind::Native, Kind::Nagios],
        ["ssh", "bench"] => vec![Kind::Native, Kind::LongRun],
        ["dkms", ..] => vec![Kind::Dkms],
        _ => vec![Kind::Native],
    }
}

/// The `exit::TABLE` scopes (its `commands` column) a kind of command reports.
fn scopes(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Native => &["all", "native commands", "all but dkms"],
        Kind::Nagios => &["Nagios modes", "all but dkms"],
        Kind::Dkms => &["all", "dkms"],
        Kind::LongRun => &["long runs"],
    }
}

/// The rows of `exit::TABLE` for a command: its own kinds, or for a group (and the top-level
/// page) the union over its subcommands; in the table's order.
fn exit_rows(cmd: &clap::Command, words: &[&str]) -> Vec<&'static ExitRow> {
    let mut all = Vec::new();
    leaf_kinds(
        cmd,
        words.iter().map(|w| (*w).to_owned()).collect(),
        &mut all,
    );
    TABLE
        .iter()
        .filter(|r| all.iter().any(|k| scopes(*k).contains(&r.commands)))
        .collect()
}

fn leaf_kinds(cmd: &clap::Command, words: Vec<String>, out: &mut Vec<Kind>) {
    let subs: Vec<&clap::Command> = cmd.get_subcommands().filter(|s| !s.is_hide_set()).collect();
    if subs.is_empty() {
        let w: Vec<&str> = words.iter().map(String::as_str).collect();
        out.extend(kinds(&w));
        return;
    }
    for sub in subs {
        let mut w = words.clone();
        w.push(sub.get_name().to_owned());
        leaf_kinds(sub, w, out);
    }
}

/// Variables read by a command (first element: the command's words), beyond clap's `env`.
const ENVIRONMENT: &[(&[&str], &str, &str)] = &[
    (
        &["ssh"],
        "PATH",
        "where `ssh` is looked up, and `sshd` when it is in neither `/usr/sbin` nor \
         `/usr/local/sbin` (`--ssh` and `--sshd` override).",
    ),
    (
        &["ssh"],
        "SSH_AUTH_SOCK",
        "ssh(1) runs with hostkit's environment, so a remote target can use your agent.",
    ),
    (
        &["ntp", "check"],
        "MP_CONFIG_FILE, NAGIOS_CONFIG_PATH",
        "where `--extra-opts` without a file name looks for the monitoring-plugins ini file \
         (`check_ntp_time` mode), as the plugin does.",
    ),
    (
        &["dkms"],
        "mok_signing_key, mok_certificate",
        "the key and certificate modules are signed with, as in dkms (default: `mok.key` and \
         `mok.pub` in the dkms tree).",
    ),
    (
        &["dkms"],
        "sign_file",
        "the kernel's `sign-file` program, as in dkms.",
    ),
    (
        &["dkms"],
        "TMPDIR",
        "where `dkms patch` stages its work (default `/tmp`).",
    ),
];

/// Environment variables a command reads: its (and its subcommands') clap `env` arguments, then
/// the variables of [`ENVIRONMENT`] for this command, its parents or its subcommands.
fn environment(cmd: &clap::Command, words: &[&str]) -> Vec<(String, String)> {
    let mut vars = Vec::new();
    env_args(cmd, &mut vars);
    for (path, name, meaning) in ENVIRONMENT {
        let n = path.len().min(words.len());
        if path[..n] == words[..n] {
            vars.push(((*name).to_owned(), (*meaning).to_owned()));
        }
    }
    vars.push((
        "LANG, LC_ALL".into(),
        "ignored: numbers always use `.` as the decimal separator, whatever the locale.".into(),
    ));
    vars
}

fn env_args(cmd: &clap::Command, vars: &mut Vec<(String, String)>) {
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        if let Some(name) = arg.get_env() {
            let name = name.to_string_lossy().into_owned();
            if vars.iter().any(|(n, _)| *n == name) {
                continue;
            }
            let flag = arg
                .get_long()
                .map(|l| format!("--{l}"))
                .unwrap_or_else(|| arg.get_id().to_string());
            vars.push((name, format!("the default for `{flag}`.")));
        }
    }
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        env_args(sub, vars);
    }
}

/// Related pages: the parent, the subcommands, then the system tools the command works with.
fn see_also(cmd: &clap::Command, path: &[String]) -> Vec<(String, &'static str)> {
    let mut refs: Vec<(String, &'static str)> = Vec::new();
    if path.len() > 1 {
        refs.push((path[..path.len() - 1].join("-"), "1"));
    }
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        refs.push((format!("{}-{}", path.join("-"), sub.get_name()), "1"));
    }
    let external: &[(&str, &str)] = match path.get(1).map(String::as_str) {
        Some("ssh") => &[("ssh", "1"), ("sshd", "8"), ("ssh_config", "5")],
        Some("ntp") => &[("chronyd", "8"), ("chronyc", "1")],
        Some("proc") => &[
            ("proc", "5"),
            ("ps", "1"),
            ("pidstat", "1"),
            ("uptime", "1"),
        ],
        Some("dkms") => &[("dkms", "8"), ("depmod", "8")],
        Some("completions") => &[("bash", "1")],
        Some("man") => &[("man", "1")],
        _ => &[],
    };
    refs.extend(external.iter().map(|(n, s)| ((*n).to_owned(), *s)));
    refs
}

/// Plain text for a roff body line: backslashes escaped, `code` in bold, no leading control
/// character.
fn text(s: &str) -> String {
    let mut out = String::new();
    let mut bold = false;
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\e"),
            '`' => {
                out.push_str(if bold { "\\fR" } else { "\\fB" });
                bold = !bold;
            }
            '-' => out.push_str("\\-"),
            _ => out.push(c),
        }
    }
    if bold {
        out.push_str("\\fR");
    }
    if out.starts_with(['.', '\'']) {
        out.insert_str(0, "\\&");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exit_row_belongs_to_a_known_scope() {
        let known = [Kind::Native, Kind::Nagios, Kind::Dkms, Kind::LongRun];
        for row in TABLE {
            assert!(
                known.iter().any(|k| scopes(*k).contains(&row.commands)),
                "exit::TABLE scope `{}` (code {}) reaches no man page: add it to `scopes`",
                row.commands,
                row.code
            );
        }
    }

    #[test]
    fn every_page_has_exit_status_environment_and_see_also() {
        let pages = pages().unwrap();
        assert!(pages.len() > 5);
        assert_eq!(pages[0].file_name, "hostkit.1");
        for page in &pages {
            let roff = String::from_utf8(page.roff.clone()).unwrap();
            for section in [".SH \"EXIT STATUS\"", ".SH ENVIRONMENT", ".SH \"SEE ALSO\""] {
                assert!(roff.contains(section), "{}: no {section}", page.file_name);
            }
        }
    }

    #[test]
    fn nagios_page_lists_nagios_codes_only() {
        let pages = pages().unwrap();
        let page = pages
            .iter()
            .find(|p| p.file_name == "hostkit-ntp-check.1")
            .unwrap();
        let roff = String::from_utf8(page.roff.clone()).unwrap();
        let status =
            &roff[roff.find("EXIT STATUS").unwrap()..roff.find(".SH ENVIRONMENT").unwrap()];
        assert!(status.contains("UNKNOWN"), "{status}");
        assert!(!status.contains("negative"), "{status}");
        let top = String::from_utf8(pages[0].roff.clone()).unwrap();
        assert!(
            top.contains("\\fB130\\fR"),
            "the top page lists every status"
        );
    }

    #[test]
    fn proc_pages_name_their_env_variable() {
        let pages = pages().unwrap();
        let page = pages
            .iter()
            .find(|p| p.file_name == "hostkit-proc-time.1")
            .unwrap();
        let roff = String::from_utf8(page.roff.clone()).unwrap();
        assert!(roff.contains("HOSTKIT_PROC_ROOT"), "{roff}");
        assert!(roff.contains(".BR proc (5)"), "{roff}");
        assert!(!roff.contains("SSH_AUTH_SOCK"), "{roff}");
        let top = String::from_utf8(pages[0].roff.clone()).unwrap();
        for var in [
            "HOSTKIT_PROC_ROOT",
            "SSH_AUTH_SOCK",
            "mok_signing_key",
            "MP_CONFIG_FILE",
        ] {
            assert!(top.contains(var), "hostkit.1 lacks {var}");
        }
    }

    #[test]
    fn text_escapes_roff() {
        assert_eq!(text("`-u 0` a\\b"), "\\fB\\-u 0\\fR a\\eb");
        assert_eq!(text(".x"), "\\&.x");
    }
}
