//! The top-level error: every module's error, typed all the way up, each kind mapped to one
//! exit code (`exit_code.rs`, mirrored in `docs/exit-codes.md`).

use std::path::PathBuf;

use crate::config::ConfigError;
use crate::escalate::LedgerError;
use crate::exit_code::ExitCode;
use crate::layout::LayoutError;
use crate::register::RegisterError;
use crate::snapshot::SnapshotError;
use crate::supervisor::{ControlError, Refusal, SuperviseError};
use crate::tmux::TmuxError;

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Layout(#[from] LayoutError),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error("no snapshot yet in {0}: run `warden heartbeat --once` or start the supervisor")]
    NoSnapshot(PathBuf),
    #[error(transparent)]
    Register(#[from] RegisterError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("no supervisor is running for {0}; start one with `warden up`")]
    NotRunning(PathBuf),
    #[error("no warden session for {0}; start one with `warden up`")]
    NoSession(PathBuf),
    #[error(
        "the supervisor (pid {pid}) holds the lock of {root} but does not answer on its control socket: {source}"
    )]
    Unreachable {
        pid: String,
        root: PathBuf,
        #[source]
        source: ControlError,
    },
    #[error(transparent)]
    Lock(#[from] crate::supervisor::LockError),
    #[error(transparent)]
    Supervise(#[from] SuperviseError),
    #[error(transparent)]
    Tmux(#[from] TmuxError),
    #[error(transparent)]
    Control(#[from] ControlError),
    #[error(transparent)]
    Write(#[from] crate::state::WriteError),
    /// A path warden would write through is a link, or a folder another user controls.
    #[error(transparent)]
    UnsafePath(#[from] crate::state::PathError),
    /// The supervisor understood the request and cannot do it now.
    #[error("{0}")]
    Refused(Refusal),
    /// The supervisor failed to carry out a request.
    #[error("the supervisor failed: {0}")]
    Supervisor(String),
    /// `warden top` could not use the terminal.
    #[error(transparent)]
    Dashboard(#[from] crate::dashboard::DashboardError),
    #[error("{what}")]
    NotFound { what: String },
    #[error("failed to {what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to {what}: {source}")]
    Run {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Provenance(#[from] crate::config::ProvenanceError),
    #[error("{0}")]
    Failed(String),
    /// `warden up`'s preflight found failures (doctor's lines, with their fixes).
    #[error("{0}")]
    Preflight(String),
    #[error("failed to write to standard output: {0}")]
    Stdout(#[source] std::io::Error),
}

impl Error {
    /// A failed file operation, naming the path: `what` reads after "failed to".
    pub(crate) fn io(
        what: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { what, path, source }
    }

    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            Self::Config(_) | Self::Layout(_) | Self::Provenance(_) => ExitCode::Config,
            Self::NoSnapshot(_) => ExitCode::NoSnapshot,
            Self::Register(_) | Self::Ledger(_) => ExitCode::State,
            Self::NotRunning(_) | Self::NoSession(_) => ExitCode::NotRunning,
            Self::Unreachable { .. } => ExitCode::Unreachable,
            Self::Lock(crate::supervisor::LockError::Held { .. }) => ExitCode::LockHeld,
            Self::Supervise(e) => match e {
                SuperviseError::Lock(crate::supervisor::LockError::Held { .. }) => {
                    ExitCode::LockHeld
                }
                SuperviseError::Session(_) | SuperviseError::TmuxGone => ExitCode::Tmux,
                _ => ExitCode::Failure,
            },
            Self::Tmux(_) => ExitCode::Tmux,
            Self::Control(ControlError::Connect { .. }) => ExitCode::NotRunning,
            Self::Control(ControlError::Io { .. }) => ExitCode::Unreachable,
            Self::Refused(Refusal::UnknownTask { .. }) | Self::NotFound { .. } => {
                ExitCode::UnknownTask
            }
            Self::Refused(_) => ExitCode::Refused,
            Self::Preflight(_) => ExitCode::CheckFailed,
            Self::Lock(_)
            | Self::Control(_)
            | Self::Snapshot(_)
            | Self::Supervisor(_)
            | Self::Dashboard(_)
            | Self::Io { .. }
            | Self::Run { .. }
            | Self::Write(_)
            | Self::UnsafePath(_)
            | Self::Failed(_)
            | Self::Stdout(_) => ExitCode::Failure,
        }
    }
}
