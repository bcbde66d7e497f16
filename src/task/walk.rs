//! Listing `tasks/**/*.md`: each markdown path with what it is (a regular file to read, or
//! something refused without being opened), and each folder that could not be listed. A
//! folder that cannot be listed costs only itself: the walk goes on with the others.

use std::collections::HashSet;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::read::{FileKind, ReadError};
use super::watch::Watcher;

/// What a markdown path is, as far as the walk can tell without opening it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A regular file (after following a symlink): to be read.
    Read,
    /// Not to be opened, with the reason (a FIFO, a device, a symlink loop, a failed stat).
    Refused(String),
}

/// One markdown path. `mtime` and `size` key the store's cache.
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) path: PathBuf,
    pub(crate) mtime: SystemTime,
    pub(crate) size: u64,
    pub(crate) verdict: Verdict,
}

/// A folder whose listing failed.
#[derive(Debug)]
pub(crate) struct Unlistable {
    pub(crate) path: PathBuf,
    pub(crate) error: std::io::Error,
    pub(crate) mtime: SystemTime,
}

#[derive(Debug, Default)]
pub(crate) struct Walk {
    pub(crate) files: Vec<Found>,
    pub(crate) unlistable: Vec<Unlistable>,
    /// Every folder was listed and watched: until the watcher reports a change, this walk
    /// still holds. False leaves the watcher dirty, so the next scan walks again.
    pub(crate) complete: bool,
}

fn mtime_of(meta: &std::fs::Metadata) -> SystemTime {
    meta.modified().unwrap_or(SystemTime::UNIX_EPOCH)
}

/// What one non-folder entry is. `None`: skip it (a dangling link, or gone since the
/// listing). Symlinked files are followed; for the others the entry's own stat, relative to
/// the open folder, is cheaper.
fn classify(entry: &std::fs::DirEntry, path: PathBuf, symlink: bool) -> Option<Found> {
    let stat = if symlink {
        std::fs::metadata(&path)
    } else {
        entry.metadata()
    };
    let (mtime, size, verdict) = match stat {
        Ok(meta) => {
            let verdict = match FileKind::of(&meta) {
                None => Verdict::Read,
                Some(kind) => Verdict::Refused(ReadError::NotRegular(kind).to_string()),
            };
            (mtime_of(&meta), meta.len(), verdict)
        }
        Err(e) if e.kind() == ErrorKind::NotFound => return None,
        // A loop, a path too long, a folder on the way that cannot be searched: the link's
        // own stat keys the cache.
        Err(e) => {
            let own = std::fs::symlink_metadata(&path).ok();
            (
                own.as_ref().map_or(SystemTime::UNIX_EPOCH, mtime_of),
                own.as_ref().map_or(0, std::fs::Metadata::len),
                Verdict::Refused(ReadError::from_stat(e).to_string()),
            )
        }
    };
    Some(Found {
        path,
        mtime,
        size,
        verdict,
    })
}

/// Lists `*.md` files below `tasks_dir` without following symlinked folders (a loop would
/// never end), skipping hidden and `excluded` folders. Each folder is watched before it is
/// listed, so a change made during the walk is still reported next time.
pub(crate) fn walk(
    tasks_dir: &Path,
    excluded: &HashSet<PathBuf>,
    watcher: Option<&Watcher>,
) -> Walk {
    let mut out = Walk {
        complete: watcher.is_some(),
        ..Walk::default()
    };
    let mut stack = vec![tasks_dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        if let Some(w) = watcher {
            out.complete &= w.watch(&dir);
        }
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            // No tasks folder yet (nothing to watch), or a folder removed since its parent
            // was listed: nothing to read there; walk again next time.
            Err(e) if e.kind() == ErrorKind::NotFound => {
                out.complete = false;
                continue;
            }
            Err(error) => {
                let mtime = std::fs::symlink_metadata(&dir)
                    .map_or(SystemTime::UNIX_EPOCH, |m| mtime_of(&m));
                out.unlistable.push(Unlistable {
                    path: dir,
                    error,
                    mtime,
                });
                out.complete = false;
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                // The listing broke off half way: what it gave is kept, the folder reported.
                Err(error) => {
                    out.unlistable.push(Unlistable {
                        path: dir.clone(),
                        error,
                        mtime: SystemTime::UNIX_EPOCH,
                    });
                    out.complete = false;
                    break;
                }
            };
            let path = entry.path();
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if file_type.is_dir() {
                if !hidden && !excluded.contains(&path) {
                    stack.push(path);
                }
                continue;
            }
            if hidden || path.extension().is_none_or(|e| e != "md") {
                continue;
            }
            if let Some(found) = classify(&entry, path, file_type.is_symlink()) {
                out.files.push(found);
            }
        }
    }
    out
}
