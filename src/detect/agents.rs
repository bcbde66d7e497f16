//! Signals about what agents are doing, from their hooks: `agent_waiting_input`,
//! `agent_idle`, `dispatch_unconfirmed`, `agent_error`, and `awaiting_review` (which needs
//! no hooks: a job that exited 0 and left its task undone). Jobs not expected to report
//! get none of these but `awaiting_review`.

use chrono::{DateTime, TimeDelta, Utc};

use super::jobs::job_evidence;
use super::observations::Observations;
use super::signal::{Evidence, Severity, Signal, SignalCode, Subject};
use crate::agent::{AgentKind, AgentRecord, AgentState};
use crate::config::HumanDuration;
use crate::dispatch::Hold;
use crate::register::JobRecord;
use crate::task::Status;

/// Output this soon after a `PreToolUse` is the tool's or its dialog's first drawing.
const DRAW_SLACK: TimeDelta = TimeDelta::seconds(5);

fn evidence(job: &JobRecord, agent: Option<&AgentRecord>) -> Evidence {
    Evidence {
        detail: agent.map(|a| format!("agent {} {}, last event {}", a.kind, a.state, a.last_event)),
        ..job_evidence(job)
    }
}

fn signal(
    code: SignalCode,
    severity: Severity,
    job: &JobRecord,
    message: String,
    evidence: Evidence,
    since: DateTime<Utc>,
) -> Signal {
    Signal {
        code,
        severity,
        subject: Subject::Worker(job.job.clone()),
        task: Some(job.task.clone()),
        message,
        evidence,
        since,
    }
}

/// Whether the agent has shown it got its prompt: a submitted prompt, or any sign of a
/// turn. Codex's `notify` reports only finished turns, so any Codex event is one.
pub(crate) fn confirmed(agent: &AgentRecord) -> bool {
    agent.prompts > 0
        || agent.kind == AgentKind::Codex
        || matches!(
            agent.state,
            AgentState::Working
                | AgentState::WaitingInput
                | AgentState::RateLimited
                | AgentState::Error
                | AgentState::Ended
        )
}

/// A tool announced (`PreToolUse`) and nothing drawn since: the permission prompt whose
/// notification did not come (Claude Code sometimes skips it mid-thinking).
fn silent_pending_tool(obs: &Observations<'_>, job: &JobRecord, agent: &AgentRecord) -> bool {
    agent.state == AgentState::Working
        && agent.pending_tool.is_some()
        && job
            .last_output_at
            .is_none_or(|o| o <= agent.last_event_at + DRAW_SLACK)
        && obs.reached(agent.last_event_at, obs.thresholds.waiting_input_after)
}

fn waiting(obs: &Observations<'_>, job: &JobRecord, agent: &AgentRecord, out: &mut Vec<Signal>) {
    let t = obs.thresholds;
    let (since, what) = if agent.state == AgentState::WaitingInput {
        let text = agent
            .notification
            .clone()
            .unwrap_or_else(|| "it asks for input".to_owned());
        (agent.since, text)
    } else if silent_pending_tool(obs, job, agent) {
        let tool = agent.pending_tool.as_deref().unwrap_or("a tool");
        (
            agent.last_event_at,
            format!(
                "probably a permission prompt: {tool} was announced and nothing was drawn since"
            ),
        )
    } else {
        return;
    };
    if !obs.reached(since, t.waiting_input_after) {
        return;
    }
    let severity = if obs.reached(since, t.waiting_input_critical_after) {
        Severity::Critical
    } else {
        Severity::Warning
    };
    let waited = obs.secs_since(since);
    out.push(signal(
        SignalCode::AgentWaitingInput,
        severity,
        job,
        format!(
            "{} ({}) has waited for you for {}: {what}",
            job.job,
            job.task,
            HumanDuration::from_secs(waited)
        ),
        Evidence {
            measured: Some(waited),
            threshold: Some(if severity == Severity::Critical {
                t.waiting_input_critical_after.as_secs()
            } else {
                t.waiting_input_after.as_secs()
            }),
            ..evidence(job, Some(agent))
        },
        since,
    ));
}

