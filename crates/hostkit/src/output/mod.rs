//! Rendering shared by every command: text tables, JSON, progress bars and atomic file writes.
//! stdout is data, stderr is talk (DESIGN.md §3.5): progress and warnings go to stderr and are
//! hidden when stderr is not a terminal.

pub mod civil;
pub mod progress;
pub mod table;

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

/// Checks that `path` may be replaced by [`write_textfile`]: a regular file or nothing. A
/// symlink, FIFO, socket, device or directory is refused: renaming over it would replace it.
pub fn check_textfile_target(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let ft = match std::fs::symlink_metadata(path) {
        Ok(m) => m.file_type(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot inspect `{}`", path.display())),
    };
    let what = if ft.is_file() {
        return Ok(());
    } else if ft.is_symlink() {
        "a symbolic link"
    } else if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else {
        "not a regular file"
    };
    anyhow::bail!(
        "`{}` is {what}; expected a regular file or a path that does not exist yet, since the file is replaced by renaming a new one over it\nhint: point it at a file in node_exporter's textfile directory, e.g. `/var/lib/node_exporter/textfile/proc.prom`",
        path.display()
    )
}

/// Writes `contents` to `path` for readers such as node_exporter's textfile collector: checks
/// the target ([`check_textfile_target`]), writes a temp file created exclusively
/// (`O_EXCL|O_NOFOLLOW`, unpredictable name) in the same directory, fsyncs it, renames it
/// over `path`. Readers never see a half-written file; on error the temp file is removed.
pub fn write_textfile(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    check_textfile_target(path)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("`{}` is not a file path", path.display()))?;
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut attempt = 0;
    let (tmp, mut file) = loop {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = dir.join(format!(
            ".{}.{}.{nanos:09}.{seq}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 16 => {
                attempt += 1;
            }
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("cannot create a temp file next to `{}`", path.display())
                });
            }
        }
    };
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

/// Where rendered output goes: stdout, or the `--output FILE` (created or truncated once,
/// then written to as each block is rendered).
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
            Sink::Stdout => print_text(text),
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

    #[test]
    fn textfile_refuses_special_files_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.prom");
        write_textfile(&p, b"a 1\n").unwrap();
        write_textfile(&p, b"a 2\n").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"a 2\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let link = dir.path().join("link.prom");
        std::os::unix::fs::symlink(&p, &link).unwrap();
        let err = format!("{:#}", write_textfile(&link, b"x").unwrap_err());
        assert!(err.contains("symbolic link"), "{err}");
        let err = format!(
            "{:#}",
            write_textfile(Path::new("/dev/null"), b"x").unwrap_err()
        );
        assert!(err.contains("character device"), "{err}");
        assert_eq!(std::fs::read(&p).unwrap(), b"a 2\n");
    }

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
