//! What can go wrong talking to tmux, split by what the caller can do about it: tmux could
//! not be asked (`is_unanswered`: the state of the server is unknown), tmux answered that
//! something is missing, or tmux refused the command.

use std::path::PathBuf;
use std::time::Duration;

use super::format::FormatError;

#[derive(Debug, thiserror::Error)]
pub(crate) enum TmuxError {
    /// The tmux binary could not be run (or its client died without answering).
    #[error("failed to run {bin}: {source}")]
    Spawn {
        bin: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// No answer in time; the client was killed. The server may be stopped or wedged.
    #[error("failed to get an answer to tmux {command} within {after:?}")]
    Timeout { command: String, after: Duration },
    /// No server listens on the socket (or it went away during the call).
    #[error("failed to reach the tmux server for {command}: {stderr}")]
    NoServer { command: String, stderr: String },
    #[error("failed to find tmux session {session:?} for {command}")]
    NoSession { command: String, session: String },
    /// tmux answered with an error (unknown target, command too long, …).
    #[error("failed to run tmux {command}: {stderr}")]
    Refused { command: String, stderr: String },
    /// An argument tmux can never receive, caught before anything ran.
    #[error("failed to pass an argument to tmux {command}: {detail}")]
    InvalidArgument { command: String, detail: String },
    #[error("failed to read tmux output: {0}")]
    Format(#[from] FormatError),
}

impl TmuxError {
    /// tmux could not be asked, so nothing is known about the server: callers must treat
    /// this as "unknown", never as "no panes" or "no session".
    pub(crate) fn is_unanswered(&self) -> bool {
        matches!(
            self,
            Self::Spawn { .. } | Self::Timeout { .. } | Self::NoServer { .. }
        )
    }
}

/// Longest stderr kept in an error: tmux's own messages are one short line, but some echo
/// the offending argument back.
const STDERR_CAP: usize = 300;

/// Cuts `text` to at most `max` bytes (on a character boundary), marking the cut.
pub(super) fn cap(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &text[..end], text.len())
}

/// The error for a client that exited non-zero, from what it printed on stderr.
pub(super) fn classify(command: &str, stderr: &str) -> TmuxError {
    let stderr = stderr.trim();
    let command = command.to_owned();
    if let Some(session) = stderr
        .lines()
        .find_map(|l| l.strip_prefix("can't find session: "))
    {
        return TmuxError::NoSession {
            command,
            session: cap(session, 100),
        };
    }
    // "no server running on S": nothing listens on the socket; "error connecting to S (…)":
    // the socket file is missing or unusable; the others: the server went away mid-call.
    let gone = [
        "no server running on ",
        "error connecting to ",
        "server exited unexpectedly",
        "lost server",
    ];
    if stderr
        .lines()
        .any(|l| gone.iter().any(|g| l.starts_with(g)))
    {
        return TmuxError::NoServer {
            command,
            stderr: cap(stderr, STDERR_CAP),
        };
    }
    let stderr = if stderr.is_empty() {
        "(no message)".to_owned()
    } else {
        cap(stderr, STDERR_CAP)
    };
    TmuxError::Refused { command, stderr }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(stderr: &str) -> TmuxError {
        classify("list-panes", stderr)
    }

    #[test]
    fn answers_are_classified() {
        assert!(matches!(
            case("can't find session: foo\n"),
            TmuxError::NoSession { session, .. } if session == "foo"
        ));
        for gone in [
            "no server running on /tmp/tmux-0/x",
            "error connecting to /tmp/tmux-0/x (No such file or directory)",
            "server exited unexpectedly",
        ] {
            let e = case(gone);
            assert!(matches!(e, TmuxError::NoServer { .. }), "{gone}");
            assert!(e.is_unanswered());
        }
        for refused in [
            "command too long",
            "unknown command: bogus",
            "can't find pane: %9",
            "",
        ] {
            let e = case(refused);
            assert!(matches!(e, TmuxError::Refused { .. }), "{refused}");
            assert!(!e.is_unanswered());
        }
    }

    #[test]
    fn messages_name_the_command_and_stay_short() {
        let e = case(&"x".repeat(20_000));
        let text = e.to_string();
        assert!(
            text.starts_with("failed to run tmux list-panes: xxx"),
            "{text}"
        );
        assert!(text.len() < 400, "{}", text.len());
        assert_eq!(cap("ééé", 3), "é… (6 bytes)");
        assert_eq!(cap("abc", 3), "abc");
    }
}
