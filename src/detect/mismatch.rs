//! `register_mismatch`: the register, the worktrees and the task statuses disagree.
//!
//! Four cases, each after `mismatch_grace` so an agent that updates its task file a moment
//! after its worker ends is not flagged:
//! 1. a live job whose worktree folder does not exist;
//! 2. a worktree folder (or git worktree) under the worktrees folder that no job names;
//! 3. a task in progress, dispatched by warden, whose last worker has ended;
//! 4. a live worker whose task is gone or in the backlog (`task_ineligible` covers a task
//!    completed, cancelled or blocked under it).
//!
//! Case 3 only covers tasks warden dispatched: a person may set `in_progress` by hand and
//! work without a worker; `stuck_in_progress` watches those.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::observations::Observations;
use super::signal::{Evidence, Signal, SignalCode, Subject};
use crate::dispatch::Hold;
use crate::register::JobRecord;
use crate::task::Status;

fn mismatch(
    subject: Subject,
    task: Option<&str>,
    message: String,
    evidence: Evidence,
    since: chrono::DateTime<chrono::Utc>,
) -> Signal {
    Signal {
        code: SignalCode::RegisterMismatch,
        severity: SignalCode::RegisterMismatch.severity(),
        subject,
        task: task.map(str::to_owned),
        message,
        evidence,
        since,
    }
}

fn job_evidence(job: &JobRecord) -> Evidence {
    Evidence {
        job: Some(job.job.clone()),
        attempt: Some(job.attempt),
        worktree: job.worktree.clone(),
        started_at: Some(job.started_at),
        ended_at: job.ended_at,
        ..Evidence::default()
    }
}

pub(crate) fn detect_mismatch(obs: &Observations<'_>, out: &mut Vec<Signal>) {
    let Some(register) = obs.register else {
        return;
    };
    let grace = obs.thresholds.mismatch_grace;
    let on_disk: BTreeSet<&Path> = obs.worktrees.on_disk.iter().map(PathBuf::as_path).collect();

    // 1. live job, worktree missing.
    for job in register.live_jobs() {
        if let Some(wt) = &job.worktree
            && !on_disk.contains(wt.as_path())
            && obs.reached(job.started_at, grace)
        {
            out.push(mismatch(
                Subject::Worker(job.job.clone()),
                Some(&job.task),
                format!(
                    "worker {} runs in worktree {} which does not exist",
                    job.job,
                    wt.display()
                ),
                job_evidence(job),
                job.started_at,
            ));
        }
    }

    // 2. worktree folder that no job names. A folder git still lists but that is gone is
    // git's business (`git worktree prune`), not a disagreement with the register.
    let named: BTreeSet<&Path> = register
        .jobs
        .iter()
        .filter_map(|j| j.worktree.as_deref())
        .collect();
    for wt in &obs.worktrees.on_disk {
        let made = obs.worktrees.made_at.get(wt).copied().unwrap_or(obs.now);
        if named.contains(wt.as_path()) || !obs.reached(made, grace) {
            continue;
        }
        let branch = obs
            .worktrees
            .git
            .iter()
            .find(|g| &g.path == wt)
            .and_then(|g| g.branch.clone());
        out.push(mismatch(
            Subject::Worktree(wt.to_string_lossy().into_owned()),
            None,
            format!("worktree {} has no entry in the register", wt.display()),
            Evidence {
                worktree: Some(wt.clone()),
                detail: branch.map(|b| format!("branch {b}")),
                ..Evidence::default()
            },
            made,
        ));
    }

    // 3. in progress, dispatched by warden, no live worker.
    for task in obs
        .tasks
        .iter()
        .filter(|t| t.status() == Status::InProgress)
    {
        let mut jobs = register
            .jobs
            .iter()
            .filter(|j| j.task == task.id())
            .peekable();
        if jobs.peek().is_none() {
            continue;
        }
        let mut last_end = None;
        let mut live = false;
        for job in jobs {
            live |= job.is_live();
            last_end = last_end.max(job.ended_at);
        }
        let Some(ended) = last_end else { continue };
        // Its last job exited 0: `awaiting_review` says so, in a person's terms.
        let succeeded = matches!(obs.holds.get(task.id()), Some(Hold::Succeeded { .. }));
        if live || succeeded || !obs.reached(ended, grace) {
            continue;
        }
        out.push(mismatch(
            Subject::Task(task.id().to_owned()),
            Some(task.id()),
            format!("{} is in progress but its last worker ended", task.id()),
            Evidence {
                path: Some(task.path.clone()),
                ended_at: Some(ended),
                ..Evidence::default()
            },
            ended,
        ));
    }

    // 4. live worker whose task is gone or in the backlog (completed, cancelled and blocked
    // are `task_ineligible`).
    for job in register.live_jobs() {
        let (status, since) = match obs.task(&job.task) {
            None => ("missing", job.started_at),
            Some(t) => match t.status() {
                Status::Backlog => (t.status().as_str(), t.mtime.max(job.started_at)),
                _ => continue,
            },
        };
        if !obs.reached(since, grace) {
            continue;
        }
        out.push(mismatch(
            Subject::Worker(job.job.clone()),
            Some(&job.task),
            format!(
                "worker {} still runs but task {} is {status}",
                job.job, job.task
            ),
            job_evidence(job),
            since,
        ));
    }
}
