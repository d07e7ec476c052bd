//! Rendering shared by every command: text tables, JSON, progress bars and atomic file writes.
//! stdout is data, stderr is talk (DESIGN.md §3.5): progress and warnings go to stderr and are
//! hidden when stderr is not a terminal.

pub mod progress;

// The one rendering layer; kept reachable here so commands say `output::table`.
pub use hostkit_render::{civil, table};

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// Serialises `value` as pretty JSON plus a newline on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).context("writing JSON to stdout")?;
    out.write_all(b"\n").context("writing JSON to stdout")?;
    out.flush().context("writing JSON to stdout")?;
    Ok(())
}

/// Writes `text` to stdout as is.
pub fn print_text(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .context("writing to stdout")?;
    out.flush().context("writing to stdout")?;
    Ok(())
}

/// Writes `contents` to `path` atomically: a temp file in the same directory, fsync, rename.
/// Readers (node_exporter's textfile collector, monitoring) never see a half-written file.
pub fn write_atomic(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("`{}` is not a file path", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp.{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing `{}`", path.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces_and_leaves_no_temp() {
        let dir = std::env::temp_dir().join(format!("hostkit-wa-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("out.prom");
        write_atomic(&p, b"one\n").unwrap();
        write_atomic(&p, b"two\n").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two\n");
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(names.len(), 1, "temp file left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn write_atomic_names_the_path_on_error() {
        let err = write_atomic(Path::new("/nonexistent-dir-hostkit/x"), b"x").unwrap_err();
        assert!(format!("{err:#}").contains("/nonexistent-dir-hostkit/x"));
    }
}
