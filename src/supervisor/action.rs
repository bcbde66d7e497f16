//! The supervisor's vocabulary between deciding and doing: `Action`s the pure decisions
//! return and the executor carries out, and the `Fact`s the executor learns doing them,
//! which go back to the decisions. Plain data, so every decision is a unit test.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::protocol::Response;
use crate::config::Config;
use crate::escalate::{DecisionRecord, Step};
use crate::heartbeat::Pass;
use crate::register::Register;
use crate::tmux::{NewPane, PaneRow};
use crate::worker::WorkerRecord;

/// A control request waiting for its answer; the executor keeps the channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ReplyId(pub(crate) u64);

/// What a Tier 1 pass is for. Only the heartbeat (and the cron pass, which is one) dispatches
/// by queue and steps Tier 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PassMode {
    /// The periodic pass: dispatch the queue, reap dead panes, step Tier 2, publish.
    Heartbeat,
    /// `warden heartbeat --once --dispatch-ready`: a heartbeat, then the process ends.
    Once,
    /// `warden dispatch TASK`: launch that task now and answer. Never steps Tier 2.
    Dispatch { task: String, reply: ReplyId },
    /// `warden status`: answer with a fresh snapshot (Tier 2 shown, not stepped).
    Status { reply: ReplyId },
    /// `warden escalate`: step Tier 2 with hold times skipped and answer its decisions.
    Escalate {
        dry_run: Option<bool>,
        reply: ReplyId,
    },
    /// `warden pack`: a context pack for the alerts firing now.
    Pack { reply: ReplyId },
}

impl PassMode {
    /// Whether this pass dispatches the queue.
    pub(crate) fn dispatches_queue(&self) -> bool {
        matches!(self, Self::Heartbeat | Self::Once)
    }
}

/// What Tier 2 does in a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tier2Mode {
    /// Settle managers, step the engine, carry out its decisions.
    Step(Step),
    /// Only show the ledger in the snapshot.
    Fill,
    /// tmux cannot be used (no answer, or its server is gone): no manager can start, so
    /// Tier 2 does not step; the ledger is shown, and each new signal at or above
    /// `min_severity` is announced once, so people still hear of it.
    Hold,
}

/// SIGTERM first, SIGKILL for workers that outlive it. Each reaches the job's whole process
/// tree (`worker::Stopper`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopSignal {
    Term,
    Kill,
    /// The end of `down --kill-workers`: wait until every process of the jobs' trees is
    /// gone, or `until`, then SIGKILL what is left. Children that left a job's group can
    /// outlive the job's end, which is all the register sees.
    Last {
        until: Instant,
    },
}

/// What to do once the register is saved (or what to give up when it is not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AfterSave {
    Nothing,
    /// Make the panes of these jobs: their entries are on disk now.
    Launch {
        jobs: Vec<String>,
        mode: PassMode,
    },
}

/// A log line's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    Info,
    Warn,
    Error,
}

/// What a person is told of, in `notify_command`'s environment as `WARDEN_AGENT_STATE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notice {
    WaitingInput,
    Error,
    RateLimited,
    AwaitingReview,
}

