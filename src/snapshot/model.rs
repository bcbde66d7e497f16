//! The snapshot: one model for the JSON file and the text heartbeat. Field names are the
//! compatibility surface existing users read; `docs/snapshot-schema.md` documents each one.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::agent::{AgentKind, AgentRecord, AgentState};
use crate::detect::{Severity, Signal};
use crate::escalate::AlertState;
use crate::task::{Priority, Status};
use crate::usage::Totals;

/// Bumped on any incompatible change to the JSON shape.
pub(crate) const SNAPSHOT_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Snapshot {
    pub(crate) format_version: u32,
    /// `warden <version>`.
    pub(crate) generator: String,
    pub(crate) generated_at: DateTime<Utc>,
    /// After this, the snapshot is stale: no heartbeat has replaced it for two intervals.
    pub(crate) valid_until: DateTime<Utc>,
    /// The repository root, absolute.
    pub(crate) root: PathBuf,
    pub(crate) counts: Counts,
    /// Dispatchable task ids in dispatch order.
    pub(crate) queue: Vec<String>,
    pub(crate) tasks: Vec<TaskEntry>,
    pub(crate) workers: Vec<WorkerEntry>,
    pub(crate) register: RegisterSummary,
    pub(crate) escalation: EscalationSummary,
    /// What the agents spent: the rolling hour and day (docs/usage.md).
    #[serde(default)]
    pub(crate) usage: UsageSummary,
    /// The configured ceilings the numbers above are read against (the dashboard's header).
    #[serde(default)]
    pub(crate) limits: Limits,
}

/// The configured ceilings: how many workers at once, and what the hour and day may cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Limits {
    pub(crate) max_workers: u32,
    pub(crate) max_usd_per_hour: Option<f64>,
    pub(crate) max_usd_per_day: Option<f64>,
}

/// The repository's spending, as the budgets see it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct UsageSummary {
    pub(crate) hour: Totals,
    pub(crate) day: Totals,
    /// `[budget.prices]` has at least one model: tokens the agent gave no USD for are
    /// priced; without it, those count in tokens only.
    pub(crate) priced: bool,
}

/// Counts by status, plus the totals scripts want without counting arrays.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Counts {
    pub(crate) total: usize,
    pub(crate) backlog: usize,
    pub(crate) ready: usize,
    pub(crate) in_progress: usize,
    pub(crate) blocked: usize,
    pub(crate) review: usize,
    pub(crate) completed: usize,
    pub(crate) cancelled: usize,
    /// Files under the tasks folder that could not be read as tasks.
    pub(crate) invalid: usize,
    pub(crate) queue: usize,
    pub(crate) workers_live: usize,
    pub(crate) escalation_signals: usize,
}

impl Counts {
    pub(crate) fn add(&mut self, status: Status) {
        self.total += 1;
        *match status {
            Status::Backlog => &mut self.backlog,
            Status::Ready => &mut self.ready,
            Status::InProgress => &mut self.in_progress,
            Status::Blocked => &mut self.blocked,
            Status::Review => &mut self.review,
            Status::Completed => &mut self.completed,
            Status::Cancelled => &mut self.cancelled,
        } += 1;
    }

    pub(crate) fn of(&self, status: Status) -> usize {
        match status {
            Status::Backlog => self.backlog,
            Status::Ready => self.ready,
            Status::InProgress => self.in_progress,
            Status::Blocked => self.blocked,
            Status::Review => self.review,
            Status::Completed => self.completed,
            Status::Cancelled => self.cancelled,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TaskEntry {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) status: Status,
    pub(crate) priority: Priority,
    pub(crate) milestone: Option<String>,
    pub(crate) owner: Option<String>,
    /// Relative to the root.
    pub(crate) path: PathBuf,
    pub(crate) depends_on: Vec<String>,
    /// Dependencies not completed yet.
    pub(crate) waiting_on: Vec<String>,
    pub(crate) started_at: Option<DateTime<Utc>>,
    pub(crate) completed_at: Option<DateTime<Utc>>,
    pub(crate) completed_by: Option<String>,
    pub(crate) dispatchable: bool,
    /// The live job working on this task, if any.
    pub(crate) worker: Option<String>,
    /// Why the retry policy holds the task back (backoff, gave up, succeeded, killed).
    pub(crate) hold: Option<String>,
    /// 0-based place in `queue`, when dispatchable.
    pub(crate) queue_position: Option<usize>,
    /// Codes of every active signal about this task, most severe first.
    pub(crate) needs_attention: Vec<String>,
    /// Codes of this task's signals that count toward escalation (at or above
    /// `escalation.min_severity`).
    pub(crate) escalation_reasons: Vec<String>,
    /// What all its attempts spent; none before any was counted.
    #[serde(default)]
    pub(crate) usage: Option<Totals>,
    /// Its latest job, so "did task X succeed?" needs no register.
    #[serde(default)]
    pub(crate) last_job: Option<LastJob>,
}

/// A task's latest job, as `tasks[].last_job` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LastJob {
    pub(crate) job: String,
    pub(crate) attempt: u32,
    pub(crate) started_at: DateTime<Utc>,
    /// `null` while it runs.
    pub(crate) end: Option<crate::register::JobEnd>,
    pub(crate) ended_at: Option<DateTime<Utc>>,
}

/// A live dispatch attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct WorkerEntry {
    pub(crate) job: String,
    pub(crate) task: String,
    pub(crate) attempt: u32,
    pub(crate) pane: Option<String>,
    pub(crate) pid: Option<u32>,
    pub(crate) worktree: Option<PathBuf>,
    pub(crate) log_path: PathBuf,
    pub(crate) started_at: DateTime<Utc>,
    pub(crate) last_output_at: Option<DateTime<Utc>>,
    /// Seconds since the last output (or the start, before any output).
    pub(crate) silent_secs: u64,
    /// What its agent is doing, from its hooks; `null` for a job not expected to report.
    #[serde(default)]
    pub(crate) agent: Option<AgentSummary>,
    /// What this job spent so far; none before anything was counted.
    #[serde(default)]
    pub(crate) usage: Option<Totals>,
}

