//! A worker's mark as tmux shows it, as plain data: the decisions (`marks.rs`) make them,
//! the actions carry them, the executor sets them.

use std::borrow::Cow;

use crate::agent::AgentState;
use crate::register::JobEnd;

/// A worker's state, as its window or pane shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mark {
    Running,
    /// Its agent waits for a person.
    Waiting,
    /// Its agent finished a turn and waits at its prompt.
    Idle,
    /// Its agent hit a usage or rate limit.
    Limited,
    /// Its agent's turn failed.
    Error,
    /// The job exited 0.
    Succeeded,
    /// The job ended otherwise: its exit code, its signal's name, or `lost`.
    Failed(String),
}

impl Mark {
    /// The mark for an agent's state; `None` for a session that ended (the job's end, a
    /// moment later, marks it).
    pub(crate) fn of_agent(state: AgentState) -> Option<Self> {
        match state {
            AgentState::Starting | AgentState::Working => Some(Self::Running),
            AgentState::WaitingInput => Some(Self::Waiting),
            AgentState::Idle => Some(Self::Idle),
            AgentState::RateLimited => Some(Self::Limited),
            AgentState::Error => Some(Self::Error),
            AgentState::Ended => None,
        }
    }

    /// The mark for a job's end; `None` when it never started (it has no pane).
    pub(crate) fn of_end(end: &JobEnd) -> Option<Self> {
        match end {
            JobEnd::Exited { code: 0 } => Some(Self::Succeeded),
            JobEnd::Exited { code } => Some(Self::Failed(code.to_string())),
            JobEnd::Signaled { signal } => Some(Self::Failed(signal.clone())),
            JobEnd::Lost { .. } => Some(Self::Failed("lost".to_owned())),
            JobEnd::NotStarted { .. } => None,
        }
    }

    /// The text tmux shows: short, as it sits next to a window's name.
    pub(crate) fn text(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Self::Running => "run",
            Self::Waiting => crate::tmux::WAITING,
            Self::Idle => "idle",
            Self::Limited => "limit",
            Self::Error => "error",
            Self::Succeeded => "✓",
            Self::Failed(why) => return Cow::Owned(format!("✗ {why}")),
        })
    }
}

/// One job's new mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JobMark {
    pub(crate) job: String,
    /// For a compact pane's title.
    pub(crate) task: String,
    pub(crate) mark: Mark,
}
