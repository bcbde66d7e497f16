//! Signals about dispatch attempts: `dispatch_failed`, `dispatch_interrupted`,
//! `dispatch_stalled`, `repeated_failure`.

use std::collections::BTreeMap;

use super::observations::Observations;
use super::signal::{Evidence, Signal, SignalCode, Subject};
use crate::agent::AgentState;
use crate::dispatch::Hold;
use crate::register::{JobEnd, JobRecord, Register};

pub(super) fn job_evidence(job: &JobRecord) -> Evidence {
    Evidence {
        job: Some(job.job.clone()),
        attempt: Some(job.attempt),
        log_path: Some(job.log_path.clone()),
        worktree: job.worktree.clone(),
        started_at: Some(job.started_at),
        ended_at: job.ended_at,
        last_output_at: job.last_output_at,
        ..Evidence::default()
    }
}

/// The latest attempt of each task that still needs doing failed: non-zero exit, or an OS
/// signal, or lost. A task that has since been completed or cancelled is left alone.
fn latest_failures(obs: &Observations<'_>, register: &Register, out: &mut Vec<Signal>) {
    let mut latest: BTreeMap<&str, &JobRecord> = BTreeMap::new();
    for job in &register.jobs {
        let slot = latest.entry(job.task.as_str()).or_insert(job);
        if (job.attempt, job.started_at) > (slot.attempt, slot.started_at) {
            *slot = job;
        }
    }
    for (task, job) in latest {
        if obs.task(task).is_some_and(|t| t.status().is_terminal()) {
            continue;
        }
        let (Some(end), Some(ended_at)) = (&job.end, job.ended_at) else {
            continue;
        };
        // Stopped by the operator (`warden kill`, `warden down --kill-workers`): not trouble.
        if job.killed || job.stopped {
            continue;
        }
        let mut evidence = job_evidence(job);
        let (code, message) = match end {
            JobEnd::Exited { code: 0 } => continue,
            JobEnd::Exited { code } => {
                evidence.exit_code = Some(*code);
                (
                    SignalCode::DispatchFailed,
                    format!("attempt {} of {task} exited with code {code}", job.attempt),
                )
            }
            JobEnd::Signaled { signal } => {
                evidence.signal = Some(signal.clone());
                (
                    SignalCode::DispatchInterrupted,
                    format!("attempt {} of {task} was killed by {signal}", job.attempt),
                )
            }
            JobEnd::Lost { reason } => {
                evidence.detail = Some(reason.clone());
                (
                    SignalCode::DispatchInterrupted,
                    format!("attempt {} of {task} was lost: {reason}", job.attempt),
                )
            }
            JobEnd::NotStarted { reason } => {
                evidence.detail = Some(reason.clone());
                (
                    SignalCode::LaunchFailed,
                    format!(
                        "{} of {task} failed before its agent started: {reason}; not counted as an attempt, tried again after a backoff",
                        job.job
                    ),
                )
            }
        };
        out.push(Signal {
            code,
            severity: code.severity(),
            subject: Subject::Task(task.to_owned()),
            task: Some(task.to_owned()),
            message,
            evidence,
            since: ended_at,
        });
    }
}

/// Live workers with no output (or, before any output, no start) for `stall_after`. A job
/// whose agent reports is judged by its hooks instead: a `working` agent whose last event is
/// older than `stall_after` has stalled even while its pane prints (a spinner over a hung
/// request); one waiting for a person, idle, failed or ended has its own signals.
fn stalls(obs: &Observations<'_>, register: &Register, out: &mut Vec<Signal>) {
    let threshold = obs.thresholds.stall_after;
    for job in register.live_jobs() {
        let agent = job.agent.and(obs.agents.get(&job.job));
        let (last, what) = match agent {
            Some(a) if a.state != AgentState::Working => continue,
            Some(a) => (
                a.last_event_at.max(job.started_at),
                "has sent no agent event while working",
            ),
            None => (
                job.last_output_at
                    .unwrap_or(job.started_at)
                    .max(job.started_at),
                "has printed nothing",
            ),
        };
        if !obs.reached(last, threshold) {
            continue;
        }
        let silent = obs.secs_since(last);
        out.push(Signal {
            code: SignalCode::DispatchStalled,
            severity: SignalCode::DispatchStalled.severity(),
            subject: Subject::Worker(job.job.clone()),
            task: Some(job.task.clone()),
            message: format!(
                "worker {} ({}) {what} for {}",
                job.job,
                job.task,
                crate::config::HumanDuration::from_secs(silent)
            ),
            evidence: Evidence {
                measured: Some(silent),
                threshold: Some(threshold.as_secs()),
                ..job_evidence(job)
            },
            since: last,
        });
    }
}

