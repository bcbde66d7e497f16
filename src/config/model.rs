//! The validated configuration and every default, in one place.
//!
//! Each section is a plain struct with `#[serde(default)]`, so every key in `warden.toml` is
//! optional and a missing key takes the value written in the `Default` impl below.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::duration::HumanDuration;
use crate::detect::Severity;

/// The whole configuration, as read from `warden.toml` and then overridden by environment
/// variables and command-line flags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub(crate) struct Config {
    pub(crate) paths: Paths,
    pub(crate) heartbeat: Heartbeat,
    pub(crate) dispatch: Dispatch,
    pub(crate) thresholds: Thresholds,
    pub(crate) escalation: Escalation,
}

/// Where things live, relative to the repository root (the folder holding `warden.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Paths {
    /// Task files: `<tasks>/**/*.md`.
    pub(crate) tasks: PathBuf,
    /// Dispatch logs: `<logs>/dispatch-<task>.log`.
    pub(crate) logs: PathBuf,
    /// Snapshots: `<snapshots>/<UTC>.snapshot.json` and `latest.snapshot.json`.
    pub(crate) snapshots: PathBuf,
    /// Git worktrees made for tasks: `<worktrees>/<task>`.
    pub(crate) worktrees: PathBuf,
    /// warden's own state: register, locks, sockets. Keep it out of git.
    pub(crate) state: PathBuf,
}

impl Default for Paths {
    fn default() -> Self {
        Self {
            tasks: PathBuf::from("tasks"),
            logs: PathBuf::from("tasks/logs"),
            snapshots: PathBuf::from("tasks/logs/task_manager"),
            worktrees: PathBuf::from(".worktrees"),
            state: PathBuf::from(".warden"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Heartbeat {
    /// Time between two Tier 1 passes of the supervisor.
    pub(crate) interval: HumanDuration,
    /// How many timestamped snapshots to keep beside `latest.snapshot.json`.
    pub(crate) keep_snapshots: usize,
}

impl Default for Heartbeat {
    fn default() -> Self {
        Self {
            interval: HumanDuration::from_secs(15),
            keep_snapshots: 50,
        }
    }
}

/// Whether dispatch makes a git worktree for each task first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub(crate) enum WorktreeMode {
    /// Run the dispatch command in the repository itself.
    #[default]
    None,
    /// Make `<worktrees>/<task>` on a new branch `<branch_prefix><task>` first.
    Git,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Dispatch {
    /// The dispatch argv; placeholders `{task}`, `{task_file}`, `{worktree}`, `{job}`, `{attempt}`.
    pub(crate) command: Vec<String>,
    /// At most this many workers run at once.
    pub(crate) max_workers: u32,
    pub(crate) worktree: WorktreeMode,
    pub(crate) branch_prefix: String,
    /// Set `status: in_progress` and `started_at` in the task file on dispatch.
    pub(crate) mark_started_on_dispatch: bool,
    /// Attempts per task before warden leaves it alone (used by dispatch, from issue 3 on).
    pub(crate) max_attempts: u32,
    /// First redispatch delay after a failure; doubles per attempt up to `backoff_max`.
    pub(crate) backoff_initial: HumanDuration,
    pub(crate) backoff_max: HumanDuration,
    /// A finished worker's pane stays open this long (readable, attachable); then its last
    /// screen is saved beside its log and the pane is closed.
    pub(crate) keep_dead_panes: HumanDuration,
}

impl Default for Dispatch {
    fn default() -> Self {
        Self {
            command: vec!["scripts/dispatch".to_owned(), "{task}".to_owned()],
            max_workers: 2,
            worktree: WorktreeMode::None,
            branch_prefix: "task/".to_owned(),
            mark_started_on_dispatch: false,
            max_attempts: 3,
            backoff_initial: HumanDuration::from_mins(1),
            backoff_max: HumanDuration::from_mins(30),
            keep_dead_panes: HumanDuration::from_mins(10),
        }
    }
}

/// Detection thresholds. Each signal fires when its measure reaches the threshold (`>=`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Thresholds {
    /// `dispatch_stalled`: a live worker with no output for this long.
    pub(crate) stall_after: HumanDuration,
    /// `repeated_failure`: this many failed attempts of one task ...
    pub(crate) repeated_failure_count: u32,
    /// ... within this window.
    pub(crate) repeated_failure_window: HumanDuration,
    /// `stuck_in_progress`: in progress with no activity (started_at, file edit, worker output)
    /// for this long.
    pub(crate) stuck_after: HumanDuration,
    /// `worker_idle`: free worker capacity while the queue is not empty, for this long.
    pub(crate) worker_idle_after: HumanDuration,
    /// `pickup_overdue`: a dispatchable task waited this long.
    pub(crate) pickup_overdue_after: HumanDuration,
    /// `register_mismatch`: grace before a disagreement between register, worktrees and task
    /// status counts (agents update task files a little after their worker ends).
    pub(crate) mismatch_grace: HumanDuration,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            stall_after: HumanDuration::from_mins(10),
            repeated_failure_count: 3,
            repeated_failure_window: HumanDuration::from_hours(2),
            stuck_after: HumanDuration::from_hours(4),
            worker_idle_after: HumanDuration::from_mins(5),
            pickup_overdue_after: HumanDuration::from_mins(30),
            mismatch_grace: HumanDuration::from_mins(2),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Escalation {
    /// Tier 2 is off unless this is true (or `--escalation`, or `TASK_MANAGER_ESCALATION=1`).
    pub(crate) enabled: bool,
    /// Decide as live mode would, spawn nothing.
    pub(crate) dry_run: bool,
    /// Signals at or above this severity make `escalation.required` true in the snapshot.
    pub(crate) min_severity: Severity,
}

impl Default for Escalation {
    fn default() -> Self {
        Self {
            enabled: false,
            dry_run: false,
            min_severity: Severity::Warning,
        }
    }
}