impl Notice {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::WaitingInput => "waiting_input",
            Self::Error => "error",
            Self::RateLimited => "rate_limited",
            Self::AwaitingReview => "awaiting_review",
        }
    }

    pub(crate) fn of(state: crate::agent::AgentState) -> Option<Self> {
        match state {
            crate::agent::AgentState::WaitingInput => Some(Self::WaitingInput),
            crate::agent::AgentState::Error => Some(Self::Error),
            crate::agent::AgentState::RateLimited => Some(Self::RateLimited),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub(crate) enum Action {
    /// Ask tmux for the session's panes; read the live jobs' records and log times, the
    /// socket file and the server's pid.
    Observe,
    /// Write the register (atomically, with its backup). `durable`: fsync'd, as every entry
    /// must be before its job starts; otherwise atomic only (what a restart can rebuild).
    Save {
        then: AfterSave,
        durable: bool,
    },
    /// One Tier 1 pass; `dispatched` once this pass's launches are done.
    RunPass {
        mode: PassMode,
        dispatched: bool,
    },
    /// Make the panes of saved jobs (worktree, log, window; a refused batch job by job).
    /// `last`: the pass goes on once this part of the launch is done.
    Launch {
        jobs: Vec<String>,
        mode: PassMode,
        last: bool,
    },
    /// Let a launched job's wrapper start its agent (its go file).
    Release {
        job: String,
    },
    /// Signal the process groups of these jobs' panes.
    Signal {
        jobs: Vec<String>,
        signal: StopSignal,
    },
    /// tmux 3.3a misses pane exits until its server gets another SIGCHLD.
    NudgeTmux,
    /// SIGUSR1 makes the tmux server recreate its deleted socket file.
    RecreateSocket,
    /// Save a dead pane's last screen beside its log, then close the pane.
    Reap {
        task: String,
        job: String,
        pane: String,
    },
    /// `--mark-started-on-dispatch`: the task file's status line.
    MarkStarted {
        task: String,
    },
    /// A line in the status line of attached clients.
    Notify {
        message: String,
    },
    /// A decision a person should hear of: the log, attached clients, `notify_command`.
    Announce {
        message: String,
    },
    /// Count what the jobs spent since the last look (transcripts, result objects).
    Account,
    /// Read the agent records of the live jobs expected to report (those changed since).
    /// `publish`: a changed state asks for a heartbeat (not when one follows anyway).
    ReadAgents {
        publish: bool,
    },
    /// Jobs launched, changed state or ended: their windows' (or compact panes') marks
    /// show it, in one tmux call.
    Mark {
        marks: Vec<super::mark::JobMark>,
    },
    /// The counts in the status line changed.
    SetStatusRight {
        text: String,
    },
    /// Type a line into a live job's pane, as a person would (`continue` after a usage
    /// limit reset).
    TypeLine {
        job: String,
        text: String,
    },
    /// An agent needs a person (or failed): the log, attached clients, and
    /// `notify_command` with the task, the state and the agent's message in its environment.
    AgentNotice {
        job: Option<String>,
        task: String,
        notice: Notice,
        message: String,
    },
    Log {
        level: Level,
        message: String,
    },
    /// Tier 2's part of a pass; answers `reply` with its decisions.
    Tier2 {
        mode: Tier2Mode,
        dry_run: Option<bool>,
        reply: Option<ReplyId>,
    },
    /// Write the current snapshot and show the heartbeat.
    Publish,
    /// Build a context pack for the firing alerts and answer with its prompt file.
    Pack {
        reply: ReplyId,
    },
    Reply {
        to: ReplyId,
        response: Response,
    },
    /// Answer with the current snapshot.
    ReplySnapshot {
        to: ReplyId,
    },
    /// `warden ack|silence|resolve`, on the ledger as it is on disk, and answer.
    AlertOp {
        key: String,
        op: crate::escalate::AlertOp,
        reply: ReplyId,
    },
    /// Read `warden.toml` again (SIGHUP).
    Reload,
    /// Remove the session and its server (`warden down --kill-workers`).
    KillServer,
}

/// Why tmux did not give an answer, in the terms decisions need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TmuxFailureKind {
    /// tmux could not be asked (no answer in time, no server on the socket, no binary):
    /// unknown, never "gone".
    Unanswered,
    /// tmux answered that the session does not exist.
    NoSession,
    /// tmux answered with an error.
    Refused,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TmuxFailure {
    pub(crate) kind: TmuxFailureKind,
    pub(crate) message: String,
}

/// What one look at the world found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Observation {
    pub(crate) panes: Result<Vec<PaneRow>, TmuxFailure>,
    /// The live jobs' wrapper records (and the live managers'), by job id.
    pub(crate) records: BTreeMap<String, WorkerRecord>,
    /// The live jobs' log mtimes.
    pub(crate) log_mtimes: BTreeMap<String, DateTime<Utc>>,
    pub(crate) socket_exists: bool,
    /// Whether the tmux server's process exists; `None` when its pid is unknown.
    pub(crate) server_alive: Option<bool>,
    /// The register read again: the one held could not be read, or the file changed since
    /// warden last read or wrote it (an edit by hand).
    pub(crate) register: Option<Result<Register, crate::detect::RegisterProblem>>,
    /// The register file's stamp now.
    pub(crate) register_stamp: Option<crate::state::Stamp>,
}

/// How one job's launch went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LaunchOutcome {
    /// Its pane is made, tagged and piped to its log.
    Made(NewPane),
    /// It failed before anything could start (worktree, log, tmux refused it).
    Failed(String),
    /// tmux did not answer: the pane may or may not exist; the next look settles it.
    Unknown(String),
}

/// A file warden could not save, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SaveFailure {
    pub(crate) path: std::path::PathBuf,
    pub(crate) error: String,
}

#[derive(Debug)]
pub(crate) enum Fact {
    Observed(Box<Observation>),
    Saved {
        then: AfterSave,
        result: Result<(), SaveFailure>,
        /// The file's stamp after warden's write.
        stamp: Option<crate::state::Stamp>,
    },
    /// The register file changed since warden last read or wrote it: read again, not
    /// overwritten.
    RegisterChanged {
        register: Result<Register, crate::detect::RegisterProblem>,
        stamp: Option<crate::state::Stamp>,
        then: AfterSave,
    },
    Passed {
        mode: PassMode,
        dispatched: bool,
        pass: Box<Pass>,
    },
    Launched {
        mode: PassMode,
        outcomes: Vec<(String, LaunchOutcome)>,
        last: bool,
    },
    /// A go file could not be made: the job's agent cannot start.
    ReleaseFailed {
        job: String,
        error: String,
    },
    Reloaded {
        config: Result<Box<Config>, String>,
    },
    /// A snapshot was published (its watchers are waiting for it).
    Published,
    /// The agent records that changed since the last read.
    AgentsRead {
        records: Vec<crate::agent::AgentRecord>,
        publish: bool,
    },
    /// The jobs' usage records that changed (already saved), and the last `warden budget
    /// reset`.
    Accounted {
        records: Vec<crate::usage::JobUsage>,
        reset: Option<chrono::DateTime<chrono::Utc>>,
    },
    Tier2Done {
        records: Vec<DecisionRecord>,
        announcements: Vec<String>,
        reply: Option<ReplyId>,
    },
}

impl Action {
    /// One action for the marks, none for no marks (each action is a tmux client call).
    pub(crate) fn mark(marks: Vec<super::mark::JobMark>) -> Option<Self> {
        (!marks.is_empty()).then_some(Self::Mark { marks })
    }
}
