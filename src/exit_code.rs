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
    // 5 is kept free for "warden's state is unreadable", used once dispatch exists.
    /// `warden status` found no snapshot to read.
    NoSnapshot,
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
            Self::NoSnapshot => 6,
        }
    }
}
