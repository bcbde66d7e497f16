//! The folders warden writes into. Every folder on the way to a file warden writes must be
//! a real folder: a symbolic link anywhere on the path (a planted `.warden/jobs -> ~/.ssh`,
//! or one committed to the repository) is refused, naming it, so warden writes only where
//! the path says. The repository root is canonical (`config::load`), so a link found on
//! the way is below it, or on a path configured outside it.

use std::fs::Metadata;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::mode::FolderMode;
use super::refusal::PathError;

/// Makes `dir` and its missing parents with `mode`; refuses a link or a non-folder
/// anywhere on the path.
pub(crate) fn ensure_folder(dir: &Path, mode: FolderMode) -> Result<(), PathError> {
    walk(dir, Some(mode))
}

/// Refuses a link anywhere on `path`, `path` itself included, and a non-folder above it.
/// Makes nothing; a missing part is fine (whoever makes it later checks it then).
pub(crate) fn check_no_links(path: &Path) -> Result<(), PathError> {
    walk(path, None)
}

fn walk(path: &Path, make: Option<FolderMode>) -> Result<(), PathError> {
    let mut prefix = PathBuf::new();
    let mut parts = path.components().peekable();
    while let Some(part) = parts.next() {
        prefix.push(part);
        let last = parts.peek().is_none();
        match std::fs::symlink_metadata(&prefix) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(PathError::Symlink { path: prefix });
            }
            Ok(m) if m.is_dir() || (last && make.is_none()) => {}
            Ok(_) => return Err(PathError::NotFolder { path: prefix }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let Some(mode) = make else {
                    return Ok(());
                };
                // Everything below a missing folder is missing too.
                create(&prefix, mode)?;
                for rest in parts.by_ref() {
                    prefix.push(rest);
                    create(&prefix, mode)?;
                }
                return Ok(());
            }
            Err(source) => {
                return Err(PathError::Inspect {
                    path: prefix,
                    source,
                });
            }
        }
    }
    Ok(())
}

/// Makes one folder. One made meanwhile by someone else must pass the same check.
fn create(dir: &Path, mode: FolderMode) -> Result<(), PathError> {
    match std::fs::DirBuilder::new().mode(mode.bits()).create(dir) {
        Ok(()) if mode == FolderMode::Private => {
            // The umask may have taken the owner's bits; the folder is ours, just made.
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode.bits())).map_err(
                |source| PathError::Create {
                    path: dir.to_path_buf(),
                    source,
                },
            )
        }
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => folder_meta(dir).map(|_| ()),
        Err(source) => Err(PathError::Create {
            path: dir.to_path_buf(),
            source,
        }),
    }
}

/// The folder's own metadata (not its target's); a link or a non-folder is refused.
fn folder_meta(dir: &Path) -> Result<Metadata, PathError> {
    let meta = std::fs::symlink_metadata(dir).map_err(|source| PathError::Inspect {
        path: dir.to_path_buf(),
        source,
    })?;
    if meta.file_type().is_symlink() {
        return Err(PathError::Symlink {
            path: dir.to_path_buf(),
        });
    }
    if !meta.is_dir() {
        return Err(PathError::NotFolder {
            path: dir.to_path_buf(),
        });
    }
    Ok(meta)
}

/// Takes group and other bits off an existing folder (one an older warden made 0755).
pub(crate) fn make_private(dir: &Path) -> Result<(), PathError> {
    let meta = folder_meta(dir)?;
    if meta.mode() & 0o777 == 0o700 {
        return Ok(());
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|source| {
        PathError::Private {
            path: dir.to_path_buf(),
            source,
        }
    })
}

/// A folder outside the repository that every user of the machine could have made first
/// (`/tmp/warden-<uid>` for sockets): made 0700 when missing and `make`, and used only when
/// it is ours and 0700. Whoever else owns it, or may enter it, could answer our requests.
pub(crate) fn ensure_owned_private(dir: &Path, make: bool) -> Result<(), PathError> {
    if let Some(parent) = dir.parent() {
        check_no_links(parent)?;
    }
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !make {
                // Nothing there to trust or distrust; a connect finds no one.
                return Ok(());
            }
            create(dir, FolderMode::Private)?;
        }
        Err(source) => {
            return Err(PathError::Inspect {
                path: dir.to_path_buf(),
                source,
            });
        }
        Ok(_) => {}
    }
    let meta = folder_meta(dir)?;
    match private_problem(dir, meta.uid(), meta.mode(), nix::unistd::getuid().as_raw()) {
        Some(problem) => Err(problem),
        None => Ok(()),
    }
}

