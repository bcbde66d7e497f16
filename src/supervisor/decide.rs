//! The supervisor's decisions, as nextest's dispatcher makes them: each event and each fact
//! the executor learns goes through one pure function of the state and `now`, which changes
//! the state and returns `#[must_use]` actions. Nothing here reads the clock, the disk or
//! tmux.

use std::time::Duration;

use super::action::{
    Action, AfterSave, Fact, LaunchOutcome, Level, Observation, PassMode, ReplyId, Tier2Mode,
    TmuxFailureKind,
};
use super::dispatch::{Closed, dispatch_queue, dispatch_task, gate};
use super::event::Now;
use super::protocol::{Refusal, Request, Response};
use super::reconcile::{Facts, JobUpdate, reconcile};
use super::requests::{refuse, request};
use super::state::State;
use crate::escalate::Step;
use crate::heartbeat::Pass;

/// How often live jobs are reconciled with their records and panes.
pub(crate) const OBSERVE_EVERY: Duration = Duration::from_secs(1);

/// Jobs launched (and released) together: about one tmux call's worth of windows.
const LAUNCH_PART: usize = 32;

/// What is due on every event: a look at the jobs, SIGKILLs, a save that failed, the
/// heartbeat.
pub(crate) fn timers(state: &mut State, now: Now) -> Vec<Action> {
    let mut actions = Vec::new();
    let p = &mut state.passes;
    let due = |at: Option<std::time::Instant>| at.is_none_or(|t| now.mono >= t);
    if due(p.next_observe) {
        p.next_observe = Some(now.mono + OBSERVE_EVERY);
        actions.push(Action::Observe);
    }
    actions.extend(state.stop.tick(&state.jobs, now));
    actions.extend(super::watchers::expired(&mut state.passes, now.mono));
    if state.jobs.unsaved && state.health.unwritable.is_some() {
        // The register catches up as soon as it can be written; dispatch waits for it.
        actions.push(Action::Save {
            then: AfterSave::Nothing,
            durable: true,
        });
    }
    let p = &mut state.passes;
    if p.dirty || due(p.next_heartbeat) {
        p.dirty = false;
        p.next_heartbeat = Some(
            state
                .config
                .heartbeat
                .interval
                .after_instant(now.mono)
                .max(now.mono + OBSERVE_EVERY),
        );
        // A fresh look first: dispatch only on what tmux said just now.
        if !actions.contains(&Action::Observe) {
            p.next_observe = Some(now.mono + OBSERVE_EVERY);
            actions.insert(0, Action::Observe);
        }
        actions.push(Action::ReadAgents { publish: false });
        actions.push(Action::Account);
        actions.push(Action::RunPass {
            mode: PassMode::Heartbeat,
            dispatched: false,
        });
    }
    actions
}

/// The earliest moment something is due (the loop waits for an event until then).
pub(crate) fn next_due(state: &State, now: std::time::Instant) -> std::time::Instant {
    if state.passes.dirty {
        return now;
    }
    let (Some(observe), Some(heartbeat)) = (state.passes.next_observe, state.passes.next_heartbeat)
    else {
        return now;
    };
    let due = [
        state.stop.next_due(),
        super::watchers::next_expiry(&state.passes),
    ];
    due.into_iter()
        .flatten()
        .fold(observe.min(heartbeat), std::time::Instant::min)
}

/// A hook saved an agent record: read it now (a look at tmux waits for its time).
pub(crate) fn on_agent_report(state: &mut State, now: Now) -> Vec<Action> {
    let mut actions = vec![Action::ReadAgents { publish: true }];
    actions.extend(timers(state, now));
    actions
}

/// A wrapper reported: look now (the record says what happened).
pub(crate) fn on_report(state: &mut State, now: Now) -> Vec<Action> {
    state.passes.next_observe = None;
    timers(state, now)
}

pub(crate) fn on_request(state: &mut State, req: Request, reply: ReplyId, now: Now) -> Vec<Action> {
    let mut actions = request(state, req, reply, now);
    actions.extend(timers(state, now));
    actions
}

/// SIGTERM/SIGINT: the supervisor stops; its workers keep running.
pub(crate) fn on_shutdown(state: &mut State, now: Now) -> Vec<Action> {
    state.stop.stopping = Some(super::stop::Stopping {
        kill_workers: false,
        deadline: now.mono,
    });
    vec![Action::Log {
        level: Level::Warn,
        message: "stopping; workers keep running".to_owned(),
    }]
}

