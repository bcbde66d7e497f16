//! The one way warden writes a file it owns: a temp file in the same folder, fsync, rename
//! over the target, fsync the folder. A reader sees the old content or the new, never half.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, thiserror::Error)]
#[error("failed to write {path}: {source}")]
pub(crate) struct WriteError {
    pub(crate) path: PathBuf,
    #[source]
    pub(crate) source: std::io::Error,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` atomically, creating the parent folder if needed.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_atomic_linked(path, None, bytes)
}

/// Temp file and rename, without fsync: atomic against a crashed process (readers see the
/// old or the new file), not against a power cut. For the wrappers' job records, which
/// must survive a supervisor crash and must not cost milliseconds of fsync on the path from
/// a worker's exit to the supervisor knowing it; the register keeps the durable copy.
pub(crate) fn write_replace(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let (tmp, err) = prepare(path)?;
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

/// Makes the target's folder and picks a temp name beside the target (same file system, so
/// the rename is atomic). Returns it with the error constructor naming the target.
fn prepare(
    path: &Path,
) -> Result<(PathBuf, impl Fn(std::io::Error) -> WriteError + '_), WriteError> {
    let err = move |source| WriteError {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir).map_err(err)?;
    let name = path
        .file_name()
        .map_or_else(|| "state".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    Ok((tmp, err))
}

/// Like `write_atomic`, and also makes `also` (in the same folder) a hard link to the same
/// complete file: one write and one fsync give two names, as snapshots need for
/// `<UTC>.snapshot.json` and `latest.snapshot.json`.
pub(crate) fn write_atomic_linked(
    path: &Path,
    also: Option<&Path>,
    bytes: &[u8],
) -> Result<(), WriteError> {
    let (tmp, err) = prepare(path)?;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "state".into(), |n| n.to_string_lossy().into_owned());
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        if let Some(also) = also {
            // Link under a temp name, then rename over `also`: it is never missing, even
            // when a file of that name already exists. Where hard links are refused, a
            // second atomic write gives the same result at twice the cost.
            let also_tmp = dir.join(format!(
                ".{name}.link-{}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            if std::fs::hard_link(&tmp, &also_tmp).is_ok() {
                if let Err(e) = std::fs::rename(&also_tmp, also) {
                    let _ = std::fs::remove_file(&also_tmp);
                    return Err(e);
                }
            } else {
                write_atomic(also, bytes).map_err(|e| e.source)?;
            }
        }
        std::fs::rename(&tmp, path)?;
        // The rename is durable only once the folder's entry is on disk.
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        // Best effort: a failed write must not leave temp files to pile up.
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
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

    #[test]
    fn failure_names_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        // The parent "folder" is a file, so creating it fails.
        std::fs::write(dir.path().join("file"), b"x").expect("write");
        let err = write_atomic(&dir.path().join("file/state.json"), b"x").expect_err("must fail");
        assert!(err.to_string().starts_with("failed to write "), "{err}");
        assert!(err.to_string().contains("file/state.json"), "{err}");
    }
}
