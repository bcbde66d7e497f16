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
    pub(crate) workspace: Workspace,
    pub(crate) budget: Budget,
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

/// Which agent the dispatch command runs, for its hooks. A job whose argv uses
/// `{agent_settings}` is taken to run Claude Code unless this says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub(crate) enum AgentSetting {
    /// Not expected to report (unless the argv uses `{agent_settings}`).
    #[default]
    None,
    Claude,
    Codex,
    /// Any agent whose own hooks call `warden hook`.
    Generic,
}

/// What warden does about a running job that crossed a line (`on_ineligible`,
/// `on_overtime`): say so, or stop it as `warden kill` does (recorded as stopped, not failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub(crate) enum OnBreach {
    /// Only the signal.
    #[default]
    Signal,
    /// The signal, and the job stopped.
    Stop,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Dispatch {
    /// The dispatch argv; placeholders `{task}`, `{task_file}`, `{worktree}`, `{job}`,
    /// `{attempt}`, `{agent_settings}`, `{codex_notify}`, `{prompt_file}`, `{prompt}`.
    pub(crate) command: Vec<String>,
    /// The job's prompt template, relative to the repository root; `None`: the built-in one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) prompt_template: Option<PathBuf>,
    /// The agent the command runs: its jobs are expected to report through `warden hook`.
    pub(crate) agent: AgentSetting,
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
    /// A job whose task was edited to `completed`, `cancelled` or `blocked` while it runs:
    /// `task_ineligible`, and with `stop` the job is stopped.
    pub(crate) on_ineligible: OnBreach,
    /// A job running longer than this: `job_overtime`. None: no limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_runtime: Option<HumanDuration>,
    /// With `stop`, a job past `max_runtime` is stopped.
    pub(crate) on_overtime: OnBreach,
    /// Once an agent's usage limit resets, type `continue` into its pane (and expect the
    /// prompt submission within `confirm_within`).
    pub(crate) resume_after_limit: bool,
}

impl Default for Dispatch {
    fn default() -> Self {
        Self {
            command: vec!["scripts/dispatch".to_owned(), "{task}".to_owned()],
            prompt_template: None,
            agent: AgentSetting::None,
            max_workers: 2,
            worktree: WorktreeMode::None,
            branch_prefix: "task/".to_owned(),
            mark_started_on_dispatch: false,
            max_attempts: 3,
            backoff_initial: HumanDuration::from_mins(1),
            backoff_max: HumanDuration::from_mins(30),
            keep_dead_panes: HumanDuration::from_mins(10),
            on_ineligible: OnBreach::Signal,
            max_runtime: None,
            on_overtime: OnBreach::Signal,
            resume_after_limit: false,
        }
    }
}

/// Commands run around a job's workspace (argvs, never shell strings; empty: none), each
/// with `hook_timeout`. They run in the job's folder, their output in its log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Workspace {
    /// Once per new worktree, before the first attempt runs in it (installing dependencies).
    /// A failure is a launch that failed, not an attempt; it runs again next time.
    pub(crate) after_create: Vec<String>,
    /// Before each attempt's agent; a failure is that attempt's failure (the agent never
    /// runs).
    pub(crate) before_run: Vec<String>,
    /// After each attempt, whatever its end; a failure is only logged.
    pub(crate) after_run: Vec<String>,
    /// Before `warden clean` removes a worktree; a failure keeps the worktree.
    pub(crate) before_remove: Vec<String>,
    /// The longest each may run; then it is killed and counts as failed.
    pub(crate) hook_timeout: HumanDuration,
}

impl Default for Workspace {
    fn default() -> Self {
        Self {
            after_create: Vec::new(),
            before_run: Vec::new(),
            after_run: Vec::new(),
            before_remove: Vec::new(),
            hook_timeout: HumanDuration::from_mins(10),
        }
    }
}

/// What agents may spend. Crossing a limit stops dispatch (of the task, or of everything for
/// the repository-wide ones), never a running agent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Budget {
    /// USD in any rolling hour / day, for the whole repository.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_usd_per_hour: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_usd_per_day: Option<f64>,
    /// Tokens (all kinds) / USD over all of one task's attempts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_tokens_per_task: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_usd_per_task: Option<f64>,
    /// USD per million tokens, per model (a prefix covers a model's versions). Without it,
    /// tokens only, unless the agent reports USD itself.
    pub(crate) prices: crate::usage::Prices,
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
    /// `tmux_unreachable`: the supervisor's tmux server has not answered for this long.
    pub(crate) tmux_unreachable_after: HumanDuration,
    /// `agent_waiting_input`: an agent has waited for a person this long (a warning) ...
    pub(crate) waiting_input_after: HumanDuration,
    /// ... and this long (critical: now it is trouble for Tier 2 too).
    pub(crate) waiting_input_critical_after: HumanDuration,
    /// `agent_idle`: an agent's turn ended this long ago, its task not done.
    pub(crate) agent_idle_after: HumanDuration,
    /// `dispatch_unconfirmed`: a job expected to report sent no event, or no prompt
    /// submission, this long after its start.
    pub(crate) confirm_within: HumanDuration,
    /// `awaiting_review`: a job exited 0 this long ago and its task is not `completed` or
    /// `review`.
    pub(crate) review_after: HumanDuration,
    /// A manager idle at its prompt this long no longer holds the live-manager slot.
    pub(crate) manager_idle_after: HumanDuration,
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
            tmux_unreachable_after: HumanDuration::from_secs(5),
            waiting_input_after: HumanDuration::from_mins(2),
            waiting_input_critical_after: HumanDuration::from_mins(30),
            agent_idle_after: HumanDuration::from_mins(10),
            confirm_within: HumanDuration::from_secs(60),
            review_after: HumanDuration::from_mins(10),
            manager_idle_after: HumanDuration::from_mins(15),
        }
    }
}