fn idle(obs: &Observations<'_>, job: &JobRecord, agent: &AgentRecord, out: &mut Vec<Signal>) {
    let threshold = obs.thresholds.agent_idle_after;
    if agent.state != AgentState::Idle || !obs.reached(agent.since, threshold) {
        return;
    }
    let status = obs.task(&job.task).map(crate::task::Task::status);
    if status.is_some_and(|s| s.is_terminal() || s == Status::Review) {
        return;
    }
    let idle = obs.secs_since(agent.since);
    out.push(signal(
        SignalCode::AgentIdle,
        SignalCode::AgentIdle.severity(),
        job,
        format!(
            "{} ({}) finished its turn {} ago and waits at its prompt; the task is {}",
            job.job,
            job.task,
            HumanDuration::from_secs(idle),
            status.map_or("missing", Status::as_str)
        ),
        Evidence {
            measured: Some(idle),
            threshold: Some(threshold.as_secs()),
            ..evidence(job, Some(agent))
        },
        agent.since,
    ));
}

fn unconfirmed(
    obs: &Observations<'_>,
    job: &JobRecord,
    agent: Option<&AgentRecord>,
    out: &mut Vec<Signal>,
) {
    let within = obs.thresholds.confirm_within;
    if agent.is_some_and(confirmed) || !obs.reached(job.started_at, within) {
        return;
    }
    let message = match agent {
        None => format!(
            "{} ({}) sent no hook event in {within}: its agent never started, or its hooks are not wired (see docs/agents.md)",
            job.job, job.task
        ),
        Some(a) => format!(
            "{} ({}) started its agent ({} {}) but no prompt was submitted in {within}: it never received its prompt",
            job.job, job.task, a.kind, a.last_event
        ),
    };
    out.push(signal(
        SignalCode::DispatchUnconfirmed,
        SignalCode::DispatchUnconfirmed.severity(),
        job,
        message,
        Evidence {
            measured: Some(obs.secs_since(job.started_at)),
            threshold: Some(within.as_secs()),
            ..evidence(job, agent)
        },
        job.started_at,
    ));
}

fn failed(job: &JobRecord, agent: &AgentRecord, out: &mut Vec<Signal>) {
    if agent.state != AgentState::Error {
        return;
    }
    let kind = agent.error_type.as_deref().unwrap_or("unknown");
    let text = agent.error.as_deref().unwrap_or("no message");
    out.push(signal(
        SignalCode::AgentError,
        SignalCode::AgentError.severity(),
        job,
        format!("{} ({})'s turn failed: {kind}: {text}", job.job, job.task),
        evidence(job, Some(agent)),
        agent.since,
    ));
}

/// A job that exited 0 while its task stayed undone: someone has to look at its work.
fn awaiting_review(obs: &Observations<'_>, out: &mut Vec<Signal>) {
    let threshold = obs.thresholds.review_after;
    for (task, hold) in obs.holds {
        let Hold::Succeeded { job, ended_at } = hold else {
            continue;
        };
        let Some(t) = obs.task(task) else { continue };
        if t.status().is_terminal() || t.status() == Status::Review {
            continue;
        }
        if !obs.reached(*ended_at, threshold) {
            continue;
        }
        let waited = obs.secs_since(*ended_at);
        out.push(Signal {
            code: SignalCode::AwaitingReview,
            severity: SignalCode::AwaitingReview.severity(),
            subject: Subject::Task(task.clone()),
            task: Some(task.clone()),
            message: format!(
                "{job} exited 0 {} ago but {task} is still {}: review its work, then set the task's status",
                HumanDuration::from_secs(waited),
                t.status()
            ),
            evidence: Evidence {
                job: Some(job.clone()),
                path: Some(t.path.clone()),
                ended_at: Some(*ended_at),
                measured: Some(waited),
                threshold: Some(threshold.as_secs()),
                ..Evidence::default()
            },
            since: *ended_at,
        });
    }
}

pub(crate) fn detect_agents(obs: &Observations<'_>, out: &mut Vec<Signal>) {
    awaiting_review(obs, out);
    let Some(register) = obs.register else {
        return;
    };
    for job in register.live_jobs().filter(|j| j.agent.is_some()) {
        let agent = obs.agents.get(&job.job);
        unconfirmed(obs, job, agent, out);
        if let Some(agent) = agent {
            waiting(obs, job, agent, out);
            idle(obs, job, agent, out);
            failed(job, agent, out);
        }
    }
}
