//! Who may read what warden writes. Its state, logs, snapshots and packs hold agents'
//! output and task details, which often include secrets: they are its user's alone.
//! Files that belong to the repository itself keep the usual modes.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The mode of a folder warden makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FolderMode {
    /// 0700: the state folder, the logs and snapshot folders, context packs.
    Private,
    /// 0755: a folder of the repository (`scripts/` from `warden init`).
    Shared,
}

impl FolderMode {
    pub(crate) fn bits(self) -> u32 {
        match self {
            Self::Private => 0o700,
            Self::Shared => 0o755,
        }
    }
}

/// The mode of a file warden writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileMode {
    /// 0600: warden's state, records, logs, snapshots, packs.
    Private,
    /// 0644: a file of the repository (`warden.toml`).
    Shared,
    /// 0755: a script of the repository (`scripts/dispatch`).
    Executable,
    /// The replaced file's own permission bits, 0644 for a new one: a task file,
    /// `.gitignore`, `justfile`.
    Existing,
}

impl FileMode {
    /// The bits for a file written at `path` (read before it is replaced).
    pub(crate) fn bits(self, path: &Path) -> u32 {
        match self {
            Self::Private => 0o600,
            Self::Shared => 0o644,
            Self::Executable => 0o755,
            Self::Existing => std::fs::symlink_metadata(path)
                .ok()
                .filter(std::fs::Metadata::is_file)
                .map_or(0o644, |m| m.permissions().mode() & 0o7777),
        }
    }

    /// The mode of the folders made on the way to such a file.
    pub(crate) fn folder(self) -> FolderMode {
        match self {
            Self::Private => FolderMode::Private,
            Self::Shared | Self::Executable | Self::Existing => FolderMode::Shared,
        }
    }
}
