//! What the operator asks of a running supervisor, decided. Pure: the state, the request and
//! `now` in; the state changed and the actions (with the answer) out. Requests that need a
//! fresh look at the tasks start a pass whose mode carries the answer.

use std::time::Duration;

use super::action::{Action, AfterSave, PassMode, ReplyId};
use super::event::Now;
use super::protocol::{Refusal, Request, Response};
use super::state::State;
use crate::config::{HumanDuration, MAX_DURATION};

fn ok(to: ReplyId, message: impl Into<String>) -> Action {
    Action::Reply {
        to,
        response: Response::Ok {
            message: message.into(),
        },
    }
}

pub(crate) fn refuse(to: ReplyId, refusal: Refusal) -> Action {
    Action::Reply {
        to,
        response: Response::Refused { refusal },
    }
}

fn pass(mode: PassMode) -> Action {
    Action::RunPass {
        mode,
        dispatched: false,
    }
}

pub(crate) fn request(
    state: &mut State,
    request: Request,
    reply: ReplyId,
    now: Now,
) -> Vec<Action> {
    if state.stop.stopping.is_some()
        && !matches!(
            request,
            Request::Ping | Request::Status | Request::Watch { .. }
        )
    {
        return vec![refuse(reply, Refusal::Stopping)];
    }
    match request {
        Request::Ping => vec![ok(reply, format!("supervisor {} is running", state.pid))],
        Request::Status => vec![pass(PassMode::Status { reply })],
        Request::Watch { after, wait_secs } => {
            let wait = Duration::from_secs(wait_secs.min(MAX_DURATION.as_secs()));
            super::watchers::watch(&mut state.passes, after, wait, reply, now)
        }
        // A fresh pass first, so a task file written a moment ago is known.
        Request::Dispatch { task } => vec![pass(PassMode::Dispatch { task, reply })],
        Request::Retry { task } => retry(state, &task, reply),
        Request::Kill { task, timeout_secs } => {
            // The socket's peer is trusted but its numbers are not: a deadline past what
            // `Instant` holds would panic the loop.
            let timeout_secs = timeout_secs.min(MAX_DURATION.as_secs());
            let timeout = Duration::from_secs(timeout_secs);
            match state.stop.kill(&mut state.jobs, &task, timeout, now) {
                Ok((job, mut actions)) => {
                    actions.push(ok(
                        reply,
                        format!(
                            "sent SIGTERM to {job} ({task}); SIGKILL follows after {}",
                            HumanDuration::from_secs(timeout_secs)
                        ),
                    ));
                    actions
                }
                Err(refusal) => vec![refuse(reply, refusal)],
            }
        }
        Request::Stop {
            kill_workers,
            timeout_secs,
        } => {
            let timeout = Duration::from_secs(timeout_secs.min(MAX_DURATION.as_secs()));
            let mut actions = state.stop.stop(&mut state.jobs, kill_workers, timeout, now);
            actions.push(ok(
                reply,
                if kill_workers {
                    "stopping the workers, then the supervisor and the session"
                } else {
                    "stopping the supervisor; the workers keep running"
                },
            ));
            actions
        }
        Request::Escalate { dry_run } => {
            if !state.config.escalation.enabled && dry_run != Some(true) {
                return vec![refuse(reply, Refusal::EscalationOff)];
            }
            vec![pass(PassMode::Escalate { dry_run, reply })]
        }
        Request::Alert { key, op } => vec![Action::AlertOp { key, op, reply }],
        Request::Pack => vec![pass(PassMode::Pack { reply })],
    }
}

/// `warden retry TASK`: attempts before now no longer count toward backoff and give-up.
fn retry(state: &mut State, task: &str, reply: ReplyId) -> Vec<Action> {
    let Ok(register) = &mut state.jobs.register else {
        return vec![refuse(reply, Refusal::RegisterUnreadable)];
    };
    let Some(last) = register
        .jobs
        .iter()
        .filter(|j| j.task == task)
        .map(|j| j.attempt)
        .max()
    else {
        // A typo is not "never dispatched": say which ids are close, from the last pass.
        let ids: Vec<&str> = state
            .passes
            .last
            .iter()
            .flat_map(|s| s.tasks.iter().map(|t| t.id.as_str()))
            .collect();
        let refusal = if ids.is_empty() || ids.contains(&task) {
            Refusal::NeverDispatched {
                task: task.to_owned(),
            }
        } else {
            Refusal::UnknownTask {
                task: task.to_owned(),
                close: crate::task::close_ids(task, ids),
            }
        };
        return vec![refuse(reply, refusal)];
    };
    register.retries.insert(task.to_owned(), last);
    state.passes.dirty = true;
    vec![
        Action::Save {
            then: AfterSave::Nothing,
            durable: true,
        },
        ok(
            reply,
            format!(
                "{task}: attempts reset; it is dispatched again when it is ready and a slot is free"
            ),
        ),
    ]
}
