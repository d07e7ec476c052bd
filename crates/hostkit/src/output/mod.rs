//! Rendering shared by every command: text tables, JSON, progress bars and atomic file writes.
//! stdout is data, stderr is talk (DESIGN.md §3.5): progress and warnings go to stderr and are
//! hidden when stderr is not a terminal.

pub mod progress;

// The one rendering layer; kept reachable here so commands say `output::table`.
pub use hostkit_render::{civil, table};

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use crate::error::ResultExt;

/// Writes `text` to stdout as is.
pub fn print_text(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .context("writing to stdout")?;
    out.flush().context("writing to stdout")?;
    Ok(())
}

/// The wall clock as Unix seconds, for JSON envelopes and timestamps.
pub fn now_unix_seconds() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Sends rendered output where `--output` says: stdout for `None` or `-`, else the file,
/// written atomically ([`write_atomic`]). Every command's `--output FILE` goes through here.
pub fn emit(output: Option<&Path>, contents: &[u8]) -> anyhow::Result<()> {
    match output {
        None => write_stdout(contents),
        Some(p) if p.as_os_str() == "-" => write_stdout(contents),
        Some(p) => write_atomic(p, contents),
    }
}

/// [`emit`] for text.
pub fn emit_text(output: Option<&Path>, text: &str) -> anyhow::Result<()> {
    emit(output, text.as_bytes())
}

/// [`emit`] for a value as pretty JSON plus a newline.
pub fn emit_json<T: serde::Serialize>(output: Option<&Path>, value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value).context("rendering JSON")?;
    text.push('\n');
    emit(output, text.as_bytes())
}

fn write_stdout(contents: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(contents).context("writing to stdout")?;
    out.flush().context("writing to stdout")?;
    Ok(())
}

/// Why [`write_atomic`] refused a path.
#[derive(Debug, thiserror::Error)]
#[error("`{path}` is {what}, not a regular file: refusing to replace it")]
pub struct NotRegular {
    /// The refused path.
    pub path: String,
    /// What it is (`a symlink`, `a FIFO`, `a device`, ...).
    pub what: &'static str,
}

/// Refuses a `path` that exists and is not a regular file (see [`write_atomic`]); lets a
/// command that rewrites a file again and again (`proc time -i --prom-file`) refuse it before
/// its first pass.
pub fn check_replaceable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        let t = meta.file_type();
        let what = if t.is_symlink() {
            Some("a symlink")
        } else if t.is_fifo() {
            Some("a FIFO")
        } else if t.is_char_device() || t.is_block_device() {
            Some("a device")
        } else if t.is_socket() {
            Some("a socket")
        } else if t.is_dir() {
            Some("a directory")
        } else {
            None
        };
        if let Some(what) = what {
            return Err(NotRegular {
                path: path.display().to_string(),
                what,
            })
            .hint("pass the path of a regular file (it is replaced) or of a file that does not exist yet");
        }
    }
    Ok(())
}

/// Writes `contents` to `path` atomically: a temp file created exclusively (`O_EXCL`, so a
/// planted symlink is never followed) in the same directory, fsync, rename. Readers
/// (node_exporter's textfile collector, monitoring) never see a half-written file. A `path`
/// that exists and is not a regular file (a symlink, FIFO, device, socket, directory) is
/// refused: replacing it would destroy something that is not ours.
pub fn write_atomic(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    check_replaceable(path)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("`{}` is not a file path", path.display()))?;
    let (tmp, mut file) = create_temp(dir, &name.to_string_lossy())
        .with_context(|| format!("writing `{}`", path.display()))?;
    let result = (|| -> std::io::Result<()> {
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing `{}`", path.display()));
    }
    Ok(())
}

/// A new file `.NAME.tmp.PID.N` in `dir`, created exclusively; retries on a name clash.
fn create_temp(dir: &Path, name: &str) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    for _ in 0..100 {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.tmp.{}.{nanos:x}{n}", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::from(std::io::ErrorKind::AlreadyExists))
}

/// Where the blocks of a long run go: stdout, or the `--output FILE` created (truncated) once
/// and appended to as each block is rendered (an interval log must not wait for the end).
pub enum Sink {
    /// Standard output.
    Stdout,
    /// A file.
    File(std::fs::File, std::path::PathBuf),
}

impl Sink {
    /// Stdout for `None` or `-`, else creates (truncates) FILE.
    pub fn open(path: Option<&Path>) -> anyhow::Result<Sink> {
        match path {
            None => Ok(Sink::Stdout),
            Some(p) if p.as_os_str() == "-" => Ok(Sink::Stdout),
            Some(p) => std::fs::File::create(p)
                .map(|f| Sink::File(f, p.to_path_buf()))
                .with_context(|| format!("cannot create output file `{}`", p.display())),
        }
    }

    /// Writes `text` and flushes.
    pub fn write(&mut self, text: &str) -> anyhow::Result<()> {
        match self {
            Sink::Stdout => write_stdout(text.as_bytes()),
            Sink::File(f, p) => f
                .write_all(text.as_bytes())
                .and_then(|()| f.flush())
                .with_context(|| format!("writing `{}`", p.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileTypeExt;

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
    fn write_atomic_refuses_special_files_and_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real");
        std::fs::write(&target, b"keep").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = write_atomic(&link, b"x").unwrap_err();
        assert!(crate::error::find::<NotRegular>(&err).is_some(), "{err:#}");
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        let err = write_atomic(Path::new("/dev/null"), b"x").unwrap_err();
        assert!(format!("{err:#}").contains("a device"), "{err:#}");
        assert!(
            std::fs::metadata("/dev/null")
                .unwrap()
                .file_type()
                .is_char_device()
        );
        let err = write_atomic(dir.path(), b"x").unwrap_err();
        assert!(format!("{err:#}").contains("a directory"), "{err:#}");
    }

    #[test]
    fn write_atomic_names_the_path_on_error() {
        let err = write_atomic(Path::new("/nonexistent-dir-hostkit/x"), b"x").unwrap_err();
        assert!(format!("{err:#}").contains("/nonexistent-dir-hostkit/x"));
    }
}