pub(crate) fn on_fact(state: &mut State, fact: Fact, now: Now) -> Vec<Action> {
    match fact {
        Fact::Observed(obs) => observed(state, &obs, now),
        Fact::Saved {
            then,
            result,
            stamp,
        } => {
            if result.is_ok() {
                state.jobs.stamp = stamp;
            }
            saved(state, then, result, now)
        }
        Fact::RegisterChanged {
            register,
            stamp,
            then,
        } => register_changed(state, register, stamp, then, now),
        Fact::Passed {
            mode,
            dispatched,
            pass,
        } => passed(state, mode, dispatched, pass, now),
        Fact::Published => super::watchers::published(&mut state.passes),
        Fact::Accounted { records, reset } => {
            for u in records {
                state.usage.insert(u.job.clone(), u);
            }
            state.budget_reset = reset;
            Vec::new()
        }
        Fact::AgentsRead { records, publish } => {
            let (actions, changed) = state
                .agents
                .absorb(records, state.jobs.register.as_ref().ok());
            // A new state shows at once, not a heartbeat later.
            state.passes.dirty |= changed && publish;
            actions
        }
        Fact::Launched {
            mode,
            outcomes,
            last,
        } => launched(state, mode, &outcomes, last, now),
        Fact::ReleaseFailed { job, error } => {
            let mut actions = Vec::new();
            if let Ok(register) = &mut state.jobs.register
                && let Some(j) = register
                    .jobs
                    .iter_mut()
                    .find(|j| j.job == job && j.is_live())
            {
                j.ended_at = Some(now.wall);
                j.end = Some(crate::register::JobEnd::NotStarted {
                    reason: format!("failed to release it: {error}"),
                });
                actions.push(Action::Save {
                    then: AfterSave::Nothing,
                    durable: true,
                });
            }
            actions.push(Action::Log {
                level: Level::Error,
                message: format!("failed to release {job}: {error}; its agent is not started"),
            });
            actions
        }
        Fact::Reloaded { config } => match config {
            Ok(config) => {
                state.config = *config;
                state.passes.dirty = true;
                vec![Action::Log {
                    level: Level::Warn,
                    message: "reloaded the config".to_owned(),
                }]
            }
            Err(error) => vec![Action::Log {
                level: Level::Error,
                message: format!("{error}; keeping the previous config"),
            }],
        },
        Fact::Tier2Done {
            records,
            announcements,
            reply,
        } => {
            let mut actions: Vec<Action> = announcements
                .into_iter()
                .map(|message| Action::Announce { message })
                .collect();
            if let Some(to) = reply {
                actions.push(Action::Reply {
                    to,
                    response: Response::Decisions {
                        decisions: serde_json::to_value(&records)
                            .unwrap_or(serde_json::Value::Null),
                    },
                });
            }
            actions
        }
    }
}

fn observed(state: &mut State, obs: &Observation, now: Now) -> Vec<Action> {
    let socket = state.paths.tmux_socket_file.clone();
    let mut actions = state.health.observe(obs, &socket, now.wall);
    if let Some(register) = &obs.register {
        if state.jobs.register.is_err() {
            if register.is_ok() {
                // Fixed or restored by a person: dispatch resumes without a restart.
                state.jobs.register = register.clone();
                state.jobs.stamp = obs.register_stamp;
                state.passes.dirty = true;
                actions.push(Action::Log {
                    level: Level::Warn,
                    message: "the register is readable again; dispatch resumes".to_owned(),
                });
            }
        } else {
            actions.extend(register_changed(
                state,
                register.clone(),
                obs.register_stamp,
                AfterSave::Nothing,
                now,
            ));
        }
    }
    let gone = state.health.tmux_gone.is_some();
    let panes: Option<&[crate::tmux::PaneRow]> = match &obs.panes {
        _ if gone => Some(&[]),
        Ok(p) => Some(p),
        Err(f) if f.kind == TmuxFailureKind::NoSession => Some(&[]),
        Err(_) => None,
    };
    let reconciled = reconcile(
        state.jobs.live(),
        &Facts {
            panes,
            records: &obs.records,
            log_mtimes: &obs.log_mtimes,
            missing_since: &state.jobs.missing_since,
            server_gone: gone,
            now: now.wall,
        },
    );
    if reconciled.nudge && !gone {
        actions.push(Action::NudgeTmux);
    }
    if reconciled
        .updates
        .iter()
        .any(|u| matches!(u, JobUpdate::Ended { .. }))
    {
        state.passes.dirty = true;
    }
    actions.extend(state.jobs.apply(reconciled));
    state.passes.panes = panes.map(<[_]>::to_vec);
    if gone && state.jobs.live().is_empty() && !state.passes.end_after_publish {
        // Every job is settled: publish the signal once more, then leave so that
        // `warden up` starts afresh.
        state.passes.end_after_publish = true;
        state.passes.dirty = true;
    }
    actions
}

