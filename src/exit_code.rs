//! Every exit code warden uses, in one place. `docs/exit-codes.md` and the man page's EXIT
//! STATUS list them (a test keeps the page's table in step with this one).

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
    /// Every code but `Raw`, in numeric order.
    pub(crate) const LISTED: [Self; 13] = [
        Self::Ok,
        Self::Failure,
        Self::Usage,
        Self::CheckFailed,
        Self::Config,
        Self::State,
        Self::NoSnapshot,
        Self::NotRunning,
        Self::LockHeld,
        Self::UnknownTask,
        Self::Unreachable,
        Self::Tmux,
        Self::Refused,
    ];

    /// Its name in docs/exit-codes.md.
    #[cfg(test)]
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Raw(_) => "Raw",
            Self::Ok => "Ok",
            Self::Failure => "Failure",
            Self::Usage => "Usage",
            Self::CheckFailed => "CheckFailed",
            Self::Config => "Config",
            Self::State => "State",
            Self::NoSnapshot => "NoSnapshot",
            Self::NotRunning => "NotRunning",
            Self::LockHeld => "LockHeld",
            Self::UnknownTask => "UnknownTask",
            Self::Unreachable => "Unreachable",
            Self::Tmux => "Tmux",
            Self::Refused => "Refused",
        }
    }

    /// One line on what it means, for the man page.
    pub(crate) fn meaning(self) -> &'static str {
        match self {
            Self::Raw(_) => "run-worker (internal) leaves with its child's own exit code.",
            Self::Ok => "Success; also --help and --version.",
            Self::Failure => {
                "An unexpected failure (an I/O error, a bug); the message says what failed."
            }
            Self::Usage => {
                "The command line was wrong: an unknown command or flag, a bad value (also in an environment variable that backs a flag)."
            }
            Self::CheckFailed => "warden check found problems, or warden doctor a failure.",
            Self::Config => "warden.toml or a layout could not be read or has an invalid value.",
            Self::State => {
                "warden's state (the register or the ledger) is unreadable; nothing was changed."
            }
            Self::NoSnapshot => "warden status found no snapshot to read.",
            Self::NotRunning => {
                "The command needs a running supervisor (or its session) and none is."
            }
            Self::LockHeld => "Another supervisor holds this repository's lock.",
            Self::UnknownTask => "No task, task log or worker pane by that name.",
            Self::Unreachable => {
                "A supervisor holds the lock but does not answer on its control socket."
            }
            Self::Tmux => "tmux failed: its server could not be started or asked, or it is gone.",
            Self::Refused => {
                "The running supervisor understood the request and refused it as things stand."
            }
        }
    }

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

#[cfg(test)]
mod tests {
    use super::ExitCode;

    #[test]
    fn the_listed_codes_are_in_order_and_in_the_docs() {
        let page = include_str!("../docs/exit-codes.md");
        for (i, code) in ExitCode::LISTED.iter().enumerate() {
            assert_eq!(code.code(), i32::try_from(i).expect("small"), "{code:?}");
            let row = format!("| {} | `{}` |", code.code(), code.name());
            assert!(page.contains(&row), "docs/exit-codes.md lacks {row}");
        }
    }
}
