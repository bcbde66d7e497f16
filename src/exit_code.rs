//! Every exit code warden uses, in one place. `docs/exit-codes.md` mirrors this table.

/// Exit codes of the `warden` binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitCode {
    /// Success.
    Ok = 0,
    /// An unexpected failure (an I/O error, a bug). The message says what failed.
    Failure = 1,
    /// The command line was wrong (clap's own code for usage errors).
    Usage = 2,
    /// `warden check` found problems: invalid task files, missing dependencies, cycles, an
    /// unreadable register.
    CheckFailed = 3,
    /// `warden.toml` could not be read or has an invalid value.
    Config = 4,
    // 5 is kept free for "warden's state is unreadable", used once dispatch exists.
    /// `warden status` found no snapshot to read.
    NoSnapshot = 6,
}

impl ExitCode {
    pub(crate) fn code(self) -> i32 {
        self as i32
    }
}
