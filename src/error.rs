//! The top-level error: every module's error, each mapped to one exit code.

use crate::config::ConfigError;
use crate::exit_code::ExitCode;
use crate::snapshot::SnapshotError;
use crate::task::StoreError;

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error("no snapshot yet in {0}: run `warden heartbeat --once` or start the supervisor")]
    NoSnapshot(std::path::PathBuf),
    #[error("failed to write to standard output: {0}")]
    Stdout(#[source] std::io::Error),
}

impl Error {
    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            Self::Config(_) => ExitCode::Config,
            Self::NoSnapshot(_) => ExitCode::NoSnapshot,
            Self::Store(_) | Self::Snapshot(_) | Self::Stdout(_) => ExitCode::Failure,
        }
    }
}
