//! Opening a file in place rather than replacing it: the dispatch logs (appended to, by
//! warden and then by tmux's `cat >> log`), the supervisor's lock, go files, a pack's
//! `updates.md`. Never through a link (`O_NOFOLLOW`), only a regular file, and private:
//! made 0600, and an older warden's 0644 file is made 0600 too.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::OFlag;

use super::folder::{check_no_links, ensure_folder};
use super::mode::FolderMode;
use super::refusal::PathError;

/// How a file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Open {
    /// Appended to; made if missing.
    Append,
    /// Read and written, made if missing, never truncated (the lock).
    ReadWrite,
    /// Made now (`O_CREAT|O_EXCL`); one already there is fine when it is a regular file
    /// (a go file made before a restart).
    Create,
    /// Read and written when it exists; nothing is made (probing the lock).
    Existing,
}

/// Opens `path` as `how` says; its folder is made (private) unless `Existing`.
pub(crate) fn open_private(path: &Path, how: Open) -> Result<File, PathError> {
    if let Some(dir) = path.parent() {
        if how == Open::Existing {
            check_no_links(dir)?;
        } else {
            ensure_folder(dir, FolderMode::Private)?;
        }
    }
    // Refused before opening: opening a FIFO for writing would block.
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(PathError::Symlink {
                path: path.to_path_buf(),
            });
        }
        Ok(m) if !m.is_file() => {
            return Err(PathError::NotFile {
                path: path.to_path_buf(),
            });
        }
        _ => {}
    }
    let mut options = OpenOptions::new();
    options.mode(0o600).custom_flags(OFlag::O_NOFOLLOW.bits());
    match how {
        Open::Append => options.append(true).create(true),
        Open::ReadWrite => options.read(true).write(true).create(true).truncate(false),
        Open::Create => options.write(true).create_new(true),
        Open::Existing => options.read(true).write(true),
    };
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if how == Open::Create && e.kind() == std::io::ErrorKind::AlreadyExists => {
            return open_private(path, Open::Existing);
        }
        Err(e) => return Err(refusal(path, e)),
    };
    let meta = file.metadata().map_err(|source| PathError::Inspect {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.is_file() {
        return Err(PathError::NotFile {
            path: path.to_path_buf(),
        });
    }
    if meta.permissions().mode() & 0o077 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|source| PathError::Private {
                path: path.to_path_buf(),
                source,
            })?;
    }
    Ok(file)
}

/// `O_NOFOLLOW` on a link fails with ELOOP: say so, naming it.
fn refusal(path: &Path, e: std::io::Error) -> PathError {
    if e.raw_os_error() == Some(Errno::ELOOP as i32) {
        PathError::Symlink {
            path: path.to_path_buf(),
        }
    } else {
        PathError::Open {
            path: path.to_path_buf(),
            source: e,
        }
    }
}

/// A small state file warden wrote, read back: never through a link, never a FIFO (it
/// would block), only a regular file, at most `max` bytes. `None` when any of that fails.
pub(crate) fn read_bounded(path: &Path, max: u64) -> Option<Vec<u8>> {
    use std::io::Read as _;
    let file = OpenOptions::new()
        .read(true)
        .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK).bits())
        .open(path)
        .ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(max).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn appends_privately_and_refuses_links() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("logs/dispatch-t.log");
        open_private(&log, Open::Append)
            .and_then(|mut f| {
                f.write_all(b"one\n").map_err(|source| PathError::Open {
                    path: log.clone(),
                    source,
                })
            })
            .expect("append");
        assert_eq!(
            std::fs::metadata(&log).expect("stat").permissions().mode() & 0o777,
            0o600
        );
        let keys = dir.path().join("keys");
        std::fs::write(&keys, b"key\n").expect("keys");
        let link = dir.path().join("logs/dispatch-u.log");
        std::os::unix::fs::symlink(&keys, &link).expect("plant");
        for how in [Open::Append, Open::ReadWrite, Open::Create, Open::Existing] {
            assert!(
                matches!(open_private(&link, how), Err(PathError::Symlink { .. })),
                "{how:?}"
            );
        }
        assert_eq!(std::fs::read(&keys).expect("read"), b"key\n");
    }

    #[test]
    fn create_accepts_an_existing_regular_file_and_tightens_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let go = dir.path().join("go");
        open_private(&go, Open::Create).expect("made");
        std::fs::set_permissions(&go, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        open_private(&go, Open::Create).expect("already there");
        assert_eq!(
            std::fs::metadata(&go).expect("stat").permissions().mode() & 0o777,
            0o600
        );
        std::fs::create_dir(dir.path().join("folder")).expect("mkdir");
        assert!(matches!(
            open_private(&dir.path().join("folder"), Open::Append),
            Err(PathError::NotFile { .. })
        ));
    }
}
