//! The register: one record per dispatch attempt (a *job*), in `.warden/register.json`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Bumped when the file's shape changes incompatibly. A newer version is refused, not
/// guessed at.
pub(crate) const REGISTER_FORMAT_VERSION: u32 = 1;

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum JobEnd {
    /// The process exited with this code.
    Exited { code: i32 },
    /// The process was killed by this OS signal (its name, such as `SIGKILL`).
    Signaled { signal: String },
    /// The worker disappeared and nothing recorded how (its pane and its record are gone).
    Lost { reason: String },
    /// The launch failed before the agent started (the worktree, the log, tmux refusing the
    /// window, the wrapper never released): not an attempt of the task.
    NotStarted { reason: String },
}

impl JobEnd {
    pub(crate) fn is_success(&self) -> bool {
        matches!(self, Self::Exited { code: 0 })
    }

    /// Whether the agent ran at all: a launch that failed before it is not an attempt.
    pub(crate) fn started(&self) -> bool {
        !matches!(self, Self::NotStarted { .. })
    }
}

impl fmt::Display for JobEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exited { code } => write!(f, "exit {code}"),
            Self::Signaled { signal } => write!(f, "killed by {signal}"),
            Self::Lost { reason } => write!(f, "lost ({reason})"),
            Self::NotStarted { reason } => write!(f, "not started ({reason})"),
        }
    }
}

/// One dispatch attempt of one task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct JobRecord {
    pub(crate) job: String,
    pub(crate) task: String,
    /// 1 for the first attempt of a task, counting up.
    pub(crate) attempt: u32,
    pub(crate) argv: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) worktree: Option<PathBuf>,
    /// The tmux pane id (`%12`) running the job, once there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pane: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pid: Option<u32>,
    pub(crate) started_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ended_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) end: Option<JobEnd>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) last_output_at: Option<DateTime<Utc>>,
    pub(crate) log_path: PathBuf,
    /// Stopped by `warden kill`: not redispatched until `warden retry`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) killed: bool,
    /// Stopped by `warden down --kill-workers`: not a failure, and dispatched again as usual.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) stopped: bool,
    /// The agent this job runs when it is expected to report through `warden hook`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) agent: Option<crate::agent::AgentKind>,
}

impl JobRecord {
    /// A job is live until its end is recorded.
    pub(crate) fn is_live(&self) -> bool {
        self.ended_at.is_none()
    }

    /// Ended, and not with exit code 0 (a launch that never started its agent is neither).
    pub(crate) fn is_failure(&self) -> bool {
        self.end
            .as_ref()
            .is_some_and(|e| e.started() && !e.is_success())
    }

    /// An attempt of its task: live, or ended after its agent started.
    pub(crate) fn is_attempt(&self) -> bool {
        self.end.as_ref().is_none_or(JobEnd::started)
    }
}

/// The whole register file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Register {
    pub(crate) format_version: u32,
    pub(crate) jobs: Vec<JobRecord>,
    /// Per task: the attempt number at which `warden retry` last reset it; only attempts
    /// after it count toward `max_attempts` and backoff.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) retries: BTreeMap<String, u32>,
}

impl Default for Register {
    fn default() -> Self {
        Self {
            format_version: REGISTER_FORMAT_VERSION,
            jobs: Vec::new(),
            retries: BTreeMap::new(),
        }
    }
}

impl Register {
    /// The queue's view of the register: running tasks and when each task's last attempt
    /// ended.
    pub(crate) fn activity(&self) -> crate::task::Activity {
        let mut activity = crate::task::Activity::default();
        for job in &self.jobs {
            if job.is_live() {
                activity.running.insert(job.task.clone());
            } else if let Some(ended) = job.ended_at.filter(|_| job.is_attempt()) {
                let slot = activity.last_ended.entry(job.task.clone()).or_insert(ended);
                *slot = (*slot).max(ended);
            }
        }
        activity
    }

    pub(crate) fn live_jobs(&self) -> impl Iterator<Item = &JobRecord> {
        self.jobs.iter().filter(|j| j.is_live())
    }
}
