//! Signals about the supervisor's own footing: `tmux_unreachable`, `tmux_server_gone`,
//! `state_unwritable`. Only a running supervisor fills `RuntimeHealth`; everywhere else it is
//! empty and these rules are silent.

use super::observations::Observations;
use super::signal::{Evidence, Signal, SignalCode, Subject};

fn signal(
    code: SignalCode,
    message: String,
    evidence: Evidence,
    since: chrono::DateTime<chrono::Utc>,
) -> Signal {
    Signal {
        code,
        severity: code.severity(),
        subject: Subject::Repository,
        task: None,
        message,
        evidence,
        since,
    }
}

/// Usage limits in force, and `continue` typed after a reset that no prompt confirmed.
fn limits(obs: &Observations<'_>, out: &mut Vec<Signal>) {
    for l in &obs.runtime.limits {
        let until = l.until.map_or_else(
            || "until it resumes".to_owned(),
            |u| {
                format!(
                    "until {} (when it resets)",
                    u.format("%Y-%m-%d %H:%M:%S UTC")
                )
            },
        );
        out.push(Signal {
            code: SignalCode::AgentRateLimited,
            severity: SignalCode::AgentRateLimited.severity(),
            subject: Subject::Worker(l.job.clone()),
            task: Some(l.task.clone()),
            message: format!(
                "{} hit its usage limit ({} on {}); no new {} job is dispatched {until}",
                l.kind, l.job, l.task, l.kind
            ),
            evidence: Evidence {
                job: Some(l.job.clone()),
                detail: l.until.map(|u| format!("resets at {}", u.to_rfc3339())),
                ..Evidence::default()
            },
            since: l.since,
        });
    }
    let within = obs.thresholds.confirm_within;
    for u in obs
        .runtime
        .unconfirmed
        .iter()
        .filter(|u| obs.reached(u.typed_at, within))
    {
        out.push(Signal {
            code: SignalCode::DispatchUnconfirmed,
            severity: SignalCode::DispatchUnconfirmed.severity(),
            subject: Subject::Worker(u.job.clone()),
            task: Some(u.task.clone()),
            message: format!(
                "{} ({}) was sent `continue` after its usage limit reset and submitted no prompt within {within}",
                u.job, u.task
            ),
            evidence: Evidence {
                job: Some(u.job.clone()),
                measured: Some(obs.secs_since(u.typed_at)),
                threshold: Some(within.as_secs()),
                ..Evidence::default()
            },
            since: u.typed_at,
        });
    }
}

pub(crate) fn detect_runtime(obs: &Observations<'_>, out: &mut Vec<Signal>) {
    limits(obs, out);
    let health = obs.runtime;
    if let Some(gone) = &health.tmux_gone {
        out.push(signal(
            SignalCode::TmuxServerGone,
            format!(
                "the tmux server is gone ({}); its workers ended with it; `warden up` starts afresh",
                gone.error
            ),
            Evidence {
                detail: Some(gone.error.clone()),
                ..Evidence::default()
            },
            gone.since,
        ));
    } else if let Some(failing) = &health.tmux_failing {
        let threshold = obs.thresholds.tmux_unreachable_after;
        if obs.reached(failing.since, threshold) {
            let secs = obs.secs_since(failing.since);
            out.push(signal(
                SignalCode::TmuxUnreachable,
                format!(
                    "tmux has not answered for {}: {}; nothing is dispatched and no job is judged until it does",
                    crate::config::HumanDuration::from_secs(secs),
                    failing.error
                ),
                Evidence {
                    detail: Some(failing.error.clone()),
                    measured: Some(secs),
                    threshold: Some(threshold.as_secs()),
                    ..Evidence::default()
                },
                failing.since,
            ));
        }
    }
    if let Some(u) = &health.unwritable {
        out.push(signal(
            SignalCode::StateUnwritable,
            format!(
                "failed to save {}: {}; nothing is dispatched until it can be saved",
                u.path.display(),
                u.error
            ),
            Evidence {
                path: Some(u.path.clone()),
                detail: Some(u.error.clone()),
                ..Evidence::default()
            },
            u.since,
        ));
    }
}