/// The register file was changed by someone else since warden last read or wrote it: it is
/// read again, never overwritten from memory. What warden had not saved yet is made again
/// from the records and panes at the next look; a launch waiting for this save is off.
fn register_changed(
    state: &mut State,
    register: Result<crate::register::Register, crate::detect::RegisterProblem>,
    stamp: Option<crate::state::Stamp>,
    then: AfterSave,
    now: Now,
) -> Vec<Action> {
    let path = state.paths.relative(&state.paths.register);
    let mut actions = vec![Action::Log {
        level: Level::Warn,
        message: format!(
            "{} changed since warden last wrote it (an edit by hand?); reading it again instead of overwriting it",
            path.display()
        ),
    }];
    state.jobs.register = register;
    state.jobs.stamp = stamp;
    state.jobs.unsaved = false;
    state.passes.dirty = true;
    if let AfterSave::Launch { mode, .. } = then {
        if let PassMode::Dispatch { reply, .. } = &mode {
            actions.push(refuse(
                *reply,
                Refusal::DispatchClosed {
                    why: format!("{} changed by hand a moment ago; try again", path.display()),
                },
            ));
        }
        actions.extend(finish_pass(state, &mode, now));
    }
    actions
}

fn saved(
    state: &mut State,
    then: AfterSave,
    result: Result<(), super::action::SaveFailure>,
    now: Now,
) -> Vec<Action> {
    match result {
        Ok(()) => {
            state.jobs.unsaved = false;
            let mut actions = Vec::new();
            if let Some(told) = state.health.saved() {
                state.passes.dirty = true;
                actions.push(told);
            }
            if let AfterSave::Launch { jobs, mode } = then {
                // In parts, each released as soon as its panes exist: agents start while tmux
                // makes the next windows.
                let parts: Vec<&[String]> = jobs.chunks(LAUNCH_PART).collect();
                let n = parts.len();
                for (i, part) in parts.into_iter().enumerate() {
                    actions.push(Action::Launch {
                        jobs: part.to_vec(),
                        mode: mode.clone(),
                        last: i + 1 == n,
                    });
                }
            }
            actions
        }
        Err(failure) => {
            state.jobs.unsaved = true;
            let path = state.paths.relative(&failure.path);
            let mut actions = vec![Action::Log {
                level: Level::Error,
                message: format!("failed to save {}: {}", path.display(), failure.error),
            }];
            state.health.save_failed(path, failure.error, now.wall);
            if let AfterSave::Launch { jobs, mode } = then {
                // Nothing about these jobs exists anywhere but here: no pane is made.
                state.jobs.take_back(&jobs);
                // The pass again at once, so the snapshot says why.
                state.passes.dirty = true;
                if let PassMode::Dispatch { reply, .. } = &mode {
                    let why = gate(state, true, now)
                        .err()
                        .unwrap_or(Closed::RegisterUnreadable);
                    actions.push(refuse(
                        *reply,
                        Refusal::DispatchClosed {
                            why: why.to_string(),
                        },
                    ));
                }
                actions.extend(finish_pass(state, &mode, now));
            }
            actions
        }
    }
}

fn passed(
    state: &mut State,
    mode: PassMode,
    dispatched: bool,
    pass: Box<Pass>,
    now: Now,
) -> Vec<Action> {
    let mut actions = Vec::new();
    if !dispatched {
        if mode.dispatches_queue() {
            let launch = dispatch_queue(state, &pass, mode.clone(), now);
            if !launch.is_empty() {
                state.passes.current = Some(pass);
                return launch;
            }
        } else if let PassMode::Dispatch { task, reply } = &mode {
            match dispatch_task(state, &pass, task, mode.clone(), now) {
                Ok(launch) => {
                    state.passes.current = Some(pass);
                    return launch;
                }
                Err(refusal) => actions.push(refuse(*reply, refusal)),
            }
        }
    }
    state.passes.current = Some(pass);
    actions.extend(finish_pass(state, &mode, now));
    actions
}

