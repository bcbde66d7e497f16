//! The one way warden writes a file it owns: a temp file in the same folder, fsync, rename
//! over the target, fsync the folder. A reader sees the old content or the new, never half.
//!
//! Nothing is written through a link: every folder on the way must be a real folder, the
//! target must not be a link, and temp files are made with `O_CREAT|O_EXCL` under random
//! names (`tempfile`), so a link planted at a guessable temp name is never followed.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use super::folder::ensure_folder;
use super::mode::FileMode;
use super::refusal::PathError;

#[derive(Debug, thiserror::Error)]
pub(crate) enum WriteError {
    #[error("failed to write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Refused(#[from] PathError),
}

impl WriteError {
    /// What went wrong, without the path when the caller names it already.
    pub(crate) fn reason(&self) -> String {
        match self {
            Self::Io { source, .. } => source.to_string(),
            Self::Refused(e) => e.to_string(),
        }
    }
}

/// Whether the write is fsync'd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sync {
    Durable,
    Atomic,
}

/// Writes `bytes` to `path` atomically and durably, private (0600), creating the parent
/// folder (0700) if needed.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_file(path, None, bytes, FileMode::Private, Sync::Durable)
}

/// `write_atomic` with the file's mode chosen: for files of the repository itself.
pub(crate) fn write_atomic_as(path: &Path, bytes: &[u8], mode: FileMode) -> Result<(), WriteError> {
    write_file(path, None, bytes, mode, Sync::Durable)
}

/// Temp file and rename, without fsync: atomic against a crashed process (readers see the
/// old or the new file), not against a power cut. For the wrappers' job records, which
/// must survive a supervisor crash and must not cost milliseconds of fsync on the path from
/// a worker's exit to the supervisor knowing it; the register keeps the durable copy.
pub(crate) fn write_replace(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_file(path, None, bytes, FileMode::Private, Sync::Atomic)
}

/// Like `write_atomic`, and also makes `also` (in the same folder) a hard link to the same
/// complete file: one write and one fsync give two names, as snapshots need for
/// `<UTC>.snapshot.json` and `latest.snapshot.json`.
pub(crate) fn write_atomic_linked(
    path: &Path,
    also: Option<&Path>,
    bytes: &[u8],
) -> Result<(), WriteError> {
    write_file(path, also, bytes, FileMode::Private, Sync::Durable)
}

/// The target's folder, checked (and made); a target that is a link is refused, though the
/// rename would only replace the link: it says someone put it there.
fn prepare(path: &Path, mode: FileMode) -> Result<PathBuf, WriteError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    ensure_folder(dir, mode.folder())?;
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(PathError::Symlink {
            path: path.to_path_buf(),
        }
        .into());
    }
    Ok(dir.to_path_buf())
}

/// The start of temp names beside `path`: `.<name>.<random>.tmp`.
fn temp_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map_or_else(|| "state".into(), |n| n.to_string_lossy().into_owned());
    format!(".{name}.")
}

fn write_file(
    path: &Path,
    also: Option<&Path>,
    bytes: &[u8],
    mode: FileMode,
    sync: Sync,
) -> Result<(), WriteError> {
    let dir = prepare(path, mode)?;
    if let Some(also) = also {
        prepare(also, mode)?;
    }
    let io = |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bits = mode.bits(path);
    // Dropped on any failure below, which removes it: temp files never pile up.
    let mut tmp: NamedTempFile = tempfile::Builder::new()
        .prefix(&temp_prefix(path))
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(io)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(bits))
        .map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    if sync == Sync::Durable {
        tmp.as_file().sync_all().map_err(io)?;
    }
    if let Some(also) = also {
        link_as(&tmp, &dir, also, bytes, mode, sync)?;
    }
    tmp.persist(path).map_err(|e| io(e.error))?;
    if sync == Sync::Durable {
        // The rename is durable only once the folder's entry is on disk.
        std::fs::File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
    }
    Ok(())
}

