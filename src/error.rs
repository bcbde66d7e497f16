//! The top-level error: every module's error, each mapped to one exit code.

use crate::config::ConfigError;
use crate::exit_code::ExitCode;
use crate::register::RegisterError;
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
    #[error(transparent)]
    Register(#[from] RegisterError),
    #[error("no supervisor is running for {0}; start one with `warden up`")]
    NotRunning(std::path::PathBuf),
    #[error("{0}")]
    Other(String),
    #[error("failed to write to standard output: {0}")]
    Stdout(#[source] std::io::Error),
}

impl Error {
    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            Self::Config(_) => ExitCode::Config,
            Self::NoSnapshot(_) => ExitCode::NoSnapshot,
            Self::Register(_) => ExitCode::State,
            Self::NotRunning(_) => ExitCode::NotRunning,
            Self::Other(_) => ExitCode::Failure,
            Self::Store(_) | Self::Snapshot(_) | Self::Stdout(_) => ExitCode::Failure,
        }
    }
}
