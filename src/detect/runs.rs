//! Signals about running jobs that crossed a line: `task_ineligible` (its task was edited to
//! `completed`, `cancelled` or `blocked` under it) and `job_overtime` (it ran longer than
//! `dispatch.max_runtime`). With `on_ineligible`/`on_overtime = "stop"` the supervisor then
//! stops the job; detection only says so.

use super::jobs::job_evidence;
use super::observations::Observations;
use super::signal::{Evidence, Signal, SignalCode, Subject};
use crate::config::HumanDuration;
use crate::register::Register;
use crate::task::Status;

fn ineligible(obs: &Observations<'_>, register: &Register, out: &mut Vec<Signal>) {
    let grace = obs.thresholds.mismatch_grace;
    for job in register.live_jobs() {
        let Some(task) = obs.task(&job.task) else {
            continue;
        };
        let status = task.status();
        if !matches!(
            status,
            Status::Completed | Status::Cancelled | Status::Blocked
        ) {
            continue;
        }
        // The edit's time: an agent that marks its own task done and exits a moment later
        // is not flagged.
        let since = task.mtime.max(job.started_at);
        if !obs.reached(since, grace) {
            continue;
        }
        out.push(Signal {
            code: SignalCode::TaskIneligible,
            severity: SignalCode::TaskIneligible.severity(),
            subject: Subject::Worker(job.job.clone()),
            task: Some(job.task.clone()),
            message: format!(
                "{} still runs but its task {} is {status}",
                job.job, job.task
            ),
            evidence: Evidence {
                path: Some(task.path.clone()),
                ..job_evidence(job)
            },
            since,
        });
    }
}

fn overtime(obs: &Observations<'_>, register: &Register, out: &mut Vec<Signal>) {
    let Some(limit) = obs.max_runtime else {
        return;
    };
    for job in register.live_jobs() {
        if !obs.reached(job.started_at, limit) {
            continue;
        }
        let ran = obs.secs_since(job.started_at);
        out.push(Signal {
            code: SignalCode::JobOvertime,
            severity: SignalCode::JobOvertime.severity(),
            subject: Subject::Worker(job.job.clone()),
            task: Some(job.task.clone()),
            message: format!(
                "{} ({}) has run for {}, past max_runtime {limit}",
                job.job,
                job.task,
                HumanDuration::from_secs(ran)
            ),
            evidence: Evidence {
                measured: Some(ran),
                threshold: Some(limit.as_secs()),
                ..job_evidence(job)
            },
            since: limit.after(job.started_at),
        });
    }
}

pub(crate) fn detect_runs(obs: &Observations<'_>, out: &mut Vec<Signal>) {
    let Some(register) = obs.register else {
        return;
    };
    ineligible(obs, register, out);
    overtime(obs, register, out);
}

#[cfg(test)]
mod tests {
    use super::super::signal::SignalCode;
    use super::super::testing::{HOUR, World, job, table, task};
    use crate::config::HumanDuration;
    use crate::task::Status;

    const MIN: i64 = 60;

    #[test]
    fn task_ineligible_after_the_grace() {
        let w = |status: Status, edited_ago: i64| {
            World::tasks(vec![task("t", status, edited_ago)]).jobs(vec![job(1, "t", HOUR)])
        };
        table(
            SignalCode::TaskIneligible,
            vec![
                ("completed 3m ago", w(Status::Completed, 3 * MIN), 1),
                ("cancelled 3m ago", w(Status::Cancelled, 3 * MIN), 1),
                ("blocked 3m ago", w(Status::Blocked, 3 * MIN), 1),
                (
                    "completed 1m ago: the agent may be ending",
                    w(Status::Completed, MIN),
                    0,
                ),
                ("in review", w(Status::Review, HOUR), 0),
                ("in progress", w(Status::InProgress, HOUR), 0),
            ],
        );
        // register_mismatch no longer says the same.
        assert!(
            w(Status::Completed, HOUR)
                .codes(SignalCode::RegisterMismatch)
                .is_empty()
        );
    }

    #[test]
    fn job_overtime_only_with_a_limit() {
        let w = |limit: Option<u64>, ran: i64| {
            let mut w = World::tasks(vec![task("t", Status::InProgress, HOUR)])
                .jobs(vec![job(1, "t", ran)]);
            w.max_runtime = limit.map(HumanDuration::from_mins);
            w
        };
        table(
            SignalCode::JobOvertime,
            vec![
                ("no limit", w(None, 10 * HOUR), 0),
                ("59m of 60m", w(Some(60), 59 * MIN), 0),
                ("60m of 60m", w(Some(60), 60 * MIN), 1),
            ],
        );
    }
}