/// A worker's agent as its hooks tell it. Text fields are the agent's own words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AgentSummary {
    pub(crate) kind: AgentKind,
    pub(crate) state: AgentState,
    /// When `state` began (the job's start while `starting`).
    pub(crate) since: DateTime<Utc>,
    pub(crate) last_event: Option<String>,
    pub(crate) last_event_at: Option<DateTime<Utc>>,
    pub(crate) session_id: Option<String>,
    pub(crate) transcript_path: Option<PathBuf>,
    /// The last notification's text (a permission prompt's question …).
    pub(crate) notification: Option<String>,
    pub(crate) error_type: Option<String>,
    pub(crate) error: Option<String>,
    /// A tool announced and not finished.
    pub(crate) pending_tool: Option<String>,
}

impl AgentSummary {
    /// The summary of a job expected to report: its record, or `starting` without one.
    pub(crate) fn of(
        kind: AgentKind,
        started_at: DateTime<Utc>,
        record: Option<&AgentRecord>,
    ) -> Self {
        match record {
            None => Self {
                kind,
                state: AgentState::Starting,
                since: started_at,
                last_event: None,
                last_event_at: None,
                session_id: None,
                transcript_path: None,
                notification: None,
                error_type: None,
                error: None,
                pending_tool: None,
            },
            Some(r) => Self {
                kind: r.kind,
                state: r.state,
                since: r.since,
                last_event: Some(r.last_event.clone()),
                last_event_at: Some(r.last_event_at),
                session_id: r.session_id.clone(),
                transcript_path: r.transcript_path.clone(),
                notification: r.notification.clone(),
                error_type: r.error_type.clone(),
                error: r.error.clone(),
                pending_tool: r.pending_tool.clone(),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RegisterSummary {
    pub(crate) path: PathBuf,
    /// False when the register could not be read; dispatch is then refused.
    pub(crate) ok: bool,
    pub(crate) error: Option<String>,
    pub(crate) jobs: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct EscalationSummary {
    /// True when any signal is at or above `min_severity`.
    pub(crate) required: bool,
    /// Whether Tier 2 is switched on (it acts on `required` only then).
    pub(crate) enabled: bool,
    pub(crate) dry_run: bool,
    pub(crate) min_severity: Severity,
    /// Every active signal, most severe first.
    pub(crate) signals: Vec<Signal>,
    /// Tier 2's alerts (only while escalation is enabled and a supervisor runs it).
    #[serde(default)]
    pub(crate) alerts: Vec<AlertSummary>,
    /// Manager spawns left in the rolling hour.
    #[serde(default)]
    pub(crate) budget_left: Option<u32>,
    /// Escalation was due and refused (budget exhausted, or the ledger is unreadable).
    #[serde(default)]
    pub(crate) needs_human: bool,
    /// Managers Tier 2 started that are still running (action ids).
    #[serde(default)]
    pub(crate) live_managers: Vec<String>,
    /// Tier 2's latest decisions, newest last (at most `RECENT_DECISIONS`).
    #[serde(default)]
    pub(crate) recent: Vec<RecentDecision>,
}

/// How many of Tier 2's latest decisions the snapshot carries.
pub(crate) const RECENT_DECISIONS: usize = 5;

/// One Tier 2 decision as the snapshot shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RecentDecision {
    pub(crate) at: DateTime<Utc>,
    pub(crate) outcome: String,
    pub(crate) detail: Option<String>,
}

/// One Tier 2 alert, as the snapshot shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AlertSummary {
    pub(crate) key: String,
    pub(crate) state: AlertState,
    pub(crate) severity: Severity,
    pub(crate) episode: u32,
    pub(crate) since: DateTime<Utc>,
    pub(crate) escalated_to: Option<String>,
}
