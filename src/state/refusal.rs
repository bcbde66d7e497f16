//! Why warden refuses a path it was about to write through: a link that could lead outside
//! the repository, something other than the folder or file expected, or a folder another
//! user could control.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub(crate) enum PathError {
    #[error(
        "failed to use {path}: it is a symbolic link, and warden does not write through links; replace it with a real folder or file"
    )]
    Symlink { path: PathBuf },
    #[error("failed to use {path}: it is not a folder")]
    NotFolder { path: PathBuf },
    #[error("failed to use {path}: it is not a regular file")]
    NotFile { path: PathBuf },
    #[error("failed to use {path}: it belongs to uid {owner}, not to uid {me}")]
    Owner { path: PathBuf, owner: u32, me: u32 },
    #[error(
        "failed to use {path}: its mode is {mode:04o}; it must be 0700 (only its owner may use it)"
    )]
    Mode { path: PathBuf, mode: u32 },
    #[error("failed to create {path}: {source}")]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to make {path} private: {source}")]
    Private {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to open {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to inspect {path}: {source}")]
    Inspect {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
