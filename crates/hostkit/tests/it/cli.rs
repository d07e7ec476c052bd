//! The top-level CLI: help, version, completions and man pages come from one clap definition.

use hostkit_testkit::cli::run;

#[test]
fn help_lists_every_noun() {
    let r = run(&crate::bin(), ["--help"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    for noun in ["ssh", "ntp", "proc", "completions", "man"] {
        assert!(
            r.stdout.contains(noun),
            "`{noun}` missing from --help:\n{}",
            r.stdout
        );
    }
}

#[test]
fn completions_for_bash_mention_subcommands() {
    let r = run(&crate::bin(), ["completions", "bash"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("_hostkit"), "{}", r.stdout);
    assert!(r.stdout.contains("bench"), "{}", r.stdout);
}

#[test]
fn man_page_is_roff_and_pages_are_written_per_command() {
    let r = run(&crate::bin(), ["man"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(
        r.stdout.starts_with(".ie") || r.stdout.contains(".TH hostkit"),
        "{}",
        r.stdout
    );
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().to_str().unwrap();
    let r = run(&crate::bin(), ["man", "--out-dir", out_dir]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(dir.path().join("hostkit.1").exists());
    assert!(dir.path().join("hostkit-ssh-bench.1").exists());
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let r = run(&crate::bin(), ["--no-such-flag"]);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(r.stderr.contains("--no-such-flag"), "{}", r.stderr);
}
