//! Which style each state gets: severity (critical red, warning yellow, info dim), the
//! agent's state, a task's status, an alert's state and a job's end. What needs a person
//! stands out; what is finished fades.

use super::Style;
use crate::agent::AgentState;
use crate::detect::Severity;
use crate::escalate::AlertState;
use crate::register::JobEnd;
use crate::task::Status;

pub(crate) fn severity_style(severity: Severity) -> Style {
    match severity {
        Severity::Critical => Style::Red,
        Severity::Warning => Style::Yellow,
        Severity::Info => Style::Dim,
    }
}

pub(crate) fn agent_style(state: AgentState) -> Style {
    match state {
        AgentState::WaitingInput => Style::BoldYellow,
        AgentState::Error => Style::Red,
        AgentState::RateLimited => Style::Magenta,
        AgentState::Working => Style::Green,
        AgentState::Idle | AgentState::Ended => Style::Dim,
        AgentState::Starting => Style::Plain,
    }
}

pub(crate) fn status_style(status: Status) -> Style {
    match status {
        Status::Ready => Style::Cyan,
        Status::InProgress => Style::Green,
        Status::Review => Style::Yellow,
        Status::Blocked => Style::Red,
        Status::Backlog | Status::Completed | Status::Cancelled => Style::Dim,
    }
}

pub(crate) fn alert_style(state: AlertState) -> Style {
    match state {
        AlertState::Firing => Style::Red,
        AlertState::Acknowledged => Style::Yellow,
        AlertState::Pending => Style::Plain,
        AlertState::Resolved => Style::Dim,
    }
}

/// A running job (no end yet) is green, a clean exit plain, anything else red.
pub(crate) fn job_end_style(end: Option<&JobEnd>) -> Style {
    match end {
        None => Style::Green,
        Some(e) if e.is_success() => Style::Plain,
        Some(_) => Style::Red,
    }
}
