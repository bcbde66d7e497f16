//! Signals about tasks and the queue: `stuck_in_progress`, `worker_idle`, `pickup_overdue`,
//! `task_invalid`, `dependency_missing`, `dependency_cycle`, and `register_corrupt`.

use super::observations::Observations;
use super::signal::{Evidence, Signal, SignalCode, Subject};
use crate::config::HumanDuration;
use crate::task::Status;

fn signal(code: SignalCode, subject: Subject, task: Option<&str>, message: String) -> Signal {
    Signal {
        code,
        severity: code.severity(),
        subject,
        task: task.map(str::to_owned),
        message,
        evidence: Evidence::default(),
        since: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
    }
}

/// In progress with no sign of life for `stuck_after`. Life is the latest of `started_at`,
/// an edit to the task file, and output from a live worker on the task.
fn stuck(obs: &Observations<'_>, out: &mut Vec<Signal>) {
    let threshold = obs.thresholds.stuck_after;
    for task in obs
        .tasks
        .iter()
        .filter(|t| t.status() == Status::InProgress)
    {
        let worker_output = obs.register.and_then(|r| {
            r.live_jobs()
                .filter(|j| j.task == task.id())
                .map(|j| j.last_output_at.unwrap_or(j.started_at))
                .max()
        });
        let last = [task.fields.started_at, Some(task.mtime), worker_output]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(task.mtime);
        if !obs.reached(last, threshold) {
            continue;
        }
        let idle = obs.secs_since(last);
        let mut s = signal(
            SignalCode::StuckInProgress,
            Subject::Task(task.id().to_owned()),
            Some(task.id()),
            format!(
                "{} has been in progress with no activity for {}",
                task.id(),
                HumanDuration::from_secs(idle)
            ),
        );
        s.evidence = Evidence {
            path: Some(task.path.clone()),
            started_at: task.fields.started_at,
            last_output_at: worker_output,
            measured: Some(idle),
            threshold: Some(threshold.as_secs()),
            ..Evidence::default()
        };
        s.since = last;
        out.push(s);
    }
}

/// A dispatchable task has waited `pickup_overdue_after` since it became dispatchable.
fn overdue(obs: &Observations<'_>, out: &mut Vec<Signal>) {
    let threshold = obs.thresholds.pickup_overdue_after;
    for id in &obs.plan.queue {
        let Some(&since) = obs.plan.ready_since.get(id) else {
            continue;
        };
        if !obs.reached(since, threshold) {
            continue;
        }
        let waited = obs.secs_since(since);
        let mut s = signal(
            SignalCode::PickupOverdue,
            Subject::Task(id.clone()),
            Some(id),
            format!(
                "{id} has waited {} to be picked up",
                HumanDuration::from_secs(waited)
            ),
        );
        s.evidence = Evidence {
            path: obs.task(id).map(|t| t.path.clone()),
            measured: Some(waited),
            threshold: Some(threshold.as_secs()),
            ..Evidence::default()
        };
        s.since = since;
        out.push(s);
    }
}

/// Free worker capacity while the queue is not empty, for `worker_idle_after`. Idle since
/// the later of "a worker last finished" and "the longest-waiting queued task became ready".
fn idle(obs: &Observations<'_>, out: &mut Vec<Signal>) {
    if obs.plan.queue.is_empty() {
        return;
    }
    let live = obs.register.map_or(0, |r| r.live_jobs().count());
    let free = usize::try_from(obs.max_workers)
        .unwrap_or(usize::MAX)
        .saturating_sub(live);
    if free == 0 {
        return;
    }
    let Some(oldest_ready) = obs.plan.ready_since.values().min().copied() else {
        return;
    };
    let last_end = obs
        .register
        .and_then(|r| r.jobs.iter().filter_map(|j| j.ended_at).max());
    let since = last_end.map_or(oldest_ready, |e| e.max(oldest_ready));
    let threshold = obs.thresholds.worker_idle_after;
    if !obs.reached(since, threshold) {
        return;
    }
    let mut s = signal(
        SignalCode::WorkerIdle,
        Subject::Repository,
        None,
        format!(
            "{free} of {} worker slots free while {} task(s) wait",
            obs.max_workers,
            obs.plan.queue.len()
        ),
    );
    s.evidence = Evidence {
        related: obs.plan.queue.iter().take(10).cloned().collect(),
        measured: Some(obs.secs_since(since)),
        threshold: Some(threshold.as_secs()),
        ..Evidence::default()
    };
    s.since = since;
    out.push(s);
}

fn invalid_and_dependencies(obs: &Observations<'_>, out: &mut Vec<Signal>) {
    for bad in obs.invalid {
        let path = bad.path.to_string_lossy().into_owned();
        let place = bad
            .line
            .map_or_else(|| path.clone(), |l| format!("{path}:{l}"));
        let mut s = signal(
            SignalCode::TaskInvalid,
            Subject::File(path),
            None,
            format!("{place}: {}", bad.message),
        );
        s.evidence = Evidence {
            path: Some(bad.path.clone()),
            line: bad.line,
            detail: Some(bad.message.clone()),
            ..Evidence::default()
        };
        s.since = bad.mtime;
        out.push(s);
    }
    let unsatisfiable = obs
        .plan
        .missing
        .iter()
        .map(|(id, deps)| (id, deps, "which no task has"))
        .chain(
            obs.plan
                .cancelled
                .iter()
                .map(|(id, deps)| (id, deps, "which is cancelled")),
        );
    for (id, missing, why) in unsatisfiable {
        let mut s = signal(
            SignalCode::DependencyMissing,
            Subject::Task(id.clone()),
            Some(id),
            format!("{id} depends on {} {why}", missing.join(", ")),
        );
        let task = obs.task(id);
        s.evidence = Evidence {
            path: task.map(|t| t.path.clone()),
            related: missing.clone(),
            ..Evidence::default()
        };
        s.since = task.map_or(obs.now, |t| t.mtime);
        out.push(s);
    }
    for cycle in &obs.plan.cycles {
        let since = cycle
            .iter()
            .filter_map(|id| obs.task(id).map(|t| t.mtime))
            .max()
            .unwrap_or(obs.now);
        for id in cycle {
            let mut s = signal(
                SignalCode::DependencyCycle,
                Subject::Task(id.clone()),
                Some(id),
                if cycle.len() == 1 {
                    format!("{id} depends on itself")
                } else {
                    format!(
                        "{id} is in a dependency cycle with {}",
                        cycle
                            .iter()
                            .filter(|m| *m != id)
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
            );
            s.evidence = Evidence {
                path: obs.task(id).map(|t| t.path.clone()),
                related: cycle.clone(),
                ..Evidence::default()
            };
            s.since = since;
            out.push(s);
        }
    }
    if let Some(problem) = obs.register_problem {
        let mut s = signal(
            SignalCode::RegisterCorrupt,
            Subject::Repository,
            None,
            format!(
                "{} cannot be read; dispatch is refused until it is fixed",
                problem.path.display()
            ),
        );
        s.evidence = Evidence {
            path: Some(problem.path.clone()),
            line: problem.line,
            detail: Some(problem.message.clone()),
            ..Evidence::default()
        };
        s.since = problem.since;
        out.push(s);
    }
}

pub(crate) fn detect_tasks(obs: &Observations<'_>, out: &mut Vec<Signal>) {
    stuck(obs, out);
    overdue(obs, out);
    idle(obs, out);
    invalid_and_dependencies(obs, out);
}