/// The rule, apart from the file system: the folder is `me`'s, and no one else may enter
/// or change it.
pub(crate) fn private_problem(path: &Path, owner: u32, mode: u32, me: u32) -> Option<PathError> {
    if owner != me {
        return Some(PathError::Owner {
            path: path.to_path_buf(),
            owner,
            me,
        });
    }
    (mode & 0o777 != 0o700).then(|| PathError::Mode {
        path: path.to_path_buf(),
        mode: mode & 0o7777,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode_of(path: &Path) -> u32 {
        std::fs::symlink_metadata(path).expect("stat").mode() & 0o7777
    }

    #[test]
    fn missing_folders_are_made_private_and_links_on_the_way_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let deep = dir.path().join("a/b/c");
        ensure_folder(&deep, FolderMode::Private).expect("made");
        for p in ["a", "a/b", "a/b/c"] {
            assert_eq!(mode_of(&dir.path().join(p)), 0o700, "{p}");
        }
        let out = tempfile::tempdir().expect("tempdir");
        let link = dir.path().join("a/link");
        std::os::unix::fs::symlink(out.path(), &link).expect("plant");
        let err = ensure_folder(&link.join("x"), FolderMode::Private).expect_err("refused");
        assert!(
            matches!(&err, PathError::Symlink { path } if *path == link),
            "{err}"
        );
        assert!(matches!(
            check_no_links(&link),
            Err(PathError::Symlink { .. })
        ));
        assert!(check_no_links(&dir.path().join("a/missing/x")).is_ok());
        assert_eq!(std::fs::read_dir(out.path()).expect("list").count(), 0);
        std::fs::write(dir.path().join("a/file"), b"").expect("file");
        assert!(matches!(
            ensure_folder(&dir.path().join("a/file/x"), FolderMode::Private),
            Err(PathError::NotFolder { .. })
        ));
    }

    #[test]
    fn an_open_folder_is_made_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        make_private(dir.path()).expect("private");
        assert_eq!(mode_of(dir.path()), 0o700);
    }

    #[test]
    fn the_private_rule() {
        let p = Path::new("/tmp/warden-1000");
        assert!(private_problem(p, 1000, 0o40700, 1000).is_none());
        assert!(matches!(
            private_problem(p, 1000, 0o40777, 1000),
            Some(PathError::Mode { mode: 0o777, .. })
        ));
        assert!(matches!(
            private_problem(p, 1000, 0o40750, 1000),
            Some(PathError::Mode { .. })
        ));
        assert!(matches!(
            private_problem(p, 65534, 0o40700, 1000),
            Some(PathError::Owner { owner: 65534, .. })
        ));
        let message = private_problem(p, 1000, 0o1777, 1000)
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            message.contains("/tmp/warden-1000") && message.contains("1777"),
            "{message}"
        );
    }

    #[test]
    fn a_shared_folder_of_another_user_or_mode_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sockets = dir.path().join("warden-sockets");
        ensure_owned_private(&sockets, false).expect("nothing there, nothing made");
        assert!(!sockets.exists());
        ensure_owned_private(&sockets, true).expect("made");
        assert_eq!(mode_of(&sockets), 0o700);
        std::fs::set_permissions(&sockets, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        assert!(matches!(
            ensure_owned_private(&sockets, true),
            Err(PathError::Mode { .. })
        ));
        std::fs::set_permissions(&sockets, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        if nix::unistd::getuid().is_root() {
            std::os::unix::fs::chown(&sockets, Some(65534), Some(65534)).expect("chown");
            assert!(matches!(
                ensure_owned_private(&sockets, true),
                Err(PathError::Owner { owner: 65534, .. })
            ));
        }
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&sockets, &link).expect("plant");
        assert!(matches!(
            ensure_owned_private(&link, true),
            Err(PathError::Symlink { .. })
        ));
    }
}