/// Tasks that failed `repeated_failure_count` times within the window ending now.
fn repeated(obs: &Observations<'_>, register: &Register, out: &mut Vec<Signal>) {
    let t = obs.thresholds;
    let window_start = t.repeated_failure_window.before(obs.now);
    let mut failures: BTreeMap<&str, Vec<&JobRecord>> = BTreeMap::new();
    for job in &register.jobs {
        if job.is_failure()
            && !job.killed
            && !job.stopped
            && let Some(ended) = job.ended_at
            && ended > window_start
            && ended <= obs.now
        {
            failures.entry(job.task.as_str()).or_default().push(job);
        }
    }
    for (task, mut jobs) in failures {
        let count = u32::try_from(jobs.len()).unwrap_or(u32::MAX);
        if count < t.repeated_failure_count.max(1)
            || obs.task(task).is_some_and(|t| t.status().is_terminal())
        {
            continue;
        }
        jobs.sort_by_key(|j| j.ended_at);
        let since = jobs.first().and_then(|j| j.ended_at).unwrap_or(obs.now);
        out.push(Signal {
            code: SignalCode::RepeatedFailure,
            severity: SignalCode::RepeatedFailure.severity(),
            subject: Subject::Task(task.to_owned()),
            task: Some(task.to_owned()),
            message: format!(
                "{task} failed {count} times in the last {}",
                t.repeated_failure_window
            ),
            evidence: Evidence {
                related: jobs.iter().map(|j| j.job.clone()).collect(),
                measured: Some(u64::from(count)),
                threshold: Some(u64::from(t.repeated_failure_count)),
                log_path: jobs.last().map(|j| j.log_path.clone()),
                ..Evidence::default()
            },
            since,
        });
    }
}

/// Tasks the retry policy gave up on (unless they are done or cancelled meanwhile).
fn gave_up(obs: &Observations<'_>, register: &Register, out: &mut Vec<Signal>) {
    for (task, hold) in obs.holds {
        let Hold::GaveUp { attempts } = hold else {
            continue;
        };
        if obs.task(task).is_some_and(|t| t.status().is_terminal()) {
            continue;
        }
        let last = register
            .jobs
            .iter()
            .filter(|j| &j.task == task)
            .max_by_key(|j| (j.attempt, j.started_at));
        out.push(Signal {
            code: SignalCode::DispatchGaveUp,
            severity: SignalCode::DispatchGaveUp.severity(),
            subject: Subject::Task(task.clone()),
            task: Some(task.clone()),
            message: format!(
                "{task} failed {attempts} attempt{} in a row; run `warden retry {task}` to try again",
                if *attempts == 1 { "" } else { "s" }
            ),
            evidence: Evidence {
                measured: Some(u64::from(*attempts)),
                ..last.map(job_evidence).unwrap_or_default()
            },
            since: last.and_then(|j| j.ended_at).unwrap_or(obs.now),
        });
    }
}

pub(crate) fn detect_jobs(obs: &Observations<'_>, out: &mut Vec<Signal>) {
    let Some(register) = obs.register else {
        return;
    };
    latest_failures(obs, register, out);
    stalls(obs, register, out);
    repeated(obs, register, out);
    gave_up(obs, register, out);
}
