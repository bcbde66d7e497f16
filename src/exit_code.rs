//! Every exit code warden uses, in one place. `docs/exit-codes.md` mirrors this table.

/// Exit codes of the `warden` binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitCode {
    /// `run-worker` (internal) leaves with its child's own exit code.
    Raw(i32),
    /// Success.
    Ok,
    /// An unexpected failure (an I/O error, a bug). The message says what failed.
    Failure,
    /// The command line was wrong (clap's own code for usage errors).
    Usage,
    /// `warden check` found problems: invalid task files, missing dependencies, cycles, an
    /// unreadable register.
    CheckFailed,
    /// `warden.toml` or a layout could not be read or has an invalid value.
    Config,
    /// warden's state (the register or the ledger) is unreadable; nothing was changed.
    State,
    /// `warden status` found no snapshot to read.
    NoSnapshot,
    /// The command needs a running supervisor (or its session) and none is.
    NotRunning,
    /// Another supervisor holds this repository's lock.
    LockHeld,
    /// No task (or task log, or worker pane) by that name.
    UnknownTask,
    /// A supervisor holds the lock but does not answer on its control socket.
    Unreachable,
    /// tmux failed: its server could not be started or asked, or it is gone.
    Tmux,
    /// The supervisor understood the request and refused it as things stand (already
    /// running, no worker to kill, dispatch held, escalation off, …).
    Refused,
}

impl ExitCode {
    pub(crate) fn code(self) -> i32 {
        match self {
            Self::Raw(code) => code,
            Self::Ok => 0,
            Self::Failure => 1,
            Self::Usage => 2,
            Self::CheckFailed => 3,
            Self::Config => 4,
            Self::State => 5,
            Self::NoSnapshot => 6,
            Self::NotRunning => 7,
            Self::LockHeld => 8,
            Self::UnknownTask => 9,
            Self::Unreachable => 10,
            Self::Tmux => 11,
            Self::Refused => 12,
        }
    }
}
