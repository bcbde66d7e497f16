//! What detection produces: a `Signal` (a Tier 1 finding, not an OS signal) with a stable
//! code, an ordered severity, its subject, a one-line message, evidence and `since`.

use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How urgent a signal is. Ordered: `Info < Warning < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The stable signal codes. Their spelling is part of the snapshot format: never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SignalCode {
    /// The latest attempt of a task exited non-zero.
    DispatchFailed,
    /// The latest attempt of a task was killed by an OS signal, or was lost (its end
    /// unrecorded and its worker gone).
    DispatchInterrupted,
    /// A live worker has printed nothing for `stall_after`.
    DispatchStalled,
    /// One task failed `repeated_failure_count` times within `repeated_failure_window`.
    RepeatedFailure,
    /// A task failed `max_attempts` times in a row; warden leaves it alone until
    /// `warden retry`.
    DispatchGaveUp,
    /// A task has been in progress with no activity for `stuck_after`.
    StuckInProgress,
    /// Worker capacity is free while the queue is not empty, for `worker_idle_after`.
    WorkerIdle,
    /// A dispatchable task has waited `pickup_overdue_after`.
    PickupOverdue,
    /// The register, the worktrees and the task statuses disagree.
    RegisterMismatch,
    /// The register file cannot be read; dispatch is refused until it is fixed.
    RegisterCorrupt,
    /// A task file cannot be read as a task.
    TaskInvalid,
    /// A task depends on an id that no task has, or on a cancelled task.
    DependencyMissing,
    /// A task's dependencies lead back to itself.
    DependencyCycle,
    /// The latest launch of a task failed before its agent started (the worktree, the log,
    /// tmux refusing the window): not an attempt; retried with backoff.
    LaunchFailed,
    /// The supervisor's tmux server has not answered for `tmux_unreachable_after`: nothing is
    /// dispatched and no job is judged until it answers again.
    TmuxUnreachable,
    /// The supervisor's tmux server is gone: its workers ended with it.
    TmuxServerGone,
    /// warden cannot save its state (the register): nothing is dispatched until it can.
    StateUnwritable,
    /// An agent has waited for a person (a permission, a question, a dialog) for
    /// `waiting_input_after`; critical after `waiting_input_critical_after`.
    AgentWaitingInput,
    /// An agent's turn ended `agent_idle_after` ago; its process lives and its task is not
    /// done: it believes it is done, or waits for direction.
    AgentIdle,
    /// A job expected to report sent no hook event, or never a prompt submission, within
    /// `confirm_within` of its start: its agent never started or never got its prompt.
    DispatchUnconfirmed,
    /// An agent's turn failed (StopFailure other than a rate limit).
    AgentError,
    /// A job exited 0 `review_after` ago and its task is still not `completed` or `review`.
    AwaitingReview,
    /// A job runs while its task was edited to `completed`, `cancelled` or `blocked`.
    TaskIneligible,
    /// A job has run longer than `dispatch.max_runtime`.
    JobOvertime,
    /// An agent hit its provider's usage limit: no new job of its kind is dispatched until
    /// the limit resets.
    AgentRateLimited,
    /// A `[budget]` limit was crossed: no new dispatch (for the task, or at all) until the
    /// window rolls or `warden retry`. Critical when a running job keeps spending past 150%.
    BudgetExceeded,
}

impl SignalCode {
    pub(crate) const ALL: [Self; 26] = [
        Self::DispatchFailed,
        Self::DispatchInterrupted,
        Self::DispatchStalled,
        Self::RepeatedFailure,
        Self::DispatchGaveUp,
        Self::StuckInProgress,
        Self::WorkerIdle,
        Self::PickupOverdue,
        Self::RegisterMismatch,
        Self::RegisterCorrupt,
        Self::TaskInvalid,
        Self::DependencyMissing,
        Self::DependencyCycle,
        Self::LaunchFailed,
        Self::TmuxUnreachable,
        Self::TmuxServerGone,
        Self::StateUnwritable,
        Self::AgentWaitingInput,
        Self::AgentIdle,
        Self::DispatchUnconfirmed,
        Self::AgentError,
        Self::AwaitingReview,
        Self::TaskIneligible,
        Self::JobOvertime,
        Self::AgentRateLimited,
        Self::BudgetExceeded,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::DispatchFailed => "dispatch_failed",
            Self::DispatchInterrupted => "dispatch_interrupted",
            Self::DispatchStalled => "dispatch_stalled",
            Self::RepeatedFailure => "repeated_failure",
            Self::DispatchGaveUp => "dispatch_gave_up",
            Self::StuckInProgress => "stuck_in_progress",
            Self::WorkerIdle => "worker_idle",
            Self::PickupOverdue => "pickup_overdue",
            Self::RegisterMismatch => "register_mismatch",
            Self::RegisterCorrupt => "register_corrupt",
            Self::TaskInvalid => "task_invalid",
            Self::DependencyMissing => "dependency_missing",
            Self::DependencyCycle => "dependency_cycle",
            Self::LaunchFailed => "launch_failed",
            Self::TmuxUnreachable => "tmux_unreachable",
            Self::TmuxServerGone => "tmux_server_gone",
            Self::StateUnwritable => "state_unwritable",
            Self::AgentWaitingInput => "agent_waiting_input",
            Self::AgentIdle => "agent_idle",
            Self::DispatchUnconfirmed => "dispatch_unconfirmed",
            Self::AgentError => "agent_error",
            Self::AwaitingReview => "awaiting_review",
            Self::TaskIneligible => "task_ineligible",
            Self::JobOvertime => "job_overtime",
            Self::AgentRateLimited => "agent_rate_limited",
            Self::BudgetExceeded => "budget_exceeded",
        }
    }

    /// The severity each code is raised with.
    pub(crate) fn severity(self) -> Severity {
        match self {
            Self::WorkerIdle => Severity::Info,
            Self::RepeatedFailure
            | Self::RegisterCorrupt
            | Self::TmuxUnreachable
            | Self::TmuxServerGone
            | Self::StateUnwritable => Severity::Critical,
            _ => Severity::Warning,
        }
    }

    /// Signals that ask a person to act (answer, review, direct), not trouble a manager can
    /// fix: below critical they never make Tier 2 escalate, nor count toward
    /// `warnings_for_trouble`.
    pub(crate) fn for_person(self) -> bool {
        matches!(
            self,
            Self::AgentWaitingInput | Self::AgentIdle | Self::AwaitingReview
        )
    }
}

impl fmt::Display for SignalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What a signal is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub(crate) enum Subject {
    /// A task, by id.
    Task(String),
    /// A task file that could not be read as a task, by path relative to the root.
    File(String),
    /// A worker, by job id.
    Worker(String),
    /// A worktree folder, by path relative to the root.
    Worktree(String),
    /// The whole repository (the queue, the register).
    Repository,
}

/// The facts behind a signal. Every field is optional; each code fills those it has.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Evidence {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) path: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) job: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) attempt: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) exit_code: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) signal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) log_path: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) worktree: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) started_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ended_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) last_output_at: Option<DateTime<Utc>>,
    /// Jobs (for `repeated_failure`) or task ids (for dependency signals) involved.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) related: Vec<String>,
    /// The measured value that crossed the threshold, and the threshold, in seconds or counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) measured: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) threshold: Option<u64>,
    /// The parser's message, for `task_invalid` and `register_corrupt`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) detail: Option<String>,
}

/// One Tier 1 finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Signal {
    pub(crate) code: SignalCode,
    pub(crate) severity: Severity,
    pub(crate) subject: Subject,
    /// The task this is about, when there is one (also for worker signals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) task: Option<String>,
    pub(crate) message: String,
    pub(crate) evidence: Evidence,
    /// Since when the condition has held.
    pub(crate) since: DateTime<Utc>,
}
