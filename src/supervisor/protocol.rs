//! What the CLI asks a running supervisor and what it answers: one JSON line each way over
//! the control socket. `Refusal` says why a request could not be done, typed, so the CLI
//! can map each kind to its own exit code.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::escalate::AlertOp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case")]
pub(crate) enum Request {
    Ping,
    Status,
    /// Dispatch this task now, whatever the queue and the retry policy say.
    Dispatch {
        task: String,
    },
    /// Clear the retry policy's hold on a task.
    Retry {
        task: String,
    },
    /// SIGTERM the task's worker, SIGKILL after the timeout.
    Kill {
        task: String,
        timeout_secs: u64,
    },
    /// Stop the supervisor; optionally stop every worker first and remove the session.
    Stop {
        kill_workers: bool,
        timeout_secs: u64,
    },
    /// Evaluate Tier 2 now, skipping hold times (never the guards). `dry_run` overrides the
    /// configured mode for this evaluation.
    Escalate {
        dry_run: Option<bool>,
    },
    /// `warden ack|silence|resolve KEY`.
    Alert {
        key: String,
        op: AlertOp,
    },
    /// Build a context pack for the firing alerts now.
    Pack,
    /// The latest snapshot once there is one newer than `after` (the client's), waiting up
    /// to `wait_secs` (at most 25 s) for the next: how `warden top` redraws at once.
    Watch {
        after: Option<chrono::DateTime<chrono::Utc>>,
        wait_secs: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "response", rename_all = "snake_case")]
pub(crate) enum Response {
    Ok {
        message: String,
    },
    /// Tier 2 decisions, as recorded in the ledger.
    Decisions {
        decisions: serde_json::Value,
    },
    Snapshot {
        snapshot: serde_json::Value,
    },
    /// The request was understood and cannot be done now.
    Refused {
        refusal: Refusal,
    },
    /// The request could not be carried out (an I/O failure, a malformed request).
    Error {
        message: String,
    },
}

/// Why the supervisor refused a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Refusal {
    /// No task has this id.
    UnknownTask {
        task: String,
        /// Ids close to it.
        #[serde(default)]
        close: Vec<String>,
    },
    AlreadyRunning {
        task: String,
    },
    /// `warden kill` of a task with no running worker.
    NoWorker {
        task: String,
    },
    /// `warden retry` of a task warden never dispatched.
    NeverDispatched {
        task: String,
    },
    /// The register cannot be read: nothing is dispatched or changed until it is fixed.
    RegisterUnreadable,
    /// Dispatch is held for now (tmux not answering, state not saved, stopping…).
    DispatchClosed {
        why: String,
    },
    /// The launch failed before the agent started.
    LaunchFailed {
        task: String,
        error: String,
    },
    /// Tier 2 is off and no dry-run was asked for.
    EscalationOff,
    /// The escalation ledger cannot be read.
    LedgerUnreadable {
        error: String,
    },
    /// An alert operation that does not apply.
    Alert {
        error: String,
    },
    /// The supervisor is stopping.
    Stopping,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownTask { task, close } => {
                write!(
                    f,
                    "no task {task:?}{} (see `warden tasks`)",
                    crate::task::did_you_mean(close)
                )
            }
            Self::AlreadyRunning { task } => write!(f, "{task} is already running"),
            Self::NoWorker { task } => write!(f, "{task} has no running worker"),
            Self::NeverDispatched { task } => write!(f, "{task} has never been dispatched"),
            Self::RegisterUnreadable => f.write_str(
                "the register is unreadable; nothing is dispatched or changed until it is fixed",
            ),
            Self::DispatchClosed { why } => write!(f, "dispatch is held: {why}"),
            Self::LaunchFailed { task, error } => {
                write!(f, "failed to launch {task}: {error}")
            }
            Self::EscalationOff => f.write_str(
                "escalation is off; enable it (escalation.enabled, --escalation, TASK_MANAGER_ESCALATION=1) or use --dry-run",
            ),
            Self::LedgerUnreadable { error } => {
                write!(f, "the escalation ledger is unreadable: {error}")
            }
            Self::Alert { error } => f.write_str(error),
            Self::Stopping => f.write_str("the supervisor is stopping"),
        }
    }
}
