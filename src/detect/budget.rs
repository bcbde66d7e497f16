//! `budget_exceeded`: a `[budget]` limit crossed (the repository's rolling hour or day in
//! USD, a task's tokens or USD since its last retry). Warning; critical when a running job
//! keeps spending past 150% of it. Dispatch stops for what it covers; nothing is killed.

use super::observations::Observations;
use super::signal::{Evidence, Severity, Signal, SignalCode, Subject};

pub(crate) fn detect_budget(obs: &Observations<'_>, out: &mut Vec<Signal>) {
    let Some(register) = obs.register else {
        return;
    };
    for b in obs.breaches {
        let spending = match &b.task {
            Some(task) => register.live_jobs().any(|j| &j.task == task),
            None => register.live_jobs().next().is_some(),
        };
        let severity = if b.far() && spending {
            Severity::Critical
        } else {
            Severity::Warning
        };
        let (subject, message) = match &b.task {
            Some(task) => (
                Subject::Task(task.clone()),
                format!(
                    "{task} spent {}: it is not dispatched again until `warden retry {task}`",
                    b.describe()
                ),
            ),
            None => (
                Subject::Repository,
                format!(
                    "agents spent {}: nothing new is dispatched until the window rolls below it (running agents go on)",
                    b.describe()
                ),
            ),
        };
        out.push(Signal {
            code: SignalCode::BudgetExceeded,
            severity,
            subject,
            task: b.task.clone(),
            message,
            evidence: Evidence {
                detail: Some(b.limit.key().to_owned()),
                ..Evidence::default()
            },
            since: obs.now,
        });
    }
}
