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

pub(crate) fn detect_runtime(obs: &Observations<'_>, out: &mut Vec<Signal>) {
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