/// How Tier 2 brings in a manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ManagerMode {
    /// One interactive manager in a tmux window `manager`.
    #[default]
    Window,
    /// A one-shot agent per escalation (`claude -p`), in its own window, its output kept.
    Oneshot,
}

impl Escalation {
    /// `{prompt}` puts the whole pack in one argument: refused when the pack may be bigger
    /// than an argument can be, before anything is spent on a manager that cannot start.
    pub(crate) fn check(&self) -> Result<(), String> {
        for (key, argv) in [
            ("escalation.manager_command", &self.manager_command),
            ("escalation.oneshot_command", &self.oneshot_command),
        ] {
            if argv.iter().any(|a| a.contains("{prompt}")) && self.pack_max_bytes > PROMPT_ARG_MAX {
                return Err(format!(
                    "{key} passes the whole context pack as one argument ({{prompt}}), and escalation.pack_max_bytes = {} is more than one argument can carry ({PROMPT_ARG_MAX}: tmux refuses a command over about 16 KiB, Linux an argument over 128 KiB); pass the pack by file with {{prompt_file}}, or set pack_max_bytes to {PROMPT_ARG_MAX} or less",
                    self.pack_max_bytes
                ));
            }
        }
        Ok(())
    }
}

impl std::fmt::Display for ManagerMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            Self::Window => "window",
            Self::Oneshot => "one-shot",
        })
    }
}

/// The default managers' one-line prompt: the pack goes by file, whatever its size (a whole
/// pack in one argument can exceed what tmux and the kernel accept).
pub(crate) const MANAGER_PROMPT: &str = "You are the manager agent warden brought in for this repository. Read the context pack {prompt_file} and act on it.";

/// Longest prompt a `{prompt}` argument may carry: tmux 3.3a refuses a command over about
/// 16 KiB (the rest of the manager's command line and environment needs some of it), and
/// Linux refuses a single argument over 128 KiB.
pub(crate) const PROMPT_ARG_MAX: u64 = 12 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Escalation {
    /// Tier 2 is off unless this is true (or `--escalation`, or `TASK_MANAGER_ESCALATION=1`).
    pub(crate) enabled: bool,
    /// Decide as live mode would, spawn nothing.
    pub(crate) dry_run: bool,
    /// Signals at or above this severity make `escalation.required` true in the snapshot.
    pub(crate) min_severity: Severity,
    /// The signal codes that can escalate. Empty means every code but `worker_idle`.
    pub(crate) codes: Vec<String>,
    /// A firing alert at or above this severity is trouble on its own.
    pub(crate) escalate_severity: Severity,
    /// This many firing `warning` alerts together are trouble too.
    pub(crate) warnings_for_trouble: u32,
    /// A condition must hold this long before its alert fires (a blip escalates nothing).
    pub(crate) hold: HumanDuration,
    /// A firing alert whose condition has been clear this long is resolved.
    pub(crate) resolve_after: HumanDuration,
    /// `warden ack KEY` without `--for` acknowledges for this long.
    pub(crate) ack_for: HumanDuration,
    /// No second spawn for the same alert key within this long, across episodes.
    pub(crate) cooldown: HumanDuration,
    /// At most this many spawns in any rolling hour …
    pub(crate) budget_per_hour: u32,
    /// … and at least this long between two spawns.
    pub(crate) min_spacing: HumanDuration,
    /// At most this many live managers at once.
    pub(crate) max_live_managers: u32,
    pub(crate) mode: ManagerMode,
    /// In one-shot mode: still firing and unacknowledged this long after the one-shot, step
    /// up to a manager window. `0` never steps up.
    pub(crate) step_up_after: HumanDuration,
    /// The interactive manager's argv; placeholders `{prompt_file}`, `{pack_dir}`, `{prompt}`.
    pub(crate) manager_command: Vec<String>,
    /// The one-shot agent's argv; same placeholders.
    pub(crate) oneshot_command: Vec<String>,
    /// Run on every decision with the message as the last argument (for example
    /// `["notify-send", "warden"]`). Empty: none.
    pub(crate) notify_command: Vec<String>,
    /// A context pack is cut to this many bytes, truncation marked.
    pub(crate) pack_max_bytes: u64,
}

impl Default for Escalation {
    fn default() -> Self {
        Self {
            enabled: false,
            dry_run: false,
            min_severity: Severity::Warning,
            codes: Vec::new(),
            escalate_severity: Severity::Critical,
            warnings_for_trouble: 3,
            hold: HumanDuration::from_mins(2),
            resolve_after: HumanDuration::from_mins(5),
            ack_for: HumanDuration::from_mins(30),
            cooldown: HumanDuration::from_mins(30),
            budget_per_hour: 3,
            min_spacing: HumanDuration::from_mins(10),
            max_live_managers: 1,
            mode: ManagerMode::Window,
            step_up_after: HumanDuration::from_mins(15),
            manager_command: vec!["claude".to_owned(), MANAGER_PROMPT.to_owned()],
            oneshot_command: vec![
                "claude".to_owned(),
                "-p".to_owned(),
                MANAGER_PROMPT.to_owned(),
            ],
            notify_command: Vec::new(),
            pack_max_bytes: 200_000,
        }
    }
}