/// The rest of a pass once its launches are done: per mode.
fn finish_pass(state: &mut State, mode: &PassMode, now: Now) -> Vec<Action> {
    let tier2_ok = state.health.tmux_ok();
    let spend_closed = super::after_pass::hour_spent(state);
    let step = |skip_hold| {
        if tier2_ok {
            Tier2Mode::Step(Step {
                skip_hold,
                spend_closed,
            })
        } else {
            // No manager is started while tmux cannot be asked.
            Tier2Mode::Hold
        }
    };
    let fill = Action::Tier2 {
        mode: Tier2Mode::Fill,
        dry_run: None,
        reply: None,
    };
    match mode {
        PassMode::Heartbeat | PassMode::Once => {
            let mut actions = reap(state);
            actions.extend(super::after_pass::heartbeat_extras(state, now));
            actions.push(Action::Tier2 {
                mode: step(false),
                dry_run: None,
                reply: None,
            });
            actions.push(Action::Publish);
            if *mode == PassMode::Once || state.passes.end_after_publish {
                state.passes.done = true;
            }
            actions
        }
        PassMode::Dispatch { .. } => vec![fill, Action::Publish],
        PassMode::Status { reply } => {
            vec![fill, Action::Publish, Action::ReplySnapshot { to: *reply }]
        }
        PassMode::Escalate { dry_run, reply } if tier2_ok => vec![
            Action::Tier2 {
                mode: step(true),
                dry_run: *dry_run,
                reply: Some(*reply),
            },
            Action::Publish,
        ],
        PassMode::Escalate { reply, .. } => vec![
            fill,
            refuse(
                *reply,
                Refusal::DispatchClosed {
                    why: Closed::TmuxUnanswered.to_string(),
                },
            ),
        ],
        PassMode::Pack { reply } => vec![fill, Action::Pack { reply: *reply }],
    }
}

/// Dead worker panes stay readable for `keep_dead_panes`; then their last screen is saved
/// beside the log and the pane is closed.
fn reap(state: &State) -> Vec<Action> {
    let Some(panes) = &state.passes.panes else {
        return Vec::new();
    };
    if !state.health.tmux_ok() {
        return Vec::new();
    }
    let keep = state.config.dispatch.keep_dead_panes;
    let now = state
        .passes
        .current
        .as_ref()
        .map(|p| p.snapshot.generated_at);
    let Some(now) = now else {
        return Vec::new();
    };
    panes
        .iter()
        .filter(|p| p.dead)
        .filter_map(|p| {
            let job = state.jobs.get(p.job.as_deref()?)?;
            let ended = job.ended_at?;
            (keep.after(ended) <= now).then(|| Action::Reap {
                task: job.task.clone(),
                job: job.job.clone(),
                pane: p.pane_id.clone(),
            })
        })
        .collect()
}

fn launched(
    state: &mut State,
    mode: PassMode,
    outcomes: &[(String, LaunchOutcome)],
    last: bool,
    now: Now,
) -> Vec<Action> {
    let policy = crate::dispatch::Policy::from_config(&state.config.dispatch);
    let mut actions = state.jobs.launched(outcomes, &policy, now);
    if let Some(error) = outcomes.iter().find_map(|(_, o)| match o {
        LaunchOutcome::Unknown(e) => Some(e),
        _ => None,
    }) {
        // Learned while launching: no more launches until a look at tmux is answered.
        actions.extend(state.health.unanswered(error, now.wall));
    }
    let mut made = Vec::new();
    for (job, outcome) in outcomes {
        let Some(record) = state.jobs.get(job) else {
            continue;
        };
        if matches!(outcome, LaunchOutcome::Made(_)) {
            made.push(format!("{} as {job}", record.task));
            if state.config.dispatch.mark_started_on_dispatch {
                actions.push(Action::MarkStarted {
                    task: record.task.clone(),
                });
            }
            actions.push(Action::Log {
                level: Level::Info,
                message: format!("dispatched {} as {job}", record.task),
            });
        }
    }
    state.passes.dispatched.extend(made);
    if last && !state.passes.dispatched.is_empty() {
        // The panes' ids, once for the whole launch: a restart finds them again by their
        // tags, so atomic is enough.
        actions.push(Action::Save {
            then: AfterSave::Nothing,
            durable: false,
        });
        // One message per launch: each is a tmux client call.
        let made = std::mem::take(&mut state.passes.dispatched);
        actions.push(Action::Notify {
            message: format!("warden: dispatched {}", made.join(", ")),
        });
    }
    if let PassMode::Dispatch { task, reply } = &mode
        && let Some((job, outcome)) = outcomes.first()
    {
        actions.push(match outcome {
            LaunchOutcome::Made(_) => Action::Reply {
                to: *reply,
                response: Response::Ok {
                    message: format!("dispatched {task} as {job}"),
                },
            },
            LaunchOutcome::Failed(error) => refuse(
                *reply,
                Refusal::LaunchFailed {
                    task: task.clone(),
                    error: error.clone(),
                },
            ),
            LaunchOutcome::Unknown(error) => Action::Reply {
                to: *reply,
                response: Response::Ok {
                    message: format!(
                        "{task} as {job}: tmux did not answer ({error}); it starts if its pane was made"
                    ),
                },
            },
        });
    }
    if last {
        // The queue changed: take the pass again so the snapshot shows the new workers.
        actions.push(Action::RunPass {
            mode,
            dispatched: true,
        });
    }
    actions
}
