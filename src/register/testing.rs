//! A job record for tests, to adjust with struct update syntax.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::JobRecord;

/// Attempt `attempt` of `task` as job `job`, started at `started_at`, still running, with no
/// pane, pid or argv yet and its log at `tasks/logs/dispatch-<task>.log`.
pub(crate) fn job(job: &str, task: &str, attempt: u32, started_at: DateTime<Utc>) -> JobRecord {
    JobRecord {
        job: job.to_owned(),
        task: task.to_owned(),
        attempt,
        argv: Vec::new(),
        worktree: None,
        pane: None,
        pid: None,
        started_at,
        ended_at: None,
        end: None,
        last_output_at: None,
        log_path: PathBuf::from(format!("tasks/logs/dispatch-{task}.log")),
        killed: false,
        stopped: false,
        agent: None,
    }
}
