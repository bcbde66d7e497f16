//! The narrow port the rest of warden uses to drive tmux: a dozen verbs on one private
//! server. `Tmux` is the real implementation; `FakeTmux` (tests only) records calls and
//! keeps a pane table, so supervisor logic can be tested without a server.

use std::path::{Path, PathBuf};

use super::error::TmuxError;
use super::format::{NewPane, PaneRow};

/// What a new pane runs: an argv (never a shell string), its folder and extra environment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spawn<'a> {
    pub(crate) argv: &'a [String],
    pub(crate) cwd: &'a Path,
    pub(crate) env: &'a [(String, String)],
}

/// One window to make in a batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WindowSpec<'a> {
    pub(crate) name: &'a str,
    pub(crate) spawn: Spawn<'a>,
    pub(crate) job: Option<&'a str>,
    pub(crate) pipe: Option<&'a str>,
}

/// Where one `set-option` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope<'a> {
    /// The global value (`set -g`): every session's (a session option such as
    /// `status-right`) or every window's (a window option).
    Global,
    /// The window that holds this pane (`set -w -t <pane>`).
    Window(&'a str),
    /// This pane alone (`set -p -t <pane>`).
    Pane(&'a str),
}

/// One option to set. A user option (`@name`) reaches a status line only through
/// `#{@name}`, which tmux does not expand again, so its value shows as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OptionSet<'a> {
    pub(crate) scope: Scope<'a>,
    pub(crate) name: &'a str,
    pub(crate) value: &'a str,
}

/// What a batch of windows came to. `made` are the panes for a prefix of the specs, in
/// order; `error` is what stopped the rest (`None` means every spec was made). A pane tmux
/// made counts even if its tag or pipe then failed (it runs; a retry would start the job
/// twice). After an unanswered error (a timeout) tmux may have made more than `made` says.
#[derive(Debug)]
pub(crate) struct Batch {
    pub(crate) made: Vec<NewPane>,
    pub(crate) error: Option<TmuxError>,
}

/// The verbs warden needs from tmux. Object-safe: the supervisor holds a `&dyn TmuxPort`.
/// An `Err` that `is_unanswered()` means tmux could not be asked: the state is unknown.
pub(crate) trait TmuxPort: std::fmt::Debug {
    /// Starts the server (if needed) and a session whose first window runs `spawn`, with the
    /// server options warden relies on set in the same call, so a fast first pane cannot
    /// race them.
    fn start_session(
        &self,
        session: &str,
        window: &str,
        spawn: &Spawn<'_>,
        size: (u16, u16),
    ) -> Result<NewPane, TmuxError>;

    /// `Ok(false)` when tmux answered that there is no such session or no server; `Err` only
    /// when tmux could not be asked.
    fn has_session(&self, session: &str) -> Result<bool, TmuxError>;

    /// The server's pid, for the SIGCHLD nudge (tmux 3.3a loses pane exits until its server
    /// gets one). `NoSession` when the session does not exist, so this doubles as a check.
    fn server_pid(&self, session: &str) -> Result<i32, TmuxError>;

    /// Several windows after the last one of `session`, each tagged with `@warden_job` and
    /// its output piped, in as few client calls as tmux accepts. tmux stops at the first
    /// failing command; nothing is retried here (the caller retries job by job).
    fn new_windows(&self, session: &str, specs: &[WindowSpec<'_>]) -> Batch;

    /// One window, as `new_windows` makes it. An error even when tmux made the pane but not
    /// its tag or pipe.
    fn new_window(&self, session: &str, spec: &WindowSpec<'_>) -> Result<NewPane, TmuxError> {
        let Batch { mut made, error } = self.new_windows(session, std::slice::from_ref(spec));
        match (error, made.pop()) {
            (Some(e), _) => Err(e),
            (None, Some(pane)) => Ok(pane),
            (None, None) => Err(TmuxError::Refused {
                command: "new-window".to_owned(),
                stderr: "tmux made no window".to_owned(),
            }),
        }
    }

    /// A new pane in the window `target` (a window id), re-tiled, tagged and piped, in one
    /// client call.
    fn split_window(
        &self,
        target: &str,
        spawn: &Spawn<'_>,
        job: Option<&str>,
        pipe: Option<&str>,
    ) -> Result<NewPane, TmuxError>;

    /// Every pane of the session; `NoSession` (never an empty list) when it does not exist.
    fn list_panes(&self, session: &str) -> Result<Vec<PaneRow>, TmuxError>;

    /// The pane's whole history and screen, joined lines, no escapes.
    fn capture_pane(&self, pane: &str) -> Result<String, TmuxError>;

    /// Runs `spawn` in the pane again, killing what runs there.
    fn respawn_pane(&self, pane: &str, spawn: &Spawn<'_>) -> Result<(), TmuxError>;

    fn kill_pane(&self, pane: &str) -> Result<(), TmuxError>;

    /// Kills the server, waits (bounded) until it is gone, and removes its socket file.
    fn kill_server(&self) -> Result<(), TmuxError>;

    /// Sets the options in one client call (control characters in values shown as
    /// escapes); tmux stops at the first one it refuses.
    fn set_options(&self, options: &[OptionSet<'_>]) -> Result<(), TmuxError>;

    /// Types one line into `pane` as a person would: the text as one bracketed paste
    /// (`set-buffer`, `paste-buffer -p`), then Enter, in one client call.
    fn type_line(&self, pane: &str, text: &str) -> Result<(), TmuxError>;

    /// Shows `message` in the status line of every client attached to `session`; for `hold`
    /// when given (a message that matters stays readable), else for tmux's default time.
    fn display_message(
        &self,
        session: &str,
        message: &str,
        hold: Option<std::time::Duration>,
    ) -> Result<(), TmuxError>;

    /// Selects the pane and its window, then (per `how`) puts a terminal on it.
    /// `AttachHow::Replace` hands this process to tmux and returns only on failure.
    fn attach(&self, pane: &str, how: AttachHow) -> Result<(), TmuxError>;

    /// Where the server's socket lives (no tmux call).
    fn socket_file(&self) -> PathBuf;
}

/// What `attach` does once the pane and its window are selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttachHow {
    /// Nothing more: a client already on the session sees it (the dashboard in its window).
    Select,
    /// `switch-client`: from inside a client of this very server, without nesting one.
    Switch,
    /// `attach-session`, this process replaced by tmux (`warden attach`).
    Replace,
    /// `attach-session` as a child, waited for: back here after a detach (`warden top`).
    Wait,
}
