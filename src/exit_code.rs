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
    /// `warden.toml` could not be read or has an invalid value.
    Config,
    /// warden's state (the register) is unreadable; nothing was changed.
    State,
    /// `warden status` found no snapshot to read.
    NoSnapshot,
    /// The command needs a running supervisor (`dispatch`, `retry`, `kill`) and none is.
    NotRunning,
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
        }
    }
}