/// Links the complete temp file under a random temp name, then renames that over `also`:
/// `also` is never missing, even when a file of that name already exists. Where hard links
/// are refused, a second atomic write gives the same result at twice the cost.
fn link_as(
    tmp: &NamedTempFile,
    dir: &Path,
    also: &Path,
    bytes: &[u8],
    mode: FileMode,
    sync: Sync,
) -> Result<(), WriteError> {
    let linked = tempfile::Builder::new()
        .prefix(&temp_prefix(also))
        .suffix(".tmp")
        .make_in(dir, |name| std::fs::hard_link(tmp.path(), name));
    match linked {
        Ok(link) => link.persist(also).map(drop).map_err(|e| WriteError::Io {
            path: also.to_path_buf(),
            source: e.error,
        }),
        Err(_) => write_file(also, None, bytes, mode, sync),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("nested/state.json");
        write_atomic(&path, b"one").expect("first write");
        write_atomic(&path, b"two").expect("second write");
        assert_eq!(std::fs::read(&path).expect("read"), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("nested"))
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["state.json"]);
    }

    #[test]
    fn linked_write_gives_two_names_and_later_writes_leave_the_link_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let latest = dir.path().join("latest.json");
        let first = dir.path().join("1.json");
        let second = dir.path().join("2.json");
        write_atomic_linked(&latest, Some(&first), b"one").expect("first");
        write_atomic_linked(&latest, Some(&second), b"two").expect("second");
        assert_eq!(std::fs::read(&first).expect("read"), b"one");
        assert_eq!(std::fs::read(&second).expect("read"), b"two");
        assert_eq!(std::fs::read(&latest).expect("read"), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 3);
    }

    /// A folder outside, holding `keys`; the tests plant links to it.
    fn outside() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let keys = dir.path().join("keys");
        std::fs::write(&keys, b"the only key\n").expect("keys");
        (dir, keys)
    }

    #[test]
    fn planted_links_at_temp_names_are_never_followed() {
        let (_out, keys) = outside();
        let dir = tempfile::tempdir().expect("tempdir");
        // The old temp names were `.<name>.tmp-<pid>-<n>` and `.<name>.link-<pid>-<n>`, a
        // global counter: plant a link at each name the next writes could have picked.
        for name in ["register.json", "latest.snapshot.json"] {
            for n in 0..256 {
                for kind in ["tmp", "link"] {
                    let link = dir
                        .path()
                        .join(format!(".{name}.{kind}-{}-{n}", std::process::id()));
                    std::os::unix::fs::symlink(&keys, link).expect("plant");
                }
            }
        }
        let _ = write_atomic(&dir.path().join("register.json"), b"{\"jobs\": []}");
        let _ = write_replace(&dir.path().join("register.json"), b"{\"jobs\": []}");
        let _ = write_atomic_linked(
            &dir.path().join("latest.snapshot.json"),
            Some(&dir.path().join("1.snapshot.json")),
            b"{}",
        );
        assert_eq!(
            std::fs::read(&keys).expect("read"),
            b"the only key\n",
            "a planted temp-name link was followed"
        );
    }

    #[test]
    fn a_link_on_the_way_or_at_the_target_is_refused() {
        let (out, keys) = outside();
        let dir = tempfile::tempdir().expect("tempdir");
        let jobs = dir.path().join("jobs");
        std::os::unix::fs::symlink(out.path(), &jobs).expect("plant folder link");
        let err = write_replace(&jobs.join("j1.json"), b"{}").expect_err("through a linked folder");
        assert!(
            err.to_string().contains(&jobs.display().to_string()),
            "names the link: {err}"
        );
        let target = dir.path().join("register.json");
        std::os::unix::fs::symlink(&keys, &target).expect("plant file link");
        let err = write_atomic(&target, b"{}").expect_err("a linked target");
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read(&keys).expect("read"), b"the only key\n");
        assert_eq!(
            std::fs::read_dir(out.path()).expect("list").count(),
            1,
            "nothing was written into the linked folder"
        );
    }

    #[test]
    fn failure_names_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        // The parent "folder" is a file: the error names it.
        std::fs::write(dir.path().join("file"), b"x").expect("write");
        let err = write_atomic(&dir.path().join("file/state.json"), b"x").expect_err("must fail");
        assert_eq!(
            err.to_string(),
            format!(
                "failed to use {}: it is not a folder",
                dir.path().join("file").display()
            )
        );
        // The target is a folder: the rename fails, naming the target.
        std::fs::create_dir(dir.path().join("state.json")).expect("mkdir");
        let err = write_atomic(&dir.path().join("state.json"), b"x").expect_err("must fail");
        assert!(err.to_string().starts_with("failed to write "), "{err}");
        assert!(err.to_string().contains("state.json"), "{err}");
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("list").count(),
            2,
            "no temp file is left behind"
        );
    }

    #[test]
    fn files_are_private_unless_asked_and_existing_modes_are_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o7777;
        let state = dir.path().join("state/register.json");
        write_atomic(&state, b"{}").expect("write");
        assert_eq!(mode(&state), 0o600);
        assert_eq!(mode(&dir.path().join("state")), 0o700);
        let task = dir.path().join("tasks/t.md");
        write_atomic_as(&task, b"one", FileMode::Existing).expect("new");
        assert_eq!(mode(&task), 0o644);
        std::fs::set_permissions(&task, std::fs::Permissions::from_mode(0o664)).expect("chmod");
        write_atomic_as(&task, b"two", FileMode::Existing).expect("replace");
        assert_eq!(mode(&task), 0o664);
        let script = dir.path().join("scripts/dispatch");
        write_atomic_as(&script, b"#!/bin/sh\n", FileMode::Executable).expect("script");
        assert_eq!(mode(&script), 0o755);
    }
}
